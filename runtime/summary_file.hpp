// Summary files (run reports, CPU baselines, comparisons): one JSON value, written as JSON or
// YAML by the file's extension, whole or not at all.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace loihisim {

// The value as YAML (block style; strings double-quoted so that none reads back as a number or
// a boolean).
std::string summary_yaml(const nlohmann::json& j);

// Writes `j` to `path`: .json (indented JSON) or .yaml / .yml. Throws InputError for another
// extension or a write failure.
void write_summary(const nlohmann::json& j, const std::filesystem::path& path);

}  // namespace loihisim
