// `loihisim sweep SWEEP.yaml --out DIR [--threads K]`: a design-space sweep (docs/sweep.md): the
// model at every point of the grid, one table (DIR/sweep.csv, DIR/sweep.h5) and the Pareto front
// of accuracy against energy and latency per inference (DIR/sweep.html).
#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/progress.hpp"
#include "runtime/sweep.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

std::atomic<bool> g_sweep_interrupted{false};

extern "C" void on_sweep_sigint(int) {
  g_sweep_interrupted.store(true);
}

struct SweepCliOptions {
  std::string sweep;
  std::string out;
  int threads = 1;
  bool quiet = false;
  std::string cache;
};

void sweep(const SweepCliOptions& opt) {
  namespace fs = std::filesystem;
  const SweepSpec spec = read_sweep(opt.sweep);
  const fs::path dir = opt.out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(fmt::format("--out {}: cannot create the folder ({})", opt.out, ec.message()));
  OutputSet files;
  files.input(opt.sweep, "sweep file");
  files.input(spec.model, "model file");
  for (const char* name : {"sweep.csv", "sweep.h5", "sweep.html"})
    files.output(dir / name, "--out");
  std::size_t points = 1;
  for (const auto& a : spec.grid) points *= a.values.size();
  std::unique_ptr<ProgressBar> bar;
  if (!opt.quiet) bar = std::make_unique<ProgressBar>("sweep " + spec.file.string(), points);
  g_sweep_interrupted = false;
  auto previous = std::signal(SIGINT, on_sweep_sigint);
  SweepResult result;
  try {
    result = run_sweep(spec, opt.threads, opt.cache, &g_sweep_interrupted, [&](std::size_t done) {
      if (bar) bar->update(done);
    });
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  if (bar) bar->finish();
  write_sweep(result, dir);
  files.commit();
  std::size_t front = 0;
  for (const auto& r : result.rows) front += r.pareto ? 1 : 0;
  fmt::print("{} points, {} on the Pareto front; wrote {}/sweep.csv, sweep.h5, sweep.html\n",
             result.rows.size(), front, dir.string());
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto opt = std::make_shared<SweepCliOptions>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Design-space sweep: a model over a grid of architecture parameters, T, weight "
      "bits, placement and model options (docs/sweep.md)");
  cmd->add_option("sweep", opt->sweep, "Sweep file (YAML; docs/sweep.md)")->required();
  cmd->add_option("--out", opt->out, "Output folder: sweep.csv, sweep.h5, sweep.html")->required();
  cmd->add_option("--threads", opt->threads,
                  "Points run at a time (the table does not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_flag("--quiet", opt->quiet, "No progress bar");
  cmd->add_option("--data-cache", opt->cache, "Dataset cache folder (default data/cache)");
  cmd->callback([opt] { sweep(*opt); });
}

}  // namespace loihisim::tools
