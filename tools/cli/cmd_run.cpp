// `loihisim run MODEL.yaml --arch loihi1 [--samples N] [--threads K] [--out results.h5]`: run
// inferences of a model on the simulated chip with its host coprocessor and report accuracy,
// energy and latency (docs/running.md). Under `mpirun -np K` the samples are split over the
// ranks and rank 0 writes the results (docs/scaling.md).
#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "formats/arch_io.hpp"
#include "formats/board_io.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/progress.hpp"
#include "io/summary_file.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/model_file.hpp"
#include "runtime/host_costs.hpp"
#include "runtime/html_report.hpp"
#include "runtime/inference.hpp"
#include "runtime/ranks.hpp"
#include "runtime/run_report.hpp"
#include "runtime/seq2seq_inference.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted.store(true);
}

struct RunCliOptions {
  std::string model;
  std::string arch = "loihi1";
  std::uint64_t samples = 0;
  std::uint64_t every = 1;
  int threads = 1;
  std::string out;
  std::string report;
  std::string html;
  bool json = false;
  bool quiet = false;
  std::string cache;
  std::string network_model;
};

// What the samples are: a sequence dataset (classifiers) or the sort-digits strings.
struct Inputs {
  std::vector<DigitString> strings;
  SequenceDataset data;
};

// The encoder-decoder (a seq2seq_greedy host node) runs on the sort-digits strings, every
// other network on a sequence dataset; a model pairing one with the other is refused.
bool check_seq2seq_model(const std::string& file, const ModelSpec& model,
                         const mapper::MappedImage& image) {
  const bool net = is_seq2seq_image(image), task = model.dataset.name == "sort-digits";
  if (net && !task)
    throw InputError(file + ": the network is an encoder-decoder (host node of kind " +
                     "seq2seq_greedy), which runs on dataset {name: sort-digits}");
  if (task && !net)
    throw InputError(file + ": dataset sort-digits needs an encoder-decoder network (convert " +
                     "--method hybrid-seq2seq); this one has no seq2seq_greedy host node");
  if (net && ranks().size() > 1)
    throw InputError(file + ": the encoder-decoder runs in one process (not under mpirun)");
  return net;
}

// Every k-th string of the model's split.
std::vector<DigitString> sort_digits_strings(const ModelSpec& model, std::uint64_t every) {
  const std::vector<DigitString> all = sort_digits_split(model.dataset.split);
  std::vector<DigitString> out;
  for (std::size_t i = 0; i < all.size(); i += every) out.push_back(all[i]);
  return out;
}

// The inferences with a progress bar and Ctrl-C; an InputError names the model and what it
// combines.
InferenceRun run_with_progress(const RunCliOptions& opt, const ModelSpec& model,
                               const mapper::MappedImage& image, const core::Architecture& arch,
                               const InferenceOptions& io, const Inputs& in, bool seq2seq,
                               std::uint64_t n, const std::string& data_name) {
  g_interrupted = false;
  auto previous = std::signal(SIGINT, on_sigint);
  std::unique_ptr<ProgressBar> bar;
  if (!opt.quiet && ranks().is_reporter())
    bar = std::make_unique<ProgressBar>("run " + model.name, n);
  const auto on_progress = [&](std::uint64_t done) {
    if (bar) bar->update(done);
  };
  InferenceRun result;
  try {
    result = seq2seq ? run_seq2seq(image, arch, in.strings, io, &g_interrupted, on_progress)
                     : run_inferences(image, arch, in.data, io, &g_interrupted, on_progress);
  } catch (const InputError& e) {
    // The run's checks know values, not files: name the model and what it combines.
    std::signal(SIGINT, previous);
    const std::string net = model.image.empty() ? model.network.string() : model.image.string();
    const std::string ds = model.dataset.file.empty() ? data_name : model.dataset.file.string();
    throw InputError(
        fmt::format("{}: network {} with dataset {}: {}", opt.model, net, ds, e.what()));
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  if (bar) bar->finish();
  return result;
}

void run(const RunCliOptions& opt) {
  OutputSet files;
  files.input(opt.model, "model file");
  input_if_file(files, opt.arch, "architecture file");
  const ModelSpec model = read_model(opt.model);
  if (!model.network.empty()) network_inputs(files, model.network);
  if (!model.image.empty()) files.input(model.image, "mapped image");
  if (!model.dataset.file.empty()) files.input(model.dataset.file, "dataset file");
  if (!opt.out.empty()) files.output(opt.out, "--out");
  if (!opt.html.empty()) files.output(opt.html, "--html");
  summary_output(files, opt.report, "--report");
  core::Architecture arch = load_architecture(opt.arch);
  apply_network_model(arch, opt.network_model);

  mapper::MappedImage image;
  std::string placer = model.placer;
  if (!model.image.empty()) {
    image = mapper::read_mapped_image(model.image);
    placer = image.placer;
  } else {
    const mapper::Network net = mapper::read_network(model.network);
    mapper::MapOptions mo;
    mo.placer = mapper::parse_placer(model.placer);
    mo.compare_placers = false;
    image = mapper::map_network(net, arch, mo).image;
  }
  InferenceOptions io = inference_options(model, arch);
  io.samples = opt.samples;
  io.threads = opt.threads;
  io.trace_first_sample = !opt.out.empty() || !opt.html.empty();
  io.split_over_ranks = true;  // under mpirun: samples split over the ranks (docs/scaling.md)
  const bool seq2seq = check_seq2seq_model(opt.model, model, image);
  if (seq2seq) io.trace_first_sample = false;  // the encoder-decoder keeps no trace
  const Inputs in =
      seq2seq ? Inputs{sort_digits_strings(model, opt.every), {}}
              : Inputs{{},
                       every_kth_sample(
                           load_dataset(model.dataset,
                                        opt.cache.empty() ? default_data_cache() : opt.cache),
                           opt.every)};
  const std::string data_name = seq2seq ? "sort-digits/" + model.dataset.split : in.data.name;
  const std::uint64_t size = seq2seq ? in.strings.size() : in.data.size();
  const std::uint64_t n = opt.samples ? std::min<std::uint64_t>(opt.samples, size) : size;
  const InferenceRun result =
      run_with_progress(opt, model, image, arch, io, in, seq2seq, n, data_name);
  if (!ranks().is_reporter()) return;  // rank 0 has every sample's result and writes them
  if (g_interrupted.load() || result.completed < n)
    throw InputError(fmt::format("interrupted after {} of {} inferences: no results written",
                                 result.completed, n));

  RunInfo info{model.name, arch.name, data_name, placer, opt.threads, architecture_text(opt.arch)};
  const RunReport report =
      make_run_report(info, io, image, arch, result, load_system_costs(opt.arch));
  if (!opt.out.empty()) write_run_h5(report, result, image, arch, opt.out);
  if (!opt.html.empty())
    write_html_report(
        html_report_input(report, result, arch, opt.out.empty() ? opt.model : opt.out), opt.html);
  if (!opt.report.empty()) write_run_summary(report, opt.report);
  files.commit();
  if (opt.json)
    fmt::print("{}\n", run_report_summary(report).dump(2));
  else
    fmt::print("{}", run_report_text(report));
}

}  // namespace

void register_run(CLI::App& app) {
  auto opt = std::make_shared<RunCliOptions>();
  auto* cmd = app.add_subcommand("run", "Run inferences of a model on the simulated chip");
  cmd->add_option("model", opt->model, "Model file (YAML; docs/running.md, 'The model file')")
      ->required();
  cmd->add_option("--arch", opt->arch, "Architecture profile name or YAML file")
      ->capture_default_str();
  cmd->add_option("--samples", opt->samples, "Run only the first N samples (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--every", opt->every,
                  "Take every K-th sample of the dataset (before --samples): subsets with the "
                  "class mix, as the MNIST test split is in class order")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opt->threads, "Worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--out", opt->out, "Per-sample results (HDF5)");
  cmd->add_option("--report", opt->report, "Summary file (.yaml or .json)");
  cmd->add_option("--html", opt->html,
                  "Visual report: one self-contained HTML page (docs/html-report.md)");
  cmd->add_flag("--json", opt->json, "Print the summary as JSON instead of the table");
  cmd->add_flag("--quiet", opt->quiet, "No progress bar");
  cmd->add_option("--data-cache", opt->cache, "Dataset cache folder (default data/cache)");
  add_network_model_option(cmd, opt->network_model);
  cmd->callback([opt] { run(*opt); });
}

}  // namespace loihisim::tools
