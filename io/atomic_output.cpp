#include "io/atomic_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "io/errors.hpp"

namespace loihisim {
namespace {

// Temporary files in progress, for the signal handler: fixed storage, no allocation, written
// before a slot is marked used and read only through async-signal-safe calls (unlink).
constexpr int kSlots = 64;
constexpr std::size_t kPathBytes = 4096;
std::array<std::atomic<bool>, kSlots> g_used{};
std::array<std::array<char, kPathBytes>, kSlots> g_paths{};

int register_temp(const std::filesystem::path& p) {
  const std::string s = p.string();
  if (s.size() >= kPathBytes) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_used[static_cast<std::size_t>(i)].load() &&
        g_used[static_cast<std::size_t>(i)].compare_exchange_strong(expected, true)) {
      std::memcpy(g_paths[static_cast<std::size_t>(i)].data(), s.c_str(), s.size() + 1);
      return i;
    }
  }
  return -1;  // more than kSlots outputs at once: these are only removed by their destructors
}

void unregister_temp(int slot) {
  if (slot >= 0) g_used[static_cast<std::size_t>(slot)].store(false);
}

extern "C" void remove_temps_and_exit(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (g_used[static_cast<std::size_t>(i)].load())
      ::unlink(g_paths[static_cast<std::size_t>(i)].data());
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void fsync_file(const std::filesystem::path& p, const std::filesystem::path& target) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot write " + target.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    throw InputError("cannot write " + target.string() + ": " + std::strerror(err) +
                     " (the file was not kept)");
}

}  // namespace

AtomicOutput::AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
  // Same directory as the target, so the final rename never crosses file systems.
  temp_ = target_;
  temp_ += ".tmp." + std::to_string(::getpid());
  slot_ = register_temp(temp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    finishers_.clear();  // e.g. release an HDF5 file still open before removing it
    std::error_code ec;
    std::filesystem::remove(temp_, ec);  // best effort; nothing to report from a destructor
  }
  unregister_temp(slot_);
}

void AtomicOutput::commit() {
  for (auto& finish : finishers_) finish();
  finishers_.clear();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(temp_, ec))
    throw InputError("cannot write " + target_.string() + ": nothing was written");
  fsync_file(temp_, target_);
  if (OutputSet* set = OutputSet::current()) {
    set->adopt(temp_, target_, slot_);  // the set now owns the temporary file and its slot
  } else {
    std::filesystem::rename(temp_, target_, ec);
    if (ec) throw InputError("cannot write " + target_.string() + ": " + ec.message());
    unregister_temp(slot_);
  }
  slot_ = -1;
  committed_ = true;
}

void check_output_path(const std::filesystem::path& out, const std::string& option) {
  std::error_code ec;
  const std::string name = option == out.string() ? out.string() : option + " " + out.string();
  if (std::filesystem::is_directory(out, ec)) throw InputError(name + ": is a directory");
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_regular_file(out, ec))
    throw InputError(name + ": exists and is not a regular file");
  const std::filesystem::path dir = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(name + ": the directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError(name + ": the directory " + dir.string() + " is not writable");
  // access() says yes to root everywhere and knows nothing of read-only mounts or /proc:
  // creating (and removing) a file there is the one test that a later write will not fail
  // for want of permission, made before any work is done.
  const std::filesystem::path probe = dir / (".loihisim-probe." + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw InputError(name + ": cannot create a file in " + dir.string() + ": " +
                     std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void install_interrupt_cleanup() {
  // A file-size limit (RLIMIT_FSIZE) makes writes fail with EFBIG, reported like a full disk,
  // instead of killing the process with the temporary file in place.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGINT, remove_temps_and_exit);
  std::signal(SIGTERM, remove_temps_and_exit);
  std::signal(SIGHUP, remove_temps_and_exit);
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(std::filesystem::absolute(a), ec) ==
         std::filesystem::weakly_canonical(std::filesystem::absolute(b), ec);
}

namespace {
OutputSet* g_current_set = nullptr;
}

OutputSet::OutputSet() {
  if (g_current_set) throw std::logic_error("OutputSet: one set at a time");
  g_current_set = this;
}

OutputSet::~OutputSet() {
  g_current_set = nullptr;
  if (committed_) return;
  for (const auto& p : pending_) {
    std::error_code ec;
    std::filesystem::remove(p.temp, ec);
    unregister_temp(p.slot);
  }
}

OutputSet* OutputSet::current() {
  return g_current_set;
}

void OutputSet::adopt(std::filesystem::path temp, std::filesystem::path target, int slot) {
  pending_.push_back({std::move(temp), std::move(target), slot});
}

void OutputSet::input(const std::filesystem::path& file, const std::string& what) {
  for (const auto& [option, out] : outputs_)
    if (same_file(file, out))
      throw InputError(option + " " + out.string() + " is the " + what +
                       ", which it would overwrite: choose another output path");
  inputs_.push_back({file, what});
}

void OutputSet::output(const std::filesystem::path& target, const std::string& option) {
  check_output_path(target, option);
  for (const auto& in : inputs_)
    if (same_file(target, in.path))
      throw InputError(option + " " + target.string() + " is the " + in.what +
                       ", which it would overwrite: choose another output path");
  for (const auto& [other, out] : outputs_)
    if (same_file(target, out))
      throw InputError(option + " " + target.string() + " is also the output of " + other +
                       ": give each output its own path");
  outputs_.emplace_back(option, target);
}

void OutputSet::commit() {
  g_current_set = nullptr;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(pending_[i].temp, pending_[i].target, ec);
    if (ec) {
      // The outputs renamed so far stay (a rename cannot be undone atomically); the rest go.
      for (std::size_t j = i; j < pending_.size(); ++j) {
        std::filesystem::remove(pending_[j].temp, ec);
        unregister_temp(pending_[j].slot);
      }
      committed_ = true;
      throw InputError("cannot write " + pending_[i].target.string() + ": " + ec.message());
    }
    unregister_temp(pending_[i].slot);
  }
  committed_ = true;
}

}  // namespace loihisim
