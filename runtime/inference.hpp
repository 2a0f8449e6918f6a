// Running inferences: a mapped image on a simulated chip, with the host coprocessor executing the
// network's host nodes, over a sequence dataset, on K worker threads.
//
// Per sample and per input symbol: reset the chip state (if the model says so), run the
// before-chip host nodes (encoders, bias inputs), run T chip steps injecting the encoders'
// spikes through the host link, read the output ports' spike counts back over the host link, run
// the after-chip host nodes; after the last symbol run the sequence-end nodes and score the
// argmax of the prediction value against the label.
//
// Determinism: every sample runs on a fresh chip state with its own accountant, its results go
// to its own slot, and totals are summed in sample order (integers), so results and reports are
// bit-identical for any thread count.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip_accountant.hpp"
#include "core/energy.hpp"
#include "formats/datasets.hpp"
#include "mapper/mapped_image.hpp"
#include "models/model_spec.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/host_arithmetic.hpp"
#include "runtime/host_program.hpp"

namespace loihisim {

// Where the host nodes run, and what each of their operations costs (architecture file,
// `host_coprocessor:` section; docs/energy-model.md). Energies in fJ, times in ps.
struct HostCosts {
  HostLocation location = HostLocation::kExternal;
  std::int64_t mul_fj = 0, add_fj = 0, cmp_fj = 0, nonlin_fj = 0, byte_fj = 0;
  std::int64_t mul_ps = 0, add_ps = 0, cmp_ps = 0, nonlin_ps = 0, byte_ps = 0;
};

struct InferenceOptions {
  int steps_per_symbol = 32;  // T
  ResetPolicy reset = ResetPolicy::kSymbol;
  InputTiming input_timing = InputTiming::kNextStep;
  std::string prediction;  // value whose argmax is the predicted class
  HostNumberFormat host_format;
  HostCosts host_costs;
  std::uint64_t samples = 0;  // 0 = all samples of the dataset
  int threads = 1;
  bool keep_population_spikes = true;
  // Keep sample 0's spikes, step records and core-to-core messages (SampleResult::trace) for
  // the run file's /trace group and the HTML report (docs/reports.md).
  bool trace_first_sample = false;
  // AxLSTM's timestep skipping (ModelSpec::dts; docs/running.md, "Timestep skipping").
  DtsSpec dts;
  // Started by mpirun (runtime/ranks.hpp, docs/scaling.md): each rank runs a contiguous share of
  // the samples (rank 0 the first, with sample 0) and rank 0 receives every result; the other
  // ranks' InferenceRun holds no samples (completed = 0). Results are those of one process.
  bool split_over_ranks = false;
};

// What one sample did step by step (InferenceOptions::trace_first_sample): every spike and every
// step's time with its critical component in its first kMaxTraceSteps steps, and the messages
// between chip cores over the whole sample.
inline constexpr std::size_t kMaxTraceSteps = 4096;
struct SampleTrace {
  std::vector<PopulationRecord> populations;  // spikes per image population (steps from 1)
  std::vector<core::StepRecord> steps;
  std::vector<std::string> critical;  // per step: ChipAccountant::describe() of its critical
  std::map<std::pair<std::int32_t, std::int32_t>, std::uint64_t> flows;  // (source, dest) core
};

// The graded spikes of one population in one sample (docs/running.md, "Graded payloads").
struct PayloadStats {
  std::uint64_t spikes = 0;       // graded spikes (payload != 0)
  std::uint64_t payload_sum = 0;  // sum of |n|
  std::uint64_t max_payload = 0;  // largest |n|
  // Sum over the population's neurons of log2(1 + max over the sample's steps of |n|): the
  // payload width each neuron needs in this sample, fractional (the hybrid LMU's "bits per
  // activation", docs/hybrid-lmu.md).
  double width_sum = 0;
  // Sum over spikes of the width of the odd part of |n| (n = odd x 2^k): the bits a multiply
  // by n needs once the power of two is a shift ("significant bits").
  std::uint64_t significant_bits = 0;
  // Sum over spikes of ceil(log2(1 + |n|)): the payload bits the spikes carry.
  std::uint64_t payload_bits = 0;
  PayloadStats& operator+=(const PayloadStats& o);
};

struct SampleResult {
  std::int32_t label = -1;
  std::int32_t prediction = -1;
  std::vector<double> output;  // the prediction value at the end (e.g. logits)
  std::int64_t chip_steps = 0;
  std::int64_t chip_ps = 0;                      // sum of the step times
  core::EnergyCounts chip_events;                // every chip event of the sample
  HostOpCounts host;                             // host coprocessor operations
  std::vector<std::uint64_t> population_spikes;  // per image population
  // Spikes the host's encoders injected, and the payload bits their graded spikes carried
  // (ceil(log2(1 + |n|)) + 1 sign bit each; binary spikes carry none).
  std::uint64_t input_spikes = 0, input_payload_bits = 0;
  // Per image population; empty when no population sends graded spikes.
  std::vector<PayloadStats> population_payloads;
  // Timestep skipping (InferenceOptions::dts): symbols probed (all but the first) and skipped.
  std::uint32_t symbols_probed = 0, symbols_skipped = 0;
  // Sequence outputs (runtime/seq2seq_inference.hpp): target positions, and those right.
  std::int32_t tokens = 0, correct_tokens = 0;
  std::vector<core::CoreTotals> core_totals;  // per chip core
  std::shared_ptr<const SampleTrace> trace;   // sample 0 with trace_first_sample, else null
};

struct InferenceRun {
  std::vector<SampleResult> samples;  // in dataset order (with split_over_ranks: on rank 0)
  std::uint64_t completed = 0;        // < samples.size() when cancelled
  double wall_seconds = 0;
};

// `cancel` (optional) stops handing out samples when it becomes true (Ctrl-C); `progress` is
// called with the number of finished samples.
InferenceRun run_inferences(const mapper::MappedImage& image, const core::Architecture& arch,
                            const SequenceDataset& data, const InferenceOptions& options,
                            const std::atomic<bool>* cancel = nullptr,
                            const std::function<void(std::uint64_t)>& progress = {});

// The run settings a model fixes (T, reset, input timing, prediction, host format and the host's
// costs on `arch`); the caller adds samples and threads.
InferenceOptions inference_options(const ModelSpec& model, const core::Architecture& arch);

// Host time and energy of a count of host operations under a cost table.
std::int64_t host_energy_fj(const HostCosts& c, const HostOpCounts& ops);
std::int64_t host_time_ps(const HostCosts& c, const HostOpCounts& ops);

}  // namespace loihisim
