#include "mapper/network_io.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>

#include "formats/core_tables_io.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/limits.hpp"
#include "io/yaml_reader.hpp"
#include "mapper/quantize.hpp"

namespace loihisim::mapper {
namespace fs = std::filesystem;

namespace {

using yaml::Field;

constexpr int kFormatVersion = 1;

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

std::string element_name(const std::vector<std::uint64_t>& shape, std::size_t k) {
  if (shape.size() == 2) return fmt::format("[{}, {}]", k / shape[1], k % shape[1]);
  return fmt::format("[{}]", k);
}

class NetworkReader {
 public:
  NetworkReader(std::string file, fs::path base_dir)
      : r_(std::move(file), yaml::Wording::kEquals), base_dir_(std::move(base_dir)) {}

  Network read(const YAML::Node& root) {
    const Field top{root, ""};
    r_.expect_map(top, {},
                  {"loihisim_network", "name", "arrays", "input_ports", "populations",
                   "projections", "output_ports", "host_nodes"});
    r_.integer(r_.require(top, "loihisim_network", "format version, 1"), kFormatVersion,
               kFormatVersion);
    Network net;
    net.name = fs::path(r_.file()).stem().string();
    if (auto n = r_.find(top, "name")) net.name = r_.string(*n);
    if (auto a = r_.find(top, "arrays")) {
      arrays_field_ = *a;
      arrays_file_ = (base_dir_ / r_.string(*a)).string();
    }
    for_each(top, "input_ports", [&](const Field& n) { read_input_port(net, n); });
    for_each(top, "populations", [&](const Field& n) { read_population(net, n); });
    for_each(top, "projections", [&](const Field& n) { read_projection(net, n); });
    for_each(top, "output_ports", [&](const Field& n) {
      r_.expect_map(n, {}, {"name", "population"});
      OutputPort p;
      p.name = r_.string(r_.require(n, "name", "port name"));
      p.population = r_.string(r_.require(n, "population", "population name"));
      r_.label_errors(n, [&] { net.add_output_port(std::move(p)); });
    });
    for_each(top, "host_nodes", [&](const Field& n) { read_host_node(net, n); });
    r_.label_errors({root, "host_nodes"}, [&] { net.check_host_references(); });
    return net;
  }

 private:
  // Calls f for each item of the optional list `key` (absent or empty: none).
  template <class F>
  void for_each(const Field& map, const char* key, F&& f) {
    const auto list = r_.find(map, key);
    if (!list || list->node.IsNull()) return;
    for (const Field& x : r_.items(*list)) f(x);
  }

  // --- arrays: inline (nested lists) or {dataset: /path} in the companion HDF5 file
  h5::Group& arrays(const Field& at) {
    if (!arrays_) {
      if (arrays_file_.empty())
        r_.fail(at, "refers to a dataset but the file has no 'arrays:' key naming its HDF5 file");
      r_.label_errors(arrays_field_,
                      [&] { arrays_ = std::make_unique<h5::Group>(h5::open_file(arrays_file_)); });
    }
    return *arrays_;
  }

  // Reads numbers of type T (std::int64_t or double) with their shape.
  template <class T>
  std::vector<T> values(const Field& f, std::vector<std::uint64_t>& shape) {
    if (!f.node.IsMap()) return r_.array<T>(f, shape, "numbers or {dataset: /path}");
    r_.expect_map(f, {}, {"dataset"});
    const std::string ds = r_.string(r_.require(f, "dataset", "the dataset's path in 'arrays:'"));
    h5::Group& g = arrays(f);
    std::vector<T> v;
    r_.label_errors(f, [&] { v = g.read<T>(ds, &shape); });
    return v;
  }

  template <class T>
  std::vector<T> values_of_shape(const Field& f, const std::vector<std::uint64_t>& expect) {
    std::vector<std::uint64_t> shape;
    auto v = values<T>(f, shape);
    const bool ok = shape == expect || (shape.size() == 1 && expect.size() == 1 &&
                                        shape_count(shape) == shape_count(expect));
    if (!ok)
      r_.fail(f, fmt::format("shape {} does not match the expected {}", shape_text(shape),
                             shape_text(expect)));
    return v;
  }

  // Integer array checked against [lo, hi] element by element.
  std::vector<std::int64_t> int_values(const Field& f, const std::vector<std::uint64_t>& expect,
                                       std::int64_t lo, std::int64_t hi) {
    auto v = values_of_shape<std::int64_t>(f, expect);
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k] < lo || v[k] > hi)
        r_.fail(f, fmt::format("element {} = {} is outside the allowed range {}..{}",
                               element_name(expect, k), v[k], lo, hi));
    return v;
  }

  // A per-neuron value: a scalar for every neuron, or an array of `size`.
  template <class T>
  std::vector<T> per_neuron(const Field& f, std::int32_t size, T lo, T hi) {
    std::vector<T> out;
    if (f.node.IsScalar()) {
      T v{};
      if constexpr (std::is_same_v<T, double>)
        v = r_.real(f);
      else
        v = static_cast<T>(r_.integer(f, lo, hi));
      r_.label_errors(f, [&] {
        check_memory(bytes_for(static_cast<std::uint64_t>(size), sizeof(T)),
                     fmt::format("a value for each of {} neurons", size));
      });
      out.assign(static_cast<std::size_t>(size), v);
      return out;
    }
    const std::vector<std::uint64_t> expect{static_cast<std::uint64_t>(size)};
    if constexpr (std::is_same_v<T, double>) {
      return values_of_shape<double>(f, expect);
    } else {
      for (auto x : int_values(f, expect, lo, hi)) out.push_back(static_cast<T>(x));
      return out;
    }
  }

  // --- sections
  std::string name_of(const Field& n, const char* what) const {
    return r_.string(r_.require(n, "name", what));
  }

  void read_input_port(Network& net, const Field& n) {
    r_.expect_map(n, {}, {"name", "size"});
    InputPort p;
    p.name = name_of(n, "port name");
    p.size = static_cast<std::int32_t>(
        r_.integer(r_.require(n, "size", "number of neurons"), 1, 1 << 30));
    r_.label_errors(n, [&] { net.add_input_port(std::move(p)); });
  }

  core::CompartmentProfile read_profile(const Field& n) {
    return read_compartment_profile(r_, n, Keys::kDefaults);
  }

  void read_behaviour(const Field& n, core::ResetMode& reset, core::SpikeKind& spike) {
    if (auto v = r_.find(n, "reset")) reset = r_.choice(*v, core::kResetModeNames);
    if (auto v = r_.find(n, "spike")) spike = r_.choice(*v, core::kSpikeKindNames);
  }

  RealNeuron read_real_neuron(const Field& n) {
    r_.expect_map(
        n, {},
        {"dt", "tau_u", "tau_v", "decay_u", "decay_v", "threshold", "scale", "refractory", "reset",
         "spike", "payload_shift", "vmin_exp", "vmax_exp", "neuron", "input_max"});
    RealNeuron r;
    if (auto v = r_.find(n, "neuron")) r.neuron = r_.choice(*v, core::kNeuronModelNames);
    if (auto v = r_.find(n, "dt")) r.dt = r_.real(*v);
    if (auto v = r_.find(n, "tau_u")) r.tau_u = r_.real(*v, yaml::Infinity::kAllowed);
    if (auto v = r_.find(n, "tau_v")) r.tau_v = r_.real(*v, yaml::Infinity::kAllowed);
    if (auto v = r_.find(n, "decay_u")) r.decay_u = r_.real(*v);
    if (auto v = r_.find(n, "decay_v")) r.decay_v = r_.real(*v);
    if (auto v = r_.find(n, "threshold"))
      r.threshold = r_.real(*v);
    else if (r.neuron == core::NeuronModel::kSigmaDelta)
      r.threshold = 0.0;  // it has none: its quantum is 2^payload_shift hardware units
    else
      r.threshold = r_.real(r_.require(n, "threshold", "real threshold"));
    if (auto v = r_.find(n, "input_max")) r.input_max = r_.real(*v);
    r.scale = r_.real(r_.require(n, "scale", "hardware units per real unit"));
    if (auto v = r_.find(n, "refractory"))
      r.refractory = static_cast<int>(r_.integer(*v, 1, core::kMaxRefractDelay));
    if (auto v = r_.find(n, "payload_shift"))
      r.payload_shift = static_cast<int>(r_.integer(*v, 0, 23));
    if (auto v = r_.find(n, "vmin_exp"))
      r.vmin_exp = static_cast<int>(r_.integer(*v, 0, core::kMaxVminExp));
    if (auto v = r_.find(n, "vmax_exp"))
      r.vmax_exp = static_cast<int>(r_.integer(*v, 0, core::kMaxVmaxExp));
    read_behaviour(n, r.reset, r.spike);
    // An infinite time constant means no leak.
    if (r.tau_u && std::isinf(*r.tau_u)) r.tau_u.reset();
    if (r.tau_v && std::isinf(*r.tau_v)) r.tau_v.reset();
    return r;
  }

  void read_population(Network& net, const Field& n) {
    r_.expect_map(n, {},
                  {"name", "size", "profile", "neuron", "bias_mant", "bias_exp", "bias", "dendrite",
                   "join_parent"});
    Population p;
    p.name = name_of(n, "population name");
    p.size = static_cast<std::int32_t>(
        r_.integer(r_.require(n, "size", "number of neurons"), 1, 1 << 30));
    const auto prof = r_.find(n, "profile");
    const auto neuron = r_.find(n, "neuron");
    if (prof && neuron)
      r_.fail({neuron->node, n.path},
              "give 'profile' (hardware units) or 'neuron' (real values), not both");
    if (!prof && !neuron)
      r_.fail(n, "missing required key 'profile' (hardware units) or 'neuron' (real values)");
    if (prof) {
      if (auto b = r_.find(n, "bias"))
        r_.fail(*b,
                "'bias' (real units) goes with 'neuron'; with 'profile' use bias_mant and "
                "bias_exp");
      p.profile = read_profile(*prof);
      if (auto b = r_.find(n, "bias_mant"))
        p.bias_mant = per_neuron<std::int32_t>(*b, p.size, -core::kMaxBiasMant, core::kMaxBiasMant);
      if (auto b = r_.find(n, "bias_exp"))
        p.bias_exp = per_neuron<std::int32_t>(*b, p.size, 0, core::kMaxBiasExp);
    } else {
      for (const char* key : {"bias_mant", "bias_exp"})
        if (auto b = r_.find(n, key))
          r_.fail(*b, "goes with 'profile'; with 'neuron' give 'bias' in real units");
      const RealNeuron r = read_real_neuron(*neuron);
      r_.label_errors(
          *neuron, [&] { p.profile = quantize_neuron(r, fmt::format("population '{}'", p.name)); });
      if (auto b = r_.find(n, "bias")) {
        const auto bias = per_neuron<double>(*b, p.size, 0.0, 0.0);
        bool any = false;
        std::vector<std::int32_t> mant(bias.size()), exp(bias.size());
        for (std::size_t i = 0; i < bias.size(); ++i) {
          QuantizedBias q;
          r_.label_errors(
              *b, [&] { q = quantize_bias(bias[i] * r.scale, fmt::format("neuron {}", i)); });
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
    if (auto d = r_.find(n, "dendrite")) {
      r_.expect_map(*d, {}, {"profile", "bias_mant", "bias_exp"});
      Dendrite dd;
      dd.profile = read_profile(r_.require(*d, "profile", "the dendrite's hardware-unit profile"));
      if (auto b = r_.find(*d, "bias_mant"))
        dd.bias_mant =
            per_neuron<std::int32_t>(*b, p.size, -core::kMaxBiasMant, core::kMaxBiasMant);
      if (auto b = r_.find(*d, "bias_exp"))
        dd.bias_exp = per_neuron<std::int32_t>(*b, p.size, 0, core::kMaxBiasExp);
      p.dendrite = std::move(dd);
    }
    if (auto j = r_.find(n, "join_parent")) p.join_parent = r_.string(*j);
    r_.label_errors(n, [&] { net.add_population(std::move(p)); });
  }

  core::SynapseFormat read_format(const Field& n) {
    return read_synapse_format(r_, n, Keys::kDefaults, /*list_layout=*/false);
  }

  void read_projection(Network& net, const Field& n) {
    r_.expect_map(n, {},
                  {"name", "source", "target", "format", "dense", "sparse", "weight_unit", "scale",
                   "saturate", "delay", "rate"});
    Projection p;
    p.name = name_of(n, "projection name");
    const auto [n_src, n_dst] = read_endpoints(net, n, p);
    p.format = read_format(r_.require(n, "format", "weight_bits, sign, weight_exp, delay_bits"));
    const WeightUnit unit = read_weight_unit(n);
    std::vector<std::uint64_t> syn_shape;
    const Field w = read_layout(n, p, n_src, n_dst, syn_shape);
    read_weights(w, p, unit, syn_shape, n_src);
    read_delay_and_rate(n, p, syn_shape);
    r_.label_errors(n, [&] { net.add_projection(std::move(p)); });
  }

  // Source and target, each naming a node of `net` (the target a population); their sizes.
  std::pair<std::uint64_t, std::uint64_t> read_endpoints(const Network& net, const Field& n,
                                                         Projection& p) {
    const Field src = r_.require(n, "source", "a population or input port");
    const Field dst = r_.require(n, "target", "a population");
    p.source = r_.string(src);
    p.target = r_.string(dst);
    const auto sv = net.find(p.source);
    if (!sv)
      r_.fail_at(src.node,
                 fmt::format("{} = '{}' names no population or input port", src.path, p.source));
    const auto tv = net.find(p.target);
    if (!tv || !net.is_population(*tv))
      r_.fail_at(dst.node, fmt::format("{} = '{}' names no population", dst.path, p.target));
    return {static_cast<std::uint64_t>(net.node_size(*sv)),
            static_cast<std::uint64_t>(net.node_size(*tv))};
  }

  // What the weights are: stored mantissas, or real values quantised with scale and saturate.
  struct WeightUnit {
    bool real = false;
    double scale = 1.0;
    bool saturate = false;
  };

  WeightUnit read_weight_unit(const Field& n) {
    WeightUnit u;
    if (auto f = r_.find(n, "weight_unit"))
      u.real = r_.choice<bool>(*f, {{"mantissa", false}, {"real", true}});
    if (auto s = r_.find(n, "scale")) {
      if (!u.real) r_.fail(*s, "only with weight_unit: real");
      u.scale = r_.real(*s);
    }
    if (auto s = r_.find(n, "saturate")) {
      if (!u.real) r_.fail(*s, "only with weight_unit: real");
      u.saturate = r_.boolean(*s);
    }
    return u;
  }

  // Dense (target x source) or sparse (pre, post, weight) synapses: sets p.dense and a sparse
  // list's pre and post, and returns the weights' field and the shape they must have.
  Field read_layout(const Field& n, Projection& p, std::uint64_t n_src, std::uint64_t n_dst,
                    std::vector<std::uint64_t>& syn_shape) {
    const auto dense = r_.find(n, "dense");
    const auto sparse = r_.find(n, "sparse");
    if (dense && sparse)
      r_.fail({sparse->node, n.path}, "give 'dense' or 'sparse' weights, not both");
    if (!dense && !sparse)
      r_.fail(n,
              "missing required key 'dense' (target x source weights) or 'sparse' (pre, post, "
              "weight)");
    if (dense) {
      p.dense = true;
      syn_shape = {n_dst, n_src};
      return *dense;
    }
    p.dense = false;
    r_.expect_map(*sparse, {}, {"pre", "post", "weight"});
    std::vector<std::uint64_t> shape;
    const Field pre = r_.require(*sparse, "pre", "source neuron of each synapse");
    auto pre_v = values<std::int64_t>(pre, shape);
    if (shape.size() != 1)
      r_.fail(pre, fmt::format("expected a 1-D list, got shape {}", shape_text(shape)));
    syn_shape = shape;
    const Field post = r_.require(*sparse, "post", "target neuron of each synapse");
    auto post_v = values_of_shape<std::int64_t>(post, syn_shape);
    for (std::size_t k = 0; k < pre_v.size(); ++k) {
      if (pre_v[k] < 0 || pre_v[k] >= static_cast<std::int64_t>(n_src))
        r_.fail_at(pre.node, fmt::format("{}[{}] = {} is outside the source '{}' (0..{})", pre.path,
                                         k, pre_v[k], p.source, n_src - 1));
      if (post_v[k] < 0 || post_v[k] >= static_cast<std::int64_t>(n_dst))
        r_.fail_at(post.node, fmt::format("{}[{}] = {} is outside the target '{}' (0..{})",
                                          post.path, k, post_v[k], p.target, n_dst - 1));
    }
    p.pre.assign(pre_v.begin(), pre_v.end());
    p.post.assign(post_v.begin(), post_v.end());
    return r_.require(*sparse, "weight", "weight of each synapse");
  }

  void read_weights(const Field& w, Projection& p, const WeightUnit& unit,
                    const std::vector<std::uint64_t>& syn_shape, std::uint64_t n_src) {
    if (unit.real) {
      auto real = values_of_shape<double>(w, syn_shape);
      r_.label_errors(w, [&] {
        p.weight = quantize_weights(real, unit.scale, p.format, unit.saturate,
                                    fmt::format("projection '{}'", p.name),
                                    p.dense ? static_cast<std::int64_t>(n_src) : 0);
      });
      return;
    }
    auto mant = values_of_shape<std::int64_t>(w, syn_shape);
    p.weight.resize(mant.size());
    for (std::size_t k = 0; k < mant.size(); ++k) {
      if (mant[k] < -255 || mant[k] > 255 ||
          !core::mantissa_fits(static_cast<std::int32_t>(mant[k]), p.format))
        r_.fail(w, fmt::format("weight {} = {} is not storable with {} weight bits ({}): "
                               "allowed are multiples of {} with magnitude <= {}",
                               element_name(syn_shape, k), mant[k], p.format.weight_bits,
                               core::sign_description(p.format.sign),
                               1 << std::min(core::weight_lsb_bits(p.format), 8),
                               core::max_weight_mantissa(p.format)));
      p.weight[k] = static_cast<std::int16_t>(mant[k]);
    }
  }

  // delay: one for every synapse (a scalar) or one per synapse; rate: spikes per source neuron.
  void read_delay_and_rate(const Field& n, Projection& p,
                           const std::vector<std::uint64_t>& syn_shape) {
    if (auto d = r_.find(n, "delay")) {
      const std::int64_t max_delay = (std::int64_t{1} << p.format.delay_bits) - 1;
      if (d->node.IsScalar()) {
        p.uniform_delay = static_cast<int>(r_.integer(*d, 0, max_delay));
      } else {
        auto dv = int_values(*d, syn_shape, 0, max_delay);
        p.delay.assign(dv.begin(), dv.end());
      }
    }
    if (auto r = r_.find(n, "rate")) {
      p.rate = r_.real(*r);
      if (p.rate < 0)
        r_.fail_at(r->node,
                   fmt::format("{} = {} must be >= 0 (expected spikes per source neuron per step)",
                               r->path, p.rate));
    }
  }

  void read_host_node(Network& net, const Field& n) {
    r_.expect_map(n, {}, {"name", "kind", "inputs", "outputs", "params", "arrays"});
    HostNode h;
    h.name = name_of(n, "host node name");
    h.kind = r_.string(r_.require(n, "kind", "what the host runs"));
    for (const char* key : {"inputs", "outputs"}) {
      auto& names = std::string_view(key) == "inputs" ? h.inputs : h.outputs;
      if (auto l = r_.find(n, key))
        for (const Field& x : r_.items(*l, "names")) names.push_back(r_.string(x));
    }
    // `params:` and `arrays:` map names the file chooses to values.
    const auto named = [&](const char* key, const char* kind, const char* values, auto&& read) {
      const auto m = r_.find(n, key);
      if (!m) return;
      if (!m->node.IsMap())
        r_.fail(*m, fmt::format("expected a mapping of names to {}, got {}", values,
                                yaml::describe(m->node)));
      for (const auto& kv : m->node) {
        const std::string name = r_.string({kv.first, m->path});
        if (!valid_name(name))
          r_.fail({kv.first, m->path},
                  fmt::format("{} name '{}' is not allowed (letters, digits, '_', '-', '.')", kind,
                              name));
        read(name, Field{kv.second, yaml::join(m->path, name)});
      }
    };
    named("params", "parameter", "values",
          [&](const std::string& name, const Field& v) { h.params[name] = r_.string(v); });
    named("arrays", "array", "arrays", [&](const std::string& name, const Field& v) {
      HostArray a;
      a.values = values<double>(v, a.shape);
      if (a.shape.empty()) a.shape = {1};  // a scalar dataset is a 1-element array
      h.arrays[name] = std::move(a);
    });
    r_.label_errors(n, [&] { net.add_host_node(std::move(h)); });
  }

  yaml::Reader r_;
  fs::path base_dir_;
  std::string arrays_file_;
  Field arrays_field_;
  std::unique_ptr<h5::Group> arrays_;
};

// ------------------------------------------------------------------------------------------
// Writing

class Writer {
 public:
  Writer(YAML::Emitter& out, std::function<h5::Group&()> arrays)
      : out_(out), arrays_(std::move(arrays)) {}

  // Writes `v` under the YAML key `yaml_key` (default: `key`), inline or as the dataset
  // /group/name/key of the arrays file.
  template <class T>
  void array(const std::string& group, const std::string& name, const std::string& key,
             const std::vector<T>& v, const std::vector<std::uint64_t>& shape,
             const std::string& yaml_key = {}) {
    out_ << YAML::Key << (yaml_key.empty() ? key : yaml_key) << YAML::Value;
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

std::string reset_name(core::ResetMode r) {
  return std::string(name_of(core::kResetModeNames, r));
}
std::string spike_name(core::SpikeKind s) {
  return std::string(name_of(core::kSpikeKindNames, s));
}
std::string sign_name(core::SignMode s) {
  return std::string(name_of(core::kSignModeNames, s));
}

// The profile as a flow map under the key "profile".
void write_profile(YAML::Emitter& out, const core::CompartmentProfile& f) {
  out << YAML::Key << "profile" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "decay_u" << YAML::Value << f.decay_u << YAML::Key << "decay_v" << YAML::Value
      << f.decay_v << YAML::Key << "vth_mant" << YAML::Value << f.vth_mant << YAML::Key
      << "refract_delay" << YAML::Value << f.refract_delay << YAML::Key << "vmin_exp" << YAML::Value
      << f.vmin_exp << YAML::Key << "vmax_exp" << YAML::Value << f.vmax_exp << YAML::Key << "reset"
      << YAML::Value << reset_name(f.reset) << YAML::Key << "spike" << YAML::Value
      << spike_name(f.spike) << YAML::Key << "payload_shift" << YAML::Value << f.payload_shift;
  // Only when not the default, so that files of cuba neurons read as before by older readers.
  if (f.neuron != core::NeuronModel::kCuba)
    out << YAML::Key << "neuron" << YAML::Value
        << std::string(name_of(core::kNeuronModelNames, f.neuron));
  if (f.input_max != -1) out << YAML::Key << "input_max" << YAML::Value << f.input_max;
  out << YAML::EndMap;
}

bool needs_arrays(const Network& net) {
  for (auto v : net.populations()) {
    const Population& p = net.population(v);
    const auto big = [](const NeuronBiases& b) {
      return b.bias_mant.size() > kInlineArrayLimit || b.bias_exp.size() > kInlineArrayLimit;
    };
    if (big(p) || (p.dendrite && big(*p.dendrite))) return true;
  }
  for (auto e : net.projections())
    if (net.projection(e).weight.size() > kInlineArrayLimit) return true;
  for (const auto& h : net.host_nodes())
    for (const auto& [k, a] : h.arrays)
      if (a.values.size() > kInlineArrayLimit || a.shape.size() > 2) return true;
  return false;
}

void write_input_ports(YAML::Emitter& out, const Network& net) {
  if (net.input_ports().empty()) return;
  out << YAML::Key << "input_ports" << YAML::Value << YAML::BeginSeq;
  for (auto v : net.input_ports()) {
    const auto& p = net.input_port(v);
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key
        << "size" << YAML::Value << p.size << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void write_population(YAML::Emitter& out, Writer& w, const Population& p) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "size"
      << YAML::Value << p.size;
  write_profile(out, p.profile);
  const std::vector<std::uint64_t> shape{static_cast<std::uint64_t>(p.size)};
  if (!p.bias_mant.empty()) w.array("populations", p.name, "bias_mant", p.bias_mant, shape);
  if (!p.bias_exp.empty()) w.array("populations", p.name, "bias_exp", p.bias_exp, shape);
  if (p.dendrite) {
    const Dendrite& d = *p.dendrite;
    out << YAML::Key << "dendrite" << YAML::Value << YAML::BeginMap;
    write_profile(out, d.profile);
    if (!d.bias_mant.empty())
      w.array("populations", p.name, "dendrite_bias_mant", d.bias_mant, shape, "bias_mant");
    if (!d.bias_exp.empty())
      w.array("populations", p.name, "dendrite_bias_exp", d.bias_exp, shape, "bias_exp");
    out << YAML::EndMap;
  }
  if (!p.join_parent.empty()) out << YAML::Key << "join_parent" << YAML::Value << p.join_parent;
  out << YAML::EndMap;
}

void write_projection(YAML::Emitter& out, Writer& w, const Network& net, Network::Edge e) {
  const auto& p = net.projection(e);
  const auto n_src = static_cast<std::uint64_t>(net.node_size(boost::source(e, net.graph())));
  const auto n_dst = static_cast<std::uint64_t>(net.node_size(boost::target(e, net.graph())));
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "source"
      << YAML::Value << p.source << YAML::Key << "target" << YAML::Value << p.target;
  out << YAML::Key << "format" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "weight_bits" << YAML::Value << p.format.weight_bits << YAML::Key << "sign" << YAML::Value
      << sign_name(p.format.sign) << YAML::Key << "weight_exp" << YAML::Value << p.format.weight_exp
      << YAML::Key << "delay_bits" << YAML::Value << p.format.delay_bits << YAML::EndMap;
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

void write_output_ports(YAML::Emitter& out, const Network& net) {
  if (net.output_ports().empty()) return;
  out << YAML::Key << "output_ports" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : net.output_ports())
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key
        << "population" << YAML::Value << p.population << YAML::EndMap;
  out << YAML::EndSeq;
}

void write_host_node(YAML::Emitter& out, Writer& w, const HostNode& h) {
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

// The whole network as YAML; arrays too large to inline go to the arrays file through `w`.
void write_network_yaml(YAML::Emitter& out, Writer& w, const Network& net,
                        const std::string& arrays_path) {
  out << YAML::BeginMap;
  out << YAML::Key << "loihisim_network" << YAML::Value << kFormatVersion;
  out << YAML::Key << "name" << YAML::Value << net.name;
  if (!arrays_path.empty()) out << YAML::Key << "arrays" << YAML::Value << arrays_path;
  write_input_ports(out, net);
  out << YAML::Key << "populations" << YAML::Value << YAML::BeginSeq;
  for (auto v : net.populations()) write_population(out, w, net.population(v));
  out << YAML::EndSeq;
  if (!net.projections().empty()) {
    out << YAML::Key << "projections" << YAML::Value << YAML::BeginSeq;
    for (auto e : net.projections()) write_projection(out, w, net, e);
    out << YAML::EndSeq;
  }
  write_output_ports(out, net);
  if (!net.host_nodes().empty()) {
    out << YAML::Key << "host_nodes" << YAML::Value << YAML::BeginSeq;
    for (const auto& h : net.host_nodes()) write_host_node(out, w, h);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

}  // namespace

Network parse_network(const std::string& yaml_text, const std::string& file_name,
                      const fs::path& base_dir) {
  return yaml::labelled(file_name, [&] {
    return NetworkReader(file_name, base_dir).read(yaml::load_text(yaml_text, file_name));
  });
}

Network read_network(const fs::path& yaml_file) {
  return yaml::labelled(yaml_file.string(), [&] {
    return NetworkReader(yaml_file.string(), yaml_file.parent_path())
        .read(yaml::load_file(yaml_file, "network file"));
  });
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
      h5_root = std::make_unique<h5::Group>(h5::create_file(*h5_out));
      h5_root->set_attribute("loihisim_network_arrays", std::int64_t{kFormatVersion});
    }
    return *h5_root;
  };

  std::string arrays_path;
  if (need_h5) {
    // Relative to the YAML file's folder when both are in the same folder tree.
    const auto rel = h5_path.lexically_relative(
        yaml_file.parent_path().empty() ? fs::path(".") : yaml_file.parent_path());
    arrays_path = rel.empty() ? h5_path.string() : rel.string();
  }
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  Writer w(out, arrays);
  write_network_yaml(out, w, net, arrays_path);
  if (!out.good()) throw std::logic_error("YAML emitter error: " + out.GetLastError());

  AtomicOutput yaml_out(yaml_file);
  {
    std::ofstream f(yaml_out.temp_path());
    f << "# loihisim network (docs/network-format.md)\n" << out.c_str() << "\n";
    f.close();  // the last buffered bytes are written here: check after it
    if (!f)
      throw InputError(fmt::format("cannot write {}: {}; nothing was kept", yaml_file.string(),
                                   std::strerror(errno)));
  }
  if (h5_root) {
    h5_root.reset();  // close the file before renaming it
    h5_out->commit();
  }
  yaml_out.commit();
}

}  // namespace loihisim::mapper
