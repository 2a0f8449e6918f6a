#include "io/text_output.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"

namespace loihisim {

void write_text_file(const std::filesystem::path& file, const std::string& text) {
  check_output_path(file, file.string());
  AtomicOutput out(file);
  {
    std::ofstream f(out.temp_path());
    f << text;
    f.close();  // the last buffered bytes are written here: check after it
    if (!f) throw InputError("cannot write " + file.string() + ": " + std::strerror(errno) +
                             "; nothing was kept");
  }
  out.commit();
}

std::string yaml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string relative_to(const std::filesystem::path& target,
                        const std::filesystem::path& from_file) {
  const auto base = std::filesystem::absolute(from_file).parent_path();
  return std::filesystem::absolute(target).lexically_normal().lexically_relative(base).string();
}

}  // namespace loihisim
