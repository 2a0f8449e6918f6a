// Running a CoreSpec on core::Chip and recording what every compartment did at every step:
// u, v and spikes (steps x compartments per core) and the event counters per step. The records
// are written to HDF5 with the layout of docs/core-run.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "core/event_counts.hpp"
#include "formats/core_spec.hpp"
#include "io/h5_file.hpp"
#include "runtime/html_report.hpp"
#include "runtime/report.hpp"

namespace loihisim {

// What one core did over the run. Arrays are row-major steps x compartments; row s holds the
// state after step s + 1 (1-based step numbering, as in the spec).
struct CoreTrace {
  int compartments = 0;
  int input_axons = 0;
  int output_axons = 0;
  int accumulator_depth = 0;
  std::int64_t synapse_memory_bits = 0;  // used by the core's synapse lists
  std::vector<std::int32_t> u;
  std::vector<std::int32_t> v;
  std::vector<std::uint8_t> spikes;           // 1 where the compartment fired at that step
  std::vector<core::CoreCounts> step_counts;  // events of each step
  core::CoreCounts counts;                    // events over the whole run
};

struct CoreRunResult {
  int steps = 0;
  std::vector<CoreTrace> cores;
  std::uint64_t host_spikes = 0;          // raster spikes injected
  std::uint64_t host_spikes_skipped = 0;  // raster spikes at steps after the last step run
  std::optional<Report> report;           // with an architecture
  // Compartment messages per (source, destination) core over the run (the HTML report's links).
  std::map<std::pair<std::int32_t, std::int32_t>, std::uint64_t> flows;
};

// Runs spec.chip in a chip session (core i on physical core i of `arch`'s mesh): for each step
// s = 1..steps injects the raster spikes of step s, steps the chip and records every core.
// `steps` overrides spec.steps when given; raster spikes after the last step are not injected
// (counted in host_spikes_skipped). With an architecture the result carries the energy and time
// report (per-step and per-core-per-step arrays included). Throws InputError if the run is too
// large to record, core::InvalidCoreConfig for a configuration that core::validate() rejects,
// std::out_of_range for a raster spike naming a core or axon that does not exist
// (read_core_spec rejects both first).
CoreRunResult run_core_spec(const CoreSpec& spec, std::optional<int> steps = std::nullopt,
                            const core::Architecture* arch = nullptr);

// Writes the run into an open HDF5 file (root group), layout in docs/core-run.md. Callers use
// AtomicOutput so a failed run leaves no file.
void write_core_run(h5::Group& root, const CoreSpec& spec, const CoreRunResult& result);

// What the HTML report (runtime/html_report.hpp) shows of a core-run with an architecture: the
// core-run report's figures under the run report's keys (one "inference" of `steps` steps, one
// population per core, "core <i>"), the spikes, step times and link traffic; `source` names the
// run. Throws std::invalid_argument without result.report.
HtmlReportInput core_run_html_input(const CoreSpec& spec, const CoreRunResult& result,
                                    const core::Architecture& arch, const std::string& source,
                                    const std::string& architecture_yaml);

// A one-screen table: per core compartments, axons, synapse memory, spikes, synaptic
// operations, active/total compartment updates, spikes out; and the totals.
std::string core_run_summary(const CoreSpec& spec, const CoreRunResult& result);

}  // namespace loihisim
