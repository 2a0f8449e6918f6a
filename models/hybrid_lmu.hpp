// The hybrid-spiking Legendre Memory Unit (methods.md D; docs/hybrid-lmu.md): the LMU's
// nonlinear hidden layer, quantised by a first-order sigma-delta quantiser, becomes sigma-delta
// neurons on cores whose graded spikes carry the integer payload n; the linear memory m stays
// on the host coprocessor as an exact integer linear system whose payloads enter the chip as
// graded spikes every step. Built from the float weights of a tools/train_lmu.py file by the
// integer construction of docs/hybrid-lmu.md, "Chip semantics" (tools/lmu_chip.py is the same
// construction in Python; the file's /chip_reference holds its integers, which this converter
// reproduces exactly).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "models/lmu_weights.hpp"

namespace loihisim::models {

// One projection's 8-bit mixed-sign mantissas (even, |w8| <= 254) and exponent.
struct LmuProjection {
  std::vector<std::int16_t> mant;
  int exp = 0;
};

// The Loihi 1 construction's host payload transport (docs/hybrid-lmu.md, "Loihi 1"): payloads
// as binary spikes on bit planes, plane b's synapses weighted 2^b.
struct LmuBitPlanes {
  int input = 0;     // planes of the input payloads (non-negative: positive planes only)
  int memory = 0;    // planes of the memory payloads, each sign (|M| < 2^memory)
  int base_exp = 0;  // e0: plane b of W_x and W_m has weight exponent e0 + b
};

// The integers of docs/hybrid-lmu.md, "Chip semantics".
struct LmuChip {
  LmuScales scales;
  double omega = 0;
  std::vector<std::int64_t> a_int, bx_int;  // [d, d], [d, inputs]
  LmuProjection w_x, w_m, w_h;  // targets 2^K omega W_x / S_in, 2^K omega W_m / 2^Fm, 2^K W_h
  std::vector<std::int32_t> bias_mant, bias_exp;  // per hidden neuron: 2^K omega b
  std::int32_t input_max = -1;                    // crelu: omega 2^K; relu: -1 (no clip)
  std::optional<LmuBitPlanes> planes;             // lmu_chip_binary only
};

// The construction's integers for `omega` and `scales`. InputError (naming the file) when omega
// 2^K is not an integer (crelu), a projection or bias does not fit its format, or a scale is out
// of range.
// `min_exp` (-7..7): the smallest weight exponent W_x and W_m may take (the Loihi 1 bit planes
// need -6).
LmuChip lmu_chip(const LmuWeights& w, double omega, const LmuScales& scales, int min_exp = -7);

// The Loihi 1 construction's integers (docs/hybrid-lmu.md, "Loihi 1"): binary spikes carry
// n <= 1, so the input is clipped below one quantum: crelu, omega a power of two <= 1, the clip
// omega 2^K = 2^kBinaryClipBits (K = 17 - log2 omega) and input_max = 2^17 - 1 (the rectifier
// compartment's vmax). The bit planes share one ladder of weight exponents e0, e0 + 1, ...
// (e0 >= -6, so that plane b's weight is exactly 2^b times plane 0's), which is what keeps the
// synapse formats of a core within `limits`: W_x and W_m at exponent e0, W_h on the ladder when
// it falls there, else a format of its own, and one for the reset synapse. Fm is the largest (from
// `scales`' Fh down) at which W_m needs no exponent above e0 and the memory payloads fit the
// planes: twice the largest |M| of the file's /chip_reference when it has one, else the bound
// lmu_memory_bound over `sequence_length` steps; the input scale drops to 2^P - 1
// when the formats or exponents allow only P input planes. InputError when nothing fits.
inline constexpr int kBinaryClipBits = 17;
struct LmuBinaryLimits {
  int max_input_axons = 4096;   // every hidden neuron receives one axon per plane and value
  int max_synapse_formats = 8;  // the plane ladder, W_h and the reset synapse
  int sequence_length = 0;      // steps per sequence, for lmu_memory_bound (0: none)
};

// The largest |m_i| any input in [0, 1] can drive the memory to within `length` steps from
// m = 0: max_i sum_(k < length) |(A_bar^k B_bar)_i| x max |e_x . x| (float64), plus 1 %.
double lmu_memory_bound(const LmuWeights& w, int length);
LmuChip lmu_chip_binary(const LmuWeights& w, double omega, LmuScales scales,
                        const LmuBinaryLimits& limits);

// How the hidden neurons are built: one sigma-delta compartment with graded spikes (loihi2),
// or Loihi 1's three compartments with binary spikes and bit-plane inputs (needs
// lmu_chip_binary's integers).
enum class LmuNeuron { kNative, kThreeCompartment };

struct HybridLmu {
  mapper::Network network;
  std::vector<std::string> notes;
};

// The network: the hidden layer as one population of sigma-delta neurons (graded spikes,
// payload shift K, input clip omega 2^K), dense projections from the input port `pixel` (the
// input payloads), the input port `memory` (the host's memory payloads) and itself (the
// recurrence, one step late), the output port `payloads`, and the host nodes: the memory
// (integer_lti), the two graded encoders and the readout at the sequence end.
// With kThreeCompartment: the populations `hidden` (soma), `hidden_dendrite` and
// `hidden_input` (docs/hybrid-lmu.md, "Loihi 1"), the input ports `input_b<k>` and
// `memory_b<k>` / `memory_neg_b<k>`, one projection per plane, and bit-plane encoders.
HybridLmu convert_hybrid_lmu(const LmuWeights& w, const LmuChip& chip,
                             LmuNeuron neuron = LmuNeuron::kNative);

}  // namespace loihisim::models
