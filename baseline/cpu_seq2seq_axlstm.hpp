// AxLSTM on the CPU baseline's sequence-to-sequence model (methods.md C; docs/baseline.md "The
// sequence-to-sequence model"): DTS on every layer (CpuSeq2Seq::set_dts) and Dynamic State
// Reduction: the cells of each layer ordered by importance once per model, and per string only
// the first k of every layer evaluated, k from the source's length (the complexity of a sorting
// problem) or fixed.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <vector>

#include "baseline/cpu_axlstm.hpp"
#include "baseline/cpu_seq2seq.hpp"
#include "formats/seq2seq_weights.hpp"
#include "models/seq2seq_reduction.hpp"

namespace loihisim {

using models::restrict_seq2seq;
using models::seq2seq_dsr_cells;
using models::seq2seq_importance_order;

// The reduced model: per string k cells of every layer (DSR), DTS on each restricted model.
class AxSeq2Seq {
 public:
  AxSeq2Seq(const Seq2SeqWeights& w, CpuImplementation impl, const AxlstmOptions& o);
  // Builds (untimed) the restricted model this string needs.
  void prepare(std::span<const int> source);
  const std::vector<int>& infer(std::span<const int> source);
  // Counting (adds to counts), the complexity measure's operations included.
  const std::vector<int>& infer_counted(std::span<const int> source, CpuOpCounts& counts);
  int last_layer_steps() const { return layer_steps_; }
  int last_skipped() const { return skipped_; }
  int last_cells() const { return cells_; }
  int last_encoder_layer_steps() const { return encoder_layer_steps_; }
  int last_encoder_skipped() const { return encoder_skipped_; }

 private:
  struct Restricted {
    Seq2SeqWeights w;
    std::unique_ptr<CpuSeq2Seq> net;
  };
  CpuSeq2Seq& network(int k);
  const std::vector<int>& finish(CpuSeq2Seq& net, const std::vector<int>& out);

  const Seq2SeqWeights* w_;
  CpuImplementation impl_;
  AxlstmOptions opt_;
  std::map<int, Restricted> nets_;
  int layer_steps_ = 0, skipped_ = 0, cells_ = 0, encoder_layer_steps_ = 0, encoder_skipped_ = 0;
};

}  // namespace loihisim
