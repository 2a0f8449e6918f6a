#include "runtime/free_run.hpp"

#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "io/errors.hpp"
#include "io/limits.hpp"
#include "io/summary_file.hpp"
#include "io/version.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/ranks.hpp"
#include "runtime/report_parts.hpp"

namespace loihisim {
namespace {

std::int64_t total_port_size(const mapper::MappedImage& image) {
  std::int64_t n = 0;
  for (const auto& p : image.input_ports) n += p.size;
  return n;
}

void check_free_run(const mapper::MappedImage& image, const SequenceDataset* input,
                    const FreeRunOptions& options) {
  if (options.threads < 1 || options.threads > 256)
    throw InputError(fmt::format("threads = {}: allowed 1..256", options.threads));
  if (options.steps < 1)
    throw InputError(fmt::format("steps = {}: a free run needs at least 1 step", options.steps));
  // The accountant keeps one record per step (the per-step arrays of the report).
  check_memory(bytes_for(static_cast<std::uint64_t>(options.steps), sizeof(core::StepRecord)),
               fmt::format("{} steps of per-step records", options.steps));
  if (!input) return;
  const std::int64_t ports = total_port_size(image);
  if (input->symbol_size != ports)
    throw InputError(fmt::format(
        "input {}: {} values per step, but the network's input ports have {} neurons in all",
        input->name, input->symbol_size, ports));
  if (options.input_sample >= input->size())
    throw InputError(fmt::format("input {}: sample {} does not exist (it has {} samples)",
                                 input->name, options.input_sample, input->size()));
}

// The compartment of every probed neuron, checked against the image.
std::vector<std::vector<mapper::CompartmentSite>> probe_sites(const mapper::MappedImage& image,
                                                              const FreeRunOptions& options) {
  std::vector<std::vector<mapper::CompartmentSite>> sites;
  std::uint64_t values = 0;
  for (const ProbeRequest& p : options.probes) {
    if (std::count_if(options.probes.begin(), options.probes.end(),
                      [&](const ProbeRequest& q) { return q.population == p.population; }) > 1)
      throw InputError(
          fmt::format("probe: population '{}' is probed twice; list all its neurons in one probe",
                      p.population));
    const auto it = std::find_if(image.populations.begin(), image.populations.end(),
                                 [&](const auto& q) { return q.name == p.population; });
    if (it == image.populations.end()) {
      std::string names;
      for (const auto& q : image.populations) names += (names.empty() ? "" : ", ") + q.name;
      throw InputError(fmt::format("probe: the network has no population '{}' (it has: {})",
                                   p.population, names));
    }
    auto& s = sites.emplace_back();
    for (const std::int32_t n : p.neurons) {
      if (n < 0 || n >= it->size)
        throw InputError(fmt::format("probe: population '{}' has neurons 0..{}, not {}",
                                     p.population, it->size - 1, n));
      s.push_back(it->site(n));
    }
    if (p.neurons.empty())
      for (std::int32_t n = 0; n < it->size; ++n) s.push_back(it->site(n));
    values += s.size();
  }
  check_memory(
      bytes_for(static_cast<std::uint64_t>(options.steps), values * 2 * sizeof(std::int32_t)),
      fmt::format("probe traces of {} neurons over {} steps", values, options.steps));
  return sites;
}

void record_probes(const core::Chip& chip,
                   const std::vector<std::vector<mapper::CompartmentSite>>& sites,
                   std::vector<ProbeTrace>& traces) {
  for (std::size_t p = 0; p < sites.size(); ++p)
    for (const auto& site : sites[p]) {
      if (!chip.owns(site.core)) {  // over ranks: its owner records it (gather_probes)
        traces[p].v.push_back(0);
        traces[p].u.push_back(0);
        continue;
      }
      const core::Neurocore& c = chip.core(site.core);
      traces[p].v.push_back(c.v()[static_cast<std::size_t>(site.compartment)]);
      traces[p].u.push_back(c.u()[static_cast<std::size_t>(site.compartment)]);
    }
}

// Each chip core's label for the report: the populations it holds, in image order.
std::vector<std::string> core_groups(const mapper::MappedImage& image) {
  std::vector<std::string> groups(image.cores.size());
  for (const auto& p : image.populations)
    for (const auto& b : p.blocks) {
      std::string& g = groups[static_cast<std::size_t>(b.core)];
      if (g == p.name || g.ends_with("+" + p.name)) continue;
      g += (g.empty() ? "" : "+") + p.name;
    }
  for (auto& g : groups)
    if (g.empty()) g = "unlabelled";
  return groups;
}

// Sends raster step `t` (0-based) of the chosen sample into the input ports.
std::uint64_t send_raster_step(ChipSession& session, const SequenceDataset& input,
                               std::size_t sample, int t) {
  const std::span<const float> x = input.symbol(sample, t);
  std::uint64_t sent = 0;
  std::size_t offset = 0;
  for (std::size_t k = 0; k < session.input_ports().size(); ++k) {
    const auto size = static_cast<std::size_t>(session.input_ports()[k].size);
    for (std::size_t j = 0; j < size; ++j)
      if (x[offset + j] != 0.0f) session.send(k, j), ++sent;
    offset += size;
  }
  return sent;
}

void count_spikes(const ChipSession& session, std::vector<PopulationSpikes>& pops) {
  const SpikeMap& m = session.spike_map();
  for (const std::int32_t c : m.cores)
    for (const std::int32_t cx : session.fired(c)) {
      const auto site = m.site[static_cast<std::size_t>(c)][static_cast<std::size_t>(cx)];
      if (site.population >= 0) ++pops[static_cast<std::size_t>(site.population)].spikes;
    }
}

// A session of the whole image, or of this rank's part of it when started by mpirun.
ChipSession make_session(const mapper::MappedImage& image, const core::Architecture& arch,
                         core::StepExchange* exchange, RecordOptions record,
                         const core::Distribution* distribution) {
  core::AccountantOptions accounting;
  accounting.keep_per_core_steps = false;
  if (!exchange) return ChipSession(image, &arch, accounting, record);
  const Ranks& r = ranks();
  return ChipSession(
      image, &arch,
      distribution ? *distribution : distribute_by_chips(image, arch, r.rank(), r.size()), exchange,
      accounting, record);
}

// Over ranks, every rank recorded the probed neurons of its own cores (zeros for the others):
// the reporter takes each neuron's values from the rank that owns its core. Collective.
void gather_probes(const core::Chip& chip,
                   const std::vector<std::vector<mapper::CompartmentSite>>& sites,
                   std::vector<ProbeTrace>& traces) {
  if (!chip.distributed()) return;
  const auto& owner = chip.distribution().owner;
  for (std::size_t p = 0; p < sites.size(); ++p)
    for (std::vector<std::int32_t>* values : {&traces[p].v, &traces[p].u}) {
      const std::vector<std::int32_t> all = ranks().gather(*values);
      if (all.empty()) continue;  // not the reporter
      const std::size_t n = sites[p].size(), size = values->size();
      for (std::size_t j = 0; j < size; ++j) {
        const auto rank =
            static_cast<std::size_t>(owner[static_cast<std::size_t>(sites[p][j % n].core)]);
        (*values)[j] = all[rank * size + j];
      }
    }
}

// Bytes of the image's core tables but the compartments (element counts x element sizes).
std::uint64_t image_table_bytes(const mapper::MappedImage& image) {
  std::uint64_t n = 0;
  for (const auto& c : image.cores) {
    n += c.profiles.size() * sizeof(c.profiles[0]) + c.formats.size() * sizeof(c.formats[0]) +
         c.input_axons.size() * sizeof(c.input_axons[0]) +
         c.output_axons.size() * sizeof(c.output_axons[0]);
    for (const auto& l : c.synapse_lists)
      n += sizeof(l) + l.mantissa.size() * sizeof(l.mantissa[0]) +
           l.index.size() * sizeof(l.index[0]) + l.delay.size() * sizeof(l.delay[0]);
  }
  return n;
}

// This process's peak resident memory in bytes (Linux reports kB).
std::uint64_t peak_rss_bytes() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

// The run's ranks, the memory of each rank's chip and the image's size (measured figures).
void add_rank_figures(FreeRunResult& r, const mapper::MappedImage& image,
                      const ChipSession& session, const core::StepReduce* reduce) {
  r.rank = ranks().rank();
  r.ranks = ranks().size();
  const core::MemoryBytes m = session.chip().memory();
  const auto synapses = ranks().gather(m.synapses);
  const auto compartments = ranks().gather(m.compartments);
  const auto other = ranks().gather(m.other);
  for (std::size_t k = 0; k < synapses.size(); ++k)
    r.rank_memory.push_back({synapses[k], compartments[k], other[k]});
  r.rank_chip_ns = ranks().gather(session.chip_ns());
  r.rank_accounting_ns = ranks().gather(session.accounting_ns());
  r.rank_exchange_ns = ranks().gather(session.chip().exchange_ns());
  r.rank_reduce_ns = ranks().gather(reduce ? reduce->reduce_ns() : 0);
  r.loop_seconds = ranks().max(r.loop_seconds);
  r.rank_peak_rss = ranks().gather(peak_rss_bytes());
  r.rank_image_bytes = ranks().gather(image_table_bytes(image));
  // Each rank counts the synapses of its own cores (it may hold no others' tables).
  std::uint64_t own_synapses = 0;
  for (std::size_t c = 0; c < image.cores.size(); ++c) {
    r.compartments += image.cores[c].compartments.size();
    if (!session.chip().owns(static_cast<int>(c))) continue;
    for (const auto& l : image.cores[c].synapse_lists) own_synapses += l.mantissa.size();
  }
  for (const std::uint64_t n : ranks().gather(own_synapses)) r.synapses += n;
}

}  // namespace

std::string rank_text(const FreeRunResult& r) {
  std::string s = fmt::format(
      "{} rank{} (measured chip memory per rank, bytes: synapse tables + "
      "compartments + other = total):\n",
      r.ranks, r.ranks == 1 ? "" : "s");
  core::MemoryBytes all;
  for (std::size_t k = 0; k < r.rank_memory.size(); ++k) {
    const auto& m = r.rank_memory[k];
    all += m;
    s += fmt::format("  rank {}: {} + {} + {} = {}", k, m.synapses, m.compartments, m.other,
                     m.total());
    if (k < r.rank_chip_ns.size()) {
      const auto us = [&](std::uint64_t ns) {
        return static_cast<double>(ns) / 1e3 /
               static_cast<double>(std::max<std::int64_t>(1, r.steps));
      };
      s += fmt::format(
          "; per step {:.1f} us stepping, {:.1f} us exchange, {:.1f} us accounting ({:.1f} us "
          "of it in reductions)",
          us(r.rank_chip_ns[k] - r.rank_exchange_ns[k]), us(r.rank_exchange_ns[k]),
          us(r.rank_accounting_ns[k]), us(k < r.rank_reduce_ns.size() ? r.rank_reduce_ns[k] : 0));
    }
    if (k < r.rank_image_bytes.size())
      s += fmt::format("; image tables {} bytes", r.rank_image_bytes[k]);
    if (k < r.rank_peak_rss.size()) s += fmt::format("; peak RSS {} bytes", r.rank_peak_rss[k]);
    s += "\n";
  }
  s += fmt::format(
      "runtime image: {} synapses, {} compartments; {:.2f} bytes per synapse, {:.2f} bytes per "
      "compartment, {:.2f} bytes per compartment all in\n",
      r.synapses, r.compartments,
      static_cast<double>(all.synapses) /
          static_cast<double>(std::max<std::uint64_t>(1, r.synapses)),
      static_cast<double>(all.compartments) /
          static_cast<double>(std::max<std::uint64_t>(1, r.compartments)),
      static_cast<double>(all.total()) /
          static_cast<double>(std::max<std::uint64_t>(1, r.compartments)));
  return s;
}

FreeRunResult free_run(const mapper::MappedImage& image, const core::Architecture& arch,
                       const SequenceDataset* input, const FreeRunOptions& options,
                       const std::atomic<bool>* cancel,
                       const std::function<void(std::int64_t)>& progress) {
  check_free_run(image, input, options);
  const auto sites = probe_sites(image, options);
  RecordOptions record;
  record.spikes = options.record_spikes;
  const std::unique_ptr<core::StepExchange> exchange = ranks().step_exchange();
  ChipSession session = make_session(image, arch, exchange.get(), record, options.distribution);
  // Over ranks with the analytic network model, each rank accounts its own cores.
  std::unique_ptr<core::StepReduce> reduce;
  if (exchange && arch.network.model == core::NetworkModel::kAnalytic) {
    reduce = ranks().step_reduce();
    session.distribute_accounting(reduce.get());
  }
  std::optional<core::StepThreads> threads;
  if (options.threads > 1) {
    threads.emplace(options.threads);
    session.set_step_threads(&*threads);
  }
  session.begin_sample();
  FreeRunResult r;
  for (const auto& p : image.populations) r.populations.push_back({p.name, p.size, 0, {}, {}});
  for (std::size_t p = 0; p < sites.size(); ++p) {
    ProbeTrace& t = r.probes.emplace_back();
    t.population = options.probes[p].population;
    t.neurons = options.probes[p].neurons;
    if (t.neurons.empty())
      for (std::int32_t n = 0; n < static_cast<std::int32_t>(sites[p].size()); ++n)
        t.neurons.push_back(n);
    const auto n = static_cast<std::size_t>(options.steps) * sites[p].size();
    t.v.reserve(n);
    t.u.reserve(n);
  }
  // The host reads the output ports' spikes every step; other populations are observed by the
  // simulator, not moved over the host link.
  core::HostTraffic traffic;
  for (const auto& p : image.output_ports) traffic.readbacks += p.neurons.size();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t s = 1; s <= options.steps; ++s) {
    if (cancel && cancel->load()) break;
    // Raster step t is sent during chip step t + 1 (integrated in the step after it is sent).
    if (input && s - 1 < input->num_symbols)
      r.input_spikes +=
          send_raster_step(session, *input, options.input_sample, static_cast<int>(s - 1));
    session.step(traffic);
    count_spikes(session, r.populations);
    if (!sites.empty()) record_probes(session.chip(), sites, r.probes);
    r.steps = s;
    if (progress && (s % 256 == 0 || s == options.steps)) progress(s);
  }
  r.loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  session.gather_accounts();
  gather_probes(session.chip(), sites, r.probes);
  add_rank_figures(r, image, session, reduce.get());
  // Only the reporter has every core's spikes (and, without distributed accounting, an
  // accountant).
  if (r.rank != core::Distribution::kReporter || !session.accountant()) return r;
  r.spikes_recorded = options.record_spikes;
  if (options.record_spikes)
    for (std::size_t p = 0; p < r.populations.size(); ++p) {
      r.populations[p].step = session.recording().populations[p].step;
      r.populations[p].neuron = session.recording().populations[p].neuron;
    }
  ReportOptions ro;
  ro.core_groups = core_groups(image);
  ro.per_step = true;
  ro.per_core_steps = false;
  r.report = make_report(*session.accountant(), ro);
  return r;
}

std::string free_run_text(const FreeRunResult& r) {
  std::string s = fmt::format("{} steps, {} input spikes\n", r.steps, r.input_spikes);
  s += fmt::format("{:<24} {:>10} {:>14} {:>22}\n", "population", "neurons", "spikes",
                   "spikes/neuron/step");
  for (const auto& p : r.populations)
    s += fmt::format("{:<24} {:>10} {:>14} {:>22.6f}\n", p.name, p.neurons, p.spikes,
                     r.steps > 0 && p.neurons > 0
                         ? static_cast<double>(p.spikes) / static_cast<double>(p.neurons) /
                               static_cast<double>(r.steps)
                         : 0.0);
  const double steps = static_cast<double>(std::max<std::int64_t>(1, r.steps));
  s += fmt::format("per step: chip active energy {:.3f} nJ, total {:.3f} nJ, latency {:.3f} us\n",
                   static_cast<double>(r.report.energy.dynamic_fj) / steps / 1e6,
                   static_cast<double>(r.report.energy.total_fj) / steps / 1e6,
                   static_cast<double>(r.report.latency_ps) / steps / 1e6);
  std::uint64_t syn_ops = 0;
  for (const auto& g : r.report.by_group) syn_ops += g.counts.syn_ops();
  s += fmt::format(
      "simulated in {:.3f} s (measured): {:.4g} steps/s, {} synaptic events, {:.4g} synaptic "
      "events/s\n",
      r.loop_seconds, static_cast<double>(r.steps) / std::max(r.loop_seconds, 1e-9), syn_ops,
      static_cast<double>(syn_ops) / std::max(r.loop_seconds, 1e-9));
  return s + rank_text(r) + "\n" + report_text(r.report);
}

Summary free_run_summary(const FreeRunResult& r, const std::string& network) {
  Summary doc = report_summary(r.report);
  doc["report"] = "simulate";
  doc["network"] = network;
  doc["input_spikes"] = r.input_spikes;
  const auto steps = static_cast<std::uint64_t>(std::max<std::int64_t>(1, r.steps));
  doc["per_step"] = {
      {"chip_active_energy_pJ", per_inference_milli(r.report.energy.dynamic_fj, steps)},
      {"chip_total_energy_pJ", per_inference_milli(r.report.energy.total_fj, steps)},
      {"latency_ns", per_inference_milli(r.report.latency_ps, steps)}};
  Summary pops = Summary::array();
  for (const auto& p : r.populations)
    pops.push_back({{"name", p.name}, {"neurons", p.neurons}, {"spikes", p.spikes}});
  doc["populations"] = pops;
  return doc;
}

void write_free_run_h5(h5::Group& root, const FreeRunResult& r, const std::string& network) {
  root.set_attribute("report", std::string("simulate"));
  root.set_attribute("loihisim_version", version());
  root.set_attribute("network", network);
  root.set_attribute("steps", r.steps);
  root.set_attribute("input_spikes", static_cast<std::int64_t>(r.input_spikes));
  h5::Group pops = root.create_group("populations");
  for (const auto& p : r.populations) {
    h5::Group g = pops.create_group(p.name);
    g.set_attribute("neurons", std::int64_t{p.neurons});
    g.set_attribute("spikes", static_cast<std::int64_t>(p.spikes));
    if (r.spikes_recorded) {
      g.write("step", p.step);
      g.write("neuron", p.neuron);
    }
  }
  if (!r.probes.empty()) {
    h5::Group probes = root.create_group("probes");
    for (const ProbeTrace& t : r.probes) {
      h5::Group g = probes.create_group(t.population);
      const auto n = static_cast<std::uint64_t>(t.neurons.size());
      const auto steps = n > 0 ? static_cast<std::uint64_t>(t.v.size()) / n : 0;
      g.write("neuron", t.neurons);
      g.write("v", t.v, {steps, n});
      g.write("u", t.u, {steps, n});
    }
  }
  h5::Group energy = root.create_group("energy");
  write_report_h5(energy, r.report);
}

}  // namespace loihisim
