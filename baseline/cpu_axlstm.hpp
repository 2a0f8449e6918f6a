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
#include "models/lstm_weights.hpp"

namespace loihisim {

struct DsrPolicy {
  enum class Kind { kOff, kFixed, kComplexity };
  Kind kind = Kind::kOff;
  int k = 0;          // fixed:K
  int k_min = 0;      // complexity:KMIN:FULL
  double full = 1.0;  // the non-blank fraction from which all N cells are evaluated
};
// "off", "fixed:K" (1 <= K <= hidden) or "complexity:KMIN:FULL" (1 <= KMIN <= hidden,
// 0 < FULL <= 1); anything else is an InputError naming --dsr and the range.
DsrPolicy parse_dsr_policy(const std::string& text, int hidden);
std::string to_string(const DsrPolicy& p);

// The cells, most important first: importance_j = sum_c |W_fc[c, j]| + sum_r |W_hh[r, j]|, the
// L1 norm of all weights through which h_j reaches anything (the classifier and the four gates
// of the next step). Ties: the lower index first.
std::vector<int> dsr_importance_order(const models::LstmWeights& w);
// The network restricted to `cells` (ascending indices): an LSTM of hidden size cells.size(),
// exactly the full one with the other cells' c and h held at zero.
models::LstmWeights restrict_lstm(const models::LstmWeights& w, std::span<const int> cells);
// How many cells a sequence gets: K (fixed), or KMIN + ceil(min(1, nonblank / FULL) (N - KMIN))
// with nonblank the fraction of the sequence's values > 0 (complexity); N when off.
int dsr_cells(const DsrPolicy& p, int hidden, const float* sequence, std::size_t values);

// A number in [0, 1]; anything else is an InputError naming --dts-tau and the range.
double parse_dts_tau(const std::string& text);

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
  std::vector<int> order_;
  std::map<int, Restricted> nets_;
  int skipped_ = 0, cells_ = 0;
};

}  // namespace loihisim
