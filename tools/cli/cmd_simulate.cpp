// `loihisim simulate NETWORK.yaml|MAPPED.h5 --arch loihi1 --steps N [--input RASTER.h5]
// [--record-spikes] [--probe POP:N,...] [--out run.h5] [--report r.json]`: a free-running network
// (no dataset, no classifier): spike counts per population, energy and latency per step
// (docs/running.md, "Free-running networks"). Under `mpirun -np K` the chips are split over
// the ranks and rank 0 writes the same outputs (docs/scaling.md).
#include <fmt/core.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/progress.hpp"
#include "io/summary_file.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "runtime/free_run.hpp"
#include "runtime/rank_image.hpp"
#include "runtime/ranks.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct SimulateOptions {
  std::string network;
  std::string arch = "loihi1";
  std::int64_t steps = 0;
  std::string input;
  std::size_t input_sample = 0;
  bool record_spikes = false;
  std::vector<std::string> probes;
  std::string placer = "metis";
  std::string out;
  std::string report;
  bool quiet = false;
  int threads = 1;
  std::string network_model;
};

// "--probe POP" (every neuron) or "--probe POP:LIST", LIST = comma-separated neurons N or
// ranges A-B (both ends included).
ProbeRequest parse_probe(const std::string& spec) {
  const auto bad = [&](const std::string& why) {
    return InputError(fmt::format("--probe '{}': {} (expected POP or POP:N,A-B,...)", spec, why));
  };
  ProbeRequest p;
  const auto colon = spec.rfind(':');
  p.population = spec.substr(0, colon);
  if (p.population.empty()) throw bad("no population");
  if (colon == std::string::npos) return p;
  const auto number = [&](const std::string& t) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < 0 || v >= (1 << 30))
      throw bad(fmt::format("'{}' is not a neuron number", t));
    return static_cast<std::int32_t>(v);
  };
  std::size_t at = colon + 1;
  while (at <= spec.size()) {
    const auto comma = std::min(spec.find(',', at), spec.size());
    const std::string item = spec.substr(at, comma - at);
    const auto dash = item.find('-');
    const std::int32_t a = number(item.substr(0, dash));
    const std::int32_t b = dash == std::string::npos ? a : number(item.substr(dash + 1));
    if (b < a) throw bad(fmt::format("range '{}' runs backwards", item));
    if (p.neurons.size() + static_cast<std::size_t>(b - a) + 1 > (std::size_t{1} << 24))
      throw bad("more than 2^24 neurons");
    for (std::int32_t n = a; n <= b; ++n) p.neurons.push_back(n);
    at = comma + 1;
  }
  return p;
}

void simulate(const SimulateOptions& opt) {
  if (opt.record_spikes && opt.out.empty())
    throw InputError("--record-spikes writes the rasters into --out: give --out FILE.h5");
  if (!opt.probes.empty() && opt.out.empty())
    throw InputError("--probe writes the traces into --out: give --out FILE.h5");
  std::vector<ProbeRequest> probes;
  for (const auto& spec : opt.probes) probes.push_back(parse_probe(spec));
  OutputSet files;
  if (mapper::is_mapped_image_file(opt.network))
    files.input(opt.network, "mapped image");
  else
    network_inputs(files, opt.network);
  input_if_file(files, opt.arch, "architecture file");
  if (!opt.input.empty()) files.input(opt.input, "input raster");
  if (!opt.out.empty()) files.output(opt.out, "--out");
  summary_output(files, opt.report, "--report");
  core::Architecture arch = load_architecture(opt.arch);
  apply_network_model(arch, opt.network_model);
  // Started by mpirun with a mapped image, each rank reads only its own cores' tables.
  std::optional<RankImage> part;
  if (ranks().launched() && mapper::is_mapped_image_file(opt.network))
    part = read_rank_image(opt.network, arch);
  const mapper::MappedImage image =
      part ? std::move(part->image) : mapper::image_for_run(opt.network, arch, opt.placer);
  std::optional<SequenceDataset> input;
  if (!opt.input.empty()) input = read_dataset_h5(opt.input);

  FreeRunOptions fo;
  fo.steps = opt.steps;
  fo.record_spikes = opt.record_spikes;
  fo.probes = std::move(probes);
  fo.input_sample = opt.input_sample;
  fo.threads = opt.threads;
  if (part) fo.distribution = &part->distribution;
  std::unique_ptr<ProgressBar> bar;
  if (!opt.quiet && ranks().is_reporter())
    bar = std::make_unique<ProgressBar>("simulate", static_cast<std::uint64_t>(opt.steps));
  const FreeRunResult r =
      free_run(image, arch, input ? &*input : nullptr, fo, nullptr, [&](std::int64_t done) {
        if (bar) bar->update(static_cast<std::uint64_t>(done));
      });
  if (bar) bar->finish();
  if (r.rank != core::Distribution::kReporter) return;  // rank 0 writes and prints

  if (!opt.out.empty()) {
    AtomicOutput out{std::filesystem::path(opt.out)};
    {
      h5::Group root = h5::create_file(out);
      write_free_run_h5(root, r, opt.network);
    }
    out.commit();
  }
  if (!opt.report.empty()) write_summary(free_run_summary(r, opt.network), opt.report);
  files.commit();
  fmt::print("{} on {}: {}", opt.network, arch.name, free_run_text(r));
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto opt = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Run a network freely for N steps, driven by its biases and an optional input raster: "
      "spike counts per population, energy and latency per step (docs/running.md)");
  cmd->add_option("network", opt->network,
                  "network file (YAML, mapped on the fly) or mapped image (.h5)")
      ->required();
  cmd->add_option("--arch", opt->arch, "architecture: a shipped name (loihi1, ...) or a YAML file")
      ->capture_default_str();
  cmd->add_option("--steps", opt->steps, "chip steps to run")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 31));
  cmd->add_option("--input", opt->input,
                  "input raster (HDF5 dataset: samples x steps x the input ports' sizes; value "
                  "!= 0 sends a spike)");
  cmd->add_option("--sample", opt->input_sample, "which sample of --input drives the ports")
      ->capture_default_str();
  cmd->add_flag("--record-spikes", opt->record_spikes,
                "write every spike (step, neuron) per population into --out");
  cmd->add_option("--probe", opt->probes,
                  "record v and u of a population's neurons every step into --out: POP (all) "
                  "or POP:N,A-B,... (repeatable)");
  cmd->add_option("--placer", opt->placer, "placement when mapping a network file")
      ->capture_default_str()
      ->check(CLI::IsMember({"greedy", "metis"}));
  cmd->add_option("--out,-o", opt->out, "results (HDF5): spike counts, rasters, energy arrays");
  cmd->add_option("--report", opt->report, "summary (.json or .yaml, docs/reports.md)");
  cmd->add_flag("--quiet,-q", opt->quiet, "no progress bar");
  cmd->add_option("--threads", opt->threads,
                  "threads stepping the cores of each step (results identical for any count)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_network_model_option(cmd, opt->network_model);
  cmd->callback([opt] { simulate(*opt); });
}

}  // namespace loihisim::tools
