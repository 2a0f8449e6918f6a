// models/lstm_weights: both weight layouts read to the same network, the float32 forward pass
// reproduces the logits PyTorch stored in the committed weight files, and bad files are
// InputErrors naming the file and the object.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "tests/support/temp_dir.hpp"
#include "models/lstm_weights.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using models::LstmCell;
using models::LstmWeights;
using models::WeightLayout;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;

// Files written by the tests of this suite, removed when it ends.
fs::path scratch_dir() {
  static const loihisim::testing::TempDir dir("lstm_weights");
  return dir.path;
}

std::string weights(const std::string& cell) {
  return (kSource / "models/weights" / ("mnist_row_" + cell + ".h5")).string();
}

std::string keras_weights(const std::string& cell) {
  return (kSource / "tests/data/weights" / ("mnist_row_" + cell + "_keras.h5")).string();
}

// A PyTorch-layout file holding `w`, with one dataset optionally replaced, for error cases.
struct Override {
  std::string dataset;  // "lstm/weight_hh_l0", ...; empty: none
  std::vector<float> values;
  std::vector<std::uint64_t> dims;
};

std::string write_pytorch(const LstmWeights& w, const std::string& name, const std::string& cell,
                          const Override& o = {}) {
  const std::string path = (scratch_dir() / name).string();
  auto root = h5::create_file(path);
  const auto h = static_cast<std::uint64_t>(w.hidden_size);
  const auto in = static_cast<std::uint64_t>(w.input_size);
  const auto c = static_cast<std::uint64_t>(w.classes);
  auto put = [&](h5::Group& g, const std::string& group, const std::string& ds,
                 const std::vector<float>& v, const std::vector<std::uint64_t>& d) {
    if (o.dataset == group + "/" + ds) {
      if (!o.values.empty()) g.write(ds, o.values, o.dims);
      return;  // an override without values leaves the dataset out
    }
    g.write(ds, v, d);
  };
  auto lstm = root.create_group("lstm");
  put(lstm, "lstm", "weight_ih_l0", w.w_ih, {4 * h, in});
  put(lstm, "lstm", "weight_hh_l0", w.w_hh, {4 * h, h});
  put(lstm, "lstm", "bias_ih_l0", w.bias, {4 * h});
  put(lstm, "lstm", "bias_hh_l0", std::vector<float>(4 * h, 0.0f), {4 * h});
  auto fc = root.create_group("fc");
  put(fc, "fc", "weight", w.fc_weight, {c, h});
  put(fc, "fc", "bias", w.fc_bias, {c});
  if (!cell.empty()) root.set_attribute("cell", cell);
  return path;
}

// Opens a copy of the committed Keras file read-write so a test can change one attribute.
h5::Group writable_copy(const std::string& src, const std::string& name) {
  const fs::path dst = scratch_dir() / name;
  fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
  auto file =
      std::make_shared<h5::Handle>(H5Fopen(dst.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  REQUIRE(*file);
  h5::Handle root(H5Gopen2(file->get(), "/", H5P_DEFAULT), H5Gclose);
  return h5::Group(file, std::move(root), dst.string(), "/");
}

std::string error_of(const std::string& path) {
  try {
    (void)models::read_lstm_weights(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("LSTM weights: the committed PyTorch files read with their shapes and attributes") {
  for (const std::string cell : {"modified", "standard"}) {
    const LstmWeights w = models::read_lstm_weights(weights(cell));
    CHECK(w.layout == WeightLayout::kPyTorch);
    CHECK(w.cell == (cell == "modified" ? LstmCell::kModified : LstmCell::kStandard));
    CHECK(w.input_size == 28);
    CHECK(w.hidden_size == 128);
    CHECK(w.classes == 10);
    CHECK(w.w_ih.size() == 512u * 28u);
    CHECK(w.w_hh.size() == 512u * 128u);
    CHECK(w.bias.size() == 512u);
    CHECK(w.fc_weight.size() == 10u * 128u);
    CHECK(w.dataset == "mnist");
    CHECK(w.sequence_layout == "row");
    CHECK(w.reference_count == 8);
    CHECK(w.reference_steps == 28);
    CHECK(w.reference_inputs.size() == 8u * 28u * 28u);
    CHECK(w.reference_logits.size() == 80u);
  }
}

TEST_CASE("LSTM weights: the Keras layout reads to the identical network") {
  for (const std::string cell : {"modified", "standard"}) {
    const LstmWeights p = models::read_lstm_weights(weights(cell));
    const LstmWeights k = models::read_lstm_weights(keras_weights(cell));
    CHECK(k.layout == WeightLayout::kKeras);
    CHECK(k.cell == p.cell);
    CHECK(k.input_size == p.input_size);
    CHECK(k.hidden_size == p.hidden_size);
    CHECK(k.classes == p.classes);
    // Exact equality: a transpose and a float32 bias sum done the same way on both sides.
    CHECK(k.w_ih == p.w_ih);
    CHECK(k.w_hh == p.w_hh);
    CHECK(k.bias == p.bias);
    CHECK(k.fc_weight == p.fc_weight);
    CHECK(k.fc_bias == p.fc_bias);
    CHECK(k.dataset == p.dataset);
    CHECK(k.sequence_layout == p.sequence_layout);
    CHECK(k.reference_inputs == p.reference_inputs);
    CHECK(k.reference_labels == p.reference_labels);
    CHECK(k.reference_logits == p.reference_logits);
  }
}

// Tolerance 1e-4 absolute on logits of magnitude ~10: PyTorch sums the gate pre-activations in
// another order (BLAS), so results differ by float32 rounding only; a wrong gate order, cell or
// bias moves logits by far more than that (checked below by breaking the cell on purpose).
TEST_CASE("LSTM forward pass reproduces PyTorch's stored logits (both cells, both layouts)") {
  for (const std::string& file :
       {weights("modified"), weights("standard"), keras_weights("modified")}) {
    CAPTURE(file);
    const LstmWeights w = models::read_lstm_weights(file);
    REQUIRE(w.reference_count > 0);
    const auto per_input =
        static_cast<std::size_t>(w.reference_steps) * static_cast<std::size_t>(w.input_size);
    double worst = 0;
    for (int n = 0; n < w.reference_count; ++n) {
      const auto logits = models::lstm_forward_reference(
          w, w.reference_inputs.data() + static_cast<std::size_t>(n) * per_input,
          w.reference_steps);
      REQUIRE(logits.size() == static_cast<std::size_t>(w.classes));
      for (int k = 0; k < w.classes; ++k)
        worst = std::max(worst,
                         std::abs(static_cast<double>(logits[static_cast<std::size_t>(k)]) -
                                  w.reference_logits[static_cast<std::size_t>(n * w.classes + k)]));
    }
    CHECK(worst < 1e-4);
    // The same weights run with the other cell disagree with PyTorch by far more: the check
    // above can fail.
    LstmWeights other = w;
    other.cell = w.cell == LstmCell::kModified ? LstmCell::kStandard : LstmCell::kModified;
    const auto wrong =
        models::lstm_forward_reference(other, w.reference_inputs.data(), w.reference_steps);
    double off = 0;
    for (int k = 0; k < w.classes; ++k)
      off = std::max(off, std::abs(static_cast<double>(wrong[static_cast<std::size_t>(k)]) -
                                   w.reference_logits[static_cast<std::size_t>(k)]));
    CHECK(off > 1e-2);
  }
}

TEST_CASE("LSTM weights: bad files are InputErrors naming the file and the object") {
  const LstmWeights w = models::read_lstm_weights(weights("modified"));
  CHECK(error_of("/nonexistent/w.h5").find("/nonexistent/w.h5") != std::string::npos);

  const auto ok = write_pytorch(w, "ok.h5", "modified");
  CHECK(models::read_lstm_weights(ok).w_hh == w.w_hh);

  // weight_hh not 4H x H.
  const auto bad_shape =
      write_pytorch(w, "bad_shape.h5", "modified",
                    {"lstm/weight_hh_l0", std::vector<float>(512 * 127), {512, 127}});
  auto e = error_of(bad_shape);
  CHECK(e.find("bad_shape.h5:/lstm/weight_hh_l0") != std::string::npos);
  CHECK(e.find("512 x 128") != std::string::npos);

  const auto missing = write_pytorch(w, "missing.h5", "modified", {"lstm/bias_hh_l0", {}, {}});
  e = error_of(missing);
  CHECK(e.find("missing.h5:/lstm/bias_hh_l0") != std::string::npos);
  CHECK(e.find("missing dataset") != std::string::npos);

  auto nan_bias = w.fc_bias;
  nan_bias[3] = std::numeric_limits<float>::quiet_NaN();
  e = error_of(write_pytorch(w, "nan.h5", "modified", {"fc/bias", nan_bias, {10}}));
  CHECK(e.find("nan.h5:/fc/bias") != std::string::npos);
  CHECK(e.find("not finite") != std::string::npos);

  e = error_of(write_pytorch(w, "cell.h5", "lstm2000"));
  CHECK(e.find("cell.h5:/@cell") != std::string::npos);
  CHECK(e.find("lstm2000") != std::string::npos);
  CHECK(error_of(write_pytorch(w, "nocell.h5", "")).find("nocell.h5:/@cell") != std::string::npos);

  // Neither layout.
  {
    auto root = h5::create_file((scratch_dir() / "empty.h5").string());
    root.create_group("weights");
  }
  CHECK(error_of((scratch_dir() / "empty.h5").string()).find("not an LSTM weight file") !=
        std::string::npos);
}

TEST_CASE("LSTM weights (Keras): activations come from model_config, unmappable ones are errors") {
  const std::string config =
      R"({"class_name": "Sequential", "config": {"name": "s", "layers": [)"
      R"({"class_name": "LSTM", "config": {"name": "lstm", "units": 128, "activation": "ACT",)"
      R"( "recurrent_activation": "REC", "use_bias": true, "return_sequences": false}},)"
      R"({"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "linear"}}]}})";
  auto with = [&](std::string act, std::string rec) {
    std::string s = config;
    s.replace(s.find("ACT"), 3, act);
    s.replace(s.find("REC"), 3, rec);
    return s;
  };
  {
    auto g = writable_copy(keras_weights("standard"), "hard_sigmoid.h5");
    g.set_attribute("model_config", with("tanh", "hard_sigmoid"));
  }
  auto e = error_of((scratch_dir() / "hard_sigmoid.h5").string());
  CHECK(e.find("hard_sigmoid.h5:/@model_config") != std::string::npos);
  CHECK(e.find("'hard_sigmoid'") != std::string::npos);
  {
    // phi1/phi2 without the cell marker: the clamped cell cannot be assumed.
    auto g = writable_copy(keras_weights("standard"), "no_marker.h5");
    g.set_attribute("model_config", with("phi2", "phi1"));
  }
  CHECK(error_of((scratch_dir() / "no_marker.h5").string()).find("cell = \"modified\"") !=
        std::string::npos);
  {
    // The marker with sigmoid/tanh contradicts itself.
    auto g = writable_copy(keras_weights("standard"), "marker_tanh.h5");
    g.set_attribute("cell", std::string("modified"));
  }
  CHECK(error_of((scratch_dir() / "marker_tanh.h5").string()).find("expected \"phi2\"") !=
        std::string::npos);
  {
    auto g = writable_copy(keras_weights("standard"), "bad_json.h5");
    g.set_attribute("model_config", std::string("{not json"));
  }
  CHECK(error_of((scratch_dir() / "bad_json.h5").string()).find("not valid JSON") !=
        std::string::npos);
  {
    auto g = writable_copy(keras_weights("modified"), "seq.h5");
    std::string s = with("phi2", "phi1");
    s.replace(s.find("\"return_sequences\": false"), 25, "\"return_sequences\": true");
    g.set_attribute("model_config", s);
  }
  CHECK(error_of((scratch_dir() / "seq.h5").string()).find("return_sequences") !=
        std::string::npos);
}
