// `loihisim baseline --dts-tau / --dsr`: the AxLSTM-reduced LSTM run beside the full one in the
// same process (each sample timed full and reduced back to back, the order alternating), with
// the reduced run's operations counted by the instrumented implementation over every sample
// (docs/baseline.md "AxLSTM: DTS and DSR", docs/reports.md "baseline").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "baseline/cpu_axlstm.hpp"
#include "formats/datasets.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

struct AxlstmTiming {
  CpuImplementation implementation = CpuImplementation::kStraightforward;
  std::uint64_t correct_full = 0, correct_reduced = 0;
  double median_ns_full = 0, median_ns_reduced = 0, mean_ns_full = 0, mean_ns_reduced = 0;
  double speedup_median() const {
    return median_ns_reduced > 0 ? median_ns_full / median_ns_reduced : 0;
  }
  double speedup_mean() const { return mean_ns_reduced > 0 ? mean_ns_full / mean_ns_reduced : 0; }
};

struct AxlstmResult {
  AxlstmOptions options;
  std::uint64_t samples = 0, symbols = 0, skipped = 0;
  std::uint64_t cells_evaluated = 0, cells_total = 0;  // sums over the samples
  CpuOpCounts full_total, reduced_total;               // sums over the samples (counted)
  std::vector<AxlstmTiming> timings;                   // straightforward, tuned
};

// Arithmetic operations: multiply-accumulates, adds, multiplies, compares and nonlinearities.
std::uint64_t arithmetic_ops(const CpuOpCounts& n);

AxlstmResult run_axlstm(const models::LstmWeights& w, const SequenceDataset& data,
                        std::uint64_t samples, std::uint64_t warmup, const AxlstmOptions& o);
Summary axlstm_json(const AxlstmResult& a);
std::string axlstm_text(const AxlstmResult& a);

}  // namespace loihisim
