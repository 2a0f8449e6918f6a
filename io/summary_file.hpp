// Summary files (run, core-run, map, baseline and compare reports, NIR quantisation reports):
// one ordered JSON value, written as JSON or YAML by the file's extension, whole or not at all,
// and read back from either with checked, typed access.
// The one key schema (docs/reports.md): keys are snake_case and carry their unit as a suffix
// (`_fJ`, `_pJ`, `_ps`, `_ns`, `_s`, `_uW`, `_mW`); counts have none. Energies and times summed
// over a run are integers in fJ and ps (exact: breakdowns add up to their totals), per-inference
// figures are doubles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace loihisim {

// Keys in insertion order, so that files read top-down like the terminal tables.
using Summary = nlohmann::ordered_json;

// The value as YAML (block style; strings double-quoted so that none reads back as a number or
// a boolean; fractions always with a decimal point, so that they read back as fractions).
std::string summary_yaml(const Summary& j);

// Writes `j` to `path`: .json (indented JSON) or .yaml / .yml. Throws InputError for another
// extension or a write failure.
void write_summary(const Summary& j, const std::filesystem::path& path);
// Throws InputError "OPTION PATH: unknown summary format" unless the extension is one
// write_summary knows: for checking an output option before any work.
void check_summary_path(const std::filesystem::path& path, const std::string& option);

// Reads a summary file: .json (JSON) or .yaml / .yml (YAML: double-quoted scalars are strings;
// plain ones are null, booleans, integers or fractions when they read as such, else strings).
// Throws InputError naming the file for another extension, a file that cannot be read or a
// syntax error.
Summary read_summary(const std::filesystem::path& path);

// Checked, typed access to a summary read back from a file. Every failure is an InputError
// naming the file and the key path, e.g.
//   run.json: per_inference: missing key 'latency_ns' (ns)
//   run.json: accuracy.fraction: expected a number, found the string "high"
class SummaryField {
 public:
  // The top level of `root` (which must outlive the field and those taken from it).
  SummaryField(const Summary& root, std::string file) : value_(&root), file_(std::move(file)) {}

  const Summary& value() const { return *value_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }  // "" at the top level

  // Whether this is an object with `key`.
  bool has(const std::string& key) const;
  // The member `key` of this object; `what` says what it should hold (for the message when it
  // is missing).
  SummaryField at(const std::string& key, const std::string& what = "") const;
  // The elements of this list.
  std::vector<SummaryField> items() const;

  std::string string() const;
  double number() const;                 // an integer or a fraction
  double fraction() const;               // a number in 0..1
  double non_negative() const;           // a number >= 0 (energies, times)
  std::uint64_t positive_count() const;  // an integer >= 1
  std::int64_t integer() const;          // an integer (not a fraction)
  std::uint64_t count() const;           // a non-negative integer
  bool boolean() const;

  // "FILE: PATH: what" (PATH "(top level)" at the top).
  [[noreturn]] void fail(const std::string& what) const;

 private:
  SummaryField(const Summary& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}
  [[noreturn]] void wrong_type(const char* expected) const;

  const Summary* value_;
  std::string file_;
  std::string path_;
};

}  // namespace loihisim
