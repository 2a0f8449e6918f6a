// The mapper's entry point: Network + Architecture -> MappedImage + MapReport.
//   1. partition (partition.hpp): populations -> blocks under every per-core limit;
//   2. pack (packing.hpp): blocks -> logical cores;
//   3. build: each logical core's tables (profiles, formats, compartments, synapse lists, input
//      axons, output axons), checked against the partition's predicted demand;
//   4. place (placement.hpp): logical cores -> global core ids, greedy or METIS;
//   5. check the whole image with core::validate(ChipConfig): an image the core would reject is
//      a mapper bug and throws std::logic_error, never reaches a file.
#pragma once

#include <string>

#include "core/architecture.hpp"
#include "mapper/map_report.hpp"
#include "mapper/mapped_image.hpp"
#include "mapper/network.hpp"
#include "mapper/placement.hpp"

namespace loihisim::mapper {

struct MapOptions {
  Placer placer = Placer::kMetis;
  bool compare_placers = true;  // also place with the other placer and report its traffic
  int metis_seed = 1;
};

struct MapResult {
  MappedImage image;
  MapReport report;
};

// Throws InputError for networks that cannot be mapped on the architecture (a neuron whose
// fan-in or fan-out alone exceeds a core, delays beyond the accumulator, unsupported behaviour,
// a board with too few chips).
MapResult map_network(const Network& net, const core::Architecture& arch,
                      const MapOptions& options = {});

// True for a mapped image's file name (.h5, .hdf5), false for a network YAML.
bool is_mapped_image_file(const std::string& file);

// What a free run starts from: a mapped image file (which must have been mapped for `arch`,
// InputError naming the file otherwise) or a network YAML, mapped here with `placer` ("greedy"
// or "metis") and no placer comparison.
MappedImage image_for_run(const std::string& file, const core::Architecture& arch,
                          const std::string& placer);

}  // namespace loihisim::mapper
