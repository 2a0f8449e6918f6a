#include "runtime/core_run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "io/errors.hpp"
#include "runtime/inference.hpp"
#include "runtime/chip_session.hpp"
#include "io/version.hpp"

namespace loihisim {
namespace {

// 1234567 -> "1,234,567" (locale-independent, so outputs do not depend on the environment).
std::string grouped(std::uint64_t x) {
  std::string digits = std::to_string(x);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string grouped(std::int64_t x) {
  if (x >= 0) return grouped(static_cast<std::uint64_t>(x));
  std::string s(1, '-');
  s += grouped(static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(x));
  return s;
}

constexpr std::size_t kSummaryCoreRows = 16;

}  // namespace


namespace {

// The session's recording of one core as that core's trace.
void fill_trace(CoreTrace& tr, const PopulationRecord& rec, const Recording& all, std::size_t core,
                std::size_t num_cores) {
  const auto n = static_cast<std::size_t>(tr.compartments);
  tr.u = rec.u;
  tr.v = rec.v;
  tr.spikes.assign(static_cast<std::size_t>(all.steps) * n, 0);
  for (std::size_t k = 0; k < rec.step.size(); ++k)
    tr.spikes[static_cast<std::size_t>(rec.step[k] - 1) * n +
              static_cast<std::size_t>(rec.neuron[k])] = 1;
  tr.step_counts.clear();
  for (std::int64_t s = 0; s < all.steps; ++s) {
    tr.step_counts.push_back(all.core_step_counts[static_cast<std::size_t>(s) * num_cores + core]);
    tr.counts += tr.step_counts.back();
  }
}

}  // namespace

CoreRunResult run_core_spec(const CoreSpec& spec, std::optional<int> steps_override,
                            const core::Architecture* arch) {
  const int steps = steps_override.value_or(spec.steps);
  std::int64_t total_compartments = 0;
  for (const auto& c : spec.chip.cores)
    total_compartments += static_cast<std::int64_t>(c.compartments.size());
  if (auto why = run_size_problem(steps, total_compartments))
    throw InputError(fmt::format("{}: steps = {}: {}", spec.source, steps, *why));

  ChipSession session(spec.chip, arch, core::AccountantOptions{true},
                      RecordOptions{true, true, true, true, true});
  session.begin_sample();
  CoreRunResult result;
  result.steps = steps;
  // The raster in step order (read_core_spec sorts it; a spec built in code need not be).
  std::vector<HostSpike> raster = spec.inputs;
  std::stable_sort(raster.begin(), raster.end(),
                   [](const HostSpike& a, const HostSpike& b) { return a.step < b.step; });
  auto next = raster.begin();
  for (int s = 1; s <= steps; ++s) {
    // Raster spikes at steps before 1 cannot be sent; the reader rejects them.
    while (next != raster.end() && next->step < s) ++next;
    for (; next != raster.end() && next->step == s; ++next) {
      session.send_axon(next->core, next->axon, next->payload);
      ++result.host_spikes;
    }
    session.step();
  }
  result.host_spikes_skipped = static_cast<std::uint64_t>(raster.end() - next);
  result.cores.resize(spec.chip.cores.size());
  for (std::size_t c = 0; c < result.cores.size(); ++c) {
    const auto& cfg = spec.chip.cores[c];
    auto& tr = result.cores[c];
    tr.compartments = static_cast<int>(cfg.compartments.size());
    tr.input_axons = static_cast<int>(cfg.input_axons.size());
    tr.output_axons = static_cast<int>(cfg.output_axons.size());
    tr.accumulator_depth = cfg.accumulator_depth;
    tr.synapse_memory_bits = core::synapse_memory_bits(cfg);
    fill_trace(tr, session.recording().populations[c], session.recording(), c,
               result.cores.size());
  }
  if (session.accountant())
    result.report = make_report(*session.accountant(), ReportOptions{1, {}, true});
  result.flows = session.recording().flows;
  return result;
}

void write_core_run(h5::Group& root, const CoreSpec& spec, const CoreRunResult& result) {
  root.set_attribute("format", std::string("loihisim core-run trace"));
  root.set_attribute("format_version", std::int64_t{1});
  root.set_attribute("loihisim_version", std::string(version()));
  root.set_attribute("spec", spec.source);
  root.set_attribute("steps", std::int64_t{result.steps});
  root.set_attribute("num_cores", static_cast<std::int64_t>(result.cores.size()));
  root.set_attribute("host_spikes", static_cast<std::int64_t>(result.host_spikes));
  root.set_attribute("host_spikes_skipped", static_cast<std::int64_t>(result.host_spikes_skipped));

  const auto steps = static_cast<std::uint64_t>(result.steps);
  h5::Group cores = root.create_group("cores");
  for (std::size_t c = 0; c < result.cores.size(); ++c) {
    const CoreTrace& tr = result.cores[c];
    h5::Group g = cores.create_group(std::to_string(c));
    g.set_attribute("compartments", std::int64_t{tr.compartments});
    g.set_attribute("input_axons", std::int64_t{tr.input_axons});
    g.set_attribute("output_axons", std::int64_t{tr.output_axons});
    g.set_attribute("accumulator_depth", std::int64_t{tr.accumulator_depth});
    g.set_attribute("synapse_memory_bits", tr.synapse_memory_bits);
    g.set_attribute("synapse_memory_capacity_bits", spec.chip.limits.synapse_memory_bits);
    const std::vector<std::uint64_t> dims = {steps, static_cast<std::uint64_t>(tr.compartments)};
    constexpr int kGzip = 4;  // spikes and quiet traces compress well
    g.write("u", tr.u, dims, kGzip);
    g.write("v", tr.v, dims, kGzip);
    g.write("spikes", tr.spikes, dims, kGzip);

    h5::Group counts = g.create_group("counts");
    for (const auto& f : core::kCountFields) {
      const std::string name(f.name);
      std::vector<std::uint64_t> per_step;
      per_step.reserve(tr.step_counts.size());
      for (const auto& sc : tr.step_counts) per_step.push_back(sc.*f.field);
      counts.write(name, per_step);
      counts.set_attribute(name, static_cast<std::int64_t>(tr.counts.*f.field));
    }
  }

  h5::Group inputs = root.create_group("inputs");
  std::vector<std::int32_t> step, core, axon, payload;
  for (const auto& s : spec.inputs) {
    step.push_back(s.step);
    core.push_back(s.core);
    axon.push_back(s.axon);
    payload.push_back(s.payload);
  }
  inputs.write("step", step);
  inputs.write("core", core);
  inputs.write("axon", axon);
  inputs.write("payload", payload);
}

std::string core_run_summary(const CoreSpec& spec, const CoreRunResult& result) {
  std::string s =
      fmt::format("core-run {}: {} core{}, {} steps\n", spec.source, result.cores.size(),
                  result.cores.size() == 1 ? "" : "s", result.steps);
  const std::int64_t capacity = spec.chip.limits.synapse_memory_bits;
  s += fmt::format("{:>4} {:>6} {:>6} {:>6} {:>21} {:>9} {:>11} {:>23} {:>9}\n", "core", "cx",
                   "axons", "axons", "synapse memory bits", "spikes", "synaptic", "compartment",
                   "spikes");
  s += fmt::format("{:>4} {:>6} {:>6} {:>6} {:>21} {:>9} {:>11} {:>23} {:>9}\n", "", "", "in",
                   "out", fmt::format("used / {}", grouped(capacity)), "", "ops",
                   "updates active / total", "out");
  const auto row = [&](const std::string& name, std::int64_t cx, std::int64_t in, std::int64_t out,
                       const std::string& bits, const core::CoreCounts& k) {
    s += fmt::format("{:>4} {:>6} {:>6} {:>6} {:>21} {:>9} {:>11} {:>23} {:>9}\n", name, cx, in,
                     out, bits, grouped(k.spikes), grouped(k.syn_ops()),
                     grouped(k.cx_updates_active) + " / " + grouped(k.cx_updates),
                     grouped(k.spikes_out));
  };
  core::CoreCounts total;
  std::int64_t cx = 0, in = 0, out = 0, bits = 0;
  for (std::size_t c = 0; c < result.cores.size(); ++c) {
    const CoreTrace& tr = result.cores[c];
    total += tr.counts;
    cx += tr.compartments;
    in += tr.input_axons;
    out += tr.output_axons;
    bits += tr.synapse_memory_bits;
    if (c >= kSummaryCoreRows) continue;  // one screen: the totals row covers the rest
    row(std::to_string(c), tr.compartments, tr.input_axons, tr.output_axons,
        grouped(tr.synapse_memory_bits), tr.counts);
  }
  if (result.cores.size() > kSummaryCoreRows)
    s += fmt::format("{:>4} ({} more cores, see the HDF5 file)\n", "...",
                     result.cores.size() - kSummaryCoreRows);
  if (result.cores.size() > 1) row("all", cx, in, out, grouped(bits), total);
  s += fmt::format("host spikes injected: {}", grouped(result.host_spikes));
  if (result.host_spikes_skipped > 0)
    s += fmt::format(" ({} raster spikes after step {} not injected)",
                     grouped(result.host_spikes_skipped), result.steps);
  s += fmt::format("; synaptic ops dense / sparse: {} / {}\n", grouped(total.syn_ops_dense),
                   grouped(total.syn_ops_sparse));
  return s;
}

namespace {

// The core-run report under the run report's keys (docs/reports.md, "run").
Summary core_run_as_run_summary(const CoreSpec& spec, const CoreRunResult& result,
                                const Report& r) {
  const Summary energy = report_summary(r)["energy"];
  const double latency_ns = static_cast<double>(r.latency_ps) / 1000.0;
  Summary pops = Summary::array();
  for (std::size_t c = 0; c < result.cores.size(); ++c) {
    const auto& tr = result.cores[c];
    std::uint64_t spikes = 0;
    for (const auto s : tr.spikes) spikes += s;
    const double neuron_steps = static_cast<double>(tr.compartments) * result.steps;
    pops.push_back({{"name", fmt::format("core {}", c)},
                    {"size", tr.compartments},
                    {"spikes", spikes},
                    {"spikes_per_neuron_per_step",
                     neuron_steps > 0 ? static_cast<double>(spikes) / neuron_steps : 0.0}});
  }
  return Summary{
      {"report", "core_run"},
      {"loihisim_version", std::string(version())},
      {"model", spec.source},
      {"architecture", r.architecture},
      {"dataset", "the spec's input raster"},
      {"samples", 1},
      {"chip", {{"time_ps", r.latency_ps}, {"energy", energy}}},
      {"per_inference",
       {{"chip_active_energy_pJ", energy["per_inference"]["dynamic_pJ"]},
        {"chip_total_energy_pJ", energy["per_inference"]["total_pJ"]},
        {"host_energy_pJ", 0.0},
        {"active_energy_pJ", energy["per_inference"]["dynamic_pJ"]},
        {"latency_ns", latency_ns},
        {"latency_min_ps", r.latency_ps},
        {"latency_max_ps", r.latency_ps},
        {"throughput_inferences_per_s", latency_ns > 0 ? 1e9 / latency_ns : 0.0}}},
      {"populations", pops},
      {"mapping", {{"cores_used", r.cores_in_use}, {"chips", r.chips_in_use}}}};
}

}  // namespace

HtmlReportInput core_run_html_input(const CoreSpec& spec, const CoreRunResult& result,
                                    const core::Architecture& arch, const std::string& source,
                                    const std::string& architecture_yaml) {
  if (!result.report) throw std::invalid_argument("core_run_html_input: a run without --arch");
  const Report& r = *result.report;
  HtmlReportInput in;
  in.source = source;
  in.summary = core_run_as_run_summary(spec, result, r);
  in.mesh = arch.mesh;
  in.architecture_yaml = architecture_yaml;
  for (const auto& c : r.by_core) {
    const auto p = static_cast<std::size_t>(c.physical);
    if (p >= in.core_busy_ps.size()) {
      in.core_busy_ps.resize(p + 1, 0);
      in.core_dynamic_fj.resize(p + 1, 0);
    }
    in.core_busy_ps[p] = c.totals.busy_ps;
    in.core_dynamic_fj[p] = c.dynamic_fj;
  }
  const std::size_t steps = std::min(r.step_records.size(), kMaxTraceSteps);
  for (const auto& c : r.critical) in.critical_names.push_back(c.component);
  for (std::size_t k = 0; k < steps; ++k) {
    in.step_ps.push_back(r.step_records[k].step_ps);
    in.step_critical.push_back(r.step_critical[k]);
  }
  for (std::size_t c = 0; c < result.cores.size(); ++c) {
    const auto& tr = result.cores[c];
    for (std::size_t k = 0; k < tr.spikes.size(); ++k) {
      const std::size_t step = k / static_cast<std::size_t>(std::max(tr.compartments, 1));
      if (!tr.spikes[k] || step >= steps) continue;
      in.spike_population.push_back(static_cast<std::int32_t>(c));
      in.spike_step.push_back(static_cast<std::int32_t>(step + 1));
      const auto compartments = static_cast<std::size_t>(tr.compartments);
      in.spike_neuron.push_back(static_cast<std::int32_t>(k % compartments));
    }
  }
  add_link_traffic(in, result.flows);
  return in;
}

}  // namespace loihisim
