// Splitting populations into blocks (contiguous neuron ranges) that each fit one core under
// every per-core limit, counted with the exact encoding the image builder uses:
//  - compartments <= min(max_compartments, accumulator_slots / D), where D is the smallest
//    accumulator depth the block's delays allow: max(min depth, largest delay + 2);
//  - input axons: one per (projection, source neuron) with a synapse list into the block;
//  - output axons: one per (neuron, destination input axon), i.e. one per (projection, target
//    block) that the neuron has a list into; this depends on how the targets are split, so the
//    split is iterated until the counts a pass checked equal those its blocks produce;
//  - synapse memory: core::synapse_list_bits of every list (dense lists span the block; sparse
//    lists use the fewest index bits, >= 6, that hold their target offsets);
//  - synapse formats (distinct formats of the block's lists), profiles and thresholds.
// Blocks are grown greedily neuron by neuron; a neuron that does not fit even alone is an
// InputError naming the population, the neuron, the limit and the amount.
//
// Two partitions, both consistent (every block fits with the output-axon counts its targets'
// blocks really give):
//  - refined (partition_network): pass 1 splits with no output axons counted, each later pass
//    only refines the previous blocks with the previous counts. It converges (blocks only get
//    finer, counts only grow), but on random recurrent connectivity every refinement adds
//    target blocks, so counts grow, so blocks are split again: a cascade into small blocks
//    that each receive a list from nearly every source, i.e. many messages per spike.
//  - balanced (partition_balanced): every pass splits each population afresh into blocks of
//    at most ceil(size / k_p) neurons, with k_p the most blocks any earlier pass needed (one
//    more when its blocks keep moving: BalanceGuards), so the blocks are as few and as even as
//    the binding limit allows; fewer target blocks are fewer output axons, i.e. fewer messages
//    per spike (docs/mapping.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

enum class PartitionMethod {
  kRefined,          // partition_network
  kBalanced,         // partition_balanced, consistent within its balanced passes
  kBalancedRefined,  // partition_balanced that fell back to refining its last balanced split
};
const char* partition_method_name(PartitionMethod m);  // "refined", "balanced", ...

struct Partition {
  std::vector<Block> blocks;  // by population, then by first neuron
  // Blocks of population p are blocks[first_block[p] .. first_block[p + 1]).
  std::vector<int> first_block;
  int passes = 0;  // passes until the output-axon counts were consistent
  PartitionMethod method = PartitionMethod::kRefined;
  int stall_steps = 0;  // balanced: times a guard added blocks (BalanceGuards)

  int block_of(int population, std::int32_t neuron) const;  // binary search
  // Output axons of all blocks: the messages one spike of every neuron sends.
  std::int64_t output_axons() const;
};

// The refined partition. Throws InputError for a neuron that cannot fit a core, a delay beyond
// the accumulator, or a profile the architecture does not support.
Partition partition_network(const NetworkIndex& ix, const core::CoreLimits& limits);

// Guards of partition_balanced against counts that never settle. Blocks that sit exactly at the
// output-axon limit can cycle: a split moves a boundary, which changes the counts, which moves
// it back. When a split repeats one made since k_p last grew (`detect_cycles`), or after
// `stall_passes` passes in a row without any k_p growing, the populations whose blocks still
// move get one block more (k_p + 1: slack under the limit they keep crossing). After
// `max_passes` passes in all it refines its last split as partition_network does, which
// provably converges (method kBalancedRefined). (Counts can also take several passes to settle
// without cycling; a stall limit of 3 instead of the cycle test cost 0.7 % more blocks on 135
// random networks of the tests' shape.)
struct BalanceGuards {
  int stall_passes = 6;
  int max_passes = 40;
  bool detect_cycles = true;
};

// The balanced partition; the same errors as partition_network.
Partition partition_balanced(const NetworkIndex& ix, const core::CoreLimits& limits,
                             const BalanceGuards& guards = {});

// Both, as the mapper needs them: their first passes are the same split, made once. Either
// may fail where the other does not: a neuron's output axons depend on how its targets are
// split, so a split can leave a neuron whose fan-out alone fits no core. The one that failed
// is empty and its error kept; when both fail, the refined partition's InputError is thrown
// (as partition_network would).
struct PartitionCandidates {
  std::optional<Partition> refined, balanced;
  std::string refined_error, balanced_error;
};
PartitionCandidates partition_candidates(const NetworkIndex& ix, const core::CoreLimits& limits);

// The least demand any partition of the network can make of each per-core resource, summed
// over the network (so ceil(demand / per-core limit) cores is a lower bound for any mapping):
// one compartment per compartment of a neuron, each at the accumulator depth its own delays
// need; one input axon per (projection, source neuron with synapses), one output axon for each
// whose source is a population; the synapse bits of each (projection, source)'s synapses cut
// into lists in the cheapest way, sparse ones at the narrowest index; and the distinct
// profiles, thresholds and synapse formats (sparse formats counted once per base format, since
// their index width depends on the split).
struct MinimalDemand {
  std::int64_t compartments = 0;
  std::int64_t accumulator_slots = 0;  // compartments x the depth each needs
  std::int64_t input_axons = 0;
  std::int64_t output_axons = 0;
  std::int64_t synapse_bits = 0;
  int profiles = 0, thresholds = 0, formats = 0;
};
MinimalDemand minimal_demand(const NetworkIndex& ix, const core::CoreLimits& limits);

// The fewest bits n synapses of `per_synapse` bits each can take in synapse memory, however
// they are cut into lists: one list is not always cheapest, since every block of up to 64
// synapses is rounded up to whole 64-bit words (with 1-bit synapses, 11 + 54 synapses take
// 64 + 64 bits as two lists, 128 + 64 as one). One table per width, grown on demand.
class CheapestListBits {
 public:
  explicit CheapestListBits(int per_synapse);
  std::int64_t operator()(std::int64_t n);

 private:
  std::int64_t block_bits(std::int64_t m) const;
  int per_synapse_;
  std::int64_t step_ = 1;           // the block size of the least cost per synapse
  std::vector<std::int64_t> best_;  // best_[n] for n up to 64 x 64
};
std::int64_t min_synapse_bits(int per_synapse, std::int64_t n);

// The smallest accumulator depth that holds delays up to `max_delay`.
int accumulator_depth_for(int max_delay, const core::CoreLimits& limits);

// Fewest sparse index bits (>= 6) that hold target offsets up to `max_offset`.
int sparse_index_bits(std::int32_t max_offset);

}  // namespace loihisim::mapper
