// The `loihisim` command line.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "tools/cli/commands.hpp"

int main(int argc, char** argv) {
  // Ctrl-C (or SIGTERM) while an output is being written removes its temporary file.
  loihisim::install_interrupt_cleanup();
  CLI::App app{"loihisim: a cycle-level simulator of Loihi-style neuromorphic chips"};
  app.require_subcommand(1);
  loihisim::tools::register_core_run(app);
  loihisim::tools::register_map(app);
  loihisim::tools::register_run(app);
  loihisim::tools::register_import_nir(app);
  loihisim::tools::register_baseline(app);
  loihisim::tools::register_compare(app);
  loihisim::tools::register_convert(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const loihisim::InputError& e) {
    fmt::print(stderr, "loihisim: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "loihisim: error: {}\n", e.what());
    return 3;
  }
  return 0;
}
