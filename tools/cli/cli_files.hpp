// How the subcommands declare the files they read and write (issue: no destroyed input, no
// half-written output): every command opens one OutputSet, declares its inputs and outputs
// before doing any work, and commits it at the end, so its outputs appear together or not at
// all.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "core/architecture.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/summary_file.hpp"

namespace loihisim::tools {

// An architecture or profile option names either a shipped profile ("loihi1") or a file;
// only a file can be overwritten.
inline void input_if_file(OutputSet& files, const std::string& name, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name, ec)) files.input(name, what);
}

// A network file and the companion HDF5 file its large arrays live in by default.
inline void network_inputs(OutputSet& files, const std::filesystem::path& yaml) {
  files.input(yaml, "network file");
  files.input(std::filesystem::path(yaml).replace_extension(".h5"), "network's array file");
}

// An optional summary output (--report): its format checked and declared before any work.
inline void summary_output(OutputSet& files, const std::string& path, const std::string& option) {
  if (path.empty()) return;
  check_summary_path(path, option);
  files.output(path, option);
}

// --network-model: the architecture's mesh timing model, or another for this run.
inline void add_network_model_option(CLI::App* cmd, std::string& model) {
  cmd->add_option("--network-model", model,
                  "step timing: event (every message through every link), analytic (per-link "
                  "loads, no event queue) or cycle (core pipelines, ports and mesh in whole "
                  "clock cycles); default: the architecture file's (docs/energy-model.md)")
      ->check(CLI::IsMember({"event", "analytic", "cycle"}));
}
inline void apply_network_model(core::Architecture& arch, const std::string& model) {
  if (model.empty()) return;
  arch.network.model = model == "analytic" ? core::NetworkModel::kAnalytic
                       : model == "cycle"  ? core::NetworkModel::kCycle
                                           : core::NetworkModel::kEvent;
  if (arch.network.model == core::NetworkModel::kCycle && !arch.cycle.present)
    throw InputError(
        "architecture '" + arch.name +
        "': --network-model cycle needs its chip.cycle section (see arch/loihi1.yaml)");
}

}  // namespace loihisim::tools
