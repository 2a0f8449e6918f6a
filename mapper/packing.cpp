#include "mapper/packing.hpp"

#include <algorithm>

namespace loihisim::mapper {

void CoreDemand::add(const BlockDemand& b, const NetworkIndex& ix, int unit) {
  compartments += b.compartments;
  accumulator_depth = std::max(accumulator_depth, b.accumulator_depth);
  input_axons += b.input_axons;
  output_axons += b.output_axons;
  synapse_bits += b.synapse_bits;
  for (const auto& f : b.formats)
    if (std::find(formats.begin(), formats.end(), f) == formats.end()) formats.push_back(f);
  const auto add_profile = [&](const core::CompartmentProfile& profile) {
    if (std::find(profiles.begin(), profiles.end(), profile) != profiles.end()) return;
    const bool new_threshold = std::none_of(
        profiles.begin(), profiles.end(),
        [&](const core::CompartmentProfile& p) { return p.vth_mant == profile.vth_mant; });
    profiles.push_back(profile);
    thresholds += new_threshold ? 1 : 0;
  };
  for (int m : ix.members[static_cast<std::size_t>(unit)]) {
    const Population& pop = *ix.member_populations[static_cast<std::size_t>(m)];
    if (pop.dendrite) add_profile(pop.dendrite->profile);
    add_profile(pop.profile);
  }
}

bool CoreDemand::fits(const core::CoreLimits& limits) const {
  return compartments <= core::compartment_capacity(limits, accumulator_depth) &&
         input_axons <= limits.max_input_axons && output_axons <= limits.max_output_axons &&
         synapse_bits <= limits.synapse_memory_bits &&
         static_cast<int>(formats.size()) <= limits.max_synapse_formats &&
         static_cast<int>(profiles.size()) <= limits.max_compartment_profiles &&
         thresholds <= limits.max_threshold_profiles;
}

CoreAssignment pack_blocks(const Partition& part, const NetworkIndex& ix,
                           const core::CoreLimits& limits) {
  CoreAssignment a;
  a.core_of_block.resize(part.blocks.size());
  a.offset_of_block.resize(part.blocks.size());
  for (std::size_t b = 0; b < part.blocks.size(); ++b) {
    const Block& blk = part.blocks[b];
    int chosen = -1;
    const int n = static_cast<int>(a.blocks.size());
    for (int c = std::max(0, n - kPackingWindow); c < n && chosen < 0; ++c) {
      CoreDemand trial = a.demand[static_cast<std::size_t>(c)];
      trial.add(blk.demand, ix, blk.population);
      if (trial.fits(limits)) chosen = c;
    }
    if (chosen < 0) {
      chosen = n;
      a.blocks.emplace_back();
      a.demand.emplace_back();
    }
    auto& d = a.demand[static_cast<std::size_t>(chosen)];
    a.core_of_block[b] = chosen;
    a.offset_of_block[b] = d.compartments;
    d.add(blk.demand, ix, blk.population);
    a.blocks[static_cast<std::size_t>(chosen)].push_back(static_cast<int>(b));
  }
  return a;
}

}  // namespace loihisim::mapper
