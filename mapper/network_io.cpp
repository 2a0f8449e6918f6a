#include "mapper/network_io.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

#include "mapper/quantize.hpp"
#include "runtime/atomic_output.hpp"
#include "runtime/errors.hpp"
#include "runtime/h5_file.hpp"

namespace loihisim::mapper {
namespace fs = std::filesystem;

namespace {

constexpr int kFormatVersion = 1;

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

std::string join(std::initializer_list<std::string_view> names) {
  std::string s;
  for (auto n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? fmt::format("the quoted string \"{}\"", n.Scalar())
                            : fmt::format("'{}'", n.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::int64_t shape_count(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return static_cast<std::int64_t>(n);
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + "]";
}

class Reader {
 public:
  Reader(std::string file, fs::path base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  Network read(const YAML::Node& root) {
    check_map(root, "",
              {"loihisim_network", "name", "arrays", "input_ports", "populations", "projections",
               "output_ports", "host_nodes"});
    const auto version = integer(required(root, "", "loihisim_network", "format version, 1"),
                                 "loihisim_network", kFormatVersion, kFormatVersion);
    (void)version;
    Network net;
    net.name = fs::path(file_).stem().string();
    if (auto n = optional(root, "name")) net.name = text(*n, "name");
    if (auto a = optional(root, "arrays")) {
      arrays_node_ = *a;
      arrays_file_ = (base_dir_ / text(*a, "arrays")).string();
    }
    for_each(root, "input_ports",
             [&](const YAML::Node& n, const std::string& at) { read_input_port(net, n, at); });
    for_each(root, "populations",
             [&](const YAML::Node& n, const std::string& at) { read_population(net, n, at); });
    for_each(root, "projections",
             [&](const YAML::Node& n, const std::string& at) { read_projection(net, n, at); });
    for_each(root, "output_ports", [&](const YAML::Node& n, const std::string& at) {
      check_map(n, at, {"name", "population"});
      OutputPort p;
      p.name = text(required(n, at, "name", "port name"), child(at, "name"));
      p.population =
          text(required(n, at, "population", "population name"), child(at, "population"));
      guard(n, at, [&] { net.add_output_port(std::move(p)); });
    });
    for_each(root, "host_nodes",
             [&](const YAML::Node& n, const std::string& at) { read_host_node(net, n, at); });
    guard(root, "host_nodes", [&] { net.check_host_references(); });
    return net;
  }

 private:
  // --- syntax and scalar types
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", file_, line_of(at), message));
  }
  static int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
  }
  // Runs f; an InputError from the network's own checks gets the file, line and key path.
  template <class F>
  void guard(const YAML::Node& at, const std::string& path, F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      fail(at, fmt::format("{}: {}", path.empty() ? "top level" : path, e.what()));
    }
  }

  void check_map(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap())
      fail(node, fmt::format("{}: expected a mapping with keys {}, got {}",
                             path.empty() ? "top level" : path, join(allowed), describe(node)));
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: the iterator hands out a temporary
      if (!key.IsScalar())
        fail(key, fmt::format("{}: keys must be names, got {}", path.empty() ? "top level" : path,
                              describe(key)));
      const std::string& name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        fail(key, fmt::format("{}: unknown key '{}' (allowed keys: {})", child(path, name), name,
                              join(allowed)));
      if (!seen.insert(name).second)
        fail(key, fmt::format("{}: duplicate key '{}'", child(path, name), name));
    }
  }

  YAML::Node required(const YAML::Node& map, const std::string& path, const char* key,
                      std::string_view what) const {
    YAML::Node n = map[key];
    if (!n.IsDefined())
      fail(map, fmt::format("{}: missing required key '{}' ({})", child(path, key), key, what));
    return n;
  }
  static std::optional<YAML::Node> optional(const YAML::Node& map, const char* key) {
    YAML::Node n = map[key];
    if (!n.IsDefined()) return std::nullopt;
    return n;
  }

  template <class F>
  void for_each(const YAML::Node& map, const char* key, F&& f) {
    const auto n = optional(map, key);
    if (!n || n->IsNull()) return;
    if (!n->IsSequence()) fail(*n, fmt::format("{}: expected a list, got {}", key, describe(*n)));
    for (std::size_t i = 0; i < n->size(); ++i) f((*n)[i], item(key, i));
  }

  // A decimal integer in [lo, hi].
  std::int64_t integer(const YAML::Node& n, const std::string& path, std::int64_t lo,
                       std::int64_t hi) const {
    std::int64_t v = 0;
    if (!parse_integer(n, v))
      fail(n, fmt::format("{}: expected an integer, got {}", path, describe(n)));
    if (v < lo || v > hi)
      fail(n, fmt::format("{} = {} is outside the allowed range {}..{}", path, v, lo, hi));
    return v;
  }
  static bool parse_integer(const YAML::Node& n, std::int64_t& v) {
    if (!n.IsScalar() || n.Tag() == "!") return false;
    std::string_view s = n.Scalar();
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && end == s.data() + s.size();
  }

  // A real number; `.inf` only when allowed; never NaN.
  double real(const YAML::Node& n, const std::string& path, bool allow_inf = false) const {
    double v = 0;
    if (!parse_real(n, v)) fail(n, fmt::format("{}: expected a number, got {}", path, describe(n)));
    if (std::isinf(v) && !allow_inf)
      fail(n, fmt::format("{} = {}: expected a finite number", path, n.Scalar()));
    return v;
  }
  static bool parse_real(const YAML::Node& n, double& v) {
    if (!n.IsScalar() || n.Tag() == "!") return false;
    std::string_view s = n.Scalar();
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
    if (s.empty() || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.')) return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || std::isnan(v)) return false;
    if (negative) v = -v;
    return true;
  }

  std::string text(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, fmt::format("{}: expected a string, got {}", path, describe(n)));
    return n.Scalar();
  }
  bool boolean(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar() && n.Tag() != "!") {
      const std::string& s = n.Scalar();
      if (s == "true") return true;
      if (s == "false") return false;
    }
    fail(n, fmt::format("{}: expected true or false, got {}", path, describe(n)));
  }
  template <class E>
  E choice(const YAML::Node& n, const std::string& path,
           std::initializer_list<std::pair<std::string_view, E>> options) const {
    const std::string s = text(n, path);
    std::string names;
    for (const auto& [name, value] : options) {
      if (s == name) return value;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    fail(n, fmt::format("{} = '{}' is not one of: {}", path, s, names));
  }

  // --- arrays: inline (nested lists) or {dataset: /path} in the companion HDF5 file
  h5::Group& arrays(const YAML::Node& at, const std::string& path) {
    if (!arrays_) {
      if (arrays_file_.empty())
        fail(at, fmt::format("{}: refers to a dataset but the file has no 'arrays:' key naming "
                             "its HDF5 file",
                             path));
      try {
        arrays_ = std::make_unique<h5::Group>(h5::open_file(arrays_file_));
      } catch (const InputError& e) {
        fail(arrays_node_, fmt::format("arrays: {}", e.what()));
      }
    }
    return *arrays_;
  }

  bool is_dataset_ref(const YAML::Node& n) const { return n.IsMap() && n["dataset"].IsDefined(); }

  // Reads numbers of type T (std::int64_t or double) with their shape.
  template <class T>
  std::vector<T> values(const YAML::Node& n, const std::string& path,
                        std::vector<std::uint64_t>& shape) {
    if (n.IsMap()) {
      check_map(n, path, {"dataset"});
      const std::string ds = text(n["dataset"], child(path, "dataset"));
      auto& g = arrays(n, path);
      try {
        if constexpr (std::is_same_v<T, std::int64_t>)
          return g.read<std::int64_t>(ds, &shape);
        else
          return g.read<double>(ds, &shape);
      } catch (const InputError& e) {
        fail(n, fmt::format("{}: {}", path, e.what()));
      }
    }
    if (!n.IsSequence())
      fail(n, fmt::format("{}: expected a list of numbers or {{dataset: /path}}, got {}", path,
                          describe(n)));
    std::vector<T> out;
    const bool two_d = n.size() > 0 && n[0].IsSequence();
    const auto scalar = [&](const YAML::Node& x, const std::string& at) {
      if constexpr (std::is_same_v<T, std::int64_t>) {
        std::int64_t v = 0;
        if (!parse_integer(x, v))
          fail(x, fmt::format("{}: expected an integer, got {}", at, describe(x)));
        out.push_back(v);
      } else {
        out.push_back(real(x, at));
      }
    };
    if (!two_d) {
      shape = {n.size()};
      out.reserve(n.size());
      for (std::size_t i = 0; i < n.size(); ++i) scalar(n[i], item(path, i));
      return out;
    }
    const std::size_t cols = n[0].size();
    shape = {n.size(), cols};
    out.reserve(n.size() * cols);
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node row = n[i];
      const std::string at = item(path, i);
      if (!row.IsSequence() || row.size() != cols)
        fail(row, fmt::format(
                      "{}: expected a row of {} numbers (like row 0), got {}", at, cols,
                      row.IsSequence() ? std::to_string(row.size()) + " values" : describe(row)));
      for (std::size_t j = 0; j < cols; ++j) scalar(row[j], item(at, j));
    }
    return out;
  }

  template <class T>
  std::vector<T> values_of_shape(const YAML::Node& n, const std::string& path,
                                 const std::vector<std::uint64_t>& expect) {
    std::vector<std::uint64_t> shape;
    auto v = values<T>(n, path, shape);
    const bool ok = shape == expect || (shape.size() == 1 && expect.size() == 1 &&
                                        shape_count(shape) == shape_count(expect));
    if (!ok)
      fail(n, fmt::format("{}: shape {} does not match the expected {}", path, shape_text(shape),
                          shape_text(expect)));
    return v;
  }

  // Integer array checked against [lo, hi] element by element.
  std::vector<std::int64_t> int_values(const YAML::Node& n, const std::string& path,
                                       const std::vector<std::uint64_t>& expect, std::int64_t lo,
                                       std::int64_t hi) {
    auto v = values_of_shape<std::int64_t>(n, path, expect);
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k] < lo || v[k] > hi)
        fail(n, fmt::format("{}: element {} = {} is outside the allowed range {}..{}", path,
                            element_name(expect, k), v[k], lo, hi));
    return v;
  }
  static std::string element_name(const std::vector<std::uint64_t>& shape, std::size_t k) {
    if (shape.size() == 2) return fmt::format("[{}, {}]", k / shape[1], k % shape[1]);
    return fmt::format("[{}]", k);
  }

  // A per-neuron value: a scalar for every neuron, or an array of `size`.
  template <class T>
  std::vector<T> per_neuron(const YAML::Node& n, const std::string& path, std::int32_t size, T lo,
                            T hi) {
    std::vector<T> out;
    if (n.IsScalar()) {
      T v{};
      if constexpr (std::is_same_v<T, double>)
        v = real(n, path);
      else
        v = static_cast<T>(integer(n, path, lo, hi));
      out.assign(static_cast<std::size_t>(size), v);
      return out;
    }
    const std::vector<std::uint64_t> expect{static_cast<std::uint64_t>(size)};
    if constexpr (std::is_same_v<T, double>) {
      return values_of_shape<double>(n, path, expect);
    } else {
      for (auto x : int_values(n, path, expect, lo, hi)) out.push_back(static_cast<T>(x));
      return out;
    }
  }

  // --- sections
  std::string name_of(const YAML::Node& n, const std::string& at, const char* what) const {
    return text(required(n, at, "name", what), child(at, "name"));
  }

  void read_input_port(Network& net, const YAML::Node& n, const std::string& at) {
    check_map(n, at, {"name", "size"});
    InputPort p;
    p.name = name_of(n, at, "port name");
    p.size = static_cast<std::int32_t>(
        integer(required(n, at, "size", "number of neurons"), child(at, "size"), 1, 1 << 30));
    guard(n, at, [&] { net.add_input_port(std::move(p)); });
  }

  core::CompartmentProfile read_profile(const YAML::Node& n, const std::string& at) {
    check_map(n, at,
              {"decay_u", "decay_v", "vth_mant", "refract_delay", "vmin_exp", "vmax_exp", "reset",
               "spike", "payload_shift"});
    core::CompartmentProfile p;
    const auto get = [&](const char* key, int& field, int lo, int hi) {
      if (auto v = optional(n, key)) field = static_cast<int>(integer(*v, child(at, key), lo, hi));
    };
    get("decay_u", p.decay_u, 0, core::kMaxDecay);
    get("decay_v", p.decay_v, 0, core::kMaxDecay);
    if (auto v = optional(n, "vth_mant"))
      p.vth_mant =
          static_cast<std::int32_t>(integer(*v, child(at, "vth_mant"), 0, core::kMaxVthMant));
    get("refract_delay", p.refract_delay, 1, core::kMaxRefractDelay);
    get("vmin_exp", p.vmin_exp, 0, core::kMaxVminExp);
    get("vmax_exp", p.vmax_exp, 0, core::kMaxVmaxExp);
    get("payload_shift", p.payload_shift, 0, 23);
    read_behaviour(n, at, p.reset, p.spike);
    return p;
  }

  void read_behaviour(const YAML::Node& n, const std::string& at, core::ResetMode& reset,
                      core::SpikeKind& spike) {
    if (auto v = optional(n, "reset"))
      reset = choice<core::ResetMode>(
          *v, child(at, "reset"),
          {{"zero", core::ResetMode::kZero}, {"subtract", core::ResetMode::kSubtract}});
    if (auto v = optional(n, "spike"))
      spike = choice<core::SpikeKind>(
          *v, child(at, "spike"),
          {{"binary", core::SpikeKind::kBinary}, {"graded", core::SpikeKind::kGraded}});
  }

  RealNeuron read_real_neuron(const YAML::Node& n, const std::string& at) {
    check_map(n, at,
              {"dt", "tau_u", "tau_v", "decay_u", "decay_v", "threshold", "scale", "refractory",
               "reset", "spike", "payload_shift", "vmin_exp", "vmax_exp"});
    RealNeuron r;
    if (auto v = optional(n, "dt")) r.dt = real(*v, child(at, "dt"));
    if (auto v = optional(n, "tau_u")) r.tau_u = real(*v, child(at, "tau_u"), true);
    if (auto v = optional(n, "tau_v")) r.tau_v = real(*v, child(at, "tau_v"), true);
    if (auto v = optional(n, "decay_u")) r.decay_u = real(*v, child(at, "decay_u"));
    if (auto v = optional(n, "decay_v")) r.decay_v = real(*v, child(at, "decay_v"));
    r.threshold = real(required(n, at, "threshold", "real threshold"), child(at, "threshold"));
    r.scale = real(required(n, at, "scale", "hardware units per real unit"), child(at, "scale"));
    if (auto v = optional(n, "refractory"))
      r.refractory =
          static_cast<int>(integer(*v, child(at, "refractory"), 1, core::kMaxRefractDelay));
    if (auto v = optional(n, "payload_shift"))
      r.payload_shift = static_cast<int>(integer(*v, child(at, "payload_shift"), 0, 23));
    if (auto v = optional(n, "vmin_exp"))
      r.vmin_exp = static_cast<int>(integer(*v, child(at, "vmin_exp"), 0, core::kMaxVminExp));
    if (auto v = optional(n, "vmax_exp"))
      r.vmax_exp = static_cast<int>(integer(*v, child(at, "vmax_exp"), 0, core::kMaxVmaxExp));
    read_behaviour(n, at, r.reset, r.spike);
    // An infinite time constant means no leak.
    if (r.tau_u && std::isinf(*r.tau_u)) r.tau_u.reset();
    if (r.tau_v && std::isinf(*r.tau_v)) r.tau_v.reset();
    return r;
  }

  void read_population(Network& net, const YAML::Node& n, const std::string& at) {
    check_map(n, at, {"name", "size", "profile", "neuron", "bias_mant", "bias_exp", "bias"});
    Population p;
    p.name = name_of(n, at, "population name");
    p.size = static_cast<std::int32_t>(
        integer(required(n, at, "size", "number of neurons"), child(at, "size"), 1, 1 << 30));
    const auto prof = optional(n, "profile");
    const auto neuron = optional(n, "neuron");
    if (prof && neuron)
      fail(*neuron, fmt::format("{}: give 'profile' (hardware units) or 'neuron' (real values), "
                                "not both",
                                at));
    if (!prof && !neuron)
      fail(n, fmt::format("{}: missing required key 'profile' (hardware units) or 'neuron' (real "
                          "values)",
                          at));
    if (prof) {
      if (auto b = optional(n, "bias"))
        fail(*b, fmt::format("{}: 'bias' (real units) goes with 'neuron'; with 'profile' use "
                             "bias_mant and bias_exp",
                             child(at, "bias")));
      p.profile = read_profile(*prof, child(at, "profile"));
      if (auto b = optional(n, "bias_mant"))
        p.bias_mant = per_neuron<std::int32_t>(*b, child(at, "bias_mant"), p.size,
                                               -core::kMaxBiasMant, core::kMaxBiasMant);
      if (auto b = optional(n, "bias_exp"))
        p.bias_exp =
            per_neuron<std::int32_t>(*b, child(at, "bias_exp"), p.size, 0, core::kMaxBiasExp);
    } else {
      for (const char* key : {"bias_mant", "bias_exp"})
        if (auto b = optional(n, key))
          fail(*b, fmt::format("{}: goes with 'profile'; with 'neuron' give 'bias' in real units",
                               child(at, key)));
      const std::string nat = child(at, "neuron");
      const RealNeuron r = read_real_neuron(*neuron, nat);
      guard(*neuron, nat,
            [&] { p.profile = quantize_neuron(r, fmt::format("population '{}'", p.name)); });
      if (auto b = optional(n, "bias")) {
        const auto bias = per_neuron<double>(*b, child(at, "bias"), p.size, 0.0, 0.0);
        bool any = false;
        std::vector<std::int32_t> mant(bias.size()), exp(bias.size());
        for (std::size_t i = 0; i < bias.size(); ++i) {
          QuantizedBias q;
          guard(*b, child(at, "bias"),
                [&] { q = quantize_bias(bias[i] * r.scale, fmt::format("neuron {}", i)); });
          mant[i] = q.mant;
          exp[i] = q.exp;
          any = any || q.mant != 0;
        }
        if (any) {
          p.bias_mant = std::move(mant);
          p.bias_exp = std::move(exp);
        }
      }
    }
    guard(n, at, [&] { net.add_population(std::move(p)); });
  }

  core::SynapseFormat read_format(const YAML::Node& n, const std::string& at) {
    check_map(n, at, {"weight_bits", "sign", "weight_exp", "delay_bits"});
    core::SynapseFormat f;
    const YAML::Node wb = required(n, at, "weight_bits", "one of 0,1,2,3,4,5,6,8");
    f.weight_bits = static_cast<int>(integer(wb, child(at, "weight_bits"), 0, 8));
    if (!core::valid_weight_bits(f.weight_bits))
      fail(wb, fmt::format("{} = {} is not one of the allowed values 0,1,2,3,4,5,6,8",
                           child(at, "weight_bits"), f.weight_bits));
    if (auto v = optional(n, "sign"))
      f.sign = choice<core::SignMode>(*v, child(at, "sign"),
                                      {{"mixed", core::SignMode::kMixed},
                                       {"excitatory", core::SignMode::kExcitatory},
                                       {"inhibitory", core::SignMode::kInhibitory}});
    if (auto v = optional(n, "weight_exp"))
      f.weight_exp = static_cast<int>(
          integer(*v, child(at, "weight_exp"), -core::kMaxWeightExp, core::kMaxWeightExp));
    if (auto v = optional(n, "delay_bits"))
      f.delay_bits = static_cast<int>(integer(*v, child(at, "delay_bits"), 0, core::kMaxDelayBits));
    return f;
  }

  void read_projection(Network& net, const YAML::Node& n, const std::string& at) {
    check_map(n, at,
              {"name", "source", "target", "format", "dense", "sparse", "weight_unit", "scale",
               "saturate", "delay", "rate"});
    Projection p;
    p.name = name_of(n, at, "projection name");
    const YAML::Node src = required(n, at, "source", "a population or input port");
    const YAML::Node dst = required(n, at, "target", "a population");
    p.source = text(src, child(at, "source"));
    p.target = text(dst, child(at, "target"));
    const auto sv = net.find(p.source);
    if (!sv)
      fail(src, fmt::format("{} = '{}' names no population or input port", child(at, "source"),
                            p.source));
    const auto tv = net.find(p.target);
    if (!tv || !net.is_population(*tv))
      fail(dst, fmt::format("{} = '{}' names no population", child(at, "target"), p.target));
    const auto n_src = static_cast<std::uint64_t>(net.node_size(*sv));
    const auto n_dst = static_cast<std::uint64_t>(net.node_size(*tv));
    p.format = read_format(required(n, at, "format", "weight_bits, sign, weight_exp, delay_bits"),
                           child(at, "format"));

    bool real_weights = false;
    if (auto u = optional(n, "weight_unit"))
      real_weights =
          choice<bool>(*u, child(at, "weight_unit"), {{"mantissa", false}, {"real", true}});
    double scale = 1.0;
    bool saturate = false;
    if (auto s = optional(n, "scale")) {
      if (!real_weights)
        fail(*s, fmt::format("{}: only with weight_unit: real", child(at, "scale")));
      scale = real(*s, child(at, "scale"));
    }
    if (auto s = optional(n, "saturate")) {
      if (!real_weights)
        fail(*s, fmt::format("{}: only with weight_unit: real", child(at, "saturate")));
      saturate = boolean(*s, child(at, "saturate"));
    }

    const auto dense = optional(n, "dense");
    const auto sparse = optional(n, "sparse");
    if (dense && sparse)
      fail(*sparse, fmt::format("{}: give 'dense' or 'sparse' weights, not both", at));
    if (!dense && !sparse)
      fail(n, fmt::format("{}: missing required key 'dense' (target x source weights) or "
                          "'sparse' (pre, post, weight)",
                          at));
    std::vector<std::uint64_t> syn_shape;
    YAML::Node wnode;
    std::string wpath;
    if (dense) {
      p.dense = true;
      syn_shape = {n_dst, n_src};
      wnode = *dense;
      wpath = child(at, "dense");
    } else {
      p.dense = false;
      const std::string sat = child(at, "sparse");
      check_map(*sparse, sat, {"pre", "post", "weight"});
      std::vector<std::uint64_t> shape;
      const YAML::Node pre = required(*sparse, sat, "pre", "source neuron of each synapse");
      auto pre_v = values<std::int64_t>(pre, child(sat, "pre"), shape);
      if (shape.size() != 1)
        fail(pre, fmt::format("{}: expected a 1-D list, got shape {}", child(sat, "pre"),
                              shape_text(shape)));
      syn_shape = shape;
      const YAML::Node post = required(*sparse, sat, "post", "target neuron of each synapse");
      auto post_v = values_of_shape<std::int64_t>(post, child(sat, "post"), syn_shape);
      for (std::size_t k = 0; k < pre_v.size(); ++k) {
        if (pre_v[k] < 0 || pre_v[k] >= static_cast<std::int64_t>(n_src))
          fail(pre, fmt::format("{}[{}] = {} is outside the source '{}' (0..{})", child(sat, "pre"),
                                k, pre_v[k], p.source, n_src - 1));
        if (post_v[k] < 0 || post_v[k] >= static_cast<std::int64_t>(n_dst))
          fail(post, fmt::format("{}[{}] = {} is outside the target '{}' (0..{})",
                                 child(sat, "post"), k, post_v[k], p.target, n_dst - 1));
      }
      p.pre.assign(pre_v.begin(), pre_v.end());
      p.post.assign(post_v.begin(), post_v.end());
      wnode = required(*sparse, sat, "weight", "weight of each synapse");
      wpath = child(sat, "weight");
    }

    if (real_weights) {
      auto w = values_of_shape<double>(wnode, wpath, syn_shape);
      guard(wnode, wpath, [&] {
        p.weight =
            quantize_weights(w, scale, p.format, saturate, fmt::format("projection '{}'", p.name),
                             p.dense ? static_cast<std::int64_t>(n_src) : 0);
      });
    } else {
      auto w = values_of_shape<std::int64_t>(wnode, wpath, syn_shape);
      p.weight.resize(w.size());
      for (std::size_t k = 0; k < w.size(); ++k) {
        if (w[k] < -255 || w[k] > 255 ||
            !core::mantissa_fits(static_cast<std::int32_t>(w[k]), p.format))
          fail(wnode, fmt::format("{}: weight {} = {} is not storable with {} weight bits ({}): "
                                  "allowed are multiples of {} with magnitude <= {}",
                                  wpath, element_name(syn_shape, k), w[k], p.format.weight_bits,
                                  p.format.sign == core::SignMode::kMixed        ? "mixed sign"
                                  : p.format.sign == core::SignMode::kExcitatory ? "excitatory"
                                                                                 : "inhibitory",
                                  1 << std::min(core::weight_lsb_bits(p.format), 8),
                                  core::max_weight_mantissa(p.format)));
        p.weight[k] = static_cast<std::int16_t>(w[k]);
      }
    }

    if (auto d = optional(n, "delay")) {
      const std::string dat = child(at, "delay");
      const std::int64_t max_delay = (std::int64_t{1} << p.format.delay_bits) - 1;
      if (d->IsScalar()) {
        p.uniform_delay = static_cast<int>(integer(*d, dat, 0, max_delay));
      } else {
        auto dv = int_values(*d, dat, syn_shape, 0, max_delay);
        p.delay.assign(dv.begin(), dv.end());
      }
    }
    if (auto r = optional(n, "rate")) {
      p.rate = real(*r, child(at, "rate"));
      if (p.rate < 0)
        fail(*r, fmt::format("{} = {} must be >= 0 (expected spikes per source neuron per step)",
                             child(at, "rate"), p.rate));
    }
    guard(n, at, [&] { net.add_projection(std::move(p)); });
  }

  void read_host_node(Network& net, const YAML::Node& n, const std::string& at) {
    check_map(n, at, {"name", "kind", "inputs", "outputs", "params", "arrays"});
    HostNode h;
    h.name = name_of(n, at, "host node name");
    h.kind = text(required(n, at, "kind", "what the host runs"), child(at, "kind"));
    for (const char* key : {"inputs", "outputs"}) {
      auto& names = std::string_view(key) == "inputs" ? h.inputs : h.outputs;
      if (auto l = optional(n, key)) {
        if (!l->IsSequence())
          fail(*l,
               fmt::format("{}: expected a list of names, got {}", child(at, key), describe(*l)));
        for (std::size_t i = 0; i < l->size(); ++i)
          names.push_back(text((*l)[i], item(child(at, key), i)));
      }
    }
    if (auto m = optional(n, "params")) {
      if (!m->IsMap())
        fail(*m, fmt::format("{}: expected a mapping of names to values, got {}",
                             child(at, "params"), describe(*m)));
      for (auto it = m->begin(); it != m->end(); ++it) {
        const std::string key = text(it->first, child(at, "params"));
        if (!valid_name(key))
          fail(it->first, fmt::format("{}: parameter name '{}' is not allowed (letters, digits, "
                                      "'_', '-', '.')",
                                      child(at, "params"), key));
        h.params[key] = text(it->second, child(child(at, "params"), key));
      }
    }
    if (auto m = optional(n, "arrays")) {
      if (!m->IsMap())
        fail(*m, fmt::format("{}: expected a mapping of names to arrays, got {}",
                             child(at, "arrays"), describe(*m)));
      for (auto it = m->begin(); it != m->end(); ++it) {
        const std::string key = text(it->first, child(at, "arrays"));
        if (!valid_name(key))
          fail(it->first, fmt::format("{}: array name '{}' is not allowed (letters, digits, '_', "
                                      "'-', '.')",
                                      child(at, "arrays"), key));
        HostArray a;
        a.values = values<double>(it->second, child(child(at, "arrays"), key), a.shape);
        if (a.shape.empty()) a.shape = {1};  // a scalar dataset is a 1-element array
        h.arrays[key] = std::move(a);
      }
    }
    guard(n, at, [&] { net.add_host_node(std::move(h)); });
  }

  std::string file_;
  fs::path base_dir_;
  std::string arrays_file_;
  YAML::Node arrays_node_;
  std::unique_ptr<h5::Group> arrays_;
};

// ------------------------------------------------------------------------------------------
// Writing

class Writer {
 public:
  Writer(YAML::Emitter& out, std::function<h5::Group&()> arrays)
      : out_(out), arrays_(std::move(arrays)) {}

  template <class T>
  void array(const std::string& group, const std::string& name, const std::string& key,
             const std::vector<T>& v, const std::vector<std::uint64_t>& shape) {
    out_ << YAML::Key << key << YAML::Value;
    if (v.size() <= kInlineArrayLimit && (shape.size() == 1 || shape.size() == 2)) {
      inline_array(v, shape);
      return;
    }
    h5::Group& root = arrays_();
    h5::Group g1 = root.has(group) ? root.open_group(group) : root.create_group(group);
    h5::Group g2 = g1.has(name) ? g1.open_group(name) : g1.create_group(name);
    g2.write(key, v, shape, 4);  // deflate: sequential indices compress well
    out_ << YAML::Flow << YAML::BeginMap << YAML::Key << "dataset" << YAML::Value
         << fmt::format("/{}/{}/{}", group, name, key) << YAML::EndMap;
  }

 private:
  template <class T>
  void inline_array(const std::vector<T>& v, const std::vector<std::uint64_t>& shape) {
    const auto emit = [&](const T& x) {
      if constexpr (sizeof(T) == 1)
        out_ << static_cast<int>(x);
      else
        out_ << x;
    };
    if (shape.size() == 2) {
      out_ << YAML::BeginSeq;
      for (std::uint64_t r = 0; r < shape[0]; ++r) {
        out_ << YAML::Flow << YAML::BeginSeq;
        for (std::uint64_t c = 0; c < shape[1]; ++c) emit(v[r * shape[1] + c]);
        out_ << YAML::EndSeq;
      }
      out_ << YAML::EndSeq;
    } else {
      out_ << YAML::Flow << YAML::BeginSeq;
      for (const auto& x : v) emit(x);
      out_ << YAML::EndSeq;
    }
  }

  YAML::Emitter& out_;
  std::function<h5::Group&()> arrays_;
};

const char* reset_name(core::ResetMode r) {
  return r == core::ResetMode::kSubtract ? "subtract" : "zero";
}
const char* spike_name(core::SpikeKind s) {
  return s == core::SpikeKind::kGraded ? "graded" : "binary";
}
const char* sign_name(core::SignMode s) {
  switch (s) {
    case core::SignMode::kExcitatory:
      return "excitatory";
    case core::SignMode::kInhibitory:
      return "inhibitory";
    case core::SignMode::kMixed:
      break;
  }
  return "mixed";
}

bool needs_arrays(const Network& net) {
  for (auto v : net.populations())
    if (net.population(v).bias_mant.size() > kInlineArrayLimit) return true;
  for (auto e : net.projections())
    if (net.projection(e).weight.size() > kInlineArrayLimit) return true;
  for (const auto& h : net.host_nodes())
    for (const auto& [k, a] : h.arrays)
      if (a.values.size() > kInlineArrayLimit || a.shape.size() > 2) return true;
  return false;
}

}  // namespace

Network parse_network(const std::string& yaml_text, const std::string& file_name,
                      const fs::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw InputError(
        fmt::format("{}:{}: YAML syntax error: {}", file_name, e.mark.line + 1, e.msg));
  }
  return Reader(file_name, base_dir).read(root);
}

Network read_network(const fs::path& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) throw InputError(fmt::format("{}: cannot open the network file", yaml_file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return parse_network(text.str(), yaml_file.string(), yaml_file.parent_path());
}

void write_network(const Network& net, const fs::path& yaml_file,
                   std::optional<fs::path> arrays_file) {
  const bool need_h5 = needs_arrays(net);
  fs::path h5_path = arrays_file ? *arrays_file : fs::path(yaml_file).replace_extension(".h5");
  std::unique_ptr<AtomicOutput> h5_out;
  std::unique_ptr<h5::Group> h5_root;
  auto arrays = [&]() -> h5::Group& {
    if (!h5_root) {
      h5_out = std::make_unique<AtomicOutput>(h5_path);
      h5_root = std::make_unique<h5::Group>(h5::create_file(h5_out->temp_path().string()));
      h5_root->set_attribute("loihisim_network_arrays", std::int64_t{kFormatVersion});
    }
    return *h5_root;
  };

  YAML::Emitter out;
  out.SetDoublePrecision(17);
  Writer w(out, arrays);
  out << YAML::BeginMap;
  out << YAML::Key << "loihisim_network" << YAML::Value << kFormatVersion;
  out << YAML::Key << "name" << YAML::Value << net.name;
  if (need_h5) {
    // Relative to the YAML file's folder when both are in the same folder tree.
    const auto rel = h5_path.lexically_relative(
        yaml_file.parent_path().empty() ? fs::path(".") : yaml_file.parent_path());
    out << YAML::Key << "arrays" << YAML::Value << (rel.empty() ? h5_path.string() : rel.string());
  }
  if (!net.input_ports().empty()) {
    out << YAML::Key << "input_ports" << YAML::Value << YAML::BeginSeq;
    for (auto v : net.input_ports()) {
      const auto& p = net.input_port(v);
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name
          << YAML::Key << "size" << YAML::Value << p.size << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "populations" << YAML::Value << YAML::BeginSeq;
  for (auto v : net.populations()) {
    const auto& p = net.population(v);
    const auto& f = p.profile;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "size"
        << YAML::Value << p.size;
    out << YAML::Key << "profile" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "decay_u" << YAML::Value << f.decay_u << YAML::Key << "decay_v"
        << YAML::Value << f.decay_v << YAML::Key << "vth_mant" << YAML::Value << f.vth_mant
        << YAML::Key << "refract_delay" << YAML::Value << f.refract_delay << YAML::Key << "vmin_exp"
        << YAML::Value << f.vmin_exp << YAML::Key << "vmax_exp" << YAML::Value << f.vmax_exp
        << YAML::Key << "reset" << YAML::Value << reset_name(f.reset) << YAML::Key << "spike"
        << YAML::Value << spike_name(f.spike) << YAML::Key << "payload_shift" << YAML::Value
        << f.payload_shift << YAML::EndMap;
    const std::vector<std::uint64_t> shape{static_cast<std::uint64_t>(p.size)};
    if (!p.bias_mant.empty()) w.array("populations", p.name, "bias_mant", p.bias_mant, shape);
    if (!p.bias_exp.empty()) w.array("populations", p.name, "bias_exp", p.bias_exp, shape);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (!net.projections().empty()) {
    out << YAML::Key << "projections" << YAML::Value << YAML::BeginSeq;
    for (auto e : net.projections()) {
      const auto& p = net.projection(e);
      const auto n_src = static_cast<std::uint64_t>(net.node_size(boost::source(e, net.graph())));
      const auto n_dst = static_cast<std::uint64_t>(net.node_size(boost::target(e, net.graph())));
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "source"
          << YAML::Value << p.source << YAML::Key << "target" << YAML::Value << p.target;
      out << YAML::Key << "format" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
          << "weight_bits" << YAML::Value << p.format.weight_bits << YAML::Key << "sign"
          << YAML::Value << sign_name(p.format.sign) << YAML::Key << "weight_exp" << YAML::Value
          << p.format.weight_exp << YAML::Key << "delay_bits" << YAML::Value << p.format.delay_bits
          << YAML::EndMap;
      const std::vector<std::uint64_t> shape =
          p.dense ? std::vector<std::uint64_t>{n_dst, n_src}
                  : std::vector<std::uint64_t>{static_cast<std::uint64_t>(p.weight.size())};
      if (p.dense) {
        w.array("projections", p.name, "dense", p.weight, shape);
      } else {
        out << YAML::Key << "sparse" << YAML::Value << YAML::BeginMap;
        w.array("projections", p.name, "pre", p.pre, shape);
        w.array("projections", p.name, "post", p.post, shape);
        w.array("projections", p.name, "weight", p.weight, shape);
        out << YAML::EndMap;
      }
      if (!p.delay.empty())
        w.array("projections", p.name, "delay", p.delay, shape);
      else if (p.uniform_delay != 0)
        out << YAML::Key << "delay" << YAML::Value << p.uniform_delay;
      if (p.rate != 1.0) out << YAML::Key << "rate" << YAML::Value << p.rate;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!net.output_ports().empty()) {
    out << YAML::Key << "output_ports" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : net.output_ports())
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name
          << YAML::Key << "population" << YAML::Value << p.population << YAML::EndMap;
    out << YAML::EndSeq;
  }
  if (!net.host_nodes().empty()) {
    out << YAML::Key << "host_nodes" << YAML::Value << YAML::BeginSeq;
    for (const auto& h : net.host_nodes()) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << h.name << YAML::Key << "kind"
          << YAML::Value << h.kind;
      out << YAML::Key << "inputs" << YAML::Value << YAML::Flow << h.inputs;
      out << YAML::Key << "outputs" << YAML::Value << YAML::Flow << h.outputs;
      if (!h.params.empty()) {
        out << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : h.params)
          out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
        out << YAML::EndMap;
      }
      if (!h.arrays.empty()) {
        out << YAML::Key << "arrays" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, a] : h.arrays)
          w.array("host_nodes", h.name, k, a.values,
                  a.shape.empty() ? std::vector<std::uint64_t>{a.values.size()} : a.shape);
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  if (!out.good()) throw std::logic_error("YAML emitter error: " + out.GetLastError());

  AtomicOutput yaml_out(yaml_file);
  {
    std::ofstream f(yaml_out.temp_path());
    f << "# loihisim network (docs/network-format.md)\n" << out.c_str() << "\n";
    if (!f) throw InputError(fmt::format("{}: cannot write the network file", yaml_file.string()));
  }
  if (h5_root) {
    h5_root.reset();  // close the file before renaming it
    h5_out->commit();
  }
  yaml_out.commit();
}

}  // namespace loihisim::mapper
