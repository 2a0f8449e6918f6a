// Index arrays over a Network that the partitioner and the image builder share: populations and
// projections by position, and each sparse projection's synapses grouped by target neuron.
#pragma once

#include <cstdint>
#include <vector>

#include "mapper/network.hpp"

namespace loihisim::mapper {

// The mapper splits and places *units*: a population outside any join group, or a whole join
// group (mapper/network.hpp), whose members are split into the same blocks and laid out on one
// core member after member, children before parents. `populations`, `incoming`, `outgoing` and
// the projections' source_population / target_population are per unit; members and the
// per-population tables below say which population of the unit a projection leaves or enters.
struct NetworkIndex {
  const Network* net = nullptr;
  // Per unit: the population (a join group's root, the population no member joins into).
  std::vector<const Population*> populations;
  // Per unit: its populations as ids into `member_populations`, in compartment order (a
  // post-order of the tree: every child before its parent, siblings in network order). A
  // population outside any group is the only member of its unit.
  std::vector<std::vector<int>> members;
  std::vector<const Population*> member_populations;  // every population, network order
  std::vector<int> unit_of, kind_of;  // per population id: its unit, its position in members
  std::vector<int> parent_of;         // per population id: its join parent's id, or -1
  // Per projection: the source population id (-1 for an input port) and the target's.
  std::vector<int> source_member, target_member;
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

  int population_index(const std::string& name) const;  // the unit holding population `name`
  int member_index(const std::string& name) const;      // the population id of `name`
  // Compartments per neuron of a unit: its members, or two with a dendrite.
  int compartments_per_neuron(int unit) const;
  bool is_group(int unit) const { return members[static_cast<std::size_t>(unit)].size() > 1; }
  int input_port_index(const std::string& name) const;
};

// Builds the index. Throws InputError for a projection with 2^32 or more synapses (the index
// uses 32-bit synapse ids).
NetworkIndex index_network(const Network& net);

}  // namespace loihisim::mapper
