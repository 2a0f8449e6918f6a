#include "baseline/axlstm_run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "baseline/sample_stats.hpp"
#include "io/readable_units.hpp"

namespace loihisim {
namespace {

using clock_type = std::chrono::steady_clock;

template <class Net>
double timed(Net& net, const float* seq, int steps, std::span<float> logits, int& p) {
  const auto t0 = clock_type::now();
  p = net.infer(seq, steps, logits);
  return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
}

AxlstmTiming time_pair(const models::LstmWeights& w, const SequenceDataset& data, std::uint64_t n,
                       std::uint64_t warmup, CpuImplementation impl, const AxlstmOptions& o) {
  CpuLstm full(w, impl);
  AxLstm reduced(w, impl, o);
  const auto per =
      static_cast<std::size_t>(data.num_symbols) * static_cast<std::size_t>(data.symbol_size);
  auto sample = [&](std::uint64_t i) { return data.values.data() + i * per; };
  for (std::uint64_t i = 0; i < n; ++i) reduced.prepare(sample(i), data.num_symbols);
  std::vector<float> logits(static_cast<std::size_t>(w.classes));
  for (std::uint64_t k = 0; k < warmup; ++k) {
    full.infer(sample(k % n), data.num_symbols, logits);
    reduced.infer(sample(k % n), data.num_symbols, logits);
  }
  AxlstmTiming t;
  t.implementation = impl;
  std::vector<double> ns_full(n), ns_reduced(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    int pf = 0, pr = 0;
    if (i % 2 == 0) {  // alternate which runs first
      ns_full[i] = timed(full, sample(i), data.num_symbols, logits, pf);
      ns_reduced[i] = timed(reduced, sample(i), data.num_symbols, logits, pr);
    } else {
      ns_reduced[i] = timed(reduced, sample(i), data.num_symbols, logits, pr);
      ns_full[i] = timed(full, sample(i), data.num_symbols, logits, pf);
    }
    t.correct_full += pf == data.labels[i] ? 1 : 0;
    t.correct_reduced += pr == data.labels[i] ? 1 : 0;
  }
  t.median_ns_full = median_of(ns_full);
  t.median_ns_reduced = median_of(ns_reduced);
  t.mean_ns_full = mean_of(ns_full);
  t.mean_ns_reduced = mean_of(ns_reduced);
  return t;
}

}  // namespace

std::uint64_t arithmetic_ops(const CpuOpCounts& n) {
  return n.mac + n.add + n.mul + n.cmp + n.nonlinearity;
}

AxlstmResult run_axlstm(const models::LstmWeights& w, const SequenceDataset& data,
                        std::uint64_t samples, std::uint64_t warmup, const AxlstmOptions& o) {
  AxlstmResult a;
  a.options = o;
  a.samples = samples;
  const auto per =
      static_cast<std::size_t>(data.num_symbols) * static_cast<std::size_t>(data.symbol_size);
  CpuLstm full(w, CpuImplementation::kStraightforward);
  AxLstm reduced(w, CpuImplementation::kStraightforward, o);
  std::vector<float> logits(static_cast<std::size_t>(w.classes));
  for (std::uint64_t i = 0; i < samples; ++i) {
    const float* seq = data.values.data() + i * per;
    full.infer_counted(seq, data.num_symbols, logits, a.full_total);
    reduced.infer_counted(seq, data.num_symbols, logits, a.reduced_total);
    a.symbols += static_cast<std::uint64_t>(data.num_symbols);
    a.skipped += static_cast<std::uint64_t>(reduced.last_skipped());
    a.cells_evaluated += static_cast<std::uint64_t>(reduced.last_cells());
    a.cells_total += static_cast<std::uint64_t>(w.hidden_size);
  }
  for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned})
    a.timings.push_back(time_pair(w, data, samples, warmup, impl, o));
  return a;
}

namespace {

Summary ops_json(const CpuOpCounts& total, std::uint64_t samples) {
  const double n = samples ? static_cast<double>(samples) : 1.0;
  return {{"multiply_accumulates", static_cast<double>(total.mac) / n},
          {"arithmetic_ops", static_cast<double>(arithmetic_ops(total)) / n},
          {"weight_bytes_read", static_cast<double>(total.weight_bytes_read) / n}};
}

}  // namespace

Summary axlstm_json(const AxlstmResult& a) {
  Summary j;
  j["dts"] = a.options.dts ? Summary({{"tau", a.options.dts_tau}}) : Summary("off");
  j["dsr"] = to_string(a.options.dsr);
  j["symbols"] = a.symbols;
  j["symbols_skipped"] = a.skipped;
  j["fraction_skipped"] = ratio_or_zero(a.skipped, a.symbols);
  j["fraction_of_state"] = ratio_or_zero(a.cells_evaluated, a.cells_total);
  j["full_per_inference"] = ops_json(a.full_total, a.samples);
  j["reduced_per_inference"] = ops_json(a.reduced_total, a.samples);
  j["ops_saved_fraction"] =
      1.0 - ratio_or_zero(arithmetic_ops(a.reduced_total), arithmetic_ops(a.full_total));
  j["macs_saved_fraction"] = 1.0 - ratio_or_zero(a.reduced_total.mac, a.full_total.mac);
  Summary impls = Summary::array();
  for (const auto& t : a.timings)
    impls.push_back({{"name", to_string(t.implementation)},
                     {"accuracy_full", ratio_or_zero(t.correct_full, a.samples)},
                     {"accuracy_reduced", ratio_or_zero(t.correct_reduced, a.samples)},
                     {"median_ns_full", t.median_ns_full},
                     {"median_ns_reduced", t.median_ns_reduced},
                     {"mean_ns_full", t.mean_ns_full},
                     {"mean_ns_reduced", t.mean_ns_reduced},
                     {"speedup_median", t.speedup_median()},
                     {"speedup_mean", t.speedup_mean()}});
  j["implementations"] = impls;
  return j;
}

std::string axlstm_text(const AxlstmResult& a) {
  std::string s = fmt::format(
      "AxLSTM (DTS {}, DSR {}), full and reduced timed back to back per sample:\n",
      a.options.dts ? fmt::format("tau {}", a.options.dts_tau) : "off", to_string(a.options.dsr));
  s += fmt::format("  symbols skipped {} of {} ({:.2f} %), state evaluated {:.2f} %\n", a.skipped,
                   a.symbols, 100 * ratio_or_zero(a.skipped, a.symbols),
                   100 * ratio_or_zero(a.cells_evaluated, a.cells_total));
  s += fmt::format(
      "  operations per inference (counted): {:.0f} -> {:.0f} ({:.2f} % saved), MACs {:.2f} % "
      "saved\n",
      ratio_or_zero(arithmetic_ops(a.full_total), a.samples),
      ratio_or_zero(arithmetic_ops(a.reduced_total), a.samples),
      100 * (1 - ratio_or_zero(arithmetic_ops(a.reduced_total), arithmetic_ops(a.full_total))),
      100 * (1 - ratio_or_zero(a.reduced_total.mac, a.full_total.mac)));
  for (const auto& t : a.timings)
    s += fmt::format(
        "  {:<16} accuracy {:.2f} % -> {:.2f} %  median {} -> {}  speed-up {:.3f}x (mean "
        "{:.3f}x)\n",
        to_string(t.implementation), 100 * ratio_or_zero(t.correct_full, a.samples),
        100 * ratio_or_zero(t.correct_reduced, a.samples), readable_time_ps(1e3 * t.median_ns_full),
        readable_time_ps(1e3 * t.median_ns_reduced), t.speedup_median(), t.speedup_mean());
  return s;
}

}  // namespace loihisim
