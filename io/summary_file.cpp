#include "io/summary_file.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "io/errors.hpp"
#include "io/limits.hpp"
#include "io/text_output.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {
namespace {

// ---- writing YAML ----------------------------------------------------------------------------

// The shortest form that reads back exactly, always with a decimal point (or YAML's .inf/.nan)
// so that a fraction reads back as a fraction, also in YAML 1.1 readers such as PyYAML.
std::string yaml_double(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  std::string s = fmt::format("{}", v);
  if (s.find('.') == std::string::npos) {
    const auto e = s.find('e');
    s.insert(e == std::string::npos ? s.size() : e, ".0");
  }
  return s;
}

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
  } else if (j.is_number_unsigned()) {  // before is_number_integer(), which is true for both
    out << j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    out << j.get<std::int64_t>();
  } else if (j.is_number_float()) {
    out << yaml_double(j.get<double>());
  } else {
    out << YAML::Null;
  }
}

// ---- reading YAML ----------------------------------------------------------------------------

template <class T>
std::optional<T> parse_whole(const std::string& s) {
  T v{};
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

// A plain (unquoted) scalar: null, a boolean, an integer, a fraction, or else a string.
Summary plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const std::string s = text[0] == '+' ? text.substr(1) : text;
  if (s.empty()) return text;
  const bool integral = std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
  if (integral) {
    if (const auto i = parse_whole<std::int64_t>(s)) return *i;
    if (const auto u = parse_whole<std::uint64_t>(s)) return *u;
  }
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == ".inf") return std::numeric_limits<double>::infinity();
  if (lower == "-.inf") return -std::numeric_limits<double>::infinity();
  if (lower == ".nan") return std::numeric_limits<double>::quiet_NaN();
  if (const auto d = parse_whole<double>(s)) return *d;
  return text;
}

// What a YAML report may hold, so that it can become JSON: text that is UTF-8 once yaml-cpp has
// decoded its escapes (its \_ and \N become bytes that are not, which the JSON writer refuses), and
// no more values than its bytes could hold without aliases (nested aliases would otherwise expand
// a few hundred bytes into billions of values).
struct ValueBudget {
  std::size_t used = 0, limit = 0;
};

const std::string& utf8_scalar(const YAML::Node& n) {
  if (yaml::invalid_utf8_at(n.Scalar()) != std::string_view::npos)
    throw YAML::ParserException(n.Mark(), "text that is not UTF-8 once its escapes are decoded");
  return n.Scalar();
}

Summary from_yaml(const YAML::Node& n, ValueBudget& values) {
  if (++values.used > values.limit)
    throw YAML::ParserException(n.Mark(), "aliases expand the document to more than " +
                                              std::to_string(values.limit) + " values");
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Summary j = Summary::object();
      for (const auto& kv : n) j[utf8_scalar(kv.first)] = from_yaml(kv.second, values);
      return j;
    }
    case YAML::NodeType::Sequence: {
      Summary j = Summary::array();
      for (const auto& v : n) j.push_back(from_yaml(v, values));
      return j;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!": they are strings whatever they look like.
      return n.Tag() == "!" ? Summary(utf8_scalar(n)) : plain_scalar(utf8_scalar(n));
    default:
      return nullptr;
  }
}

// ---- checked access --------------------------------------------------------------------------

std::string describe(const Summary& v) {
  switch (v.type()) {
    case Summary::value_t::object:
      return "an object";
    case Summary::value_t::array:
      return "a list";
    case Summary::value_t::string:
      return "the string " + v.dump();
    case Summary::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Summary::value_t::number_integer:
    case Summary::value_t::number_unsigned:
      return "the integer " + v.dump();
    case Summary::value_t::number_float:
      return "the number " + v.dump();
    default:
      return "nothing (null)";
  }
}

}  // namespace

std::string summary_yaml(const Summary& j) {
  YAML::Emitter out;
  emit_yaml(out, j);
  return std::string(out.c_str()) + "\n";
}

void check_summary_path(const std::filesystem::path& path, const std::string& option) {
  const auto ext = path.extension().string();
  if (ext != ".json" && ext != ".yaml" && ext != ".yml")
    throw InputError(option + " " + path.string() + ": unknown summary format '" + ext +
                     "' (use .json, .yaml or .yml)");
}

void write_summary(const Summary& j, const std::filesystem::path& path) {
  check_summary_path(path, "summary");
  const std::string text = path.extension() == ".json" ? j.dump(2) + "\n" : summary_yaml(j);
  write_text_file(path, text);
}

Summary read_summary(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".yaml" || ext == ".yml")
    return yaml::labelled(path.string(), [&] {
      const YAML::Node doc = yaml::load_file(path, "summary");
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(path, ec);
      ValueBudget values{0, ec ? SIZE_MAX : static_cast<std::size_t>(bytes) + 16};
      return from_yaml(doc, values);
    });
  if (ext != ".json")
    throw InputError(path.string() + ": unknown summary format '" + ext +
                     "' (use .json, .yaml or .yml)");
  check_input_file(path, "summary");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open the summary");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": cannot read the summary");
  try {
    return Summary::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": not valid JSON: " + e.what());
  }
}

// ---- SummaryField ----------------------------------------------------------------------------

void SummaryField::fail(const std::string& what) const {
  throw InputError(file_ + ": " + (path_.empty() ? "(top level)" : path_) + ": " + what);
}

void SummaryField::wrong_type(const char* expected) const {
  fail(std::string("expected ") + expected + ", found " + describe(*value_));
}

bool SummaryField::has(const std::string& key) const {
  return value_->is_object() && value_->contains(key);
}

SummaryField SummaryField::at(const std::string& key, const std::string& what) const {
  if (!value_->is_object()) wrong_type("an object");
  const auto it = value_->find(key);
  if (it == value_->end())
    fail("missing key '" + key + "'" + (what.empty() ? "" : " (" + what + ")"));
  return {*it, file_, path_.empty() ? key : path_ + "." + key};
}

std::vector<SummaryField> SummaryField::items() const {
  if (!value_->is_array()) wrong_type("a list");
  std::vector<SummaryField> out;
  out.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i)
    out.push_back({(*value_)[i], file_, path_ + "[" + std::to_string(i) + "]"});
  return out;
}

std::string SummaryField::string() const {
  if (!value_->is_string()) wrong_type("a string");
  return value_->get<std::string>();
}

double SummaryField::number() const {
  if (!value_->is_number()) wrong_type("a number");
  return value_->get<double>();
}

double SummaryField::fraction() const {
  const double v = number();
  if (!(v >= 0.0 && v <= 1.0)) fail(fmt::format("{} is outside 0..1 (a fraction)", v));
  return v;
}

double SummaryField::non_negative() const {
  const double v = number();
  if (!(v >= 0.0)) fail(fmt::format("{} is negative (expected a quantity >= 0)", v));
  return v;
}

std::uint64_t SummaryField::positive_count() const {
  const std::uint64_t v = count();
  if (v == 0) fail("0 (expected at least 1)");
  return v;
}

std::int64_t SummaryField::integer() const {
  if (value_->is_number_integer() && !value_->is_number_unsigned())
    return value_->get<std::int64_t>();
  if (value_->is_number_unsigned() &&
      value_->get<std::uint64_t>() <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(value_->get<std::uint64_t>());
  wrong_type("an integer");
}

std::uint64_t SummaryField::count() const {
  if (value_->is_number_unsigned()) return value_->get<std::uint64_t>();
  if (value_->is_number_integer() && value_->get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value_->get<std::int64_t>());
  wrong_type("a non-negative integer");
}

bool SummaryField::boolean() const {
  if (!value_->is_boolean()) wrong_type("true or false");
  return value_->get<bool>();
}

}  // namespace loihisim
