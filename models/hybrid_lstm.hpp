// The hybrid analog-spiking LSTM of Ponghiran and Roy (DATE 2021; ../shared/reference/methods.md
// A): a trained modified LSTM (phi1/phi2 gates, clamped cell) becomes a network whose four gate
// layers are integrate-and-fire neurons with reset by subtraction on the chip, fed by the
// signed spike generator of [x_t ; h_(t-1)], while the host coprocessor runs the cell update and
// the classifier. Documented in docs/hybrid-lstm.md.
//
// Units. The methods' integers are kept 1:1 in hardware units times 64: a spike on a synapse of
// integer weight W_int adds 64 W_int (8-bit mixed-sign mantissa W_int, weight_exp 0), thresholds
// 1024 and 512 are vth_mant 1024 and 512, biases are mantissas at bias_exp 6.
#pragma once

#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "models/lstm_weights.hpp"

namespace loihisim::models {

// How a gate neuron with reset by subtraction is realised.
enum class GateNeuron {
  // One compartment with the programmable neuron's reset by subtraction (Loihi 2; the
  // architecture must allow reset: subtract).
  kNative,
  // Loihi 1, exact: a two-compartment neuron. The dendrite integrates (decay_u 4095, decay_v 0,
  // never fires) and receives -threshold from the soma's spike one step later; the soma reads
  // the dendrite's v through an ADD join and fires when it is above threshold
  // (docs/hybrid-lstm.md proves it fires exactly when the ideal soft-reset IF neuron does).
  kTwoCompartment,
  // Loihi 1, approximate: a single compartment with Loihi 1's reset to zero, which loses the
  // residual above threshold at every spike (for measuring what the construction buys).
  kHardReset,
};

const char* to_string(GateNeuron n);  // "native" | "two-compartment" | "hard-reset"
GateNeuron gate_neuron_from_string(const std::string& s);  // InputError for others

struct HybridLstmOptions {
  GateNeuron neuron = GateNeuron::kTwoCompartment;
  // The input x can be negative: encode it into two ports (positive, negative spikes). With
  // inputs in [0, 1] (the committed weights' input_scaling) one port suffices.
  bool signed_input = false;
  // Half-step bias shift (methods.md B): adds round(threshold / (2 T)) to the i, f, o gates'
  // biases, so that their spike counts round rather than floor the ideal T phi1(z). Off by
  // default: methods.md A does not use it. `steps` (T) is needed only with it.
  bool bias_shift = false;
  int steps = 0;
  // Where the spike generators' accumulators restart at every symbol. methods.md A says they
  // restart but not to what: half the scale (1024, our default) makes the generator emit
  // round(T |a|) spikes, an unbiased quantiser; 0 gives floor(T |a|), half a spike short on
  // average (docs/hybrid-lstm.md measures both).
  bool generator_half_start = true;
  // AxLSTM's Dynamic Timestep Skipping on the chip (docs/hybrid-lstm.md "AxLSTM on the chip"):
  // the input gate gets its own input ports (kDtsProbePorts) and encoders (kDtsProbeEncoders),
  // so that the host can run it alone first (the probe) and skip the other gates of a symbol.
  bool dts_probe = false;
};

// The DTS probe's host encoders and the output port whose counts decide (dts_probe).
inline constexpr const char* kDtsProbeEncoders[] = {"encode_x_probe", "encode_h_probe"};
inline constexpr const char* kDtsProbePort = "counts_i";

// Per-parameter quantisation summary (methods' integer units).
struct HybridQuantisation {
  std::string parameter;  // "weights" | "gate biases"
  std::size_t count = 0;
  double max_abs_error = 0;  // |quantised - ideal|, ideal = 256 w (weights) / 256 b (biases)
  std::size_t clipped = 0;   // values beyond the representable range (clipped by the method)
};

struct HybridLstm {
  mapper::Network network;
  std::vector<HybridQuantisation> quantisation;
  std::vector<std::string> notes;
};

// The methods' integer weight: clip(2 round(128 w), -254, 254) with round half away from zero
// (numpy rounds half to even: the two differ only when 128 w is an odd multiple of 1/2).
int hybrid_weight(float w);
// Bias mantissas (at bias_exp 6): 512 + round(256 b) for i, f, o; round(256 b) for g.
int hybrid_bias_sigmoid(float b);
int hybrid_bias_tanh(float b);

// Builds the network. Throws InputError naming the file when the weights are not a modified
// cell (the conversion relies on phi1/phi2) or a bias is outside the representable range.
HybridLstm convert_hybrid_lstm(const LstmWeights& w, const HybridLstmOptions& options);

// One layer's gate part into `net` (a layer of a stacked encoder-decoder, models/
// hybrid_seq2seq.hpp): its input ports, gate populations and output ports as above, every name
// starting with `prefix` ("enc0_x", "enc0_gate_i", "enc0_counts_i", ...; with dts_probe the
// input gate's own ports "enc0_x_probe", ...); no host nodes. The
// image holds the gates' biases as 0, so that a layer is silent unless the host writes its
// biases (HybridGateLayer::biases) before a phase.
inline constexpr const char* kGatePopulations[] = {"gate_i", "gate_f", "gate_o", "gate_g_pos",
                                                   "gate_g_neg"};
struct HybridGateLayer {
  // Bias mantissas at exponent 6 of the integrating compartments, population after population
  // in the order of kGatePopulations (5 x H).
  std::vector<std::int32_t> biases;
  std::vector<HybridQuantisation> quantisation;
};
HybridGateLayer add_hybrid_gate_layer(const LstmWeights& w, const HybridLstmOptions& options,
                                      const std::string& prefix, mapper::Network& net);

}  // namespace loihisim::models
