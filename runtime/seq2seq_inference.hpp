// Greedy decoding of the hybrid encoder-decoder (models/hybrid_seq2seq.hpp) on a simulated chip:
// the runtime of a network whose host node is of kind seq2seq_greedy (docs/hybrid-lstm.md,
// "Encoder-decoder on the chip").
//
// Schedule: a phase is T chip steps after a chip-state reset; the host writes the biases of the
// phase's active layers (the image holds 0: every other layer is silent), starts their spike
// generators on [x ; h_prev], runs the T steps, reads the active layers' spike counts back and
// updates their cells. The encoder runs as a skewed pipeline: in phase p layer k takes source
// symbol p - k, so all layers work in the same T steps and L + K - 1 phases cover L symbols of
// K layers (layer k reads layer k - 1's h of the same symbol, made in phase p - 1; the result
// is exactly the sequential model's). The decoder cannot pipeline (each token is the argmax of
// the previous one's top layer): per output token, one phase per layer, bottom up, then the
// read-out and argmax on the host; decoding stops at EOS or after max_steps tokens. The
// decoder's layers start from the encoder's final (h, c).
//
// Timestep skipping (options.dts, a model converted with --dts-tau; the CPU baseline's rule per
// layer): every layer-step except the encoder's first symbol first runs a probe phase in which
// only the input gates of the probed layers have biases and input (their own ports); the host
// reads their counts and a layer whose mean rate count / (H T) is below tau carries its (h, c)
// (the layer above then reads the carried h). The kept layers then run a main phase: the other
// four gates, on the same inputs; the probe's input-gate counts stand. With a shorter probe
// (options.dts.probe_steps = P < T) the probe phase runs P steps with the probed layers alone
// (mean rate count / (H P)), and the kept layers then run every gate for T steps, in one phase
// with the layers that run in full.
//
// Results are per string (SampleResult): output = the greedy classes (-1 after the last),
// tokens / correct_tokens as formats/sort_digits_task.hpp scores them, label 1 and prediction 1
// when the string is exactly right (so the run report's accuracy is the exact accuracy).
// Deterministic for any thread count, as run_inferences.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "formats/sort_digits_task.hpp"
#include "mapper/mapped_image.hpp"
#include "runtime/encoders.hpp"
#include "runtime/inference.hpp"

namespace loihisim {

// Where one layer of a stack lives in the image.
struct Seq2SeqLayerSites {
  std::string prefix;  // "enc0_", "dec1_", ...
  int input_size = 0;
  std::vector<int> x_ports;  // input ports: x [, x_neg]
  int h_pos = -1, h_neg = -1;
  // The DTS probe's copies of them, which alone feed the input gate (empty / -1 without).
  std::vector<int> x_probe_ports;
  int h_pos_probe = -1, h_neg_probe = -1;
  bool has_probe() const { return h_pos_probe >= 0; }
  std::array<int, 5> counts{};       // output ports, in models::kGatePopulations order
  std::array<int, 5> populations{};  // image populations, same order
  std::vector<std::int32_t> biases;  // 5 x H mantissas at bias_exp, same order
};

// The seq2seq_greedy host node, resolved against the image.
struct Seq2SeqProgram {
  int layers = 0, hidden = 0, source_vocabulary = 0, target_vocabulary = 0, classes = 0;
  int bos = 0, eos = 0, max_steps = 0, bias_exp = 6;
  EncoderConfig generator;
  std::vector<Seq2SeqLayerSites> encoder, decoder;
  std::vector<double> fc_weight, fc_bias;  // as read (represented in the host format per run)
};

// True when the image's host nodes are one node of kind seq2seq_greedy.
bool is_seq2seq_image(const mapper::MappedImage& image);
// Throws InputError naming the node, the parameter or port and the problem.
Seq2SeqProgram seq2seq_program(const mapper::MappedImage& image);

// Runs the strings (options.samples: the first N; 0: all). Uses T, input timing, host format
// and costs, threads and samples of `options`; reset must be per symbol (a phase), no DTS.
InferenceRun run_seq2seq(const mapper::MappedImage& image, const core::Architecture& arch,
                         const std::vector<DigitString>& strings, const InferenceOptions& options,
                         const std::atomic<bool>* cancel = nullptr,
                         const std::function<void(std::uint64_t)>& progress = {});

}  // namespace loihisim
