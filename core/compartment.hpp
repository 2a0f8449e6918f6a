// Compartment profiles and per-compartment configuration (loihi.md section 2).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/enum_names.hpp"

namespace loihisim::core {

// What happens to v when a compartment spikes.
enum class ResetMode : std::uint8_t {
  kZero,      // Loihi 1: v = 0 (the default; the only behaviour Loihi 1 has)
  kSubtract,  // Loihi 2 programmable neuron: v = v - vth (keeps the residual above threshold)
};
inline constexpr std::array<EnumName<ResetMode>, 2> kResetModeNames = {
    {{ResetMode::kZero, "zero"}, {ResetMode::kSubtract, "subtract"}}};

// What a spike carries.
enum class SpikeKind : std::uint8_t {
  kBinary,  // Loihi 1: a spike is an event; each synapse adds its effective weight
  kGraded,  // Loihi 2: the spike carries an integer payload that multiplies the weight
};
inline constexpr std::array<EnumName<SpikeKind>, 2> kSpikeKindNames = {
    {{SpikeKind::kBinary, "binary"}, {SpikeKind::kGraded, "graded"}}};

// How a compartment turns its input into spikes (docs/core.md).
enum class NeuronModel : std::uint8_t {
  kCuba,        // Loihi 1's current-based leaky integrate-and-fire (the default)
  kSigmaDelta,  // a first-order sigma-delta quantiser of the rectified input u + bias, whose
                // output is a graded spike (docs/core.md, "Sigma-delta neurons")
};
inline constexpr std::array<EnumName<NeuronModel>, 2> kNeuronModelNames = {
    {{NeuronModel::kCuba, "cuba"}, {NeuronModel::kSigmaDelta, "sigma_delta"}}};

// A compartment profile: the shared dynamics of a group of compartments. Loihi 1 keeps up to
// 32 of these per core (plus up to 8 distinct thresholds, checked by the core's limits).
struct CompartmentProfile {
  int decay_u = 0;            // 0..4095, units of 1/4096; u decays by (decay_u + 1) / 4096
  int decay_v = 0;            // 0..4095, units of 1/4096
  std::int32_t vth_mant = 0;  // 0..2^17 - 1; vth = vth_mant * 2^6
  int refract_delay = 1;      // 1..63 steps
  int vmin_exp = 31;          // 0..31: vmin = -(2^vmin_exp - 1)
  int vmax_exp = 7;           // 0..7: vmax = 2^(9 + 2 vmax_exp) - 1
  ResetMode reset = ResetMode::kZero;
  SpikeKind spike = SpikeKind::kBinary;
  // Graded spikes only: payload = v (before reset) arithmetically shifted right by this many
  // bits (floor), then required to fit 23 bits + sign. 0..23.
  int payload_shift = 0;
  NeuronModel neuron = NeuronModel::kCuba;
  // Sigma-delta only: the rectified input is clipped to [0, input_max]; -1: no upper clip (relu).
  // -1 or 0..2^23 - 1.
  std::int32_t input_max = -1;

  friend bool operator==(const CompartmentProfile&, const CompartmentProfile&) = default;
};

// How a compartment feeds its parent in a multi-compartment neuron (Loihi 1 dendritic trees
// whose compartments are updated in index order, children before parents).
enum class JoinOp : std::uint8_t {
  kNone,  // no parent: an ordinary compartment, or the root of a tree (the default)
  kAdd,   // its voltage v of this step enters the parent's current: the parent's u =
          // wrap23(decayed u + q + sum over its children of wrap23(v_child)). Our choice of where
          // the children's values enter; the exact Loihi 1 datapath of a join is not public
          // (docs/core.md, "Joins").
};

// One compartment's own configuration: which profile, its bias, and the parent it joins.
struct CompartmentConfig {
  int profile = 0;    // index into the core's profile table
  int bias_mant = 0;  // -4095..4095 (13-bit signed mantissa, as nengo-loihi limits it)
  int bias_exp = 0;   // 0..7; bias = bias_mant * 2^bias_exp
  JoinOp join = JoinOp::kNone;
  // With a join: the parent compartment, of the same core, with a higher index (updated later
  // in the step). A parent may have any number of children and be the child of another (trees
  // of any depth). -1 without a join.
  int join_parent = -1;

  friend bool operator==(const CompartmentConfig&, const CompartmentConfig&) = default;
};

inline constexpr int kMaxDecay = 4095;
inline constexpr std::int32_t kMaxVthMant = (1 << 17) - 1;
inline constexpr int kMaxRefractDelay = 63;
inline constexpr int kMaxBiasMant = 4095;
inline constexpr int kMaxBiasExp = 7;
inline constexpr int kMaxVminExp = 31;
inline constexpr int kMaxVmaxExp = 7;
// Sigma-delta: the largest upper clip of the rectified input (the largest u + bias, 2^23 - 1).
inline constexpr std::int32_t kMaxInputMax = (1 << 23) - 1;

}  // namespace loihisim::core
