// Strict reading of YAML files: every value is checked for type and range, unknown and repeated
// keys are errors, and every error is an InputError naming the file, the line, the key path, the
// value and the allowed range, e.g.
//   FILE:LINE: key.path: what is wrong (allowed range)
// Shared by every YAML format of the project (architectures, models, core-run specs, networks).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/enum_names.hpp"
#include "io/errors.hpp"

namespace loihisim::yaml {

// A node together with its key path, for messages.
struct Field {
  YAML::Node node;
  std::string path;
};

std::string join(const std::string& path, const std::string& key);  // "a.b" ("b" at the top)
std::string item(const std::string& path, std::size_t i);           // "a[i]"
// How a node looks, for messages: "a mapping", "a list", "'abc'", "the quoted string \"abc\"",
// "nothing".
std::string describe(const YAML::Node& n);

// How messages attach a bad value to its key path. Both name the file, the line, the key path,
// the value and the allowed range; each file format keeps one wording throughout.
enum class Wording {
  // "chip.mesh.tiles_x: 0 is out of range (allowed 1..256)": architecture profiles, models.
  kColon,
  // "cores[0].profiles[1].decay_u = 5000 is outside the allowed range 0..4095": core-run specs
  // and networks, whose messages stand beside those of core::validate(), which are worded so.
  kEquals,
};

// Whether Reader::real() accepts YAML's infinity (.inf, -.inf).
enum class Infinity { kRejected, kAllowed };

// Reader::throw_problems_if_any() lists at most this many problems (and counts the rest).
inline constexpr std::size_t kMaxReportedProblems = 20;

class Reader {
 public:
  explicit Reader(std::string file, Wording wording = Wording::kColon)
      : file_(std::move(file)), wording_(wording) {}

  const std::string& file() const { return file_; }

  // --- failing (every error is an InputError)
  // "FILE:LINE: PATH: what"; PATH is "(top level)" when empty, LINE is left out when the node
  // has none (e.g. a key that is absent).
  [[noreturn]] void fail(const Field& f, const std::string& what) const;
  // "FILE:LINE: message", for a message that names the key path itself.
  [[noreturn]] void fail_at(const YAML::Node& at, const std::string& message) const;
  // The wording's message for `value` outside `range` ("lo..hi", with a unit if any); `note`
  // follows, e.g. " (steps are numbered from 1)".
  [[noreturn]] void fail_range(const Field& f, const std::string& value, const std::string& range,
                               const std::string& note = "") const;
  // Runs `check`; an InputError it throws (from a check that knows nothing of files, such as a
  // data structure's own invariants) is rethrown as "FILE:LINE: PATH: <its message>".
  template <class F>
  void label_errors(const Field& f, F&& check) const {
    try {
      check();
    } catch (const InputError& e) {
      fail(f, e.what());
    }
  }

  // --- mappings and lists
  // The node must be a mapping whose keys are all in `required` or `optional`, each at most
  // once, with every `required` key present. A reader that wants the keys checked in reading
  // order, each with a description, gives them all as `optional` and calls require().
  void expect_map(const Field& f, std::initializer_list<const char*> required,
                  std::initializer_list<const char*> optional = {}) const;
  bool has(const Field& map, const char* key) const;
  // The key's field (an undefined node when the key is absent).
  Field get(const Field& map, const char* key) const;
  // The key's field, or nothing when the key is absent.
  std::optional<Field> find(const Field& map, const char* key) const;
  // The key's field; an absent key is an error naming the key and `what` it holds
  // (e.g. "threshold mantissa, 0..131071"; may be empty).
  Field require(const Field& map, const char* key, const std::string& what) const;
  // The node must be a list; returns its items with paths "path[i]". `what` names the items in
  // the message when it is not ("expected a list of <what>").
  std::vector<Field> items(const Field& f, const std::string& what = "") const;
  // An array written inline: a list of numbers (`[1, 2, 3]`, shape {3}) or a list of equally
  // long rows of numbers (`[[1, 2], [3, 4]]`, shape {2, 2}), returned row-major. T is
  // std::int64_t (any 64-bit integer) or double (any finite number). `what` names the items in
  // the message when the node is not a list.
  template <class T>
  std::vector<T> array(const Field& f, std::vector<std::uint64_t>& shape,
                       const std::string& what = "numbers") const;

  // --- scalars
  // A decimal integer (optional sign, digits only) in [lo, hi]; `note` follows the range in the
  // message.
  std::int64_t integer(const Field& f, std::int64_t lo, std::int64_t hi,
                       const std::string& note = "") const;
  // A decimal integer that fits 32 bits, for a field whose own range is checked elsewhere (e.g.
  // by core::validate()).
  std::int32_t int32(const Field& f) const;
  // A decimal number with at most 3 fractional digits, in thousandths (pJ -> fJ, ns -> ps):
  // exact, no binary rounding. `lo` and `hi` are in whole units.
  std::int64_t milli(const Field& f, std::int64_t lo, std::int64_t hi,
                     const std::string& unit) const;
  // A decimal number (`2`, `-0.5`, `1e-3`) in [lo, hi]; never NaN or infinite.
  double real(const Field& f, double lo, double hi, const std::string& unit = "") const;
  // A decimal number with no range (the caller checks what it needs); never NaN.
  double real(const Field& f, Infinity infinity = Infinity::kRejected) const;
  bool boolean(const Field& f) const;        // true or false
  std::string text(const Field& f) const;    // a non-empty scalar, such as a name
  std::string string(const Field& f) const;  // any scalar, quoted or not, possibly empty
  // A scalar that must be one of `choices`.
  std::string choice(const Field& f, std::initializer_list<const char*> choices) const;
  // The same, mapped to a value: choice<Mode>(f, {{"zero", Mode::kZero}, ...}).
  template <class E>
  E choice(const Field& f, std::initializer_list<std::pair<const char*, E>> options) const {
    std::vector<const char*> names;
    for (const auto& o : options) names.push_back(o.first);
    return (options.begin() + choice_index(f, names))->second;
  }
  // The same, from the enum's name table (core/enum_names.hpp).
  template <class E, std::size_t N>
  E choice(const Field& f, const std::array<EnumName<E>, N>& table) const {
    std::vector<std::string> owned;
    for (const auto& entry : table) owned.emplace_back(entry.name);
    std::vector<const char*> names;
    for (const auto& o : owned) names.push_back(o.c_str());
    return table[choice_index(f, names)].value;
  }

  // --- problems found after reading, reported together
  // A problem found once the whole file is read (e.g. by a validation of the result), named by
  // its key path; `message` is complete (it names the path itself). It is reported at the line
  // of that path, or of its nearest parent, that the checks above saw: every mapping, key and
  // list they check has its line remembered.
  void add_problem(std::string path, std::string message);
  // Throws every problem added, if any, as one InputError: "FILE:LINE: message" for one, else
  // "FILE: N problems in the <document>:" followed by one such line each (at most
  // kMaxReportedProblems).
  void throw_problems_if_any(const std::string& document) const;

 private:
  struct Problem {
    std::string path;
    std::string message;
  };

  static int line_of(const YAML::Node& n);  // 1-based; 0 when unknown
  const char* found() const;                // "found" or "got", as the wording has it
  void remember(const std::string& path, const YAML::Node& n) const;
  int line_of_path(std::string path) const;
  [[noreturn]] void missing(const Field& map, const char* key, const std::string& what) const;
  // The scalar's text; anything else (a mapping, a list, nothing, a quoted or empty scalar) is
  // an error: "expected <expected> (allowed <range>)".
  std::string plain_scalar(const Field& f, const std::string& expected,
                           const std::string& range) const;
  // `f`'s text is not <kind> ("an integer", "a number"), e.g. "'abc' is not an integer".
  [[noreturn]] void malformed(const Field& f, const std::string& kind,
                              const std::string& range) const;
  std::size_t choice_index(const Field& f, const std::vector<const char*>& names) const;
  void check_inline_array_size(const Field& f, std::uint64_t count,
                               std::size_t element_bytes) const;

  std::string file_;
  Wording wording_;
  // YAML key path -> 1-based line. Filled as a side effect of checking (hence mutable), read only
  // to place problems added after reading.
  mutable std::unordered_map<std::string, int> lines_;
  std::vector<Problem> problems_;
};

// The offset of the first byte of `text` that is not well-formed UTF-8, or npos. Files must be
// UTF-8 and so must every string read from them: yaml-cpp decodes the escapes \_ and \N into
// single bytes that are not, and the reports' JSON writer refuses such text.
std::size_t invalid_utf8_at(std::string_view text);

// Loads a file. A missing or unreadable file or a directory is an InputError naming the file
// ("PATH: cannot open the <kind>"); a YAML syntax error is one naming the file, line and column;
// so is text that is not UTF-8.
YAML::Node load_file(const std::filesystem::path& path, const std::string& kind = "file");
YAML::Node load_text(const std::string& text, const std::string& file_name);

// Runs `read` over a document of `file`: a yaml-cpp exception escaping it (the Reader's checked
// accessors throw none; a conversion that bypasses them would) becomes an InputError naming the
// file, never an unexplained internal error.
template <class F>
auto labelled(const std::string& file, F&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    throw InputError(file + ": " + e.what());
  }
}

}  // namespace loihisim::yaml
