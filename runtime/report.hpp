// The energy and time report of a run, assembled from a core::ChipAccountant: energy per run and
// per inference (dynamic, static, total), a breakdown by event kind with the count and the table
// entry behind every line, by core and by group (population or layer), latency and time per
// step, the critical components, and what was in use. Written as a summary (YAML or JSON, keys in
// docs/reports.md) and as HDF5 (summary plus per-step and per-core-per-step arrays).
// docs/energy-model.md explains each number.
//
// Exactness: energies are integer femtojoules and times integer picoseconds, and the summary
// writes run totals as such. The breakdown lines add up to the total exactly; per-inference
// figures are the run figures divided by the number of inferences.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/chip_accountant.hpp"
#include "core/energy.hpp"
#include "io/h5_file.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

struct ReportOptions {
  std::int64_t inferences = 1;  // the run is divided by this for per-inference figures (>= 1)
  // A label per chip core (the population or layer it holds); empty means every core is
  // "unlabelled". Cores with the same label form one group.
  std::vector<std::string> core_groups = {};
  // Copy per-step arrays into the report (for HDF5). Per-core arrays need the accountant to have
  // been built with AccountantOptions::keep_per_core_steps.
  bool per_step = false;
  // With per_step: also the per-core-per-step arrays (steps x cores; the accountant must keep
  // them). Off for long runs of many cores, whose per-step records are enough.
  bool per_core_steps = true;
};

struct ReportCore {
  int core = 0;          // index in the chip
  int physical = 0;      // global core on the architecture's mesh
  std::string location;  // e.g. "core 5 (chip 0 tile (1,0) core 1)"
  std::string group;
  bool in_use = false;
  core::CoreTotals totals;
  std::int64_t dynamic_fj = 0;  // its own events and the network events of its messages
};

struct ReportGroup {
  std::string group;
  int cores = 0;
  core::CoreCounts counts;
  std::int64_t dynamic_fj = 0;
};

struct ReportCritical {
  std::string component;
  std::uint64_t steps = 0;
};

struct Report {
  std::string architecture;
  std::int64_t steps = 0;
  std::int64_t inferences = 1;
  int cores = 0, cores_in_use = 0, tiles_in_use = 0, chips_in_use = 0;

  // Every event kind (lines sum to total_fj exactly), with the dynamic, static and total energy.
  core::EnergyBreakdown energy;
  // Dynamic energy no core owns: barriers and host-link traffic. Sum of core dynamic energies
  // + this = energy.dynamic_fj, exactly.
  std::int64_t unattributed_dynamic_fj = 0;
  std::vector<ReportCore> by_core;
  std::vector<ReportGroup> by_group;  // in order of first appearance

  std::int64_t latency_ps = 0;  // sum of the step times
  std::int64_t step_min_ps = 0, step_median_ps = 0, step_max_ps = 0;
  // Sums over steps of each step's parts (see core::StepRecord).
  std::int64_t compute_ps = 0, network_ps = 0, host_ps = 0, barrier_ps = 0, readback_ps = 0;
  std::vector<ReportCritical> critical;  // most frequent first

  // With ReportOptions::per_step: one entry per step; `step_critical` indexes `critical`.
  std::vector<core::StepRecord> step_records;
  std::vector<std::int32_t> step_critical;
  // steps x cores, row-major (only when the accountant kept them).
  std::vector<core::CoreCounts> core_step_counts;
  std::vector<std::int64_t> core_step_busy_ps;
};

// Throws std::invalid_argument for inferences < 1, a group list of the wrong length, or per_step
// per-core arrays the accountant did not keep.
Report make_report(const core::ChipAccountant& acct, const ReportOptions& options);

// The summary (docs/reports.md, "core-run"), for write_summary.
Summary report_summary(const Report& r);
// A short human-readable summary for the terminal.
std::string report_text(const Report& r);
// Summary (attributes and /energy) plus /steps and /cores per-step arrays when present.
void write_report_h5(h5::Group& root, const Report& r);

// Writes by extension (.yaml/.yml, .json: the summary; .h5/.hdf5) through AtomicOutput: the file
// appears whole or not at all. Throws InputError for another extension or a write failure.
void write_report(const Report& r, const std::filesystem::path& path);
// Throws InputError "OPTION PATH: unknown report format" for an extension write_report does not
// know: for checking an output option before the run.
void check_report_path(const std::filesystem::path& path, const std::string& option);

}  // namespace loihisim
