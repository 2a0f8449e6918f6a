#include "runtime/host_arithmetic.hpp"

#include <cmath>
#include <limits>

#include "io/errors.hpp"

namespace loihisim {

HostOpCounts& HostOpCounts::operator+=(const HostOpCounts& o) {
  mul += o.mul;
  add += o.add;
  cmp += o.cmp;
  nonlin += o.nonlin;
  bytes_read += o.bytes_read;
  bytes_written += o.bytes_written;
  saturations += o.saturations;
  return *this;
}

HostArithmetic::HostArithmetic(HostNumberFormat fmt) : fmt_(fmt) {
  if (fmt_.fixed) scale_ = std::ldexp(1.0, fmt_.frac_bits);
}

std::int64_t HostArithmetic::to_raw(double x) const {
  return static_cast<std::int64_t>(x * scale_);  // exact: x is always representable
}

double HostArithmetic::from_raw(std::int64_t raw) {
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t hi = std::numeric_limits<std::int32_t>::max();
  if (raw < lo || raw > hi) {
    ++counts_.saturations;
    raw = raw < lo ? lo : hi;
  }
  return static_cast<double>(raw) / scale_;
}

double HostArithmetic::represent(double x) {
  if (!fmt_.fixed) return static_cast<double>(static_cast<float>(x));
  const double r = std::round(x * scale_);  // ties away from zero
  if (!(r > -9.3e18 && r < 9.3e18)) {       // also catches NaN
    ++counts_.saturations;
    return from_raw(r > 0 ? std::numeric_limits<std::int64_t>::max()
                          : std::numeric_limits<std::int64_t>::min());
  }
  return from_raw(static_cast<std::int64_t>(r));
}

double HostArithmetic::mul(double a, double b) {
  ++counts_.mul;
  if (!fmt_.fixed) return static_cast<double>(static_cast<float>(a) * static_cast<float>(b));
  // Exact 64-bit product of two 32-bit raws (|p| <= 2^62), rounded to nearest, ties away.
  const std::int64_t p = to_raw(a) * to_raw(b);
  const std::int64_t half = std::int64_t{1} << (fmt_.frac_bits - 1);
  const std::int64_t mag = p < 0 ? -p : p;
  const std::int64_t r = (mag + half) >> fmt_.frac_bits;
  return from_raw(p < 0 ? -r : r);
}

double HostArithmetic::add(double a, double b) {
  ++counts_.add;
  if (!fmt_.fixed) return static_cast<double>(static_cast<float>(a) + static_cast<float>(b));
  return from_raw(to_raw(a) + to_raw(b));
}

double HostArithmetic::sub(double a, double b) {
  ++counts_.add;
  if (!fmt_.fixed) return static_cast<double>(static_cast<float>(a) - static_cast<float>(b));
  return from_raw(to_raw(a) - to_raw(b));
}

double HostArithmetic::clamp(double x, double lo, double hi) {
  counts_.cmp += 2;
  return x < lo ? represent(lo) : (x > hi ? represent(hi) : x);
}

double HostArithmetic::sigmoid(double x) {
  ++counts_.nonlin;
  if (!fmt_.fixed) return static_cast<double>(1.0f / (1.0f + std::exp(-static_cast<float>(x))));
  return represent(1.0 / (1.0 + std::exp(-x)));
}

double HostArithmetic::tanh(double x) {
  ++counts_.nonlin;
  if (!fmt_.fixed) return static_cast<double>(std::tanh(static_cast<float>(x)));
  return represent(std::tanh(x));
}

double HostArithmetic::phi1(double z) {
  return clamp(mul(add(z, represent(2.0)), represent(0.25)), 0.0, 1.0);
}

double HostArithmetic::phi2(double z) {
  return clamp(mul(z, represent(0.5)), -1.0, 1.0);
}

void HostArithmetic::linear(std::span<const double> w, std::span<const double> b,
                            std::span<const double> x, std::span<double> y) {
  const std::size_t rows = y.size(), cols = x.size();
  for (std::size_t r = 0; r < rows; ++r) {
    double acc = b.empty() ? represent(0.0) : b[r];
    for (std::size_t c = 0; c < cols; ++c) acc = add(acc, mul(w[r * cols + c], x[c]));
    y[r] = acc;
  }
  count_read(w.size() + b.size() + x.size());
  count_write(y.size());
}

std::size_t HostArithmetic::argmax(std::span<const double> x) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    ++counts_.cmp;
    if (x[i] > x[best]) best = i;
  }
  return best;
}

}  // namespace loihisim
