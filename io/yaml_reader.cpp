#include "io/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "io/limits.hpp"

namespace loihisim::yaml {
namespace {

template <class Names>
std::string list(const Names& names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal integer: an optional sign and at least one digit, nothing else. `overflow` is set
// when it does not fit 64 bits (v is then meaningless).
bool parse_integer(std::string_view s, std::int64_t& v, bool& overflow) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes '-' but not '+'
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  overflow = ec == std::errc::result_out_of_range;
  return true;
}

// A decimal number (`2`, `-0.5`, `.5`, `1e-3`; never hexadecimal, never NaN) or YAML's infinity
// (`.inf`, `-.inf`). Locale-independent.
bool parse_real(std::string_view s, double& v) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF") {
    v = negative ? -std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::infinity();
    return true;
  }
  if (s.empty() || !(is_digit(s[0]) || s[0] == '.')) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || std::isnan(v)) return false;
  if (negative) v = -v;
  return true;
}

bool is_plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() != "!" && !n.Scalar().empty();
}

std::string path_or_top(const Field& f) {
  return f.path.empty() ? "(top level)" : f.path;
}

std::string int32_range() {
  return std::to_string(std::numeric_limits<std::int32_t>::min()) + ".." +
         std::to_string(std::numeric_limits<std::int32_t>::max());
}

}  // namespace

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string item(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? "the quoted string \"" + n.Scalar() + "\"" : "'" + n.Scalar() + "'";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// --- failing

int Reader::line_of(const YAML::Node& n) {
  return n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

const char* Reader::found() const {
  return wording_ == Wording::kColon ? "found" : "got";
}

void Reader::fail_at(const YAML::Node& at, const std::string& message) const {
  const int line = line_of(at);
  throw InputError(file_ + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message);
}

void Reader::fail(const Field& f, const std::string& what) const {
  fail_at(f.node, path_or_top(f) + ": " + what);
}

void Reader::fail_range(const Field& f, const std::string& value, const std::string& range,
                        const std::string& note) const {
  if (wording_ == Wording::kColon)
    fail(f, value + " is out of range (allowed " + range + ")" + note);
  fail_at(f.node, path_or_top(f) + " = " + value + " is outside the allowed range " + range + note);
}

void Reader::missing(const Field& map, const char* key, const std::string& what) const {
  const std::string description = what.empty() ? "" : " (" + what + ")";
  if (wording_ == Wording::kColon)
    fail(map, "missing key '" + std::string(key) + "'" + description);
  fail_at(map.node,
          join(map.path, key) + ": missing required key '" + std::string(key) + "'" + description);
}

// --- mappings and lists

void Reader::remember(const std::string& path, const YAML::Node& n) const {
  if (const int line = line_of(n); line > 0) lines_[path] = line;
}

void Reader::expect_map(const Field& f, std::initializer_list<const char*> required,
                        std::initializer_list<const char*> optional) const {
  std::string allowed = list(required);
  if (optional.size()) allowed += (allowed.empty() ? "" : ", ") + list(optional);
  if (!f.node.IsMap())
    fail(f, "expected a mapping with keys " + allowed + ", " + found() + " " + describe(f.node));
  remember(f.path, f.node);
  std::set<std::string> seen;
  auto known = [&](const std::string& k) {
    auto match = [&](const char* a) { return k == a; };
    return std::any_of(required.begin(), required.end(), match) ||
           std::any_of(optional.begin(), optional.end(), match);
  };
  for (const auto& kv : f.node) {
    if (!kv.first.IsScalar())
      fail({kv.first, f.path},
           std::string("keys must be plain names, ") + found() + " " + describe(kv.first));
    const std::string& k = kv.first.Scalar();
    const Field key{kv.first, join(f.path, k)};
    if (!known(k)) fail(key, "unknown key '" + k + "' (allowed keys: " + allowed + ")");
    if (!seen.insert(k).second)
      fail(key, wording_ == Wording::kColon ? "key given twice" : "duplicate key '" + k + "'");
    remember(key.path, kv.first);
  }
  for (const char* k : required)
    if (!seen.count(k)) missing(f, k, "");
}

bool Reader::has(const Field& map, const char* key) const {
  return map.node.IsMap() && map.node[key].IsDefined();
}

Field Reader::get(const Field& map, const char* key) const {
  return {map.node[key], join(map.path, key)};
}

std::optional<Field> Reader::find(const Field& map, const char* key) const {
  if (!has(map, key)) return std::nullopt;
  return get(map, key);
}

Field Reader::require(const Field& map, const char* key, const std::string& what) const {
  Field f = get(map, key);
  if (!f.node.IsDefined()) missing(map, key, what);
  return f;
}

std::vector<Field> Reader::items(const Field& f, const std::string& what) const {
  if (!f.node.IsSequence())
    fail(f, "expected a list" + (what.empty() ? "" : " of " + what) + ", " + found() + " " +
                describe(f.node));
  remember(f.path, f.node);
  std::vector<Field> out;
  out.reserve(f.node.size());
  for (std::size_t i = 0; i < f.node.size(); ++i) out.push_back({f.node[i], item(f.path, i)});
  return out;
}

// Every element of an inline array takes at least two characters ("1,"), so a text input
// holds at most kMaxTextFileBytes / 2 of them; more can only come from aliases (`*row` repeated),
// the YAML "billion laughs". Refused, like an array too large for memory, before allocating.
void Reader::check_inline_array_size(const Field& f, std::uint64_t count,
                                     std::size_t element_bytes) const {
  constexpr std::uint64_t kMaxElements = kMaxTextFileBytes / 2;
  if (count > kMaxElements)
    fail(f, "an inline array of " + std::to_string(count) + " elements, more than a text file of " +
                readable_bytes(kMaxTextFileBytes) + " can hold (" + std::to_string(kMaxElements) +
                "): aliases expand it; store large arrays in the HDF5 arrays file");
  try {
    check_memory(bytes_for(count, element_bytes),
                 "an inline array of " + std::to_string(count) + " elements");
  } catch (const InputError& e) {
    fail(f, e.what());
  }
}

template <class T>
std::vector<T> Reader::array(const Field& f, std::vector<std::uint64_t>& shape,
                             const std::string& what) const {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>);
  if (!f.node.IsSequence())
    fail(f, "expected a list of " + what + ", " + found() + " " + describe(f.node));
  remember(f.path, f.node);
  std::vector<T> out;
  // The element's path is built only for a message: arrays can be long.
  const auto element = [&](const YAML::Node& x, auto&& path) {
    if constexpr (std::is_same_v<T, std::int64_t>) {
      std::int64_t v = 0;
      bool overflow = false;
      if (is_plain_scalar(x) && parse_integer(x.Scalar(), v, overflow) && !overflow)
        out.push_back(v);
      else  // fails with the message for x
        out.push_back(integer({x, path()}, std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::int64_t>::max()));
    } else {
      double v = 0;
      if (is_plain_scalar(x) && parse_real(x.Scalar(), v) && std::isfinite(v))
        out.push_back(v);
      else
        out.push_back(real(Field{x, path()}));
    }
  };
  const YAML::Node& n = f.node;
  const std::uint64_t count =
      n.size() == 0 || !n[0].IsSequence() ? n.size() : bytes_for(n.size(), n[0].size());
  check_inline_array_size(f, count, sizeof(T));
  if (n.size() == 0 || !n[0].IsSequence()) {
    shape = {n.size()};
    out.reserve(n.size());
    for (std::size_t i = 0; i < n.size(); ++i) element(n[i], [&] { return item(f.path, i); });
    return out;
  }
  const std::size_t cols = n[0].size();
  shape = {n.size(), cols};
  out.reserve(n.size() * cols);
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node row = n[i];
    // A row that is an alias (`*row`) points back to its anchor: it is the one way a small text
    // makes a huge matrix, so a row must come after the one before it in the file.
    if (i > 0 && row.Mark().pos >= 0 && row.Mark().pos <= n[i - 1].Mark().pos)
      fail({row, item(f.path, i)},
           "a row given by an alias (*name) of an earlier row; write every row out (aliases "
           "would let a small file declare a huge matrix)");
    if (!row.IsSequence() || row.size() != cols)
      fail({row, item(f.path, i)},
           "expected a row of " + std::to_string(cols) + " numbers (like row 0), " + found() + " " +
               (row.IsSequence() ? std::to_string(row.size()) + " values" : describe(row)));
    for (std::size_t j = 0; j < cols; ++j)
      element(row[j], [&] { return item(item(f.path, i), j); });
  }
  return out;
}

template std::vector<std::int64_t> Reader::array<std::int64_t>(const Field&,
                                                               std::vector<std::uint64_t>&,
                                                               const std::string&) const;
template std::vector<double> Reader::array<double>(const Field&, std::vector<std::uint64_t>&,
                                                   const std::string&) const;

// --- scalars

std::string Reader::plain_scalar(const Field& f, const std::string& expected,
                                 const std::string& range) const {
  if (!is_plain_scalar(f.node)) {
    if (wording_ == Wording::kColon && !range.empty())
      fail(f, "expected " + expected + " (allowed " + range + "), found " + describe(f.node));
    fail(f, "expected " + expected + ", " + found() + " " + describe(f.node));
  }
  return f.node.Scalar();
}

void Reader::malformed(const Field& f, const std::string& kind, const std::string& range) const {
  if (wording_ == Wording::kEquals) fail(f, "expected " + kind + ", got " + describe(f.node));
  fail(f, "'" + f.node.Scalar() + "' is not " + kind +
              (range.empty() ? "" : " (allowed " + range + ")"));
}

std::int64_t Reader::integer(const Field& f, std::int64_t lo, std::int64_t hi,
                             const std::string& note) const {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  const std::string text = plain_scalar(f, "an integer", range);
  std::int64_t v = 0;
  bool overflow = false;
  if (!parse_integer(text, v, overflow)) malformed(f, "an integer", range);
  if (overflow || v < lo || v > hi) fail_range(f, text, range, note);
  return v;
}

std::int32_t Reader::int32(const Field& f) const {
  const std::string range = int32_range();
  const std::string text = plain_scalar(f, "an integer", range);
  std::int64_t v = 0;
  bool overflow = false;
  if (!parse_integer(text, v, overflow)) malformed(f, "an integer", range);
  if (overflow || v < std::numeric_limits<std::int32_t>::min() ||
      v > std::numeric_limits<std::int32_t>::max()) {
    if (wording_ == Wording::kColon)
      fail(f, text + " does not fit a 32-bit integer (allowed " + range + ")");
    fail_at(f.node, path_or_top(f) + " = " + text +
                        " does not fit a 32-bit integer (allowed range " + range + ")");
  }
  return static_cast<std::int32_t>(v);
}

std::int64_t Reader::milli(const Field& f, std::int64_t lo, std::int64_t hi,
                           const std::string& unit) const {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi) + " " + unit;
  const std::string text = plain_scalar(f, "a number", range);
  std::size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    ++i;
  }
  std::int64_t whole = 0, frac = 0;
  int whole_digits = 0, frac_digits = 0;
  bool ok = true;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (!is_digit(text[i]) || ++whole_digits > 15) {
      ok = false;
      break;
    }
    whole = whole * 10 + (text[i] - '0');
  }
  if (ok && i < text.size()) {  // text[i] == '.'
    for (++i; i < text.size(); ++i) {
      if (!is_digit(text[i])) {
        ok = false;
        break;
      }
      if (++frac_digits > 3)
        fail(f, text + " has more than 3 decimal places (the resolution is 0.001 " + unit + ")");
      frac = frac * 10 + (text[i] - '0');
    }
    ok = ok && frac_digits > 0;
  }
  if (!ok || whole_digits == 0) malformed(f, "a decimal number", range);
  for (int d = frac_digits; d < 3; ++d) frac *= 10;
  const std::int64_t v = (whole * 1000 + frac) * (negative ? -1 : 1);
  if (v < lo * 1000 || v > hi * 1000) fail_range(f, text, range);
  return v;
}

double Reader::real(const Field& f, double lo, double hi, const std::string& unit) const {
  std::ostringstream r;
  r << lo << ".." << hi << (unit.empty() ? "" : " ") << unit;
  const std::string text = plain_scalar(f, "a number", r.str());
  double v = 0;
  if (!parse_real(text, v)) malformed(f, "a number", r.str());
  if (!(v >= lo && v <= hi)) fail_range(f, text, r.str());
  return v;
}

double Reader::real(const Field& f, Infinity infinity) const {
  const std::string text = plain_scalar(f, "a number", "");
  double v = 0;
  if (!parse_real(text, v)) malformed(f, "a number", "");
  if (std::isinf(v) && infinity == Infinity::kRejected) {
    if (wording_ == Wording::kColon) fail(f, text + " is not a finite number");
    fail_at(f.node, path_or_top(f) + " = " + text + ": expected a finite number");
  }
  return v;
}

bool Reader::boolean(const Field& f) const {
  const std::string text = plain_scalar(f, "true or false", "");
  if (text == "true") return true;
  if (text == "false") return false;
  if (wording_ == Wording::kEquals) fail(f, "expected true or false, got " + describe(f.node));
  fail(f, "'" + text + "' is not a boolean (allowed true or false)");
}

// yaml-cpp decodes the escapes \_ and \N of double-quoted strings into single bytes (0xA0, 0x85)
// that are not UTF-8, and names reach the reports.
constexpr const char* kNotUtf8 =
    "is not UTF-8 text once its escapes are decoded (write \\u00A0 for \\_, \\u0085 for \\N)";

std::string Reader::text(const Field& f) const {
  if (!f.node.IsScalar())
    fail(f, std::string("expected a name, ") + found() + " " + describe(f.node));
  if (f.node.Scalar().empty()) fail(f, "must not be empty");
  if (invalid_utf8_at(f.node.Scalar()) != std::string_view::npos) fail(f, kNotUtf8);
  return f.node.Scalar();
}

std::string Reader::string(const Field& f) const {
  if (!f.node.IsScalar())
    fail(f, std::string("expected a string, ") + found() + " " + describe(f.node));
  if (invalid_utf8_at(f.node.Scalar()) != std::string_view::npos) fail(f, kNotUtf8);
  return f.node.Scalar();
}

std::size_t Reader::choice_index(const Field& f, const std::vector<const char*>& names) const {
  if (wording_ == Wording::kColon) {
    const std::string t = text(f);
    for (std::size_t i = 0; i < names.size(); ++i)
      if (t == names[i]) return i;
    fail(f, "'" + t + "' is not one of " + list(names));
  }
  if (!f.node.IsScalar()) fail(f, "expected one of: " + list(names) + ", got " + describe(f.node));
  for (std::size_t i = 0; i < names.size(); ++i)
    if (f.node.Scalar() == names[i]) return i;
  fail_at(f.node, path_or_top(f) + " = " + describe(f.node) + " is not one of: " + list(names));
}

std::string Reader::choice(const Field& f, std::initializer_list<const char*> choices) const {
  return choices.begin()[choice_index(f, std::vector<const char*>(choices))];
}

// --- problems found after reading

void Reader::add_problem(std::string path, std::string message) {
  problems_.push_back({std::move(path), std::move(message)});
}

int Reader::line_of_path(std::string path) const {
  while (!path.empty()) {
    if (auto it = lines_.find(path); it != lines_.end()) return it->second;
    const std::size_t cut = path.find_last_of(".[ ");
    if (cut == std::string::npos) break;
    path.resize(cut);
  }
  return 0;
}

void Reader::throw_problems_if_any(const std::string& document) const {
  if (problems_.empty()) return;
  const auto line = [&](const Problem& p) {
    const int l = line_of_path(p.path);
    return file_ + (l > 0 ? ":" + std::to_string(l) : "") + ": " + p.message;
  };
  if (problems_.size() == 1) throw InputError(line(problems_[0]));
  std::string s =
      file_ + ": " + std::to_string(problems_.size()) + " problems in the " + document + ":";
  for (std::size_t i = 0; i < problems_.size() && i < kMaxReportedProblems; ++i)
    s += "\n  " + line(problems_[i]);
  if (problems_.size() > kMaxReportedProblems)
    s += "\n  ... and " + std::to_string(problems_.size() - kMaxReportedProblems) + " more";
  throw InputError(s);
}

// --- loading

// Well-formed UTF-8 as in Unicode, table 3-7: no overlong forms, no surrogates, nothing above
// U+10FFFF (what nlohmann::json accepts).
std::size_t invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    // Continuation bytes after c, and the range of the first one.
    const std::size_t n = c < 0x80   ? 0
                          : c < 0xC2 ? 9
                          : c < 0xE0 ? 1
                          : c < 0xF0 ? 2
                          : c < 0xF5 ? 3
                                     : 9;
    if (n == 9) return i;
    const unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (text.size() - i <= n) return i;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

namespace {

// loihisim's YAML files are UTF-8 (the common case of YAML's encodings; yaml-cpp would also
// decode UTF-16 and UTF-32, but not check them). Names and text of a file that is not would
// reach the reports, whose JSON writer refuses them (an exit 3 from input, found by fuzzing).
void check_utf8(const std::string& text, const std::string& file_name) {
  const std::size_t at = invalid_utf8_at(text);
  if (at == std::string_view::npos) return;
  const std::string_view before(text.data(), at);
  const std::size_t line =
      static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
  const std::size_t newline = before.rfind('\n');
  const std::size_t column = newline == std::string_view::npos ? at + 1 : at - newline;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[at]));
  throw InputError(file_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                   ": not UTF-8 text (byte " + byte + "); YAML files are UTF-8");
}

}  // namespace

YAML::Node load_text(const std::string& text, const std::string& file_name) {
  check_utf8(text, file_name);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw InputError(file_name + ": malformed YAML: " + e.msg);
    throw InputError(file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
}

YAML::Node load_file(const std::filesystem::path& path, const std::string& kind) {
  check_input_file(path, kind);
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > kMaxTextFileBytes)
    throw InputError(path.string() + ": the " + kind + " is larger than " +
                     readable_bytes(kMaxTextFileBytes) + ", the most a text input may be");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open the " + kind);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": cannot read the " + kind);
  return load_text(text.str(), path.string());
}

}  // namespace loihisim::yaml
