// Everything that configures one neuromorphic core, in hardware units, plus the per-core limits
// it must respect. Plain values: the mapper fills them, files are parsed elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/compartment.hpp"
#include "core/synapse.hpp"

namespace loihisim::core {

// One axon's synapse list: the synapses that one incoming spike drives.
struct SynapseList {
  int format = 0;                      // index into the core's synapse format table
  std::vector<std::int32_t> mantissa;  // stored weights (8-bit scale, low bits cleared)
  // Sparse formats only: target offset of each synapse, relative to the input axon's base
  // compartment; must be < 2^index_bits. Dense lists target base + 0, base + 1, ...
  std::vector<std::int32_t> index;
  // Per-synapse delays (empty means all zero); each < 2^delay_bits and <= accumulator depth - 2.
  std::vector<std::int32_t> delay;
};

// An input axon (fan-in routing slot): an incoming spike on it drives one synapse list, whose
// targets are offset by `base` (so several axons can share a list, e.g. convolutions).
struct InputAxon {
  int synapse_list = 0;
  int base = 0;
};

// An output axon: when `source` (a compartment of this core) spikes, one spike message goes to
// input axon `dest_axon` of core `dest_core`. A compartment may own several output axons
// (fan-out to several cores); recurrent connections point back at this core.
struct OutputAxon {
  int source = 0;
  int dest_core = 0;
  int dest_axon = 0;
};

struct CoreLimits {
  int max_compartments = 1024;
  int max_input_axons = 4096;
  int max_output_axons = 4096;
  std::int64_t synapse_memory_bits = kSynapseMemoryBits;
  int max_compartment_profiles = 32;
  int max_threshold_profiles = 8;  // distinct vth values among the profiles in use
  int max_synapse_formats = 8;
  // 8192 compartment-slots shared by the delay slots: compartments <= this / accumulator_depth.
  int accumulator_slots = 8192;
  int min_accumulator_depth = 8;
  int max_accumulator_depth = 64;
  // Behaviours beyond Loihi 1 (off in the loihi1 architecture profile).
  bool allow_reset_subtract = true;
  bool allow_graded_spikes = true;
};

struct CoreConfig {
  std::vector<CompartmentProfile> profiles;
  std::vector<SynapseFormat> formats;
  std::vector<CompartmentConfig> compartments;
  std::vector<SynapseList> synapse_lists;
  std::vector<InputAxon> input_axons;
  std::vector<OutputAxon> output_axons;
  int accumulator_depth = 8;  // D delay slots; delays up to D - 2
};

// One problem found by validate(): `field` is a path such as "profiles[2].decay_u".
struct ConfigProblem {
  std::string field;
  std::string message;  // names the value and the allowed range
};

// Checks every field range and every per-core limit. Destination cores/axons of output axons
// are checked by the chip, which knows the other cores. Returns all problems (empty = valid).
std::vector<ConfigProblem> validate(const CoreConfig& cfg, const CoreLimits& limits);

// Synapse memory used by the core's synapse lists, in bits (each list counted once).
std::int64_t synapse_memory_bits(const CoreConfig& cfg);

// Largest number of compartments the limits allow at the given accumulator depth.
int compartment_capacity(const CoreLimits& limits, int accumulator_depth);

}  // namespace loihisim::core
