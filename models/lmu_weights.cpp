#include "models/lmu_weights.hpp"

#include <fmt/core.h>

#include <cmath>

#include "core/fixed_point.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models {
namespace {

// A float array of exactly this shape, every value finite (read as double).
std::vector<double> read_array(const h5::Group& g, const std::string& name,
                               const std::vector<std::uint64_t>& shape) {
  if (!g.has(name)) g.fail(name, "missing (not a tools/train_lmu.py file?)");
  return h5::read_finite<double>(g, name, shape);
}

std::string optional_string(const h5::Group& root, const char* name) {
  if (!root.has_attribute(name)) return {};
  const auto v = root.string_list_attribute(name);
  if (v.size() != 1) root.fail(std::string("@") + name, "expected a single string");
  return v[0];
}

// The first dimension of a 2-D array (the sizes every other shape is checked against).
std::uint64_t rows_of(const h5::Group& g, const std::string& name, std::uint64_t* cols) {
  if (!g.has(name)) g.fail(name, "missing (not a tools/train_lmu.py file?)");
  const auto dims = g.shape(name);
  if (dims.size() != 2 || dims[0] == 0 || dims[1] == 0 || dims[0] > (1u << 16) ||
      dims[1] > (1u << 16))
    g.fail(name,
           "has shape " + h5::dims_text(dims) + ", expected a 2-D array of 1..65536 x 1..65536");
  *cols = dims[1];
  return dims[0];
}

void read_reference_scales(const h5::Group& root, LmuWeights& w) {
  if (!root.has("chip_reference")) return;
  const h5::Group c = root.open_group("chip_reference");
  LmuScales s;
  const auto attr = [&](const char* name, int lo, int hi) {
    const std::int64_t v = c.int_attribute(name);
    if (v < lo || v > hi)
      c.fail(std::string("@") + name, fmt::format("= {} is outside {}..{}", v, lo, hi));
    return static_cast<int>(v);
  };
  s.quantum_bits = attr("K", 1, core::kPayloadBits);
  s.memory_bits = attr("Fm", -62, 62);
  s.state_bits = attr("Fh", 0, 62);
  s.a_bits = attr("Fa", 1, 40);
  s.input_scale = c.double_attribute("S_in");
  w.reference_scales = s;
  w.reference_omega = c.double_attribute("omega");
  if (c.has_attribute("test_accuracy")) w.chip_test_accuracy = c.double_attribute("test_accuracy");
  if (c.has_attribute("max_abs_M")) {
    w.reference_max_payload = c.double_attribute("max_abs_M");
    if (!(w.reference_max_payload >= 0) || !std::isfinite(w.reference_max_payload))
      c.fail("@max_abs_M", "must be a finite number >= 0");
  }
}

}  // namespace

LmuWeights read_lmu_weights(const std::string& path) {
  const h5::Group root = h5::open_file(path);
  LmuWeights w;
  w.file = path;
  if (!root.has("lmu") || !root.has("readout"))
    root.fail("lmu", "missing: not an LMU written by tools/train_lmu.py (docs/hybrid-lmu.md)");
  const h5::Group lmu = root.open_group("lmu");
  const h5::Group readout = root.open_group("readout");
  std::uint64_t d_cols = 0, in_cols = 0;
  const std::uint64_t H = rows_of(lmu, "W_m", &d_cols);
  const std::uint64_t D = d_cols;
  rows_of(lmu, "W_x", &in_cols);
  const std::uint64_t I = in_cols;
  std::uint64_t c_cols = 0;
  const std::uint64_t C = rows_of(readout, "weight", &c_cols);
  if (c_cols != H || C < 2)
    readout.fail("weight",
                 fmt::format("has shape [{}, {}], expected [classes >= 2, H = {}]", C, c_cols, H));
  w.hidden = static_cast<int>(H);
  w.d = static_cast<int>(D);
  w.inputs = static_cast<int>(I);
  w.classes = static_cast<int>(C);
  w.e_x = read_array(lmu, "e_x", {I});
  w.a_bar = read_array(lmu, "A_bar", {D, D});
  w.b_bar = read_array(lmu, "B_bar", {D});
  w.w_x = read_array(lmu, "W_x", {H, I});
  w.w_m = read_array(lmu, "W_m", {H, D});
  w.w_h = read_array(lmu, "W_h", {H, H});
  w.bias = read_array(lmu, "b", {H});
  w.w_o = read_array(readout, "weight", {C, H});
  w.b_o = read_array(readout, "bias", {C});
  // The memory must depend on the input only: the chip's spikes never feed back into it.
  for (const char* name : {"e_h", "e_m"}) {
    const auto v = read_array(lmu, name, {std::string(name) == "e_h" ? H : D});
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k] != 0)
        lmu.fail(name, fmt::format("[{}] = {:g}: the converter builds e_h = e_m = 0 only (the "
                                   "host's memory takes the input alone; a memory fed by the "
                                   "chip's spikes is not implemented)",
                                   k, v[k]));
  }
  const std::string activation = optional_string(root, "activation");
  if (activation == "crelu")
    w.activation = LmuWeights::Activation::kCrelu;
  else if (activation == "relu")
    w.activation = LmuWeights::Activation::kRelu;
  else if (activation == "tanh")
    w.activation = LmuWeights::Activation::kTanh;
  else
    root.fail("@activation", "= '" + activation + "': expected crelu, relu or tanh");
  w.omega = root.has_attribute("omega") ? root.double_attribute("omega") : 0.0;
  w.dataset = optional_string(root, "dataset");
  w.layout = optional_string(root, "layout");
  w.kind = optional_string(root, "kind");
  if (root.has_attribute("permutation_seed"))
    w.permutation_seed = root.int_attribute("permutation_seed");
  if (root.has_attribute("test_accuracy")) w.test_accuracy = root.double_attribute("test_accuracy");
  read_reference_scales(root, w);
  return w;
}

}  // namespace loihisim::models
