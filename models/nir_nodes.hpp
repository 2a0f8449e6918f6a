// A flattened NIR graph (nir_graph.hpp) as the lowering (nir_lower.hpp) reads it: what each node
// is to the lowering, its predecessors, checked access to its parameters, and the one policy for
// whatever cannot be lowered exactly: an InputError naming the node and the reason, or, with
// `approximate`, a warning and the nearest representable choice. Shape inference
// (nir_shapes.hpp), path algebra (nir_linear.hpp) and neuron parameters (nir_neurons.hpp) all
// read the graph through one NodeTable, so the warnings come out in the order they were taken.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/compartment.hpp"
#include "models/nir_graph.hpp"

namespace loihisim::models::nir {

struct LowerOptions {
  double dt = 1e-4;  // seconds per chip step (NIR files carry no dt; the paper's use 1e-4)
  bool approximate = false;
  core::ResetMode reset = core::ResetMode::kZero;  // what a spike does to v (NIR: v_reset = 0)
  int weight_bits = 8;  // stored bits per weight, sign included: 1..6 or 8
};

using Shape = std::vector<std::uint64_t>;

// "[2, 3]", for messages.
std::string shape_str(const Shape& s);
// Number of elements (1 for the empty shape of a scalar).
std::uint64_t product(const Shape& s);

// What a node is to the lowering.
enum class Kind {
  kInput,     // spikes from the host
  kOutput,    // spikes the host reads
  kIdentity,  // Flatten and the Input/Output nodes of nested graphs: passes its input on
  kLinear,    // Affine, Linear, Scale, Conv2d, SumPool2d, AvgPool2d, Delay
  kNeuron,    // LIF, CubaLIF, IF, LI, CubaLI, I: a population
  kDropped,   // no Loihi equivalent; dropped (only with `approximate`)
};

class NodeTable {
 public:
  // Classifies every node and records every edge's source as a predecessor of its target
  // (edges of dropped nodes are left out). An unknown node type is an approximation; an edge
  // out of an Output node or into an Input node is an error.
  NodeTable(const FlatGraph& g, const LowerOptions& opt);

  const FlatGraph& graph() const { return g_; }
  const LowerOptions& options() const { return opt_; }
  const std::vector<std::string>& order() const { return order_; }  // flat node order
  Kind kind(const std::string& name) const { return kind_.at(name); }
  // Sources of the edges into `name`, in edge order (empty for none).
  const std::vector<std::string>& preds(const std::string& name) const;
  const Node& node(const std::string& name) const { return g_.find(name)->node; }

  // The graph's own warnings (from flattening), then every approximation taken, in order.
  const std::vector<std::string>& warnings() const { return warnings_; }

  [[noreturn]] void fail(const std::string& node, const std::string& why) const;
  // An approximation: an error naming `taken` unless the options allow approximations, else a
  // warning.
  void approximate(const std::string& node, const std::string& why, const std::string& taken);

  // A parameter with one value per neuron: n values, or one broadcast to n; absent: an error if
  // `required`, else n times `fallback`. Values that are not finite are an error.
  std::vector<double> param(const std::string& name, const std::string& key, std::size_t n,
                            bool required, double fallback) const;
  // A parameter that must be present, as stored.
  const Array& array(const std::string& name, const std::string& key) const;
  // An integer parameter with `want` values (one value is broadcast); absent: `fallback`.
  std::vector<std::int64_t> ints(const std::string& name, const std::string& key, std::size_t want,
                                 std::int64_t fallback) const;
  // A shape held in a parameter: positive integers.
  Shape dims(const std::string& name, const Array& a) const;
  // A neuron node's size and shape: those of its largest parameter.
  std::size_t neuron_size(const std::string& name, Shape* shape) const;

 private:
  Kind classify(const FlatNode& n);
  void add_edges();

  const FlatGraph& g_;
  LowerOptions opt_;
  std::vector<std::string> order_;
  std::map<std::string, Kind> kind_;
  std::map<std::string, std::vector<std::string>> preds_;
  std::vector<std::string> warnings_;
};

}  // namespace loihisim::models::nir
