// One LSTM layer on the host, one step at a time: the kernels every CPU-baseline LSTM shares
// (CpuLstm: one layer and a classifier; CpuSeq2Seq: stacked encoder and decoder layers), in the
// two implementations of baseline/cpu_baseline.hpp (straightforward, optionally counting each
// operation; tuned: one OpenBLAS sgemv per step on [W_ih | W_hh] and [x; h]), with AxLSTM's
// Dynamic Timestep Skipping probe (docs/baseline.md "AxLSTM: DTS and DSR").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "baseline/cpu_op_counts.hpp"
#include "models/lstm_weights.hpp"

namespace loihisim {

enum class CpuImplementation { kStraightforward, kTuned };
const char* to_string(CpuImplementation impl);  // "straightforward" | "tuned"

// The weights of one layer in PyTorch's convention (gate order i, f, g, o, row-major, y = W x);
// the arrays are viewed, not copied, and must outlive the layer.
struct LstmLayerView {
  int input_size = 0, hidden_size = 0;
  models::LstmCell cell = models::LstmCell::kStandard;
  std::span<const float> w_ih;  // 4H x input_size
  std::span<const float> w_hh;  // 4H x H
  std::span<const float> bias;  // 4H
};

// One layer's state (h, c) and workspace; one instance per thread.
class CpuLstmLayer {
 public:
  // Checks the arrays' sizes (an InputError naming `file` when they do not match).
  CpuLstmLayer(const LstmLayerView& w, CpuImplementation impl, const std::string& file);

  void reset();  // h = c = 0
  // The state; the decoder starts from the encoder's (h, c), so it can be written.
  std::span<float> h();
  std::span<float> c() { return c_; }
  std::span<const float> h() const;

  // One step on input x (input_size values). With DTS on and `may_skip`, the input gate is
  // computed first and the step skipped (h, c carried) when its mean is below tau. Returns true
  // when the step was skipped. step_counted is the straightforward implementation counting
  // each operation (adds to `counts`): the same results as step() with kStraightforward.
  bool step(const float* x, bool may_skip);
  bool step_counted(const float* x, bool may_skip, CpuOpCounts& counts);

  // DTS's threshold: skip when sum_j i_j < tau H. tau outside [0, 1] is an InputError naming
  // --dts-tau.
  void set_dts(double tau);
  bool dts() const { return dts_; }

  int input_size() const { return w_.input_size; }
  int hidden_size() const { return w_.hidden_size; }
  CpuImplementation implementation() const { return impl_; }

 private:
  template <bool kCount>
  bool straightforward(const float* x, bool may_skip, CpuOpCounts* counts);
  template <bool kCount>
  void gate_rows(std::size_t r0, std::size_t r1, const float* x, CpuOpCounts* counts);
  template <bool kCount>
  bool dts_probe(const float* x, CpuOpCounts* counts);
  template <bool kCount>
  void cell_update(bool probed, CpuOpCounts* counts);
  bool tuned(const float* x, bool may_skip);
  bool tuned_probe();

  LstmLayerView w_;
  CpuImplementation impl_;
  std::vector<float> h_, c_, z_;
  std::vector<float> w_cat_;  // tuned: [W_ih | W_hh], 4H x (I + H)
  std::vector<float> xh_;     // tuned: [x; h], h living right after x
  bool dts_ = false;
  float dts_threshold_ = 0.0f;  // tau H
  std::vector<float> i_;        // straightforward DTS: the probed input gate
};

}  // namespace loihisim
