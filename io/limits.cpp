#include "io/limits.hpp"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/errors.hpp"

namespace loihisim {

std::uint64_t memory_limit_bytes() {
  if (const char* env = std::getenv("LOIHISIM_MAX_MEMORY"); env && *env) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (end && *end == '\0' && v > 0) return v;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t{4} << 30;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2;
}

std::uint64_t bytes_for(std::uint64_t count, std::uint64_t size) {
  if (size != 0 && count > UINT64_MAX / size) return UINT64_MAX;
  return count * size;
}

std::string readable_bytes(std::uint64_t bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 6) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.3g} {}", v, units[u]);
}

void check_memory(std::uint64_t bytes, const std::string& what) {
  const std::uint64_t limit = memory_limit_bytes();
  if (bytes <= limit) return;
  throw InputError(fmt::format(
      "{} needs {}, more than the memory limit of {} (half of this machine's memory; "
      "LOIHISIM_MAX_MEMORY sets another)",
      what, bytes == UINT64_MAX ? std::string("more than 18 EB") : readable_bytes(bytes),
      readable_bytes(limit)));
}

void check_input_file(const std::filesystem::path& file, const std::string& what) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw InputError(file.string() + ": cannot open the " + what + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    throw InputError(file.string() + ": cannot read the " + what + ": it is a directory");
  if (!S_ISREG(st.st_mode))
    throw InputError(file.string() + ": cannot read the " + what +
                     ": not a regular file (a FIFO, socket or device is never read)");
  if (::access(file.c_str(), R_OK) != 0)
    throw InputError(file.string() + ": cannot open the " + what + ": " + std::strerror(errno));
}

}  // namespace loihisim
