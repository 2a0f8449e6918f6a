// What every fuzz harness shares (docs/reliability.md): the input bytes as a file the real loader
// reads, and the one exception policy. A loader given any bytes may return or throw InputError
// (the expected outcome for bad input, swallowed here); any other exception is a bug in the
// loader (the command line would exit 3), so it aborts and libFuzzer reports it as a crash.
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <typeinfo>

#include "io/errors.hpp"

namespace loihisim::fuzz {

// The most memory one input may make a loader allocate (io/limits.hpp): well below libFuzzer's
// -rss_limit_mb, so that a bounded but large declared size is an InputError rather than an
// out-of-memory report. A loader that allocates much more than this from a small file has a bug.
inline constexpr const char* kMemoryLimit = "268435456";  // 256 MiB

// One folder per process for the inputs ($TMPDIR, else /dev/shm, else /tmp), removed at exit.
class ScratchDir {
 public:
  static const std::filesystem::path& path() {
    static ScratchDir dir;
    return dir.path_;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

 private:
  ScratchDir() {
    ::setenv("LOIHISIM_MAX_MEMORY", kMemoryLimit, 0);  // an explicit setting wins
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path base = tmp && *tmp ? tmp : "/dev/shm";
    std::error_code ec;
    if (!std::filesystem::is_directory(base, ec)) base = "/tmp";
    path_ = base / ("loihisim-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  std::filesystem::path path_;
};

// A file named `name` in the scratch folder holding the given bytes; removed when it goes out of
// scope.
class TempFile {
 public:
  TempFile(const std::string& name, const std::uint8_t* data, std::size_t size)
      : path_(ScratchDir::path() / name) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) fail("cannot write " + path_.string());
  }
  TempFile(const std::string& name, std::string_view text)
      : TempFile(name, reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) {}
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

  [[noreturn]] static void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz harness: %s\n", what.c_str());
    std::abort();
  }

 private:
  std::filesystem::path path_;
};

// A file of the source tree (a shipped example or a seed of the corpus) copied into the scratch
// folder as `name`, for loaders that read other files beside their input. Returns the copy.
inline std::filesystem::path copy_beside(const std::string& source, const std::string& name) {
  const std::filesystem::path to = ScratchDir::path() / name;
  std::error_code ec;
  std::filesystem::copy_file(std::filesystem::path(LOIHISIM_SOURCE_DIR) / source, to,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) TempFile::fail("cannot copy " + source + " to " + to.string() + ": " + ec.message());
  return to;
}

// Runs `load`: an InputError is the expected answer to bad input and returns false; any other
// exception is a loader bug and aborts with its message. Returns true when `load` returned.
// With LOIHISIM_FUZZ_VERBOSE set, the InputErrors are printed (to see what the seeds reach).
template <class F>
bool expect_input_errors(F&& load) {
  try {
    load();
    return true;
  } catch (const InputError& e) {
    if (std::getenv("LOIHISIM_FUZZ_VERBOSE")) std::fprintf(stderr, "InputError: %s\n", e.what());
    return false;
  } catch (const std::exception& e) {
    TempFile::fail(std::string("unexpected exception (a bug: exit 3 from input): ") +
                   typeid(e).name() + ": " + e.what());
  } catch (...) {
    TempFile::fail("unexpected exception of unknown type (a bug: exit 3 from input)");
  }
}

// For the harnesses of HDF5 loaders, after each input: no HDF5 identifier may be left open,
// whether the loader returned or threw. One that is (a file, group, dataset, type or space the
// wrapper forgot to close) keeps its file open: a descriptor and memory lost per input, which
// LeakSanitizer cannot see because HDF5 still holds it.
inline void expect_hdf5_closed() {
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0)
    TempFile::fail("the loader left " + std::to_string(open) + " HDF5 identifier(s) open");
}

}  // namespace loihisim::fuzz
