// The report and text of `loihisim baseline` on a sequence-to-sequence file (seq2seq_run.hpp).
#include <fmt/core.h>

#include "baseline/sample_stats.hpp"
#include "baseline/seq2seq_run.hpp"
#include "io/readable_units.hpp"
#include "io/version.hpp"

namespace loihisim {
namespace {

Summary quality_json(const Seq2SeqQuality& q) {
  return {{"strings", q.strings},
          {"exact", q.exact},
          {"exact_fraction", q.exact_fraction()},
          {"tokens", q.tokens},
          {"correct_tokens", q.correct_tokens},
          {"token_fraction", q.token_fraction()}};
}

Summary implementation_json(const Seq2SeqImplementationResult& i, std::uint64_t warmup) {
  return {{"name", to_string(i.implementation)},
          {"description", i.description},
          {"accuracy", quality_json(i.quality)},
          {"time_per_inference",
           {{"median_ns", i.median_ns},
            {"p10_ns", i.p10_ns},
            {"p90_ns", i.p90_ns},
            {"mean_ns", i.mean_ns}}},
          {"warmup_inferences", warmup},
          {"reference_check",
           {{"strings", i.reference_strings}, {"greedy_outputs_agree", i.reference_agree}}}};
}

Summary axlstm_seq2seq_json(const Seq2SeqAxlstmResult& a, const CpuOpCounts& full,
                            std::uint64_t samples) {
  Summary j;
  j["dts"] = a.options.dts ? Summary({{"tau", a.options.dts_tau}}) : Summary("off");
  j["dsr"] = to_string(a.options.dsr);
  j["layer_steps"] = a.layer_steps;
  j["layer_steps_skipped"] = a.skipped;
  j["fraction_skipped"] = ratio_or_zero(a.skipped, a.layer_steps);
  j["encoder_layer_steps"] = a.encoder_layer_steps;
  j["encoder_layer_steps_skipped"] = a.encoder_skipped;
  j["fraction_of_state"] = ratio_or_zero(a.cells_evaluated, a.cells_total);
  j["full_per_inference"] = {{"multiply_accumulates", ratio_or_zero(full.mac, samples)},
                             {"arithmetic_ops", ratio_or_zero(arithmetic_ops(full), samples)}};
  j["reduced_per_inference"] = {
      {"multiply_accumulates", ratio_or_zero(a.reduced_total.mac, samples)},
      {"arithmetic_ops", ratio_or_zero(arithmetic_ops(a.reduced_total), samples)}};
  j["ops_saved_fraction"] =
      1.0 - ratio_or_zero(arithmetic_ops(a.reduced_total), arithmetic_ops(full));
  j["macs_saved_fraction"] = 1.0 - ratio_or_zero(a.reduced_total.mac, full.mac);
  Summary impls = Summary::array();
  for (const auto& t : a.timings)
    impls.push_back({{"name", to_string(t.implementation)},
                     {"exact_full", t.full.exact_fraction()},
                     {"exact_reduced", t.reduced.exact_fraction()},
                     {"token_full", t.full.token_fraction()},
                     {"token_reduced", t.reduced.token_fraction()},
                     {"median_ns_full", t.median_ns_full},
                     {"median_ns_reduced", t.median_ns_reduced},
                     {"mean_ns_full", t.mean_ns_full},
                     {"mean_ns_reduced", t.mean_ns_reduced},
                     {"speedup_median", t.speedup_median()},
                     {"speedup_mean", t.speedup_mean()}});
  j["implementations"] = impls;
  return j;
}

}  // namespace

Summary seq2seq_baseline_summary(const Seq2SeqBaselineResult& r) {
  Summary j;
  j["report"] = "cpu_baseline";
  j["loihisim_version"] = version();
  j["weights"] = {{"file", r.weights_file},
                  {"model", "seq2seq"},
                  {"cell", r.modified ? "modified" : "standard"},
                  {"layers", r.layers},
                  {"hidden_size", r.hidden}};
  j["dataset"] = r.dataset;
  j["samples"] = r.samples;
  j["encoder_steps_per_inference"] = ratio_or_zero(r.encoder_steps, r.samples);
  j["decoder_steps_per_inference"] = ratio_or_zero(r.decoder_steps, r.samples);
  j["batch_size"] = 1;
  j["threads"] = 1;
  j["cpu"] = r.cpu_model;
  // The counts are data-dependent (the decoder stops at EOS): means over the strings.
  j["counts_per_inference"] = mean_counts_json(r.total, r.samples);
  Summary impls = Summary::array();
  for (const auto& i : r.implementations) impls.push_back(implementation_json(i, r.warmup));
  j["implementations"] = impls;
  j["implementations_agree"] = r.implementations_agree;
  j["energy_per_inference"] = energies_json(r.energies, r.profile_files);
  j["rapl"] = rapl_json(r.rapl_attempted, r.rapl, r.rapl_implementation);
  if (r.has_axlstm) j["axlstm"] = axlstm_seq2seq_json(r.axlstm, r.total, r.samples);
  j["wall_s"] = r.wall_seconds;
  return j;
}

namespace {

std::string counts_text(const CpuOpCounts& n, std::uint64_t s) {
  std::string t = "operations per inference (mean over the strings, counted):\n";
  t += fmt::format("  multiply-accumulates (= synops)  {:>12.1f}\n", ratio_or_zero(n.mac, s));
  t += fmt::format("  adds / multiplies / compares     {:>12.1f} / {:.1f} / {:.1f}\n",
                   ratio_or_zero(n.add, s), ratio_or_zero(n.mul, s), ratio_or_zero(n.cmp, s));
  t += fmt::format("  nonlinearity evaluations         {:>12.1f}  ({:.1f} sigmoid/tanh)\n",
                   ratio_or_zero(n.nonlinearity, s), ratio_or_zero(n.transcendental, s));
  t += fmt::format("  neuron updates                   {:>12.1f}\n",
                   ratio_or_zero(n.neuron_updates, s));
  t += fmt::format("  weights read                     {:>12.1f} B  (working set {} B)\n",
                   ratio_or_zero(n.weight_bytes_read, s), n.weight_working_set_bytes);
  return t;
}

std::string axlstm_seq2seq_text(const Seq2SeqAxlstmResult& a, const CpuOpCounts& full) {
  std::string s = fmt::format(
      "AxLSTM (DTS {}, DSR {}), full and reduced timed back to back per string:\n",
      a.options.dts ? fmt::format("tau {}", a.options.dts_tau) : "off", to_string(a.options.dsr));
  s += fmt::format(
      "  layer-steps skipped {} of {} ({:.2f} %; encoder {} of {}), state evaluated {:.2f} %\n",
      a.skipped, a.layer_steps, 100 * ratio_or_zero(a.skipped, a.layer_steps), a.encoder_skipped,
      a.encoder_layer_steps, 100 * ratio_or_zero(a.cells_evaluated, a.cells_total));
  s += fmt::format("  operations (counted): {:.2f} % saved, MACs {:.2f} % saved\n",
                   100 * (1 - ratio_or_zero(arithmetic_ops(a.reduced_total), arithmetic_ops(full))),
                   100 * (1 - ratio_or_zero(a.reduced_total.mac, full.mac)));
  for (const auto& t : a.timings)
    s += fmt::format(
        "  {:<16} exact {:.2f} % -> {:.2f} %, tokens {:.2f} % -> {:.2f} %  median {} -> {}  "
        "speed-up {:.3f}x (mean {:.3f}x)\n",
        to_string(t.implementation), 100 * t.full.exact_fraction(),
        100 * t.reduced.exact_fraction(), 100 * t.full.token_fraction(),
        100 * t.reduced.token_fraction(), readable_time_ps(1e3 * t.median_ns_full),
        readable_time_ps(1e3 * t.median_ns_reduced), t.speedup_median(), t.speedup_mean());
  return s;
}

}  // namespace

std::string seq2seq_baseline_text(const Seq2SeqBaselineResult& r) {
  std::string s = fmt::format(
      "CPU baseline: {} (LSTM encoder-decoder, {} cell, {} + {} layers of {}, greedy "
      "decoding)\n",
      r.weights_file, r.modified ? "modified" : "standard", r.layers, r.layers, r.hidden);
  s += fmt::format(
      "dataset {}, {} strings (mean {:.2f} source symbols, {:.2f} decoder steps), batch size 1, "
      "1 thread, on {}\n",
      r.dataset, r.samples, ratio_or_zero(r.encoder_steps, r.samples),
      ratio_or_zero(r.decoder_steps, r.samples), r.cpu_model);
  s += counts_text(r.total, r.samples);
  s += "implementations (wall time per inference over the strings, after warm-up):\n";
  for (const auto& i : r.implementations) {
    s += fmt::format(
        "  {:<16} exact sequence {:.2f} %, tokens {:.2f} %  median {}  (p10 {}, p90 {})\n",
        to_string(i.implementation), 100 * i.quality.exact_fraction(),
        100 * i.quality.token_fraction(), readable_time_ps(1e3 * i.median_ns),
        readable_time_ps(1e3 * i.p10_ns), readable_time_ps(1e3 * i.p90_ns));
    s += fmt::format("  {:<16} {}\n", "", i.description);
    if (i.reference_strings > 0)
      s += fmt::format("  {:<16} vs the file's greedy outputs: {}/{} strings the same\n", "",
                       i.reference_agree, i.reference_strings);
  }
  s += fmt::format("  the two implementations give the same output on {} of {} strings\n",
                   r.implementations_agree, r.samples);
  s += energies_text(r.energies);
  s += rapl_text(r.rapl_attempted, r.rapl, r.rapl_implementation);
  if (r.has_axlstm) s += axlstm_seq2seq_text(r.axlstm, r.total);
  return s;
}

}  // namespace loihisim
