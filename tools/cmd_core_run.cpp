// `loihisim core-run SPEC.yaml --out trace.h5 [--steps N]`: run cores described in hardware units
// (docs/core-run.md) and record u, v, spikes and event counts per step.
#include <fmt/core.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "runtime/atomic_output.hpp"
#include "runtime/core_run.hpp"
#include "runtime/core_spec_io.hpp"
#include "runtime/errors.hpp"
#include "runtime/h5_file.hpp"
#include "tools/commands.hpp"

namespace loihisim::tools {
namespace {

struct CoreRunOptions {
  std::string spec;
  std::string out;
  std::int64_t steps = 0;
  bool steps_given = false;
};

// Fails before the run, not after it, when the output cannot be created where asked.
void check_output_path(const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec))
    throw InputError(fmt::format("--out {}: is a directory", out.string()));
  const std::filesystem::path dir = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(
        fmt::format("--out {}: the directory {} does not exist", out.string(), dir.string()));
}

void core_run(const CoreRunOptions& opt) {
  const CoreSpec spec = read_core_spec(opt.spec);
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
  check_output_path(out_path);

  const CoreRunResult result = run_core_spec(spec, steps);

  AtomicOutput out(out_path);
  {
    h5::Group root = h5::create_file(out.temp_path().string());
    write_core_run(root, spec, result);
  }  // the file is closed (flushed) here, before it is renamed into place
  out.commit();

  fmt::print("{}", core_run_summary(spec, result));
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
  cmd->callback([opt, cmd] {
    opt->steps_given = cmd->count("--steps") > 0;
    core_run(*opt);
  });
}

}  // namespace loihisim::tools
