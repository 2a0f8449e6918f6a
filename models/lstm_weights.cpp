#include "models/lstm_weights.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models {
namespace {

using Dims = std::vector<std::uint64_t>;

std::string dims_text(const Dims& d) {
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? " x " : "") + std::to_string(d[i]);
  return d.empty() ? "a scalar" : s;
}

// A float dataset of exactly `expected` shape, all values finite: a NaN or infinity in a weight
// would make every output meaningless without any other symptom.
std::vector<float> read_floats(const h5::Group& g, const std::string& name, const Dims& expected,
                               const std::string& meaning) {
  // The shape first: a file declaring a huge dataset is refused before anything is read.
  const Dims d = g.shape(name);
  if (d != expected)
    g.fail(name,
           fmt::format("shape {}, expected {} ({})", dims_text(d), dims_text(expected), meaning));
  auto v = g.read<float>(name);
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]))
      g.fail(name, fmt::format("value {} (flat index {}) is not finite", v[k], k));
  return v;
}

// The shape of a dataset that must be a matrix (or a vector when rank == 1), to learn sizes from.
Dims shape_of_rank(const h5::Group& g, const std::string& name, std::size_t rank,
                   const std::string& meaning) {
  const Dims d = g.shape(name);
  if (d.size() != rank || std::any_of(d.begin(), d.end(), [](auto x) { return x == 0; }))
    g.fail(name, fmt::format("shape {}, expected a non-empty {} ({})", dims_text(d),
                             rank == 1 ? "vector" : "matrix", meaning));
  if (std::any_of(d.begin(), d.end(), [](auto x) { return x > (1u << 24); }))
    g.fail(name, fmt::format("shape {} is implausibly large", dims_text(d)));
  return d;
}

// A scalar string attribute. Not h5::Group::string_attribute(), which reads variable-length
// strings as ASCII and so fails on the UTF-8 attributes h5py writes (tools/train_lstm.py).
std::string string_attribute(const h5::Group& g, const std::string& name) {
  const auto v = g.string_list_attribute(name);
  if (v.size() != 1) g.fail("@" + name, "expected a single string");
  return v[0];
}

std::string optional_string_attribute(const h5::Group& g, const std::string& name) {
  return g.has_attribute(name) ? string_attribute(g, name) : std::string();
}

// Row-major transpose of a rows x cols matrix.
std::vector<float> transpose(const std::vector<float>& m, std::size_t rows, std::size_t cols) {
  std::vector<float> t(m.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) t[c * rows + r] = m[r * cols + c];
  return t;
}

LstmCell cell_from_attribute(const h5::Group& root) {
  if (!root.has_attribute("cell"))
    root.fail("@cell", "missing attribute (expected \"modified\" or \"standard\")");
  const std::string cell = string_attribute(root, "cell");
  if (cell == "modified") return LstmCell::kModified;
  if (cell == "standard") return LstmCell::kStandard;
  root.fail("@cell", "unknown cell '" + cell + "' (expected \"modified\" or \"standard\")");
}

void read_pytorch(const h5::Group& root, LstmWeights& w) {
  if (root.has_attribute("layout_convention") &&
      string_attribute(root, "layout_convention") != "pytorch")
    root.fail("@layout_convention", "'" + string_attribute(root, "layout_convention") +
                                        "' in a file with PyTorch groups lstm/ and fc/ "
                                        "(expected \"pytorch\")");
  if (root.has_attribute("gate_order") && string_attribute(root, "gate_order") != "i,f,g,o")
    root.fail("@gate_order",
              "'" + string_attribute(root, "gate_order") + "' (expected \"i,f,g,o\")");
  w.cell = cell_from_attribute(root);
  const h5::Group lstm = root.open_group("lstm");
  const h5::Group fc = root.open_group("fc");
  const Dims ih = shape_of_rank(lstm, "weight_ih_l0", 2, "4 x hidden rows, input columns");
  if (ih[0] % 4 != 0) lstm.fail("weight_ih_l0", fmt::format("{} rows, expected 4 x hidden", ih[0]));
  const std::uint64_t h = ih[0] / 4, in = ih[1];
  const Dims fw = shape_of_rank(fc, "weight", 2, "classes x hidden");
  const std::uint64_t classes = fw[0];
  w.input_size = static_cast<int>(in);
  w.hidden_size = static_cast<int>(h);
  w.classes = static_cast<int>(classes);
  w.w_ih = read_floats(lstm, "weight_ih_l0", {4 * h, in}, "4H x I");
  w.w_hh = read_floats(lstm, "weight_hh_l0", {4 * h, h}, "4H x H");
  const auto b_ih = read_floats(lstm, "bias_ih_l0", {4 * h}, "4H");
  const auto b_hh = read_floats(lstm, "bias_hh_l0", {4 * h}, "4H");
  w.bias.resize(b_ih.size());
  // PyTorch adds both biases in float32 inside the gate pre-activation; one sum here.
  for (std::size_t k = 0; k < b_ih.size(); ++k) w.bias[k] = b_ih[k] + b_hh[k];
  w.fc_weight = read_floats(fc, "weight", {classes, h}, "C x H");
  w.fc_bias = read_floats(fc, "bias", {classes}, "C");
}

// The Keras layer config (class name and config object) of every layer in model_config, in order.
struct KerasLayer {
  std::string class_name, name;
  nlohmann::json config;
};

std::vector<KerasLayer> keras_layers(const h5::Group& root) {
  if (!root.has_attribute("model_config"))
    root.fail("@model_config", "missing attribute (the Keras model's JSON configuration)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(string_attribute(root, "model_config"));
  } catch (const nlohmann::json::exception& e) {
    root.fail("@model_config", std::string("not valid JSON: ") + e.what());
  }
  const nlohmann::json* layers = nullptr;
  if (j.is_object() && j.contains("config") && j["config"].is_object() &&
      j["config"].contains("layers") && j["config"]["layers"].is_array())
    layers = &j["config"]["layers"];
  if (!layers)
    root.fail("@model_config", "expected {\"class_name\": ..., \"config\": {\"layers\": [...]}}");
  std::vector<KerasLayer> out;
  for (const auto& l : *layers) {
    if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string() ||
        !l.contains("config") || !l["config"].is_object() || !l["config"].contains("name") ||
        !l["config"]["name"].is_string())
      root.fail("@model_config", "a layer without class_name, config or config.name");
    out.push_back(
        {l["class_name"].get<std::string>(), l["config"]["name"].get<std::string>(), l["config"]});
  }
  return out;
}

std::string json_string(const h5::Group& root, const KerasLayer& l, const char* key) {
  if (!l.config.contains(key) || !l.config[key].is_string())
    root.fail("@model_config",
              fmt::format("layer '{}' ({}): missing string '{}'", l.name, l.class_name, key));
  return l.config[key].get<std::string>();
}

bool json_flag(const KerasLayer& l, const char* key) {
  return l.config.contains(key) && l.config[key].is_boolean() && l.config[key].get<bool>();
}

LstmCell keras_cell(const h5::Group& root, const KerasLayer& lstm) {
  const std::string act = json_string(root, lstm, "activation");
  const std::string rec = json_string(root, lstm, "recurrent_activation");
  const std::string marker = optional_string_attribute(root, "cell");
  if (!marker.empty() && marker != "modified" && marker != "standard")
    root.fail("@cell", "unknown cell '" + marker + "' (expected \"modified\" or \"standard\")");
  if (marker == "modified") {
    if (act != "phi2" || rec != "phi1")
      root.fail("@model_config",
                fmt::format("LSTM layer '{}': activation '{}', recurrent_activation '{}' with "
                            "cell = \"modified\" (expected \"phi2\" and \"phi1\")",
                            lstm.name, act, rec));
    return LstmCell::kModified;
  }
  if (act == "tanh" && rec == "sigmoid") return LstmCell::kStandard;
  const std::string hint =
      (act == "phi2" && rec == "phi1")
          ? " (the clamped phi1/phi2 cell needs the root attribute cell = \"modified\")"
          : " (supported: activation \"tanh\" with recurrent_activation \"sigmoid\", or \"phi2\" "
            "with \"phi1\" and the root attribute cell = \"modified\")";
  root.fail("@model_config", fmt::format("LSTM layer '{}': cannot map activation '{}' with "
                                         "recurrent_activation '{}'{}",
                                         lstm.name, act, rec, hint));
}

// The datasets of one Keras layer, by role ("kernel", "recurrent_kernel", "bias"), from the
// layer group's weight_names (paths like "lstm/lstm_cell/kernel:0", relative to the group).
std::optional<std::string> keras_weight(const h5::Group& layer, const std::string& role) {
  for (const auto& n : layer.string_list_attribute("weight_names")) {
    std::string base =
        n.substr(n.find_last_of('/') == std::string::npos ? 0 : n.find_last_of('/') + 1);
    base = base.substr(0, base.find(':'));
    if (base == role) {
      if (!layer.has(n)) layer.fail(n, "listed in weight_names but missing");
      return n;
    }
  }
  return std::nullopt;
}

std::string require_keras_weight(const h5::Group& layer, const std::string& role) {
  auto n = keras_weight(layer, role);
  if (!n) layer.fail("@weight_names", "no weight named '" + role + "'");
  return *n;
}

void read_keras(const h5::Group& root, LstmWeights& w) {
  const auto layers = keras_layers(root);
  const h5::Group mw = root.open_group("model_weights");
  const auto names = mw.string_list_attribute("layer_names");
  const KerasLayer* lstm = nullptr;
  const KerasLayer* dense = nullptr;
  for (const auto& l : layers) {
    if (l.class_name == "InputLayer") continue;
    if (l.class_name == "LSTM" && !lstm) {
      lstm = &l;
    } else if (l.class_name == "Dense" && lstm && !dense) {
      dense = &l;
    } else {
      root.fail("@model_config",
                fmt::format("layer '{}' ({}): expected exactly the layers [InputLayer], LSTM, "
                            "Dense, in that order",
                            l.name, l.class_name));
    }
  }
  if (!lstm || !dense)
    root.fail("@model_config", "expected an LSTM layer followed by a Dense layer");
  for (const auto* l : {lstm, dense})
    if (std::find(names.begin(), names.end(), l->name) == names.end())
      mw.fail("@layer_names", "does not list layer '" + l->name + "'");
  if (json_flag(*lstm, "return_sequences") || json_flag(*lstm, "go_backwards") ||
      json_flag(*lstm, "time_major"))
    root.fail("@model_config",
              fmt::format("LSTM layer '{}': return_sequences, go_backwards and time_major must "
                          "be false (the classifier reads the last hidden state)",
                          lstm->name));
  const std::string dense_act = json_string(root, *dense, "activation");
  // Softmax does not change the argmax; the forward pass returns the scores before it.
  if (dense_act != "linear" && dense_act != "softmax")
    root.fail("@model_config", fmt::format("Dense layer '{}': activation '{}' (expected "
                                           "\"linear\" or \"softmax\")",
                                           dense->name, dense_act));
  w.cell = keras_cell(root, *lstm);

  const h5::Group lg = mw.open_group(lstm->name);
  const h5::Group dg = mw.open_group(dense->name);
  const std::string kernel = require_keras_weight(lg, "kernel");
  const std::string recurrent = require_keras_weight(lg, "recurrent_kernel");
  const Dims kd = shape_of_rank(lg, kernel, 2, "input rows, 4 x units columns");
  if (kd[1] % 4 != 0) lg.fail(kernel, fmt::format("{} columns, expected 4 x units", kd[1]));
  const std::uint64_t in = kd[0], h = kd[1] / 4;
  const std::string dkernel = require_keras_weight(dg, "kernel");
  const Dims dd = shape_of_rank(dg, dkernel, 2, "units rows, classes columns");
  const std::uint64_t classes = dd[1];
  w.input_size = static_cast<int>(in);
  w.hidden_size = static_cast<int>(h);
  w.classes = static_cast<int>(classes);
  // Keras computes x K with gate order i, f, c, o: the same order as PyTorch's i, f, g, o, so
  // W_ih = K^T with no reordering of the gate blocks.
  w.w_ih = transpose(read_floats(lg, kernel, {in, 4 * h}, "I x 4H"), in, 4 * h);
  w.w_hh = transpose(read_floats(lg, recurrent, {h, 4 * h}, "H x 4H"), h, 4 * h);
  const auto lstm_bias = keras_weight(lg, "bias");
  if (json_flag(*lstm, "use_bias") && !lstm_bias) lg.fail("@weight_names", "no weight 'bias'");
  w.bias = lstm_bias ? read_floats(lg, *lstm_bias, {4 * h}, "4H") : std::vector<float>(4 * h, 0.0f);
  w.fc_weight = transpose(read_floats(dg, dkernel, {h, classes}, "H x C"), h, classes);
  const auto dbias = keras_weight(dg, "bias");
  w.fc_bias = dbias ? read_floats(dg, *dbias, {classes}, "C") : std::vector<float>(classes, 0.0f);
}

void read_reference(const h5::Group& root, LstmWeights& w) {
  if (!root.has("reference")) return;
  const h5::Group r = root.open_group("reference");
  const Dims in = r.shape("inputs");
  if (in.size() != 3 || in[0] == 0 || in[1] == 0 ||
      in[2] != static_cast<std::uint64_t>(w.input_size))
    r.fail("inputs", fmt::format("shape {}, expected n x steps x {} (the LSTM's input size)",
                                 dims_text(in), w.input_size));
  const std::uint64_t n = in[0];
  const auto classes = static_cast<std::uint64_t>(w.classes);
  w.reference_inputs = read_floats(r, "inputs", in, "n x steps x I");
  w.reference_logits = read_floats(r, "logits", {n, classes}, "n x C");
  Dims ld;
  const auto labels = r.read<std::int32_t>("labels", &ld);
  if (ld != Dims{n}) r.fail("labels", fmt::format("shape {}, expected {}", dims_text(ld), n));
  for (auto l : labels)
    if (l < 0 || l >= w.classes)
      r.fail("labels", fmt::format("label {} outside 0..{}", l, w.classes - 1));
  w.reference_labels.assign(labels.begin(), labels.end());
  w.reference_count = static_cast<int>(n);
  w.reference_steps = static_cast<int>(in[1]);
}

float phi1(float z) {
  return std::clamp((z + 2.0f) / 4.0f, 0.0f, 1.0f);
}
float phi2(float z) {
  return std::clamp(z / 2.0f, -1.0f, 1.0f);
}
float sigmoid(float z) {
  return 1.0f / (1.0f + std::exp(-z));
}

}  // namespace

const char* to_string(LstmCell cell) {
  return cell == LstmCell::kModified ? "modified" : "standard";
}

const char* to_string(WeightLayout layout) {
  return layout == WeightLayout::kKeras ? "keras" : "pytorch";
}

LstmWeights read_lstm_weights(const std::string& path) {
  const h5::Group root = h5::open_file(path);
  LstmWeights w;
  w.file = path;
  if (root.is_group("model_weights")) {
    w.layout = WeightLayout::kKeras;
    read_keras(root, w);
  } else if (root.is_group("lstm") && root.is_group("fc")) {
    w.layout = WeightLayout::kPyTorch;
    read_pytorch(root, w);
  } else {
    throw InputError(path +
                     ": not an LSTM weight file: expected the groups lstm/ and fc/ (PyTorch "
                     "layout, tools/train_lstm.py) or model_weights/ (Keras full-model .h5)");
  }
  w.dataset = optional_string_attribute(root, "dataset");
  w.sequence_layout = optional_string_attribute(root, "layout");
  w.input_scaling = optional_string_attribute(root, "input_scaling");
  if (!w.dataset.empty() && w.dataset != "mnist" && w.dataset != "fashion")
    root.fail("@dataset", "'" + w.dataset + "' (expected \"mnist\" or \"fashion\")");
  if (!w.sequence_layout.empty() && w.sequence_layout != "row" && w.sequence_layout != "pixel")
    root.fail("@layout", "'" + w.sequence_layout + "' (expected \"row\" or \"pixel\")");
  read_reference(root, w);
  return w;
}

std::vector<float> lstm_forward_reference(const LstmWeights& w, const float* sequence, int steps) {
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const auto cs = static_cast<std::size_t>(w.classes);
  std::vector<float> h(hs, 0.0f), c(hs, 0.0f), z(4 * hs);
  for (int t = 0; t < steps; ++t) {
    const float* x = sequence + static_cast<std::size_t>(t) * in;
    for (std::size_t r = 0; r < 4 * hs; ++r) {
      // Input part plus bias first, then the recurrent part: the grouping of the training
      // script (xw = x W_ih^T + b, then z = xw + h W_hh^T).
      float a = 0.0f;
      for (std::size_t k = 0; k < in; ++k) a += w.w_ih[r * in + k] * x[k];
      a += w.bias[r];
      float b = 0.0f;
      for (std::size_t k = 0; k < hs; ++k) b += w.w_hh[r * hs + k] * h[k];
      z[r] = a + b;
    }
    for (std::size_t j = 0; j < hs; ++j) {
      const float zi = z[j], zf = z[hs + j], zg = z[2 * hs + j], zo = z[3 * hs + j];
      if (w.cell == LstmCell::kModified) {
        c[j] = std::clamp(phi1(zf) * c[j] + phi1(zi) * phi2(zg), -1.0f, 1.0f);
        h[j] = phi1(zo) * phi2(c[j]);
      } else {
        c[j] = sigmoid(zf) * c[j] + sigmoid(zi) * std::tanh(zg);
        h[j] = sigmoid(zo) * std::tanh(c[j]);
      }
    }
  }
  std::vector<float> logits(cs);
  for (std::size_t r = 0; r < cs; ++r) {
    float a = 0.0f;
    for (std::size_t k = 0; k < hs; ++k) a += w.fc_weight[r * hs + k] * h[k];
    logits[r] = a + w.fc_bias[r];
  }
  return logits;
}

}  // namespace loihisim::models
