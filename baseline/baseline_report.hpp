// `loihisim baseline` and `loihisim compare`: the CPU baseline's run (timing, accuracy, counts,
// energy under each CPU profile, RAPL), its report, and the table that sets it beside a chip run
// (docs/baseline.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "baseline/axlstm_run.hpp"
#include "baseline/cpu_baseline.hpp"
#include "baseline/cpu_lmu.hpp"
#include "baseline/cpu_profile.hpp"
#include "baseline/rapl.hpp"
#include "formats/datasets.hpp"
#include "io/summary_file.hpp"
#include "models/lmu_weights.hpp"
#include "models/lstm_weights.hpp"

namespace loihisim {

// The networks the baseline runs: the LSTM classifier (tools/train_lstm.py, Keras), the LMU
// (tools/train_lmu.py) and the LSTM encoder-decoder (tools/train_lstm.py --task sort-digits:
// seq2seq_run.hpp).
enum class BaselineModel { kLstm, kLmu, kSeq2Seq };
const char* to_string(BaselineModel m);  // "lstm" | "lmu" | "seq2seq"
// Which one a weight file holds: the group lmu/ makes an LMU; lstm/ (PyTorch layout) or
// model_weights/ (Keras) an LSTM; encoder/ and decoder/ an encoder-decoder (whose readers then
// check the rest); anything else is an InputError naming the file and what was expected.
BaselineModel detect_baseline_model(const std::string& path);

struct BaselineOptions {
  std::uint64_t samples = 0;  // the first N samples of the dataset (0: all)
  std::uint64_t warmup = 50;  // untimed inferences before timing each implementation
  std::vector<CpuProfile> profiles;
  bool rapl = true;  // false: do not try (the report says "not attempted")
  std::filesystem::path powercap = kPowercapRoot;
  double rapl_idle_seconds = 2.0, rapl_run_seconds = 3.0;
  CpuImplementation rapl_implementation = CpuImplementation::kTuned;
  // --dts-tau / --dsr (LSTM only): the reduced network beside the full one (axlstm_run.hpp).
  AxlstmOptions axlstm;
};

struct ImplementationResult {
  CpuImplementation implementation = CpuImplementation::kStraightforward;
  std::string description;
  std::uint64_t correct = 0;
  double accuracy = 0;
  std::vector<std::int32_t> predictions;  // per sample
  // Wall time of one inference over the timed samples (each timed on its own), ns.
  double median_ns = 0, p10_ns = 0, p90_ns = 0, mean_ns = 0;
  // Against the logits PyTorch stored in the weight file (group /reference), when present.
  int reference_samples = 0, reference_argmax_agree = 0;
  double reference_max_abs_diff = 0;
};

struct BaselineResult {
  std::string weights_file;
  BaselineModel model = BaselineModel::kLstm;
  // The LSTM's
  models::WeightLayout layout = models::WeightLayout::kPyTorch;
  models::LstmCell cell = models::LstmCell::kStandard;
  // The LMU's: d, f, the file's kind (ann | hybrid-spiking), its pixel order (-1: none) and the
  // float network's test accuracy it states (-1: none)
  int memory_size = 0;
  std::string activation, kind;
  std::int64_t permutation_seed = -1;
  double file_float_accuracy = -1;
  int input_size = 0, hidden_size = 0, classes = 0;
  std::string dataset;  // e.g. "mnist/test/row"
  std::uint64_t samples = 0;
  int steps = 0;  // symbols per sequence
  std::uint64_t warmup = 0;
  std::string cpu_model;
  CpuOpCounts counts;  // per inference
  std::vector<ImplementationResult> implementations;
  std::uint64_t implementations_agree = 0;  // samples on which both predict the same class
  std::vector<CpuEnergy> energies;          // per profile, per inference
  std::vector<std::string> profile_files;
  bool rapl_attempted = false;
  RaplMeasurement rapl;
  CpuImplementation rapl_implementation = CpuImplementation::kTuned;
  bool has_axlstm = false;
  AxlstmResult axlstm;
  double wall_seconds = 0;
};

// Runs both implementations over the samples (batch size 1, one thread) and everything else the
// report needs. The dataset's symbols must have the network's input size. The LMU's reference
// (read_lmu_reference) gives the logits its file stores, to check both implementations against.
BaselineResult run_cpu_baseline(const models::LstmWeights& w, const SequenceDataset& data,
                                const BaselineOptions& options);
BaselineResult run_cpu_baseline(const models::LmuWeights& w, const LmuReference& reference,
                                const SequenceDataset& data, const BaselineOptions& options);

// The report (docs/reports.md, "baseline"), for write_summary.
Summary baseline_summary(const BaselineResult& r);
std::string baseline_text(const BaselineResult& r);

// Pieces of the report that every baseline network shares (the LSTM and LMU here, the
// sequence-to-sequence model in seq2seq_run.hpp).
Summary counts_json(const CpuOpCounts& n);
// The same keys with every summed count divided by `samples` (data-dependent counts: means per
// inference); the working sets are the network's and stay as they are.
Summary mean_counts_json(const CpuOpCounts& n, std::uint64_t samples);
std::string cpu_model_name();  // /proc/cpuinfo's "model name", or "unknown"
Summary energies_json(const std::vector<CpuEnergy>& energies,
                      const std::vector<std::string>& files);
Summary rapl_json(bool attempted, const RaplMeasurement& m, CpuImplementation impl);
std::string energies_text(const std::vector<CpuEnergy>& energies);
std::string rapl_text(bool attempted, const RaplMeasurement& m, CpuImplementation impl);

// The figures `compare` needs from a run report (`loihisim run --report`) ...
struct ChipSummary {
  std::string file, model, architecture, dataset, host_location, host_format;
  std::uint64_t samples = 0;
  std::int64_t steps_per_symbol = 0;
  double accuracy = 0;
  double chip_active_pj = 0, chip_total_pj = 0, host_pj = 0, latency_ns = 0;
  // The board level (`board.per_inference`, docs/energy-model.md "The board level"), when the
  // run's architecture file had a `system:` section.
  bool has_board = false;
  double board_dynamic_pj = 0, board_total_pj = 0, board_latency_ns = 0;
};
// ... and from a baseline report (`loihisim baseline --report`). Both read through read_summary
// (YAML or JSON); a missing key, a value of the wrong type or a report of another kind is an
// InputError naming the file and the key path.
struct CpuSummary {
  struct Profile {
    std::string name, kind;
    double energy_pj = 0;
  };
  std::string file, weights, cell, dataset, cpu_model;
  // "lstm" or "lmu" (reports written before the LMU have no weights.model: "lstm"), and the
  // network in words, e.g. "LSTM, modified cell" or "LMU, d 256, H 212, crelu".
  std::string model, network;
  std::uint64_t samples = 0;
  double accuracy = 0;  // of the tuned implementation
  double median_ns_straightforward = 0, median_ns_tuned = 0;
  std::string tuned_description;
  std::uint64_t synops = 0;
  std::vector<Profile> profiles;
  bool rapl_available = false;
  std::string rapl_note;  // the reason it is unavailable, or the implementation measured
  double rapl_energy_pj = 0;
};
ChipSummary read_run_summary(const std::filesystem::path& path);
CpuSummary read_baseline_summary(const std::filesystem::path& path);
// The same from a summary in memory (run_report_summary, baseline_summary: the Python module);
// `file` names it in messages and in the comparison's `run_report` / `baseline_report`.
ChipSummary chip_summary(const Summary& doc, const std::string& file);
CpuSummary cpu_summary(const Summary& doc, const std::string& file);

Summary compare_summary(const ChipSummary& chip, const CpuSummary& cpu);
std::string compare_text(const ChipSummary& chip, const CpuSummary& cpu);

}  // namespace loihisim
