// What `loihisim map` reports about a mapping: per-core use against every limit, cores used
// against the lower bound, chips, and the estimated spike traffic and hops for both placers.
// Every number is counted from the mapped image and the network's stated rates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "io/summary_file.hpp"
#include "mapper/placement.hpp"

namespace loihisim::mapper {

struct CoreUse {
  std::int32_t core = 0;  // global core id
  int chip = 0, tile_x = 0, tile_y = 0, core_in_tile = 0;
  std::string blocks;                                    // e.g. "hidden[0:512] out[0:10]"
  std::int32_t compartments = 0, compartment_limit = 0;  // limit at its accumulator depth
  int accumulator_depth = 0;
  std::int32_t input_axons = 0, input_axon_limit = 0;
  std::int32_t output_axons = 0, output_axon_limit = 0;
  std::int64_t synapse_bits = 0, synapse_bit_limit = 0;
  int profiles = 0, profile_limit = 0;
  int thresholds = 0, threshold_limit = 0;
  int formats = 0, format_limit = 0;
};

// ceil(total demand / per-core capacity) for one resource.
struct ResourceBound {
  std::string resource;
  std::int64_t demand = 0;
  std::int64_t capacity = 0;
  int cores = 0;
};

// One partition the mapper made and packed (it makes two and keeps one: docs/mapping.md).
struct PartitionCandidate {
  std::string method;  // partition_method_name ("refined" or "balanced" when not made)
  int blocks = 0, passes = 0, cores = 0;
  std::int64_t output_axons = 0;  // messages per step if every neuron spiked once
  bool chosen = false;
  std::string error;  // why it could not be made (the numbers are then 0)
};

struct MapTimings {  // wall-clock seconds per phase (not part of the image)
  double index = 0, partition = 0, pack = 0, build = 0, place_greedy = 0, place_metis = 0;
  double assemble = 0;  // the image by global core id
  double validate = 0;  // core::validate of the whole image
  double total = 0;
};

struct MapReport {
  std::string network, architecture, placer;
  int populations = 0, projections = 0, input_ports = 0, output_ports = 0, host_nodes = 0;
  std::int64_t neurons = 0, synapses = 0;
  int blocks = 0, partition_passes = 0;
  std::string partition;  // the method of the partition in the image
  std::vector<PartitionCandidate> partitions;
  int cores_used = 0;
  // Packing bound: from the demand of the blocks the mapper made (how well they are packed).
  int lower_bound = 0;
  std::vector<ResourceBound> bounds;
  // Bound for any partition: from the least demand of the network (mapper::minimal_demand),
  // so no mapping of the network on this architecture can use fewer cores.
  int network_lower_bound = 0;
  std::vector<ResourceBound> network_bounds;
  int chips_used = 0;
  core::MeshGeometry mesh;  // chips in use
  std::vector<CoreUse> cores;
  std::optional<TrafficStats> greedy, metis;
  MapTimings timings;
};

// A human-readable report: summary lines and the per-core table.
std::string format_report(const MapReport& r);
// The same content as a summary (`map --json`; keys in docs/reports.md).
Summary report_summary(const MapReport& r);

}  // namespace loihisim::mapper
