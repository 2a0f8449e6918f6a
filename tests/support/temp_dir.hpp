// The one temporary-directory helper of the tests: a fresh, empty folder per use, unique per
// process and use (tests of several executables run in parallel), removed afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace loihisim::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& label = "test") {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("loihisim_" + label + "_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path / name; }
  bool empty() const { return std::filesystem::is_empty(path); }

  std::filesystem::path path;
};

}  // namespace loihisim::testing
