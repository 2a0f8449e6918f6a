#include "io/summary_file.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>

#include "io/errors.hpp"
#include "io/text_output.hpp"

namespace loihisim {
namespace {

void emit_yaml(YAML::Emitter& out, const Summary& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit_yaml(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {  // arrays of plain values on one line
    const bool flat =
        std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_primitive(); });
    out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& v : j) emit_yaml(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_boolean()) {
    out << j.get<bool>();
  } else if (j.is_number_integer()) {
    out << j.get<std::int64_t>();
  } else if (j.is_number_unsigned()) {
    out << j.get<std::uint64_t>();
  } else if (j.is_number_float()) {
    out << fmt::format("{}", j.get<double>());  // shortest form that reads back exactly
  } else {
    out << YAML::Null;
  }
}

}  // namespace

std::string summary_yaml(const Summary& j) {
  YAML::Emitter out;
  emit_yaml(out, j);
  return std::string(out.c_str()) + "\n";
}

void write_summary(const Summary& j, const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  std::string text;
  if (ext == ".json")
    text = j.dump(2) + "\n";
  else if (ext == ".yaml" || ext == ".yml")
    text = summary_yaml(j);
  else
    throw InputError(path.string() + ": unknown summary format (use .json, .yaml or .yml)");
  write_text_file(path, text);
}

}  // namespace loihisim
