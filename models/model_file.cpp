#include "models/model_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "io/enum_parse.hpp"
#include "io/text_output.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {

std::string HostNumberFormat::name() const {
  if (!fixed) return "float32";
  return "q" + std::to_string(31 - frac_bits) + "." + std::to_string(frac_bits);
}

HostNumberFormat host_number_format_from_string(const std::string& name) {
  if (name == "float32") return {};
  int int_bits = 0, frac_bits = 0;
  char tail = 0;
  if (std::sscanf(name.c_str(), "q%d.%d%c", &int_bits, &frac_bits, &tail) == 2 && int_bits >= 0 &&
      frac_bits >= 1 && frac_bits <= 30 && int_bits + frac_bits == 31)
    return {true, frac_bits};
  throw InputError("unknown host number format '" + name +
                   "': use float32 or qI.F with I + F = 31 and 1 <= F <= 30 (e.g. q15.16)");
}

namespace {

void read_dataset_spec(const yaml::Reader& r, const yaml::Field& ds,
                       const std::filesystem::path& dir, DatasetSpec& spec) {
  if (ds.node.IsMap() && ds.node["file"].IsDefined()) {
    r.expect_map(ds, {"file"});
    spec.file = dir / r.text(r.get(ds, "file"));
    return;
  }
  r.expect_map(ds, {"name"}, {"split", "layout", "scaling", "permutation_seed"});
  spec.name = r.choice(r.get(ds, "name"), {"mnist", "fashion", "sort-digits"});
  if (spec.name == "sort-digits") {  // strings made in C++ (formats/sort_digits_task.hpp)
    r.expect_map(ds, {"name"}, {"split"});
    if (r.has(ds, "split")) spec.split = r.choice(r.get(ds, "split"), {"train", "test"});
    return;
  }
  if (r.has(ds, "split")) spec.split = r.choice(r.get(ds, "split"), {"train", "test"});
  if (r.has(ds, "layout")) spec.layout = r.choice(r.get(ds, "layout"), kSequenceLayoutNames);
  if (r.has(ds, "scaling")) spec.scaling = r.choice(r.get(ds, "scaling"), kInputScalingNames);
  if (r.has(ds, "permutation_seed")) {
    const yaml::Field f = r.get(ds, "permutation_seed");
    spec.permutation_seed = r.integer(f, 0, std::int64_t{1} << 62);
    if (spec.layout != SequenceLayout::kPixel)
      r.fail(f, "permutes the pixels of layout pixel, but the layout is " + to_string(spec.layout));
  }
}

void read_host(const yaml::Reader& r, const yaml::Field& h, ModelSpec& m) {
  r.expect_map(h, {}, {"format", "location"});
  if (r.has(h, "format")) {
    const yaml::Field f = r.get(h, "format");
    r.label_errors(f, [&] { m.host_format = host_number_format_from_string(r.text(f)); });
  }
  if (r.has(h, "location")) m.host_location = r.choice(r.get(h, "location"), kHostLocationNames);
}

void read_dts(const yaml::Reader& r, const yaml::Field& f, ModelSpec& m) {
  r.expect_map(f, {"tau", "probe_encoders", "probe_port"}, {"probe_steps"});
  m.dts.tau = r.real(r.get(f, "tau"), 0.0, 1.0);
  if (r.has(f, "probe_steps"))
    m.dts.probe_steps =
        static_cast<int>(r.integer(r.get(f, "probe_steps"), 1, m.steps_per_symbol, "(at most T)"));
  for (const auto& e : r.items(r.get(f, "probe_encoders"), "encoder names"))
    m.dts.probe_encoders.push_back(r.text(e));
  if (m.dts.probe_encoders.empty())
    r.fail(r.get(f, "probe_encoders"), "at least one probe encoder is needed");
  m.dts.probe_port = r.text(r.get(f, "probe_port"));
}

ModelSpec read_model_root(const std::filesystem::path& file) {
  const YAML::Node root = yaml::load_file(file, "model file");
  const yaml::Reader r(file.string());
  const yaml::Field top{root, ""};
  r.expect_map(top, {"name", "dataset", "steps_per_symbol", "prediction"},
               {"network", "image", "placer", "reset", "input_timing", "host", "dts"});
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
  read_dataset_spec(r, r.get(top, "dataset"), dir, m.dataset);
  m.steps_per_symbol = static_cast<int>(r.integer(r.get(top, "steps_per_symbol"), 1, 1 << 20));
  if (r.has(top, "reset")) m.reset = r.choice(r.get(top, "reset"), kResetPolicyNames);
  if (r.has(top, "input_timing"))
    m.input_timing = r.choice(r.get(top, "input_timing"), kInputTimingNames);
  m.prediction = r.text(r.get(top, "prediction"));
  if (r.has(top, "host")) read_host(r, r.get(top, "host"), m);
  if (r.has(top, "dts")) read_dts(r, r.get(top, "dts"), m);  // after steps_per_symbol
  return m;
}

}  // namespace

ModelSpec read_model(const std::filesystem::path& file) {
  return yaml::labelled(file.string(), [&] { return read_model_root(file); });
}

void write_model(const std::filesystem::path& file, const ModelSpec& m) {
  YAML::Emitter out;
  std::string comment = m.comment;
  while (!comment.empty() && comment.back() == '\n') comment.pop_back();
  if (!comment.empty()) out << YAML::Comment(comment) << YAML::Newline;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name;
  if (!m.network.empty())
    out << YAML::Key << "network" << YAML::Value << YAML::DoubleQuoted
        << relative_to(m.network, file);
  else
    out << YAML::Key << "image" << YAML::Value << YAML::DoubleQuoted << relative_to(m.image, file);
  out << YAML::Key << "placer" << YAML::Value << m.placer;
  out << YAML::Key << "dataset" << YAML::Value << YAML::Flow << YAML::BeginMap;
  if (!m.dataset.file.empty()) {
    out << YAML::Key << "file" << YAML::Value << YAML::DoubleQuoted
        << relative_to(m.dataset.file, file);
  } else {
    out << YAML::Key << "name" << YAML::Value << m.dataset.name;
    out << YAML::Key << "split" << YAML::Value << m.dataset.split;
    if (m.dataset.name != "sort-digits")
      out << YAML::Key << "layout" << YAML::Value << to_string(m.dataset.layout);
    if (m.dataset.scaling != InputScaling::kUnit)
      out << YAML::Key << "scaling" << YAML::Value << to_string(m.dataset.scaling);
    if (m.dataset.permutation_seed >= 0)
      out << YAML::Key << "permutation_seed" << YAML::Value << m.dataset.permutation_seed;
  }
  out << YAML::EndMap;
  out << YAML::Key << "steps_per_symbol" << YAML::Value << m.steps_per_symbol;
  out << YAML::Key << "reset" << YAML::Value << to_string(m.reset);
  out << YAML::Key << "input_timing" << YAML::Value << to_string(m.input_timing);
  out << YAML::Key << "prediction" << YAML::Value << YAML::DoubleQuoted << m.prediction;
  out << YAML::Key << "host" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << m.host_format.name();
  out << YAML::Key << "location" << YAML::Value << to_string(m.host_location);
  out << YAML::EndMap;
  if (m.dts.enabled()) {
    out << YAML::Key << "dts" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "tau" << YAML::Value << m.dts.tau;
    out << YAML::Key << "probe_encoders" << YAML::Value << YAML::Flow << m.dts.probe_encoders;
    out << YAML::Key << "probe_port" << YAML::Value << m.dts.probe_port;
    if (m.dts.probe_steps > 0)
      out << YAML::Key << "probe_steps" << YAML::Value << m.dts.probe_steps;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  if (!out.good())
    throw InputError(file.string() + ": cannot emit the model: " + out.GetLastError());
  write_text_file(file, std::string(out.c_str()) + "\n");
}

}  // namespace loihisim
