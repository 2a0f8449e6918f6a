// Turning real-valued neuron and synapse descriptions into hardware units. Used by the network
// reader (the `neuron:` and real-weight forms of docs/network-format.md) and by converters that
// build Networks in code. Every function either gives the exact documented result or throws
// InputError naming `what` (the object), the value and the allowed range; nothing is clamped
// unless the caller asked for saturation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/compartment.hpp"
#include "core/synapse.hpp"

namespace loihisim::mapper {

// A neuron described with real numbers. Times (dt, tau_*) share one unit; real voltages
// (threshold, bias) are multiplied by `scale` to give hardware units of v (and of u).
struct RealNeuron {
  double dt = 1.0;
  // Current (u) and voltage (v) leaks, either as time constants or as the fraction lost per
  // step; at most one of each pair. Neither: no leak (decay 0; u still loses 1/4096 per step,
  // the hardware's implicit +1).
  std::optional<double> tau_u, tau_v;
  std::optional<double> decay_u, decay_v;
  double threshold = 1.0;  // real units; vth_mant = round(threshold * scale / 64)
  double scale = 64.0;     // hardware units of v per real unit
  int refractory = 1;      // steps, 1..63
  core::ResetMode reset = core::ResetMode::kZero;
  core::SpikeKind spike = core::SpikeKind::kBinary;
  int payload_shift = 0;
  int vmin_exp = 31;
  int vmax_exp = 7;
  // The neuron model; a sigma-delta neuron ignores the threshold (its quantum is
  // 2^payload_shift hardware units: scale = 2^payload_shift makes one real unit one quantum).
  core::NeuronModel neuron = core::NeuronModel::kCuba;
  // Sigma-delta only: the upper clip of the rectified input, real units (>= 0; input_max =
  // round(input_max * scale) in 0..2^23 - 1); none: no upper clip (-1).
  std::optional<double> input_max;
};

// decay_v = round(4095 (1 - exp(-dt / tau_v)));
// decay_u = round(clip(4095 (1 - exp(-dt / tau_u)) - 1, 0, 4095)) (nengo-loihi's conversions;
// the clip is the hardware floor: u always loses at least 1/4096 per step).
// Fractions: decay_v = round(4096 f_v) in 0..4095; decay_u = round(4096 f_u) - 1 in 0..4095.
core::CompartmentProfile quantize_neuron(const RealNeuron& n, const std::string& what);

struct QuantizedBias {
  int mant = 0;
  int exp = 0;
  friend bool operator==(const QuantizedBias&, const QuantizedBias&) = default;
};

// A bias in hardware units of u: the smallest exponent e in 0..7 with
// |round(b / 2^e)| <= 4095, mant = round(b / 2^e) (half away from zero). Throws when even e = 7
// cannot hold it.
QuantizedBias quantize_bias(double bias_hw, const std::string& what);

// Real weights, in units of the 8-bit mantissa after multiplying by `scale`, to stored
// mantissas with core::quantize_weight. A value that does not fit is an InputError naming
// `what` and the synapse index, unless `saturate` (then it is clipped to the largest storable
// magnitude, or 0 for the wrong sign). `dense_columns` > 0 names synapses of a dense
// (target x source) matrix as [target, source]; `saturated_count` receives how many were clipped.
std::vector<std::int16_t> quantize_weights(const std::vector<double>& w, double scale,
                                           const core::SynapseFormat& fmt, bool saturate,
                                           const std::string& what, std::int64_t dense_columns = 0,
                                           std::int64_t* saturated_count = nullptr);

}  // namespace loihisim::mapper
