// Compartment profiles in YAML (formats/core_tables_io, shared by core-run specs and network
// files): the sigma-delta keys `neuron` and `input_max` of core-run specs, their defaults, their
// ranges, the rules core::validate() adds, and a parsed spec run through core::Chip.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/chip.hpp"
#include "formats/core_spec_io.hpp"
#include "io/errors.hpp"

using namespace loihisim;

namespace {

// A one-core spec whose profile is `profile` (a YAML flow map); the core's compartment is driven
// by host spikes of payload q at steps 1..6 through a synapse of effective weight 1, and sends
// its spikes to a second core.
std::string spec(const std::string& profile) {
  return "steps: 7\ncores:\n  - profiles:\n      - " + profile + R"(
    formats:
      - {weight_bits: 8, sign: excitatory, weight_exp: -6, delay_bits: 0, index_bits: 0}
    compartments:
      - {profile: 0, bias_mant: 3, bias_exp: 0}
    synapse_lists:
      - {format: 0, weights: [1]}
    input_axons:
      - {synapse_list: 0, base: 0}
    output_axons:
      - {source: 0, dest_core: 1, dest_axon: 0}
  - profiles:
      - {decay_u: 0, decay_v: 0, vth_mant: 0, refract_delay: 1, vmin_exp: 31, vmax_exp: 7}
    formats:
      - {weight_bits: 8, sign: mixed, weight_exp: 0, delay_bits: 0, index_bits: 0}
    compartments:
      - {profile: 0}
    synapse_lists:
      - {format: 0, weights: [0]}
    input_axons:
      - {synapse_list: 0, base: 0}
inputs:
  - {step: 1, core: 0, axons: [0], payload: 10}
  - {step: 2, core: 0, axons: [0], payload: 37}
  - {step: 3, core: 0, axons: [0], payload: -20}
  - {step: 4, core: 0, axons: [0], payload: 100}
  - {step: 5, core: 0, axons: [0], payload: 5}
  - {step: 6, core: 0, axons: [0], payload: 29}
)";
}

const std::string kRegisters =
    "decay_u: 4095, decay_v: 0, vth_mant: 0, refract_delay: 1, vmin_exp: 31, vmax_exp: 7";
const std::string kSigmaDelta =
    "{" + kRegisters + ", neuron: sigma_delta, spike: graded, payload_shift: 4, input_max: 64}";

std::string error_of(const std::string& text, const core::CoreLimits& limits = {}) {
  try {
    parse_core_spec(text, "sd.yaml", limits);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("core-run spec: a sigma-delta profile reads and runs (docs/core.md semantics)") {
  const CoreSpec s = parse_core_spec(spec(kSigmaDelta), "sd.yaml");
  const auto& p = s.chip.cores[0].profiles[0];
  CHECK(p.neuron == core::NeuronModel::kSigmaDelta);
  CHECK(p.input_max == 64);
  CHECK(p.payload_shift == 4);
  // Without the keys: cuba, no input clip (specs written before sigma-delta neurons).
  const auto& c = s.chip.cores[1].profiles[0];
  CHECK(c.neuron == core::NeuronModel::kCuba);
  CHECK(c.input_max == -1);

  // The host spikes of step S reach the update of step S + 1, so step 1 has q = 0:
  // step:      1   2   3    4    5   6   7
  // q:         0  10  37  -20  100   5  29
  // s:         3  13  40    0   64   8  32     (clip(q + 3, 0, 64))
  // V before: 11  24  48    0   64   8  40     (V starts at 8)
  // n:         0   1   3    0    4   0   2
  // V after:  11   8   0    0    0   8   8
  core::Chip chip(s.chip);
  const std::vector<std::int32_t> v_after{11, 8, 0, 0, 0, 8, 8}, n{0, 1, 3, 0, 4, 0, 2};
  std::size_t next = 0;
  for (int step = 1; step <= s.steps; ++step) {
    for (; next < s.inputs.size() && s.inputs[next].step == step; ++next)
      chip.inject(s.inputs[next].core, {s.inputs[next].axon, s.inputs[next].payload});
    chip.step();
    CAPTURE(step);
    CHECK(chip.core(0).v()[0] == v_after[static_cast<std::size_t>(step - 1)]);
    std::int32_t payload = 0;
    for (const auto& m : chip.last_messages())
      if (m.source_core == 0) payload = m.payload;
    CHECK(payload == n[static_cast<std::size_t>(step - 1)]);
  }
}

TEST_CASE("core-run spec: sigma-delta keys are range-checked and validated") {
  SUBCASE("unknown model") {
    const auto msg = error_of(spec("{" + kRegisters + ", neuron: lif}"));
    CHECK(contains(msg, "sd.yaml:"));
    CHECK(contains(msg, "cores[0].profiles[0].neuron = 'lif' is not one of: cuba, sigma_delta"));
  }
  SUBCASE("input_max outside -1..2^23 - 1") {
    auto msg = error_of(spec("{" + kRegisters + ", input_max: 8388608}"));
    CHECK(contains(msg,
                   "cores[0].profiles[0].input_max = 8388608 is outside the allowed range "
                   "-1..8388607"));
    msg = error_of(spec("{" + kRegisters + ", input_max: -2}"));
    CHECK(contains(msg, "cores[0].profiles[0].input_max = -2 is outside the allowed range"));
  }
  SUBCASE("the rules between fields come from core::validate(), on the YAML path") {
    auto msg = error_of(spec("{" + kRegisters + ", neuron: sigma_delta, payload_shift: 4}"));
    CHECK(contains(msg, "cores[0].profiles[0].spike"));
    CHECK(contains(msg, "must be graded"));
    msg = error_of(spec("{" + kRegisters + ", input_max: 5}"));
    CHECK(contains(msg, "cores[0].profiles[0].input_max"));
    CHECK(contains(msg, "must be -1"));
    msg = error_of(spec("{" + kRegisters + ", neuron: sigma_delta, spike: graded}"));
    CHECK(contains(msg, "cores[0].profiles[0].payload_shift"));
    CHECK(contains(msg, "1..23"));
  }
  SUBCASE("an architecture without graded spikes refuses it") {
    core::CoreLimits loihi1;
    loihi1.allow_reset_subtract = false;
    loihi1.allow_graded_spikes = false;
    const auto msg = error_of(spec(kSigmaDelta), loihi1);
    CHECK(contains(msg, "cores[0].profiles[0].spike"));
    CHECK(contains(msg, "graded spikes are not available on this architecture"));
    CHECK(contains(msg, "sigma_delta"));
  }
}
