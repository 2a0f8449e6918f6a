#include "models/hybrid_lstm.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "io/errors.hpp"
#include "io/text_output.hpp"

namespace loihisim::models {
namespace {

// Hardware units per unit of the methods' integers: a synapse of mantissa W_int at weight_exp 0
// adds 64 W_int; thresholds are vth_mant x 64; biases are mantissas at exponent 6.
constexpr int kBiasExp = 6;
constexpr int kThresholdSigmoid = 1024;  // i, f, o: rate = clip((z + 2) / 4, 0, 1)
constexpr int kThresholdTanh = 512;      // g (each half of the signed neuron): rate = z / 2
// The spike generator's accumulator scale (methods.md A.1).
constexpr int kGeneratorScale = 2048;

// Two-compartment soma (docs/hybrid-lstm.md): u = v_dendrite (the join; no synapses, decay_u
// 4095), bias -64 vth, threshold 0, decay_v 4095, vmin -4095. Between spikes v is in [-4095, 0]
// (it did not fire; the clip) and after one it is 0, so the decayed v, trunc(v / 4096), is
// exactly 0 every step: v_soma = max(v_dendrite - 64 vth, -4095), and the soma fires (v > 0)
// exactly when v_dendrite > 64 vth, whatever v_dendrite's value.
constexpr int kSomaVminExp = 12;  // vmin = -(2^12 - 1) = -4095
constexpr int kSomaBiasExp = 7;   // bias = -(vth / 2) x 2^7 = -64 vth
// Dendrites and single-compartment gates clip v at -(2^22 - 1), so that the soma's
// u + bias = v_dendrite - 64 vth stays inside 23 bits + sign (a dendrite at the register's own
// floor -(2^23 - 1) would wrap it to a large positive value: a spurious spike). Native gates clip
// at the same level, so both realisations are the same neuron.
constexpr int kGateVminExp = 22;
// ... and above at 2^21 - 1 (vmax_exp 6): a gate driven above one spike per step stores the
// excess, and a dendrite reaching its own threshold (131071 x 64 = 8,388,544, the largest
// there is) would fire and reset to zero. Below it, the dendrite never fires.
constexpr int kGateVmaxExp = 6;

// The weight exponent that makes mantissa 128 worth `threshold` methods' units (x 64):
// 128 x 2^(6 + e) = 64 threshold, i.e. 2^(e + 7) = threshold.
int feedback_exp(int threshold) {
  for (int e = -core::kMaxWeightExp; e <= core::kMaxWeightExp; ++e)
    if ((1 << (e + 7)) == threshold) return e;
  throw std::logic_error("no weight exponent for threshold " + std::to_string(threshold));
}

// lround rounds halves away from 0. Its argument is first limited to +-2^30, far outside every
// mantissa range the callers check, so that a weight of 1e30 in a file is a range error rather
// than an unrepresentable lround (and int) result; every in-range value rounds unchanged.
long round_half_away(double x) {
  constexpr double kLimit = 1073741824.0;  // 2^30
  return std::lround(std::clamp(x, -kLimit, kLimit));
}

}  // namespace

const char* to_string(GateNeuron n) {
  switch (n) {
    case GateNeuron::kNative:
      return "native";
    case GateNeuron::kTwoCompartment:
      return "two-compartment";
    case GateNeuron::kHardReset:
      return "hard-reset";
  }
  return "?";
}

GateNeuron gate_neuron_from_string(const std::string& s) {
  if (s == "native") return GateNeuron::kNative;
  if (s == "two-compartment") return GateNeuron::kTwoCompartment;
  if (s == "hard-reset") return GateNeuron::kHardReset;
  throw InputError("unknown gate neuron '" + s + "' (native, two-compartment, hard-reset)");
}

int hybrid_weight(float w) {
  const long k = 2 * round_half_away(128.0 * static_cast<double>(w));
  return static_cast<int>(std::clamp(k, -254L, 254L));
}

int hybrid_bias_sigmoid(float b) {
  return 512 + static_cast<int>(round_half_away(256.0 * static_cast<double>(b)));
}

int hybrid_bias_tanh(float b) {
  return static_cast<int>(round_half_away(256.0 * static_cast<double>(b)));
}

namespace {

struct Builder {
  const LstmWeights& w;
  const HybridLstmOptions& opt;
  HybridLstm out;
  HybridQuantisation weights{"weights (W_int vs 256 w)", 0, 0, 0};
  HybridQuantisation biases{"gate biases (mantissa vs the methods' real bias)", 0, 0, 0};
  // Every port, population and output port name starts with it (a layer of a stack).
  std::string pfx{};
  // The gate biases are written by the host before each phase (docs/hybrid-lstm.md,
  // "Encoder-decoder on the chip"): the image holds 0 (silent after every reset) and
  // bias_table the mantissas, populations in the order add_gates makes them.
  bool host_biases = false;
  std::vector<std::int32_t> bias_table{};

  const int H = w.hidden_size;
  const int I = w.input_size;

  // Gate k's rows of the stacked matrices (gate order i, f, g, o).
  std::size_t row(int gate, int unit) const {
    return static_cast<std::size_t>(gate) * static_cast<std::size_t>(H) +
           static_cast<std::size_t>(unit);
  }

  mapper::Population population(const std::string& name, int threshold,
                                std::vector<std::int32_t> bias) {
    if (host_biases) {
      bias_table.insert(bias_table.end(), bias.begin(), bias.end());
      std::fill(bias.begin(), bias.end(), 0);
    }
    mapper::Population p;
    p.name = name;
    p.size = H;
    core::CompartmentProfile integrator;  // perfect integrator: u = this step's input
    integrator.decay_u = core::kMaxDecay;
    integrator.decay_v = 0;
    integrator.vmin_exp = kGateVminExp;
    integrator.vmax_exp = kGateVmaxExp;
    const std::vector<std::int32_t> exp6(static_cast<std::size_t>(H), kBiasExp);
    if (opt.neuron == GateNeuron::kTwoCompartment) {
      mapper::Dendrite d;
      d.profile = integrator;
      d.profile.vth_mant = core::kMaxVthMant;  // above vmax: never reached
      d.bias_mant = bias;
      d.bias_exp = exp6;
      p.dendrite = std::move(d);
      p.profile.decay_u = core::kMaxDecay;
      p.profile.decay_v = core::kMaxDecay;
      p.profile.vth_mant = 0;
      p.profile.vmin_exp = kSomaVminExp;
      p.bias_mant.assign(static_cast<std::size_t>(H), -threshold / 2);
      p.bias_exp.assign(static_cast<std::size_t>(H), kSomaBiasExp);
    } else {
      p.profile = integrator;
      p.profile.vth_mant = threshold;
      p.profile.reset =
          opt.neuron == GateNeuron::kNative ? core::ResetMode::kSubtract : core::ResetMode::kZero;
      p.bias_mant = bias;
      p.bias_exp = exp6;
    }
    return p;
  }

  // Dense target x source mantissas: sign x W_int of the gate's rows of `m` (rows x cols).
  mapper::Projection dense(const std::string& name, const std::string& source,
                           const std::string& target, const std::vector<float>& m, int cols,
                           int gate, int sign, bool count) {
    mapper::Projection p;
    p.name = name;
    p.source = source;
    p.target = target;
    p.format.weight_bits = 8;
    p.format.sign = core::SignMode::kMixed;
    p.format.weight_exp = 0;
    p.rate = 0.5;  // traffic estimate for placement only
    p.weight.resize(static_cast<std::size_t>(H) * static_cast<std::size_t>(cols));
    for (int u = 0; u < H; ++u)
      for (int j = 0; j < cols; ++j) {
        const float x =
            m[row(gate, u) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(j)];
        const int q = hybrid_weight(x);
        p.weight[static_cast<std::size_t>(u) * static_cast<std::size_t>(cols) +
                 static_cast<std::size_t>(j)] = static_cast<std::int16_t>(sign * q);
        if (count) {
          ++weights.count;
          const double ideal = 256.0 * static_cast<double>(x);
          if (std::fabs(ideal) > 254.0)
            ++weights.clipped;
          else
            weights.max_abs_error = std::max(weights.max_abs_error, std::fabs(q - ideal));
        }
      }
    return p;
  }

  // One-to-one synapses from `source` neuron k to `target` neuron k worth sign x threshold.
  mapper::Projection one_to_one(const std::string& name, const std::string& source,
                                const std::string& target, int threshold, int sign) const {
    mapper::Projection p;
    p.name = name;
    p.source = source;
    p.target = target;
    p.dense = false;
    p.format.weight_bits = 8;
    p.format.sign = sign < 0 ? core::SignMode::kInhibitory : core::SignMode::kExcitatory;
    p.format.weight_exp = feedback_exp(threshold);
    p.rate = 0.25;
    for (int k = 0; k < H; ++k) {
      p.pre.push_back(k);
      p.post.push_back(k);
      p.weight.push_back(static_cast<std::int16_t>(sign * 128));
    }
    return p;
  }

  std::vector<std::int32_t> gate_biases(int gate, bool sigmoid, int sign) {
    std::vector<std::int32_t> b(static_cast<std::size_t>(H));
    for (int u = 0; u < H; ++u) {
      const float x = w.bias[row(gate, u)];
      const int shift =
          sigmoid && opt.bias_shift
              ? static_cast<int>(round_half_away(kThresholdSigmoid / (2.0 * opt.steps)))
              : 0;
      const int m = sign * (sigmoid ? hybrid_bias_sigmoid(x) + shift : hybrid_bias_tanh(x));
      if (std::abs(m) > core::kMaxBiasMant)
        throw InputError(fmt::format(
            "{}: gate {} unit {}: bias {} gives the mantissa {:.6g}, outside -4095..4095 (|b| "
            "must stay within about 14 for the i/f/o gates and 16 for g)",
            w.file, "ifgo"[gate], u, x,
            sign * ((sigmoid ? 512.0 + shift : 0.0) + 256.0 * static_cast<double>(x))));
      b[static_cast<std::size_t>(u)] = m;
      if (sign > 0) {
        ++biases.count;
        const double ideal = (sigmoid ? 512.0 + shift : 0.0) + 256.0 * static_cast<double>(x);
        biases.max_abs_error = std::max(biases.max_abs_error, std::fabs(m - ideal));
      }
    }
    return b;
  }

  void build() {
    if (w.cell != LstmCell::kModified)
      throw InputError(fmt::format(
          "{}: the hybrid conversion needs the modified cell (phi1/phi2 gates, clamped cell, "
          "methods.md A), whose transfer functions the IF neurons reproduce; this file holds a "
          "{} LSTM",
          w.file, to_string(w.cell)));
    if (opt.bias_shift && opt.steps < 1)
      throw std::logic_error("the half-step bias shift needs T (HybridLstmOptions::steps)");
    add_ports();
    add_gates();
    add_host_nodes();
    out.quantisation = {weights, biases};
    out.notes.push_back(neuron_note());
  }

  void add_ports() {
    mapper::Network& net = out.network;
    net.add_input_port({pfx + "x", I});
    if (opt.signed_input) net.add_input_port({pfx + "x_neg", I});
    net.add_input_port({pfx + "h_pos", H});
    net.add_input_port({pfx + "h_neg", H});
    if (opt.dts_probe) {
      net.add_input_port({pfx + "x_probe", I});
      if (opt.signed_input) net.add_input_port({pfx + "x_neg_probe", I});
      net.add_input_port({pfx + "h_pos_probe", H});
      net.add_input_port({pfx + "h_neg_probe", H});
    }
  }

  struct Gate {
    std::string name;
    int gate;  // row block
    int threshold;
    bool sigmoid;
    int sign;  // +1, or -1 for the negative half of g
  };

  // The gate populations, their input and (two-compartment) reset projections, the mirror
  // between the halves of g, and one output port per gate.
  void add_gates() {
    mapper::Network& net = out.network;
    const Gate gates[] = {{"gate_i", 0, kThresholdSigmoid, true, 1},
                          {"gate_f", 1, kThresholdSigmoid, true, 1},
                          {"gate_o", 3, kThresholdSigmoid, true, 1},
                          {"gate_g_pos", 2, kThresholdTanh, false, 1},
                          {"gate_g_neg", 2, kThresholdTanh, false, -1}};
    for (const Gate& g : gates)
      net.add_population(
          population(pfx + g.name, g.threshold, gate_biases(g.gate, g.sigmoid, g.sign)));
    for (const Gate& gate : gates) {
      Gate g = gate;
      g.name = pfx + gate.name;
      const bool count = g.sign > 0;  // count each weight once (g_neg repeats g_pos negated)
      // With the DTS probe the input gate reads its own copies of the input ports.
      const std::string sfx = opt.dts_probe && g.gate == 0 ? "_probe" : "";
      net.add_projection(
          dense(pfx + "x_" + gate.name, pfx + "x" + sfx, g.name, w.w_ih, I, g.gate, g.sign, count));
      if (opt.signed_input)
        net.add_projection(dense(pfx + "xn_" + gate.name, pfx + "x_neg" + sfx, g.name, w.w_ih, I,
                                 g.gate, -g.sign, false));
      net.add_projection(dense(pfx + "h_" + gate.name, pfx + "h_pos" + sfx, g.name, w.w_hh, H,
                               g.gate, g.sign, count));
      net.add_projection(dense(pfx + "hn_" + gate.name, pfx + "h_neg" + sfx, g.name, w.w_hh, H,
                               g.gate, -g.sign, false));
      if (opt.neuron == GateNeuron::kTwoCompartment)
        net.add_projection(one_to_one(pfx + "reset_" + gate.name, g.name, g.name, g.threshold, -1));
    }
    // The signed g neuron: each half's spike lifts the other half by the threshold, so the
    // negative half's voltage is always minus the positive half's: one membrane with thresholds
    // +-512 (docs/hybrid-lstm.md). Hard reset cannot keep that mirror: left out there.
    if (opt.neuron != GateNeuron::kHardReset) {
      net.add_projection(one_to_one(pfx + "mirror_g_pos", pfx + "gate_g_pos", pfx + "gate_g_neg",
                                    kThresholdTanh, 1));
      net.add_projection(one_to_one(pfx + "mirror_g_neg", pfx + "gate_g_neg", pfx + "gate_g_pos",
                                    kThresholdTanh, 1));
    }
    for (const Gate& g : gates)
      net.add_output_port({pfx + "counts_" + g.name.substr(5), pfx + g.name});
  }

  static mapper::HostNode host_node(std::string name, std::string kind, std::vector<std::string> in,
                                    std::vector<std::string> outs) {
    mapper::HostNode h;
    h.name = std::move(name);
    h.kind = std::move(kind);
    h.inputs = std::move(in);
    h.outputs = std::move(outs);
    return h;
  }

  // The host's part: encoders of x and h, gate rates from spike counts, the cell update and
  // the classifier at the end of the sequence.
  void add_host_nodes() {
    mapper::Network& net = out.network;
    auto enc_x = host_node(
        "encode_x", "encode", {mapper::kSymbolValue},
        opt.signed_input ? std::vector<std::string>{"x", "x_neg"} : std::vector<std::string>{"x"});
    auto enc_h = host_node("encode_h", "encode", {"hidden"}, {"h_pos", "h_neg"});
    std::vector<mapper::HostNode> encoders{enc_x, enc_h};
    if (opt.dts_probe)  // the same generators into the input gate's own ports
      for (std::size_t k = 0; k < 2; ++k) {
        mapper::HostNode probe = encoders[k];
        probe.name = kDtsProbeEncoders[k];
        for (auto& port : probe.outputs) port += "_probe";
        encoders.push_back(std::move(probe));
      }
    for (auto& e : encoders) {
      e.params["encoder"] = "signed_accumulator";
      e.params["scale"] = std::to_string(kGeneratorScale);
      if (opt.generator_half_start) e.params["start"] = std::to_string(kGeneratorScale / 2);
      net.add_host_node(e);
    }
    net.add_host_node(host_node("rate_i", "rate", {"counts_i"}, {"i"}));
    net.add_host_node(host_node("rate_f", "rate", {"counts_f"}, {"f"}));
    net.add_host_node(host_node("rate_g", "rate", {"counts_g_pos", "counts_g_neg"}, {"g"}));
    net.add_host_node(host_node("rate_o", "rate", {"counts_o"}, {"o"}));
    auto cell = host_node("cell", "lstm_cell", {"i", "f", "g", "o", "c"}, {"hidden", "c"});
    cell.params["cell"] = "hybrid";
    net.add_host_node(cell);
    auto fc = host_node("classifier", "linear", {"hidden"}, {"logits"});
    fc.params["when"] = "sequence_end";
    const auto C = static_cast<std::uint64_t>(w.classes);
    fc.arrays["weight"] = {{C, static_cast<std::uint64_t>(H)},
                           std::vector<double>(w.fc_weight.begin(), w.fc_weight.end())};
    fc.arrays["bias"] = {{C}, std::vector<double>(w.fc_bias.begin(), w.fc_bias.end())};
    net.add_host_node(fc);
    net.check_host_references();
  }

  std::string neuron_note() const {
    switch (opt.neuron) {
      case GateNeuron::kNative:
        return "gate neurons: one compartment each with reset by subtraction (native)";
      case GateNeuron::kTwoCompartment:
        return "gate neurons: two compartments each (Loihi 1): an integrating dendrite that the "
               "soma's spike lowers by the threshold one step later, and a soma that reads it "
               "through an ADD join; fires exactly when the ideal soft-reset IF neuron does";
      case GateNeuron::kHardReset:
        break;
    }
    return "gate neurons: one compartment each with Loihi 1's reset to zero: the residual "
           "above threshold is lost at every spike (rates below the ideal IF's)";
  }
};

}  // namespace

HybridGateLayer add_hybrid_gate_layer(const LstmWeights& w, const HybridLstmOptions& options,
                                      const std::string& prefix, mapper::Network& net) {
  Builder b{w, options, {}};
  b.pfx = prefix;
  b.host_biases = true;
  b.out.network = std::move(net);
  b.add_ports();
  b.add_gates();
  net = std::move(b.out.network);
  return {std::move(b.bias_table), {b.weights, b.biases}};
}

HybridLstm convert_hybrid_lstm(const LstmWeights& w, const HybridLstmOptions& options) {
  Builder b{w, options, {}};
  b.out.network.name = "hybrid_lstm";
  b.build();
  return std::move(b.out);
}

}  // namespace loihisim::models
