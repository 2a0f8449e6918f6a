#include "runtime/model.hpp"

#include <cmath>

#include "runtime/h5_file.hpp"
#include "runtime/host_costs.hpp"
#include "runtime/yaml_reader.hpp"

namespace loihisim {

ModelSpec read_model(const std::filesystem::path& file) {
  const YAML::Node root = yaml::load_file(file, "model file");
  const yaml::Reader r(file.string());
  const yaml::Field top{root, ""};
  r.expect_map(top, {"name", "dataset", "steps_per_symbol", "prediction"},
               {"network", "image", "placer", "reset", "input_timing", "host"});
  const auto dir = file.parent_path();
  ModelSpec m;
  m.source = file;
  m.name = r.text(r.get(top, "name"));
  const bool has_net = r.has(top, "network"), has_image = r.has(top, "image");
  if (has_net == has_image)
    r.fail(top,
           "give exactly one of 'network' (a network file, mapped on the fly) or 'image' "
           "(a mapped image file)");
  if (has_net) m.network = dir / r.text(r.get(top, "network"));
  if (has_image) m.image = dir / r.text(r.get(top, "image"));
  if (r.has(top, "placer")) m.placer = r.choice(r.get(top, "placer"), {"greedy", "metis"});

  const yaml::Field ds = r.get(top, "dataset");
  if (ds.node.IsMap() && ds.node["file"].IsDefined()) {
    r.expect_map(ds, {"file"});
    m.dataset.file = dir / r.text(r.get(ds, "file"));
  } else {
    r.expect_map(ds, {"name"}, {"split", "layout", "scaling"});
    m.dataset.name = r.choice(r.get(ds, "name"), {"mnist", "fashion"});
    if (r.has(ds, "split")) m.dataset.split = r.choice(r.get(ds, "split"), {"train", "test"});
    if (r.has(ds, "layout")) m.dataset.layout = r.choice(r.get(ds, "layout"), {"row", "pixel"});
    if (r.has(ds, "scaling"))
      m.dataset.scaling = r.choice(r.get(ds, "scaling"), {"unit", "signed"});
  }
  m.steps_per_symbol = static_cast<int>(r.integer(r.get(top, "steps_per_symbol"), 1, 1 << 20));
  if (r.has(top, "reset"))
    m.reset = reset_policy_from_string(r.choice(r.get(top, "reset"), {"symbol", "sample"}));
  if (r.has(top, "input_timing"))
    m.input_timing =
        input_timing_from_string(r.choice(r.get(top, "input_timing"), {"next_step", "same_step"}));
  m.prediction = r.text(r.get(top, "prediction"));
  if (r.has(top, "host")) {
    const yaml::Field h = r.get(top, "host");
    r.expect_map(h, {}, {"format", "location"});
    if (r.has(h, "format")) {
      const yaml::Field f = r.get(h, "format");
      r.label_errors(f, [&] { m.host_format = host_number_format_from_string(r.text(f)); });
    }
    if (r.has(h, "location"))
      m.host_location = r.choice(r.get(h, "location"), {"external", "embedded"});
  }
  return m;
}

InferenceOptions inference_options(const ModelSpec& model, const core::Architecture& arch) {
  InferenceOptions o;
  o.steps_per_symbol = model.steps_per_symbol;
  o.reset = model.reset;
  o.input_timing = model.input_timing;
  o.prediction = model.prediction;
  o.host_format = model.host_format;
  o.host_costs = host_costs(arch, model.host_location);
  return o;
}

SequenceDataset read_sequence_h5(const std::filesystem::path& file) {
  auto root = h5::open_file(file.string());
  std::vector<std::uint64_t> dims;
  SequenceDataset d;
  d.name = file.filename().string();
  d.values = root.read<float>("values", &dims);
  if (dims.size() != 3 || dims[0] == 0 || dims[1] == 0 || dims[2] == 0)
    root.fail("values", "expected a samples x symbols x symbol_size array");
  d.num_symbols = static_cast<int>(dims[1]);
  d.symbol_size = static_cast<int>(dims[2]);
  std::vector<std::uint64_t> ldims;
  d.labels = root.read<std::int32_t>("labels", &ldims);
  if (ldims.size() != 1 || ldims[0] != dims[0])
    root.fail("labels", "expected " + std::to_string(dims[0]) + " labels (one per sample)");
  const std::int64_t classes = root.int_attribute("num_classes");
  if (classes < 2 || classes > 1 << 20) root.fail("@num_classes", "must be 2..1048576");
  d.num_classes = static_cast<int>(classes);
  for (std::size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels[i] < 0 || d.labels[i] >= d.num_classes)
      root.fail("labels", "label " + std::to_string(d.labels[i]) + " of sample " +
                              std::to_string(i) + " is outside 0.." +
                              std::to_string(d.num_classes - 1));
  for (std::size_t i = 0; i < d.values.size(); ++i)
    if (!std::isfinite(d.values[i]))
      root.fail("values", "value " + std::to_string(i) + " is not finite");
  return d;
}

SequenceDataset load_model_dataset(const DatasetSpec& spec, const std::string& cache_dir) {
  if (!spec.file.empty()) return read_sequence_h5(spec.file);
  return load_dataset(spec.name, cache_dir, spec.split, sequence_layout_from_string(spec.layout),
                      input_scaling_from_string(spec.scaling));
}

}  // namespace loihisim
