#include "runtime/yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "runtime/errors.hpp"

namespace loihisim::yaml {
namespace {

std::string list(std::initializer_list<const char*> keys) {
  std::string s;
  for (const char* k : keys) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
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

void Reader::fail(const Field& f, const std::string& what) const {
  std::string where = file_;
  if (f.node.IsDefined() && f.node.Mark().line >= 0)
    where += ":" + std::to_string(f.node.Mark().line + 1);
  throw InputError(where + ": " + (f.path.empty() ? "(top level)" : f.path) + ": " + what);
}

void Reader::expect_map(const Field& f, std::initializer_list<const char*> required,
                        std::initializer_list<const char*> optional) const {
  std::string allowed = list(required);
  if (optional.size()) allowed += (allowed.empty() ? "" : ", ") + list(optional);
  if (!f.node.IsMap())
    fail(f, "expected a mapping with keys " + allowed + ", found " + describe(f.node));
  std::set<std::string> seen;
  auto known = [&](const std::string& k) {
    auto match = [&](const char* a) { return k == a; };
    return std::any_of(required.begin(), required.end(), match) ||
           std::any_of(optional.begin(), optional.end(), match);
  };
  for (const auto& kv : f.node) {
    const Field key{kv.first, f.path};
    if (!kv.first.IsScalar()) fail(key, "keys must be plain names, found " + describe(kv.first));
    const std::string& k = kv.first.Scalar();
    if (!seen.insert(k).second) fail({kv.first, join(f.path, k)}, "key given twice");
    if (!known(k)) fail({kv.first, join(f.path, k)}, "unknown key (allowed keys: " + allowed + ")");
  }
  for (const char* k : required)
    if (!seen.count(k)) fail(f, "missing key '" + std::string(k) + "'");
}

bool Reader::has(const Field& map, const char* key) const {
  return map.node.IsMap() && map.node[key].IsDefined();
}

Field Reader::get(const Field& map, const char* key) const {
  return {map.node[key], join(map.path, key)};
}

std::vector<Field> Reader::items(const Field& f) const {
  if (!f.node.IsSequence()) fail(f, "expected a list, found " + describe(f.node));
  std::vector<Field> out;
  for (std::size_t i = 0; i < f.node.size(); ++i) out.push_back({f.node[i], item(f.path, i)});
  return out;
}

std::string Reader::plain_scalar(const Field& f, const std::string& expected) const {
  if (!f.node.IsScalar() || f.node.Tag() == "!" || f.node.Scalar().empty())
    fail(f, "expected " + expected + ", found " + describe(f.node));
  return f.node.Scalar();
}

std::int64_t Reader::integer(const Field& f, std::int64_t lo, std::int64_t hi) const {
  const std::string range = "allowed " + std::to_string(lo) + ".." + std::to_string(hi);
  const std::string text = plain_scalar(f, "an integer (" + range + ")");
  std::size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size() || text.size() - i > 18 ||
      !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    fail(f, "'" + text + "' is not an integer (" + range + ")");
  const std::int64_t v = std::stoll(text);
  if (v < lo || v > hi) fail(f, text + " is out of range (" + range + ")");
  return v;
}

std::int64_t Reader::milli(const Field& f, std::int64_t lo, std::int64_t hi,
                           const std::string& unit) const {
  const std::string range =
      "allowed " + std::to_string(lo) + ".." + std::to_string(hi) + " " + unit;
  const std::string text = plain_scalar(f, "a number (" + range + ")");
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
    if (text[i] < '0' || text[i] > '9' || ++whole_digits > 15) {
      ok = false;
      break;
    }
    whole = whole * 10 + (text[i] - '0');
  }
  if (ok && i < text.size()) {  // text[i] == '.'
    for (++i; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        ok = false;
        break;
      }
      if (++frac_digits > 3)
        fail(f, text + " has more than 3 decimal places (the resolution is 0.001 " + unit + ")");
      frac = frac * 10 + (text[i] - '0');
    }
    ok = ok && frac_digits > 0;
  }
  if (!ok || whole_digits == 0) fail(f, "'" + text + "' is not a decimal number (" + range + ")");
  for (int d = frac_digits; d < 3; ++d) frac *= 10;
  const std::int64_t v = (whole * 1000 + frac) * (negative ? -1 : 1);
  if (v < lo * 1000 || v > hi * 1000) fail(f, text + " is out of range (" + range + ")");
  return v;
}

double Reader::real(const Field& f, double lo, double hi, const std::string& unit) const {
  std::ostringstream r;
  r << "allowed " << lo << ".." << hi << (unit.empty() ? "" : " ") << unit;
  const std::string text = plain_scalar(f, "a number (" + r.str() + ")");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v))
    fail(f, "'" + text + "' is not a number (" + r.str() + ")");
  if (v < lo || v > hi) fail(f, text + " is out of range (" + r.str() + ")");
  return v;
}

bool Reader::boolean(const Field& f) const {
  const std::string text = plain_scalar(f, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail(f, "'" + text + "' is not a boolean (allowed true or false)");
}

std::string Reader::text(const Field& f) const {
  if (!f.node.IsScalar()) fail(f, "expected a name, found " + describe(f.node));
  if (f.node.Scalar().empty()) fail(f, "must not be empty");
  return f.node.Scalar();
}

std::string Reader::choice(const Field& f, std::initializer_list<const char*> choices) const {
  const std::string t = text(f);
  for (const char* c : choices)
    if (t == c) return t;
  fail(f, "'" + t + "' is not one of " + list(choices));
}

YAML::Node load_text(const std::string& text, const std::string& file_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file_name + ":" + std::to_string(e.mark.line + 1) +
                     ": malformed YAML: " + e.msg);
  }
}

YAML::Node load_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path.string());
}

}  // namespace loihisim::yaml
