// The visual report of a run (`loihisim report RUN.h5`, `loihisim run --html`): one
// self-contained HTML page with inline SVG (no scripts, no network) showing the energy by event
// kind and by core, the mesh with per-core utilisation and per-link traffic, the spike raster and
// rates per population, per-step latency with its critical component, accuracy (and the CPU
// comparison when given) and every line of the architecture file (docs/html-report.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

// What the page shows, as `run --out` stores it (docs/reports.md, "The run file").
struct HtmlReportInput {
  std::string source;  // the run file (shown, escaped)
  // The run report (docs/reports.md, "run"); core-run pages get the same keys from
  // core_run_html_input(), without `accuracy`.
  Summary summary;
  core::MeshGeometry mesh;
  // Per chip core (= physical core of the mesh), summed over the run.
  std::vector<std::int64_t> core_busy_ps, core_dynamic_fj;
  // Sample 0 (empty when the run kept no trace).
  std::vector<std::int64_t> step_ps;
  std::vector<std::int32_t> step_critical;  // index into critical_names
  std::vector<std::string> critical_names;
  std::vector<std::int32_t> spike_population, spike_step, spike_neuron;
  std::vector<std::int32_t> link_ids;
  std::vector<std::uint64_t> link_messages;
  std::string architecture_yaml;
  std::optional<Summary> comparison;  // a `loihisim compare --report` file
};

// Reads a file written by `run --out`. InputError naming the file and the object when it is not
// one (or lacks the datasets of docs/reports.md).
HtmlReportInput read_run_for_html(const std::filesystem::path& path);

// The messages of every (source, destination) chip core pair, routed X then Y on `in.mesh`
// (core::route(); chip core i = physical core i), added up per directed link into
// in.link_ids / in.link_messages (ascending link ids).
void add_link_traffic(HtmlReportInput& in,
                      const std::map<std::pair<std::int32_t, std::int32_t>, std::uint64_t>& flows);

// The element ids of the figures, in page order (tests check each is present).
const std::vector<std::string>& html_report_figure_ids();

// The page.
std::string html_report(const HtmlReportInput& in);

// Writes the page atomically (io/atomic_output).
void write_html_report(const HtmlReportInput& in, const std::filesystem::path& path);

// One architecture file line that sets a value: its dotted key path, the value and the comment
// that gives its source ("" when none).
struct ArchitectureLine {
  std::string key, value, source;
};
// The lines of an architecture YAML text that hold a scalar value, in file order (block style,
// as the shipped files are written; list items are numbered key[i]).
std::vector<ArchitectureLine> architecture_lines(const std::string& yaml_text);

}  // namespace loihisim
