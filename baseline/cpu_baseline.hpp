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

#include "baseline/cpu_lstm_layer.hpp"
#include "baseline/cpu_op_counts.hpp"
#include "models/lstm_weights.hpp"

namespace loihisim {

// The counts of one inference of `steps` symbols, from the network's shape (closed form; equal to
// what the instrumented straightforward implementation counts, which a test checks).
CpuOpCounts count_lstm_ops(const models::LstmWeights& w, int steps);

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
  int run(const float* sequence, int steps, std::span<float> logits, CpuOpCounts* counts);
  void check_logits(std::span<float> logits) const;

  const models::LstmWeights* w_;
  CpuImplementation impl_;
  CpuLstmLayer layer_;
  int skipped_ = 0;
};

}  // namespace loihisim
