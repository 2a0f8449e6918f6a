// The hybrid-spiking LMU (models/hybrid_lmu.hpp, docs/hybrid-lmu.md): the converter's integers
// against the training script's integer model (/chip_reference of the shipped files, written by
// tools/lmu_chip.py), the network run on the simulated loihi2 chip against that model's logits,
// the permuted dataset, the refusals, and `loihisim convert --method hybrid-lmu`.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/hybrid_lmu.hpp"
#include "models/model_file.hpp"
#include "runtime/host_program.hpp"
#include "runtime/inference.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/same_network.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;

std::string weights(const char* name) {
  return (kSource / "models/weights" / name).string();
}

std::vector<std::int64_t> as_int64(const std::vector<std::int16_t>& v) {
  return {v.begin(), v.end()};
}

// Every integer of "Chip semantics" equals the Python model's.
void check_integers(const std::string& file) {
  const models::LmuWeights w = models::read_lmu_weights(file);
  REQUIRE(w.reference_scales.has_value());
  const models::LmuChip c = models::lmu_chip(w, w.reference_omega, *w.reference_scales);
  const h5::Group ref = h5::open_file(file).open_group("chip_reference");
  CHECK(c.a_int == ref.read<std::int64_t>("A_int"));
  CHECK(c.bx_int == ref.read<std::int64_t>("Bx_int"));
  CHECK(as_int64(c.w_x.mant) == ref.read<std::int64_t>("wx8"));
  CHECK(as_int64(c.w_m.mant) == ref.read<std::int64_t>("wm8"));
  CHECK(as_int64(c.w_h.mant) == ref.read<std::int64_t>("wh8"));
  CHECK(c.w_x.exp == ref.int_attribute("exp_W_x"));
  CHECK(c.w_m.exp == ref.int_attribute("exp_W_m"));
  CHECK(c.w_h.exp == ref.int_attribute("exp_W_h"));
  const auto mant = ref.read<std::int64_t>("bias_mant");
  const auto exp = ref.read<std::int64_t>("bias_exp");
  REQUIRE(mant.size() == c.bias_mant.size());
  for (std::size_t j = 0; j < mant.size(); ++j) {
    CAPTURE(j);
    CHECK(c.bias_mant[j] == mant[j]);
    CHECK(c.bias_exp[j] == exp[j]);
  }
  CHECK(c.input_max == ref.int_attribute("s_max"));
}

// The first `n` reference sequences (as the network sees them: permuted) run on loihi2; the
// logits must be the integer model's (host float32 against float64).
void check_run(const std::string& file, std::size_t n) {
  const models::LmuWeights w = models::read_lmu_weights(file);
  const models::LmuChip c = models::lmu_chip(w, w.reference_omega, *w.reference_scales);
  const auto arch = load_architecture("loihi2");
  const auto image = mapper::map_network(models::convert_hybrid_lmu(w, c).network, arch).image;
  const h5::Group root = h5::open_file(file);
  std::vector<std::uint64_t> dims;
  const auto inputs = root.open_group("reference").read<float>("inputs", &dims);
  REQUIRE(dims.size() == 3);
  SequenceDataset data;
  data.name = file + ":reference";
  data.num_symbols = static_cast<int>(dims[1]);
  data.symbol_size = static_cast<int>(dims[2]);
  data.num_classes = 10;
  const std::size_t per = dims[1] * dims[2];
  data.values.assign(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(n * per));
  const auto labels = root.open_group("reference").read<std::int32_t>("labels");
  data.labels.assign(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(n));
  const auto logits = root.open_group("chip_reference").read<double>("logits");
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  o.threads = 2;
  const InferenceRun r = run_inferences(image, arch, data, o);
  REQUIRE(r.completed == n);
  for (std::size_t s = 0; s < n; ++s) {
    CAPTURE(s);
    for (std::size_t k = 0; k < 10; ++k)
      CHECK(r.samples[s].output[k] == doctest::Approx(logits[s * 10 + k]).epsilon(1e-5));
  }
  // Graded spikes: the hidden layer's payloads reach the readout (not only spike counts).
  CHECK(r.samples[0].population_spikes[0] > 0);
}

}  // namespace

TEST_CASE("hybrid LMU: the converter's integers are the training script's, bit for bit") {
  SUBCASE("psMNIST, crelu, omega 8") {
    check_integers(weights("lmu_psmnist_hybrid_w8.h5"));
  }
  SUBCASE("row-wise, relu, omega 1..4") {
    for (const char* f : {"lmu_row_hybrid_w1.h5", "lmu_row_hybrid_w2.h5", "lmu_row_hybrid_w3.h5",
                          "lmu_row_hybrid_w4.h5"}) {
      CAPTURE(f);
      check_integers(weights(f));
    }
  }
}

TEST_CASE("hybrid LMU: loihi2 runs give the integer model's logits") {
  SUBCASE("row-wise, relu (unbounded payloads)") {
    check_run(weights("lmu_row_hybrid_w3.h5"), 8);
    check_run(weights("lmu_row_hybrid_w1.h5"), 8);
  }
  SUBCASE("psMNIST, 784 steps, d = 256") {
    check_run(weights("lmu_psmnist_hybrid_w8.h5"), 2);
  }
}

TEST_CASE("hybrid LMU: the psMNIST permutation is the training script's") {
  const auto perm =
      h5::open_file(weights("lmu_psmnist_hybrid_w8.h5")).read<std::int32_t>("permutation");
  CHECK(pixel_permutation(784, 1) == perm);
  SequenceDataset d;
  d.name = "d";
  d.num_symbols = 3;
  d.symbol_size = 2;
  d.values = {0, 1, 2, 3, 4, 5};
  d.labels = {0};
  permute_symbols(d, {2, 0, 1}, 7);
  CHECK(d.values == std::vector<float>{4, 5, 0, 1, 2, 3});
  CHECK(d.name == "d/perm7");
  CHECK_THROWS_AS(permute_symbols(d, {0, 0, 1}, 7), InputError);
}

TEST_CASE("hybrid LMU: refusals name the file and the limit") {
  const std::string w8 = weights("lmu_psmnist_hybrid_w8.h5");
  const models::LmuWeights w = models::read_lmu_weights(w8);
  models::LmuScales s = *w.reference_scales;
  // omega 2^K must be an integer (the neuron's input clip).
  CHECK_THROWS_WITH_AS(models::lmu_chip(w, 8.3, s), doctest::Contains("must be an integer"),
                       InputError);
  CHECK_THROWS_WITH_AS(models::lmu_chip(w, 0.0, s), doctest::Contains("omega"), InputError);
  s.quantum_bits = 24;
  CHECK_THROWS_WITH_AS(models::lmu_chip(w, 8.0, s), doctest::Contains("1..23"), InputError);
  // A huge quantum overflows the bias or the 8-bit weights: refused, never clipped.
  s.quantum_bits = 23;
  CHECK_THROWS_WITH_AS(models::lmu_chip(w, 8.0, s), doctest::Contains(w8.c_str()), InputError);
  // Not an LMU file.
  CHECK_THROWS_WITH_AS(models::read_lmu_weights(weights("mnist_row_modified.h5")),
                       doctest::Contains("lmu"), InputError);
}

TEST_CASE("hybrid LMU: loihisim convert --method hybrid-lmu") {
  TempDir tmp("lmu_convert");
  const std::string w8 = loihisim::testing::shell_quote(weights("lmu_psmnist_hybrid_w8.h5"));
  const fs::path model = tmp.path / "lmu.model.yaml";
  std::string out;
  CHECK(run_cli("convert " + w8 + " --method hybrid-lmu --arch loihi2 --out " +
                    loihisim::testing::shell_quote(model.string()),
                &out) == 0);
  CHECK(out.find("fits loihi2") != std::string::npos);
  const ModelSpec m = read_model(model);
  CHECK(m.dataset.layout == SequenceLayout::kPixel);
  CHECK(m.dataset.permutation_seed == 1);
  CHECK(m.steps_per_symbol == 1);
  // loihi1 has no graded spikes: refused with the reason, nothing written.
  const fs::path other = tmp.path / "l1.model.yaml";
  CHECK(run_cli("convert " + w8 + " --method hybrid-lmu --arch loihi1 --out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 2);
  CHECK(out.find("graded") != std::string::npos);
  CHECK(!fs::exists(other));
  // Another omega needs scales: without them, refused.
  CHECK(run_cli("convert " + w8 + " --method hybrid-lmu --arch loihi2 --omega 4 --out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 2);
  CHECK(out.find("--quantum-bits") != std::string::npos);
  CHECK(!fs::exists(other));
}

TEST_CASE("hybrid LMU: the shipped example is what the converter makes of the weights") {
  // examples/hybrid-lmu/ was written by `loihisim convert models/weights/lmu_psmnist_hybrid_w8.h5
  // --method hybrid-lmu --arch loihi2 --out examples/hybrid-lmu/psmnist_w8.model.yaml`; a
  // converter change that alters the network must regenerate it.
  const ModelSpec spec = read_model(kSource / "examples/hybrid-lmu/psmnist_w8.model.yaml");
  CHECK(spec.steps_per_symbol == 1);
  CHECK(spec.reset == ResetPolicy::kSample);
  CHECK(spec.dataset.permutation_seed == 1);
  const models::LmuWeights w = models::read_lmu_weights(weights("lmu_psmnist_hybrid_w8.h5"));
  const mapper::Network fresh =
      models::convert_hybrid_lmu(w, models::lmu_chip(w, w.omega, *w.reference_scales)).network;
  loihisim::testing::check_same_network(mapper::read_network(spec.network), fresh);
}

TEST_CASE("integer_lti host node: bad arrays and states are refused naming the node") {
  const models::LmuWeights w = models::read_lmu_weights(weights("lmu_row_hybrid_w3.h5"));
  const models::LmuChip chip = models::lmu_chip(w, w.omega, *w.reference_scales);
  const auto arch = load_architecture("loihi2");
  const auto image_with = [&](const std::function<void(mapper::HostNode&)>& edit) {
    mapper::Network net = models::convert_hybrid_lmu(w, chip).network;
    mapper::Network edited;
    edited.name = net.name;
    for (auto v : net.populations()) edited.add_population(net.population(v));
    for (auto v : net.input_ports()) edited.add_input_port(net.input_port(v));
    for (auto e : net.projections()) edited.add_projection(net.projection(e));
    for (const auto& p : net.output_ports()) edited.add_output_port(p);
    for (auto h : net.host_nodes()) {
      if (h.name == "memory_update") edit(h);
      edited.add_host_node(h);
    }
    return mapper::map_network(edited, arch).image;
  };
  const auto refused = [&](const std::function<void(mapper::HostNode&)>& edit, const char* says) {
    CHECK_THROWS_WITH_AS(HostProgram(image_with(edit), 28, HostNumberFormat{}),
                         doctest::Contains(says), InputError);
  };
  refused([](mapper::HostNode& h) { h.arrays["A"].values[0] = 0.5; }, "not an integer");
  refused([](mapper::HostNode& h) { h.arrays["B"].shape = {8, 3}; }, "memory_update");
  refused([](mapper::HostNode& h) { h.arrays.erase("B"); }, "'B'");
  refused([](mapper::HostNode& h) { h.params["shift"] = "63"; }, "shift");
  refused([](mapper::HostNode& h) { h.params["input_scale"] = "-1"; }, "input_scale");
  refused([](mapper::HostNode& h) { h.outputs[1] = "elsewhere"; }, "state");
  refused([](mapper::HostNode& h) { h.params["when"] = "sequence_end"; }, "every symbol");
  // A state that grows past 2^53 stops the run with the node's name (never wraps).
  SequenceDataset data;
  data.name = "ramp";
  data.num_symbols = 40;
  data.symbol_size = 28;
  data.num_classes = 10;
  data.values.assign(40 * 28, 1.0f);
  data.labels = {0};
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  const auto exploding = [&](const char* out_shift) {
    return image_with([out_shift](mapper::HostNode& h) {
      for (auto& v : h.arrays["A"].values) v = v == 0 ? 0 : 1e11;  // gain far above 1 per step
      h.params["shift"] = "0";
      h.params["out_shift"] = out_shift;
    });
  };
  // The payloads leave the 24-bit graded range first...
  CHECK_THROWS_WITH_AS(run_inferences(exploding("0"), arch, data, o),
                       doctest::Contains("24-bit signed payload"), InputError);
  // ...or, with payloads shifted down to 0, the state leaves the exact range.
  CHECK_THROWS_WITH_AS(run_inferences(exploding("62"), arch, data, o), doctest::Contains("2^53"),
                       InputError);
}
