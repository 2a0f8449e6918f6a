// The `loihisim` command line.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <new>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "runtime/ranks.hpp"
#include "tools/cli/commands.hpp"

int main(int argc, char** argv) {
  // Ctrl-C (or SIGTERM) while an output is being written removes its temporary file.
  loihisim::install_interrupt_cleanup();
  // Started by mpirun: MPI_Init here, MPI_Finalize on return (runtime/ranks.hpp); a failing rank
  // aborts the others, which would wait for it in the step exchange.
  loihisim::RankScope ranks(&argc, &argv);
  CLI::App app{"loihisim: a cycle-level simulator of Loihi-style neuromorphic chips"};
  app.require_subcommand(1);
  loihisim::tools::register_core_run(app);
  loihisim::tools::register_map(app);
  loihisim::tools::register_run(app);
  loihisim::tools::register_import_nir(app);
  loihisim::tools::register_baseline(app);
  loihisim::tools::register_compare(app);
  loihisim::tools::register_convert(app);
  loihisim::tools::register_simulate(app);
  loihisim::tools::register_report(app);
  loihisim::tools::register_sweep(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ranks.fail(app.exit(e));
  } catch (const loihisim::InputError& e) {
    fmt::print(stderr, "loihisim: error: {}\n", e.what());
    return ranks.fail(2);
  } catch (const std::bad_alloc&) {
    // Inputs are checked against the memory limit before large allocations (io/limits.hpp);
    // this is the machine running out below that limit (other processes, many threads).
    fmt::print(stderr,
               "loihisim: error: out of memory: this machine could not give the memory the run "
               "needs (LOIHISIM_MAX_MEMORY bytes bounds what one input may claim; fewer --threads "
               "or --samples need less)\n");
    return ranks.fail(2);
  } catch (const std::exception& e) {
    // Every input problem is an InputError (exit 2): anything else is a bug in loihisim.
    fmt::print(stderr,
               "loihisim: internal error (a bug in loihisim; please report it with the "
               "command line): {}\n",
               e.what());
    return ranks.fail(3);
  }
  return 0;
}
