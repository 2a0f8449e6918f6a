// AxLSTM's network reductions (methods.md C; docs/baseline.md "AxLSTM: DTS and DSR"), shared by
// the CPU baseline and the chip conversion: the DTS threshold, and Dynamic State Reduction's
// policy, cell ranking and restricted network (the full LSTM with some cells held at zero).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "models/lstm_weights.hpp"

namespace loihisim::models {

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
std::vector<int> dsr_importance_order(const LstmWeights& w);
// The network restricted to `cells` (ascending indices): an LSTM of hidden size cells.size(),
// exactly the full one with the other cells' c and h held at zero.
LstmWeights restrict_lstm(const LstmWeights& w, std::span<const int> cells);
// The k most important cells (dsr_importance_order) in ascending index order, as restrict_lstm
// takes them; all cells when k is the hidden size.
std::vector<int> most_important_cells(const LstmWeights& w, int k);
// How many cells a sequence gets: K (fixed), or KMIN + ceil(min(1, nonblank / FULL) (N - KMIN))
// with nonblank the fraction of the sequence's values > 0 (complexity); N when off.
int dsr_cells(const DsrPolicy& p, int hidden, const float* sequence, std::size_t values);

// A number in [0, 1]; anything else is an InputError naming --dts-tau and the range.
double parse_dts_tau(const std::string& text);

}  // namespace loihisim::models
