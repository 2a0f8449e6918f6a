// Arithmetic of the host-side analog coprocessor (the non-spiking part of hybrid layers), in
// float32 or in a signed fixed-point format, counting every operation.
//
// Values are carried as double, but every result is rounded to the chosen format right away,
// so each stored value is exactly a float32 (or exactly raw / 2^frac_bits with raw a 32-bit
// integer) and the computation is exactly what a float32 or fixed-point machine would do:
// - float32: operands are floats and each +, -, * is done in float (IEEE round to nearest even);
// - fixed Q(31-f).f: products are formed exactly in 64 bits, rounded to nearest (ties away from
//   zero) at f fractional bits, and saturated to the 32-bit range; every saturation is counted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/model_spec.hpp"

namespace loihisim {

struct HostOpCounts {
  std::uint64_t mul = 0;            // multiplications
  std::uint64_t add = 0;            // additions and subtractions
  std::uint64_t cmp = 0;            // comparisons (clamps, max, argmax)
  std::uint64_t nonlin = 0;         // transcendental functions (sigmoid, tanh, exp)
  std::uint64_t bytes_read = 0;     // weights and activations read
  std::uint64_t bytes_written = 0;  // activations written
  std::uint64_t saturations = 0;    // fixed-point results that had to saturate

  HostOpCounts& operator+=(const HostOpCounts& o);
  friend bool operator==(const HostOpCounts&, const HostOpCounts&) = default;
};

class HostArithmetic {
 public:
  explicit HostArithmetic(HostNumberFormat fmt = {});

  // Rounds a real value into the format (counts nothing: loading a constant).
  double represent(double x);
  double mul(double a, double b);
  double add(double a, double b);
  double sub(double a, double b);
  double clamp(double x, double lo, double hi);  // two comparisons
  double sigmoid(double x);                      // one nonlinearity
  double tanh(double x);                         // one nonlinearity
  // phi1(z) = clip((z + 2) / 4, 0, 1) and phi2(z) = clip(z / 2, -1, 1) of methods.md A: the
  // replacement nonlinearities, built from one add/multiply and a clamp.
  double phi1(double z);
  double phi2(double z);

  // y = W x + b with W row-major (rows x cols); counts rows*cols multiply-adds plus the bias adds
  // and the bytes of W, x and b read and y written.
  void linear(std::span<const double> w, std::span<const double> b, std::span<const double> x,
              std::span<double> y);
  // Index of the largest element (first on ties); counts n - 1 comparisons.
  std::size_t argmax(std::span<const double> x);

  // Integer operations done outside this format (the exact integer first layer).
  void count_integer(std::uint64_t mul, std::uint64_t add, std::uint64_t cmp) {
    counts_.mul += mul;
    counts_.add += add;
    counts_.cmp += cmp;
  }
  void count_read(std::uint64_t values) { counts_.bytes_read += values * 4; }
  void count_write(std::uint64_t values) { counts_.bytes_written += values * 4; }
  const HostOpCounts& counts() const { return counts_; }
  void clear_counts() { counts_ = {}; }
  const HostNumberFormat& format() const { return fmt_; }

 private:
  double from_raw(std::int64_t raw);  // saturating
  std::int64_t to_raw(double x) const;

  HostNumberFormat fmt_;
  double scale_ = 1.0;
  HostOpCounts counts_;
};

}  // namespace loihisim
