// Strict reading of YAML files: every value is checked for type and range, unknown and repeated
// keys are errors, and every error is an InputError of the form
//   FILE:LINE: key.path: what is wrong (allowed range)
// Shared by every YAML format of the project (architectures, models, specs, networks).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

namespace loihisim::yaml {

// A node together with its key path, for messages.
struct Field {
  YAML::Node node;
  std::string path;
};

std::string join(const std::string& path, const std::string& key);
std::string item(const std::string& path, std::size_t i);
// How a node looks, for messages: "a mapping", "a list", "'abc'", "nothing".
std::string describe(const YAML::Node& n);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const Field& f, const std::string& what) const;

  // The node must be a mapping whose keys are all in `required` or `optional`, each at most
  // once, with every `required` key present.
  void expect_map(const Field& f, std::initializer_list<const char*> required,
                  std::initializer_list<const char*> optional = {}) const;
  bool has(const Field& map, const char* key) const;
  Field get(const Field& map, const char* key) const;
  // The node must be a list; returns its items with paths "path[i]".
  std::vector<Field> items(const Field& f) const;

  std::int64_t integer(const Field& f, std::int64_t lo, std::int64_t hi) const;
  // A decimal number with at most 3 fractional digits, in thousandths (pJ -> fJ, ns -> ps):
  // exact, no binary rounding. `lo` and `hi` are in whole units.
  std::int64_t milli(const Field& f, std::int64_t lo, std::int64_t hi,
                     const std::string& unit) const;
  double real(const Field& f, double lo, double hi, const std::string& unit = "") const;
  bool boolean(const Field& f) const;
  std::string text(const Field& f) const;  // a non-empty scalar
  // A text that must be one of `choices`.
  std::string choice(const Field& f, std::initializer_list<const char*> choices) const;

 private:
  std::string plain_scalar(const Field& f, const std::string& expected) const;
  std::string file_;
};

// Loads a file; a missing file or a YAML syntax error is an InputError naming the file and line.
YAML::Node load_file(const std::filesystem::path& path);
YAML::Node load_text(const std::string& text, const std::string& file_name);

}  // namespace loihisim::yaml
