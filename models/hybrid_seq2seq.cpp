#include "models/hybrid_seq2seq.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "io/errors.hpp"

namespace loihisim::models {
namespace {

// Layer k of a stack as the single-layer converter's input.
LstmWeights layer_weights(const Seq2SeqWeights& w, bool decoder, int k) {
  const Seq2SeqLayer& l = (decoder ? w.decoder : w.encoder)[static_cast<std::size_t>(k)];
  LstmWeights out;
  out.file = fmt::format("{}: {} layer {}", w.file, decoder ? "decoder" : "encoder", k);
  out.cell = LstmCell::kModified;
  out.input_size = l.input_size;
  out.hidden_size = w.hidden;
  out.w_ih = l.w_ih;
  out.w_hh = l.w_hh;
  out.bias = l.bias;
  return out;
}

mapper::HostArray array_of(std::vector<std::uint64_t> shape, const std::vector<float>& v) {
  return {std::move(shape), std::vector<double>(v.begin(), v.end())};
}

// The host node: what it reads (the symbol, every gate's counts), drives (every input port and,
// through their biases, every gate population) and holds (biases, read-out, decoding limits).
mapper::HostNode greedy_node(const Seq2SeqWeights& w, const HybridLstmOptions& opt, int max_steps) {
  mapper::HostNode n;
  n.name = kSeq2SeqNodeName;
  n.kind = kSeq2SeqNodeKind;
  n.inputs.push_back(mapper::kSymbolValue);
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < w.layers; ++k) {
      const std::string p = seq2seq_layer_prefix(d == 1, k);
      for (const char* c : {"i", "f", "o", "g_pos", "g_neg"}) n.inputs.push_back(p + "counts_" + c);
      for (const char* sfx : {"", "_probe"}) {
        if (*sfx && !opt.dts_probe) continue;
        for (const char* port : {"x", "x_neg", "h_pos", "h_neg"})
          if (k > 0 || std::string(port) != "x_neg") n.outputs.push_back(p + port + sfx);
      }
      for (const char* g : kGatePopulations) n.outputs.push_back(p + g);
    }
  n.outputs.push_back("classes");
  n.params = {{"layers", std::to_string(w.layers)},
              {"hidden", std::to_string(w.hidden)},
              {"source_vocabulary", std::to_string(w.source_vocabulary)},
              {"target_vocabulary", std::to_string(w.target_vocabulary)},
              {"classes", std::to_string(w.classes)},
              {"bos", std::to_string(w.target_vocabulary - 1)},
              {"eos", std::to_string(w.classes - 1)},
              {"max_steps", std::to_string(max_steps)},
              {"scale", "2048"},
              {"start", opt.generator_half_start ? "1024" : "0"},
              {"bias_exp", "6"}};
  const auto C = static_cast<std::uint64_t>(w.classes), H = static_cast<std::uint64_t>(w.hidden);
  n.arrays["fc_weight"] = array_of({C, H}, w.fc_weight);
  n.arrays["fc_bias"] = array_of({C}, w.fc_bias);
  return n;
}

// Adds one layer's quantisation to the stack's: counts and clipped values add up, the largest
// error stands.
void accumulate(HybridQuantisation& total, const HybridQuantisation& layer) {
  total.count += layer.count;
  total.clipped += layer.clipped;
  total.max_abs_error = std::max(total.max_abs_error, layer.max_abs_error);
}

}  // namespace

std::string seq2seq_layer_prefix(bool decoder, int layer) {
  return fmt::format("{}{}_", decoder ? "dec" : "enc", layer);
}

HybridLstm convert_hybrid_seq2seq(const Seq2SeqWeights& w, const HybridLstmOptions& options,
                                  int max_steps) {
  if (!w.modified)
    throw InputError(w.file +
                     ": the hybrid conversion needs the modified cell (phi1/phi2 gates, clamped "
                     "cell, methods.md A; tools/train_lstm.py --task sort-digits --cell "
                     "modified); this file holds a standard LSTM");
  HybridLstm out;
  out.network.name = "hybrid_seq2seq";
  mapper::HostNode node = greedy_node(w, options, max_steps);
  HybridQuantisation weights{"weights (W_int vs 256 w)", 0, 0, 0};
  HybridQuantisation biases{"gate biases (mantissa vs the methods' real bias)", 0, 0, 0};
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < w.layers; ++k) {
      HybridLstmOptions o = options;
      o.signed_input = k > 0;  // layer 0: a one-hot token; above: the signed h below
      const std::string p = seq2seq_layer_prefix(d == 1, k);
      const HybridGateLayer layer =
          add_hybrid_gate_layer(layer_weights(w, d == 1, k), o, p, out.network);
      std::vector<float> b(layer.biases.begin(), layer.biases.end());
      node.arrays[p + "biases"] = array_of({5, static_cast<std::uint64_t>(w.hidden)}, b);
      accumulate(weights, layer.quantisation[0]);
      accumulate(biases, layer.quantisation[1]);
    }
  out.network.add_host_node(std::move(node));
  out.network.check_host_references();
  out.quantisation = {weights, biases};
  out.notes.push_back(fmt::format(
      "{} + {} layers of {} cells: gates on the chip (biases written by the host per phase), "
      "cells, read-out and greedy decoding (at most {} tokens) on the host",
      w.layers, w.layers, w.hidden, max_steps));
  return out;
}

}  // namespace loihisim::models
