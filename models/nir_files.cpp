#include "models/nir_files.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "runtime/atomic_output.hpp"
#include "runtime/errors.hpp"
#include "runtime/h5_file.hpp"
#include "runtime/text_output.hpp"

namespace loihisim::models::nir {

void write_input(const std::filesystem::path& file, const InputData& data, const Lowered& lowered,
                 const std::string& description) {
  check_output_path(file, "input dataset");
  AtomicOutput out(file);
  {
    h5::Group root = h5::create_file(out.temp_path().string());
    const std::vector<std::uint64_t> dims = {static_cast<std::uint64_t>(data.samples),
                                             static_cast<std::uint64_t>(data.steps),
                                             static_cast<std::uint64_t>(data.size)};
    root.write("values", data.values, dims, 4);
    root.write("labels", std::vector<std::int32_t>(static_cast<std::size_t>(data.samples), 0));
    const std::int64_t classes =
        lowered.outputs.empty() ? 2 : std::max<std::int64_t>(2, lowered.outputs[0].size);
    root.set_attribute("num_classes", classes);
    root.set_attribute("flush_steps", data.flush_steps);
    root.set_attribute("source", description);
  }
  out.commit();
}

InputData read_input(const std::filesystem::path& file) {
  const h5::Group root = h5::open_file(file.string());
  InputData d;
  d.name = file.string();
  std::vector<std::uint64_t> dims;
  d.values = root.read<float>("values", &dims);
  if (dims.size() != 3 || dims[0] == 0 || dims[1] == 0 || dims[2] == 0)
    root.fail("values", "expected a samples x steps x input-size array");
  d.samples = static_cast<std::int64_t>(dims[0]);
  d.steps = static_cast<std::int64_t>(dims[1]);
  d.size = static_cast<std::int64_t>(dims[2]);
  if (root.has_attribute("flush_steps")) d.flush_steps = root.int_attribute("flush_steps");
  return d;
}

void write_model(const std::filesystem::path& file, const std::filesystem::path& network,
                 const std::filesystem::path& dataset, const Lowered& lowered,
                 const std::string& command) {
  if (lowered.prediction.empty())
    throw InputError(fmt::format(
        "{}: a model file for `loihisim run` needs exactly one Input node and at least one "
        "Output node (this graph has {} and {}); the network file is written, run it with "
        "--record instead",
        lowered.file, lowered.inputs.size(), lowered.outputs.size()));
  std::string text = fmt::format(
      "# Written by: {}\n"
      "# One NIR step per symbol (steps_per_symbol 1), chip state kept over the whole sample,\n"
      "# the spike counts of output '{}' summed over the sample as the prediction. The last\n"
      "# {} symbol(s) of the dataset are the pipeline's flush (its attribute flush_steps).\n",
      command, lowered.outputs[0].nir_node, lowered.max_depth);
  text += fmt::format("name: {}\n", yaml_quoted(lowered.network->name));
  text += fmt::format("network: {}\n", yaml_quoted(relative_to(network, file)));
  text += "placer: metis\n";
  text += fmt::format("dataset: {{file: {}}}\n", yaml_quoted(relative_to(dataset, file)));
  text += "steps_per_symbol: 1\n";
  text += "reset: sample\n";
  text += fmt::format("prediction: {}\n", yaml_quoted(lowered.prediction));
  text += "host: {format: float32, location: external}\n";
  write_text_file(file, text);
}

void write_report(const std::filesystem::path& file, const Lowered& lowered,
                  const std::string& command) {
  std::string t = fmt::format("# Written by: {}\n", command);
  t += fmt::format("source: {}\n", yaml_quoted(lowered.file));
  t += fmt::format("dt: {}\n", lowered.options.dt);
  t += fmt::format("approximate: {}\n", lowered.options.approximate ? "true" : "false");
  t += fmt::format("reset: {}\n",
                   lowered.options.reset == core::ResetMode::kZero ? "zero" : "subtract");
  t += fmt::format("pipeline_depth: {}\n", lowered.max_depth);
  t += lowered.populations.empty() ? "populations: []\n" : "populations:\n";
  for (const auto& p : lowered.populations) {
    const auto [lo, hi] = std::minmax_element(p.scale.begin(), p.scale.end());
    t += fmt::format(
        "  - {{nir_node: {}, type: {}, population: {}, neurons: {}, depth: {}, spiking: {}, "
        "scale: {:.10g}, scale_max: {:.10g}, scale_limit: {}}}\n",
        yaml_quoted(p.nir_node), p.type, yaml_quoted(p.population), p.size, p.depth,
        p.spiking ? "true" : "false", *lo, *hi, yaml_quoted(p.scale_limit));
  }
  t += lowered.inputs.empty() ? "inputs: []\n" : "inputs:\n";
  for (const auto& i : lowered.inputs)
    t += fmt::format("  - {{nir_node: {}, port: {}, size: {}}}\n", yaml_quoted(i.nir_node),
                     yaml_quoted(i.port), i.size);
  t += lowered.outputs.empty() ? "outputs: []\n" : "outputs:\n";
  for (const auto& o : lowered.outputs)
    t += fmt::format(
        "  - {{nir_node: {}, port: {}, population: {}, size: {}}}\n", yaml_quoted(o.nir_node),
        yaml_quoted(o.port),
        yaml_quoted(lowered.populations[static_cast<std::size_t>(o.population)].population),
        o.size);
  t += lowered.quantisation.empty() ? "quantisation: []\n" : "quantisation:\n";
  for (const auto& q : lowered.quantisation)
    t += fmt::format(
        "  - {{node: {}, parameter: {}, hardware: {}, values: {}, max_value: {:.10g}, "
        "max_abs_error: {:.6g}, max_rel_error: {:.6g}, error_rel_to_max: {:.6g}, zeroed: {}, "
        "unit: {}}}\n",
        yaml_quoted(q.node), yaml_quoted(q.parameter), yaml_quoted(q.hardware), q.count,
        q.max_value, q.max_abs_error, q.max_rel_error, q.rel_to_max, q.zeroed, yaml_quoted(q.unit));
  t += lowered.warnings.empty() ? "warnings: []\n" : "warnings:\n";
  for (const auto& w : lowered.warnings) t += "  - " + yaml_quoted(w) + "\n";
  t += lowered.notes.empty() ? "notes: []\n" : "notes:\n";
  for (const auto& n : lowered.notes) t += "  - " + yaml_quoted(n) + "\n";
  write_text_file(file, t);
}

}  // namespace loihisim::models::nir
