#include "runtime/run_report.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/readable_units.hpp"
#include "io/summary_file.hpp"
#include "io/version.hpp"
#include "runtime/board_report.hpp"
#include "runtime/html_report.hpp"
#include "runtime/report_parts.hpp"

namespace loihisim {
namespace {

core::EnergyCounts core_events(const core::CoreTotals& t) {
  core::EnergyCounts e;
  core::add_core_counts(e, t.counts);
  e[core::EnergyEvent::kWithinTile] += t.within_tile;
  e[core::EnergyEvent::kEastWestHop] += t.east_west_hops;
  e[core::EnergyEvent::kNorthSouthHop] += t.north_south_hops;
  e[core::EnergyEvent::kChipHop] += t.chip_hops;
  e[core::EnergyEvent::kBoardHop] += t.board_hops;
  return e;
}

std::string core_ranges(std::vector<int> cores) {
  std::sort(cores.begin(), cores.end());
  cores.erase(std::unique(cores.begin(), cores.end()), cores.end());
  std::string s;
  for (std::size_t i = 0; i < cores.size();) {
    std::size_t j = i;
    while (j + 1 < cores.size() && cores[j + 1] == cores[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += j == i ? std::to_string(cores[i]) : fmt::format("{}-{}", cores[i], cores[j]);
    i = j + 1;
  }
  return s;
}

// Sample 0 step by step: step times and critical components, spikes, and the messages on each
// mesh link (the core-to-core flows routed X then Y, core::route()).
void fill_trace(HtmlReportInput& in, const SampleTrace& t, const core::Architecture& arch) {
  for (std::size_t k = 0; k < t.steps.size(); ++k) {
    in.step_ps.push_back(t.steps[k].step_ps);
    const auto it = std::find(in.critical_names.begin(), in.critical_names.end(), t.critical[k]);
    in.step_critical.push_back(static_cast<std::int32_t>(it - in.critical_names.begin()));
    if (it == in.critical_names.end()) in.critical_names.push_back(t.critical[k]);
  }
  for (std::size_t p = 0; p < t.populations.size(); ++p)
    for (std::size_t k = 0; k < t.populations[p].step.size(); ++k) {
      in.spike_population.push_back(static_cast<std::int32_t>(p));
      in.spike_step.push_back(t.populations[p].step[k]);
      in.spike_neuron.push_back(t.populations[p].neuron[k]);
    }
  in.mesh = arch.mesh;
  add_link_traffic(in, t.flows);
}

void write_trace(h5::Group& root, const SampleTrace& t, const core::Architecture& arch) {
  HtmlReportInput in;
  fill_trace(in, t, arch);
  auto g = root.create_group("trace");
  std::vector<std::int64_t> compute, network, host, barrier, readback;
  for (const auto& rec : t.steps) {
    compute.push_back(rec.compute_ps);
    network.push_back(rec.network_ps);
    host.push_back(rec.host_ps);
    barrier.push_back(rec.barrier_ps);
    readback.push_back(rec.readback_ps);
  }
  g.write("step_ps", in.step_ps);
  g.write("compute_ps", compute);
  g.write("network_ps", network);
  g.write("host_link_ps", host);
  g.write("barrier_ps", barrier);
  g.write("readback_ps", readback);
  g.write("critical", in.step_critical);
  g.set_attribute("critical_names_json", Summary(in.critical_names).dump());
  g.write("spike_population", in.spike_population);
  g.write("spike_step", in.spike_step);
  g.write("spike_neuron", in.spike_neuron);
  g.write("link", in.link_ids);
  g.write("link_messages", in.link_messages);
}

// The cores' totals (chip core i is physical core i of the architecture's mesh), the mesh and the
// architecture's text; sample 0's trace when kept.
void write_run_extras(h5::Group& root, const RunReport& r, const InferenceRun& run,
                      const core::Architecture& arch) {
  const auto& g = arch.mesh;
  Summary mesh{{"chips_x", g.chips_x},
               {"chips_y", g.chips_y},
               {"tiles_x", g.tiles_x},
               {"tiles_y", g.tiles_y},
               {"cores_per_tile", g.cores_per_tile}};
  if (g.has_boards()) {  // several boards (chips numbered board-major); absent = one board
    mesh["board_chips_x"] = g.board_chips_x;
    mesh["board_chips_y"] = g.board_chips_y;
  }
  root.set_attribute("mesh_json", mesh.dump());
  if (!r.info.architecture_yaml.empty())
    root.set_attribute("architecture_yaml", r.info.architecture_yaml);
  auto cores = root.create_group("cores");
  std::vector<std::int32_t> ids;
  for (std::size_t c = 0; c < r.core_busy_ps.size(); ++c)
    ids.push_back(static_cast<std::int32_t>(c));
  cores.write("core", ids);
  cores.write("busy_ps", r.core_busy_ps);
  cores.write("dynamic_fJ", r.core_dynamic_fj);
  cores.write("syn_ops", r.core_syn_ops);
  if (run.completed > 0 && run.samples[0].trace) write_trace(root, *run.samples[0].trace, arch);
}

// Per-symbol skipping and the encoder-decoder's token counts of one sample into the totals.
void add_sequence_counts(RunReport& r, const SampleResult& s) {
  r.symbols_probed += s.symbols_probed;
  r.symbols_skipped += s.symbols_skipped;
  r.tokens += static_cast<std::uint64_t>(s.tokens);
  r.correct_tokens += static_cast<std::uint64_t>(s.correct_tokens);
}

// The encoder-decoder's scores (docs/reports.md, "run"): exact sequences and tokens.
Summary sequence_summary(const RunReport& r) {
  Summary j;
  j["exact_accuracy"] = r.accuracy;
  j["exact"] = r.correct;
  j["tokens"] = r.tokens;
  j["correct_tokens"] = r.correct_tokens;
  j["token_accuracy"] = static_cast<double>(r.correct_tokens) / static_cast<double>(r.tokens);
  return j;
}

}  // namespace

RunReport make_run_report(const RunInfo& info, const InferenceOptions& options,
                          const mapper::MappedImage& image, const core::Architecture& arch,
                          const InferenceRun& run, const std::optional<core::SystemCosts>& system) {
  RunReport r;
  r.info = info;
  r.options = options;
  r.samples = run.completed;
  r.wall_seconds = run.wall_seconds;
  core::EnergyCounts events;
  const std::size_t n_cores = image.cores.size();
  std::vector<core::EnergyCounts> per_core(n_cores);
  r.core_syn_ops.assign(n_cores, 0);
  r.core_busy_ps.assign(n_cores, 0);
  std::vector<std::uint64_t> pop_spikes(image.populations.size(), 0);
  std::vector<PayloadStats> pop_payloads;  // empty without graded populations
  bool first = true;
  for (std::uint64_t i = 0; i < run.completed; ++i) {
    const SampleResult& s = run.samples[i];
    r.correct += s.prediction == s.label ? 1 : 0;
    events += s.chip_events;
    r.host_ops += s.host;
    r.input_spikes += s.input_spikes;
    r.input_payload_bits += s.input_payload_bits;
    const std::int64_t host_fj = host_energy_fj(options.host_costs, s.host);
    const std::int64_t host_ps = host_time_ps(options.host_costs, s.host);
    r.host_fj += host_fj;
    r.host_ps += host_ps;
    r.chip_steps += s.chip_steps;
    r.chip_ps += s.chip_ps;
    add_sequence_counts(r, s);
    const std::int64_t latency = s.chip_ps + host_ps;
    r.min_latency_ps = first ? latency : std::min(r.min_latency_ps, latency);
    r.max_latency_ps = first ? latency : std::max(r.max_latency_ps, latency);
    first = false;
    for (std::size_t c = 0; c < s.core_totals.size() && c < n_cores; ++c) {
      per_core[c] += core_events(s.core_totals[c]);
      r.core_syn_ops[c] += s.core_totals[c].counts.syn_ops();
      r.core_busy_ps[c] += s.core_totals[c].busy_ps;
    }
    for (std::size_t p = 0; p < s.population_spikes.size(); ++p)
      pop_spikes[p] += s.population_spikes[p];
    if (!s.population_payloads.empty()) {
      pop_payloads.resize(s.population_payloads.size());
      for (std::size_t p = 0; p < s.population_payloads.size(); ++p)
        pop_payloads[p] += s.population_payloads[p];
    }
  }
  r.accuracy = r.samples ? static_cast<double>(r.correct) / static_cast<double>(r.samples) : 0.0;
  r.chip = core::energy_breakdown(arch, events);
  for (const auto& c : per_core)
    r.core_dynamic_fj.push_back(core::energy_breakdown(arch, c).dynamic_fj);
  for (std::size_t p = 0; p < image.populations.size(); ++p) {
    const auto& pop = image.populations[p];
    PopulationActivity a;
    a.name = pop.name;
    a.size = pop.size;
    a.spikes = pop_spikes[p];
    const double neuron_steps = static_cast<double>(pop.size) * static_cast<double>(r.chip_steps);
    a.rate = neuron_steps > 0 ? static_cast<double>(a.spikes) / neuron_steps : 0.0;
    if (p < pop_payloads.size() && pop.size > 0) {
      const auto site = pop.site(0);
      const auto& core = image.cores[static_cast<std::size_t>(site.core)];
      const auto& cx = core.compartments[static_cast<std::size_t>(site.compartment)];
      a.graded =
          core.profiles[static_cast<std::size_t>(cx.profile)].spike == core::SpikeKind::kGraded;
    }
    if (a.graded) a.payloads = pop_payloads[p];
    std::vector<int> cores;
    for (const auto& b : pop.blocks) cores.push_back(b.core);
    a.cores = core_ranges(cores);
    r.populations.push_back(std::move(a));
  }
  r.cores_used = image.cores_used();
  r.chips = image.mesh.num_chips();
  r.system = system;
  if (system) r.board = run_board_level(*system, {&r.chip, r.chip_steps, r.latency_ps()});
  return r;
}

namespace {

// A graded population's payload statistics (docs/running.md, "Graded payloads").
Summary payload_summary(const PopulationActivity& p, std::uint64_t samples,
                        std::int64_t chip_steps) {
  const PayloadStats& st = p.payloads;
  const double spikes = static_cast<double>(std::max<std::uint64_t>(st.spikes, 1));
  const double neuron_samples = static_cast<double>(p.size) * static_cast<double>(samples);
  const double steps = static_cast<double>(std::max<std::int64_t>(chip_steps, 1));
  return {{"graded_spikes", st.spikes},
          {"payload_sum", st.payload_sum},
          {"max_payload", st.max_payload},
          {"mean_payload", static_cast<double>(st.payload_sum) / spikes},
          {"bits_per_activation", neuron_samples > 0 ? st.width_sum / neuron_samples : 0.0},
          {"significant_bits_per_spike", static_cast<double>(st.significant_bits) / spikes},
          {"payload_bits_per_step", static_cast<double>(st.payload_bits) / steps}};
}

// Timestep skipping's counts (docs/reports.md, "run": `dts`).
Summary dts_summary(const RunReport& r) {
  const DtsSpec& d = r.options.dts;
  return {{"tau", d.tau},
          {"probe_encoders", d.probe_encoders},
          {"probe_port", d.probe_port},
          {"probe_steps", d.probe_steps > 0 ? d.probe_steps : r.options.steps_per_symbol},
          {"symbols_probed", r.symbols_probed},
          {"symbols_skipped", r.symbols_skipped},
          {"fraction_skipped", r.symbols_probed ? static_cast<double>(r.symbols_skipped) /
                                                      static_cast<double>(r.symbols_probed)
                                                : 0.0}};
}

Summary populations_summary(const RunReport& r) {
  Summary pops = Summary::array();
  for (const auto& p : r.populations) {
    Summary e = {{"name", p.name},
                 {"size", p.size},
                 {"spikes", p.spikes},
                 {"spikes_per_neuron_per_step", p.rate},
                 {"cores", p.cores}};
    if (p.graded) e["payloads"] = payload_summary(p, r.samples, r.chip_steps);
    pops.push_back(std::move(e));
  }
  return pops;
}

}  // namespace

Summary run_report_summary(const RunReport& r) {
  using json = Summary;
  const std::uint64_t n = r.samples;
  const auto per = [&](std::int64_t total) { return per_inference_milli(total, n); };
  json j;
  j["report"] = "run";
  j["loihisim_version"] = version();
  j["model"] = r.info.model;
  j["architecture"] = r.info.architecture;
  j["dataset"] = r.info.dataset;
  j["samples"] = r.samples;
  j["steps_per_symbol"] = r.options.steps_per_symbol;
  j["reset"] = to_string(r.options.reset);
  j["input_timing"] = to_string(r.options.input_timing);
  j["threads"] = r.info.threads;
  j["wall_s"] = r.wall_seconds;
  j["simulated_inferences_per_wall_s"] =
      r.wall_seconds > 0 ? static_cast<double>(r.samples) / r.wall_seconds : 0.0;
  j["accuracy"] = {{"correct", r.correct}, {"samples", r.samples}, {"fraction", r.accuracy}};
  if (r.tokens > 0) j["sequence"] = sequence_summary(r);
  const double samples = static_cast<double>(std::max<std::uint64_t>(n, 1));
  json chip;
  chip["steps"] = r.chip_steps;
  chip["time_ps"] = r.chip_ps;
  chip["per_inference"] = {{"steps", static_cast<double>(r.chip_steps) / samples},
                           {"time_ns", per(r.chip_ps)}};
  chip["energy"] = energy_summary(r.chip, n);
  json cores = json::array();
  for (std::size_t c = 0; c < r.core_dynamic_fj.size(); ++c)
    if (r.core_dynamic_fj[c] != 0)
      cores.push_back(
          {{"core", c}, {"dynamic_fJ", r.core_dynamic_fj[c]}, {"syn_ops", r.core_syn_ops[c]}});
  chip["by_core"] = cores;
  j["chip"] = chip;
  json host;
  host["location"] = to_string(r.options.host_costs.location);
  host["number_format"] = r.options.host_format.name();
  host["energy_fJ"] = r.host_fj;
  host["time_ps"] = r.host_ps;
  host["per_inference"] = {
      {"energy_pJ", per(r.host_fj)},
      {"time_ns", per(r.host_ps)},
      {"input_spikes", static_cast<double>(r.input_spikes) / samples},
      {"input_payload_bits", static_cast<double>(r.input_payload_bits) / samples}};
  host["ops_total"] = {{"mul", r.host_ops.mul},
                       {"add", r.host_ops.add},
                       {"cmp", r.host_ops.cmp},
                       {"nonlin", r.host_ops.nonlin},
                       {"bytes_read", r.host_ops.bytes_read},
                       {"bytes_written", r.host_ops.bytes_written},
                       {"saturations", r.host_ops.saturations}};
  const auto& hc = r.options.host_costs;
  host["cost_table"] = {{"mul_fJ", hc.mul_fj},       {"add_fJ", hc.add_fj},
                        {"cmp_fJ", hc.cmp_fj},       {"nonlin_fJ", hc.nonlin_fj},
                        {"byte_fJ", hc.byte_fj},     {"mul_ps", hc.mul_ps},
                        {"add_ps", hc.add_ps},       {"cmp_ps", hc.cmp_ps},
                        {"nonlin_ps", hc.nonlin_ps}, {"byte_ps", hc.byte_ps}};
  j["host"] = host;
  j["per_inference"] = {
      {"latency_ns", per(r.latency_ps())},
      {"latency_min_ps", r.min_latency_ps},
      {"latency_max_ps", r.max_latency_ps},
      {"throughput_inferences_per_s",
       r.latency_ps() > 0 ? samples / (static_cast<double>(r.latency_ps()) * 1e-12) : 0.0},
      {"chip_active_energy_pJ", per(r.chip.dynamic_fj)},
      {"chip_total_energy_pJ", per(r.chip.total_fj)},
      {"host_energy_pJ", per(r.host_fj)},
      {"active_energy_pJ", per(r.chip.dynamic_fj + r.host_fj)},
      {"total_energy_pJ", per(r.chip.total_fj + r.host_fj)}};
  if (r.board) j["board"] = board_summary(*r.system, *r.board, n);
  if (r.options.dts.enabled()) j["dts"] = dts_summary(r);
  j["populations"] = populations_summary(r);
  j["mapping"] = {{"cores_used", r.cores_used}, {"chips", r.chips}, {"placer", r.info.placer}};
  return j;
}

std::string run_report_text(const RunReport& r) {
  const double n = static_cast<double>(std::max<std::uint64_t>(r.samples, 1));
  std::string s;
  s += fmt::format("model {} on {} ({}), {} inferences, T = {}, reset per {}, inputs {}\n",
                   r.info.model, r.info.architecture, r.info.dataset, r.samples,
                   r.options.steps_per_symbol, to_string(r.options.reset),
                   r.options.input_timing == InputTiming::kSameStep ? "integrated in their step"
                                                                    : "one step later");
  if (r.tokens > 0) {
    s += fmt::format("exact sequences     {:.2f} % ({} / {})\n", 100.0 * r.accuracy, r.correct,
                     r.samples);
    s += fmt::format("token accuracy      {:.2f} % ({} / {})\n",
                     100.0 * static_cast<double>(r.correct_tokens) / static_cast<double>(r.tokens),
                     r.correct_tokens, r.tokens);
  } else {
    s += fmt::format("accuracy            {:.2f} % ({} / {})\n", 100.0 * r.accuracy, r.correct,
                     r.samples);
  }
  s += "per inference:\n";
  s += fmt::format("  chip active energy  {}\n",
                   readable_energy_fj(static_cast<double>(r.chip.dynamic_fj) / n));
  s += fmt::format("  chip total energy   {}  (static {})\n",
                   readable_energy_fj(static_cast<double>(r.chip.total_fj) / n),
                   readable_energy_fj(static_cast<double>(r.chip.static_fj) / n));
  s += fmt::format("  host energy         {}  ({} host, {})\n",
                   readable_energy_fj(static_cast<double>(r.host_fj) / n),
                   to_string(r.options.host_costs.location), r.options.host_format.name());
  s += fmt::format("  latency             {}  (chip {} in {:.0f} steps, host {})\n",
                   readable_time_ps(static_cast<double>(r.latency_ps()) / n),
                   readable_time_ps(static_cast<double>(r.chip_ps) / n),
                   static_cast<double>(r.chip_steps) / n,
                   readable_time_ps(static_cast<double>(r.host_ps) / n));
  s += fmt::format("  throughput          {:.1f} inferences/s (one at a time)\n",
                   r.latency_ps() > 0 ? n / (static_cast<double>(r.latency_ps()) * 1e-12) : 0.0);
  if (r.board) s += board_text(*r.board, r.samples);
  if (r.options.dts.enabled())
    s += fmt::format("  timestep skipping   tau {}: {} of {} probed symbols skipped ({:.1f} %)\n",
                     r.options.dts.tau, r.symbols_skipped, r.symbols_probed,
                     r.symbols_probed ? 100.0 * static_cast<double>(r.symbols_skipped) /
                                            static_cast<double>(r.symbols_probed)
                                      : 0.0);
  s += "chip energy by event kind (per inference):\n";
  for (const auto& l : r.chip.lines) {
    if (l.count == 0) continue;
    if (core::is_static(l.event))
      s += fmt::format("  {:<22} {:>16} x {:>10} uW  = {}\n", core::energy_event_name(l.event),
                       readable_time_ps(static_cast<double>(l.count) / n) + " chips", l.per_unit,
                       readable_energy_fj(static_cast<double>(l.energy_fj) / n));
    else
      s += fmt::format("  {:<22} {:>16.1f} x {:>10} fJ  = {}\n", core::energy_event_name(l.event),
                       static_cast<double>(l.count) / n, l.per_unit,
                       readable_energy_fj(static_cast<double>(l.energy_fj) / n));
  }
  s += "populations (spikes per neuron per step):\n";
  for (const auto& p : r.populations) {
    s += fmt::format("  {:<16} {:>6} neurons  rate {:.4f}  cores {}\n", p.name, p.size, p.rate,
                     p.cores);
    if (!p.graded || p.payloads.spikes == 0) continue;
    const auto& st = p.payloads;
    const double spikes = static_cast<double>(st.spikes);
    s += fmt::format(
        "  {:<16} graded payloads: mean {:.3f}, max {}, {:.3f} bits per activation, {:.3f} "
        "significant bits per spike\n",
        "", static_cast<double>(st.payload_sum) / spikes, st.max_payload,
        st.width_sum / (static_cast<double>(p.size) * n),
        static_cast<double>(st.significant_bits) / spikes);
  }
  s += fmt::format("mapping: {} cores used on {} chip(s), placer {}\n", r.cores_used, r.chips,
                   r.info.placer);
  s += fmt::format("simulated in {:.2f} s on {} thread(s): {:.1f} inferences/s\n", r.wall_seconds,
                   r.info.threads,
                   r.wall_seconds > 0 ? static_cast<double>(r.samples) / r.wall_seconds : 0.0);
  return s;
}

void write_run_summary(const RunReport& r, const std::filesystem::path& path) {
  write_summary(run_report_summary(r), path);
}

void write_run_h5(const RunReport& r, const InferenceRun& run, const mapper::MappedImage& image,
                  const core::Architecture& arch, const std::filesystem::path& path) {
  AtomicOutput out(path);
  {
    auto root = h5::create_file(out);
    const std::uint64_t n = r.samples;
    std::vector<std::int32_t> labels, predictions;
    std::vector<std::int64_t> chip_ps, host_ps, steps, dynamic_fj, total_fj, host_fj;
    std::vector<double> outputs;
    std::vector<std::uint64_t> pop_spikes, ops;
    std::uint64_t out_size = n ? run.samples[0].output.size() : 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto& s = run.samples[i];
      labels.push_back(s.label);
      predictions.push_back(s.prediction);
      chip_ps.push_back(s.chip_ps);
      host_ps.push_back(host_time_ps(r.options.host_costs, s.host));
      host_fj.push_back(host_energy_fj(r.options.host_costs, s.host));
      steps.push_back(s.chip_steps);
      outputs.insert(outputs.end(), s.output.begin(), s.output.end());
      pop_spikes.insert(pop_spikes.end(), s.population_spikes.begin(), s.population_spikes.end());
      ops.insert(ops.end(), {s.host.mul, s.host.add, s.host.cmp, s.host.nonlin, s.host.bytes_read,
                             s.host.bytes_written});
      const auto e = core::energy_breakdown(arch, s.chip_events);
      dynamic_fj.push_back(e.dynamic_fj);
      total_fj.push_back(e.total_fj);
    }
    auto samples = root.create_group("samples");
    samples.write("label", labels);
    samples.write("prediction", predictions);
    samples.write("output", outputs, {n, out_size});
    samples.write("chip_steps", steps);
    samples.write("chip_time_ps", chip_ps);
    samples.write("host_time_ps", host_ps);
    samples.write("chip_dynamic_fJ", dynamic_fj);
    samples.write("chip_total_fJ", total_fj);
    samples.write("host_energy_fJ", host_fj);
    samples.write("host_ops", ops, {n, 6});
    samples.set_attribute("host_ops_columns",
                          std::string("mul,add,cmp,nonlin,bytes_read,bytes_written"));
    samples.write("population_spikes", pop_spikes, {n, image.populations.size()});
    std::string pop_names;
    for (const auto& p : image.populations) pop_names += (pop_names.empty() ? "" : ",") + p.name;
    samples.set_attribute("population_names", pop_names);
    std::vector<std::uint64_t> events;
    for (std::uint64_t i = 0; i < n; ++i)
      events.insert(events.end(), run.samples[i].chip_events.n.begin(),
                    run.samples[i].chip_events.n.end());
    samples.write("chip_events", events, {n, core::kNumEnergyEvents});
    std::string event_names;
    for (std::size_t e = 0; e < core::kNumEnergyEvents; ++e)
      event_names += std::string(event_names.empty() ? "" : ",") +
                     std::string(core::energy_event_name(core::energy_event(e)));
    samples.set_attribute("chip_events_columns", event_names);
    root.set_attribute("summary_json", run_report_summary(r).dump());
    root.set_attribute("loihisim_version", std::string(version()));
    root.set_attribute("accuracy", r.accuracy);
    root.set_attribute("samples", static_cast<std::int64_t>(n));
    write_run_extras(root, r, run, arch);
  }
  out.commit();
}

HtmlReportInput html_report_input(const RunReport& r, const InferenceRun& run,
                                  const core::Architecture& arch, const std::string& source) {
  HtmlReportInput in;
  in.source = source;
  in.summary = run_report_summary(r);
  in.mesh = arch.mesh;
  in.core_busy_ps = r.core_busy_ps;
  in.core_dynamic_fj = r.core_dynamic_fj;
  in.architecture_yaml = r.info.architecture_yaml;
  if (run.completed > 0 && run.samples[0].trace) fill_trace(in, *run.samples[0].trace, arch);
  return in;
}

}  // namespace loihisim
