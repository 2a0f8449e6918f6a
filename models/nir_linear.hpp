// The linear algebra of a path: every chain of linear nodes (Affine, Linear, Scale, Conv2d,
// SumPool2d, AvgPool2d, Flatten, Delay, the Input/Output nodes of nested graphs) between spiking
// nodes multiplied out into one sparse map per spiking source, plus the constant part the
// biases add (docs/nir.md). Several edges into a node add up; Delay nodes shift the map's
// entries by whole steps of dt.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "models/nir_nodes.hpp"
#include "models/nir_shapes.hpp"

namespace loihisim::models::nir {

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

// Sorts a row by (col, delay), adds up the terms of equal (col, delay) and drops zero sums.
void merge_row(std::vector<Entry>& row);

// A sparse matrix, one list of (input element, factor) per output element.
using Matrix = std::vector<std::vector<std::pair<std::int32_t, double>>>;

// The matrices of a Conv2d node (with zero padding, dilation and groups) and of a SumPool2d or
// AvgPool2d node, from its (channels, height, width) input shape to its output shape.
Matrix conv_matrix(const NodeTable& nodes, const std::string& name, const Shape& in,
                   const Shape& out);
Matrix pool_matrix(const NodeTable& nodes, const std::string& name, const Shape& in,
                   const Shape& out);

class LinearPaths {
 public:
  // Delay rounding to whole steps of nodes.options().dt may be approximated through `nodes`.
  LinearPaths(NodeTable& nodes, ShapeInference& shapes) : nodes_(nodes), shapes_(shapes) {}

  // What arrives at a node: the sum over its incoming edges. An Input or a spiking neuron
  // contributes its spikes; a linear node what it makes of its own inputs. LI, CubaLI and I
  // nodes never spike, so an edge out of one is an error.
  Signal gather(const std::string& name);

 private:
  Signal from_predecessor(const std::string& name, const std::string& pred);
  // What leaves a linear or pass-through node, computed once.
  Signal signal(const std::string& name);
  Signal apply(const std::string& name, Signal in);
  // A Delay node: each element's delay in whole steps of dt.
  std::vector<std::int32_t> delay_steps(const std::string& name, std::size_t n);
  // The node's matrix and its own bias (Affine, Conv2d; empty for none).
  std::pair<Matrix, std::vector<double>> node_map(const std::string& name, const Shape& out_shape);

  NodeTable& nodes_;
  ShapeInference& shapes_;
  std::map<std::string, Signal> signals_;
  std::set<std::string> busy_;  // being computed: meeting one again is an algebraic loop
};

}  // namespace loihisim::models::nir
