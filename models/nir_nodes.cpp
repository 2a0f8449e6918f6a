#include "models/nir_nodes.hpp"

#include <fmt/core.h>

#include <cmath>
#include <set>

#include "io/errors.hpp"

namespace loihisim::models::nir {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::uint64_t product(const Shape& s) {
  std::uint64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

NodeTable::NodeTable(const FlatGraph& g, const LowerOptions& opt)
    : g_(g), opt_(opt), warnings_(g.warnings) {
  for (const auto& n : g_.nodes) {
    order_.push_back(n.name);
    kind_[n.name] = classify(n);
  }
  add_edges();
}

Kind NodeTable::classify(const FlatNode& n) {
  static const std::set<std::string> linear = {"Affine",    "Linear",    "Scale", "Conv2d",
                                               "SumPool2d", "AvgPool2d", "Delay"};
  static const std::set<std::string> neurons = {"LIF", "CubaLIF", "IF", "LI", "CubaLI", "I"};
  const std::string& t = n.node.type;
  if (n.boundary || t == "Flatten") return Kind::kIdentity;
  if (t == "Input") return Kind::kInput;
  if (t == "Output") return Kind::kOutput;
  if (linear.count(t)) return Kind::kLinear;
  if (neurons.count(t)) return Kind::kNeuron;
  const std::string why =
      t == "Threshold"
          ? "type Threshold (a memoryless spike generator) has no Loihi compartment: every "
            "compartment keeps its voltage between steps"
      : t == "Conv1d" ? "type Conv1d is not supported (Conv2d is)"
                      : "unknown node type '" + t + "'";
  approximate(n.name, why, "drop the node: its targets get no input from it");
  return Kind::kDropped;
}

void NodeTable::add_edges() {
  for (const auto& e : g_.edges) {
    if (kind(e.source) == Kind::kDropped || kind(e.target) == Kind::kDropped) continue;
    if (kind(e.source) == Kind::kOutput)
      fail(e.source, "an Output node cannot be the source of an edge (edge to '" + e.target + "')");
    if (kind(e.target) == Kind::kInput)
      fail(e.target,
           "an Input node cannot be the target of an edge (edge from '" + e.source + "')");
    preds_[e.target].push_back(e.source);
  }
}

const std::vector<std::string>& NodeTable::preds(const std::string& name) const {
  static const std::vector<std::string> none;
  const auto it = preds_.find(name);
  return it == preds_.end() ? none : it->second;
}

void NodeTable::fail(const std::string& node, const std::string& why) const {
  const FlatNode* n = g_.find(node);
  throw InputError(fmt::format("{}: node '{}'{}: {}", g_.file, node,
                               n ? " (" + n->node.type + ")" : std::string(), why));
}

void NodeTable::approximate(const std::string& node, const std::string& why,
                            const std::string& taken) {
  if (!opt_.approximate) fail(node, why + " (pass --approximate to " + taken + ")");
  warnings_.push_back(fmt::format("node '{}': {}; {}", node, why, taken));
}

const Array& NodeTable::array(const std::string& name, const std::string& key) const {
  const Array* a = node(name).find(key);
  if (!a) fail(name, "missing parameter '" + key + "'");
  return *a;
}

std::vector<double> NodeTable::param(const std::string& name, const std::string& key, std::size_t n,
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

std::vector<std::int64_t> NodeTable::ints(const std::string& name, const std::string& key,
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

Shape NodeTable::dims(const std::string& name, const Array& a) const {
  Shape d;
  for (double v : a.values) {
    if (v < 1 || v != std::floor(v))
      fail(name, fmt::format("shape entry {} is not a positive integer", v));
    if (v > 1e9) fail(name, fmt::format("shape entry {} is larger than 10^9", v));
    d.push_back(static_cast<std::uint64_t>(v));
    // Populations hold at most 2^30 neurons (docs/network-format.md); checked as the entries
    // come so that the product cannot overflow.
    if (product(d) > (std::uint64_t{1} << 30))
      fail(name, fmt::format("shape {} has more than 2^30 values", shape_str(d)));
  }
  return d;
}

std::size_t NodeTable::neuron_size(const std::string& name, Shape* shape) const {
  std::size_t n = 0;
  Shape best;
  for (const auto& [key, a] : node(name).params)
    if (a.size() > n) {
      n = a.size();
      best = a.shape;
    }
  if (n == 0) fail(name, "has no parameters to size it");
  if (best.empty()) best = {1};
  if (shape) *shape = best;
  return n;
}

}  // namespace loihisim::models::nir
