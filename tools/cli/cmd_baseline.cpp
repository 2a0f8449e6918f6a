// `loihisim baseline WEIGHTS.h5 [--dataset mnist|fashion] [--layout row|pixel] [--samples N]`:
// run the original (non-spiking) network, an LSTM, an LMU (the file's group lmu/) or an LSTM
// encoder-decoder (groups encoder/ and decoder/, on the sort-digits strings), on this CPU
// at batch size 1, straightforward and tuned (OpenBLAS), and report operation counts, wall time,
// accuracy, energy under each CPU profile and, where the machine exposes it, RAPL package energy
// (docs/baseline.md).
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "baseline/baseline_report.hpp"
#include "baseline/cpu_profile_io.hpp"
#include "baseline/seq2seq_run.hpp"
#include "formats/datasets.hpp"
#include "io/atomic_output.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "models/lmu_weights.hpp"
#include "models/lstm_weights.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

struct BaselineCliOptions {
  std::string weights;
  std::string dataset;  // default: the weight file's attribute
  std::string layout;   // default: the weight file's attribute
  std::string split = "test";
  std::uint64_t samples = 2000;
  std::uint64_t every = 1;
  std::uint64_t warmup = 50;
  std::vector<std::string> profiles{"horowitz45", "system_i7"};
  std::string rapl = "auto";
  double rapl_idle = 2.0, rapl_run = 3.0;
  std::string powercap = kPowercapRoot;
  std::string report;
  bool json = false;
  std::string cache;
  std::string dts_tau = "off";
  std::string dsr = "off";
};

BaselineOptions baseline_options(const BaselineCliOptions& opt, std::vector<CpuProfile> profiles) {
  BaselineOptions bo;
  bo.samples = opt.samples;
  bo.warmup = opt.warmup;
  bo.profiles = std::move(profiles);
  bo.rapl = opt.rapl != "off";
  bo.powercap = opt.powercap;
  bo.rapl_idle_seconds = opt.rapl_idle;
  bo.rapl_run_seconds = opt.rapl_run;
  return bo;
}

std::string data_cache(const BaselineCliOptions& opt) {
  return opt.cache.empty() ? default_data_cache() : opt.cache;
}

BaselineResult run_lstm(const BaselineCliOptions& opt, const BaselineOptions& bo) {
  const models::LstmWeights w = models::read_lstm_weights(opt.weights);
  BaselineOptions ax = bo;
  ax.axlstm.dts = opt.dts_tau != "off";
  if (ax.axlstm.dts) ax.axlstm.dts_tau = parse_dts_tau(opt.dts_tau);
  ax.axlstm.dsr = parse_dsr_policy(opt.dsr, w.hidden_size);
  const std::string dataset = opt.dataset.empty() ? w.dataset : opt.dataset;
  const std::string layout = opt.layout.empty() ? w.sequence_layout : opt.layout;
  if (dataset.empty())
    throw InputError(opt.weights + ": no 'dataset' attribute: give --dataset mnist|fashion");
  if (layout.empty())
    throw InputError(opt.weights + ": no 'layout' attribute: give --layout row|pixel");
  const SequenceDataset data =
      every_kth_sample(load_dataset(dataset, data_cache(opt), opt.split,
                                    parse_enum(kSequenceLayoutNames, layout, "sequence layout"),
                                    input_scaling_from_attribute(w.input_scaling, opt.weights)),
                       opt.every);
  return run_cpu_baseline(w, data, ax);
}

// The LMU on the dataset of its file's attributes; pixel layout with a permutation_seed is
// psMNIST, the pixels in the file's order.
BaselineResult run_lmu(const BaselineCliOptions& opt, const BaselineOptions& bo) {
  const models::LmuWeights w = models::read_lmu_weights(opt.weights);
  const LmuReference reference = read_lmu_reference(w);
  const DatasetSpec spec = lmu_dataset_spec(w, reference, opt.dataset, opt.layout, opt.split);
  if (opt.dts_tau != "off" || opt.dsr != "off")
    throw InputError(opt.weights + ": --dts-tau and --dsr apply to LSTM weight files only");
  const SequenceDataset data = every_kth_sample(load_dataset(spec, data_cache(opt)), opt.every);
  return run_cpu_baseline(w, reference, data, bo);
}

// The encoder-decoder on the sort-digits strings of --split (every K-th, the first N).
void run_seq2seq(const BaselineCliOptions& opt, const BaselineOptions& bo) {
  if (!opt.dataset.empty() || !opt.layout.empty())
    throw InputError(opt.weights +
                     ": an encoder-decoder runs on the sort-digits task: --dataset and --layout "
                     "do not apply");
  const Seq2SeqWeights w = read_seq2seq_weights(opt.weights);
  BaselineOptions ax = bo;
  ax.axlstm.dts = opt.dts_tau != "off";
  if (ax.axlstm.dts) ax.axlstm.dts_tau = parse_dts_tau(opt.dts_tau);
  ax.axlstm.dsr = parse_dsr_policy(opt.dsr, w.hidden);
  std::vector<DigitString> strings;
  const std::vector<DigitString> all = sort_digits_split(opt.split);
  for (std::size_t i = 0; i < all.size(); i += opt.every) strings.push_back(all[i]);
  const Seq2SeqBaselineResult r = run_seq2seq_baseline(w, strings, "sort-digits/" + opt.split, ax);
  const auto j = seq2seq_baseline_summary(r);
  if (!opt.report.empty()) write_summary(j, opt.report);
  if (opt.json)
    fmt::print("{}\n", j.dump(2));
  else
    fmt::print("{}", seq2seq_baseline_text(r));
}

void run(const BaselineCliOptions& opt) {
  OutputSet files;
  files.input(opt.weights, "weight file");
  for (const auto& p : opt.profiles) input_if_file(files, p, "CPU profile");
  summary_output(files, opt.report, "--report");
  const BaselineModel model = detect_baseline_model(opt.weights);
  std::vector<CpuProfile> profiles;
  for (const auto& p : opt.profiles) profiles.push_back(load_cpu_profile(p));
  const BaselineOptions bo = baseline_options(opt, std::move(profiles));
  if (model == BaselineModel::kSeq2Seq) {
    run_seq2seq(opt, bo);
    files.commit();
    return;
  }
  const BaselineResult r = model == BaselineModel::kLmu ? run_lmu(opt, bo) : run_lstm(opt, bo);
  const auto j = baseline_summary(r);
  if (!opt.report.empty()) write_summary(j, opt.report);
  files.commit();
  if (opt.json)
    fmt::print("{}\n", j.dump(2));
  else
    fmt::print("{}", baseline_text(r));
}

}  // namespace

void register_baseline(CLI::App& app) {
  auto opt = std::make_shared<BaselineCliOptions>();
  auto* cmd = app.add_subcommand(
      "baseline", "Run the original network on this CPU (batch 1): counts, time, energy");
  cmd->add_option("weights", opt->weights,
                  "LSTM (HDF5, PyTorch or Keras layout), LMU (tools/train_lmu.py) or LSTM "
                  "encoder-decoder (tools/train_lstm.py --task sort-digits) weight file")
      ->required();
  cmd->add_option("--dataset", opt->dataset, "mnist or fashion (default: the file's attribute)")
      ->check(CLI::IsMember({"mnist", "fashion"}));
  cmd->add_option("--layout", opt->layout,
                  "row or pixel (default: the file's attribute; an LMU file's pixel layout "
                  "with a permutation_seed is permuted, psMNIST)")
      ->check(CLI::IsMember({"row", "pixel"}));
  cmd->add_option("--split", opt->split, "train or test")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  cmd->add_option("--samples", opt->samples, "The first N samples (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--every", opt->every,
                  "Take every K-th sample of the dataset (before --samples), as `run --every`")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", opt->warmup, "Untimed inferences before timing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--profile", opt->profiles, "CPU energy profiles: names (cpu/NAME.yaml) or files")
      ->capture_default_str();
  cmd->add_option("--rapl", opt->rapl, "auto: measure when RAPL is readable; off: do not try")
      ->check(CLI::IsMember({"auto", "off"}))
      ->capture_default_str();
  cmd->add_option("--rapl-idle", opt->rapl_idle, "Idle window (s)")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_option("--rapl-run", opt->rapl_run, "Running window (s, at least one pass)")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_option("--powercap", opt->powercap, "powercap folder")->capture_default_str();
  cmd->add_option("--report", opt->report, "Summary file (.yaml or .json)");
  cmd->add_flag("--json", opt->json, "Print the summary as JSON instead of the table");
  cmd->add_option(
         "--dts-tau", opt->dts_tau,
         "AxLSTM Dynamic Timestep Skipping: skip a symbol (from the second on) when the "
         "input gate's mean is below TAU, in [0, 1] (LSTM and encoder-decoder: every layer)")
      ->capture_default_str();
  cmd->add_option(
         "--dsr", opt->dsr,
         "AxLSTM Dynamic State Reduction: off, fixed:K or complexity:KMIN:FULL "
         "(docs/baseline.md; LSTM and encoder-decoder, whose complexity is the source length)")
      ->capture_default_str();
  cmd->add_option("--data-cache", opt->cache, "Dataset cache folder (default data/cache)");
  cmd->callback([opt] { run(*opt); });
}

}  // namespace loihisim::tools
