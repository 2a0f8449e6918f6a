#include "core/synapse.hpp"

#include <cmath>

#include "core/fixed_point.hpp"

namespace loihisim::core {

bool valid_weight_bits(int bits) {
  return (bits >= 0 && bits <= 6) || bits == 8;
}

int weight_lsb_bits(const SynapseFormat& fmt) {
  return 8 - fmt.weight_bits + (fmt.sign == SignMode::kMixed ? 1 : 0);
}

int max_weight_mantissa(const SynapseFormat& fmt) {
  const int lsb = weight_lsb_bits(fmt);
  if (lsb >= 8) return 0;  // no magnitude bits left (0 weight bits, or 1 mixed bit)
  return 255 & ~((1 << lsb) - 1);
}

std::optional<QuantizedWeight> quantize_weight(double w, const SynapseFormat& fmt,
                                               OutOfRange policy) {
  if (!std::isfinite(w)) return std::nullopt;
  const int lsb = weight_lsb_bits(fmt);
  const double step = std::ldexp(1.0, lsb);
  // std::round rounds half away from zero (numpy rounds half to even; documented difference).
  const double steps = std::round(w / step);
  const double max_mag = max_weight_mantissa(fmt);
  double value = steps * step;
  QuantizedWeight q;
  const bool wrong_sign = (fmt.sign == SignMode::kExcitatory && value < 0) ||
                          (fmt.sign == SignMode::kInhibitory && value > 0);
  if (std::fabs(value) > max_mag || wrong_sign) {
    if (policy == OutOfRange::kError) return std::nullopt;
    q.saturated = true;
    if (wrong_sign) value = 0;
    value = std::fmax(-max_mag, std::fmin(max_mag, value));
  }
  q.mantissa = static_cast<std::int32_t>(value);
  return q;
}

bool mantissa_fits(std::int32_t m, const SynapseFormat& fmt) {
  if (fmt.sign == SignMode::kExcitatory && m < 0) return false;
  if (fmt.sign == SignMode::kInhibitory && m > 0) return false;
  const std::int32_t mag = m < 0 ? -m : m;
  if (mag > max_weight_mantissa(fmt)) return false;
  const int lsb = weight_lsb_bits(fmt);
  if (lsb >= 8) return mag == 0;
  return (mag & ((1 << lsb) - 1)) == 0;
}

std::int32_t effective_weight(std::int32_t mantissa, int weight_exp) {
  return static_cast<std::int32_t>(shift_floor(mantissa, kWeightShift + weight_exp));
}

std::int64_t synapse_list_bits(const SynapseFormat& fmt, std::int64_t n_synapses) {
  const std::int64_t per_synapse =
      fmt.weight_bits + fmt.delay_bits + fmt.tag_bits + (fmt.dense() ? 0 : fmt.index_bits);
  std::int64_t bits = 0;
  for (std::int64_t first = 0; first < n_synapses; first += kSynapsesPerBlock) {
    const std::int64_t n = std::min<std::int64_t>(kSynapsesPerBlock, n_synapses - first);
    const std::int64_t block = n * per_synapse + kSynapseBlockHeaderBits;
    bits += (block + 63) / 64 * 64;
  }
  return bits;
}

}  // namespace loihisim::core
