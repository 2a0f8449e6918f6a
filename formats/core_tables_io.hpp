// The one reader of compartment profiles and synapse formats in YAML, shared by core-run specs
// (formats/core_spec_io) and network files (mapper/network_io), so that both formats accept the
// same keys, ranges and names and word their errors alike.
//
// The two formats differ in one declared way: a core-run spec is register level, so every
// register must be written (Keys::kAllRequired) and synapse lists' index and tag bits are the
// user's; a network gives only what differs from core::CompartmentProfile's and
// core::SynapseFormat's defaults (Keys::kDefaults), and the mapper chooses index bits.
#pragma once

#include "core/compartment.hpp"
#include "core/synapse.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {

enum class Keys : std::uint8_t {
  kAllRequired,  // every register key must be given (core-run specs)
  kDefaults,     // absent keys keep the struct's defaults (networks)
};

// Keys decay_u, decay_v, vth_mant, refract_delay, vmin_exp, vmax_exp (required with
// kAllRequired), reset, spike, payload_shift, neuron, input_max (optional); every value
// range-checked against the core's limits (the rules between fields are core::validate()'s).
core::CompartmentProfile read_compartment_profile(const yaml::Reader& r, const yaml::Field& f,
                                                  Keys keys);

// Keys weight_bits (always required), sign, weight_exp, delay_bits (required with
// kAllRequired), and, with `list_layout` (core-run specs), index_bits (required) and tag_bits.
core::SynapseFormat read_synapse_format(const yaml::Reader& r, const yaml::Field& f, Keys keys,
                                        bool list_layout);

}  // namespace loihisim
