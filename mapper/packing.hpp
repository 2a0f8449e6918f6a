// Assigning blocks to cores. A core may hold several blocks (of any populations) when their
// summed demand still fits every per-core limit: compartments at the deepest accumulator any of
// them needs, input and output axons, synapse bits, and the union of their synapse formats,
// compartment profiles and thresholds. Blocks are taken in network order and put into the first
// of the most recently opened cores (a window of kPackingWindow) that can take them, else into a
// new core: first-fit keeps cores full, the window keeps the time linear and keeps blocks that
// are near each other in the network (and so usually connected) on the same or nearby cores.
#pragma once

#include <cstdint>
#include <vector>

#include "core/core_config.hpp"
#include "mapper/network.hpp"
#include "mapper/partition.hpp"

namespace loihisim::mapper {

inline constexpr int kPackingWindow = 16;

// What a core holds: sums and unions of its blocks' demands.
struct CoreDemand {
  std::int32_t compartments = 0;
  int accumulator_depth = 0;
  std::int32_t input_axons = 0;
  std::int32_t output_axons = 0;
  std::int64_t synapse_bits = 0;
  std::vector<core::SynapseFormat> formats;
  std::vector<core::CompartmentProfile> profiles;
  int thresholds = 0;  // distinct vth_mant among the profiles

  void add(const BlockDemand& b, const NetworkIndex& ix, int unit);  // and the unit's profiles
  bool fits(const core::CoreLimits& limits) const;
};

struct CoreAssignment {
  std::vector<std::vector<int>> blocks;  // per logical core: its blocks, in compartment order
  std::vector<CoreDemand> demand;        // per logical core
  std::vector<int> core_of_block;
  std::vector<std::int32_t> offset_of_block;  // first compartment of the block in its core
};

CoreAssignment pack_blocks(const Partition& part, const NetworkIndex& ix,
                           const core::CoreLimits& limits);

}  // namespace loihisim::mapper
