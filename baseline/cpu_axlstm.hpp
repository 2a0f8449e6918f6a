// AxLSTM's two run-time knobs on the CPU baseline's LSTM (methods.md C; docs/baseline.md "AxLSTM:
// DTS and DSR"): Dynamic Timestep Skipping (CpuLstm::set_dts) and Dynamic State Reduction (here):
// the hidden cells ordered by importance once, and per sequence only the first k evaluated (the
// others kept at zero state), k from a complexity measure of the input or fixed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "baseline/cpu_baseline.hpp"
#include "models/lstm_reduction.hpp"
#include "models/lstm_weights.hpp"

namespace loihisim {

using models::dsr_cells;
using models::dsr_importance_order;
using models::DsrPolicy;
using models::parse_dsr_policy;
using models::parse_dts_tau;
using models::restrict_lstm;

struct AxlstmOptions {
  bool dts = false;
  double dts_tau = 0;
  DsrPolicy dsr;
  bool enabled() const { return dts || dsr.kind != DsrPolicy::Kind::kOff; }
};

// The reduced network: per sequence k cells (DSR), DTS on each restricted network.
class AxLstm {
 public:
  AxLstm(const models::LstmWeights& w, CpuImplementation impl, const AxlstmOptions& o);
  // Builds (untimed) the restricted network this sequence needs.
  void prepare(const float* sequence, int steps);
  int infer(const float* sequence, int steps, std::span<float> logits);
  // The straightforward implementation, counting (adds to counts), the complexity measure's
  // operations included.
  int infer_counted(const float* sequence, int steps, std::span<float> logits, CpuOpCounts& counts);
  int last_skipped() const { return skipped_; }
  int last_cells() const { return cells_; }

 private:
  struct Restricted {
    models::LstmWeights w;
    std::unique_ptr<CpuLstm> net;
  };
  CpuLstm& network(int k);

  const models::LstmWeights* w_;
  CpuImplementation impl_;
  AxlstmOptions opt_;
  std::map<int, Restricted> nets_;
  int skipped_ = 0, cells_ = 0;
};

}  // namespace loihisim
