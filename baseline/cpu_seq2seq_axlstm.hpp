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

namespace loihisim {

// The cells of layer `layer` (shared by the encoder's and the decoder's layer of that depth: the
// decoder starts from the encoder's state, so a cell is one state slot of both), most important
// first: importance_j = the L1 norm of every weight through which that slot's h_j reaches
// anything: the recurrent weights of both layers (W_hh[:, j] of encoder and decoder), the next
// layer's input weights of both (W_ih[:, j] of layer + 1), or, for the top layer, the read-out
// (fc[:, j]). Ties: the lower index first.
std::vector<int> seq2seq_importance_order(const Seq2SeqWeights& w, int layer);
// The model restricted to the k most important cells of every layer: hidden size k, exactly the
// full model with the other cells' h and c held at zero. k = hidden gives the full model.
Seq2SeqWeights restrict_seq2seq(const Seq2SeqWeights& w, int k);
// How many cells per layer a source of `length` symbols gets: K (fixed:K); KMIN +
// ceil(min(1, (length / 12) / FULL) (N - KMIN)) (complexity:KMIN:FULL, 12 the task's longest
// source); N when off.
int seq2seq_dsr_cells(const DsrPolicy& p, int hidden, int length);

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
