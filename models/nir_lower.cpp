#include "models/nir_lower.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "core/synapse.hpp"
#include "io/errors.hpp"
#include "mapper/quantize.hpp"
#include "models/nir_linear.hpp"
#include "models/nir_neurons.hpp"
#include "models/nir_shapes.hpp"

namespace loihisim::models::nir {
namespace {

// One projection to build: the map from the spikes of `source` into neuron node `target`.
struct ProjSpec {
  std::string source, target;  // flat NIR names
  Rows rows;
  std::set<std::string> via;
  bool back = false;  // closes a cycle
};

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

// `base` sanitised, with a suffix _2, _3, ... when `used` has it already; recorded in `used`.
std::string unique_name(std::set<std::string>& used, const std::string& base) {
  std::string s = sanitize(base);
  for (int k = 2; used.count(s); ++k) s = sanitize(base) + "_" + std::to_string(k);
  used.insert(s);
  return s;
}

// "a (Affine), b (Scale)": the linear nodes a path passes, with their types.
std::string via_list(const NodeTable& nodes, const std::set<std::string>& via) {
  std::string out;
  for (const auto& v : via) out += (out.empty() ? "" : ", ") + v + " (" + nodes.node(v).type + ")";
  return out;
}

// The synapses of one projection before quantisation, one per entry of its rows.
struct SynapseList {
  std::vector<std::int32_t> pre, post, delay;
  std::vector<double> hw;     // weight in v units of the hardware (before the exponent)
  std::vector<double> nir_w;  // weight as the graph gives it
  double max_hw = 0;
  bool pos = false, neg = false;
};

// The format of a projection's synapses: the sign its weights need, the smallest weight
// exponent that holds the largest one, and enough delay bits for the longest delay.
core::SynapseFormat synapse_format(const NodeTable& nodes, const std::string& target,
                                   const std::string& source, const SynapseList& s) {
  core::SynapseFormat format;
  format.weight_bits = nodes.options().weight_bits;
  format.sign = s.neg && !s.pos   ? core::SignMode::kInhibitory
                : s.pos && !s.neg ? core::SignMode::kExcitatory
                                  : core::SignMode::kMixed;
  const int max_m = core::max_weight_mantissa(format);
  int e = 0;  // the smallest exponent whose range holds the largest weight
  if (s.max_hw > 0)
    for (e = -core::kMaxWeightExp; e < core::kMaxWeightExp; ++e)
      if (s.max_hw <= max_m * std::ldexp(1.0, 6 + e)) break;
  format.weight_exp = e;
  int max_delay = 0;
  for (int d : s.delay) max_delay = std::max(max_delay, d);
  while ((1 << format.delay_bits) <= max_delay) ++format.delay_bits;
  if (format.delay_bits > core::kMaxDelayBits)
    nodes.fail(target, fmt::format("needs a synaptic delay of {} steps from '{}'; at most {} fit "
                                   "the delay field",
                                   max_delay, source, (1 << core::kMaxDelayBits) - 1));
  return format;
}

// How the weights of a projection were quantised: `unit[i]` is the hardware v per NIR unit of
// input to neuron i (gain x scale).
ParamQuant weight_report(const NodeTable& nodes, const ProjSpec& spec,
                         const core::SynapseFormat& format, const SynapseList& s,
                         const std::vector<std::int16_t>& mant, const std::vector<double>& unit) {
  ParamQuant q;
  q.node = spec.source + " -> " + spec.target;
  const std::string via = via_list(nodes, spec.via);
  q.parameter = via.empty() ? "weight (identity)" : "weight via " + via;
  q.hardware = fmt::format(
      "{}-bit {}, weight_exp {}{}", format.weight_bits, name_of(core::kSignModeNames, format.sign),
      format.weight_exp,
      format.delay_bits ? fmt::format(", {} delay bits", format.delay_bits) : std::string());
  q.count = static_cast<std::int64_t>(s.hw.size());
  q.unit = "1";
  for (std::size_t j = 0; j < s.hw.size(); ++j) {
    const double u = unit[static_cast<std::size_t>(s.post[j])];
    const double rep = u != 0 ? core::effective_weight(mant[j], format.weight_exp) / u : 0.0;
    record_error(q, s.nir_w[j], rep);
    if (mant[j] == 0) ++q.zeroed;
  }
  finish(q);
  return q;
}

// The synapses of `s` with stored mantissas `mant` as a projection from `n_src` to `n` neurons:
// dense when at least half the matrix is used (a dense synapse costs its weight bits, a sparse
// one adds 6..12 index bits) and no pair of neurons is joined at two delays.
void set_synapses(mapper::Projection& proj, const SynapseList& s, std::vector<std::int16_t> mant,
                  std::size_t n_src, std::size_t n) {
  const auto& pre = s.pre;
  const auto& post = s.post;
  const auto& dly = s.delay;
  const std::size_t cells = n_src * n;
  std::set<std::pair<std::int32_t, std::int32_t>> seen;
  bool duplicates = false;  // one pair at two delays: only a sparse list holds both
  for (std::size_t j = 0; j < pre.size() && !duplicates; ++j)
    duplicates = !seen.insert({post[j], pre[j]}).second;
  const bool uniform_delay =
      std::all_of(dly.begin(), dly.end(), [&](std::int32_t d) { return d == dly[0]; });
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
    proj.weight = std::move(mant);
    if (!uniform_delay) proj.delay.assign(dly.begin(), dly.end());
  }
  proj.uniform_delay = uniform_delay && !dly.empty() ? dly[0] : 0;
}

class Lowerer {
 public:
  Lowerer(const FlatGraph& g, const LowerOptions& opt)
      : g_(g), opt_(opt), nodes_(g, opt), shapes_(nodes_), paths_(nodes_, shapes_) {}
  Lowered run();

 private:
  void collect_paths();
  void add_output(const std::string& name, Signal in);
  void depths();
  void add_inputs();
  std::vector<std::string> population_order();
  void add_population(const std::string& p);
  void add_drive_notes(const PopulationInfo& info, const NeuronModel& m, const Compartments& c);
  SynapseList synapses(const PopulationInfo& info, const ProjSpec& spec);
  void add_projection(const PopulationInfo& info, const ProjSpec& spec);
  void add_output_ports();
  void add_host_nodes();

  const FlatGraph& g_;
  LowerOptions opt_;
  NodeTable nodes_;
  ShapeInference shapes_;
  LinearPaths paths_;
  Lowered out_;
  std::vector<ProjSpec> projections_;
  std::map<std::string, std::vector<std::size_t>> incoming_;  // neuron -> its projections
  std::map<std::string, std::vector<double>> constant_;       // neuron -> constant input
  std::vector<std::string> outputs_;                          // Output nodes
  std::map<std::string, std::string> output_source_;          // Output -> neuron
  std::map<std::string, int> depth_;
  std::map<std::string, NeuronModel> models_;
  std::map<std::string, std::string> net_name_;  // flat NIR name -> network name
  std::set<std::string> used_, used_proj_;       // network names taken
};

// What arrives at every neuron node becomes its projections and constant input; what arrives
// at an Output node must be the spikes of one neuron node.
void Lowerer::collect_paths() {
  bool any_input = false;
  for (const auto& v : nodes_.order()) {
    const Kind k = nodes_.kind(v);
    any_input = any_input || k == Kind::kInput;
    if (k == Kind::kNeuron) {
      Signal in = paths_.gather(v);
      for (auto& [src, rows] : in.from) {
        incoming_[v].push_back(projections_.size());
        projections_.push_back({src, v, std::move(rows), in.via[src], false});
      }
      if (!in.bias.empty()) constant_[v] = in.bias;
    } else if (k == Kind::kOutput) {
      add_output(v, paths_.gather(v));
    }
  }
  if (!any_input) throw InputError(g_.file + ": the graph has no Input node");
}

void Lowerer::add_output(const std::string& name, Signal in) {
  if (in.from.size() != 1)
    nodes_.fail(name,
                fmt::format("must be fed by exactly one neuron node (the host reads spikes), it "
                            "receives {} sources",
                            in.from.size()));
  const std::string& src = in.from.begin()->first;
  if (nodes_.kind(src) != Kind::kNeuron)
    nodes_.fail(name, "is fed directly by Input '" + src + "': nothing would run on the chip");
  bool identity = true;
  for (std::size_t i = 0; i < in.size && identity; ++i) {
    const auto& row = in.from.begin()->second[i];
    identity = row.size() == 1 && row[0].col == static_cast<std::int32_t>(i) && row[0].w == 1.0 &&
               row[0].delay == 0;
  }
  for (double b : in.bias) identity = identity && b == 0.0;
  if (!identity) {
    nodes_.fail(name, "receives a weighted sum of the spikes of '" + src + "' (through " +
                          via_list(nodes_, in.via[src]) +
                          ") rather than the spikes themselves: the chip's host reads spikes of "
                          "a population; end the graph with a neuron node");
  }
  outputs_.push_back(name);
  output_source_[name] = src;
}

// Pipeline depths: the longest chain of projections from the inputs, on the spike-level graph
// (inputs and neuron nodes, one edge per projection) with the edges that close cycles marked.
void Lowerer::depths() {
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
  for (const auto& v : nodes_.order())
    if (nodes_.kind(v) == Kind::kInput && !color[v]) dfs(v);
  for (const auto& v : nodes_.order())
    if (nodes_.kind(v) == Kind::kNeuron && !color[v]) dfs(v);
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

void Lowerer::add_inputs() {
  for (const auto& v : nodes_.order())
    if (nodes_.kind(v) == Kind::kInput) {
      InputInfo in;
      in.nir_node = v;
      in.shape = shapes_.shape(v);
      in.size = static_cast<std::int32_t>(product(in.shape));
      in.port = net_name_[v] = unique_name(used_, v);
      out_.network->add_input_port({in.port, in.size});
      out_.inputs.push_back(in);
    }
}

// Neuron nodes in depth order (then file order), so that the same network read flat or nested
// has the same population order.
std::vector<std::string> Lowerer::population_order() {
  std::vector<std::string> pops;
  for (const auto& v : nodes_.order())
    if (nodes_.kind(v) == Kind::kNeuron) pops.push_back(v);
  std::stable_sort(pops.begin(), pops.end(), [&](const std::string& a, const std::string& b) {
    return depth_[a] < depth_[b];
  });
  return pops;
}

// A population with its profile, scale and bias; its projections come once every population
// exists.
void Lowerer::add_population(const std::string& p) {
  Shape shp;
  const std::size_t n = nodes_.neuron_size(p, &shp);
  NeuronModel m = neuron_model(nodes_, p, n);
  PopulationInfo info;
  info.nir_node = p;
  info.nir_path = g_.find(p)->path;
  info.type = nodes_.node(p).type;
  info.shape = shp;
  info.size = static_cast<std::int32_t>(n);
  info.depth = depth_[p];
  info.spiking = m.spiking;
  info.population = net_name_[p] = unique_name(used_, p);

  std::vector<const Rows*> incoming;
  for (std::size_t k : incoming_[p]) incoming.push_back(&projections_[k].rows);
  const auto cit = constant_.find(p);
  const Compartments c =
      compartments(nodes_, p, n, m, cit != constant_.end() ? &cit->second : nullptr, incoming);
  info.scale = c.scale;
  info.scale_limit = c.scale_limit;

  mapper::Population pop;
  pop.name = info.population;
  pop.size = info.size;
  pop.profile = c.profile;
  pop.bias_mant = c.bias_mant;
  pop.bias_exp = c.bias_exp;
  if (c.drive.count > 0) {
    out_.quantisation.push_back(c.drive);
    add_drive_notes(info, m, c);
  }
  out_.quantisation.insert(out_.quantisation.end(), c.parameters.begin(), c.parameters.end());
  out_.network->add_population(std::move(pop));
  models_[p] = std::move(m);
  out_.populations.push_back(std::move(info));
}

void Lowerer::add_drive_notes(const PopulationInfo& info, const NeuronModel& m,
                              const Compartments& c) {
  if (info.depth > 0)
    out_.notes.push_back(fmt::format(
        "population '{}': its constant drive ({}) acts from chip step 1, {} step(s) before "
        "its first input arrives (pipeline depth {})",
        info.population, c.drive.parameter, info.depth, info.depth));
  if (m.filter && c.drive_has_bias)
    out_.notes.push_back(fmt::format(
        "population '{}': the Affine bias enters v as compartment bias instead of passing "
        "the synaptic current filter: exact in steady state, but it does not ramp up over "
        "the first steps (tau_syn = {:.3g} steps)",
        info.population, 1.0 / m.a_s));
}

// The synapses of a projection into `info`'s population: each entry of its rows at the
// synaptic delay that makes it arrive in step, its weight in hardware units.
SynapseList Lowerer::synapses(const PopulationInfo& info, const ProjSpec& spec) {
  const NeuronModel& m = models_.at(info.nir_node);
  const int d_src = depth_[spec.source], d_tgt = depth_[info.nir_node];
  SynapseList s;
  bool warned = false;
  for (std::size_t i = 0; i < static_cast<std::size_t>(info.size); ++i)
    for (const auto& e : spec.rows[i]) {
      // NIR steps of delay on this path: Delay nodes, and the one step a cycle has.
      const int model = spec.back ? std::max(e.delay, 1) : e.delay;
      int d = d_tgt - d_src - 1 + model;
      if (d < 0) {
        if (!warned)
          nodes_.approximate(info.nir_node,
                             fmt::format("the cycle through '{}' closes from depth {} back to "
                                         "depth {}: the chip adds one step per projection, so "
                                         "this loop takes {} more step(s) than the NIR graph says",
                                         spec.source, d_src, d_tgt, -d),
                             "accept the longer loop");
        warned = true;
        d = 0;
      }
      const double v = m.gain[i] * e.w * info.scale[i];
      s.pre.push_back(e.col);
      s.post.push_back(static_cast<std::int32_t>(i));
      s.delay.push_back(d);
      s.hw.push_back(v);
      s.nir_w.push_back(e.w);
      s.max_hw = std::max(s.max_hw, std::fabs(v));
      s.pos = s.pos || v > 0;
      s.neg = s.neg || v < 0;
    }
  return s;
}

void Lowerer::add_projection(const PopulationInfo& info, const ProjSpec& spec) {
  const std::string& p = info.nir_node;
  const NeuronModel& m = models_.at(p);
  const std::size_t n = static_cast<std::size_t>(info.size);
  const SynapseList s = synapses(info, spec);
  const core::SynapseFormat format = synapse_format(nodes_, p, spec.source, s);
  std::vector<double> mant_units(s.hw.size());
  for (std::size_t j = 0; j < s.hw.size(); ++j)
    mant_units[j] = std::ldexp(s.hw[j], -(6 + format.weight_exp));
  auto mant = mapper::quantize_weights(mant_units, 1.0, format, false,
                                       fmt::format("node '{}' <- '{}' weights", p, spec.source));
  std::vector<double> unit(n);
  for (std::size_t i = 0; i < n; ++i) unit[i] = m.gain[i] * info.scale[i];
  out_.quantisation.push_back(weight_report(nodes_, spec, format, s, mant, unit));

  mapper::Projection proj;
  proj.source = net_name_.at(spec.source);
  proj.target = info.population;
  proj.name = unique_name(used_proj_, proj.source + "_to_" + proj.target);
  proj.format = format;
  set_synapses(proj, s, std::move(mant), product(shapes_.shape(spec.source)), n);
  out_.network->add_projection(std::move(proj));
}

void Lowerer::add_output_ports() {
  for (const auto& o : outputs_) {
    OutputInfo oi;
    oi.nir_node = o;
    oi.nir_path = g_.find(o)->path;
    oi.shape = shapes_.shape(o);
    oi.size = static_cast<std::int32_t>(product(oi.shape));
    const std::string& src = output_source_.at(o);
    for (std::size_t k = 0; k < out_.populations.size(); ++k)
      if (out_.populations[k].nir_node == src) oi.population = static_cast<int>(k);
    oi.port = unique_name(used_, o);
    out_.network->add_output_port({oi.port, net_name_.at(src)});
    out_.outputs.push_back(oi);
  }
}

// Host nodes for `loihisim run`: one input, streamed one NIR step per symbol (T = 1), and the
// first output's spike counts summed over the sample as the prediction.
void Lowerer::add_host_nodes() {
  if (out_.inputs.size() != 1 || out_.outputs.empty()) return;
  auto& net = *out_.network;
  mapper::HostNode enc;
  enc.name = unique_name(used_, "encode");
  enc.kind = "encode";
  enc.inputs = {mapper::kSymbolValue};
  enc.outputs = {out_.inputs[0].port};
  enc.params["encoder"] = "signed_accumulator";
  net.add_host_node(enc);
  mapper::HostNode acc;
  acc.name = unique_name(used_, "accumulate");
  acc.kind = "add";
  const std::string score = unique_name(used_, "score");
  acc.inputs = {score, out_.outputs[0].port};
  acc.outputs = {score};
  net.add_host_node(acc);
  out_.prediction = score;
  if (out_.outputs[0].size < 2) {  // `loihisim run` scores at least two classes
    mapper::HostNode pad;
    pad.name = unique_name(used_, "pad_prediction");
    pad.kind = "concat";
    pad.inputs = {score, score};
    out_.prediction = unique_name(used_, "prediction");
    pad.outputs = {out_.prediction};
    net.add_host_node(pad);
  }
  net.check_host_references();
}

Lowered Lowerer::run() {
  out_.file = g_.file;
  out_.options = opt_;
  for (const auto& v : nodes_.order())
    if (nodes_.kind(v) != Kind::kDropped) shapes_.shape(v);
  collect_paths();
  depths();
  for (const auto& [name, d] : depth_) out_.max_depth = std::max(out_.max_depth, d);

  out_.network = std::make_unique<mapper::Network>();
  out_.network->name = sanitize(std::filesystem::path(g_.file).stem().string());
  add_inputs();
  // Every population exists before any projection names it as its source.
  for (const auto& p : population_order()) add_population(p);
  for (const auto& info : out_.populations)
    for (std::size_t k : incoming_[info.nir_node]) add_projection(info, projections_[k]);
  add_output_ports();
  add_host_nodes();
  out_.warnings = nodes_.warnings();
  return std::move(out_);
}

}  // namespace

Lowered lower(const FlatGraph& graph, const LowerOptions& options) {
  if (!(options.dt > 0) || !std::isfinite(options.dt))
    throw InputError(fmt::format("dt = {} s must be a finite number > 0", options.dt));
  return Lowerer(graph, options).run();
}

}  // namespace loihisim::models::nir
