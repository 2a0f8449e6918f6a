// loihisim.run and its RunResult: `loihisim run` through the same calls (models/model_file,
// mapper/, runtime/inference, runtime/run_report), the GIL released while it runs; the report as
// the dict of `run --report` JSON and the per-sample arrays of `run --out` as numpy arrays.
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>

#include "core/energy.hpp"
#include "formats/arch_io.hpp"
#include "formats/board_io.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/model_file.hpp"
#include "python/bindings.hpp"
#include "runtime/inference.hpp"
#include "runtime/run_report.hpp"

namespace loihisim::python {
namespace {

struct PyRun {
  core::Architecture arch;
  mapper::MappedImage image;
  InferenceRun run;
  RunReport report;
};

mapper::MappedImage model_image(const ModelSpec& model, const core::Architecture& arch) {
  if (!model.image.empty()) return mapper::read_mapped_image(model.image);
  mapper::MapOptions mo;
  mo.placer = mapper::parse_placer(model.placer);
  mo.compare_placers = false;
  return mapper::map_network(mapper::read_network(model.network), arch, mo).image;
}

struct RunArgs {
  std::string model;
  std::uint64_t samples = 0, every = 1;
  int threads = 1;
  std::string cache;
};

// What `loihisim run` does between reading its options and printing (tools/cli/cmd_run.cpp),
// with the same messages; called without the GIL.
std::shared_ptr<PyRun> run_model(const RunArgs& a, const PyArch& pa,
                                 const std::atomic<bool>* cancel) {
  if (a.threads < 1 || a.threads > 256)
    throw InputError(fmt::format("--threads {}: must be in 1..256", a.threads));
  if (a.every < 1) throw InputError("--every 0: must be at least 1");
  const core::Architecture& arch = pa.arch;
  auto r = std::make_shared<PyRun>();
  r->arch = arch;
  const ModelSpec model = read_model(a.model);
  r->image = model_image(model, arch);
  const SequenceDataset data = every_kth_sample(
      load_dataset(model.dataset, a.cache.empty() ? default_data_cache() : a.cache), a.every);
  InferenceOptions io = inference_options(model, arch);
  io.samples = a.samples;
  io.threads = a.threads;
  try {
    r->run = run_inferences(r->image, arch, data, io, cancel);
  } catch (const InputError& e) {
    // The run's checks know values, not files: name the model and what it combines.
    const std::string net = model.image.empty() ? model.network.string() : model.image.string();
    const std::string ds = model.dataset.file.empty() ? data.name : model.dataset.file.string();
    throw InputError(fmt::format("{}: network {} with dataset {}: {}", a.model, net, ds, e.what()));
  }
  if (cancel->load()) return r;  // interrupted: the caller raises KeyboardInterrupt
  const std::string placer = model.image.empty() ? model.placer : r->image.placer;
  const RunInfo info{model.name, arch.name, data.name,
                     placer,     a.threads, architecture_text(pa.given)};
  r->report = make_run_report(info, io, r->image, arch, r->run, load_system_costs(pa.given));
  return r;
}

// A per-sample column of the run as an array.
template <class T, class F>
py::array_t<T> column(const PyRun& r, F value) {
  std::vector<T> v;
  for (std::uint64_t i = 0; i < r.report.samples; ++i) v.push_back(value(r.run.samples[i]));
  return to_array(v);
}

// samples x width, from a per-sample vector.
template <class T, class F>
py::array_t<T> matrix(const PyRun& r, std::size_t width, F row) {
  std::vector<T> v;
  for (std::uint64_t i = 0; i < r.report.samples; ++i) {
    const auto& x = row(r.run.samples[i]);
    v.insert(v.end(), x.begin(), x.end());
  }
  return to_array(v, {static_cast<py::ssize_t>(r.report.samples), static_cast<py::ssize_t>(width)});
}

// Energy per event kind over the run: {event: energy_fJ} (the breakdown's lines).
py::dict energy_by_event(const core::EnergyBreakdown& e) {
  py::dict d;
  for (const auto& line : e.lines)
    d[py::str(std::string(core::energy_event_name(line.event)))] = line.energy_fj;
  return d;
}

// The cores with dynamic energy, as the report's chip.by_core: arrays core, dynamic_fJ, syn_ops.
py::dict per_core(const RunReport& r) {
  std::vector<std::int32_t> core;
  std::vector<std::int64_t> fj;
  std::vector<std::uint64_t> ops;
  for (std::size_t c = 0; c < r.core_dynamic_fj.size(); ++c) {
    if (r.core_dynamic_fj[c] == 0) continue;
    core.push_back(static_cast<std::int32_t>(c));
    fj.push_back(r.core_dynamic_fj[c]);
    ops.push_back(r.core_syn_ops[c]);
  }
  py::dict d;
  d["core"] = to_array(core);
  d["dynamic_fJ"] = to_array(fj);
  d["syn_ops"] = to_array(ops);
  return d;
}

std::vector<std::string> event_names() {
  std::vector<std::string> names;
  for (std::size_t e = 0; e < core::kNumEnergyEvents; ++e)
    names.emplace_back(core::energy_event_name(core::energy_event(e)));
  return names;
}

void bind_run_arrays(py::class_<PyRun, std::shared_ptr<PyRun>>& c) {
  using S = SampleResult;
  c.def_property_readonly(
       "labels",
       [](const PyRun& r) { return column<std::int32_t>(r, [](const S& s) { return s.label; }); })
      .def_property_readonly("predictions",
                             [](const PyRun& r) {
                               return column<std::int32_t>(r,
                                                           [](const S& s) { return s.prediction; });
                             })
      .def_property_readonly("chip_steps",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r,
                                                           [](const S& s) { return s.chip_steps; });
                             })
      .def_property_readonly("chip_time_ps",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [](const S& s) { return s.chip_ps; });
                             })
      .def_property_readonly("host_time_ps",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [&](const S& s) {
                                 return host_time_ps(r.report.options.host_costs, s.host);
                               });
                             })
      .def_property_readonly("latency_ps",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [&](const S& s) {
                                 return s.chip_ps +
                                        host_time_ps(r.report.options.host_costs, s.host);
                               });
                             })
      .def_property_readonly("host_energy_fJ",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [&](const S& s) {
                                 return host_energy_fj(r.report.options.host_costs, s.host);
                               });
                             })
      .def_property_readonly("chip_dynamic_fJ",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [&](const S& s) {
                                 return core::energy_breakdown(r.arch, s.chip_events).dynamic_fj;
                               });
                             })
      .def_property_readonly("chip_total_fJ",
                             [](const PyRun& r) {
                               return column<std::int64_t>(r, [&](const S& s) {
                                 return core::energy_breakdown(r.arch, s.chip_events).total_fj;
                               });
                             })
      .def_property_readonly(
          "outputs",
          [](const PyRun& r) {
            const std::size_t w = r.report.samples ? r.run.samples[0].output.size() : 0;
            return matrix<double>(
                r, w, [](const S& s) -> const std::vector<double>& { return s.output; });
          })
      .def_property_readonly("population_spikes",
                             [](const PyRun& r) {
                               return matrix<std::uint64_t>(
                                   r, r.image.populations.size(),
                                   [](const S& s) -> const std::vector<std::uint64_t>& {
                                     return s.population_spikes;
                                   });
                             })
      .def_property_readonly("chip_events", [](const PyRun& r) {
        return matrix<std::uint64_t>(r, core::kNumEnergyEvents,
                                     [](const S& s) { return s.chip_events.n; });
      });
}

void bind_run_result(py::module_& m) {
  py::class_<PyRun, std::shared_ptr<PyRun>> c(m, "RunResult",
                                              "The result of run() (docs/python.md).");
  bind_run_arrays(c);
  c.def_property_readonly("summary",
                          [](const PyRun& r) { return to_dict(run_report_summary(r.report)); })
      .def_property_readonly("text", [](const PyRun& r) { return run_report_text(r.report); })
      .def_property_readonly("samples", [](const PyRun& r) { return r.report.samples; })
      .def_property_readonly("accuracy", [](const PyRun& r) { return r.report.accuracy; })
      .def_property_readonly("population_names",
                             [](const PyRun& r) {
                               std::vector<std::string> names;
                               for (const auto& p : r.image.populations) names.push_back(p.name);
                               return names;
                             })
      .def_property_readonly("event_names", [](const PyRun&) { return event_names(); })
      .def_property_readonly("energy_by_event_fJ",
                             [](const PyRun& r) { return energy_by_event(r.report.chip); })
      .def_property_readonly("energy_by_core", [](const PyRun& r) { return per_core(r.report); })
      .def_property_readonly(
          "host_share",
          [](const PyRun& r) {
            const double active = static_cast<double>(r.report.chip.dynamic_fj + r.report.host_fj);
            return active > 0 ? static_cast<double>(r.report.host_fj) / active : 0.0;
          })
      .def(
          "write_h5",
          [](const PyRun& r, const std::string& path) {
            write_run_h5(r.report, r.run, r.image, r.arch, path);
          },
          py::arg("path"), "The per-sample arrays and the summary, as `run --out` (HDF5).")
      .def(
          "write_report",
          [](const PyRun& r, const std::string& path) { write_run_summary(r.report, path); },
          py::arg("path"), "The summary, as `run --report` (.json or .yaml).")
      .def("__repr__", [](const PyRun& r) {
        return fmt::format("<loihisim.RunResult {} on {}: {} samples, accuracy {:.4f}>",
                           r.report.info.model, r.report.info.architecture, r.report.samples,
                           r.report.accuracy);
      });
}

}  // namespace

void bind_run(py::module_& m) {
  bind_run_result(m);
  m.def(
      "run",
      [](const std::string& model, const py::object& arch_arg, std::uint64_t samples,
         std::uint64_t every, int threads, const std::string& data_cache) {
        const PyArch arch = arch_of(arch_arg);
        const RunArgs a{model, samples, every, threads, data_cache};
        return interruptible(
            [&](const std::atomic<bool>* cancel) { return run_model(a, arch, cancel); });
      },
      py::arg("model"), py::arg("arch") = "loihi1", py::arg("samples") = 0, py::arg("every") = 1,
      py::arg("threads") = 1, py::arg("data_cache") = "",
      "Inferences of a model file on the simulated chip with its host coprocessor (`loihisim "
      "run`); the GIL is released while it runs. samples: the first N (0: all); every: every "
      "K-th sample first; threads: workers (results do not depend on them).");
}

}  // namespace loihisim::python
