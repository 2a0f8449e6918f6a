#include "models/nir_lower.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "core/fixed_point.hpp"
#include "core/synapse.hpp"
#include "mapper/quantize.hpp"
#include "io/errors.hpp"

namespace loihisim::models::nir {
namespace {

// Register limits the scale must respect when every source fires every step (core.md).
constexpr double kInputMax = (1 << core::kInputBits) - 1;      // dendritic read-out q
constexpr double kCurrentMax = (1 << core::kCurrentBits) - 1;  // u, u + bias, and v at vmax_exp 7
constexpr int kNonSpikingVmaxExp = 6;                          // vmax = 2^21 - 1 < any vth
constexpr double kNonSpikingVmax = (1 << (9 + 2 * kNonSpikingVmaxExp)) - 1;
constexpr double kBiasMax = static_cast<double>(core::kMaxBiasMant << core::kMaxBiasExp);
// An I node has no leak to bound v: the scale leaves room for this many steps of full drive.
constexpr double kIntegratorSteps = 64;

enum class Kind { kInput, kOutput, kIdentity, kLinear, kNeuron, kDropped };

// One term of a linear map from a source's spikes: source neuron `col`, `delay` extra steps (from
// Delay nodes), factor `w`.
struct Entry {
  std::int32_t col = 0;
  std::int32_t delay = 0;
  double w = 0;
};
using Rows = std::vector<std::vector<Entry>>;

// What arrives at a node: per spiking source, the linear map from its spikes (one row per
// element of this node), plus a constant part (biases) and the linear nodes passed.
struct Signal {
  std::size_t size = 0;
  std::map<std::string, Rows> from;
  std::vector<double> bias;                          // empty: zeros
  std::map<std::string, std::set<std::string>> via;  // per source: linear nodes passed
};

struct NeuronModel {
  bool spiking = true;
  bool filter = false;               // a synaptic current filter (Cuba*)
  double a_m = 0;                    // dt / tau_mem, 0 without leak
  double a_s = 1;                    // dt / tau_syn, 1 without filter (u cleared every step)
  std::vector<double> gain;          // v increment per unit of input, per neuron (before scale)
  std::vector<double> bias_gain;     // v increment per step per unit of constant input
  std::vector<double> leak_drive;    // a_m * v_leak per neuron
  std::vector<double> theta;         // thresholds (spiking)
  core::CompartmentProfile profile;  // decays only; threshold and the rest set later
};

struct ProjSpec {
  std::string source, target;  // flat NIR names
  Rows rows;
  std::set<std::string> via;
  bool back = false;  // closes a cycle
};

std::string shape_str(const std::vector<std::uint64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::uint64_t product(const std::vector<std::uint64_t>& s) {
  std::uint64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out.front() == '.') out = "n" + out;
  return out;
}

void merge_row(std::vector<Entry>& row) {
  std::sort(row.begin(), row.end(), [](const Entry& a, const Entry& b) {
    return a.col != b.col ? a.col < b.col : a.delay < b.delay;
  });
  std::size_t k = 0;
  for (std::size_t i = 0; i < row.size();) {
    Entry e = row[i];
    std::size_t j = i + 1;
    for (; j < row.size() && row[j].col == e.col && row[j].delay == e.delay; ++j) e.w += row[j].w;
    if (e.w != 0.0) row[k++] = e;
    i = j;
  }
  row.resize(k);
}

// A sparse matrix, one list of (input element, factor) per output element.
using Matrix = std::vector<std::vector<std::pair<std::int32_t, double>>>;

class Lowerer {
 public:
  Lowerer(const FlatGraph& g, const LowerOptions& opt) : g_(g), opt_(opt) {}
  Lowered run();

 private:
  [[noreturn]] void fail(const std::string& node, const std::string& why) const {
    const FlatNode* n = g_.find(node);
    throw InputError(fmt::format("{}: node '{}'{}: {}", g_.file, node,
                                 n ? " (" + n->node.type + ")" : std::string(), why));
  }
  // An approximation: an error unless the user asked for approximations.
  void approximate(const std::string& node, const std::string& why, const std::string& taken) {
    if (!opt_.approximate) fail(node, why + " (pass --approximate to " + taken + ")");
    out_.warnings.push_back(fmt::format("node '{}': {}; {}", node, why, taken));
  }

  const Node& node(const std::string& name) const { return g_.find(name)->node; }
  std::vector<double> param(const std::string& name, const std::string& key, std::size_t n,
                            bool required, double fallback) const;
  const Array& array(const std::string& name, const std::string& key) const;
  std::vector<std::int64_t> ints(const std::string& name, const std::string& key, std::size_t want,
                                 std::int64_t fallback) const;

  void classify();
  std::vector<std::uint64_t> shape(const std::string& name);
  std::vector<std::uint64_t> input_shape(const std::string& name);
  std::vector<std::uint64_t> spatial_input(const std::string& name);
  std::vector<std::uint64_t> dims(const std::string& name, const Array& a) const;
  std::size_t neuron_size(const std::string& name, std::vector<std::uint64_t>* shape) const;
  Signal gather(const std::string& name);
  Signal signal(const std::string& name);
  Signal apply(const std::string& name, Signal in);
  Matrix conv_matrix(const std::string& name, const std::vector<std::uint64_t>& in,
                     const std::vector<std::uint64_t>& out);
  Matrix pool_matrix(const std::string& name, const std::vector<std::uint64_t>& in,
                     const std::vector<std::uint64_t>& out);
  NeuronModel neuron_model(const std::string& name, std::size_t n);
  double decay_fraction(const std::string& name, const std::string& key, double tau, bool current);
  void depths();
  void build();

  const FlatGraph& g_;
  LowerOptions opt_;
  Lowered out_;
  std::map<std::string, Kind> kind_;
  std::map<std::string, std::vector<std::string>> preds_;
  std::vector<std::string> order_;  // flat node order
  std::map<std::string, std::vector<std::uint64_t>> shapes_;
  std::set<std::string> shape_busy_, signal_busy_;
  std::map<std::string, Signal> signals_;
  std::vector<ProjSpec> projections_;
  std::map<std::string, std::vector<double>> constant_;  // neuron -> constant input
  std::vector<std::string> outputs_;                     // Output nodes
  std::map<std::string, std::string> output_source_;     // Output -> neuron
  std::map<std::string, int> depth_;
};

const Array& Lowerer::array(const std::string& name, const std::string& key) const {
  const Array* a = node(name).find(key);
  if (!a) fail(name, "missing parameter '" + key + "'");
  return *a;
}

std::vector<double> Lowerer::param(const std::string& name, const std::string& key, std::size_t n,
                                   bool required, double fallback) const {
  const Array* a = node(name).find(key);
  if (!a) {
    if (required) fail(name, "missing parameter '" + key + "'");
    return std::vector<double>(n, fallback);
  }
  for (double v : a->values)
    if (!std::isfinite(v)) fail(name, "parameter '" + key + "' holds a value that is not finite");
  if (a->size() == n) return a->values;
  if (a->size() == 1) return std::vector<double>(n, a->values[0]);
  fail(name, fmt::format("parameter '{}' has shape {} ({} values) but the node has {} neurons", key,
                         shape_str(a->shape), a->size(), n));
}

std::vector<std::int64_t> Lowerer::ints(const std::string& name, const std::string& key,
                                        std::size_t want, std::int64_t fallback) const {
  const Array* a = node(name).find(key);
  if (!a) return std::vector<std::int64_t>(want, fallback);
  std::vector<std::int64_t> out;
  for (double v : a->values) {
    if (v != std::floor(v) || std::fabs(v) > 1e9)
      fail(name, fmt::format("parameter '{}' = {} is not an integer", key, v));
    out.push_back(static_cast<std::int64_t>(v));
  }
  if (out.size() == 1 && want > 1) out.assign(want, out[0]);
  if (out.size() != want)
    fail(name, fmt::format("parameter '{}' has {} values, expected {}", key, out.size(), want));
  return out;
}

void Lowerer::classify() {
  static const std::set<std::string> linear = {"Affine",    "Linear",    "Scale", "Conv2d",
                                               "SumPool2d", "AvgPool2d", "Delay"};
  static const std::set<std::string> neurons = {"LIF", "CubaLIF", "IF", "LI", "CubaLI", "I"};
  for (const auto& n : g_.nodes) {
    order_.push_back(n.name);
    const std::string& t = n.node.type;
    Kind k;
    if (n.boundary || t == "Flatten")
      k = Kind::kIdentity;
    else if (t == "Input")
      k = Kind::kInput;
    else if (t == "Output")
      k = Kind::kOutput;
    else if (linear.count(t))
      k = Kind::kLinear;
    else if (neurons.count(t))
      k = Kind::kNeuron;
    else {
      const std::string why =
          t == "Threshold"
              ? "type Threshold (a memoryless spike generator) has no Loihi compartment: every "
                "compartment keeps its voltage between steps"
          : t == "Conv1d" ? "type Conv1d is not supported (Conv2d is)"
                          : "unknown node type '" + t + "'";
      approximate(n.name, why, "drop the node: its targets get no input from it");
      k = Kind::kDropped;
    }
    kind_[n.name] = k;
  }
  for (const auto& e : g_.edges) {
    if (kind_.at(e.source) == Kind::kDropped || kind_.at(e.target) == Kind::kDropped) continue;
    if (kind_.at(e.source) == Kind::kOutput)
      fail(e.source, "an Output node cannot be the source of an edge (edge to '" + e.target + "')");
    if (kind_.at(e.target) == Kind::kInput)
      fail(e.target,
           "an Input node cannot be the target of an edge (edge from '" + e.source + "')");
    preds_[e.target].push_back(e.source);
  }
}

std::size_t Lowerer::neuron_size(const std::string& name, std::vector<std::uint64_t>* shp) const {
  std::size_t n = 0;
  std::vector<std::uint64_t> best;
  for (const auto& [key, a] : node(name).params)
    if (a.size() > n) {
      n = a.size();
      best = a.shape;
    }
  if (n == 0) fail(name, "has no parameters to size it");
  if (best.empty()) best = {1};
  if (shp) *shp = best;
  return n;
}

std::vector<std::uint64_t> Lowerer::input_shape(const std::string& name) {
  const auto it = preds_.find(name);
  if (it == preds_.end() || it->second.empty()) return {};
  std::vector<std::uint64_t> first;
  std::string first_name;
  for (const auto& p : it->second) {
    const auto s = shape(p);
    if (first_name.empty()) {
      first = s;
      first_name = p;
    } else if (product(s) != product(first)) {
      fail(name, fmt::format("its inputs disagree in size: '{}' gives {} and '{}' gives {}",
                             first_name, shape_str(first), p, shape_str(s)));
    }
  }
  return first;
}

std::vector<std::uint64_t> Lowerer::dims(const std::string& name, const Array& a) const {
  std::vector<std::uint64_t> d;
  for (double v : a.values) {
    if (v < 1 || v != std::floor(v) || v > 1e9)
      fail(name, fmt::format("shape entry {} is not a positive integer", v));
    d.push_back(static_cast<std::uint64_t>(v));
  }
  return d;
}

// The (channels, height, width) input of a Conv2d or pooling node: the input's own shape, or a
// flat input split by the node's `input_shape` (height, width).
std::vector<std::uint64_t> Lowerer::spatial_input(const std::string& name) {
  auto in = input_shape(name);
  if (in.empty()) fail(name, "has no input");
  const Array* is = node(name).find("input_shape");
  std::vector<std::uint64_t> hw;
  if (is) {
    hw = dims(name, *is);
    if (hw.size() == 3) hw.erase(hw.begin());  // (channels, height, width)
    if (hw.size() != 2) fail(name, "input_shape must be (height, width), it is " + shape_str(hw));
  }
  if (in.size() != 3 && !hw.empty()) {
    const std::uint64_t plane = hw[0] * hw[1];
    if (product(in) % plane != 0)
      fail(name, fmt::format("an input of {} values does not split into input_shape {}",
                             product(in), shape_str(hw)));
    in = {product(in) / plane, hw[0], hw[1]};
  }
  if (in.size() != 3)
    fail(name, fmt::format("expects a (channels, height, width) input, got {}", shape_str(in)));
  if (!hw.empty() && (hw[0] != in[1] || hw[1] != in[2]))
    fail(name,
         fmt::format("input_shape {} does not match its input {}", shape_str(hw), shape_str(in)));
  return in;
}

// Output shape of a node, from its parameters or its input.
std::vector<std::uint64_t> Lowerer::shape(const std::string& name) {
  if (auto it = shapes_.find(name); it != shapes_.end()) return it->second;
  if (shape_busy_.count(name))
    fail(name,
         "lies on a cycle of linear nodes only (no neuron on the loop): an algebraic loop "
         "with no discrete-time meaning");
  shape_busy_.insert(name);
  const std::string& t = node(name).type;
  std::vector<std::uint64_t> s;
  const auto to_dims = [&](const Array& a) { return dims(name, a); };
  const auto check_input = [&](std::uint64_t want, const std::string& what) {
    const auto in = input_shape(name);
    if (!in.empty() && product(in) != want)
      fail(name, fmt::format("input shape {} ({} values) does not match {} ({} values)",
                             shape_str(in), product(in), what, want));
    return in;
  };
  switch (kind_.at(name)) {
    case Kind::kInput: {
      const Array* a = node(name).find("shape");
      if (!a) a = node(name).find("input_type.input");
      if (!a) fail(name, "an Input node needs a 'shape' dataset");
      s = to_dims(*a);
      break;
    }
    case Kind::kOutput: {
      const Array* a = node(name).find("shape");
      if (!a) a = node(name).find("output_type.output");
      s = input_shape(name);
      if (a) {
        const auto declared = to_dims(*a);
        if (!s.empty() && product(s) != product(declared))
          fail(name, fmt::format("its input has shape {} ({} values) but the Output declares {}",
                                 shape_str(s), product(s), shape_str(declared)));
        if (s.empty()) s = declared;
      }
      break;
    }
    case Kind::kNeuron: {
      // Known from the parameters: record it before looking at the inputs, which may lead back
      // here through a recurrent loop.
      const std::size_t n = neuron_size(name, &s);
      shapes_[name] = s;
      shape_busy_.erase(name);
      check_input(n, fmt::format("the node's {} neurons", n));
      break;
    }
    case Kind::kIdentity: {
      s = input_shape(name);
      if (s.empty()) fail(name, "has no input");
      if (t == "Flatten") {
        const Array* it = node(name).find("input_type");
        if (!it) it = node(name).find("input_type.input");
        if (it && product(to_dims(*it)) != product(s))
          fail(name, fmt::format("input_type {} does not match its input's shape {}",
                                 shape_str(to_dims(*it)), shape_str(s)));
        const auto r = static_cast<std::int64_t>(s.size());
        std::int64_t a = ints(name, "start_dim", 1, 1)[0], b = ints(name, "end_dim", 1, -1)[0];
        if (a < 0) a += r;
        if (b < 0) b += r;
        if (a < 0 || b >= r || a > b)
          fail(name, fmt::format("start_dim/end_dim do not fit an input of rank {}", r));
        std::vector<std::uint64_t> f(s.begin(), s.begin() + a);
        std::uint64_t m = 1;
        for (auto i = a; i <= b; ++i) m *= s[static_cast<std::size_t>(i)];
        f.push_back(m);
        f.insert(f.end(), s.begin() + b + 1, s.end());
        s = f;
      }
      break;
    }
    case Kind::kLinear: {
      if (t == "Affine" || t == "Linear") {
        const Array& w = array(name, "weight");
        if (w.shape.size() != 2)
          fail(name, "weight must be a 2-D (out x in) array, it is " + shape_str(w.shape));
        check_input(w.shape[1], fmt::format("the weight's {} columns", w.shape[1]));
        s = {w.shape[0]};
      } else if (t == "Scale" || t == "Delay") {
        const Array& a = array(name, t == "Scale" ? "scale" : "delay");
        s = a.shape.empty() ? std::vector<std::uint64_t>{1} : a.shape;
        check_input(a.size(), fmt::format("its {} values", a.size()));
      } else {  // Conv2d, SumPool2d, AvgPool2d
        const auto in = spatial_input(name);
        std::vector<std::int64_t> k, st, pad, dil;
        std::uint64_t channels = in[0];
        if (t == "Conv2d") {
          const Array& w = array(name, "weight");
          if (w.shape.size() != 4)
            fail(name,
                 "weight must be 4-D (out, in / groups, kh, kw), it is " + shape_str(w.shape));
          const auto groups = ints(name, "groups", 1, 1)[0];
          if (groups < 1 || w.shape[0] % static_cast<std::uint64_t>(groups) != 0 ||
              in[0] != w.shape[1] * static_cast<std::uint64_t>(groups))
            fail(name,
                 fmt::format("weight {} with groups = {} does not fit an input of {} channels",
                             shape_str(w.shape), groups, in[0]));
          k = {static_cast<std::int64_t>(w.shape[2]), static_cast<std::int64_t>(w.shape[3])};
          dil = ints(name, "dilation", 2, 1);
          channels = w.shape[0];
        } else {
          k = ints(name, "kernel_size", 2, 1);
          dil = {1, 1};
        }
        st = ints(name, "stride", 2, 1);
        pad = ints(name, "padding", 2, 0);
        s = {channels};
        for (int d = 0; d < 2; ++d) {
          const auto ud = static_cast<std::size_t>(d);
          const std::int64_t size =
              static_cast<std::int64_t>(in[ud + 1]) + 2 * pad[ud] - dil[ud] * (k[ud] - 1) - 1;
          if (k[ud] < 1 || st[ud] < 1 || pad[ud] < 0 || dil[ud] < 1 || size < 0)
            fail(name, fmt::format("kernel {}, stride {}, padding {}, dilation {} do not fit an "
                                   "input of {}",
                                   k[ud], st[ud], pad[ud], dil[ud], shape_str(in)));
          s.push_back(static_cast<std::uint64_t>(size / st[ud] + 1));
        }
      }
      break;
    }
    case Kind::kDropped:
      break;
  }
  shape_busy_.erase(name);
  shapes_[name] = s;
  return s;
}

Matrix Lowerer::conv_matrix(const std::string& name, const std::vector<std::uint64_t>& in,
                            const std::vector<std::uint64_t>& out) {
  const Array& w = array(name, "weight");
  const auto groups = ints(name, "groups", 1, 1)[0];
  const auto st = ints(name, "stride", 2, 1), pad = ints(name, "padding", 2, 0),
             dil = ints(name, "dilation", 2, 1);
  const auto O = static_cast<std::int64_t>(out[0]), H = static_cast<std::int64_t>(in[1]),
             W = static_cast<std::int64_t>(in[2]);
  const auto OH = static_cast<std::int64_t>(out[1]), OW = static_cast<std::int64_t>(out[2]);
  const auto CG = static_cast<std::int64_t>(w.shape[1]), KH = static_cast<std::int64_t>(w.shape[2]),
             KW = static_cast<std::int64_t>(w.shape[3]);
  const std::int64_t per_group = O / groups;
  Matrix m(static_cast<std::size_t>(O * OH * OW));
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t y = 0; y < OH; ++y)
      for (std::int64_t x = 0; x < OW; ++x) {
        auto& row = m[static_cast<std::size_t>((o * OH + y) * OW + x)];
        const std::int64_t g = o / per_group;
        for (std::int64_t c = 0; c < CG; ++c)
          for (std::int64_t ky = 0; ky < KH; ++ky)
            for (std::int64_t kx = 0; kx < KW; ++kx) {
              const std::int64_t iy = y * st[0] - pad[0] + ky * dil[0];
              const std::int64_t ix = x * st[1] - pad[1] + kx * dil[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;  // zero padding
              const double v =
                  w.values[static_cast<std::size_t>(((o * CG + c) * KH + ky) * KW + kx)];
              if (v == 0.0) continue;
              const std::int64_t ic = g * CG + c;
              row.emplace_back(static_cast<std::int32_t>((ic * H + iy) * W + ix), v);
            }
      }
  return m;
}

Matrix Lowerer::pool_matrix(const std::string& name, const std::vector<std::uint64_t>& in,
                            const std::vector<std::uint64_t>& out) {
  const auto k = ints(name, "kernel_size", 2, 1), st = ints(name, "stride", 2, 1),
             pad = ints(name, "padding", 2, 0);
  // AvgPool2d divides by the whole kernel, padding included (PyTorch's count_include_pad).
  const double f = node(name).type == "AvgPool2d" ? 1.0 / static_cast<double>(k[0] * k[1]) : 1.0;
  const auto C = static_cast<std::int64_t>(in[0]), H = static_cast<std::int64_t>(in[1]),
             W = static_cast<std::int64_t>(in[2]);
  const auto OH = static_cast<std::int64_t>(out[1]), OW = static_cast<std::int64_t>(out[2]);
  Matrix m(static_cast<std::size_t>(C * OH * OW));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t y = 0; y < OH; ++y)
      for (std::int64_t x = 0; x < OW; ++x) {
        auto& row = m[static_cast<std::size_t>((c * OH + y) * OW + x)];
        for (std::int64_t ky = 0; ky < k[0]; ++ky)
          for (std::int64_t kx = 0; kx < k[1]; ++kx) {
            const std::int64_t iy = y * st[0] - pad[0] + ky, ix = x * st[1] - pad[1] + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            row.emplace_back(static_cast<std::int32_t>((c * H + iy) * W + ix), f);
          }
      }
  return m;
}

// What arrives at a node: the sum over its incoming edges.
Signal Lowerer::gather(const std::string& name) {
  Signal in;
  in.size = product(input_shape(name));
  const auto it = preds_.find(name);
  if (it == preds_.end()) return in;
  for (const auto& p : it->second) {
    const Kind k = kind_.at(p);
    Signal s;
    if (k == Kind::kInput || k == Kind::kNeuron) {
      if (k == Kind::kNeuron) {
        const std::string& t = node(p).type;
        if (t == "LI" || t == "CubaLI" || t == "I")
          fail(p, "feeds '" + name + "', but a " + t +
                      " node never spikes (its output is a voltage) and synapses carry spikes");
      }
      s.size = product(shape(p));
      Rows rows(s.size);
      for (std::size_t i = 0; i < s.size; ++i) rows[i] = {{static_cast<std::int32_t>(i), 0, 1.0}};
      s.from[p] = std::move(rows);
    } else {
      s = signal(p);
    }
    for (auto& [src, rows] : s.from) {
      auto& dst = in.from[src];
      if (dst.empty()) {
        dst = std::move(rows);
      } else {
        for (std::size_t r = 0; r < dst.size(); ++r) {
          dst[r].insert(dst[r].end(), rows[r].begin(), rows[r].end());
          merge_row(dst[r]);
        }
      }
    }
    if (!s.bias.empty()) {
      if (in.bias.empty()) in.bias.assign(in.size, 0.0);
      for (std::size_t r = 0; r < in.size; ++r) in.bias[r] += s.bias[r];
    }
    for (const auto& [src, nodes] : s.via) in.via[src].insert(nodes.begin(), nodes.end());
  }
  return in;
}

Signal Lowerer::signal(const std::string& name) {
  if (auto it = signals_.find(name); it != signals_.end()) return it->second;
  if (signal_busy_.count(name))
    fail(name,
         "lies on a cycle of linear nodes only (no neuron on the loop): an algebraic loop "
         "with no discrete-time meaning");
  signal_busy_.insert(name);
  Signal s = apply(name, gather(name));
  signal_busy_.erase(name);
  signals_[name] = s;
  return s;
}

Signal Lowerer::apply(const std::string& name, Signal in) {
  const std::string& t = node(name).type;
  const auto out_shape = shape(name);
  const std::size_t n = product(out_shape);
  if (kind_.at(name) == Kind::kIdentity) return in;
  Signal s;
  s.size = n;
  s.via = std::move(in.via);
  for (const auto& [src, rows] : in.from) s.via[src].insert(name);
  if (t == "Delay") {
    const auto d = param(name, "delay", n, true, 0);
    std::vector<std::int32_t> steps(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double x = d[i] / opt_.dt;
      const double r = std::round(x);
      if (d[i] < 0) fail(name, fmt::format("delay[{}] = {} s is negative", i, d[i]));
      if (std::fabs(x - r) > 1e-6 * std::max(1.0, x))
        approximate(name,
                    fmt::format("delay[{}] = {} s is {} steps of dt = {} s, not a whole number", i,
                                d[i], x, opt_.dt),
                    "round it to " + fmt::format("{}", r) + " steps");
      steps[i] = static_cast<std::int32_t>(r);
    }
    s.from = std::move(in.from);
    for (auto& [src, rows] : s.from)
      for (std::size_t i = 0; i < n; ++i)
        for (auto& e : rows[i]) e.delay += steps[i];
    s.bias = std::move(in.bias);  // a constant, delayed, is the same constant
    return s;
  }
  Matrix m;
  std::vector<double> own_bias;
  if (t == "Affine" || t == "Linear") {
    const Array& w = array(name, "weight");
    const std::size_t cols = w.shape[1];
    m.resize(n);
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t c = 0; c < cols; ++c)
        if (w.values[r * cols + c] != 0.0)
          m[r].emplace_back(static_cast<std::int32_t>(c), w.values[r * cols + c]);
    if (t == "Affine") own_bias = param(name, "bias", n, false, 0.0);
  } else if (t == "Scale") {
    const auto sc = param(name, "scale", n, true, 1.0);
    m.resize(n);
    for (std::size_t r = 0; r < n; ++r) m[r].emplace_back(static_cast<std::int32_t>(r), sc[r]);
  } else if (t == "Conv2d") {
    m = conv_matrix(name, spatial_input(name), out_shape);
    const Array* b = node(name).find("bias");
    if (b) {
      const auto per_channel = param(name, "bias", out_shape[0], false, 0.0);
      own_bias.assign(n, 0.0);
      const std::size_t plane = out_shape[1] * out_shape[2];
      for (std::size_t i = 0; i < n; ++i) own_bias[i] = per_channel[i / plane];
    }
  } else {  // SumPool2d, AvgPool2d
    m = pool_matrix(name, spatial_input(name), out_shape);
  }
  for (auto& [src, rows] : in.from) {
    Rows o(n);
    for (std::size_t r = 0; r < n; ++r) {
      for (const auto& [c, a] : m[r])
        for (const Entry& e : rows[static_cast<std::size_t>(c)])
          o[r].push_back({e.col, e.delay, a * e.w});
      merge_row(o[r]);
    }
    s.from[src] = std::move(o);
  }
  if (!in.bias.empty() || !own_bias.empty()) {
    s.bias.assign(n, 0.0);
    if (!in.bias.empty())
      for (std::size_t r = 0; r < n; ++r)
        for (const auto& [c, a] : m[r]) s.bias[r] += a * in.bias[static_cast<std::size_t>(c)];
    if (!own_bias.empty())
      for (std::size_t r = 0; r < n; ++r) s.bias[r] += own_bias[r];
  }
  return s;
}

double Lowerer::decay_fraction(const std::string& name, const std::string& key, double tau,
                               bool current) {
  if (!(tau > 0)) fail(name, fmt::format("{} = {} s must be > 0", key, tau));
  double a = opt_.dt / tau;
  // Representable fractions: v loses decay_v / 4096 with decay_v in 0..4095; u loses
  // (decay_u + 1) / 4096 with decay_u in 0..4095 (mapper/quantize.hpp's fraction path).
  const double lo = current ? 1.0 / 4096 : 0.0, hi = current ? 1.0 : 4095.0 / 4096;
  const double q = std::round(4096 * a) / 4096;
  if (q > hi)
    approximate(name,
                fmt::format("{} = {} s is shorter than dt = {} s: the Euler step would lose {} of "
                            "the state per step, more than the largest decay {}/4096",
                            key, tau, opt_.dt, a, current ? 4096 : 4095),
                fmt::format("use the largest decay ({}/4096 per step)", current ? 4096 : 4095));
  if (!current && q == 0 && a > 0)
    approximate(name,
                fmt::format("{} = {} s is {} steps of dt = {} s: its leak of {} per step rounds "
                            "to 0/4096 and would be dropped",
                            key, tau, tau / opt_.dt, opt_.dt, a),
                "drop the leak (decay_v = 0)");
  if (current && q < lo)
    approximate(name,
                fmt::format("{} = {} s is {} steps of dt = {} s: its leak of {} per step is below "
                            "the hardware's smallest current decay of 1/4096",
                            key, tau, tau / opt_.dt, opt_.dt, a),
                "use the smallest current decay (decay_u = 0, 1/4096 per step)");
  a = std::clamp(a, lo, hi);
  return a;
}

NeuronModel Lowerer::neuron_model(const std::string& name, std::size_t n) {
  const std::string& t = node(name).type;
  NeuronModel m;
  m.spiking = t == "LIF" || t == "CubaLIF" || t == "IF";
  m.filter = t == "CubaLIF" || t == "CubaLI";
  const bool leaky = t != "IF" && t != "I";
  const auto uniform = [&](const std::string& key) {
    const auto v = param(name, key, n, true, 0);
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*hi - *lo > 1e-9 * std::fabs(*hi)) {
      double mean = 0;
      for (double x : v) mean += x / static_cast<double>(v.size());
      approximate(name,
                  fmt::format("{} differs between neurons ({} .. {}) but a population shares one "
                              "compartment profile",
                              key, *lo, *hi),
                  fmt::format("use the mean {}", mean));
      return mean;
    }
    return *hi;
  };
  const auto r = param(name, "r", n, true, 1.0);
  const auto w_in = m.filter ? param(name, "w_in", n, false, 1.0) : std::vector<double>(n, 1.0);
  const auto v_leak = leaky ? param(name, "v_leak", n, true, 0.0) : std::vector<double>(n, 0.0);
  double fu = 1.0, fv = 0.0;
  if (leaky) {
    const std::string key = (t == "LIF" || t == "LI") ? "tau" : "tau_mem";
    const double tau = uniform(key);
    fv = decay_fraction(name, key, tau, false);
    m.a_m = opt_.dt / tau;
  }
  if (m.filter) {
    const double tau = uniform("tau_syn");
    fu = decay_fraction(name, "tau_syn", tau, true);
    m.a_s = opt_.dt / tau;
  }
  m.gain.resize(n);
  m.bias_gain.resize(n);
  m.leak_drive.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    // v gains a_m r I per step (Euler); IF and I integrate r x per step (the sinabs, snnTorch and
    // Norse convention for neurons without a time constant). The filter's a_s w_in scales what
    // enters u; a constant input reaches I = w_in b in steady state.
    const double vg = leaky ? m.a_m * r[i] : r[i];
    m.bias_gain[i] = vg * w_in[i];
    m.gain[i] = m.filter ? vg * w_in[i] * m.a_s : vg;
    m.leak_drive[i] = leaky ? m.a_m * v_leak[i] : 0.0;
  }
  if (m.spiking) {
    m.theta = param(name, "v_threshold", n, true, 0);
    for (double th : m.theta)
      if (th < 0) fail(name, fmt::format("v_threshold = {} must be >= 0", th));
    const auto v_reset = param(name, "v_reset", n, false, 0.0);
    for (double vr : v_reset)
      if (vr != 0.0) {
        approximate(name,
                    fmt::format("v_reset = {} is not 0: a compartment resets v to 0 (or subtracts "
                                "the threshold)",
                                vr),
                    "reset to 0");
        break;
      }
  }
  // Decays from the fractions through mapper/quantize.hpp (threshold and scale are set later).
  mapper::RealNeuron rn;
  rn.decay_u = fu;
  rn.decay_v = fv;
  rn.threshold = 0;
  rn.scale = 1;
  m.profile = mapper::quantize_neuron(rn, fmt::format("node '{}'", name));
  return m;
}

void Lowerer::depths() {
  // Spike-level graph: inputs and neuron nodes, one edge per projection.
  std::map<std::string, std::vector<std::size_t>> out_edges;
  for (std::size_t k = 0; k < projections_.size(); ++k)
    out_edges[projections_[k].source].push_back(k);
  std::map<std::string, int> color;  // 0 new, 1 on stack, 2 done
  std::vector<std::string> postorder;
  std::function<void(const std::string&)> dfs = [&](const std::string& v) {
    color[v] = 1;
    for (std::size_t k : out_edges[v]) {
      auto& p = projections_[k];
      const int c = color[p.target];
      if (c == 1)
        p.back = true;
      else if (c == 0)
        dfs(p.target);
    }
    color[v] = 2;
    postorder.push_back(v);
  };
  for (const auto& v : order_)
    if (kind_.at(v) == Kind::kInput && !color[v]) dfs(v);
  for (const auto& v : order_)
    if (kind_.at(v) == Kind::kNeuron && !color[v]) dfs(v);
  for (auto it = postorder.rbegin(); it != postorder.rend(); ++it) {
    int d = depth_.count(*it) ? depth_[*it] : 0;
    depth_[*it] = d;
    for (std::size_t k : out_edges[*it]) {
      const auto& p = projections_[k];
      if (!p.back)
        depth_[p.target] = std::max(depth_.count(p.target) ? depth_[p.target] : 0, d + 1);
    }
  }
}

void Lowerer::build() {
  out_.network = std::make_unique<mapper::Network>();
  auto& net = *out_.network;
  net.name = sanitize(std::filesystem::path(g_.file).stem().string());
  std::set<std::string> used, used_proj;
  const auto unique = [](std::set<std::string>& set, const std::string& base) {
    std::string s = sanitize(base);
    for (int k = 2; set.count(s); ++k) s = sanitize(base) + "_" + std::to_string(k);
    set.insert(s);
    return s;
  };
  std::map<std::string, std::string> net_name;  // flat NIR name -> network name

  for (const auto& v : order_)
    if (kind_.at(v) == Kind::kInput) {
      InputInfo in;
      in.nir_node = v;
      in.shape = shape(v);
      in.size = static_cast<std::int32_t>(product(in.shape));
      in.port = net_name[v] = unique(used, v);
      net.add_input_port({in.port, in.size});
      out_.inputs.push_back(in);
    }
  // Populations in depth order (then file order), so that the same network read flat or nested
  // has the same population order.
  std::vector<std::string> pops;
  for (const auto& v : order_)
    if (kind_.at(v) == Kind::kNeuron) pops.push_back(v);
  std::stable_sort(pops.begin(), pops.end(), [&](const std::string& a, const std::string& b) {
    return depth_[a] < depth_[b];
  });
  std::map<std::string, std::vector<std::size_t>> incoming;
  for (std::size_t k = 0; k < projections_.size(); ++k)
    incoming[projections_[k].target].push_back(k);

  // Pass 1: populations (profile, scale, bias); every source exists before any projection.
  std::map<std::string, NeuronModel> models;
  for (const auto& p : pops) {
    const std::string& t = node(p).type;
    std::vector<std::uint64_t> shp;
    const std::size_t n = neuron_size(p, &shp);
    NeuronModel m = neuron_model(p, n);
    PopulationInfo info;
    info.nir_node = p;
    info.nir_path = g_.find(p)->path;
    info.type = t;
    info.shape = shp;
    info.size = static_cast<std::int32_t>(n);
    info.depth = depth_[p];
    info.spiking = m.spiking;
    info.population = net_name[p] = unique(used, p);

    // Constant drive per step in v units: v_leak and the biases that reach the node.
    std::vector<double> drive = m.leak_drive;
    bool has_bias = false, has_leak = false;
    for (double d : m.leak_drive) has_leak = has_leak || d != 0.0;
    if (const auto cit = constant_.find(p); cit != constant_.end())
      for (std::size_t i = 0; i < n; ++i) {
        drive[i] += m.bias_gain[i] * cit->second[i];
        has_bias = has_bias || cit->second[i] != 0.0;
      }

    // Per-neuron scale ratio, so that every neuron's threshold is the one hardware threshold.
    std::vector<double> rho(n, 1.0);
    double theta_ref = 0;
    if (m.spiking) {
      theta_ref = *std::max_element(m.theta.begin(), m.theta.end());
      for (std::size_t i = 0; i < n; ++i) {
        if (m.theta[i] == 0 && theta_ref > 0)
          fail(p,
               "some neurons have v_threshold 0 and others not: they cannot share one "
               "hardware threshold");
        if (theta_ref > 0) rho[i] = theta_ref / m.theta[i];
      }
    }
    // The scale: the largest that every bound allows (docs/nir.md, "Scale").
    double s = std::numeric_limits<double>::infinity();
    std::string limit;
    const auto bound = [&](double value, const char* why) {
      if (value < s) {
        s = value;
        limit = why;
      }
    };
    std::vector<double> q_in(n, 0.0);  // largest input per step, v units
    for (std::size_t k : incoming[p])
      for (std::size_t i = 0; i < n; ++i)
        for (const auto& e : projections_[k].rows[i]) q_in[i] += std::fabs(m.gain[i] * e.w);
    for (std::size_t i = 0; i < n; ++i) {
      const double u = q_in[i] / (m.filter ? m.a_s : 1.0);  // largest |u|
      const double b = std::fabs(drive[i]);
      if (q_in[i] > 0) bound(kInputMax / (rho[i] * q_in[i]), "dendritic input, 21 bits + sign");
      if (m.spiking) {
        if (m.theta[i] + u + b > 0)
          bound(kCurrentMax / (rho[i] * (m.theta[i] + u + b)), "u and v, 23 bits + sign");
      } else if (u + b > 0) {
        const double a = m.a_m > 0 ? m.a_m : 1.0 / kIntegratorSteps;
        bound(kNonSpikingVmax * a / (u + b), "v of a non-spiking node, 2^21 - 1");
      }
      if (b > 0) bound(kBiasMax / (rho[i] * b), "bias, 4095 x 2^7");
    }
    if (m.spiking && theta_ref > 0)
      bound(static_cast<double>(core::kMaxVthMant) * 64 / theta_ref, "threshold, 17-bit vth_mant");
    core::SynapseFormat probe;
    probe.weight_bits = opt_.weight_bits;
    for (std::size_t k : incoming[p]) {
      double mx = 0;
      for (std::size_t i = 0; i < n; ++i)
        for (const auto& e : projections_[k].rows[i])
          mx = std::max(mx, rho[i] * std::fabs(m.gain[i] * e.w));
      if (mx > 0 && core::max_weight_mantissa(probe) > 0)
        bound(core::max_weight_mantissa(probe) * std::ldexp(1.0, 6 + core::kMaxWeightExp) / mx,
              "largest weight at weight_exp 7");
    }
    if (!std::isfinite(s)) {
      s = theta_ref > 0 ? 65536.0 / theta_ref : 65536.0;
      limit = "none (no input, no drive)";
    }
    // The threshold is made exact by taking the scale from a whole threshold mantissa.
    if (m.spiking && theta_ref > 0) {
      // (1 + 1e-6): a threshold that is a whole mantissa at this scale up to the rounding noise
      // of float32 parameters keeps that mantissa (the bounds are not that tight: weights round
      // by half a step anyway).
      const double mant = std::floor(s * theta_ref / 64 * (1 + 1e-6));
      if (mant < 1)
        fail(p, fmt::format("the largest usable scale, {} (set by the {}), leaves the threshold "
                            "{} below one mantissa step of 64",
                            s, limit, theta_ref));
      s = mant * 64 / theta_ref;
    }
    std::vector<double> scale(n);
    for (std::size_t i = 0; i < n; ++i) scale[i] = s * rho[i];
    core::CompartmentProfile prof = m.profile;
    if (m.spiking) {
      mapper::RealNeuron rn;
      rn.decay_u = (m.profile.decay_u + 1) / 4096.0;
      rn.decay_v = m.profile.decay_v / 4096.0;
      rn.threshold = theta_ref;
      rn.scale = s;
      rn.reset = opt_.reset;
      prof = mapper::quantize_neuron(rn, fmt::format("node '{}'", p));
    } else {
      prof.vth_mant = core::kMaxVthMant;
      prof.vmax_exp = kNonSpikingVmaxExp;
    }
    info.scale = scale;
    info.scale_limit = limit;

    mapper::Population pop;
    pop.name = info.population;
    pop.size = info.size;
    pop.profile = prof;
    ParamQuant bq;
    bq.node = p;
    bq.parameter = has_bias && has_leak ? "v_leak + bias" : has_bias ? "bias" : "v_leak";
    bq.hardware = "bias_mant x 2^bias_exp";
    bq.unit = "v/step";
    for (std::size_t i = 0; i < n; ++i) {
      if (drive[i] == 0.0) continue;
      if (pop.bias_mant.empty()) {
        pop.bias_mant.assign(n, 0);
        pop.bias_exp.assign(n, 0);
      }
      const auto qb =
          mapper::quantize_bias(drive[i] * scale[i], fmt::format("node '{}' neuron {}", p, i));
      pop.bias_mant[i] = qb.mant;
      pop.bias_exp[i] = qb.exp;
      const double rep = std::ldexp(static_cast<double>(qb.mant), qb.exp) / scale[i];
      const double err = std::fabs(rep - drive[i]);
      ++bq.count;
      bq.max_value = std::max(bq.max_value, std::fabs(drive[i]));
      bq.max_abs_error = std::max(bq.max_abs_error, err);
      bq.max_rel_error = std::max(bq.max_rel_error, err / std::fabs(drive[i]));
      if (qb.mant == 0) ++bq.zeroed;
    }
    if (bq.count > 0) {
      bq.rel_to_max = bq.max_abs_error / bq.max_value;
      out_.quantisation.push_back(bq);
      if (info.depth > 0)
        out_.notes.push_back(fmt::format(
            "population '{}': its constant drive ({}) acts from chip step 1, {} step(s) before "
            "its first input arrives (pipeline depth {})",
            info.population, bq.parameter, info.depth, info.depth));
      if (m.filter && has_bias)
        out_.notes.push_back(fmt::format(
            "population '{}': the Affine bias enters v as compartment bias instead of passing "
            "the synaptic current filter: exact in steady state, but it does not ramp up over "
            "the first steps (tau_syn = {:.3g} steps)",
            info.population, 1.0 / m.a_s));
    }
    const auto add_decay = [&](const std::string& key, double a, bool current) {
      ParamQuant q;
      q.node = p;
      q.parameter = key;
      q.count = static_cast<std::int64_t>(n);
      const double tau = opt_.dt / a;
      const double frac = current ? (prof.decay_u + 1) / 4096.0 : prof.decay_v / 4096.0;
      const double rep = frac > 0 ? opt_.dt / frac : std::numeric_limits<double>::infinity();
      q.hardware = current ? fmt::format("decay_u = {}", prof.decay_u)
                           : fmt::format("decay_v = {}", prof.decay_v);
      q.max_value = tau;
      q.max_abs_error = std::fabs(rep - tau);
      q.max_rel_error = q.max_abs_error / tau;
      q.rel_to_max = q.max_rel_error;
      q.unit = "s";
      out_.quantisation.push_back(q);
    };
    if (m.a_m > 0) add_decay((t == "LIF" || t == "LI") ? "tau" : "tau_mem", m.a_m, false);
    if (m.filter) add_decay("tau_syn", m.a_s, true);
    if (m.spiking) {
      ParamQuant q;
      q.node = p;
      q.parameter = "v_threshold";
      q.count = static_cast<std::int64_t>(n);
      q.hardware = fmt::format("vth_mant = {}", prof.vth_mant);
      q.unit = "v";
      for (std::size_t i = 0; i < n; ++i) {
        const double rep = prof.vth_mant * 64.0 / scale[i];
        const double err = std::fabs(rep - m.theta[i]);
        q.max_value = std::max(q.max_value, m.theta[i]);
        q.max_abs_error = std::max(q.max_abs_error, err);
        if (m.theta[i] != 0) q.max_rel_error = std::max(q.max_rel_error, err / m.theta[i]);
      }
      q.rel_to_max = q.max_value > 0 ? q.max_abs_error / q.max_value : 0;
      out_.quantisation.push_back(q);
    }
    net.add_population(std::move(pop));
    models[p] = std::move(m);
    out_.populations.push_back(std::move(info));
  }

  // Pass 2: projections, in population order.
  for (const auto& info : out_.populations) {
    const std::string& p = info.nir_node;
    const NeuronModel& m = models.at(p);
    const std::size_t n = static_cast<std::size_t>(info.size);
    for (std::size_t k : incoming[p]) {
      const ProjSpec& spec = projections_[k];
      const int d_src = depth_[spec.source], d_tgt = depth_[p];
      std::vector<std::int32_t> pre, post, dly;
      std::vector<double> hw, nir_w;
      double max_hw = 0;
      bool pos = false, neg = false, warned = false;
      for (std::size_t i = 0; i < n; ++i)
        for (const auto& e : spec.rows[i]) {
          // NIR steps of delay on this path: Delay nodes, and the one step a cycle has.
          const int model = spec.back ? std::max(e.delay, 1) : e.delay;
          int d = d_tgt - d_src - 1 + model;
          if (d < 0) {
            if (!warned)
              approximate(p,
                          fmt::format("the cycle through '{}' closes from depth {} back to depth "
                                      "{}: the chip adds one step per projection, so this loop "
                                      "takes {} more step(s) than the NIR graph says",
                                      spec.source, d_src, d_tgt, -d),
                          "accept the longer loop");
            warned = true;
            d = 0;
          }
          const double v = m.gain[i] * e.w * info.scale[i];
          pre.push_back(e.col);
          post.push_back(static_cast<std::int32_t>(i));
          dly.push_back(d);
          hw.push_back(v);
          nir_w.push_back(e.w);
          max_hw = std::max(max_hw, std::fabs(v));
          pos = pos || v > 0;
          neg = neg || v < 0;
        }
      core::SynapseFormat format;
      format.weight_bits = opt_.weight_bits;
      format.sign = neg && !pos   ? core::SignMode::kInhibitory
                    : pos && !neg ? core::SignMode::kExcitatory
                                  : core::SignMode::kMixed;
      const int max_m = core::max_weight_mantissa(format);
      int e = 0;  // the smallest exponent whose range holds the largest weight
      if (max_hw > 0)
        for (e = -core::kMaxWeightExp; e < core::kMaxWeightExp; ++e)
          if (max_hw <= max_m * std::ldexp(1.0, 6 + e)) break;
      format.weight_exp = e;
      int max_delay = 0;
      for (int d : dly) max_delay = std::max(max_delay, d);
      while ((1 << format.delay_bits) <= max_delay) ++format.delay_bits;
      if (format.delay_bits > core::kMaxDelayBits)
        fail(p, fmt::format("needs a synaptic delay of {} steps from '{}'; at most {} fit the "
                            "delay field",
                            max_delay, spec.source, (1 << core::kMaxDelayBits) - 1));
      std::vector<double> mant_units(hw.size());
      for (std::size_t j = 0; j < hw.size(); ++j) mant_units[j] = std::ldexp(hw[j], -(6 + e));
      const auto mant = mapper::quantize_weights(
          mant_units, 1.0, format, false, fmt::format("node '{}' <- '{}' weights", p, spec.source));

      ParamQuant q;
      q.node = spec.source + " -> " + p;
      std::string via;
      for (const auto& v : spec.via)
        via += (via.empty() ? "" : ", ") + v + " (" + node(v).type + ")";
      q.parameter = via.empty() ? "weight (identity)" : "weight via " + via;
      q.hardware = fmt::format(
          "{}-bit {}, weight_exp {}{}", format.weight_bits,
          format.sign == core::SignMode::kMixed        ? "mixed"
          : format.sign == core::SignMode::kExcitatory ? "excitatory"
                                                       : "inhibitory",
          e, format.delay_bits ? fmt::format(", {} delay bits", format.delay_bits) : std::string());
      q.count = static_cast<std::int64_t>(hw.size());
      q.unit = "1";
      for (std::size_t j = 0; j < hw.size(); ++j) {
        const auto i = static_cast<std::size_t>(post[j]);
        const double unit = m.gain[i] * info.scale[i];
        const double rep = unit != 0 ? core::effective_weight(mant[j], e) / unit : 0.0;
        const double err = std::fabs(rep - nir_w[j]);
        q.max_value = std::max(q.max_value, std::fabs(nir_w[j]));
        q.max_abs_error = std::max(q.max_abs_error, err);
        q.max_rel_error = std::max(q.max_rel_error, err / std::fabs(nir_w[j]));
        if (mant[j] == 0) ++q.zeroed;
      }
      q.rel_to_max = q.max_value > 0 ? q.max_abs_error / q.max_value : 0;
      out_.quantisation.push_back(q);

      mapper::Projection proj;
      proj.source = net_name.at(spec.source);
      proj.target = info.population;
      proj.name = unique(used_proj, proj.source + "_to_" + proj.target);
      proj.format = format;
      const std::size_t n_src = product(shape(spec.source));
      const std::size_t cells = n_src * n;
      std::set<std::pair<std::int32_t, std::int32_t>> seen;
      bool duplicates = false;  // one pair at two delays: only a sparse list holds both
      for (std::size_t j = 0; j < pre.size() && !duplicates; ++j)
        duplicates = !seen.insert({post[j], pre[j]}).second;
      const bool uniform_delay =
          std::all_of(dly.begin(), dly.end(), [&](std::int32_t d) { return d == dly[0]; });
      // Dense when at least half the matrix is used: a dense synapse costs its weight bits, a
      // sparse one adds 6..12 index bits.
      proj.dense = !duplicates && 2 * pre.size() >= cells;
      if (proj.dense) {
        proj.weight.assign(cells, 0);
        std::vector<std::uint8_t> d(uniform_delay ? 0 : cells, 0);
        for (std::size_t j = 0; j < pre.size(); ++j) {
          const std::size_t c =
              static_cast<std::size_t>(post[j]) * n_src + static_cast<std::size_t>(pre[j]);
          proj.weight[c] = mant[j];
          if (!uniform_delay) d[c] = static_cast<std::uint8_t>(dly[j]);
        }
        proj.delay = std::move(d);
      } else {
        proj.pre = pre;
        proj.post = post;
        proj.weight = mant;
        if (!uniform_delay) proj.delay.assign(dly.begin(), dly.end());
      }
      proj.uniform_delay = uniform_delay && !dly.empty() ? dly[0] : 0;
      net.add_projection(std::move(proj));
    }
  }

  // Output ports.
  for (const auto& o : outputs_) {
    OutputInfo oi;
    oi.nir_node = o;
    oi.nir_path = g_.find(o)->path;
    oi.shape = shape(o);
    oi.size = static_cast<std::int32_t>(product(oi.shape));
    const std::string& src = output_source_.at(o);
    for (std::size_t k = 0; k < out_.populations.size(); ++k)
      if (out_.populations[k].nir_node == src) oi.population = static_cast<int>(k);
    oi.port = unique(used, o);
    net.add_output_port({oi.port, net_name.at(src)});
    out_.outputs.push_back(oi);
  }

  // Host nodes for `loihisim run`: one input, streamed one NIR step per symbol (T = 1), and the
  // first output's spike counts summed over the sample as the prediction.
  if (out_.inputs.size() == 1 && !out_.outputs.empty()) {
    mapper::HostNode enc;
    enc.name = unique(used, "encode");
    enc.kind = "encode";
    enc.inputs = {mapper::kSymbolValue};
    enc.outputs = {out_.inputs[0].port};
    enc.params["encoder"] = "signed_accumulator";
    net.add_host_node(enc);
    mapper::HostNode acc;
    acc.name = unique(used, "accumulate");
    acc.kind = "add";
    const std::string score = unique(used, "score");
    acc.inputs = {score, out_.outputs[0].port};
    acc.outputs = {score};
    net.add_host_node(acc);
    out_.prediction = score;
    if (out_.outputs[0].size < 2) {  // `loihisim run` scores at least two classes
      mapper::HostNode pad;
      pad.name = unique(used, "pad_prediction");
      pad.kind = "concat";
      pad.inputs = {score, score};
      out_.prediction = unique(used, "prediction");
      pad.outputs = {out_.prediction};
      net.add_host_node(pad);
    }
    net.check_host_references();
  }
}

Lowered Lowerer::run() {
  out_.file = g_.file;
  out_.options = opt_;
  out_.warnings = g_.warnings;
  if (!(opt_.dt > 0) || !std::isfinite(opt_.dt))
    throw InputError(fmt::format("dt = {} s must be a finite number > 0", opt_.dt));
  classify();
  for (const auto& v : order_)
    if (kind_.at(v) != Kind::kDropped) shape(v);
  bool any_input = false;
  for (const auto& v : order_) {
    const Kind k = kind_.at(v);
    any_input = any_input || k == Kind::kInput;
    if (k == Kind::kNeuron) {
      Signal in = gather(v);
      for (auto& [src, rows] : in.from)
        projections_.push_back({src, v, std::move(rows), in.via[src], false});
      if (!in.bias.empty()) constant_[v] = in.bias;
    } else if (k == Kind::kOutput) {
      Signal in = gather(v);
      if (in.from.size() != 1)
        fail(v, fmt::format("must be fed by exactly one neuron node (the host reads spikes), it "
                            "receives {} sources",
                            in.from.size()));
      const std::string& src = in.from.begin()->first;
      if (kind_.at(src) != Kind::kNeuron)
        fail(v, "is fed directly by Input '" + src + "': nothing would run on the chip");
      bool identity = true;
      for (std::size_t i = 0; i < in.size && identity; ++i) {
        const auto& row = in.from.begin()->second[i];
        identity = row.size() == 1 && row[0].col == static_cast<std::int32_t>(i) &&
                   row[0].w == 1.0 && row[0].delay == 0;
      }
      for (double b : in.bias) identity = identity && b == 0.0;
      if (!identity) {
        std::string via;
        for (const auto& n : in.via[src])
          via += (via.empty() ? "" : ", ") + n + " (" + node(n).type + ")";
        fail(v, "receives a weighted sum of the spikes of '" + src + "' (through " + via +
                    ") rather than the spikes themselves: the chip's host reads spikes of a "
                    "population; end the graph with a neuron node");
      }
      outputs_.push_back(v);
      output_source_[v] = src;
    }
  }
  if (!any_input) throw InputError(g_.file + ": the graph has no Input node");
  depths();
  for (const auto& [name, d] : depth_) out_.max_depth = std::max(out_.max_depth, d);
  build();
  return std::move(out_);
}

}  // namespace

Lowered lower(const FlatGraph& graph, const LowerOptions& options) {
  return Lowerer(graph, options).run();
}

std::string quantisation_table(const std::vector<ParamQuant>& q) {
  std::size_t wn = 4, wp = 9, wh = 8;
  for (const auto& r : q) {
    wn = std::max(wn, r.node.size());
    wp = std::max(wp, std::min<std::size_t>(r.parameter.size(), 48));
    wh = std::max(wh, r.hardware.size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>8}  {:>11}  {:>11}  {:>9}  {:>9}  {:>6}  {}\n",
                  "node", wn, "parameter", wp, "hardware", wh, "values", "max |value|",
                  "max |error|", "max rel", "rel max", "zeroed", "unit");
  for (const auto& r : q) {
    std::string p = r.parameter.size() > 48 ? r.parameter.substr(0, 45) + "..." : r.parameter;
    out += fmt::format(
        "{:<{}}  {:<{}}  {:<{}}  {:>8}  {:>11.4g}  {:>11.4g}  {:>9.3g}  {:>9.3g}  {:>6}  {}\n",
        r.node, wn, p, wp, r.hardware, wh, r.count, r.max_value, r.max_abs_error, r.max_rel_error,
        r.rel_to_max, r.zeroed, r.unit);
  }
  return out;
}

}  // namespace loihisim::models::nir
