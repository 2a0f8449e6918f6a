// loihisim.baseline, its BaselineResult and loihisim.compare: `loihisim baseline` and `compare`
// through the same calls (baseline/), the GIL released while the CPU runs.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "baseline/baseline_report.hpp"
#include "baseline/cpu_profile_io.hpp"
#include "formats/datasets.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "models/lmu_weights.hpp"
#include "models/lstm_weights.hpp"
#include "python/bindings.hpp"

namespace loihisim::python {
namespace {

struct BaselineArgs {
  std::string weights, dataset, layout, split = "test";
  std::uint64_t samples = 2000, every = 1, warmup = 50;
  std::vector<std::string> profiles;
  std::string rapl = "auto", cache;
};

struct PyBaseline {
  BaselineResult result;
};

// The dataset and the run of tools/cli/cmd_baseline.cpp, with its messages; without the GIL.
BaselineResult run_baseline(const BaselineArgs& a) {
  if (a.rapl != "auto" && a.rapl != "off") throw InputError("--rapl '" + a.rapl + "': auto or off");
  const BaselineModel model = detect_baseline_model(a.weights);
  if (model == BaselineModel::kSeq2Seq)
    throw InputError(a.weights +
                     ": an encoder-decoder: run it with `loihisim baseline` (the "
                     "Python module runs the classifiers)");
  BaselineOptions bo;
  bo.samples = a.samples;
  bo.warmup = a.warmup;
  for (const auto& p : a.profiles) bo.profiles.push_back(load_cpu_profile(p));
  bo.rapl = a.rapl != "off";
  const std::string cache = a.cache.empty() ? default_data_cache() : a.cache;
  if (model == BaselineModel::kLmu) {
    const models::LmuWeights w = models::read_lmu_weights(a.weights);
    const LmuReference reference = read_lmu_reference(w);
    const DatasetSpec spec = lmu_dataset_spec(w, reference, a.dataset, a.layout, a.split);
    return run_cpu_baseline(w, reference, every_kth_sample(load_dataset(spec, cache), a.every), bo);
  }
  const models::LstmWeights w = models::read_lstm_weights(a.weights);
  const std::string dataset = a.dataset.empty() ? w.dataset : a.dataset;
  const std::string layout = a.layout.empty() ? w.sequence_layout : a.layout;
  if (dataset.empty())
    throw InputError(a.weights + ": no 'dataset' attribute: give --dataset mnist|fashion");
  if (layout.empty())
    throw InputError(a.weights + ": no 'layout' attribute: give --layout row|pixel");
  const SequenceDataset data =
      every_kth_sample(load_dataset(dataset, cache, a.split,
                                    parse_enum(kSequenceLayoutNames, layout, "sequence layout"),
                                    input_scaling_from_attribute(w.input_scaling, a.weights)),
                       a.every);
  return run_cpu_baseline(w, data, bo);
}

py::dict predictions(const BaselineResult& r) {
  py::dict d;
  for (const auto& impl : r.implementations)
    d[py::str(to_string(impl.implementation))] = to_array(impl.predictions);
  return d;
}

// A summary dict (or an object with .summary) back to the library's value.
Summary summary_of(const py::object& o) {
  const py::object d = py::isinstance<py::dict>(o) ? o : o.attr("summary");
  return Summary::parse(py::module_::import("json").attr("dumps")(d).cast<std::string>());
}

// A run or a baseline for compare(): a result object, its summary dict, or a report file (.json
// or .yaml).
ChipSummary chip_of(const py::object& o) {
  if (py::isinstance<py::str>(o)) return read_run_summary(o.cast<std::string>());
  return chip_summary(summary_of(o), "(run result)");
}
CpuSummary cpu_of(const py::object& o) {
  if (py::isinstance<py::str>(o)) return read_baseline_summary(o.cast<std::string>());
  return cpu_summary(summary_of(o), "(baseline result)");
}

void bind_baseline_result(py::module_& m) {
  py::class_<PyBaseline, std::shared_ptr<PyBaseline>>(m, "BaselineResult",
                                                      "The result of baseline() (docs/python.md).")
      .def_property_readonly(
          "summary", [](const PyBaseline& b) { return to_dict(baseline_summary(b.result)); })
      .def_property_readonly("text", [](const PyBaseline& b) { return baseline_text(b.result); })
      .def_property_readonly("samples", [](const PyBaseline& b) { return b.result.samples; })
      .def_property_readonly("accuracy",
                             [](const PyBaseline& b) {
                               // The tuned implementation's, as the report's and compare's.
                               for (const auto& i : b.result.implementations)
                                 if (i.implementation == CpuImplementation::kTuned)
                                   return i.accuracy;
                               return b.result.implementations.empty()
                                          ? 0.0
                                          : b.result.implementations.back().accuracy;
                             })
      .def_property_readonly("predictions",
                             [](const PyBaseline& b) { return predictions(b.result); })
      .def(
          "write_report",
          [](const PyBaseline& b, const std::string& path) {
            write_summary(baseline_summary(b.result), path);
          },
          py::arg("path"), "As `baseline --report` (.json or .yaml).");
}

}  // namespace

void bind_baseline(py::module_& m) {
  bind_baseline_result(m);
  m.def(
      "baseline",
      [](const std::string& weights, std::uint64_t samples, std::uint64_t every,
         const std::string& dataset, const std::string& layout, const std::string& split,
         std::uint64_t warmup, const std::vector<std::string>& profiles, const std::string& rapl,
         const std::string& data_cache) {
        const BaselineArgs a{weights, dataset, layout,   split, samples,
                             every,   warmup,  profiles, rapl,  data_cache};
        py::gil_scoped_release release;
        auto b = std::make_shared<PyBaseline>();
        b->result = run_baseline(a);
        return b;
      },
      py::arg("weights"), py::arg("samples") = 2000, py::arg("every") = 1, py::arg("dataset") = "",
      py::arg("layout") = "", py::arg("split") = "test", py::arg("warmup") = 50,
      py::arg("profiles") = std::vector<std::string>{"horowitz45", "system_i7"},
      py::arg("rapl") = "auto", py::arg("data_cache") = "",
      "The original network (LSTM or LMU weight file) on this CPU at batch size 1 (`loihisim "
      "baseline`); the GIL is released while it runs.");
  m.def(
      "compare",
      [](const py::object& run, const py::object& base) {
        return to_dict(compare_summary(chip_of(run), cpu_of(base)));
      },
      py::arg("run"), py::arg("baseline"),
      "Chip against CPU per inference (`loihisim compare --json`): a RunResult or run report file, "
      "and a BaselineResult or baseline report file.");
  m.def(
      "compare_text",
      [](const py::object& run, const py::object& base) {
        return compare_text(chip_of(run), cpu_of(base));
      },
      py::arg("run"), py::arg("baseline"), "The table `loihisim compare` prints.");
}

}  // namespace loihisim::python
