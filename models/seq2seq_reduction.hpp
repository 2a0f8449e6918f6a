// Dynamic State Reduction on the sequence-to-sequence encoder-decoder (AxLSTM, methods.md C;
// docs/baseline.md "The sequence-to-sequence model"): the cells of each layer ranked once per
// model, the model restricted to the most important ones, and how many a string gets. Shared by
// the CPU baseline (baseline/cpu_seq2seq_axlstm) and the chip conversion (--method
// hybrid-seq2seq --dsr fixed:K).
#pragma once

#include <vector>

#include "formats/seq2seq_weights.hpp"
#include "models/lstm_reduction.hpp"

namespace loihisim::models {

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

}  // namespace loihisim::models
