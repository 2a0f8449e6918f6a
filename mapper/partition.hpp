// Splitting populations into blocks (contiguous neuron ranges) that each fit one core under
// every per-core limit, counted with the exact encoding the image builder uses:
//  - compartments <= min(max_compartments, accumulator_slots / D), where D is the smallest
//    accumulator depth the block's delays allow: max(min depth, largest delay + 2);
//  - input axons: one per (projection, source neuron) with a synapse list into the block;
//  - output axons: one per (neuron, destination input axon), i.e. one per (projection, target
//    block) that the neuron has a list into; this depends on how the targets are split, so the
//    split is iterated to a fixed point (each pass only refines the previous one);
//  - synapse memory: core::synapse_list_bits of every list (dense lists span the block; sparse
//    lists use the fewest index bits, >= 6, that hold their target offsets);
//  - synapse formats (distinct formats of the block's lists), profiles and thresholds.
// Blocks are grown greedily neuron by neuron; a neuron that does not fit even alone is an
// InputError naming the population, the neuron, the limit and the amount.
#pragma once

#include <cstdint>
#include <vector>

#include "core/core_config.hpp"
#include "mapper/network_index.hpp"

namespace loihisim::mapper {

// What one block needs from a core.
struct BlockDemand {
  std::int32_t compartments = 0;
  int accumulator_depth = 8;
  std::int32_t input_axons = 0;
  std::int32_t output_axons = 0;
  std::int64_t synapse_bits = 0;
  std::vector<core::SynapseFormat> formats;  // distinct formats of the block's lists

  friend bool operator==(const BlockDemand&, const BlockDemand&) = default;
};

struct Block {
  int population = 0;  // index into NetworkIndex::populations
  std::int32_t first = 0;
  std::int32_t count = 0;
  BlockDemand demand;
};

struct Partition {
  std::vector<Block> blocks;  // by population, then by first neuron
  // Blocks of population p are blocks[first_block[p] .. first_block[p + 1]).
  std::vector<int> first_block;
  int passes = 0;  // fixed-point passes until no block changed

  int block_of(int population, std::int32_t neuron) const;  // binary search
};

// Throws InputError for a neuron that cannot fit a core, a delay beyond the accumulator, or a
// profile the architecture does not support.
Partition partition_network(const NetworkIndex& ix, const core::CoreLimits& limits);

// The smallest accumulator depth that holds delays up to `max_delay`.
int accumulator_depth_for(int max_delay, const core::CoreLimits& limits);

// Fewest sparse index bits (>= 6) that hold target offsets up to `max_offset`.
int sparse_index_bits(std::int32_t max_offset);

}  // namespace loihisim::mapper
