// The CPU baseline's sequence-to-sequence model (issue 19, methods.md C): the stacked LSTM
// encoder-decoder of formats/seq2seq_weights.hpp run on this machine in float32 at batch size 1
// with greedy decoding, in both implementations of baseline/cpu_lstm_layer.hpp, with AxLSTM's
// DTS on every layer (docs/baseline.md "The sequence-to-sequence model").
//
// Inference (tools/seq2seq_lstm.py): the encoder runs over the source's L one-hot digits
// (layer k's input is layer k-1's h at the same step; zero initial state); the decoder starts
// from the encoder's final (h, c) of every layer, is fed BOS and then each step's argmax of the
// read-out on its top layer's h, and stops after the step that outputs EOS (class 10), at most
// 13 steps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "baseline/cpu_lstm_layer.hpp"
#include "baseline/cpu_op_counts.hpp"
#include "formats/seq2seq_weights.hpp"

namespace loihisim {

// The counts of one inference without DTS that runs `encoder_steps` source symbols and
// `decoder_steps` output steps (closed form; equal to what the instrumented straightforward
// implementation counts, which a test checks). Per decoder step: the read-out (11 x H
// multiply-accumulates, 11 bias adds), its argmax (10 compares) and the EOS test (1 compare).
CpuOpCounts count_seq2seq_ops(const Seq2SeqWeights& w, int encoder_steps, int decoder_steps);

// One network ready to run; owns its workspace (one instance per thread) and keeps a reference
// to the weights, which must outlive it.
class CpuSeq2Seq {
 public:
  CpuSeq2Seq(const Seq2SeqWeights& w, CpuImplementation impl);

  // The greedy output classes of one source string (digits 0-9), EOS included when produced.
  const std::vector<int>& infer(std::span<const int> source);
  // The straightforward implementation counting each operation (adds to `counts`); the
  // network must be kStraightforward.
  const std::vector<int>& infer_counted(std::span<const int> source, CpuOpCounts& counts);

  // DTS on every layer of both stacks (docs/baseline.md): each layer probes its own input gate
  // at every step and, when its mean is below tau, carries its (h, c) (the layer above then sees
  // the carried h). The encoder's first symbol, from the zero state, is never skipped; every
  // decoder step may be (it starts from the encoder's state), and a decoder step still reads
  // out and emits a class.
  void set_dts(double tau);
  // Of the last inference: layer-steps run (layers x steps of both stacks) and skipped, and
  // those of the encoder.
  int last_layer_steps() const { return layer_steps_; }
  int last_skipped() const { return skipped_; }
  int last_encoder_layer_steps() const { return encoder_layer_steps_; }
  int last_encoder_skipped() const { return encoder_skipped_; }

  CpuImplementation implementation() const { return impl_; }
  const Seq2SeqWeights& weights() const { return *w_; }

 private:
  template <bool kCount>
  const std::vector<int>& run(std::span<const int> source, CpuOpCounts* counts);
  template <bool kCount>
  void stack_step(std::vector<CpuLstmLayer>& stack, const float* x, bool may_skip,
                  CpuOpCounts* counts);
  template <bool kCount>
  int read_out(CpuOpCounts* counts);

  const Seq2SeqWeights* w_;
  CpuImplementation impl_;
  std::vector<CpuLstmLayer> encoder_, decoder_;
  std::vector<float> source_x_, target_x_, logits_;  // one-hot inputs, read-out
  std::vector<int> out_;
  int layer_steps_ = 0, skipped_ = 0, encoder_layer_steps_ = 0, encoder_skipped_ = 0;
};

}  // namespace loihisim
