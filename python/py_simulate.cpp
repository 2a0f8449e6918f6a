// loihisim.simulate and its FreeRun: `loihisim simulate` (runtime/free_run) with the GIL
// released; spike counts, rasters, probes and per-step time as numpy arrays.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "python/bindings.hpp"
#include "runtime/free_run.hpp"

namespace loihisim::python {
namespace {

struct PyFreeRun {
  std::string network;
  FreeRunResult result;
};

struct SimulateArgs {
  std::string network;
  std::int64_t steps = 0;
  std::string input;
  std::size_t sample = 0;
  bool record_spikes = false;
  std::vector<ProbeRequest> probes;
  std::string placer = "metis";
  int threads = 1;
};

// Without the GIL.
std::shared_ptr<PyFreeRun> simulate(const SimulateArgs& a, const core::Architecture& arch,
                                    const std::atomic<bool>* cancel) {
  if (a.steps < 1 || a.steps > (std::int64_t{1} << 31))
    throw InputError(fmt::format("--steps {}: must be in 1..{}", a.steps, std::int64_t{1} << 31));
  if (a.threads < 1 || a.threads > 256)
    throw InputError(fmt::format("--threads {}: must be in 1..256", a.threads));
  const mapper::MappedImage image = mapper::image_for_run(a.network, arch, a.placer);
  std::optional<SequenceDataset> input;
  if (!a.input.empty()) input = read_dataset_h5(a.input);
  FreeRunOptions fo;
  fo.steps = a.steps;
  fo.record_spikes = a.record_spikes;
  fo.probes = a.probes;
  fo.input_sample = a.sample;
  fo.threads = a.threads;
  auto r = std::make_shared<PyFreeRun>();
  r->network = a.network;
  r->result = free_run(image, arch, input ? &*input : nullptr, fo, cancel);
  return r;
}

const PopulationSpikes& population(const PyFreeRun& r, const std::string& name) {
  for (const auto& p : r.result.populations)
    if (p.name == name) return p;
  throw py::key_error("no population '" + name + "' in " + r.network);
}

// steps x neurons, 1 where the neuron fired in that step (step 1 is row 0).
py::array_t<std::uint8_t> raster(const PyFreeRun& r, const std::string& name) {
  if (!r.result.spikes_recorded)
    throw InputError("the raster needs simulate(..., record_spikes=True)");
  const PopulationSpikes& p = population(r, name);
  py::array_t<std::uint8_t> a(
      {static_cast<py::ssize_t>(r.result.steps), static_cast<py::ssize_t>(p.neurons)});
  std::fill(a.mutable_data(), a.mutable_data() + a.size(), std::uint8_t{0});
  auto m = a.mutable_unchecked<2>();
  for (std::size_t i = 0; i < p.step.size(); ++i) m(p.step[i] - 1, p.neuron[i]) = 1;
  return a;
}

py::dict probes(const PyFreeRun& r) {
  py::dict d;
  for (const auto& t : r.result.probes) {
    const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(r.result.steps),
                                         static_cast<py::ssize_t>(t.neurons.size())};
    py::dict p;
    p["neurons"] = to_array(t.neurons);
    p["v"] = to_array(t.v, shape);
    p["u"] = to_array(t.u, shape);
    d[py::str(t.population)] = p;
  }
  return d;
}

// Per step: the step time and its parts (core::StepRecord), and the critical component's name.
py::dict steps(const PyFreeRun& r) {
  const Report& rep = r.result.report;
  std::vector<std::int64_t> step, compute, network, host, barrier, readback;
  for (const auto& s : rep.step_records) {
    step.push_back(s.step_ps);
    compute.push_back(s.compute_ps);
    network.push_back(s.network_ps);
    host.push_back(s.host_ps);
    barrier.push_back(s.barrier_ps);
    readback.push_back(s.readback_ps);
  }
  py::list critical;
  for (const auto i : rep.step_critical)
    critical.append(rep.critical[static_cast<std::size_t>(i)].component);
  py::dict d;
  d["latency_ps"] = to_array(step);
  d["compute_ps"] = to_array(compute);
  d["network_ps"] = to_array(network);
  d["host_ps"] = to_array(host);
  d["barrier_ps"] = to_array(barrier);
  d["readback_ps"] = to_array(readback);
  d["critical"] = critical;
  return d;
}

void bind_free_run(py::module_& m) {
  py::class_<PyFreeRun, std::shared_ptr<PyFreeRun>>(m, "FreeRun",
                                                    "The result of simulate() (docs/python.md).")
      .def_property_readonly(
          "summary",
          [](const PyFreeRun& r) { return to_dict(free_run_summary(r.result, r.network)); })
      .def_property_readonly("text", [](const PyFreeRun& r) { return free_run_text(r.result); })
      .def_property_readonly("steps", [](const PyFreeRun& r) { return r.result.steps; })
      .def_property_readonly("spike_counts",
                             [](const PyFreeRun& r) {
                               py::dict d;
                               for (const auto& p : r.result.populations)
                                 d[py::str(p.name)] = p.spikes;
                               return d;
                             })
      .def(
          "spikes",
          [](const PyFreeRun& r, const std::string& name) {
            if (!r.result.spikes_recorded)
              throw InputError("the spikes need simulate(..., record_spikes=True)");
            const PopulationSpikes& p = population(r, name);
            return py::make_tuple(to_array(p.step), to_array(p.neuron));
          },
          py::arg("population"), "(step, neuron) arrays of every spike; steps numbered from 1.")
      .def("raster", &raster, py::arg("population"),
           "steps x neurons uint8 array, 1 where a neuron fired.")
      .def_property_readonly("probes", &probes)
      .def_property_readonly("per_step", &steps)
      .def_property_readonly("energy_by_event_fJ",
                             [](const PyFreeRun& r) {
                               py::dict d;
                               for (const auto& line : r.result.report.energy.lines)
                                 d[py::str(std::string(core::energy_event_name(line.event)))] =
                                     line.energy_fj;
                               return d;
                             })
      .def(
          "write_h5",
          [](const PyFreeRun& r, const std::string& path) {
            AtomicOutput out{std::filesystem::path(path)};
            {
              h5::Group root = h5::create_file(out);
              write_free_run_h5(root, r.result, r.network);
            }
            out.commit();
          },
          py::arg("path"), "As `simulate --out` (HDF5).")
      .def(
          "write_report",
          [](const PyFreeRun& r, const std::string& path) {
            write_summary(free_run_summary(r.result, r.network), path);
          },
          py::arg("path"), "As `simulate --report` (.json or .yaml).");
}

// A probe: "POP" (every neuron) or (POP, [neurons]).
ProbeRequest probe_of(const py::handle& h) {
  ProbeRequest p;
  if (py::isinstance<py::str>(h)) {
    p.population = h.cast<std::string>();
  } else {
    const auto t = h.cast<std::pair<std::string, std::vector<std::int32_t>>>();
    p.population = t.first;
    p.neurons = t.second;
  }
  return p;
}

}  // namespace

void bind_simulate(py::module_& m) {
  bind_free_run(m);
  m.def(
      "simulate",
      [](const std::string& network, std::int64_t steps, const py::object& arch_arg,
         const std::string& input, std::size_t sample, bool record_spikes,
         const py::list& probe_list, const std::string& placer, int threads) {
        const PyArch arch = arch_of(arch_arg);
        SimulateArgs a{network, steps, input, sample, record_spikes, {}, placer, threads};
        for (const auto& h : probe_list) a.probes.push_back(probe_of(h));
        return interruptible(
            [&](const std::atomic<bool>* cancel) { return simulate(a, arch.arch, cancel); });
      },
      py::arg("network"), py::arg("steps"), py::arg("arch") = "loihi1", py::arg("input") = "",
      py::arg("sample") = 0, py::arg("record_spikes") = false, py::arg("probes") = py::list(),
      py::arg("placer") = "metis", py::arg("threads") = 1,
      "A free-running network for `steps` chip steps (`loihisim simulate`): network file or "
      "mapped image; input: a raster (HDF5); probes: population names or (name, [neurons]).");
}

}  // namespace loihisim::python
