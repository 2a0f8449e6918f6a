// `loihisim baseline` on a sequence-to-sequence file (formats/seq2seq_weights.hpp): the
// encoder-decoder with greedy decoding on the sort-digits strings (formats/sort_digits_task.hpp),
// both implementations timed, every operation counted, the file's reference outputs checked,
// energies under the CPU profiles, RAPL, and with --dts-tau / --dsr the AxLSTM-reduced model
// beside the full one (docs/baseline.md "The sequence-to-sequence model").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "baseline/baseline_report.hpp"
#include "baseline/cpu_seq2seq_axlstm.hpp"
#include "formats/seq2seq_weights.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

// Exact sequence accuracy and token accuracy over strings (score_greedy).
struct Seq2SeqQuality {
  std::uint64_t strings = 0, exact = 0, tokens = 0, correct_tokens = 0;
  void add(const std::vector<int>& output, const std::vector<int>& target);
  double exact_fraction() const;
  double token_fraction() const;
};

struct Seq2SeqImplementationResult {
  CpuImplementation implementation = CpuImplementation::kStraightforward;
  std::string description;
  Seq2SeqQuality quality;
  std::vector<std::vector<int>> outputs;  // per string
  double median_ns = 0, p10_ns = 0, p90_ns = 0, mean_ns = 0;
  // Against the greedy outputs the file stores (/reference), up to and including the first EOS.
  int reference_strings = 0, reference_agree = 0;
};

struct Seq2SeqAxlstmTiming {
  CpuImplementation implementation = CpuImplementation::kStraightforward;
  Seq2SeqQuality full, reduced;
  double median_ns_full = 0, median_ns_reduced = 0, mean_ns_full = 0, mean_ns_reduced = 0;
  // The ratio of the medians, and of the means (= of the total time over the strings).
  double speedup_median() const;
  double speedup_mean() const;
};

struct Seq2SeqAxlstmResult {
  AxlstmOptions options;
  std::uint64_t layer_steps = 0, skipped = 0;                  // DTS: layer-steps run and skipped
  std::uint64_t encoder_layer_steps = 0, encoder_skipped = 0;  // of them, the encoder's
  std::uint64_t cells_evaluated = 0, cells_total = 0;          // DSR: sums over the strings
  CpuOpCounts reduced_total;                                   // counted, summed over the strings
  std::vector<Seq2SeqAxlstmTiming> timings;                    // straightforward, tuned
};

struct Seq2SeqBaselineResult {
  std::string weights_file, dataset;  // dataset e.g. "sort-digits/test"
  bool modified = false;
  int layers = 0, hidden = 0;
  std::uint64_t samples = 0, warmup = 0;
  std::uint64_t encoder_steps = 0, decoder_steps = 0;  // full model, summed over the strings
  std::string cpu_model;
  CpuOpCounts total;  // counted, summed over the strings (working sets: the network's)
  std::vector<Seq2SeqImplementationResult> implementations;
  std::uint64_t implementations_agree = 0;  // strings with the same output from both
  std::vector<CpuEnergy> energies;          // per profile, per inference (mean over the strings)
  std::vector<std::string> profile_files;
  bool rapl_attempted = false;
  RaplMeasurement rapl;
  CpuImplementation rapl_implementation = CpuImplementation::kTuned;
  bool has_axlstm = false;
  Seq2SeqAxlstmResult axlstm;
  double wall_seconds = 0;
};

// Runs everything over the strings (options.samples: the first N of them, 0 all).
Seq2SeqBaselineResult run_seq2seq_baseline(const Seq2SeqWeights& w,
                                           const std::vector<DigitString>& strings,
                                           const std::string& dataset,
                                           const BaselineOptions& options);
// The report (docs/reports.md "baseline", the seq2seq form) and its text.
Summary seq2seq_baseline_summary(const Seq2SeqBaselineResult& r);
std::string seq2seq_baseline_text(const Seq2SeqBaselineResult& r);

}  // namespace loihisim
