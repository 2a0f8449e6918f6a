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
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models::nir {
RunResult run(const Lowered& lowered, const mapper::MappedImage& image,
              const core::Architecture& arch, const SequenceDataset& data, const RunOptions& options) {
  check_input(lowered, data);
  RunResult r;
  const auto samples = static_cast<std::int64_t>(data.size());
  const std::int64_t steps = data.num_symbols, size = data.symbol_size;
  r.samples = samples;
  r.nir_steps = steps - data.flush_steps;
  r.chip_steps = std::max<std::int64_t>(steps, r.nir_steps + lowered.max_depth);
  const std::size_t n_pop = lowered.populations.size();
  r.spikes.assign(n_pop, 0);

  // Per core and compartment: which population and neuron it is (-1: none).
  std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> where(image.cores.size());
  for (std::size_t c = 0; c < image.cores.size(); ++c)
    where[c].assign(image.cores[c].compartments.size(), {-1, -1});
  for (std::size_t p = 0; p < n_pop; ++p) {
    const auto* sites = image.find_population(lowered.populations[p].population);
    if (!sites)
      throw InputError("the mapped image has no population '" + lowered.populations[p].population +
                       "'");
    for (const auto& b : sites->blocks)
      for (std::int32_t k = 0; k < b.count; ++k)
        where[static_cast<std::size_t>(b.core)][static_cast<std::size_t>(b.first_compartment + k)] =
            {static_cast<std::int32_t>(p), b.first_neuron + k};
  }
  std::vector<const mapper::InputPortSites*> ports;
  for (const auto& in : lowered.inputs) {
    const mapper::InputPortSites* found = nullptr;
    for (const auto& s : image.input_ports)
      if (s.name == in.port) found = &s;
    if (!found) throw InputError("the mapped image has no input port '" + in.port + "'");
    ports.push_back(found);
  }
  std::uint64_t readbacks = 0;  // the host reads the output populations' spikes every step
  for (const auto& o : lowered.outputs) readbacks += static_cast<std::uint64_t>(o.size);
  std::vector<std::pair<std::int32_t, std::int32_t>> trace_sites;  // (core, compartment)
  std::vector<std::size_t> trace_begin(n_pop + 1, 0);
  if (options.trace_voltage)
    for (std::size_t p = 0; p < n_pop; ++p) {
      const auto* sites = image.find_population(lowered.populations[p].population);
      for (std::int32_t j = 0; j < lowered.populations[p].size; ++j) {
        const auto s = sites->site(j);
        trace_sites.emplace_back(s.core, s.compartment);
      }
      trace_begin[p + 1] = trace_sites.size();
    }

  core::Chip chip(mapper::chip_config(image));
  r.records.resize(static_cast<std::size_t>(samples));
  for (std::int64_t s = 0; s < samples; ++s) {
    auto& rec = r.records[static_cast<std::size_t>(s)];
    rec.resize(n_pop);
    if (options.trace_voltage)
      for (std::size_t p = 0; p < n_pop; ++p)
        rec[p].v.assign(static_cast<std::size_t>(r.nir_steps * lowered.populations[p].size), 0);
    chip.reset_state();
    core::ChipAccountant acct(arch);
    acct.start(chip);
    for (std::int64_t step = 1; step <= r.chip_steps; ++step) {
      // The input of NIR step t is sent during chip step t + 1.
      const std::int64_t t_in = step - 1;
      if (t_in < steps) {
        const float* x = data.values.data() + (s * steps + t_in) * size;
        std::int64_t offset = 0;
        for (std::size_t k = 0; k < ports.size(); ++k) {
          const auto& port = *ports[k];
          for (std::int32_t j = 0; j < port.size; ++j) {
            if (x[offset + j] == 0.0f) continue;
            const auto ju = static_cast<std::size_t>(j);
            for (auto a = port.offsets[ju]; a < port.offsets[ju + 1]; ++a) {
              const auto& site = port.axons[static_cast<std::size_t>(a)];
              chip.inject(site.core, {site.axon, 1});
            }
          }
          offset += port.size;
        }
      }
      chip.step();
      core::HostTraffic traffic;
      traffic.readbacks = readbacks;
      acct.observe(chip, traffic);
      for (std::size_t c = 0; c < where.size(); ++c) {
        if (where[c].empty()) continue;
        for (std::int32_t cx : chip.core(static_cast<int>(c)).fired()) {
          const auto [p, neuron] = where[c][static_cast<std::size_t>(cx)];
          if (p < 0) continue;
          const std::int64_t t = step - 1 - lowered.populations[static_cast<std::size_t>(p)].depth;
          if (t < 0 || t >= r.nir_steps) continue;
          auto& pr = rec[static_cast<std::size_t>(p)];
          pr.step.push_back(static_cast<std::int32_t>(t));
          pr.neuron.push_back(neuron);
          ++r.spikes[static_cast<std::size_t>(p)];
        }
      }
      if (options.trace_voltage)
        for (std::size_t p = 0; p < n_pop; ++p) {
          const std::int64_t t = step - 1 - lowered.populations[p].depth;
          if (t < 0 || t >= r.nir_steps) continue;
          const auto n = static_cast<std::size_t>(lowered.populations[p].size);
          for (std::size_t j = 0; j < n; ++j) {
            const auto [core, cx] = trace_sites[trace_begin[p] + j];
            rec[p].v[static_cast<std::size_t>(t) * n + j] =
                chip.core(core).v()[static_cast<std::size_t>(cx)];
          }
        }
    }
    // Spikes within a step arrive by core; order them by time, then neuron.
    for (auto& pr : rec) {
      std::vector<std::size_t> order(pr.step.size());
      for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return pr.step[a] != pr.step[b] ? pr.step[a] < pr.step[b] : pr.neuron[a] < pr.neuron[b];
      });
      std::vector<std::int32_t> st(order.size()), ne(order.size());
      for (std::size_t k = 0; k < order.size(); ++k) {
        st[k] = pr.step[order[k]];
        ne[k] = pr.neuron[order[k]];
      }
      pr.step = std::move(st);
      pr.neuron = std::move(ne);
    }
    r.events += acct.energy_counts();
    r.elapsed_ps += acct.elapsed_ps();
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
    h5::Group root = h5::create_file(out.temp_path().string());
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
