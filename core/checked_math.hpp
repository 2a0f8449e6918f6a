// Integer arithmetic for energy (fJ) and time (ps) totals that refuses to wrap: an overflow
// throws std::overflow_error instead of printing a wrong number. int64 holds 9.2e18 fJ (9.2 kJ)
// and 9.2e18 ps (106 days), far beyond any simulated run.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace loihisim::core {

// count * per_event, for a count of events and a non-negative cost per event.
inline std::int64_t checked_mul(std::uint64_t count, std::int64_t per_event) {
  std::int64_t out = 0;
  if (count > static_cast<std::uint64_t>(INT64_MAX) ||
      __builtin_mul_overflow(static_cast<std::int64_t>(count), per_event, &out))
    throw std::overflow_error("energy or time total exceeds the 64-bit range");
  return out;
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    throw std::overflow_error("energy or time total exceeds the 64-bit range");
  return out;
}

}  // namespace loihisim::core
