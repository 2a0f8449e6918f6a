#include "baseline/baseline_report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "baseline/sample_stats.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/readable_units.hpp"
#include "io/version.hpp"

namespace loihisim {
namespace {

using clock_type = std::chrono::steady_clock;

std::string bytes(std::uint64_t b) {
  const auto d = static_cast<double>(b);
  if (b >= (1u << 20)) return fmt::format("{:.2f} MiB", d / (1 << 20));
  if (b >= (1u << 10)) return fmt::format("{:.2f} KiB", d / (1 << 10));
  return fmt::format("{} B", b);
}

// The logits a weight file stores for its first sequences (the training script's), to check
// the implementations against.
struct StoredLogits {
  int count = 0, steps = 0, classes = 0;
  std::size_t values_per_sequence = 0;
  const float* inputs = nullptr;
  const float* logits = nullptr;
};

template <class Net>
void check_stored_logits(Net& net, const StoredLogits& ref, ImplementationResult& res) {
  std::vector<float> logits(static_cast<std::size_t>(ref.classes));
  for (int s = 0; s < ref.count; ++s) {
    const auto k = static_cast<std::size_t>(s);
    const int p = net.infer(ref.inputs + k * ref.values_per_sequence, ref.steps, logits);
    const float* stored = ref.logits + k * static_cast<std::size_t>(ref.classes);
    const int stored_best =
        static_cast<int>(std::max_element(stored, stored + ref.classes) - stored);
    res.reference_argmax_agree += p == stored_best ? 1 : 0;
    for (int c = 0; c < ref.classes; ++c)
      res.reference_max_abs_diff =
          std::max(res.reference_max_abs_diff,
                   std::abs(static_cast<double>(logits[static_cast<std::size_t>(c)]) - stored[c]));
  }
  res.reference_samples = ref.count;
}

// Both implementations of one network (Net: CpuLstm or CpuLmu, built from Weights).
template <class Net, class Weights>
ImplementationResult time_implementation(const Weights& w, const SequenceDataset& data,
                                         std::uint64_t n, std::uint64_t warmup,
                                         CpuImplementation impl, const std::string& plain,
                                         const StoredLogits& ref) {
  Net net(w, impl);
  ImplementationResult res;
  res.implementation = impl;
  res.description = impl == CpuImplementation::kTuned ? tuned_implementation_description() : plain;
  const auto per_sample =
      static_cast<std::size_t>(data.num_symbols) * static_cast<std::size_t>(data.symbol_size);
  std::vector<float> logits(static_cast<std::size_t>(ref.classes));
  auto sample = [&](std::uint64_t i) { return data.values.data() + i * per_sample; };
  // Warm-up: caches, branch predictors, page faults and the CPU's clock ramp.
  for (std::uint64_t k = 0; k < warmup; ++k) net.infer(sample(k % n), data.num_symbols, logits);
  std::vector<double> ns(n);
  res.predictions.resize(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto t0 = clock_type::now();
    const int p = net.infer(sample(i), data.num_symbols, logits);
    const auto t1 = clock_type::now();
    ns[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
    res.predictions[i] = p;
    res.correct += p == data.labels[i] ? 1 : 0;
  }
  res.accuracy = ratio_or_zero(res.correct, n);
  res.mean_ns = mean_of(ns);
  res.median_ns = median_of(ns);
  res.p10_ns = quantile_of(ns, 0.1);
  res.p90_ns = quantile_of(ns, 0.9);
  check_stored_logits(net, ref, res);
  return res;
}

void check_dataset(const std::string& file, int inputs, int classes, const SequenceDataset& data) {
  if (data.symbol_size != inputs)
    throw InputError(
        fmt::format("{}: the network's input size is {}, but dataset {} has symbols "
                    "of {} values (choose the layout the network was trained on)",
                    file, inputs, data.name, data.symbol_size));
  if (data.num_classes > classes)
    throw InputError(fmt::format("{}: the network has {} outputs, dataset {} has {} classes", file,
                                 classes, data.name, data.num_classes));
  if (data.size() == 0) throw InputError("dataset " + data.name + " has no samples");
}

// Everything after the network's description, for either network: the counts (closed form in
// r.counts, cross-checked against the instrumented implementation on the first sample: they
// describe every sample, the work does not depend on the values), both implementations, the
// energies and RAPL.
template <class Net, class Weights>
void run_network(const Weights& w, const SequenceDataset& data, const BaselineOptions& options,
                 const std::string& plain, const StoredLogits& ref, BaselineResult& r) {
  {
    Net counted(w, CpuImplementation::kStraightforward);
    std::vector<float> logits(static_cast<std::size_t>(r.classes));
    CpuOpCounts executed;
    counted.infer_counted(data.values.data(), r.steps, logits, executed);
    if (!(executed == r.counts))
      throw std::logic_error("CPU baseline: executed operation counts differ from the closed form");
  }
  for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned})
    r.implementations.push_back(
        time_implementation<Net>(w, data, r.samples, options.warmup, impl, plain, ref));
  for (std::uint64_t i = 0; i < r.samples; ++i)
    r.implementations_agree +=
        r.implementations[0].predictions[i] == r.implementations[1].predictions[i] ? 1 : 0;
  for (const auto& p : options.profiles) {
    r.energies.push_back(cpu_energy(p, r.counts));
    r.profile_files.push_back(p.file);
  }
  r.rapl_attempted = options.rapl;
  r.rapl_implementation = options.rapl_implementation;
  if (options.rapl) {
    Net net(w, options.rapl_implementation);
    std::vector<float> logits(static_cast<std::size_t>(r.classes));
    const auto per_sample =
        static_cast<std::size_t>(data.num_symbols) * static_cast<std::size_t>(data.symbol_size);
    std::uint64_t next = 0;
    r.rapl = measure_rapl(probe_rapl(options.powercap), options.rapl_idle_seconds,
                          options.rapl_run_seconds, r.samples, [&] {
                            net.infer(data.values.data() + (next % r.samples) * per_sample,
                                      data.num_symbols, logits);
                            ++next;
                          });
  }
}

// The report's `weights`: which network, its shape and (LMU) its kind and activation.
Summary weights_json(const BaselineResult& r) {
  Summary w = {{"file", r.weights_file}, {"model", to_string(r.model)}};
  if (r.model == BaselineModel::kLstm) {
    w["layout"] = models::to_string(r.layout);
    w["cell"] = models::to_string(r.cell);
  } else {
    w["cell"] = "lmu";
    w["kind"] = r.kind;
    w["activation"] = r.activation;
    w["memory_size"] = r.memory_size;
    w["permutation_seed"] = r.permutation_seed;
    if (r.file_float_accuracy >= 0) w["file_test_accuracy"] = r.file_float_accuracy;
  }
  w["input_size"] = r.input_size;
  w["hidden_size"] = r.hidden_size;
  w["classes"] = r.classes;
  return w;
}

// How the piecewise-linear nonlinearities are counted, for the text.
std::string nonlinearity_note(const BaselineResult& r) {
  if (r.model == BaselineModel::kLstm)
    return r.cell == models::LstmCell::kModified
               ? "; phi1/phi2 counted as their add, multiply, compares"
               : "";
  if (r.activation == "crelu") return "; crelu counted as its 2 compares";
  if (r.activation == "relu") return "; relu counted as its compare";
  return "";
}

// The first line of an LMU's text: the network, and what the file says of it.
std::string lmu_header(const BaselineResult& r) {
  std::string s = fmt::format("CPU baseline: {} (LMU, d {}, hidden {}, {}, input {}, classes {}",
                              r.weights_file, r.memory_size, r.hidden_size, r.activation,
                              r.input_size, r.classes);
  if (r.kind == "hybrid-spiking") s += "; a hybrid-spiking file, run without its quantiser";
  if (r.file_float_accuracy >= 0)
    s += fmt::format("; float accuracy in the file {:.2f} %", 100 * r.file_float_accuracy);
  return s + ")\n";
}

// The fields every run has.
void describe_run(const std::string& file, int inputs, int hidden, int classes,
                  const SequenceDataset& data, const BaselineOptions& options, BaselineResult& r) {
  r.weights_file = file;
  r.input_size = inputs;
  r.hidden_size = hidden;
  r.classes = classes;
  r.dataset = data.name;
  r.steps = data.num_symbols;
  r.samples = options.samples ? std::min<std::uint64_t>(options.samples, data.size()) : data.size();
  r.warmup = options.warmup;
  r.cpu_model = cpu_model_name();
}

}  // namespace

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

const char* to_string(BaselineModel m) {
  switch (m) {
    case BaselineModel::kLmu:
      return "lmu";
    case BaselineModel::kSeq2Seq:
      return "seq2seq";
    default:
      return "lstm";
  }
}

BaselineModel detect_baseline_model(const std::string& path) {
  const h5::Group root = h5::open_file(path);
  if (root.has("lmu")) {
    if (!root.has("readout"))
      root.fail("readout",
                "missing: a group lmu/ without readout/ is not an LMU written by "
                "tools/train_lmu.py (docs/hybrid-lmu.md)");
    return BaselineModel::kLmu;
  }
  if (root.has("model_weights") || root.has("lstm")) return BaselineModel::kLstm;
  if (root.has("encoder") && root.has("decoder")) return BaselineModel::kSeq2Seq;
  throw InputError(path +
                   ": neither an LSTM weight file (groups lstm/ and fc/: tools/train_lstm.py; or "
                   "model_weights/: Keras), an LMU (group lmu/: tools/train_lmu.py) nor an "
                   "encoder-decoder (groups encoder/ and decoder/: tools/train_lstm.py --task "
                   "sort-digits)");
}

BaselineResult run_cpu_baseline(const models::LstmWeights& w, const SequenceDataset& data,
                                const BaselineOptions& options) {
  check_dataset(w.file, w.input_size, w.classes, data);
  const auto start = clock_type::now();
  BaselineResult r;
  r.model = BaselineModel::kLstm;
  describe_run(w.file, w.input_size, w.hidden_size, w.classes, data, options, r);
  r.layout = w.layout;
  r.cell = w.cell;
  r.counts = count_lstm_ops(w, r.steps);
  StoredLogits ref;
  ref.count = w.reference_count;
  ref.steps = w.reference_steps;
  ref.classes = w.classes;
  ref.values_per_sequence =
      static_cast<std::size_t>(w.reference_steps) * static_cast<std::size_t>(w.input_size);
  ref.inputs = w.reference_inputs.data();
  ref.logits = w.reference_logits.data();
  run_network<CpuLstm>(w, data, options,
                       "plain loops, one float32 dot product per gate row (-O3, no BLAS)", ref, r);
  if (options.axlstm.enabled()) {
    r.has_axlstm = true;
    r.axlstm = run_axlstm(w, data, r.samples, options.warmup, options.axlstm);
  }
  r.wall_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return r;
}

BaselineResult run_cpu_baseline(const models::LmuWeights& w, const LmuReference& reference,
                                const SequenceDataset& data, const BaselineOptions& options) {
  check_dataset(w.file, w.inputs, w.classes, data);
  const auto start = clock_type::now();
  BaselineResult r;
  r.model = BaselineModel::kLmu;
  describe_run(w.file, w.inputs, w.hidden, w.classes, data, options, r);
  r.memory_size = w.d;
  r.activation = lmu_activation_name(w.activation);
  r.kind = w.kind;
  r.permutation_seed = w.permutation_seed;
  r.file_float_accuracy = reference.float_accuracy;
  r.counts = count_lmu_ops(w, r.steps);
  StoredLogits ref;
  ref.count = reference.count;
  ref.steps = reference.steps;
  ref.classes = w.classes;
  ref.values_per_sequence =
      static_cast<std::size_t>(reference.steps) * static_cast<std::size_t>(w.inputs);
  ref.inputs = reference.inputs.data();
  ref.logits = reference.logits.data();
  run_network<CpuLmu>(w, data, options,
                      "plain loops, one float32 dot product per memory and hidden row (-O3, "
                      "no BLAS)",
                      ref, r);
  r.wall_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return r;
}

namespace {

// The counts' keys, each summed count through `value`.
template <class Value>
Summary counts_json_of(const CpuOpCounts& n, Value value) {
  return {{"multiply_accumulates", value(n.mac)},
          {"synops", value(n.synops())},
          {"adds", value(n.add)},
          {"multiplies", value(n.mul)},
          {"compares", value(n.cmp)},
          {"nonlinearity_evaluations", value(n.nonlinearity)},
          {"sigmoid_tanh_evaluations", value(n.transcendental)},
          {"neuron_updates", value(n.neuron_updates)},
          {"weight_bytes_read", value(n.weight_bytes_read)},
          {"activation_bytes_read", value(n.activation_bytes_read)},
          {"activation_bytes_written", value(n.activation_bytes_written)},
          {"weight_working_set_bytes", n.weight_working_set_bytes},
          {"activation_working_set_bytes", n.activation_working_set_bytes}};
}

}  // namespace

Summary counts_json(const CpuOpCounts& n) {
  return counts_json_of(n, [](std::uint64_t v) { return v; });
}

Summary mean_counts_json(const CpuOpCounts& n, std::uint64_t samples) {
  return counts_json_of(n, [samples](std::uint64_t v) { return ratio_or_zero(v, samples); });
}

Summary energies_json(const std::vector<CpuEnergy>& energies_in,
                      const std::vector<std::string>& files) {
  using json = Summary;
  json energies = json::array();
  for (std::size_t k = 0; k < energies_in.size(); ++k) {
    const auto& e = energies_in[k];
    json lines = json::array();
    for (const auto& l : e.lines)
      lines.push_back({{"item", l.item},
                       {"count", l.count},
                       {"energy_per_unit_pJ", l.unit_fj / 1e3},
                       {"energy_pJ", l.energy_fj / 1e3}});
    energies.push_back({{"profile", e.profile},
                        {"kind", to_string(e.kind)},
                        {"file", files[k]},
                        {"energy_pJ", e.total_fj / 1e3},
                        {"breakdown", lines}});
  }
  return energies;
}

Summary rapl_json(bool attempted, const RaplMeasurement& m, CpuImplementation impl) {
  using json = Summary;
  json rapl;
  rapl["implementation"] = to_string(impl);
  if (!attempted) {
    rapl["available"] = false;
    rapl["reason"] = "not attempted (--rapl off)";
  } else if (!m.available) {
    rapl["available"] = false;
    rapl["reason"] = m.unavailable;
  } else {
    rapl["available"] = true;
    rapl["zones"] = m.zones;
    rapl["idle_s"] = m.idle_seconds;
    rapl["idle_J"] = m.idle_joules;
    rapl["idle_W"] = m.idle_watts();
    rapl["run_s"] = m.run_seconds;
    rapl["run_J"] = m.run_joules;
    rapl["run_W"] = m.run_watts();
    rapl["inferences"] = m.inferences;
    rapl["energy_per_inference_pJ"] = m.joules_per_inference() * 1e12;
  }
  return rapl;
}

std::string energies_text(const std::vector<CpuEnergy>& energies) {
  std::string s;
  s += "energy per inference, from the counts:\n";
  for (const auto& e : energies) {
    s += fmt::format("  {:<14} ({:<10}) {}\n", e.profile, to_string(e.kind),
                     readable_energy_fj(e.total_fj));
    for (const auto& l : e.lines)
      s += fmt::format("      {:<58} {:>14.1f} x {:>10.3f} pJ = {}\n", l.item, l.count,
                       l.unit_fj / 1e3, readable_energy_fj(l.energy_fj));
  }
  return s;
}

std::string rapl_text(bool attempted, const RaplMeasurement& m, CpuImplementation impl) {
  std::string s;
  if (!attempted)
    s += "measured (RAPL): not attempted (--rapl off)\n";
  else if (!m.available)
    s += fmt::format("measured (RAPL): unavailable ({})\n", m.unavailable);
  else
    s += fmt::format(
        "measured (RAPL, {} implementation): {} per inference (package {:.2f} W running, "
        "{:.2f} W idle, {} inferences in {:.2f} s)\n",
        to_string(impl), readable_energy_fj(m.joules_per_inference() * 1e15), m.run_watts(),
        m.idle_watts(), m.inferences, m.run_seconds);
  return s;
}

Summary baseline_summary(const BaselineResult& r) {
  using json = Summary;
  json j;
  j["report"] = "cpu_baseline";
  j["loihisim_version"] = version();
  j["weights"] = weights_json(r);
  j["dataset"] = r.dataset;
  j["samples"] = r.samples;
  j["steps_per_inference"] = r.steps;
  j["batch_size"] = 1;
  j["threads"] = 1;
  j["cpu"] = r.cpu_model;
  j["counts_per_inference"] = counts_json(r.counts);
  json impls = json::array();
  for (const auto& i : r.implementations)
    impls.push_back(
        {{"name", to_string(i.implementation)},
         {"description", i.description},
         {"accuracy", {{"correct", i.correct}, {"samples", r.samples}, {"fraction", i.accuracy}}},
         {"time_per_inference",
          {{"median_ns", i.median_ns},
           {"p10_ns", i.p10_ns},
           {"p90_ns", i.p90_ns},
           {"mean_ns", i.mean_ns}}},
         {"warmup_inferences", r.warmup},
         {"reference_check",
          {{"samples", i.reference_samples},
           {"argmax_agree", i.reference_argmax_agree},
           {"max_abs_logit_diff", i.reference_max_abs_diff}}}});
  j["implementations"] = impls;
  j["implementations_agree"] = r.implementations_agree;
  j["energy_per_inference"] = energies_json(r.energies, r.profile_files);
  j["rapl"] = rapl_json(r.rapl_attempted, r.rapl, r.rapl_implementation);
  if (r.has_axlstm) j["axlstm"] = axlstm_json(r.axlstm);
  j["wall_s"] = r.wall_seconds;
  return j;
}

std::string baseline_text(const BaselineResult& r) {
  const CpuOpCounts& n = r.counts;
  std::string s;
  if (r.model == BaselineModel::kLstm)
    s += fmt::format(
        "CPU baseline: {} (LSTM, {} layout, {} cell, input {}, hidden {}, classes {})\n",
        r.weights_file, models::to_string(r.layout), models::to_string(r.cell), r.input_size,
        r.hidden_size, r.classes);
  else
    s += lmu_header(r);
  s += fmt::format("dataset {}, {} inferences of {} steps, batch size 1, 1 thread, on {}\n",
                   r.dataset, r.samples, r.steps, r.cpu_model);
  s += "operations per inference:\n";
  s += fmt::format("  multiply-accumulates (= synops)  {:>12}\n", n.mac);
  s += fmt::format("  adds / multiplies / compares     {:>12} / {} / {}\n", n.add, n.mul, n.cmp);
  s += fmt::format("  nonlinearity evaluations         {:>12}  ({} sigmoid/tanh{})\n",
                   n.nonlinearity, n.transcendental, nonlinearity_note(r));
  s += fmt::format("  neuron updates                   {:>12}\n", n.neuron_updates);
  s += fmt::format("  weights read                     {:>12}  (working set {})\n",
                   bytes(n.weight_bytes_read), bytes(n.weight_working_set_bytes));
  s += fmt::format("  activations read / written       {:>12} / {}  (working set {})\n",
                   bytes(n.activation_bytes_read), bytes(n.activation_bytes_written),
                   bytes(n.activation_working_set_bytes));
  s += "implementations (wall time per inference over the samples, after warm-up):\n";
  for (const auto& i : r.implementations) {
    s += fmt::format("  {:<16} accuracy {:.2f} %  median {}  (p10 {}, p90 {})\n",
                     to_string(i.implementation), 100.0 * i.accuracy,
                     readable_time_ps(1e3 * i.median_ns), readable_time_ps(1e3 * (i.p10_ns)),
                     readable_time_ps(1e3 * (i.p90_ns)));
    s += fmt::format("  {:<16} {}\n", "", i.description);
    if (i.reference_samples > 0)
      s += fmt::format("  {:<16} vs PyTorch's stored logits: {}/{} same class, max |diff| {:.2e}\n",
                       "", i.reference_argmax_agree, i.reference_samples, i.reference_max_abs_diff);
  }
  s += fmt::format("  the two implementations predict the same class on {} of {} samples\n",
                   r.implementations_agree, r.samples);
  s += energies_text(r.energies);
  s += rapl_text(r.rapl_attempted, r.rapl, r.rapl_implementation);
  if (r.has_axlstm) s += axlstm_text(r.axlstm);
  return s;
}

namespace {

// The run report's board level: dynamic at least the chip's dynamic energy, total at least the
// dynamic (docs/energy-model.md, "The board level").
void read_board_level(const SummaryField& board, ChipSummary& c) {
  const SummaryField per = board.at("per_inference", "the board level per inference");
  c.has_board = true;
  c.board_dynamic_pj = per.at("dynamic_pJ", "pJ").non_negative();
  c.board_total_pj = per.at("total_pJ", "pJ").non_negative();
  c.board_latency_ns = per.at("latency_ns", "ns").non_negative();
  if (c.board_dynamic_pj < c.chip_active_pj)
    per.at("dynamic_pJ")
        .fail(fmt::format("{} is less than the chip's active energy {}: the board level adds to "
                          "the chip's",
                          c.board_dynamic_pj, c.chip_active_pj));
  if (c.board_total_pj < c.board_dynamic_pj)
    per.at("total_pJ")
        .fail(fmt::format("{} is less than dynamic_pJ = {}", c.board_total_pj, c.board_dynamic_pj));
}

}  // namespace

ChipSummary read_run_summary(const std::filesystem::path& path) {
  return chip_summary(read_summary(path), path.string());
}

ChipSummary chip_summary(const Summary& doc, const std::string& file) {
  const SummaryField top(doc, file);
  const SummaryField kind = top.at("report", "run: expected a `loihisim run --report` file");
  if (kind.string() != "run")
    kind.fail("'" + kind.string() +
              "' is not a run report (expected run: a `loihisim run` report)");
  ChipSummary c;
  c.file = file;
  c.model = top.at("model", "the model's name").string();
  c.architecture = top.at("architecture", "the architecture").string();
  c.dataset = top.at("dataset", "the dataset").string();
  c.samples = top.at("samples", "the number of inferences").positive_count();
  c.steps_per_symbol = static_cast<std::int64_t>(top.at("steps_per_symbol", "T").positive_count());
  c.accuracy = top.at("accuracy", "the accuracy").at("fraction", "0..1").fraction();
  const SummaryField host = top.at("host", "the host coprocessor");
  c.host_location = host.at("location", "external or embedded").string();
  c.host_format = host.at("number_format", "the host's number format").string();
  const SummaryField per = top.at("per_inference", "the per-inference figures");
  c.chip_active_pj = per.at("chip_active_energy_pJ", "pJ").non_negative();
  c.chip_total_pj = per.at("chip_total_energy_pJ", "pJ").non_negative();
  c.host_pj = per.at("host_energy_pJ", "pJ").non_negative();
  c.latency_ns = per.at("latency_ns", "ns").non_negative();
  if (c.chip_total_pj < c.chip_active_pj)
    per.at("chip_total_energy_pJ")
        .fail(fmt::format("{} is less than chip_active_energy_pJ = {}: total energy includes the "
                          "active energy",
                          c.chip_total_pj, c.chip_active_pj));
  if (top.has("board")) read_board_level(top.at("board"), c);
  return c;
}

namespace {

// weights.model (absent in reports written before the LMU: an LSTM) and the network in words.
void read_network(const SummaryField& w, CpuSummary& c) {
  c.model = w.has("model") ? w.at("model").string() : "lstm";
  if (c.model == "lstm") {
    c.network = "LSTM, " + c.cell + " cell";
  } else if (c.model == "lmu") {
    c.network = fmt::format("LMU, d {}, H {}, {}", w.at("memory_size", "d").positive_count(),
                            w.at("hidden_size", "H").positive_count(),
                            w.at("activation", "crelu, relu or tanh").string());
  } else {
    w.at("model").fail("'" + c.model + "' (expected lstm or lmu)");
  }
}

}  // namespace

CpuSummary read_baseline_summary(const std::filesystem::path& path) {
  return cpu_summary(read_summary(path), path.string());
}

CpuSummary cpu_summary(const Summary& doc, const std::string& file) {
  const SummaryField top(doc, file);
  CpuSummary c;
  c.file = file;
  const SummaryField kind =
      top.at("report", "cpu_baseline: expected a `loihisim baseline --report` file");
  if (kind.string() != "cpu_baseline")
    kind.fail("'" + kind.string() + "' (expected cpu_baseline: a `loihisim baseline` report)");
  const SummaryField w = top.at("weights", "the weight file");
  c.weights = w.at("file", "the weight file").string();
  c.cell = w.at("cell", "the cell").string();
  read_network(w, c);
  c.dataset = top.at("dataset", "the dataset").string();
  c.cpu_model = top.at("cpu", "the CPU").string();
  c.samples = top.at("samples", "the number of inferences").positive_count();
  c.synops = top.at("counts_per_inference", "the counts").at("synops", "synops").count();
  for (const SummaryField& i : top.at("implementations", "the implementations").items()) {
    const std::string name = i.at("name", "straightforward or tuned").string();
    const double med =
        i.at("time_per_inference", "the timings").at("median_ns", "ns").non_negative();
    if (name == "tuned") {
      c.median_ns_tuned = med;
      c.accuracy = i.at("accuracy", "the accuracy").at("fraction", "0..1").fraction();
      c.tuned_description = i.at("description", "the implementation").string();
    } else if (name == "straightforward") {
      c.median_ns_straightforward = med;
    }
  }
  for (const SummaryField& e : top.at("energy_per_inference", "the energies").items()) {
    CpuSummary::Profile p;
    p.name = e.at("profile", "the profile's name").string();
    p.kind = e.at("kind", "operations or system").string();
    p.energy_pj = e.at("energy_pJ", "pJ").non_negative();
    c.profiles.push_back(std::move(p));
  }
  const SummaryField rapl = top.at("rapl", "the RAPL measurement");
  c.rapl_available = rapl.at("available", "true or false").boolean();
  if (c.rapl_available) {
    c.rapl_energy_pj = rapl.at("energy_per_inference_pJ", "pJ").non_negative();
    c.rapl_note = "measured, " + rapl.at("implementation").string() + " implementation";
  } else {
    c.rapl_note = rapl.at("reason", "why RAPL is unavailable").string();
  }
  return c;
}

namespace {

// The level of the neuromorphic side a CPU figure is like for like with: operation-level
// profiles (no CPU static power, no instruction overhead) with the chip's dynamic energy;
// whole-CPU figures ('system') and RAPL (a package measurement) with the board level.
const char* cpu_level(const std::string& kind) {
  return kind == "operations" ? "chip" : "board";
}

// The footnotes of the comparison: every assumption behind its figures.
Summary compare_notes(const ChipSummary& chip, const CpuSummary& cpu) {
  using json = Summary;
  json notes = json::array();
  notes.push_back(
      "Batch size 1 on both sides: the chip runs one inference at a time (loihisim run), the CPU "
      "runs one sequence at a time on one thread.");
  notes.push_back(fmt::format(
      "Chip energies: counted events x the {} architecture table; active = dynamic energy of "
      "every chip event, total = active + static power x elapsed chip time for the chips in use. "
      "Host: the host coprocessor's operations ({}, {}), added to both.",
      chip.architecture, chip.host_location, chip.host_format));
  notes.push_back(
      "Ratio = CPU energy / neuromorphic energy (chip + host) per inference; above 1 the "
      "neuromorphic side uses less.");
  notes.push_back(
      "CPU 'operations' profiles: the counted operations and memory accesses x a 45 nm "
      "operation-level table (Horowitz 2014): a lower bound (no instruction overhead, no static "
      "power). 'system' profiles: synops (= multiply-accumulates) and neuron updates x a "
      "whole-CPU figure (KerasSpiking's 8.6 nJ, i7-4960X).");
  notes.push_back(cpu.rapl_available
                      ? "RAPL: package energy while running minus idle power over the same "
                        "time, per inference (" +
                            cpu.rapl_note + ")."
                      : "RAPL: unavailable (" + cpu.rapl_note + "); no measured CPU energy.");
  notes.push_back(fmt::format(
      "CPU: {}; median wall time per inference {:.1f} us straightforward, {:.1f} us tuned ({}).",
      cpu.cpu_model, cpu.median_ns_straightforward / 1e3, cpu.median_ns_tuned / 1e3,
      cpu.tuned_description));
  notes.push_back(fmt::format(
      "Accuracy: neuromorphic {:.2f} % ({}, {} samples), CPU {:.2f} % ({}, {} samples, {}, {}).",
      100.0 * chip.accuracy, chip.dataset, chip.samples, 100.0 * cpu.accuracy, cpu.dataset,
      cpu.samples, cpu.network, cpu.weights));
  if (chip.dataset != cpu.dataset)
    notes.push_back("WARNING: the two reports use different datasets (" + chip.dataset + " vs " +
                    cpu.dataset + "): the ratios compare different workloads.");
  notes.push_back(
      "The paper's 55.9x (Ponghiran and Roy 2021: Loihi vs an i7-6700, measured) splits chip and "
      "host in a way that is not public; these ratios come from the simulator's energy models.");
  notes.push_back(
      "Levels: chip = the chip's counted events (dynamic) and static power; board = chip "
      "dynamic + embedded x86 per timestep + host I/O per transaction + the post-run idle "
      "increase (board dynamic), + the board's idle power (board total), from the "
      "architecture's system section (docs/energy-model.md, 'The board level'). 'operations' "
      "CPU rows are compared with the chip level, 'system' and RAPL rows with the board level; "
      "the published 55.9x is a board-level figure (measured system power on both sides).");
  if (!chip.has_board)
    notes.push_back(
        "This run report has no board level (its architecture file has no system "
        "section): the 'system' and RAPL rows and the 55.9x are compared with the "
        "chip level here, which is not like for like.");
  return notes;
}

}  // namespace

namespace {

// One CPU row: its energy, its level and the ratios (CPU / neuromorphic, chip + host or board
// + host; the host coprocessor is added to every level).
Summary compare_row(const ChipSummary& chip, const std::string& name, const std::string& kind,
                    double energy_pj) {
  using json = Summary;
  const auto ratio = [](double a, double b) { return b > 0 ? json(a / b) : json(nullptr); };
  json row = {{"profile", name},
              {"kind", kind},
              {"level", cpu_level(kind)},
              {"energy_pJ", energy_pj},
              {"ratio_to_active", ratio(energy_pj, chip.chip_active_pj + chip.host_pj)},
              {"ratio_to_total", ratio(energy_pj, chip.chip_total_pj + chip.host_pj)}};
  if (chip.has_board) {
    row["ratio_to_board_dynamic"] = ratio(energy_pj, chip.board_dynamic_pj + chip.host_pj);
    row["ratio_to_board_total"] = ratio(energy_pj, chip.board_total_pj + chip.host_pj);
  }
  return row;
}

}  // namespace

Summary compare_summary(const ChipSummary& chip, const CpuSummary& cpu) {
  using json = Summary;
  const double active = chip.chip_active_pj + chip.host_pj;
  const double total = chip.chip_total_pj + chip.host_pj;
  json j;
  j["report"] = "comparison";
  j["loihisim_version"] = version();
  j["batch_size"] = 1;
  j["neuromorphic"] = {
      {"run_report", chip.file},
      {"model", chip.model},
      {"architecture", chip.architecture},
      {"dataset", chip.dataset},
      {"samples", chip.samples},
      {"accuracy", chip.accuracy},
      {"chip_active_energy_pJ", chip.chip_active_pj},
      {"chip_total_energy_pJ", chip.chip_total_pj},
      {"host_energy_pJ", chip.host_pj},
      {"host_location", chip.host_location},
      {"active_energy_pJ", active},
      {"total_energy_pJ", total},
      {"host_share_of_active", active > 0 ? json(chip.host_pj / active) : json(nullptr)},
      {"latency_ns", chip.latency_ns}};
  if (chip.has_board)
    j["neuromorphic"]["board"] = {
        {"dynamic_energy_pJ", chip.board_dynamic_pj},
        {"total_energy_pJ", chip.board_total_pj},
        {"dynamic_with_host_energy_pJ", chip.board_dynamic_pj + chip.host_pj},
        {"total_with_host_energy_pJ", chip.board_total_pj + chip.host_pj},
        {"latency_ns", chip.board_latency_ns}};
  j["published"] = {{"figure", "55.9x less active energy than an i7-6700 (Ponghiran and Roy 2021)"},
                    {"level", "board"},
                    {"compared_with", chip.has_board ? "ratio_to_board_dynamic of the system and "
                                                       "rapl rows"
                                                     : "no board level in this run report"}};
  json rows = json::array();
  for (const auto& p : cpu.profiles) rows.push_back(compare_row(chip, p.name, p.kind, p.energy_pj));
  if (cpu.rapl_available) rows.push_back(compare_row(chip, "rapl", "measured", cpu.rapl_energy_pj));
  j["cpu"] = {
      {"baseline_report", cpu.file},
      {"weights", cpu.weights},
      {"model", cpu.model},
      {"cell", cpu.cell},
      {"dataset", cpu.dataset},
      {"samples", cpu.samples},
      {"accuracy", cpu.accuracy},
      {"cpu", cpu.cpu_model},
      {"median_time",
       {{"straightforward_ns", cpu.median_ns_straightforward}, {"tuned_ns", cpu.median_ns_tuned}}},
      {"rapl",
       cpu.rapl_available ? json(cpu.rapl_note) : json("unavailable (" + cpu.rapl_note + ")")},
      {"rows", rows}};
  j["notes"] = compare_notes(chip, cpu);
  return j;
}

namespace {

// The board-level rows and the CPU rows' board ratios of compare_text.
std::string board_text_rows(const ChipSummary& chip, const CpuSummary& cpu, int levels_note) {
  const auto pj = [](double v) { return readable_energy_fj(v * 1e3); };
  const double dynamic = chip.board_dynamic_pj + chip.host_pj;
  const double total = chip.board_total_pj + chip.host_pj;
  const auto ratio = [](double a, double b) {
    return b > 0 ? fmt::format("{:.3g}x", a / b) : std::string("-");
  };
  std::string s = fmt::format(
      "board level [{}] (chip dynamic + x86 + host I/O + idle increase; + idle):\n", levels_note);
  s += fmt::format("  {:<44} {:>14}\n", "board dynamic", pj(chip.board_dynamic_pj));
  s += fmt::format("  {:<44} {:>14}\n", "board total (board dynamic + idle)",
                   pj(chip.board_total_pj));
  s += fmt::format("  {:<44} {:>14}  {:>12}  {:>12}\n", "", "", "CPU/board dyn", "CPU/board tot");
  for (const auto& p : cpu.profiles)
    s += fmt::format("  {:<44} {:>14}  {:>12}  {:>12}\n",
                     p.name + " (" + p.kind + ", " + cpu_level(p.kind) + " level)", pj(p.energy_pj),
                     ratio(p.energy_pj, dynamic), ratio(p.energy_pj, total));
  if (cpu.rapl_available)
    s += fmt::format("  {:<44} {:>14}  {:>12}  {:>12}\n", "RAPL package (board level)",
                     pj(cpu.rapl_energy_pj), ratio(cpu.rapl_energy_pj, dynamic),
                     ratio(cpu.rapl_energy_pj, total));
  s += fmt::format("  board latency per inference {} (chip + host + x86 + host I/O)\n",
                   readable_time_ps(1e3 * chip.board_latency_ns));
  return s;
}

}  // namespace

std::string compare_text(const ChipSummary& chip, const CpuSummary& cpu) {
  const Summary j = compare_summary(chip, cpu);
  const double active = chip.chip_active_pj + chip.host_pj;
  const double total = chip.chip_total_pj + chip.host_pj;
  const auto pj = [](double v) { return readable_energy_fj(v * 1e3); };
  const auto ratio = [](double a, double b) {
    return b > 0 ? fmt::format("{:.1f}x", a / b) : std::string("-");
  };
  std::string s;
  s += fmt::format("Energy per inference, batch size 1 [1]\n");
  s += fmt::format("{:<46} {:>14}  {:>12}  {:>12}\n", "", "energy", "CPU/active [3]", "CPU/total");
  s += fmt::format("neuromorphic: {} on {}, T = {} [2]\n", chip.model, chip.architecture,
                   chip.steps_per_symbol);
  s += fmt::format("  {:<44} {:>14}\n", "chip active (dynamic)", pj(chip.chip_active_pj));
  s += fmt::format("  {:<44} {:>14}\n", "chip total (active + static)", pj(chip.chip_total_pj));
  s += fmt::format("  {:<44} {:>14}  ({:.1f} % of active)\n",
                   "host coprocessor (" + chip.host_location + ")", pj(chip.host_pj),
                   active > 0 ? 100.0 * chip.host_pj / active : 0.0);
  s += fmt::format("  {:<44} {:>14}\n", "active = chip active + host", pj(active));
  s += fmt::format("  {:<44} {:>14}\n", "total = chip total + host", pj(total));
  s += fmt::format("CPU: original network ({}), {} [6] [7]\n", cpu.network, cpu.weights);
  for (const auto& p : cpu.profiles)
    s += fmt::format("  {:<44} {:>14}  {:>12}  {:>12}\n",
                     p.name + " (" + p.kind + ", " + cpu_level(p.kind) + " level) [4]",
                     pj(p.energy_pj), ratio(p.energy_pj, active), ratio(p.energy_pj, total));
  if (cpu.rapl_available)
    s += fmt::format("  {:<44} {:>14}  {:>12}  {:>12}\n", "RAPL package, measured [5]",
                     pj(cpu.rapl_energy_pj), ratio(cpu.rapl_energy_pj, active),
                     ratio(cpu.rapl_energy_pj, total));
  else
    s += fmt::format("  {:<44} {:>14}  [5]\n", "RAPL package, measured", "unavailable");
  if (chip.has_board) {
    int levels_note = 0;  // the footnote that explains the levels
    for (std::size_t i = 0; i < j["notes"].size(); ++i)
      if (j["notes"][i].get<std::string>().rfind("Levels:", 0) == 0)
        levels_note = static_cast<int>(i) + 1;
    s += board_text_rows(chip, cpu, levels_note);
  }
  s += fmt::format("latency per inference: chip + host {}, CPU {} (tuned, median)\n",
                   readable_time_ps(1e3 * chip.latency_ns),
                   readable_time_ps(1e3 * cpu.median_ns_tuned));
  s += "notes:\n";
  int k = 0;
  for (const auto& n : j["notes"]) s += fmt::format(" [{}] {}\n", ++k, n.get<std::string>());
  return s;
}

}  // namespace loihisim
