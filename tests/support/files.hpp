// The tests' one way to read a whole file as bytes (outputs compared byte for byte, pages and
// reports searched for text). An unreadable file reads as empty, which the comparisons catch.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace loihisim::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace loihisim::testing
