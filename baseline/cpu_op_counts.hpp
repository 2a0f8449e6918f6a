// What the CPU baseline counts of one inference (docs/baseline.md "What is counted").
#pragma once

#include <cstdint>

namespace loihisim {

// Operations and memory traffic of one inference (one sequence, batch size 1), for the LSTM here
// and the LMU (count_lmu_ops, baseline/cpu_lmu.hpp) alike. What counts as what is defined in
// docs/baseline.md "What is counted"; in short, for the LSTM:
// - mac: multiply-accumulates of the gate layers (4H x (I + H) per step) and the classifier
//   (C x H), also the number of synaptic operations ("synops": one weight applied to one input);
// - add, mul, cmp: every other float32 operation (bias adds, cell arithmetic, the modified
//   cell's phi1/phi2/clamp as add/mul/compare, the argmax's C - 1 comparisons);
// - nonlinearity: gate and cell-output nonlinearity evaluations, 5 per hidden unit and step
//   (i, f, g, o and the one applied to c), for both cells; transcendental: how many of them are
//   sigmoid/tanh (exp-based: all of them in the standard cell, none in the modified cell, whose
//   piecewise-linear phi1/phi2 are counted as their add, mul and compares instead);
// - neuron_updates: KerasSpiking's "neuron updates" (5H per step for the LSTM, C for the
//   classifier);
// - bytes: 4 per float32. Weights (and biases) are read once per use: every step reads the
//   whole gate matrix. Activations: each operation reads each of its input vectors once and
//   writes its output once (repeated reads of the same vector within one matrix-vector product
//   hit registers / L1 and are not counted again).
// - working sets: the bytes a stream touches repeatedly, which decide the memory level an energy
//   profile charges it at (baseline/cpu_profile.hpp).
struct CpuOpCounts {
  std::uint64_t mac = 0, add = 0, mul = 0, cmp = 0;
  std::uint64_t nonlinearity = 0, transcendental = 0;
  std::uint64_t neuron_updates = 0;
  std::uint64_t weight_bytes_read = 0, activation_bytes_read = 0, activation_bytes_written = 0;
  std::uint64_t weight_working_set_bytes = 0, activation_working_set_bytes = 0;

  std::uint64_t synops() const { return mac; }
  bool operator==(const CpuOpCounts&) const = default;
};

}  // namespace loihisim
