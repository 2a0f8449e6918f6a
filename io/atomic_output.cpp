#include "io/atomic_output.hpp"

#include <unistd.h>

#include <system_error>

#include "io/errors.hpp"

namespace loihisim {

AtomicOutput::AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
  // Same directory as the target, so the final rename never crosses file systems.
  temp_ = target_;
  temp_ += ".tmp." + std::to_string(::getpid());
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);  // best effort; nothing to report from a destructor
  }
}

void AtomicOutput::commit() {
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw InputError("cannot write " + target_.string() + ": " + ec.message());
  committed_ = true;
}

void check_output_path(const std::filesystem::path& out, const std::string& option) {
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec))
    throw InputError(option + " " + out.string() + ": is a directory");
  const std::filesystem::path dir = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(option + " " + out.string() + ": the directory " + dir.string() +
                     " does not exist");
}

}  // namespace loihisim
