// The mapper's output: everything the runtime loads to run a network, with no network left to
// interpret. Per physical core its tables (core::CoreConfig, indexed by global core id as
// core::locate numbers them), where every population neuron lives, which input axons the host
// drives for each input-port neuron, which compartments each output port reads, and the host
// nodes to execute. Written to and read from HDF5 by mapped_image_io.hpp (layout in
// docs/mapping.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "mapper/network.hpp"

namespace loihisim::mapper {

// A contiguous run of a population's neurons on one core.
struct BlockSite {
  std::int32_t first_neuron = 0;
  std::int32_t count = 0;
  std::int32_t core = 0;  // global core id
  // Compartment of first_neuron on that core: the one whose spikes are the neuron's. For
  // two-compartment neurons that is the soma, and the block's dendrites are the `count`
  // compartments before the first soma (soma k joins dendrite k).
  std::int32_t first_compartment = 0;
  friend bool operator==(const BlockSite&, const BlockSite&) = default;
};

struct CompartmentSite {
  std::int32_t core = 0;
  std::int32_t compartment = 0;
  friend bool operator==(const CompartmentSite&, const CompartmentSite&) = default;
};

struct AxonSite {
  std::int32_t core = 0;
  std::int32_t axon = 0;  // input axon of that core
  friend bool operator==(const AxonSite&, const AxonSite&) = default;
};

struct PopulationSites {
  std::string name;
  std::int32_t size = 0;
  std::vector<BlockSite> blocks;  // ascending first_neuron, covering 0..size-1

  CompartmentSite site(std::int32_t neuron) const;  // std::out_of_range for a bad neuron
  friend bool operator==(const PopulationSites&, const PopulationSites&) = default;
};

// A spike of input-port neuron j is injected into every axon of axons[offsets[j] ..
// offsets[j + 1]).
struct InputPortSites {
  std::string name;
  std::int32_t size = 0;
  std::vector<std::int64_t> offsets;  // size + 1
  std::vector<AxonSite> axons;
  friend bool operator==(const InputPortSites&, const InputPortSites&) = default;
};

// Neuron k of the port's population is compartment neurons[k].
struct OutputPortSites {
  std::string name;
  std::string population;
  std::vector<CompartmentSite> neurons;
  friend bool operator==(const OutputPortSites&, const OutputPortSites&) = default;
};

struct MappedImage {
  std::string architecture;  // architecture name the image was mapped for
  std::string network;       // network name
  std::string placer;        // "greedy" or "metis"
  core::MeshGeometry mesh;   // the chips in use (a sub-grid of the board)
  core::CoreLimits limits;
  // One entry per global core id, mesh.num_cores() entries. Cores without blocks are idle: one
  // default profile, no compartments, no axons.
  std::vector<core::CoreConfig> cores;
  std::vector<PopulationSites> populations;
  std::vector<InputPortSites> input_ports;
  std::vector<OutputPortSites> output_ports;
  std::vector<HostNode> host_nodes;

  int cores_used() const;  // cores with at least one compartment
  const PopulationSites* find_population(const std::string& name) const;
};

// The idle core configuration used for unoccupied mesh positions.
core::CoreConfig idle_core(const core::CoreLimits& limits);
bool is_idle(const core::CoreConfig& c);

// Everything core::Chip needs (cores by global id, limits).
core::ChipConfig chip_config(const MappedImage& image);

// Field-by-field equality of core tables (core::CoreConfig has no operator==).
bool same_core_config(const core::CoreConfig& a, const core::CoreConfig& b);
bool same_image(const MappedImage& a, const MappedImage& b);

}  // namespace loihisim::mapper
