// A network to map: populations of compartments and the projections between them, plus the
// host's side of the work (input ports it feeds, output ports it reads, host nodes it runs).
// Everything is in hardware units (profiles, bias mantissas, weight mantissas); real-valued
// descriptions are quantised on the way in (quantize.hpp). The file form is network_io.hpp,
// documented in docs/network-format.md.
#pragma once

// GCC 12 warns, when the sanitizer build inlines add_vertex, that Boost's named-graph lookup
// returns an uninitialised boost::optional (named_graph.hpp:513): a false positive inside the
// library (this graph has no named vertices). Middle-end warnings take the pragma state of the
// library's own lines, so the include is wrapped; our code keeps every warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/compartment.hpp"
#include "core/synapse.hpp"

namespace loihisim::mapper {

// Per-neuron bias = bias_mant * 2^bias_exp. Empty vectors mean 0 for every neuron; otherwise
// one entry per neuron.
struct NeuronBiases {
  std::vector<std::int32_t> bias_mant;
  std::vector<std::int32_t> bias_exp;

  int bias_mant_of(std::int32_t i) const {
    return bias_mant.empty() ? 0 : bias_mant[static_cast<std::size_t>(i)];
  }
  int bias_exp_of(std::int32_t i) const {
    return bias_exp.empty() ? 0 : bias_exp[static_cast<std::size_t>(i)];
  }
  friend bool operator==(const NeuronBiases&, const NeuronBiases&) = default;
};

// The dendrite of a population of two-compartment neurons (docs/network-format.md,
// "Two-compartment neurons"): each neuron is a dendrite compartment with this profile and
// these biases, which receives every synapse into the neuron, and a soma compartment with the
// population's own profile and biases, which adds the dendrite's voltage of the step through an
// ADD join (core::JoinOp::kAdd) and whose spikes are the neuron's.
struct Dendrite : NeuronBiases {
  core::CompartmentProfile profile;
  friend bool operator==(const Dendrite&, const Dendrite&) = default;
};

// A group of compartments that share one profile (dynamics and threshold); each neuron has its
// own bias. With a dendrite, every neuron is two compartments.
//
// Join groups (docs/network-format.md, "Join groups"): with `join_parent`, neuron i of this
// population is a compartment of the same multi-compartment neuron as neuron i of the parent
// population (added earlier, the same size) and adds its voltage of each step into that
// compartment's current (core::JoinOp::kAdd). The populations linked this way form trees; the
// mapper keeps each neuron's compartments on one core, children before parents. Members of a
// join group have no dendrite.
struct Population : NeuronBiases {
  std::string name;
  std::int32_t size = 0;
  core::CompartmentProfile profile;
  std::optional<Dendrite> dendrite;
  std::string join_parent;  // empty: not a join child

  int compartments_per_neuron() const { return dendrite ? 2 : 1; }
};

// A vector of spike sources driven by the host (an encoder): neuron j of the port is a source
// like a population neuron, but its spikes are injected by the host into input axons.
struct InputPort {
  std::string name;
  std::int32_t size = 0;
};

// Spike counts of a whole population, read by the host.
struct OutputPort {
  std::string name;
  std::string population;
};

// The value a host node reads to get the current input symbol of the dataset (runtime/
// host_program.hpp); it needs no producer and no node may produce it.
inline constexpr const char* kSymbolValue = "symbol";

// A named numeric array carried for a host node (row-major, `shape` gives the dimensions).
struct HostArray {
  std::vector<std::uint64_t> shape;
  std::vector<double> values;
  friend bool operator==(const HostArray&, const HostArray&) = default;
};

// Work the host does between spiking parts (e.g. the analog cell arithmetic of a hybrid LSTM).
// The mapper only checks names and carries these through to the mapped image.
struct HostNode {
  std::string name;
  std::string kind;                           // what the runtime should execute
  std::vector<std::string> inputs;            // output ports or outputs of other host nodes
  std::vector<std::string> outputs;           // input ports, or names other host nodes read
  std::map<std::string, std::string> params;  // scalar parameters, as written
  std::map<std::string, HostArray> arrays;    // array parameters
  friend bool operator==(const HostNode&, const HostNode&) = default;
};

// Synapses from a source (population or input port) to a target population.
// Dense: `weight` holds target_size x source_size mantissas, row-major (row = target neuron).
// Sparse: `pre[k]` -> `post[k]` with `weight[k]`, in any order (duplicates are allowed and add).
struct Projection {
  std::string name;
  std::string source;  // population or input port name
  std::string target;  // population name
  // Storage format of the weights: weight_bits, sign, weight_exp, delay_bits. index_bits is
  // chosen by the mapper (0 for dense lists, 6..12 for sparse ones); tag_bits must be 0.
  core::SynapseFormat format;
  bool dense = true;
  std::vector<std::int32_t> pre, post;  // sparse only
  std::vector<std::int16_t> weight;     // stored mantissas (8-bit scale, low bits cleared)
  // Per-synapse delays in the layout of `weight` (hardware delay field: a spike sent at step t
  // reaches the target's update at step t + 1 + delay). Empty: every synapse has `uniform_delay`.
  std::vector<std::uint8_t> delay;
  int uniform_delay = 0;
  // Expected spikes per source neuron per step, for traffic estimates only.
  double rate = 1.0;

  std::int64_t num_synapses() const { return static_cast<std::int64_t>(weight.size()); }
  int delay_of(std::size_t k) const { return delay.empty() ? uniform_delay : delay[k]; }
};

// A vertex of the network graph.
using Node = std::variant<Population, InputPort>;

// The network: a directed graph (Boost.Graph) whose vertices are populations and input ports and
// whose edges are projections (source -> target). Output ports and host nodes hang off it by
// name. Vertices and edges keep the order in which they were added; that order is the mapper's
// order, so the same network always maps to the same image.
class Network {
 public:
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Node, Projection>;
  using Vertex = Graph::vertex_descriptor;
  using Edge = Graph::edge_descriptor;

  std::string name;

  Network() = default;
  // Copies and moves re-derive the edge descriptors kept in projections(): they point into the
  // graph's own edge storage, so the copied ones would refer to the source network.
  Network(const Network& other);
  Network(Network&& other) noexcept;
  Network& operator=(const Network& other);
  Network& operator=(Network&& other) noexcept;
  ~Network() = default;

  // Each add checks names (unique across populations, ports and host nodes; projections have
  // their own namespace), sizes, ranges and references, and throws InputError naming the object.
  Vertex add_population(Population p);
  Vertex add_input_port(InputPort p);
  Edge add_projection(Projection p);
  void add_output_port(OutputPort p);
  void add_host_node(HostNode h);
  // Checks what can only be checked once everything is added: every host node input names an
  // output port or another host node's output; host node outputs are unique and name input
  // ports or otherwise unused names. Throws InputError.
  void check_host_references() const;

  const Graph& graph() const { return graph_; }
  std::optional<Vertex> find(const std::string& node_name) const;

  // Populations and input ports in the order they were added.
  const std::vector<Vertex>& populations() const { return populations_; }
  const std::vector<Vertex>& input_ports() const { return input_ports_; }
  const std::vector<Edge>& projections() const { return projections_; }
  const std::vector<OutputPort>& output_ports() const { return output_ports_; }
  const std::vector<HostNode>& host_nodes() const { return host_nodes_; }

  const Population& population(Vertex v) const { return std::get<Population>(graph_[v]); }
  const InputPort& input_port(Vertex v) const { return std::get<InputPort>(graph_[v]); }
  const Projection& projection(Edge e) const { return graph_[e]; }
  // For transforms that keep the graph and the names (the sweep's weight bits): the caller keeps
  // the projection valid (weights storable in its format).
  Projection& mutable_projection(Edge e) { return graph_[e]; }
  bool is_population(Vertex v) const { return std::holds_alternative<Population>(graph_[v]); }
  const std::string& node_name(Vertex v) const;
  std::int32_t node_size(Vertex v) const;

  std::int64_t num_neurons() const;
  std::int64_t num_synapses() const;

 private:
  void check_name(const std::string& kind, const std::string& node_name) const;
  void check_join_parent(const std::string& what, const Population& p) const;
  void relink_projections();  // projections_ from graph_'s edges and projection_names_

  Graph graph_;
  std::map<std::string, Vertex> by_name_;
  std::map<std::string, std::string> names_;  // every claimed name -> what it names
  std::map<std::string, int> projection_names_;
  std::vector<Vertex> populations_, input_ports_;
  std::vector<Edge> projections_;
  std::vector<OutputPort> output_ports_;
  std::vector<HostNode> host_nodes_;
};

// Names become HDF5 group names and appear in messages: non-empty, letters, digits, '_', '-',
// '.', not starting with '.'.
bool valid_name(const std::string& s);

}  // namespace loihisim::mapper
