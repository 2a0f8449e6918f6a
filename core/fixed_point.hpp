// Fixed-point primitives of the Loihi compartment datapath (loihi.md section 2).
//
// Every rounding, wrap and saturation the core performs goes through one of these named
// functions, so the semantics can be read (and tested) in one place.
#pragma once

#include <climits>
#include <cstdint>

namespace loihisim::core {

// Bits of magnitude (sign excluded) of the hardware registers.
inline constexpr int kInputBits = 21;    // dendritic accumulator read-out q: 21 bits + sign
inline constexpr int kCurrentBits = 23;  // u and u + bias: 23 bits + sign
inline constexpr int kDecayBits = 12;    // decays are in units of 1/4096
inline constexpr int kDecayOne = 1 << kDecayBits;
inline constexpr int kThresholdShift = 6;  // vth = mantissa * 2^6
inline constexpr int kWeightShift = 6;     // w_eff = w8 * 2^(6 + weight_exp)
inline constexpr int kPayloadBits = 23;    // graded-spike payload: 23 bits + sign (24-bit signed)

// Two's-complement wrap of x to `magnitude_bits` bits plus sign, i.e. into
// [-2^magnitude_bits, 2^magnitude_bits - 1]. This is what a hardware register of that width
// does on overflow. Computed on unsigned values so that no signed overflow (UB) can occur.
constexpr std::int64_t wrap_signed(std::int64_t x, int magnitude_bits) {
  const int total = magnitude_bits + 1;
  const std::uint64_t mask = (std::uint64_t{1} << total) - 1;
  const std::uint64_t sign = std::uint64_t{1} << magnitude_bits;
  const std::uint64_t bits = static_cast<std::uint64_t>(x) & mask;
  // Sign-extend: (bits ^ sign) - sign maps [0, 2^total) onto [-sign, sign).
  return static_cast<std::int64_t>(bits ^ sign) - static_cast<std::int64_t>(sign);
}

// 32-bit versions of the wrap for the hot loop: shift the field to the top of the word and
// arithmetic-shift it back (done on unsigned values, then one well-defined conversion).
template <int MagnitudeBits>
constexpr std::int32_t wrap32(std::uint32_t x) {
  constexpr int kShift = 31 - MagnitudeBits;
  return static_cast<std::int32_t>(x << kShift) >> kShift;
}
constexpr std::int32_t wrap_input(std::int64_t x) {
  return wrap32<kInputBits>(static_cast<std::uint32_t>(x));
}
constexpr std::int32_t wrap_current(std::int64_t x) {
  return wrap32<kCurrentBits>(static_cast<std::uint32_t>(x));
}

// trunc(x * factor / 4096): multiply the magnitude, shift right by 12, restore the sign
// (truncation toward zero). `factor` is in 0..4096; the product is formed in 64 bits, so
// it is exact for any |x| < 2^51.
constexpr std::int64_t decay_trunc(std::int64_t x, std::int64_t factor) {
  const std::int64_t mag = x < 0 ? -x : x;
  const std::int64_t scaled = (mag * factor) >> kDecayBits;
  return x < 0 ? -scaled : scaled;
}

// The same for 32-bit registers, using only 32-bit products so the compartment loop vectorises:
// for a = |x| < 2^31, (a * k) >> 12 == (a >> 12) * k + (((a & 4095) * k) >> 12) exactly, and
// both products stay below 2^31 for k <= 4096. x must not be INT32_MIN (no register holds it:
// vmin >= -(2^31 - 1)).
constexpr std::int32_t decay_trunc32(std::int32_t x, std::int32_t factor) {
  const std::uint32_t a = static_cast<std::uint32_t>(x < 0 ? -x : x);
  const std::uint32_t k = static_cast<std::uint32_t>(factor);
  const std::uint32_t scaled = (a >> kDecayBits) * k + (((a & (kDecayOne - 1)) * k) >> kDecayBits);
  const auto mag = static_cast<std::int32_t>(scaled);
  return x < 0 ? -mag : mag;
}

// Current decay: u * (4096 - 1 - decay_u) / 4096 (note the implicit +1: decay_u = 4095 clears u).
constexpr std::int64_t current_decay_factor(int decay_u) {
  return kDecayOne - 1 - decay_u;
}
// Voltage decay: v * (4096 - decay_v) / 4096 (no +1).
constexpr std::int64_t voltage_decay_factor(int decay_v) {
  return kDecayOne - decay_v;
}

// x * 2^shift for shift >= 0, floor(x / 2^-shift) for shift < 0 (arithmetic shift: floors
// negative values toward minus infinity, as nengo-loihi's per-synapse exponent does).
constexpr std::int64_t shift_floor(std::int64_t x, int shift) {
  if (shift >= 0) return x * (std::int64_t{1} << shift);
  // Division rounding toward -inf, written without relying on >> of negatives.
  const std::int64_t d = std::int64_t{1} << (-shift);
  const std::int64_t q = x / d;
  return (x % d != 0 && x < 0) ? q - 1 : q;
}

// dv + u2 for the voltage update, in 32 bits, for the clip that follows. dv is a decayed voltage
// (|dv| <= 2^31 - 1, dv <= vmax < 2^23) and |u2| <= 2^23, so only a negative overflow is
// possible; the exact sum is then below -2^31 < vmin, so INT32_MIN stands in for it and the clip
// to [vmin, vmax] gives exactly vmin, as the wide computation would.
constexpr std::int32_t add_for_clip(std::int32_t dv, std::int32_t u2) {
  const auto sum =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(dv) + static_cast<std::uint32_t>(u2));
  const bool negative_overflow = (dv < 0) & (u2 < 0) & (sum >= 0);
  return negative_overflow ? INT32_MIN : sum;
}

constexpr std::int64_t clip(std::int64_t x, std::int64_t lo, std::int64_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// vmin = -(2^n - 1), n in 0..31; vmax = 2^(9 + 2m) - 1, m in 0..7.
constexpr std::int64_t vmin_from_exp(int n) {
  return -((std::int64_t{1} << n) - 1);
}
constexpr std::int64_t vmax_from_exp(int m) {
  return (std::int64_t{1} << (9 + 2 * m)) - 1;
}

}  // namespace loihisim::core
