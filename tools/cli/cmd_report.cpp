// `loihisim report RUN.h5 [--out report.html] [--compare COMPARE.json]`: the visual report of a
// run file written by `loihisim run --out` (docs/html-report.md).
#include <fmt/core.h>

#include <memory>
#include <string>

#include "io/atomic_output.hpp"
#include "io/summary_file.hpp"
#include "runtime/html_report.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct ReportCliOptions {
  std::string run;
  std::string out;
  std::string compare;
};

void report(const ReportCliOptions& opt) {
  OutputSet files;
  files.input(opt.run, "run file");
  if (!opt.compare.empty()) files.input(opt.compare, "comparison report");
  const std::string out = opt.out.empty()
                              ? std::filesystem::path(opt.run).replace_extension(".html").string()
                              : opt.out;
  files.output(out, "--out");
  HtmlReportInput in = read_run_for_html(opt.run);
  if (!opt.compare.empty()) {
    const Summary c = read_summary(opt.compare);
    const SummaryField f(c, opt.compare);
    if (f.at("report").string() != "comparison")
      f.at("report").fail("not a `loihisim compare --report` file");
    for (const auto& row : f.at("cpu").at("rows").items()) {
      row.at("profile").string();
      row.at("energy_pJ").non_negative();
    }
    f.at("cpu").at("median_time").at("straightforward_ns").non_negative();
    f.at("cpu").at("accuracy").fraction();
    f.at("cpu").at("samples").count();
    f.at("cpu").at("cpu").string();
    f.at("notes").items();
    in.comparison = c;
  }
  write_html_report(in, out);
  files.commit();
  fmt::print("wrote {}\n", out);
}

}  // namespace

void register_report(CLI::App& app) {
  auto opt = std::make_shared<ReportCliOptions>();
  auto* cmd = app.add_subcommand(
      "report", "The visual report of a run: one self-contained HTML page (docs/html-report.md)");
  cmd->add_option("run", opt->run, "Run file (HDF5, written by `loihisim run --out`)")->required();
  cmd->add_option("--out", opt->out, "HTML file (default: the run file with .html)");
  cmd->add_option("--compare", opt->compare,
                  "A `loihisim compare --report` file: the CPU rows beside the chip's");
  cmd->callback([opt] { report(*opt); });
}

}  // namespace loihisim::tools
