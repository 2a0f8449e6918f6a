// Shape inference for the lowering: the output shape of every node of a flattened NIR graph,
// from its parameters (Input, neuron nodes, Affine/Linear weights, Scale, Delay) or from its
// input (Output, Flatten, Conv2d and pooling windows), each checked against what its
// predecessors deliver. A recurrent loop through a neuron is fine (a neuron's shape is known from
// its parameters before its inputs are looked at); a cycle of linear nodes only is an error.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/nir_nodes.hpp"

namespace loihisim::models::nir {

class ShapeInference {
 public:
  explicit ShapeInference(const NodeTable& nodes) : nodes_(nodes) {}

  // Output shape of a node (empty for a dropped node), computed once.
  Shape shape(const std::string& name);
  // The shape its inputs deliver: that of its first predecessor (all must agree in size), empty
  // without predecessors.
  Shape input_shape(const std::string& name);
  // The (channels, height, width) input of a Conv2d or pooling node: the input's own shape, or a
  // flat input split by the node's `input_shape` (height, width).
  Shape spatial_input(const std::string& name);

 private:
  Shape input_node_shape(const std::string& name) const;
  Shape output_node_shape(const std::string& name);
  Shape neuron_shape(const std::string& name);
  Shape pass_through_shape(const std::string& name);
  Shape flatten_shape(const std::string& name, const Shape& in) const;
  Shape linear_shape(const std::string& name);
  Shape matrix_shape(const std::string& name);       // Affine, Linear
  Shape elementwise_shape(const std::string& name);  // Scale, Delay
  Shape window_shape(const std::string& name);       // Conv2d, SumPool2d, AvgPool2d
  // The input shape, checked to hold `want` values (`what` names them in the message).
  Shape checked_input(const std::string& name, std::uint64_t want, const std::string& what);

  const NodeTable& nodes_;
  std::map<std::string, Shape> shapes_;
  std::set<std::string> busy_;  // being computed: meeting one again is an algebraic loop
};

}  // namespace loihisim::models::nir
