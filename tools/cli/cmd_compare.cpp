// `loihisim compare RUN_REPORT BASELINE_REPORT`: one table of energy per inference, the chip
// (active, total) and its host beside the CPU baseline under each profile, with the ratios and
// every assumption in the footnotes (docs/baseline.md).
#include <fmt/core.h>

#include <memory>
#include <string>

#include "baseline/baseline_report.hpp"
#include "io/atomic_output.hpp"
#include "io/summary_file.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct CompareCliOptions {
  std::string run_report, baseline_report, report;
  bool json = false;
};

void run(const CompareCliOptions& opt) {
  OutputSet files;
  files.input(opt.run_report, "run report");
  files.input(opt.baseline_report, "baseline report");
  summary_output(files, opt.report, "--report");
  const ChipSummary chip = read_run_summary(opt.run_report);
  const CpuSummary cpu = read_baseline_summary(opt.baseline_report);
  if (!opt.report.empty()) write_summary(compare_summary(chip, cpu), opt.report);
  files.commit();
  if (opt.json)
    fmt::print("{}\n", compare_summary(chip, cpu).dump(2));
  else
    fmt::print("{}", compare_text(chip, cpu));
}

}  // namespace

void register_compare(CLI::App& app) {
  auto opt = std::make_shared<CompareCliOptions>();
  auto* cmd = app.add_subcommand(
      "compare", "Chip vs CPU energy per inference, from a run report and a baseline report");
  cmd->add_option("run_report", opt->run_report, "`loihisim run --report` file (.yaml or .json)")
      ->required();
  cmd->add_option("baseline_report", opt->baseline_report,
                  "`loihisim baseline --report` file (.yaml or .json)")
      ->required();
  cmd->add_option("--report", opt->report, "Write the table's figures (.yaml or .json)");
  cmd->add_flag("--json", opt->json, "Print JSON instead of the table");
  cmd->callback([opt] { run(*opt); });
}

}  // namespace loihisim::tools
