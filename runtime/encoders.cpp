#include "runtime/encoders.hpp"

#include <fmt/core.h>

#include <cmath>

#include "core/splitmix.hpp"
#include "io/errors.hpp"

namespace loihisim {
std::string to_string(EncoderKind kind) {
  switch (kind) {
    case EncoderKind::kSignedAccumulator:
      return "signed_accumulator";
    case EncoderKind::kPoisson:
      return "poisson";
    case EncoderKind::kGraded:
      return "graded";
    case EncoderKind::kBias:
      return "bias";
    case EncoderKind::kBitPlanes:
      return "bit_planes";
  }
  return "?";
}

EncoderKind encoder_kind_from_string(const std::string& name) {
  for (auto k : {EncoderKind::kSignedAccumulator, EncoderKind::kPoisson, EncoderKind::kGraded,
                 EncoderKind::kBias, EncoderKind::kBitPlanes})
    if (to_string(k) == name) return k;
  throw InputError("unknown encoder '" + name +
                   "' (known: signed_accumulator, poisson, graded, bias, bit_planes)");
}

double uniform_hash(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                    std::uint64_t d) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ a);
  h = splitmix64(h ^ b);
  h = splitmix64(h ^ c);
  h = splitmix64(h ^ d);
  return static_cast<double>(h >> 11) * 0x1.0p-53;  // 53 random bits -> [0, 1)
}

void SpikeEncoder::start_symbol(std::span<const float> values, std::uint64_t sample,
                                std::uint64_t symbol) {
  const std::size_t n = values.size();
  sample_ = sample;
  symbol_ = symbol;
  step_ = 0;
  values_.assign(values.begin(), values.end());
  const bool rate =
      cfg_.kind == EncoderKind::kSignedAccumulator || cfg_.kind == EncoderKind::kPoisson;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = values[i];
    if (!std::isfinite(a) || (rate && std::fabs(a) > 1.0f))
      throw InputError("input element " + std::to_string(i) + " = " + std::to_string(a) +
                       " is outside [-1, 1], which the " + to_string(cfg_.kind) +
                       " encoder can represent as a spike rate");
  }
  if (cfg_.kind == EncoderKind::kSignedAccumulator) {
    increment_.resize(n);
    sign_.resize(n);
    acc_.assign(n, cfg_.accumulator_start);
    for (std::size_t i = 0; i < n; ++i) {
      const double scaled = std::round(static_cast<double>(cfg_.accumulator_scale) * values[i]);
      increment_[i] = static_cast<std::int32_t>(std::fabs(scaled));
      sign_[i] = scaled < 0 ? -1 : 1;
    }
  }
  if (cfg_.kind == EncoderKind::kGraded || cfg_.kind == EncoderKind::kBitPlanes) {
    const bool planes = cfg_.kind == EncoderKind::kBitPlanes;
    const double limit = planes ? std::ldexp(1.0, cfg_.planes) - 1 : 8388607.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double p = std::round(static_cast<double>(values[i]) * cfg_.graded_scale);
      if (std::fabs(p) > limit)
        throw InputError(fmt::format(
            "input element {} = {:g} gives payload {:g}, outside {}", i, values[i], p,
            planes ? fmt::format("the {} bit planes (|payload| <= {:g})", cfg_.planes, limit)
                   : std::string("the 24-bit signed payload range")));
    }
  }
}

void SpikeEncoder::step(std::vector<EncodedSpike>& out) {
  const std::size_t n = values_.size();
  switch (cfg_.kind) {
    case EncoderKind::kSignedAccumulator:
      // Fires when the accumulator reaches the scale (>=), so |a| = 1 spikes every step and the
      // rate is exactly |a| when 2048 |a| is an integer.
      for (std::size_t i = 0; i < n; ++i) {
        acc_[i] += increment_[i];
        if (acc_[i] >= cfg_.accumulator_scale) {
          acc_[i] -= cfg_.accumulator_scale;
          out.push_back({static_cast<std::int32_t>(i), sign_[i]});
        }
      }
      break;
    case EncoderKind::kPoisson:
      for (std::size_t i = 0; i < n; ++i) {
        const float a = values_[i];
        if (a == 0.0f) continue;
        if (uniform_hash(cfg_.seed, sample_, symbol_, step_, i) < std::fabs(a))
          out.push_back({static_cast<std::int32_t>(i), a < 0 ? -1 : 1});
      }
      break;
    case EncoderKind::kGraded:
    case EncoderKind::kBitPlanes:
      for (std::size_t i = 0; i < n; ++i) {
        const auto p = static_cast<std::int32_t>(
            std::round(static_cast<double>(values_[i]) * cfg_.graded_scale));
        if (p != 0) out.push_back({static_cast<std::int32_t>(i), p});
      }
      break;
    case EncoderKind::kBias:
      break;  // biases are set once per symbol by the runtime, no spikes
  }
  ++step_;
}

BiasValue encode_bias(double value, int scale) {
  const double target = std::round(value * scale);
  if (!std::isfinite(target) || std::fabs(target) > 4095.0 * 128.0)
    throw InputError(
        fmt::format("bias value {:g} x scale {} = {:g} is outside the representable "
                    "bias range +-4095 * 2^7",
                    value, scale, target));
  BiasValue b;
  double mant = target;
  while (std::fabs(mant) > 4095.0) {
    ++b.exp;
    mant = std::round(target / std::ldexp(1.0, b.exp));
  }
  b.mant = static_cast<int>(mant);
  return b;
}

}  // namespace loihisim
