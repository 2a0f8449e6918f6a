// A register-level run described in hardware units: the chip's core tables plus a host input
// raster and a step count. This is what `loihisim core-run SPEC.yaml` executes; the YAML form is
// read by core_spec_io.hpp and documented in docs/core-run.md.
#pragma once

#include <cstdint>
#include <optional>
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

// The whole trace is held in memory (9 bytes per compartment and step), so the run size is
// bounded: at most this many steps, and at most kMaxTraceEntries (step, compartment) pairs over
// all cores (about 450 MB of traces). core-run is for register-level inspection, not long runs.
inline constexpr std::int64_t kMaxCoreRunSteps = 1'000'000;
inline constexpr std::int64_t kMaxTraceEntries = 50'000'000;

// Why `steps` steps of a chip with `compartments` compartments in total cannot be recorded, or
// nullopt when they can. The text names the value and the allowed range; the caller prefixes
// the file and key (or option) it came from.
std::optional<std::string> run_size_problem(std::int64_t steps, std::int64_t compartments);

}  // namespace loihisim
