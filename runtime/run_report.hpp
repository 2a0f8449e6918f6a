// The report of `loihisim run`: accuracy, chip energy (active and total, with the breakdown by
// event kind, core and population), host coprocessor energy and time, latency and throughput per
// inference, spike rates per population, and the mapping summary. All figures are sums of
// per-sample counts (integers: fJ, ps, events) made in sample order, then divided by the number
// of inferences for the per-inference columns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/board_level.hpp"
#include "core/energy.hpp"
#include "io/summary_file.hpp"
#include "mapper/mapped_image.hpp"
#include "runtime/html_report.hpp"
#include "runtime/inference.hpp"

namespace loihisim {

struct RunInfo {
  std::string model;
  std::string architecture;
  std::string dataset;
  std::string placer;
  int threads = 1;
  std::string architecture_yaml;  // the architecture file's text (run file, HTML report)
};

struct PopulationActivity {
  std::string name;
  std::int32_t size = 0;
  std::uint64_t spikes = 0;  // over all samples
  double rate = 0;           // spikes per neuron per chip step
  std::string cores;         // where it lives, e.g. "0-3"
  bool graded = false;       // it sends graded spikes: `payloads` holds their statistics
  PayloadStats payloads;     // over all samples
};

struct RunReport {
  RunInfo info;
  InferenceOptions options;
  std::uint64_t samples = 0;  // completed inferences
  std::uint64_t correct = 0;
  double accuracy = 0;
  double wall_seconds = 0;

  core::EnergyBreakdown chip;                              // summed over all samples
  std::int64_t host_fj = 0;                                // summed
  HostOpCounts host_ops;                                   // summed
  std::uint64_t input_spikes = 0, input_payload_bits = 0;  // summed (SampleResult)
  std::int64_t chip_steps = 0;                             // summed
  std::int64_t chip_ps = 0;                                // summed step times
  std::int64_t host_ps = 0;                                // summed host busy time
  std::int64_t min_latency_ps = 0, max_latency_ps = 0;
  std::uint64_t symbols_probed = 0, symbols_skipped = 0;  // timestep skipping, summed
  // Sequence outputs (the encoder-decoder; 0 otherwise): target tokens and those right, summed.
  // `correct` then counts the exactly right sequences.
  std::uint64_t tokens = 0, correct_tokens = 0;

  std::vector<PopulationActivity> populations;
  std::vector<std::int64_t> core_dynamic_fj;  // per chip core, summed over samples
  std::vector<std::uint64_t> core_syn_ops;
  std::vector<std::int64_t> core_busy_ps;  // per chip core, summed over samples

  int cores_used = 0;
  int chips = 0;
  // The architecture's `system:` section (formats/board_io.hpp) and the board level made with
  // it; without one the report is exactly the chip-level one.
  std::optional<core::SystemCosts> system;
  std::optional<core::BoardLevel> board;

  double per_inference(std::int64_t total) const {
    return samples ? static_cast<double>(total) / static_cast<double>(samples) : 0.0;
  }
  std::int64_t latency_ps() const { return chip_ps + host_ps; }
};

RunReport make_run_report(const RunInfo& info, const InferenceOptions& options,
                          const mapper::MappedImage& image, const core::Architecture& arch,
                          const InferenceRun& run,
                          const std::optional<core::SystemCosts>& system = std::nullopt);

// The summary (docs/reports.md, "run"; the energy object is report_parts' energy_summary).
Summary run_report_summary(const RunReport& r);
// The terminal table.
std::string run_report_text(const RunReport& r);
// Per-sample arrays plus the summary (as attributes and a JSON string), the per-core totals
// (/cores), sample 0's trace when the run kept it (/trace) and the architecture file's text,
// written atomically (docs/reports.md, "The run file").
void write_run_h5(const RunReport& r, const InferenceRun& run, const mapper::MappedImage& image,
                  const core::Architecture& arch, const std::filesystem::path& path);
// What the HTML report shows (runtime/html_report.hpp), from the run in memory: the same as
// read_run_for_html() gives for the file write_run_h5() writes. `source` names the run.
HtmlReportInput html_report_input(const RunReport& r, const InferenceRun& run,
                                  const core::Architecture& arch, const std::string& source);
// By extension: .json or .yaml/.yml; atomically.
void write_run_summary(const RunReport& r, const std::filesystem::path& path);

}  // namespace loihisim
