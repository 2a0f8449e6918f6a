// Index arrays over a Network that the partitioner and the image builder share: populations and
// projections by position, and each sparse projection's synapses grouped by target neuron.
#pragma once

#include <cstdint>
#include <vector>

#include "mapper/network.hpp"

namespace loihisim::mapper {

struct NetworkIndex {
  const Network* net = nullptr;
  std::vector<const Population*> populations;  // in network order
  std::vector<const InputPort*> input_ports;   // in network order
  std::vector<const Projection*> projections;  // in network order
  // Per projection: the source population (or -1), the source input port (or -1), the target
  // population, and the number of source neurons.
  std::vector<int> source_population, source_port, target_population;
  std::vector<std::int32_t> source_size;
  // Per population: its incoming and outgoing projections, in network order.
  std::vector<std::vector<int>> incoming, outgoing;
  // Per projection: the largest delay among synapses with a nonzero weight (zero weights add
  // nothing, so their delay is irrelevant and the mapper stores 0 for it).
  std::vector<int> max_delay;
  // Sparse projections: synapse ids grouped by target neuron, in file order within a target:
  // synapses of target t are by_post[row_start[t] .. row_start[t + 1]). Empty for dense ones.
  std::vector<std::vector<std::uint64_t>> row_start;
  std::vector<std::vector<std::uint32_t>> by_post;

  int population_index(const std::string& name) const;
  int input_port_index(const std::string& name) const;
};

// Builds the index. Throws InputError for a projection with 2^32 or more synapses (the index
// uses 32-bit synapse ids).
NetworkIndex index_network(const Network& net);

}  // namespace loihisim::mapper
