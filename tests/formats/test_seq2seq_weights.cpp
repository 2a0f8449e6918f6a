// The encoder-decoder weight file of issue 19 (formats/seq2seq_weights.hpp, layout in
// models/weights/README.md): a hand-built file read back, the committed model, and refusals.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "formats/seq2seq_weights.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;
using loihisim::testing::TempDir;

namespace {

using Dims = std::vector<std::uint64_t>;

std::vector<float> filled(std::size_t n, float v) {
  return std::vector<float>(n, v);
}

struct Faults {
  std::string skip;   // a dataset (group/name) left out
  std::string wide;   // a dataset written with one column too many
  int announced = 0;  // attribute layers, when not the layers written
  std::string model = "seq2seq";
  std::string cell = "standard";
};

Faults fault(std::string Faults::*field, std::string value) {
  Faults f;
  f.*field = std::move(value);
  return f;
}

Faults announcing(int layers) {
  Faults f;
  f.announced = layers;
  return f;
}

// A file of `layers` layers of H = 3 units, every weight 0.5, bias_ih 0.25, bias_hh 0.125,
// valid unless `f` says otherwise.
void write_file(const std::string& path, int layers, const Faults& f = {}) {
  const std::uint64_t H = 3, R = 4 * H;
  h5::Group root = h5::create_file(path);
  root.set_attribute("model", f.model);
  root.set_attribute("cell", f.cell);
  root.set_attribute("layers", static_cast<std::int64_t>(f.announced ? f.announced : layers));
  root.set_attribute("hidden", static_cast<std::int64_t>(H));
  for (const std::string part : {"encoder", "decoder"}) {
    h5::Group g = root.create_group(part);
    for (int k = 0; k < layers; ++k) {
      const std::string l = "_l" + std::to_string(k);
      const std::uint64_t in = k > 0 ? H : (part == "encoder" ? 10 : 11);
      auto put = [&](const std::string& name, Dims dims, float v) {
        if (part + "/" + name == f.skip) return;
        if (part + "/" + name == f.wide) dims.back() += 1;
        std::uint64_t n = 1;
        for (auto d : dims) n *= d;
        g.write(name, filled(n, v), dims);
      };
      put("weight_ih" + l, {R, in}, 0.5f);
      put("weight_hh" + l, {R, H}, 0.5f);
      put("bias_ih" + l, {R}, 0.25f);
      put("bias_hh" + l, {R}, 0.125f);
    }
  }
  h5::Group fc = root.create_group("fc");
  fc.write("weight", filled(11 * H, 0.5f), {11, H});
  fc.write("bias", filled(11, 0.f), {11});
}

std::string error_of(const std::string& path) {
  try {
    read_seq2seq_weights(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("seq2seq weights: a two-layer file reads back with the biases summed") {
  TempDir dir("seq2seq");
  const std::string path = (dir.path / "w.h5").string();
  write_file(path, 2);
  const auto w = read_seq2seq_weights(path);
  CHECK(w.layers == 2);
  CHECK(w.hidden == 3);
  REQUIRE(w.encoder.size() == 2);
  REQUIRE(w.decoder.size() == 2);
  CHECK(w.encoder[0].input_size == 10);
  CHECK(w.decoder[0].input_size == 11);
  CHECK(w.encoder[1].input_size == 3);
  CHECK(w.encoder[0].w_ih.size() == 12 * 10);
  CHECK(w.decoder[1].w_hh.size() == 12 * 3);
  CHECK(w.decoder[1].bias == std::vector<float>(12, 0.375f));
  CHECK(w.fc_weight.size() == 11 * 3);
  CHECK(w.reference_count == 0);
  CHECK_FALSE(w.modified);
  write_file(path, 1, fault(&Faults::cell, "modified"));
  CHECK(read_seq2seq_weights(path).modified);
}

TEST_CASE("seq2seq weights: the committed sort-digits model") {
  const auto w = read_seq2seq_weights(std::string(LOIHISIM_SOURCE_DIR) +
                                      "/models/weights/seq2seq_sort_digits.h5");
  CHECK(w.layers == 2);
  CHECK(w.hidden == 128);
  CHECK(w.encoder[1].w_ih.size() == 512 * 128);
  CHECK(w.reference_count == 8);
  CHECK(w.reference_width == 12);
  CHECK(w.reference_steps == 13);
}

TEST_CASE("seq2seq weights: malformed files are refused naming the object") {
  TempDir dir("seq2seq_bad");
  const std::string path = (dir.path / "w.h5").string();
  write_file(path, 2, fault(&Faults::skip, "decoder/bias_hh_l1"));
  CHECK(error_of(path).find("decoder/bias_hh_l1") != std::string::npos);
  write_file(path, 2, fault(&Faults::wide, "encoder/weight_hh_l1"));
  const std::string shape = error_of(path);
  CHECK(shape.find("encoder/weight_hh_l1") != std::string::npos);
  CHECK(shape.find("[12 x 4]") != std::string::npos);
  CHECK(shape.find("expected [12 x 3]") != std::string::npos);
  write_file(path, 2,
             fault(&Faults::wide, "decoder/weight_ih_l0"));  // 12 x 12 against the 11 inputs
  CHECK(error_of(path).find("expected [12 x 11]") != std::string::npos);
  write_file(path, 2, announcing(1));  // a second layer the attribute does not announce
  CHECK(error_of(path).find("weight_ih_l1: exists, but attribute 'layers' says 1") !=
        std::string::npos);
  write_file(path, 1, announcing(2));  // an announced layer that is missing
  CHECK(error_of(path).find("encoder/weight_ih_l1") != std::string::npos);
  write_file(path, 1, fault(&Faults::model, "lstm"));
  CHECK(error_of(path).find("not \"seq2seq\"") != std::string::npos);
  write_file(path, 1, fault(&Faults::cell, "spiking"));
  CHECK(error_of(path).find("@cell: is \"spiking\"") != std::string::npos);
  write_file(path, 1, announcing(17));
  CHECK(error_of(path).find("is 17, expected 1..16") != std::string::npos);
  CHECK(error_of((dir.path / "missing.h5").string()).find("missing.h5") != std::string::npos);
}
