// Each subcommand of the `loihisim` command line lives in its own tools/cmd_*.cpp and registers
// itself on the app here. Subcommands stay thin: parse options, call the libraries, print.
#pragma once

#include <CLI/CLI.hpp>

namespace loihisim::tools {

// Each register function adds a subcommand whose callback does the work; errors are thrown
// (InputError for bad input) and turned into a message and a non-zero exit by main().
void register_core_run(CLI::App& app);
void register_map(CLI::App& app);
void register_run(CLI::App& app);
void register_import_nir(CLI::App& app);
void register_baseline(CLI::App& app);
void register_compare(CLI::App& app);
void register_convert(CLI::App& app);
void register_simulate(CLI::App& app);
void register_report(CLI::App& app);
void register_sweep(CLI::App& app);

}  // namespace loihisim::tools
