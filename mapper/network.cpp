#include "mapper/network.hpp"

#include <fmt/core.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "core/fixed_point.hpp"
#include "io/errors.hpp"

namespace loihisim::mapper {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw InputError(message);
}

void check_range(const std::string& what, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi)
    fail(fmt::format("{} = {} is outside the allowed range {}..{}", what, value, lo, hi));
}

// The rules between a profile's fields that depend on its neuron model (core::validate() has
// the same; docs/core.md, "Sigma-delta neurons"). `at` names the profile.
void check_neuron_model(const std::string& at, const core::CompartmentProfile& f) {
  if (f.neuron != core::NeuronModel::kSigmaDelta) {
    if (f.input_max != -1)
      fail(
          fmt::format("{}.input_max = {} applies to sigma_delta neurons only: must be -1 (unused) "
                      "for cuba",
                      at, f.input_max));
    return;
  }
  if (f.spike != core::SpikeKind::kGraded)
    fail(at +
         ".spike = binary: a sigma_delta neuron sends graded spikes: spike must be graded (so it "
         "needs an architecture with graded spikes)");
  if (f.payload_shift < 1)
    fail(
        fmt::format("{}.payload_shift = {} is outside the allowed range 1..{} (of a sigma_delta "
                    "neuron: its quantum is 2^payload_shift)",
                    at, f.payload_shift, core::kPayloadBits));
  check_range(at + ".input_max", f.input_max, -1, core::kMaxInputMax);  // -1: no upper clip
  if (f.reset != core::ResetMode::kZero)
    fail(at +
         ".reset = subtract does not apply to a sigma_delta neuron (it subtracts whole quanta: "
         "reset modulo 2^payload_shift): must be zero");
  if (f.refract_delay != 1)
    fail(
        fmt::format("{}.refract_delay = {} but a sigma_delta neuron has no refractory period: "
                    "must be 1",
                    at, f.refract_delay));
}

// Names synapse k of a projection the way a user wrote it.
std::string synapse_name(const Projection& p, std::size_t k, std::int32_t n_source) {
  if (p.dense)
    return fmt::format("[target {}, source {}]", k / static_cast<std::size_t>(n_source),
                       k % static_cast<std::size_t>(n_source));
  return fmt::format("{} (pre {} -> post {})", k, p.pre[k], p.post[k]);
}

// The storage format a projection names: weight bits, exponent and delay bits in range; index
// and tag bits are the mapper's to choose.
void check_format(const std::string& what, const core::SynapseFormat& f) {
  if (!core::valid_weight_bits(f.weight_bits))
    fail(
        fmt::format("{}: format.weight_bits = {} is not one of the allowed values "
                    "{{0,1,2,3,4,5,6,8}}",
                    what, f.weight_bits));
  check_range(what + ": format.weight_exp", f.weight_exp, -core::kMaxWeightExp,
              core::kMaxWeightExp);
  check_range(what + ": format.delay_bits", f.delay_bits, 0, core::kMaxDelayBits);
  if (f.index_bits != 0 || f.tag_bits != 0)
    fail(what +
         ": format.index_bits and format.tag_bits must be 0 (the mapper chooses index "
         "bits; learning tags are not supported)");
}

// The layout: target x source weights when dense, else one (pre, post) pair per weight, each
// inside its population.
void check_layout(const std::string& what, const Projection& p, std::int32_t n_src,
                  std::int32_t n_dst) {
  const std::size_t n = p.weight.size();
  if (p.dense) {
    const auto expect = static_cast<std::size_t>(n_src) * static_cast<std::size_t>(n_dst);
    if (!p.pre.empty() || !p.post.empty())
      fail(what + ": a dense projection takes no pre/post indices");
    if (n != expect)
      fail(fmt::format("{}: dense weights have {} values but target x source is {} x {} = {}", what,
                       n, n_dst, n_src, expect));
    return;
  }
  if (p.pre.size() != n || p.post.size() != n)
    fail(
        fmt::format("{}: sparse synapses need as many pre ({}) and post ({}) indices as "
                    "weights ({})",
                    what, p.pre.size(), p.post.size(), n));
  for (std::size_t k = 0; k < n; ++k) {
    if (p.pre[k] < 0 || p.pre[k] >= n_src)
      check_range(fmt::format("{}: pre[{}]", what, k), p.pre[k], 0, n_src - 1);
    if (p.post[k] < 0 || p.post[k] >= n_dst)
      check_range(fmt::format("{}: post[{}]", what, k), p.post[k], 0, n_dst - 1);
  }
}

// Every weight storable in the format, every delay inside its delay bits, a usable rate.
void check_synapses(const std::string& what, const Projection& p, std::int32_t n_src) {
  const auto& f = p.format;
  const std::size_t n = p.weight.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (!core::mantissa_fits(p.weight[k], f))
      fail(
          fmt::format("{}: weight of synapse {} = {} is not storable with {} weight bits ({}): "
                      "allowed are multiples of {} with magnitude <= {}",
                      what, synapse_name(p, k, n_src), p.weight[k], f.weight_bits,
                      core::sign_description(f.sign), 1 << std::min(core::weight_lsb_bits(f), 8),
                      core::max_weight_mantissa(f)));
  }
  const int max_delay = (1 << f.delay_bits) - 1;
  if (!p.delay.empty()) {
    if (p.delay.size() != n)
      fail(fmt::format("{}: {} delays for {} synapses", what, p.delay.size(), n));
    for (std::size_t k = 0; k < n; ++k)
      if (p.delay[k] > max_delay)
        fail(
            fmt::format("{}: delay of synapse {} = {} does not fit format.delay_bits = {} "
                        "(allowed 0..{})",
                        what, synapse_name(p, k, n_src), int{p.delay[k]}, f.delay_bits, max_delay));
  }
  check_range(what + ": delay", p.uniform_delay, 0, max_delay);
  if (!std::isfinite(p.rate) || p.rate < 0)
    fail(
        fmt::format("{}: rate = {} must be a finite number >= 0 (spikes per source neuron per "
                    "step)",
                    what, p.rate));
}

}  // namespace

bool valid_name(const std::string& s) {
  if (s.empty() || s.front() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void Network::check_name(const std::string& kind, const std::string& node_name) const {
  if (!valid_name(node_name))
    fail(
        fmt::format("{} name '{}' is not allowed: use letters, digits, '_', '-' and '.', not "
                    "starting with '.'",
                    kind, node_name));
  const auto it = names_.find(node_name);
  if (it != names_.end())
    fail(fmt::format("{} name '{}' is already used by the {} of that name", kind, node_name,
                     it->second));
}

Network::Network(const Network& other)
    : name(other.name),
      graph_(other.graph_),
      by_name_(other.by_name_),
      names_(other.names_),
      projection_names_(other.projection_names_),
      populations_(other.populations_),
      input_ports_(other.input_ports_),
      output_ports_(other.output_ports_),
      host_nodes_(other.host_nodes_) {
  relink_projections();
}

Network::Network(Network&& other) noexcept
    : name(std::move(other.name)),
      graph_(std::move(other.graph_)),
      by_name_(std::move(other.by_name_)),
      names_(std::move(other.names_)),
      projection_names_(std::move(other.projection_names_)),
      populations_(std::move(other.populations_)),
      input_ports_(std::move(other.input_ports_)),
      output_ports_(std::move(other.output_ports_)),
      host_nodes_(std::move(other.host_nodes_)) {
  relink_projections();
}

Network& Network::operator=(const Network& other) {
  if (this != &other) *this = Network(other);
  return *this;
}

Network& Network::operator=(Network&& other) noexcept {
  if (this == &other) return *this;
  name = std::move(other.name);
  graph_ = std::move(other.graph_);
  by_name_ = std::move(other.by_name_);
  names_ = std::move(other.names_);
  projection_names_ = std::move(other.projection_names_);
  populations_ = std::move(other.populations_);
  input_ports_ = std::move(other.input_ports_);
  output_ports_ = std::move(other.output_ports_);
  host_nodes_ = std::move(other.host_nodes_);
  relink_projections();
  return *this;
}

void Network::relink_projections() {
  projections_.assign(projection_names_.size(), Edge{});
  for (auto [it, end] = boost::edges(graph_); it != end; ++it)
    projections_[static_cast<std::size_t>(projection_names_.at(graph_[*it].name))] = *it;
}

Network::Vertex Network::add_population(Population p) {
  const std::string what = fmt::format("population '{}'", p.name);
  check_name("population", p.name);
  check_range(what + ": size", p.size, 1, std::int64_t{1} << 30);
  const auto n = static_cast<std::size_t>(p.size);
  const auto check_profile = [&](const std::string& at, const core::CompartmentProfile& f) {
    check_range(at + ".decay_u", f.decay_u, 0, core::kMaxDecay);
    check_range(at + ".decay_v", f.decay_v, 0, core::kMaxDecay);
    check_range(at + ".vth_mant", f.vth_mant, 0, core::kMaxVthMant);
    check_range(at + ".refract_delay", f.refract_delay, 1, core::kMaxRefractDelay);
    check_range(at + ".vmin_exp", f.vmin_exp, 0, core::kMaxVminExp);
    check_range(at + ".vmax_exp", f.vmax_exp, 0, core::kMaxVmaxExp);
    check_range(at + ".payload_shift", f.payload_shift, 0, core::kPayloadBits);
    check_neuron_model(at, f);
  };
  const auto check_biases = [&](const std::string& at, const NeuronBiases& b) {
    if (!b.bias_mant.empty() && b.bias_mant.size() != n)
      fail(fmt::format("{}bias_mant has {} values for {} neurons", at, b.bias_mant.size(), n));
    if (!b.bias_exp.empty() && b.bias_exp.size() != n)
      fail(fmt::format("{}bias_exp has {} values for {} neurons", at, b.bias_exp.size(), n));
    for (std::size_t i = 0; i < b.bias_mant.size(); ++i)
      if (std::abs(b.bias_mant[i]) > core::kMaxBiasMant)
        check_range(fmt::format("{}bias_mant[{}]", at, i), b.bias_mant[i], -core::kMaxBiasMant,
                    core::kMaxBiasMant);
    for (std::size_t i = 0; i < b.bias_exp.size(); ++i)
      if (b.bias_exp[i] < 0 || b.bias_exp[i] > core::kMaxBiasExp)
        check_range(fmt::format("{}bias_exp[{}]", at, i), b.bias_exp[i], 0, core::kMaxBiasExp);
  };
  check_profile(what + ": profile", p.profile);
  check_biases(what + ": ", p);
  if (p.dendrite) {
    check_profile(what + ": dendrite.profile", p.dendrite->profile);
    check_biases(what + ": dendrite.", *p.dendrite);
  }
  if (!p.join_parent.empty()) check_join_parent(what, p);
  const std::string key = p.name;
  const Vertex v = boost::add_vertex(Node{std::move(p)}, graph_);
  names_[key] = "population";
  by_name_[key] = v;
  populations_.push_back(v);
  return v;
}

// A join child's parent: a population added before it, of the same size, neither with a
// dendrite (a join group's neurons are the trees its populations form).
void Network::check_join_parent(const std::string& what, const Population& p) const {
  if (p.dendrite)
    fail(fmt::format("{}: a member of a join group (join_parent '{}') cannot have a dendrite", what,
                     p.join_parent));
  const auto it = by_name_.find(p.join_parent);
  if (it == by_name_.end() || !is_population(it->second))
    fail(fmt::format("{}: join_parent '{}' is not a population added before it", what,
                     p.join_parent));
  const Population& parent = population(it->second);
  if (parent.size != p.size)
    fail(fmt::format("{}: {} neurons, but its join_parent '{}' has {} (neuron i joins neuron i)",
                     what, p.size, parent.name, parent.size));
  if (parent.dendrite)
    fail(fmt::format("{}: its join_parent '{}' has a dendrite (members of a join group cannot)",
                     what, parent.name));
}

Network::Vertex Network::add_input_port(InputPort p) {
  check_name("input port", p.name);
  check_range(fmt::format("input port '{}': size", p.name), p.size, 1, std::int64_t{1} << 30);
  const std::string key = p.name;
  const Vertex v = boost::add_vertex(Node{std::move(p)}, graph_);
  names_[key] = "input port";
  by_name_[key] = v;
  input_ports_.push_back(v);
  return v;
}

Network::Edge Network::add_projection(Projection p) {
  const std::string what = fmt::format("projection '{}'", p.name);
  if (!valid_name(p.name))
    fail(
        fmt::format("projection name '{}' is not allowed: use letters, digits, '_', '-' and "
                    "'.', not starting with '.'",
                    p.name));
  if (projection_names_.count(p.name)) fail(what + ": a projection of that name already exists");
  const auto src = find(p.source);
  if (!src) fail(fmt::format("{}: source '{}' names no population or input port", what, p.source));
  const auto dst = find(p.target);
  if (!dst || !is_population(*dst))
    fail(fmt::format("{}: target '{}' names no population", what, p.target));
  const std::int32_t n_src = node_size(*src);
  const std::int32_t n_dst = node_size(*dst);
  check_format(what, p.format);
  check_layout(what, p, n_src, n_dst);
  check_synapses(what, p, n_src);
  const std::string key = p.name;
  const auto [e, ok] = boost::add_edge(*src, *dst, std::move(p), graph_);
  (void)ok;
  projection_names_[key] = static_cast<int>(projections_.size());
  projections_.push_back(e);
  return e;
}

void Network::add_output_port(OutputPort p) {
  check_name("output port", p.name);
  const auto v = find(p.population);
  if (!v || !is_population(*v))
    fail(
        fmt::format("output port '{}': population '{}' names no population", p.name, p.population));
  names_[p.name] = "output port";
  output_ports_.push_back(std::move(p));
}

void Network::add_host_node(HostNode h) {
  check_name("host node", h.name);
  if (h.kind.empty()) fail(fmt::format("host node '{}': kind must not be empty", h.name));
  for (const auto& [key, a] : h.arrays) {
    if (!valid_name(key))
      fail(fmt::format("host node '{}': array name '{}' is not allowed", h.name, key));
    if (a.shape.empty())
      fail(fmt::format("host node '{}': array '{}' needs a shape of rank >= 1", h.name, key));
    std::uint64_t n = 1;
    for (auto d : a.shape) n *= d;
    if (n != a.values.size())
      fail(fmt::format("host node '{}': array '{}' has {} values for its shape", h.name, key,
                       a.values.size()));
  }
  names_[h.name] = "host node";
  host_nodes_.push_back(std::move(h));
}

void Network::check_host_references() const {
  std::map<std::string, std::string> produced;  // output name -> host node producing it
  for (const auto& h : host_nodes_)
    for (const auto& o : h.outputs) {
      if (o == kSymbolValue)
        fail(fmt::format("host node '{}': output '{}' is the input symbol the runtime provides",
                         h.name, o));
      const auto [it, fresh] = produced.emplace(o, h.name);
      if (!fresh)
        fail(fmt::format("host node '{}': output '{}' is already produced by host node '{}'",
                         h.name, o, it->second));
      const auto named = names_.find(o);
      // A host node drives input ports (spikes) or populations (their biases: direct current).
      if (named != names_.end() && named->second != "input port" && named->second != "population")
        fail(
            fmt::format("host node '{}': output '{}' names {} {}; outputs are input ports, "
                        "populations or new names",
                        h.name, o, named->second[0] == 'o' || named->second[0] == 'i' ? "an" : "a",
                        named->second));
    }
  for (const auto& h : host_nodes_)
    for (const auto& in : h.inputs) {
      const auto named = names_.find(in);
      const bool is_output_port = named != names_.end() && named->second == "output port";
      if (!is_output_port && !produced.count(in) && in != kSymbolValue)
        fail(
            fmt::format("host node '{}': input '{}' names no output port and no host node "
                        "output (nor the input 'symbol')",
                        h.name, in));
    }
}

std::optional<Network::Vertex> Network::find(const std::string& node_name) const {
  const auto it = by_name_.find(node_name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const std::string& Network::node_name(Vertex v) const {
  return std::visit([](const auto& n) -> const std::string& { return n.name; }, graph_[v]);
}

std::int32_t Network::node_size(Vertex v) const {
  return std::visit([](const auto& n) { return n.size; }, graph_[v]);
}

std::int64_t Network::num_neurons() const {
  std::int64_t n = 0;
  for (auto v : populations_) n += population(v).size;
  return n;
}

std::int64_t Network::num_synapses() const {
  std::int64_t n = 0;
  for (auto e : projections_) n += projection(e).num_synapses();
  return n;
}

}  // namespace loihisim::mapper
