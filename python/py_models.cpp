// loihisim.convert, loihisim.import_nir and loihisim.map: what `loihisim convert`, `import-nir`
// and `map` do, through the same library calls (models/conversion, models/nir_*, mapper/).
#include <fmt/core.h>

#include <filesystem>
#include <optional>
#include <string>

#include "formats/datasets.hpp"
#include "io/atomic_output.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/conversion.hpp"
#include "models/model_file.hpp"
#include "models/nir_files.hpp"
#include "models/nir_graph.hpp"
#include "models/nir_lower.hpp"
#include "python/bindings.hpp"

namespace loihisim::python {
namespace {

namespace fs = std::filesystem;
namespace nir = models::nir;

// `loihisim convert`: writes the model file `out` and the network beside it; returns what the
// command prints and the mapping of the converted network.
py::dict convert(const models::ConvertOptions& o, const PyArch& arch) {
  models::check_convert_options(o);
  const fs::path model_file = o.out;
  const fs::path network_file = models::network_file_beside(model_file);
  OutputSet files;
  files.input(o.weights, "weight file");
  input_if_file(files, arch.given, "architecture file");
  files.output(model_file, "--out");
  files.output(network_file, "the network file beside --out");
  files.output(fs::path(network_file).replace_extension(".h5"), "the network's array file");
  const models::Conversion c = models::convert_weights(o, arch.arch);
  mapper::write_network(c.network, network_file);
  write_model(model_file, c.model);
  files.commit();
  py::dict d;
  d["model_file"] = model_file.string();
  d["network_file"] = network_file.string();
  d["text"] = c.text;
  d["mapping"] = to_dict(mapper::report_summary(c.fit));
  return d;
}

void bind_convert(py::module_& m) {
  m.def(
      "convert",
      [](const std::string& weights, const std::string& out, const std::string& method,
         const py::object& arch_arg, int steps, const std::string& neuron,
         const std::string& signed_input, const std::string& host_format,
         const std::string& host_location, const std::string& dataset, const std::string& layout,
         bool bias_shift, const std::string& generator_start, int replica, double omega,
         int quantum_bits, int memory_bits, const std::string& dts_tau, const std::string& dsr,
         int dts_probe_steps) {
        const PyArch arch = arch_of(arch_arg);
        models::ConvertOptions o{
            weights,      method,       steps,           arch.given,    out,
            neuron,       signed_input, host_format,     host_location, dataset,
            layout,       bias_shift,   generator_start, replica,       omega,
            quantum_bits, memory_bits,  dts_tau,         dsr,           dts_probe_steps};
        return convert(o, arch);
      },
      py::arg("weights"), py::arg("out"), py::arg("method") = "hybrid-lstm",
      py::arg("arch") = "loihi1", py::arg("steps") = 32, py::arg("neuron") = "auto",
      py::arg("signed_input") = "auto", py::arg("host_format") = "float32",
      py::arg("host_location") = "external", py::arg("dataset") = "", py::arg("layout") = "",
      py::arg("bias_shift") = false, py::arg("generator_start") = "half", py::arg("replica") = -1,
      py::arg("omega") = 0.0, py::arg("quantum_bits") = -1, py::arg("memory_bits") = -1,
      py::arg("dts_tau") = "off", py::arg("dsr") = "off", py::arg("dts_probe_steps") = 0,
      "Trained weights -> a network and a model file for run() (`loihisim convert`): method "
      "hybrid-lstm, spiking-lstm or hybrid-lmu. Returns model_file, network_file, text (what the "
      "command prints) and mapping (the map report's dict).");
}

struct NirImport {
  std::string graph, out;
  double dt = 1e-4;
  bool approximate = false;
  std::string reset = "zero";
  int weight_bits = 8;
  std::int64_t synthetic_steps = 0, samples = 1;
  double rate = 0.1;
  std::uint64_t seed = 1;
  std::string input, placer = "metis";
};

nir::Lowered lower_graph(const NirImport& o) {
  nir::LowerOptions lo;
  lo.dt = o.dt;
  lo.approximate = o.approximate;
  lo.reset = parse_enum(core::kResetModeNames, o.reset, "reset");
  lo.weight_bits = o.weight_bits;
  nir::Lowered lowered = nir::lower(nir::flatten(nir::read_nir(o.graph), o.approximate), lo);
  if (lowered.prediction.empty())
    throw InputError(fmt::format(
        "{}: the model file for `loihisim run` needs exactly one Input and at least one Output "
        "node; this graph has {} and {}",
        o.graph, lowered.inputs.size(), lowered.outputs.size()));
  return lowered;
}

py::list populations(const nir::Lowered& lowered) {
  py::list l;
  for (const auto& p : lowered.populations) {
    py::dict d;
    d["nir_node"] = p.nir_node;
    d["population"] = p.population;
    d["type"] = p.type;
    d["size"] = p.size;
    d["depth"] = p.depth;
    d["scale"] = p.scale;
    d["scale_limit"] = p.scale_limit;
    l.append(d);
  }
  return l;
}

// `loihisim import-nir` without --record: the model, network, quantisation report and (with
// synthetic input) the input raster, named after `out`.
py::dict import_nir(const NirImport& o, const PyArch& arch) {
  if (o.synthetic_steps > 0 && !o.input.empty())
    throw InputError("give --synthetic-input or --input, not both");
  const fs::path base = models::model_base(o.out);
  const fs::path network = base.string() + ".network.yaml", report = base.string() + ".quant.yaml";
  const fs::path input =
      !o.input.empty() ? fs::path(o.input) : fs::path(base.string() + ".input.h5");
  OutputSet files;
  files.input(o.graph, "NIR graph");
  if (!o.input.empty()) files.input(o.input, "input dataset (--input)");
  input_if_file(files, arch.given, "architecture file");
  files.output(o.out, "--out");
  files.output(network, "the network file beside --out");
  files.output(fs::path(network).replace_extension(".h5"), "the network's array file");
  files.output(report, "the quantisation report beside --out");
  if (o.synthetic_steps > 0) files.output(input, "the input dataset beside --out");
  const std::string command = fmt::format("loihisim.import_nir('{}', '{}', arch='{}', dt={})",
                                          o.graph, o.out, arch.given, o.dt);
  const nir::Lowered lowered = lower_graph(o);
  mapper::MapOptions mo;
  mo.placer = mapper::parse_placer(o.placer);
  mo.compare_placers = false;
  const mapper::MapResult mapped = mapper::map_network(*lowered.network, arch.arch, mo);
  std::optional<SequenceDataset> data;
  if (o.synthetic_steps > 0)
    data = nir::synthetic_input(lowered, o.samples, o.synthetic_steps, o.rate, o.seed);
  else if (!o.input.empty())
    data = read_dataset_h5(o.input);
  if (data) nir::check_input(lowered, *data);
  mapper::write_network(*lowered.network, network);
  nir::write_quantisation_report(report, lowered, command);
  if (o.synthetic_steps > 0)
    write_dataset_h5(input, *data,
                     fmt::format("synthetic Bernoulli spikes, p = {} per element and step, seed "
                                 "{}, {} steps + {} flush steps ({})",
                                 o.rate, o.seed, o.synthetic_steps, data->flush_steps, command));
  write_model(o.out, nir::nir_model(lowered, network, input, command));
  files.commit();
  py::dict d;
  d["model_file"] = o.out;
  d["network_file"] = network.string();
  d["quantisation_report"] = report.string();
  d["input_file"] = data ? py::object(py::str(input.string())) : py::object(py::none());
  d["populations"] = populations(lowered);
  d["warnings"] = lowered.warnings;
  d["notes"] = lowered.notes;
  d["mapping"] = to_dict(mapper::report_summary(mapped.report));
  return d;
}

void bind_import_nir(py::module_& m) {
  m.def(
      "import_nir",
      [](const std::string& graph, const std::string& out, const py::object& arch_arg, double dt,
         bool approximate, const std::string& reset, int weight_bits, std::int64_t synthetic_steps,
         std::int64_t samples, double rate, std::uint64_t seed, const std::string& input,
         const std::string& placer) {
        const PyArch arch = arch_of(arch_arg);
        const NirImport o{graph,           out,     dt,   approximate, reset, weight_bits,
                          synthetic_steps, samples, rate, seed,        input, placer};
        return import_nir(o, arch);
      },
      py::arg("graph"), py::arg("out"), py::arg("arch") = "loihi1", py::arg("dt") = 1e-4,
      py::arg("approximate") = false, py::arg("reset") = "zero", py::arg("weight_bits") = 8,
      py::arg("synthetic_steps") = 0, py::arg("samples") = 1, py::arg("rate") = 0.1,
      py::arg("seed") = 1, py::arg("input") = "", py::arg("placer") = "metis",
      "A NIR graph -> network, quantisation report and model file for run() (`loihisim "
      "import-nir`, docs/nir.md); synthetic_steps > 0 writes a seeded random input raster. "
      "Returns the files, populations, warnings, notes and mapping (dict).");
}

}  // namespace

void bind_models(py::module_& m) {
  bind_convert(m);
  bind_import_nir(m);
  m.def(
      "map",
      [](const std::string& network, const py::object& arch_arg, const std::string& placer,
         const std::string& out) {
        const PyArch arch = arch_of(arch_arg);
        mapper::MapOptions options;
        options.placer = mapper::parse_placer(placer);
        std::optional<mapper::MapResult> result;
        if (out.empty()) {
          py::gil_scoped_release release;
          result = mapper::map_network(mapper::read_network(network), arch.arch, options);
        } else {  // with the GIL: one OutputSet at a time
          OutputSet files;
          files.input(network, "network file");
          input_if_file(files, arch.given, "architecture file");
          files.output(out, "--out");
          result = mapper::map_network(mapper::read_network(network), arch.arch, options);
          mapper::write_mapped_image(result->image, out);
          files.commit();
        }
        return to_dict(mapper::report_summary(result->report));
      },
      py::arg("network"), py::arg("arch") = "loihi1", py::arg("placer") = "metis",
      py::arg("out") = "",
      "Partition and place a network file (`loihisim map`); returns the mapping report "
      "(docs/reports.md, 'map') as a dict; out: also write the mapped image (HDF5).");
}

}  // namespace loihisim::python
