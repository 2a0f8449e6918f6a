// Summary files (run, core-run, map, baseline and compare reports, NIR quantisation reports):
// one ordered JSON value, written as JSON or YAML by the file's extension, whole or not at all.
// The one key schema (docs/reports.md): keys are snake_case and carry their unit as a suffix
// (`_fJ`, `_pJ`, `_ps`, `_ns`, `_s`, `_uW`); energies and times summed over a run are integers
// in fJ and ps (exact: breakdowns add up to their totals), per-inference figures are doubles.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace loihisim {

// Keys in insertion order, so that files read top-down like the terminal tables.
using Summary = nlohmann::ordered_json;

// The value as YAML (block style; strings double-quoted so that none reads back as a number or
// a boolean).
std::string summary_yaml(const Summary& j);

// Writes `j` to `path`: .json (indented JSON) or .yaml / .yml. Throws InputError for another
// extension or a write failure.
void write_summary(const Summary& j, const std::filesystem::path& path);

}  // namespace loihisim
