// The CPU baseline of the Legendre Memory Unit (methods.md D, docs/hybrid-lmu.md): the original,
// non-spiking LMU classifier of a tools/train_lmu.py file run on this machine in float32 at batch
// size 1, in the two implementations of the LSTM baseline (baseline/cpu_baseline.hpp), with the
// same counting conventions (docs/baseline.md, "The LMU baseline"). Per step t (h_0 = m_0 = 0;
// e_h = e_m = 0, so the memory depends on the input only):
//
//   u_t = e_x . x_t                      (I multiply-accumulates)
//   m_t = A_bar m_(t-1) + B_bar u_t      (d (d + 1): the dense zero-order-hold update)
//   z_t = W_x x_t + W_m m_t + W_h h_(t-1) + b
//   h_t = f(z_t)                         (crelu = clip(z, 0, 1) | relu | tanh)
//   logits = W_o h_T + b_o
//
// A hybrid-spiking file's quantiser is not applied: the CPU runs the float network it was
// trained from (its logits are the file's /reference/logits_float).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "baseline/cpu_baseline.hpp"
#include "formats/datasets.hpp"
#include "models/lmu_weights.hpp"

namespace loihisim {

// "crelu" | "relu" | "tanh".
const char* lmu_activation_name(models::LmuWeights::Activation a);

// The counts of one inference of `steps` symbols, from the network's shape (closed form; equal to
// what the instrumented straightforward implementation counts, which a test checks):
// - mac: T (I + d (d + 1) + H (I + d + H)) + C H (= synops);
// - add: the bias adds T H + C; mul: 0 (every product is part of a multiply-accumulate);
// - cmp: crelu 2, relu 1, tanh 0 per hidden unit and step, and the argmax's C - 1;
// - nonlinearity: T H (transcendental: T H for tanh, else 0); neuron_updates: T H + C;
// - bytes and working sets as for the LSTM: every weight read once per use, every operation
//   reading each input vector once and writing its output once.
CpuOpCounts count_lmu_ops(const models::LmuWeights& w, int steps);

// One LMU ready to run on the host, with float32 copies of the weights (the network was trained
// with A_bar and B_bar rounded to float32); owns its workspace, so one instance per thread.
class CpuLmu {
 public:
  CpuLmu(const models::LmuWeights& w, CpuImplementation impl);

  // Logits of one sequence (steps x inputs, row-major) into `logits` (size classes); returns the
  // predicted class (argmax, first maximum).
  int infer(const float* sequence, int steps, std::span<float> logits);
  // The straightforward implementation, counting each operation as it executes it (adds to
  // `counts`). Same results as infer() with kStraightforward.
  int infer_counted(const float* sequence, int steps, std::span<float> logits, CpuOpCounts& counts);

  CpuImplementation implementation() const { return impl_; }

 private:
  template <bool kCount>
  int straightforward(const float* sequence, int steps, std::span<float> logits,
                      CpuOpCounts* counts);
  template <bool kCount>
  void memory_step(const float* x, CpuOpCounts* counts);
  template <bool kCount>
  void hidden_step(const float* x, CpuOpCounts* counts);
  template <bool kCount>
  int readout(std::span<float> logits, CpuOpCounts* counts);
  int tuned(const float* sequence, int steps, std::span<float> logits);
  void check_logits(std::span<float> logits) const;

  std::string file_;
  CpuImplementation impl_;
  models::LmuWeights::Activation activation_;
  int inputs_ = 0, d_ = 0, hidden_ = 0, classes_ = 0;
  std::vector<float> e_x_, a_bar_, b_bar_, w_x_, w_m_, w_h_, bias_, w_o_, b_o_;
  std::vector<float> m_, m_next_, z_, h_;  // straightforward state; tuned: m_next_, z_
  std::vector<float> w_cat_;               // tuned: [W_x | W_m | W_h], H x (I + d + H)
  std::vector<float> xmh_;                 // tuned: [x; m; h]
};

// What a tools/train_lmu.py file stores besides the weights that the baseline uses (read by
// read_lmu_reference; absent parts stay empty / -1):
struct LmuReference {
  // /reference: the first `count` test sequences (count x steps x inputs, already in the file's
  // pixel order) and the float network's logits on them (/reference/logits_float, count x
  // classes).
  int count = 0, steps = 0;
  std::vector<float> inputs, logits;
  std::vector<std::int32_t> permutation;  // /permutation (pixel layout with a seed)
  std::string input_scaling;              // attribute input_scaling ("" when absent)
  double float_accuracy = -1;  // attribute test_accuracy_float, else test_accuracy (ANN files)
};
// Shapes that do not fit the weights or non-finite values are InputErrors naming the file and
// the object.
LmuReference read_lmu_reference(const models::LmuWeights& w);

// The dataset the network was trained on: `dataset` / `layout` ("" = the file's attributes),
// the file's input scaling, and with layout pixel its permutation_seed (psMNIST). A file whose
// stored /permutation is not pixel_permutation(784, permutation_seed) is refused (InputError):
// the baseline could not present its pixels in the trained order.
DatasetSpec lmu_dataset_spec(const models::LmuWeights& w, const LmuReference& ref,
                             const std::string& dataset, const std::string& layout,
                             const std::string& split);

}  // namespace loihisim
