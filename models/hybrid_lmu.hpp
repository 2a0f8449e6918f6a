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

// The integers of docs/hybrid-lmu.md, "Chip semantics".
struct LmuChip {
  LmuScales scales;
  double omega = 0;
  std::vector<std::int64_t> a_int, bx_int;  // [d, d], [d, inputs]
  LmuProjection w_x, w_m, w_h;  // targets 2^K omega W_x / S_in, 2^K omega W_m / 2^Fm, 2^K W_h
  std::vector<std::int32_t> bias_mant, bias_exp;  // per hidden neuron: 2^K omega b
  std::int32_t input_max = -1;                    // crelu: omega 2^K; relu: -1 (no clip)
};

// The construction's integers for `omega` and `scales`. InputError (naming the file) when omega
// 2^K is not an integer (crelu), a projection or bias does not fit its format, or a scale is out
// of range.
LmuChip lmu_chip(const LmuWeights& w, double omega, const LmuScales& scales);

struct HybridLmu {
  mapper::Network network;
  std::vector<std::string> notes;
};

// The network: the hidden layer as one population of sigma-delta neurons (graded spikes,
// payload shift K, input clip omega 2^K), dense projections from the input port `pixel` (the
// input payloads), the input port `memory` (the host's memory payloads) and itself (the
// recurrence, one step late), the output port `payloads`, and the host nodes: the memory
// (integer_lti), the two graded encoders and the readout at the sequence end.
HybridLmu convert_hybrid_lmu(const LmuWeights& w, const LmuChip& chip);

}  // namespace loihisim::models
