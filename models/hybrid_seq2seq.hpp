// The LSTM encoder-decoder of issue 19 (formats/seq2seq_weights.hpp; AxLSTM's sequence model,
// methods.md C) as a hybrid network (methods.md A): every layer of the encoder and of the
// decoder gets the hybrid LSTM's spiking gates on the chip (models/hybrid_lstm.hpp, names
// prefixed "enc<k>_" / "dec<k>_"), and one host node of kind seq2seq_greedy holds the host's
// part: the gate biases it writes before each phase, the cells, the read-out and the greedy
// decoding loop that runtime/seq2seq_inference.hpp executes. Documented in docs/hybrid-lstm.md,
// "Encoder-decoder on the chip".
#pragma once

#include <string>
#include <vector>

#include "formats/seq2seq_weights.hpp"
#include "models/hybrid_lstm.hpp"

namespace loihisim::models {

inline constexpr const char* kSeq2SeqNodeKind = "seq2seq_greedy";
inline constexpr const char* kSeq2SeqNodeName = "greedy_decoder";

// "enc<k>_" or "dec<k>_": the names of layer k of the encoder or decoder.
std::string seq2seq_layer_prefix(bool decoder, int layer);

// Builds the network. Layer 0 of each stack reads its one-hot token (one input port, values 0
// or 1); layer k > 0 reads layer k - 1's h (signed: two ports). Throws InputError naming the
// file when the weights are not the modified cell or a bias is out of range.
// options.signed_input is set per layer; with options.dts_probe every layer's input gate gets
// its own input ports (the DTS probe, docs/hybrid-lstm.md).
HybridLstm convert_hybrid_seq2seq(const Seq2SeqWeights& w, const HybridLstmOptions& options,
                                  int max_steps);

}  // namespace loihisim::models
