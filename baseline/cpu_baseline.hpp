// The CPU baseline: the original (non-spiking) LSTM classifier run on this machine in float32 at
// batch size 1, in two implementations, with every arithmetic operation and memory byte of one
// inference counted (docs/baseline.md).
//
// - kStraightforward: plain loops, one dot product per gate row, in the order a textbook writes
//   the cell. Optionally instrumented: the same code counts each operation as it executes it.
// - kTuned: OpenBLAS (Debian's libopenblas-dev, one thread): one cblas_sgemv per step on the
//   concatenated matrix [W_ih | W_hh] and the vector [x; h], one for the classifier, and
//   unit-stride, branch-free cell loops the compiler vectorises.
// Both execute the same arithmetic (the same multiply-accumulates, adds, nonlinearities), so one
// set of counts describes both; they differ in how fast the machine executes it and in rounding
// (OpenBLAS sums in another order and fuses multiply-adds).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/lstm_weights.hpp"

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

// The counts of one inference of `steps` symbols, from the network's shape (closed form; equal to
// what the instrumented straightforward implementation counts, which a test checks).
CpuOpCounts count_lstm_ops(const models::LstmWeights& w, int steps);

enum class CpuImplementation { kStraightforward, kTuned };
const char* to_string(CpuImplementation impl);  // "straightforward" | "tuned"
// What the tuned implementation uses, e.g. "OpenBLAS 0.3.21 (Haswell kernels, 1 thread) sgemv".
std::string tuned_implementation_description();

// One network ready to run on the host; owns its workspace, so one instance per thread. It keeps
// a reference to the weights, which must outlive it.
class CpuLstm {
 public:
  CpuLstm(const models::LstmWeights& w, CpuImplementation impl);

  // Logits of one sequence (steps x input_size, row-major) into `logits` (size classes); returns
  // the predicted class (argmax, first maximum).
  int infer(const float* sequence, int steps, std::span<float> logits);
  // The straightforward implementation, counting each operation as it executes it (adds to
  // `counts`). Same results as infer() with kStraightforward.
  int infer_counted(const float* sequence, int steps, std::span<float> logits, CpuOpCounts& counts);

  // AxLSTM's Dynamic Timestep Skipping (docs/baseline.md "AxLSTM: DTS and DSR"): from the second
  // symbol on, the input gate (the cell's own nonlinearity) is computed first and the symbol is
  // skipped (c, h carried, the other three gates not computed) when sum_j i_j < tau H, i.e. its
  // mean is below tau. tau outside [0, 1] is an InputError naming --dts-tau.
  void set_dts(double tau);
  // Symbols the last inference skipped.
  int last_skipped() const { return skipped_; }

  CpuImplementation implementation() const { return impl_; }
  const models::LstmWeights& weights() const { return *w_; }

 private:
  template <bool kCount>
  int straightforward(const float* sequence, int steps, std::span<float> logits,
                      CpuOpCounts* counts);
  template <bool kCount>
  void gate_rows(std::size_t r0, std::size_t r1, const float* x, CpuOpCounts* counts);
  template <bool kCount>
  bool dts_probe(const float* x, CpuOpCounts* counts);
  template <bool kCount>
  void cell_update(bool probed, CpuOpCounts* counts);
  int tuned(const float* sequence, int steps, std::span<float> logits);
  bool tuned_probe();
  void check_logits(std::span<float> logits) const;

  const models::LstmWeights* w_;
  CpuImplementation impl_;
  std::vector<float> h_, c_, z_;
  std::vector<float> w_cat_;  // tuned: [W_ih | W_hh], 4H x (I + H)
  std::vector<float> xh_;     // tuned: [x; h]
  bool dts_ = false;
  float dts_threshold_ = 0.0f;  // tau H
  int skipped_ = 0;
  std::vector<float> i_;  // straightforward DTS: the probed input gate
};

}  // namespace loihisim
