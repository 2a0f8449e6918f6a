#include "models/spiking_lstm.hpp"

#include <fmt/core.h>

#include <cmath>
#include <limits>

#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models {
namespace {

std::array<int, 4> read_four(const h5::Group& g, const std::string& name, int lo, int hi) {
  const auto v = h5::read_shaped<std::int64_t>(g, name, {4});
  std::array<int, 4> out{};
  for (std::size_t x = 0; x < 4; ++x) {
    if (v[x] < lo || v[x] > hi)
      g.fail(name, fmt::format("[{}] (layer {}) = {} is outside {}..{}", x, kSpikingGateLayers[x],
                               v[x], lo, hi));
    out[x] = static_cast<int>(v[x]);
  }
  return out;
}

int read_count(const h5::Group& g, const std::string& name, int lo, int hi) {
  const auto v = g.read<std::int64_t>(name);
  if (v.size() != 1) g.fail(name, "must hold one value");
  if (v[0] < lo || v[0] > hi) g.fail(name, fmt::format("= {} is outside {}..{}", v[0], lo, hi));
  return static_cast<int>(v[0]);
}

// The construction constants the file was written for must be the ones built here.
void check_constants(const h5::Group& g) {
  const std::pair<const char*, std::int64_t> expected[] = {
      {"theta_chip", kSpikingThetaChip}, {"window", kSpikingWindow},
      {"cell_lo", kSpikingCellLo},       {"cell_hi", kSpikingCellHi},
      {"input_frac", kSpikingInputFrac}, {"bias_max", kSpikingBiasMax}};
  for (const auto& [name, value] : expected) {
    const std::int64_t got = g.int_attribute(name);
    if (got != value)
      g.fail(std::string("attribute ") + name,
             fmt::format("= {}, but loihisim builds the construction of docs/spiking-lstm.md with "
                         "{} (a file for another construction)",
                         got, value));
  }
}

std::string optional_string(const h5::Group& root, const char* name) {
  if (!root.has_attribute(name)) return {};
  const auto v = root.string_list_attribute(name);
  if (v.size() != 1) root.fail(std::string("@") + name, "expected a single string");
  return v[0];
}

// Largest |input weight| such that a row's sum over bytes 0..255 plus the replica constant
// cannot overflow int64 (the host accumulates exactly).
constexpr std::int64_t kMaxInputMagnitude = std::int64_t{1} << 40;

}  // namespace

SpikingLstmChip read_spiking_lstm(const std::string& path) {
  const h5::Group root = h5::open_file(path);
  if (!root.has("snn") || !root.open_group("snn").has("chip"))
    root.fail("snn/chip",
              "missing: not a spiking LSTM written by tools/train_lstm.py --spiking-from "
              "(docs/spiking-lstm.md)");
  const h5::Group g = root.open_group("snn").open_group("chip");
  check_constants(g);
  SpikingLstmChip w;
  w.file = path;
  w.steps = read_count(g, "steps", 1, 64);
  w.hidden = read_count(g, "hidden", 1, 1 << 16);
  const auto H = static_cast<std::uint64_t>(w.hidden);
  const auto T = static_cast<std::uint64_t>(w.steps);
  w.weight_mant = h5::read_shaped<std::int16_t>(g, "weight_mant", {4 * H, H});
  w.weight_exp = read_four(g, "weight_exp", -7, 7);
  w.decay_v = read_four(g, "decay_v", 0, 4095);
  w.feedback_mant = read_four(g, "feedback_mant", 0, 255);
  w.feedback_exp = read_four(g, "feedback_exp", -7, 7);
  std::vector<std::uint64_t> dims;
  w.input_weight = g.read<std::int64_t>("input_weight", &dims);
  if (dims.size() != 2 || dims[0] != 4 * H || dims[1] < 1)
    g.fail("input_weight", fmt::format("must have shape [4 H = {}, inputs]", 4 * H));
  w.inputs = static_cast<int>(dims[1]);
  for (std::size_t k = 0; k < w.input_weight.size(); ++k)
    if (std::abs(w.input_weight[k]) >= kMaxInputMagnitude)
      g.fail("input_weight",
             fmt::format("value {} at {} exceeds 2^40 in magnitude", w.input_weight[k], k));
  w.input_bias = h5::read_shaped<std::int64_t>(g, "input_bias", {T, 4 * H});
  for (std::size_t k = 0; k < w.input_bias.size(); ++k)
    if (std::abs(w.input_bias[k]) >= kMaxInputMagnitude)
      g.fail("input_bias",
             fmt::format("value {} at {} exceeds 2^40 in magnitude", w.input_bias[k], k));
  w.hidden_threshold = h5::read_shaped<std::int64_t>(g, "hidden_threshold", {T});
  for (std::size_t k = 0; k < T; ++k)
    if (w.hidden_threshold[k] < -1024 || w.hidden_threshold[k] > 63)
      g.fail("hidden_threshold",
             fmt::format("[{}] = {} is outside -1024..63 (H's bias -(4032 + thr) must stay a "
                         "13-bit mantissa and the closed output must never fire)",
                         k, w.hidden_threshold[k]));
  w.fc_weight = g.read<double>("fc_weight", &dims);
  if (dims.size() != 2 || dims[1] != H || dims[0] < 2)
    g.fail("fc_weight", fmt::format("must have shape [classes >= 2, H = {}]", H));
  w.classes = static_cast<int>(dims[0]);
  w.fc_bias = h5::read_shaped<double>(g, "fc_bias", {dims[0]});
  for (double v : w.fc_weight)
    if (!std::isfinite(v)) g.fail("fc_weight", "has a non-finite value");
  for (double v : w.fc_bias)
    if (!std::isfinite(v)) g.fail("fc_bias", "has a non-finite value");
  w.dataset = optional_string(root, "dataset");
  w.layout = optional_string(root, "layout");
  w.input_scaling = optional_string(root, "input_scaling");
  if (root.has_attribute("test_accuracy")) w.test_accuracy = root.double_attribute("test_accuracy");
  return w;
}

SpikingLstmChip single_replica(const SpikingLstmChip& w, int k) {
  if (k < 0 || k >= w.steps)
    throw InputError(fmt::format("{}: replica {} does not exist (the model has T = {}: 0..{})",
                                 w.file, k, w.steps, w.steps - 1));
  SpikingLstmChip r = w;
  const auto row = static_cast<std::size_t>(4 * w.hidden);
  r.input_bias.assign(
      w.input_bias.begin() + static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(k)),
      w.input_bias.begin() + static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(k + 1)));
  r.hidden_threshold = {w.hidden_threshold[static_cast<std::size_t>(k)]};
  for (double& v : r.fc_weight) v /= w.steps;
  r.steps = 1;
  return r;
}

namespace {

core::CompartmentProfile profile(int decay_v, std::int32_t vth_mant, int vmin_exp, int vmax_exp) {
  core::CompartmentProfile p;
  p.decay_u = 4095;  // u = this step's input only
  p.decay_v = decay_v;
  p.vth_mant = vth_mant;
  p.vmin_exp = vmin_exp;
  p.vmax_exp = vmax_exp;
  p.refract_delay = 1;  // no hold: the compartment is free again in the next step
  return p;
}

mapper::Population population(const std::string& name, std::int32_t size,
                              const core::CompartmentProfile& prof, const std::string& parent,
                              int bias_mant, int bias_exp) {
  mapper::Population p;
  p.name = name;
  p.size = size;
  p.profile = prof;
  p.join_parent = parent;
  if (bias_mant != 0) {
    p.bias_mant.assign(static_cast<std::size_t>(size), bias_mant);
    p.bias_exp.assign(static_cast<std::size_t>(size), bias_exp);
  }
  return p;
}

class Builder {
 public:
  Builder(const SpikingLstmChip& w, mapper::Network& net)
      : w_(w), net_(net), H_(w.hidden), T_(w.steps), n_(w.hidden * w.steps) {}

  // Parents before children (Network::add_population); the join group's compartment order is
  // then the post-order D_A S_A D_Bbar S_Bbar D_F S_F N C D_Obar S_Obar W H of the document.
  void populations() {
    // H: bias -(window + thr_k) per replica; fires iff the output is open and c > thr_k.
    mapper::Population h = population("H", n_, profile(4095, 0, 12, 0), "", 0, 0);
    for (int k = 0; k < T_; ++k)
      for (int j = 0; j < H_; ++j) {
        h.bias_mant.push_back(static_cast<std::int32_t>(
            -(kSpikingWindow + w_.hidden_threshold[static_cast<std::size_t>(k)])));
        h.bias_exp.push_back(0);
      }
    net_.add_population(std::move(h));
    // C: keeps c (decay_v 0), vmin -1023, erases (fires, resets to 0) above 2048.
    net_.add_population(population("C", n_, profile(0, 32, 10, 2), "H", 1, 0));
    const auto window = profile(4095, 63, 0, 2);  // vth 4032, vmin 0, vmax 8191
    net_.add_population(population("W", n_, window, "H", 4033, 0));
    // Comparators: v = clip(v_D - 65536, -1, 511); bias -65536 = -2048 * 2^5.
    const auto comparator = profile(4095, 0, 1, 0);
    net_.add_population(population("S_A", n_, comparator, "C", -2048, 5));
    net_.add_population(population("S_Bbar", n_, comparator, "C", -2048, 5));
    net_.add_population(population("N", n_, window, "C", 4033, 0));
    net_.add_population(population("S_F", n_, comparator, "N", -2048, 5));
    net_.add_population(population("S_Obar", n_, comparator, "W", -2048, 5));
    // Gate dendrites: the LIF membrane (leak decay_v[x]), never fires (vth above vmax), biases
    // written by the host every symbol.
    for (std::size_t x = 0; x < 4; ++x)
      net_.add_population(population(dendrite(x), n_,
                                     profile(w_.decay_v[x], core::kMaxVthMant, 22, 6),
                                     comparator_of(x), 0, 0));
  }

  // H of replica k -> D_x of replica k (block diagonal, so stored sparse: a dense list would span
  // a block's every dendrite, other replicas' included, and spend a synaptic operation on each
  // zero), and the soft reset S_x -> D_x. Zero mantissas are left out: they add nothing.
  void projections() {
    const auto H = static_cast<std::size_t>(H_);
    for (std::size_t x = 0; x < 4; ++x) {
      mapper::Projection p;
      p.name = std::string("recurrent_") + kSpikingGateLayers[x];
      p.source = "H";
      p.target = dendrite(x);
      p.dense = false;
      p.format.weight_bits = 8;
      p.format.sign = core::SignMode::kMixed;
      p.format.weight_exp = w_.weight_exp[x];
      p.rate = 0.1;  // traffic estimate only (measured hidden rates are 0.05 to 0.25)
      for (int k = 0; k < T_; ++k)
        for (std::size_t i = 0; i < H; ++i)
          for (std::size_t j = 0; j < H; ++j) {
            const std::int16_t m = w_.weight_mant[(x * H + i) * H + j];
            if (m == 0) continue;
            p.pre.push_back(k * H_ + static_cast<std::int32_t>(j));
            p.post.push_back(k * H_ + static_cast<std::int32_t>(i));
            p.weight.push_back(m);
          }
      add(std::move(p));
    }
    for (std::size_t x = 0; x < 4; ++x) {
      mapper::Projection p;
      p.name = std::string("soft_reset_") + kSpikingGateLayers[x];
      p.source = comparator_of(x);
      p.target = dendrite(x);
      p.dense = false;
      p.format.weight_bits = 8;
      p.format.sign = core::SignMode::kInhibitory;
      p.format.weight_exp = w_.feedback_exp[x];
      p.rate = 0.5;
      for (std::int32_t k = 0; k < n_; ++k) {
        p.pre.push_back(k);
        p.post.push_back(k);
        p.weight.push_back(static_cast<std::int16_t>(-w_.feedback_mant[x]));
      }
      add(std::move(p));
    }
  }

  // Before each step: the integer first layer into each layer's dendrites. At the sequence end:
  // the classifier on the hidden counts of the last step, fc_weight / T for every replica.
  void host_nodes(double input_scale, double input_offset) {
    const auto H = static_cast<std::size_t>(H_);
    const auto I = static_cast<std::size_t>(w_.inputs);
    for (std::size_t x = 0; x < 4; ++x) {
      mapper::HostNode node;
      node.name = std::string("input_") + kSpikingGateLayers[x];
      node.kind = "integer_bias";
      node.inputs = {mapper::kSymbolValue};
      node.outputs = {dendrite(x)};
      node.params["input_scale"] = fmt::format("{}", input_scale);
      node.params["input_offset"] = fmt::format("{}", input_offset);
      node.params["divisor"] = std::to_string(kSpikingInputFrac);
      node.params["saturate"] = std::to_string(kSpikingBiasMax);
      mapper::HostArray weight{{H, I}, {}}, offset{{static_cast<std::uint64_t>(T_), H}, {}};
      for (std::size_t r = 0; r < H; ++r)
        for (std::size_t c = 0; c < I; ++c)
          weight.values.push_back(static_cast<double>(w_.input_weight[(x * H + r) * I + c]));
      for (std::size_t k = 0; k < static_cast<std::size_t>(T_); ++k)
        for (std::size_t r = 0; r < H; ++r)
          offset.values.push_back(static_cast<double>(w_.input_bias[k * 4 * H + x * H + r]));
      node.arrays["weight"] = std::move(weight);
      node.arrays["offset"] = std::move(offset);
      net_.add_host_node(std::move(node));
    }
    net_.add_output_port({"hidden", "H"});
    mapper::HostNode fc;
    fc.name = "classifier";
    fc.kind = "linear";
    fc.inputs = {"hidden"};
    fc.outputs = {"logits"};
    fc.params["when"] = "sequence_end";
    const auto C = static_cast<std::size_t>(w_.classes);
    mapper::HostArray weight{{C, static_cast<std::uint64_t>(n_)}, {}};
    for (std::size_t c = 0; c < C; ++c)
      for (int k = 0; k < T_; ++k)
        for (std::size_t j = 0; j < H; ++j) weight.values.push_back(w_.fc_weight[c * H + j] / T_);
    fc.arrays["weight"] = std::move(weight);
    fc.arrays["bias"] = mapper::HostArray{{C}, w_.fc_bias};
    net_.add_host_node(std::move(fc));
  }

 private:
  static std::string dendrite(std::size_t x) { return std::string("D_") + kSpikingGateLayers[x]; }
  static std::string comparator_of(std::size_t x) {
    return std::string("S_") + kSpikingGateLayers[x];
  }
  void add(mapper::Projection p) { net_.add_projection(std::move(p)); }

  const SpikingLstmChip& w_;
  mapper::Network& net_;
  int H_, T_;
  std::int32_t n_;
};

}  // namespace

SpikingLstm convert_spiking_lstm(const SpikingLstmChip& w, double input_scale,
                                 double input_offset) {
  SpikingLstm out;
  out.network.name = "spiking_lstm";
  Builder b(w, out.network);
  // The file's values were range-checked on reading; what the network still refuses (a
  // mantissa the format cannot store) names the file too.
  try {
    b.populations();
    b.projections();
    b.host_nodes(input_scale, input_offset);
    out.network.check_host_references();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: snn/chip: {}", w.file, e.what()));
  }
  out.notes.push_back(fmt::format(
      "{} replicas x {} hidden units, 12 compartments each (gate dendrites D, comparators S, "
      "windows N and W, cell C, hidden soma H) in one join group: gates, products, cell and "
      "hidden state on cores, one chip step per symbol",
      w.steps, w.hidden));
  out.notes.push_back(fmt::format(
      "host: the direct-encoded first layer, 4 x {} x {} integer multiply-accumulates per "
      "symbol, written as {} dendrite biases; the classifier once per sequence",
      w.hidden, w.inputs, 4 * w.hidden * w.steps));
  return out;
}

}  // namespace loihisim::models
