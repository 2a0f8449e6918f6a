// `loihisim core-run SPEC.yaml --out trace.h5 [--steps N]`: run cores described in hardware units
// (docs/core-run.md) and record u, v, spikes and event counts per step.
#include <fmt/core.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "formats/arch_io.hpp"
#include "formats/core_spec_io.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "runtime/core_run.hpp"
#include "runtime/report.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct CoreRunOptions {
  std::string spec;
  std::string out;
  std::int64_t steps = 0;
  bool steps_given = false;
  std::string arch;    // empty: no energy/time model
  std::string report;  // energy/time summary file (.yaml/.json), with --arch
  std::string html;    // the HTML report, with --arch
  std::string network_model;
};

void core_run(const CoreRunOptions& opt) {
  OutputSet files;
  files.input(opt.spec, "core-run spec");
  input_if_file(files, opt.arch, "architecture file");
  files.output(opt.out, "--out");
  if (!opt.report.empty()) {
    check_report_path(opt.report, "--report");
    files.output(opt.report, "--report");
  }
  if (!opt.html.empty()) files.output(opt.html, "--html");
  std::optional<core::Architecture> arch;
  if (!opt.arch.empty()) {
    arch = load_architecture(opt.arch);
    apply_network_model(*arch, opt.network_model);
  }
  if (!opt.report.empty() && !arch)
    throw InputError("--report " + opt.report + ": needs --arch (the energy and time model)");
  if (!opt.html.empty() && !arch)
    throw InputError("--html " + opt.html + ": needs --arch (the energy and time model)");
  // With an architecture, its per-core limits apply (e.g. no reset by subtraction on loihi1).
  const CoreSpec spec = read_core_spec(opt.spec, arch ? arch->core : core::CoreLimits{});
  if (arch && static_cast<int>(spec.chip.cores.size()) > arch->mesh.num_cores())
    throw InputError(fmt::format("{}: {} cores, but architecture {} has {}", opt.spec,
                                 spec.chip.cores.size(), arch->name, arch->mesh.num_cores()));
  std::optional<int> steps;
  if (opt.steps_given) {
    std::int64_t compartments = 0;
    for (const auto& c : spec.chip.cores)
      compartments += static_cast<std::int64_t>(c.compartments.size());
    if (auto why = run_size_problem(opt.steps, compartments))
      throw InputError(fmt::format("--steps = {}: {}", opt.steps, *why));
    steps = static_cast<int>(opt.steps);
  }
  const std::filesystem::path out_path(opt.out);

  // Core i of the spec sits on physical core i of the architecture's mesh.
  const CoreRunResult result = run_core_spec(spec, steps, arch ? &*arch : nullptr);
  const std::optional<Report>& report = result.report;

  AtomicOutput out(out_path);
  {
    h5::Group root = h5::create_file(out);
    write_core_run(root, spec, result);
    if (report) {
      h5::Group energy = root.create_group("energy");
      write_report_h5(energy, *report);
    }
  }
  out.commit();  // the file is flushed and closed, checked, and handed to the set
  if (report && !opt.report.empty()) write_report(*report, opt.report);
  if (!opt.html.empty())
    write_html_report(
        core_run_html_input(spec, result, *arch, opt.spec, architecture_text(opt.arch)), opt.html);
  files.commit();

  fmt::print("{}", core_run_summary(spec, result));
  if (report) fmt::print("\n{}", report_text(*report));
  fmt::print("wrote {}\n", out_path.string());
}

}  // namespace

void register_core_run(CLI::App& app) {
  auto opt = std::make_shared<CoreRunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "core-run",
      "Run cores described in hardware units (a YAML spec, see docs/core-run.md) and write the "
      "per-step u, v, spikes and event counts to HDF5");
  cmd->add_option("spec", opt->spec, "core-run spec (YAML)")->required();
  cmd->add_option("--out,-o", opt->out, "output trace file (HDF5)")->required();
  cmd->add_option("--steps", opt->steps, "timesteps to run (default: the spec's 'steps')");
  cmd->add_option(
      "--arch", opt->arch,
      "architecture profile (loihi1, loihi1-board, loihi1-sanafe, loihi2) or YAML file: adds the "
      "energy and time model (docs/energy-model.md)");
  cmd->add_option("--report", opt->report, "energy/time summary file (.yaml or .json)");
  cmd->add_option("--html", opt->html,
                  "visual report, one self-contained HTML page (with --arch; "
                  "docs/html-report.md)");
  add_network_model_option(cmd, opt->network_model);
  cmd->callback([opt, cmd] {
    opt->steps_given = cmd->count("--steps") > 0;
    core_run(*opt);
  });
}

}  // namespace loihisim::tools
