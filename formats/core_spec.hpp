// A register-level run described in hardware units: the chip's core tables plus a host input
// raster and a step count. This is what `loihisim core-run SPEC.yaml` executes; the YAML form is
// read by core_spec_io.hpp and documented in docs/core-run.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/chip.hpp"

namespace loihisim {

// One host spike of the input raster. `step` is 1-based, as in loihi.md's traces: a spike listed
// at step S is sent during step S (like a compartment that fires at step S) and so reaches its
// targets' compartment update at step S + 1.
struct HostSpike {
  int step = 1;
  int core = 0;
  int axon = 0;              // input axon of `core`
  std::int32_t payload = 1;  // 1 for binary spikes; graded spikes: 24-bit signed payload
};

struct CoreSpec {
  std::string source;             // where the spec came from (file name), for messages and outputs
  int steps = 0;                  // timesteps to run (>= 1)
  core::ChipConfig chip;          // cores (tables in hardware units) and the per-core limits
  std::vector<HostSpike> inputs;  // ordered by step; within a step, in file order
};

}  // namespace loihisim
