#include "io/readable_units.hpp"

#include <fmt/core.h>

#include <cmath>

namespace loihisim {

std::string readable_energy_fj(double fj) {
  const double a = std::abs(fj);
  if (a >= 1e12) return fmt::format("{:.3f} mJ", fj / 1e12);
  if (a >= 1e9) return fmt::format("{:.3f} uJ", fj / 1e9);
  if (a >= 1e6) return fmt::format("{:.3f} nJ", fj / 1e6);
  return fmt::format("{:.3f} pJ", fj / 1e3);
}

std::string readable_time_ps(double ps) {
  const double a = std::abs(ps);
  if (a >= 1e12) return fmt::format("{:.3f} s", ps / 1e12);
  if (a >= 1e9) return fmt::format("{:.3f} ms", ps / 1e9);
  if (a >= 1e6) return fmt::format("{:.3f} us", ps / 1e6);
  return fmt::format("{:.3f} ns", ps / 1e3);
}

}  // namespace loihisim
