// Output files appear whole or not at all: write to a temporary name beside the target, rename
// over it on commit(). A guard that is destroyed without commit() removes the temporary file.
#pragma once

#include <filesystem>
#include <string>

namespace loihisim {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path target);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Where to write now.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  // Atomically moves the temporary file to the target name. Throws InputError on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Fails early (before a long run) when `out` cannot be created: it is a directory or its folder
// does not exist. `option` names the command-line option in the message.
void check_output_path(const std::filesystem::path& out, const std::string& option);

}  // namespace loihisim
