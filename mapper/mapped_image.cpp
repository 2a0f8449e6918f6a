#include "mapper/mapped_image.hpp"

#include <algorithm>
#include <stdexcept>

namespace loihisim::mapper {

CompartmentSite PopulationSites::site(std::int32_t neuron) const {
  if (neuron < 0 || neuron >= size)
    throw std::out_of_range("population '" + name + "' has no neuron " + std::to_string(neuron));
  const auto it =
      std::upper_bound(blocks.begin(), blocks.end(), neuron,
                       [](std::int32_t n, const BlockSite& b) { return n < b.first_neuron; });
  const BlockSite& b = *(it - 1);
  return {b.core, b.first_compartment + (neuron - b.first_neuron)};
}

int MappedImage::cores_used() const {
  return static_cast<int>(
      std::count_if(cores.begin(), cores.end(), [](const auto& c) { return !is_idle(c); }));
}

const PopulationSites* MappedImage::find_population(const std::string& name) const {
  for (const auto& p : populations)
    if (p.name == name) return &p;
  return nullptr;
}

core::CoreConfig idle_core(const core::CoreLimits& limits) {
  core::CoreConfig c;
  c.profiles.push_back(core::CompartmentProfile{});
  c.accumulator_depth = limits.min_accumulator_depth;
  return c;
}

bool is_idle(const core::CoreConfig& c) {
  return c.compartments.empty();
}

core::ChipConfig chip_config(const MappedImage& image) {
  return {image.cores, image.limits};
}

bool same_core_config(const core::CoreConfig& a, const core::CoreConfig& b) {
  if (a.profiles != b.profiles || a.formats != b.formats ||
      a.accumulator_depth != b.accumulator_depth)
    return false;
  const auto list_eq = [](const core::SynapseList& x, const core::SynapseList& y) {
    return x.format == y.format && x.mantissa == y.mantissa && x.index == y.index &&
           x.delay == y.delay;
  };
  const auto in_eq = [](const core::InputAxon& x, const core::InputAxon& y) {
    return x.synapse_list == y.synapse_list && x.base == y.base;
  };
  const auto out_eq = [](const core::OutputAxon& x, const core::OutputAxon& y) {
    return x.source == y.source && x.dest_core == y.dest_core && x.dest_axon == y.dest_axon;
  };
  return std::equal(a.compartments.begin(), a.compartments.end(), b.compartments.begin(),
                    b.compartments.end()) &&
         std::equal(a.synapse_lists.begin(), a.synapse_lists.end(), b.synapse_lists.begin(),
                    b.synapse_lists.end(), list_eq) &&
         std::equal(a.input_axons.begin(), a.input_axons.end(), b.input_axons.begin(),
                    b.input_axons.end(), in_eq) &&
         std::equal(a.output_axons.begin(), a.output_axons.end(), b.output_axons.begin(),
                    b.output_axons.end(), out_eq);
}

bool same_image(const MappedImage& a, const MappedImage& b) {
  const auto mesh_eq = [](const core::MeshGeometry& x, const core::MeshGeometry& y) {
    return x.tiles_x == y.tiles_x && x.tiles_y == y.tiles_y &&
           x.cores_per_tile == y.cores_per_tile && x.chips_x == y.chips_x &&
           x.chips_y == y.chips_y && x.board_chips_x == y.board_chips_x &&
           x.board_chips_y == y.board_chips_y;
  };
  const auto limits_eq = [](const core::CoreLimits& x, const core::CoreLimits& y) {
    return x.max_compartments == y.max_compartments && x.max_input_axons == y.max_input_axons &&
           x.max_output_axons == y.max_output_axons &&
           x.synapse_memory_bits == y.synapse_memory_bits &&
           x.max_compartment_profiles == y.max_compartment_profiles &&
           x.max_threshold_profiles == y.max_threshold_profiles &&
           x.max_synapse_formats == y.max_synapse_formats &&
           x.accumulator_slots == y.accumulator_slots &&
           x.min_accumulator_depth == y.min_accumulator_depth &&
           x.max_accumulator_depth == y.max_accumulator_depth &&
           x.allow_reset_subtract == y.allow_reset_subtract &&
           x.allow_graded_spikes == y.allow_graded_spikes;
  };
  return a.architecture == b.architecture && a.network == b.network && a.placer == b.placer &&
         mesh_eq(a.mesh, b.mesh) && limits_eq(a.limits, b.limits) &&
         std::equal(a.cores.begin(), a.cores.end(), b.cores.begin(), b.cores.end(),
                    same_core_config) &&
         a.populations == b.populations && a.input_ports == b.input_ports &&
         a.output_ports == b.output_ports && a.host_nodes == b.host_nodes;
}

}  // namespace loihisim::mapper
