#include "runtime/nir_run.hpp"
#include "models/nir_files.hpp"

#include <fmt/core.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "core/chip.hpp"
#include "core/chip_accountant.hpp"
#include "io/atomic_output.hpp"
#include "runtime/chip_session.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models::nir {
namespace {

// The image population of each lowered population.
std::vector<std::size_t> image_populations(const Lowered& lowered,
                                           const mapper::MappedImage& image) {
  std::vector<std::size_t> index;
  for (const auto& p : lowered.populations) {
    const auto* sites = image.find_population(p.population);
    if (!sites) throw InputError("the mapped image has no population '" + p.population + "'");
    index.push_back(static_cast<std::size_t>(sites - image.populations.data()));
  }
  return index;
}

// The session's ports of the graph's Input nodes, in the data's order.
std::vector<std::size_t> input_ports(const Lowered& lowered, const ChipSession& session) {
  std::vector<std::size_t> ports;
  for (const auto& in : lowered.inputs) {
    const int k = session.input_port(in.port);
    if (k < 0) throw InputError("the mapped image has no input port '" + in.port + "'");
    ports.push_back(static_cast<std::size_t>(k));
  }
  return ports;
}

// A sample's recording in NIR time: chip step s of a population at depth d is NIR step
// s - 1 - d; spikes ordered by step, then neuron.
PopulationRecord in_nir_time(const PopulationRecord& chip, std::int64_t depth,
                             std::int64_t nir_steps, std::size_t neurons) {
  PopulationRecord out;
  std::vector<std::pair<std::int32_t, std::int32_t>> events;
  for (std::size_t k = 0; k < chip.step.size(); ++k) {
    const std::int64_t t = chip.step[k] - 1 - depth;
    if (t >= 0 && t < nir_steps) events.emplace_back(static_cast<std::int32_t>(t), chip.neuron[k]);
  }
  std::sort(events.begin(), events.end());
  for (const auto& [t, n] : events) {
    out.step.push_back(t);
    out.neuron.push_back(n);
  }
  if (!chip.v.empty())
    out.v.assign(chip.v.begin() + static_cast<std::ptrdiff_t>(depth * static_cast<std::int64_t>(neurons)),
                 chip.v.begin() + static_cast<std::ptrdiff_t>((depth + nir_steps) *
                                                              static_cast<std::int64_t>(neurons)));
  return out;
}

}  // namespace

RunResult run(const Lowered& lowered, const mapper::MappedImage& image,
              const core::Architecture& arch, const SequenceDataset& data,
              const RunOptions& options) {
  check_input(lowered, data);
  RunResult r;
  const auto samples = static_cast<std::int64_t>(data.size());
  const std::int64_t steps = data.num_symbols;
  const auto size = static_cast<std::size_t>(data.symbol_size);
  r.samples = samples;
  r.nir_steps = steps - data.flush_steps;
  r.chip_steps = std::max<std::int64_t>(steps, r.nir_steps + lowered.max_depth);
  const std::size_t n_pop = lowered.populations.size();
  r.spikes.assign(n_pop, 0);
  const std::vector<std::size_t> pops = image_populations(lowered, image);
  ChipSession session(image, &arch, {}, RecordOptions{true, options.trace_voltage, false, false, false});
  const std::vector<std::size_t> ports = input_ports(lowered, session);
  core::HostTraffic traffic;  // the host reads the output populations' spikes every step
  for (const auto& o : lowered.outputs) traffic.readbacks += static_cast<std::uint64_t>(o.size);

  r.records.resize(static_cast<std::size_t>(samples));
  for (std::int64_t s = 0; s < samples; ++s) {
    session.begin_sample();
    for (std::int64_t step = 1; step <= r.chip_steps; ++step) {
      // The input of NIR step t is sent during chip step t + 1.
      const std::int64_t t_in = step - 1;
      if (t_in < steps) {
        const float* x = data.values.data() + (static_cast<std::size_t>(s * steps + t_in)) * size;
        std::size_t offset = 0;
        for (const std::size_t k : ports) {
          const auto port_size = static_cast<std::size_t>(session.input_ports()[k].size);
          for (std::size_t j = 0; j < port_size; ++j)
            if (x[offset + j] != 0.0f) session.send(k, j);
          offset += port_size;
        }
      }
      session.step(traffic);
    }
    auto& rec = r.records[static_cast<std::size_t>(s)];
    for (std::size_t p = 0; p < n_pop; ++p) {
      rec.push_back(in_nir_time(session.recording().populations[pops[p]],
                                lowered.populations[p].depth, r.nir_steps,
                                static_cast<std::size_t>(lowered.populations[p].size)));
      r.spikes[p] += rec.back().step.size();
    }
    r.events += session.accountant()->energy_counts();
    r.elapsed_ps += session.accountant()->elapsed_ps();
  }
  return r;
}

std::string run_summary(const Lowered& lowered, const core::Architecture& arch,
                        const RunResult& r) {
  std::string out = fmt::format(
      "ran {} sample(s) of {} NIR steps ({} chip steps each, pipeline depth {}) on {}\n", r.samples,
      r.nir_steps, r.chip_steps, lowered.max_depth, arch.name);
  out += fmt::format("{:<28} {:>8} {:>6} {:>12} {:>22}\n", "population (NIR node)", "neurons",
                     "depth", "spikes", "spikes / neuron / step");
  for (std::size_t p = 0; p < lowered.populations.size(); ++p) {
    const auto& info = lowered.populations[p];
    const double per =
        static_cast<double>(r.spikes[p]) /
        (static_cast<double>(info.size) * static_cast<double>(r.nir_steps * r.samples));
    out += fmt::format("{:<28} {:>8} {:>6} {:>12} {:>22.4f}\n", info.nir_node, info.size,
                       info.depth, r.spikes[p], per);
  }
  const auto e = core::energy_breakdown(arch, r.events);
  const double steps = static_cast<double>(r.chip_steps * r.samples);
  out += fmt::format(
      "chip energy per chip step: {:.4g} nJ dynamic, {:.4g} nJ total (static included); chip "
      "time per step {:.4g} us\n",
      static_cast<double>(e.dynamic_fj) / steps * 1e-6,
      static_cast<double>(e.total_fj) / steps * 1e-6,
      static_cast<double>(r.elapsed_ps) / steps * 1e-6);
  out += fmt::format("chip energy per sample: {:.4g} uJ dynamic, {:.4g} uJ total\n",
                     static_cast<double>(e.dynamic_fj) / static_cast<double>(r.samples) * 1e-9,
                     static_cast<double>(e.total_fj) / static_cast<double>(r.samples) * 1e-9);
  return out;
}

namespace {

// NIR's reader compares `__type__` with Python strings: h5py returns variable-length strings
// as str but fixed-length ones (what the shared wrapper writes) as bytes, which compare unequal.
void set_type(const h5::Group& g, const std::string& value) {
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  h5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(g.id(), "__type__") > 0) H5Adelete(g.id(), "__type__");
  h5::Handle a(H5Acreate2(g.id(), "__type__", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose);
  const char* text = value.c_str();
  if (!a || H5Awrite(a.get(), type.get(), &text) < 0) g.fail("@__type__", "cannot write attribute");
}

// The group of a node in NIRData: nested graphs become nested NIRGraphData groups.
h5::Group node_group(h5::Group& top, const std::vector<std::string>& path) {
  std::optional<h5::Group> below;  // the `nodes` group of the nested graph reached so far
  for (std::size_t k = 0; k + 1 < path.size(); ++k) {
    h5::Group& nodes = below ? *below : top;
    h5::Group g = nodes.has(path[k]) ? nodes.open_group(path[k]) : nodes.create_group(path[k]);
    if (!g.has_attribute("__type__")) set_type(g, "NIRGraphData");
    h5::Group next = g.has("nodes") ? g.open_group("nodes") : g.create_group("nodes");
    below.emplace(std::move(next));
  }
  h5::Group& nodes = below ? *below : top;
  h5::Group g = nodes.create_group(path.back());
  set_type(g, "NIRNodeData");
  return g;
}

void write_events(h5::Group& obs, const RunResult& r, std::size_t p, std::int64_t n_neurons,
                  double dt) {
  h5::Group g = obs.create_group("spikes");
  set_type(g, "EventData");
  std::size_t n_events = 0;
  for (const auto& rec : r.records) n_events = std::max(n_events, rec[p].step.size());
  const auto samples = static_cast<std::size_t>(r.samples);
  std::vector<std::int64_t> idx(samples * n_events, -1);
  std::vector<double> time(samples * n_events, std::numeric_limits<double>::infinity());
  for (std::size_t s = 0; s < samples; ++s) {
    const auto& pr = r.records[s][p];
    for (std::size_t k = 0; k < pr.step.size(); ++k) {
      idx[s * n_events + k] = pr.neuron[k];
      time[s * n_events + k] = static_cast<double>(pr.step[k] + 1) * dt;
    }
  }
  const std::vector<std::uint64_t> dims = {samples, n_events};
  g.write("idx", idx, dims, n_events > 64 ? 4 : 0);
  g.write("time", time, dims, n_events > 64 ? 4 : 0);
  g.set_attribute("n_neurons", n_neurons);
  g.set_attribute("t_max", static_cast<double>(r.nir_steps) * dt);
}

}  // namespace

void write_nirdata(const std::filesystem::path& file, const Lowered& lowered, const RunResult& r) {
  check_output_path(file, "NIRData output");
  AtomicOutput out(file);
  {
    h5::Group root = h5::create_file(out);
    set_type(root, "NIRGraphData");
    root.set_attribute("loihisim_source", lowered.file);
    h5::Group nodes = root.create_group("nodes");
    const double dt = lowered.options.dt;
    for (std::size_t p = 0; p < lowered.populations.size(); ++p) {
      const auto& info = lowered.populations[p];
      h5::Group obs = node_group(nodes, info.nir_path).create_group("observables");
      write_events(obs, r, p, info.size, dt);
      if (!r.records.empty() && !r.records[0][p].v.empty()) {
        h5::Group g = obs.create_group("v");
        set_type(g, "TimeGriddedData");
        g.set_attribute("dt", dt);
        const auto n = static_cast<std::size_t>(info.size);
        std::vector<double> v;
        v.reserve(static_cast<std::size_t>(r.samples * r.nir_steps) * n);
        for (const auto& rec : r.records)
          for (std::size_t k = 0; k < rec[p].v.size(); ++k)
            v.push_back(rec[p].v[k] / info.scale[k % n]);
        g.write("data", v,
                {static_cast<std::uint64_t>(r.samples), static_cast<std::uint64_t>(r.nir_steps), n},
                v.size() > 64 ? 4 : 0);
      }
    }
    for (const auto& o : lowered.outputs) {
      h5::Group obs = node_group(nodes, o.nir_path).create_group("observables");
      write_events(obs, r, static_cast<std::size_t>(o.population), o.size, dt);
    }
  }
  out.commit();
}

}  // namespace loihisim::models::nir
