#include "models/nir_files.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "core/splitmix.hpp"
#include "io/errors.hpp"
#include "io/limits.hpp"
#include "io/summary_file.hpp"

namespace loihisim::models::nir {
namespace {

std::int64_t total_input_size(const Lowered& l) {
  std::int64_t n = 0;
  for (const auto& in : l.inputs) n += in.size;
  return n;
}

}  // namespace

SequenceDataset synthetic_input(const Lowered& lowered, std::int64_t samples, std::int64_t steps,
                                double rate, std::uint64_t seed) {
  if (samples < 1 || steps < 1)
    throw InputError(fmt::format("synthetic input: {} samples of {} steps: need at least 1 of each",
                                 samples, steps));
  if (!(rate >= 0 && rate <= 1))
    throw InputError(fmt::format("synthetic input: spike probability {} is outside 0..1", rate));
  SequenceDataset d;
  d.name = "synthetic input";
  d.flush_steps = lowered.max_depth;
  const std::int64_t all_steps = steps + d.flush_steps;
  const std::int64_t size = total_input_size(lowered);
  d.num_symbols = static_cast<int>(all_steps);
  d.symbol_size = static_cast<int>(size);
  d.num_classes = lowered.outputs.empty()
                      ? 2
                      : static_cast<int>(std::max<std::int64_t>(2, lowered.outputs[0].size));
  check_memory(
      bytes_for(
          bytes_for(static_cast<std::uint64_t>(samples), static_cast<std::uint64_t>(all_steps)),
          static_cast<std::uint64_t>(size) * sizeof(float)),
      fmt::format("synthetic input ({} samples x {} steps x {} inputs)", samples, all_steps, size));
  d.labels.assign(static_cast<std::size_t>(samples), 0);
  d.values.assign(static_cast<std::size_t>(samples * all_steps * size), 0.0f);
  for (std::int64_t s = 0; s < samples; ++s)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t i = 0; i < size; ++i) {
        // A counter-based draw: the same (seed, sample, step, element) always gives the same bit.
        std::uint64_t h = splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(s)));
        h = splitmix64(h ^ static_cast<std::uint64_t>(t));
        h = splitmix64(h ^ static_cast<std::uint64_t>(i));
        const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
        if (u < rate) d.values[static_cast<std::size_t>((s * all_steps + t) * size + i)] = 1.0f;
      }
  return d;
}

void check_input(const Lowered& lowered, const SequenceDataset& data) {
  const std::int64_t want = total_input_size(lowered);
  if (data.symbol_size != want) {
    std::string parts;
    for (const auto& in : lowered.inputs)
      parts += fmt::format("{}{} ({})", parts.empty() ? "" : " + ", in.size, in.nir_node);
    throw InputError(fmt::format("{}: {} values per step, but the graph's Input nodes take {} = {}",
                                 data.name, data.symbol_size, want, parts));
  }
  if (data.flush_steps < 0 || data.flush_steps >= data.num_symbols)
    throw InputError(fmt::format("{}: flush_steps = {} must lie in 0..{}", data.name,
                                 data.flush_steps, data.num_symbols - 1));
  const auto size = static_cast<std::size_t>(data.symbol_size);
  const auto per_sample = static_cast<std::size_t>(data.num_symbols) * size;
  for (std::size_t k = 0; k < data.values.size(); ++k) {
    const float v = data.values[k];
    if (v != 0.0f && v != 1.0f)
      throw InputError(fmt::format(
          "{}: sample {}, step {}, element {} is {}: NIR inputs are spikes, each value must be "
          "0 or 1",
          data.name, k / per_sample, (k % per_sample) / size, k % size, v));
  }
}

ModelSpec nir_model(const Lowered& lowered, const std::filesystem::path& network,
                    const std::filesystem::path& dataset, const std::string& command) {
  if (lowered.prediction.empty())
    throw InputError(fmt::format(
        "{}: a model file for `loihisim run` needs exactly one Input node and at least one "
        "Output node (this graph has {} and {}); the network file is written, run it with "
        "--record instead",
        lowered.file, lowered.inputs.size(), lowered.outputs.size()));
  ModelSpec m;
  m.comment = fmt::format(
      "Written by: {}\n"
      "One NIR step per symbol (steps_per_symbol 1), chip state kept over the whole sample,\n"
      "the spike counts of output '{}' summed over the sample as the prediction. The last\n"
      "{} symbol(s) of the dataset are the pipeline's flush (its attribute flush_steps).",
      command, lowered.outputs[0].nir_node, lowered.max_depth);
  m.name = lowered.network->name;
  m.network = network;
  m.placer = "metis";
  m.dataset.file = dataset;
  m.steps_per_symbol = 1;
  m.reset = ResetPolicy::kSample;
  m.input_timing = InputTiming::kNextStep;
  m.prediction = lowered.prediction;
  return m;
}

void write_quantisation_report(const std::filesystem::path& file, const Lowered& lowered,
                               const std::string& command) {
  Summary t;
  t["command"] = command;
  t["source"] = lowered.file;
  t["dt_s"] = lowered.options.dt;
  t["approximate"] = lowered.options.approximate;
  t["reset"] = std::string(name_of(core::kResetModeNames, lowered.options.reset));
  t["pipeline_depth"] = lowered.max_depth;
  t["populations"] = Summary::array();
  for (const auto& p : lowered.populations) {
    const auto [lo, hi] = std::minmax_element(p.scale.begin(), p.scale.end());
    t["populations"].push_back({{"nir_node", p.nir_node},
                                {"type", p.type},
                                {"population", p.population},
                                {"neurons", p.size},
                                {"depth", p.depth},
                                {"spiking", p.spiking},
                                {"scale", *lo},
                                {"scale_max", *hi},
                                {"scale_limit", p.scale_limit}});
  }
  t["inputs"] = Summary::array();
  for (const auto& i : lowered.inputs)
    t["inputs"].push_back({{"nir_node", i.nir_node}, {"port", i.port}, {"size", i.size}});
  t["outputs"] = Summary::array();
  for (const auto& o : lowered.outputs)
    t["outputs"].push_back(
        {{"nir_node", o.nir_node},
         {"port", o.port},
         {"population", lowered.populations[static_cast<std::size_t>(o.population)].population},
         {"size", o.size}});
  t["quantisation"] = Summary::array();
  for (const auto& q : lowered.quantisation)
    t["quantisation"].push_back({{"node", q.node},
                                 {"parameter", q.parameter},
                                 {"hardware", q.hardware},
                                 {"values", q.count},
                                 {"max_value", q.max_value},
                                 {"max_abs_error", q.max_abs_error},
                                 {"max_rel_error", q.max_rel_error},
                                 {"error_rel_to_max", q.rel_to_max},
                                 {"zeroed", q.zeroed},
                                 {"unit", q.unit}});
  t["warnings"] = lowered.warnings;
  t["notes"] = lowered.notes;
  write_summary(t, file);
}

}  // namespace loihisim::models::nir
