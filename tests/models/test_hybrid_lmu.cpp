// The hybrid-spiking LMU (models/hybrid_lmu.hpp, docs/hybrid-lmu.md): the converter's integers
// against the training script's integer model (/chip_reference of the shipped files, written by
// tools/lmu_chip.py), the network run on the simulated loihi2 chip against that model's logits,
// the permuted dataset, the refusals, and `loihisim convert --method hybrid-lmu`.
#include <doctest/doctest.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
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

// What the converter's model file asks for: one chip step per input step, state carried through
// the sample, inputs in their step, the readout's logits.
InferenceOptions lmu_options() {
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  o.threads = 2;
  return o;
}

// The first `n` reference sequences of a weight file (as the network sees them: permuted).
SequenceDataset reference_data(const std::string& file, std::size_t n) {
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
  return data;
}

// The first `n` reference sequences (as the network sees them: permuted) run on loihi2; the
// logits must be the integer model's (host float32 against float64).
void check_run(const std::string& file, std::size_t n) {
  const models::LmuWeights w = models::read_lmu_weights(file);
  const models::LmuChip c = models::lmu_chip(w, w.reference_omega, *w.reference_scales);
  const auto arch = load_architecture("loihi2");
  const auto image = mapper::map_network(models::convert_hybrid_lmu(w, c).network, arch).image;
  const SequenceDataset data = reference_data(file, n);
  const h5::Group root = h5::open_file(file);
  const auto logits = root.open_group("chip_reference").read<double>("logits");
  const InferenceOptions o = lmu_options();
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
  // loihi1 has binary spikes only: omega 8 (payloads up to 8 per step) is refused with the
  // reason, nothing written; at omega 1 the three-compartment construction is built.
  const fs::path other = tmp.path / "l1.model.yaml";
  CHECK(run_cli("convert " + w8 + " --method hybrid-lmu --arch loihi1 --out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 2);
  CHECK(out.find("power of two") != std::string::npos);
  CHECK(!fs::exists(other));
  CHECK(run_cli("convert " + w8 +
                    " --method hybrid-lmu --arch loihi2 --neuron native --omega 1 "
                    "--out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 2);  // native at another omega needs scales (below)
  CHECK(run_cli("convert " + w8 + " --method hybrid-lmu --arch loihi1 --omega 1 --out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 0);
  CHECK(out.find("three compartments") != std::string::npos);
  CHECK(out.find("fits loihi1") != std::string::npos);
  CHECK(mapper::read_network(tmp.path / "l1.network.yaml").populations().size() == 3);
  fs::remove(other);
  CHECK(run_cli("convert " + w8 +
                    " --method hybrid-lmu --arch loihi1 --neuron native --omega 1 "
                    "--out " +
                    loihisim::testing::shell_quote(other.string()),
                &out) == 2);
  CHECK(out.find("three-compartment") != std::string::npos);
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

namespace {

// A small crelu LMU with random weights (omega 1): what the Loihi 1 construction is built from.
models::LmuWeights random_lmu(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  models::LmuWeights w;
  w.file = "random_lmu.h5";
  w.d = 4;
  w.inputs = 3;
  w.hidden = 6;
  w.classes = 2;
  w.activation = models::LmuWeights::Activation::kCrelu;
  w.omega = 1;
  w.e_x.assign(3, 1.0);
  w.a_bar.assign(16, 0.0);
  for (int k = 0; k < 4; ++k) w.a_bar[static_cast<std::size_t>(5 * k)] = 0.9;
  w.b_bar.assign(4, 0.1);
  const auto fill = [&](std::size_t n, double scale) {
    std::vector<double> v(n);
    for (auto& x : v) x = scale * u(rng);
    return v;
  };
  w.w_x = fill(18, 0.6);
  w.w_m = fill(24, 0.4);
  w.w_h = fill(36, 0.5);
  w.bias = fill(6, 0.3);
  w.w_o = fill(12, 1.0);
  w.b_o = fill(2, 0.1);
  return w;
}

std::int64_t wrap_bits(std::int64_t x, int bits) {  // two's complement, `bits` + sign
  const std::int64_t m = std::int64_t{1} << (bits + 1);
  x = ((x + m / 2) % m + m) % m;
  return x - m / 2;
}

std::int64_t effective(int w8, int exp) {  // floor(w8 2^(6 + exp))
  const int s = 6 + exp;
  return s >= 0 ? std::int64_t{w8} * (std::int64_t{1} << s)
                : (std::int64_t{w8} >= 0 ? w8 >> -s : -((-w8 + (1 << -s) - 1) >> -s));
}

// The sigma-delta neuron of docs/hybrid-lmu.md in plain integers; with `loihi1`, the Loihi 1
// construction's two departures: the rectifier's carry trunc(s_(t-1) / 4096) inside the clip,
// and the residual starting at 2^(K-1) - 1.
struct PlainSigmaDelta {
  int K = 0;
  bool loihi1 = false;
  std::int64_t clip = 0;
  std::vector<std::int64_t> v, s;
  PlainSigmaDelta(int k, std::int64_t input_max, bool l1, int n)
      : K(k),
        loihi1(l1),
        clip(input_max),
        v(static_cast<std::size_t>(n)),
        s(static_cast<std::size_t>(n), 0) {
    for (auto& x : v) x = (std::int64_t{1} << (K - 1)) - (loihi1 ? 1 : 0);
  }
  bool step(std::size_t i, std::int64_t z) {
    const std::int64_t carry = loihi1 ? s[i] / 4096 : 0;
    s[i] = std::clamp<std::int64_t>(carry + z, 0, clip);
    v[i] += s[i];
    const bool fire = v[i] >= (std::int64_t{1} << K);
    if (fire) v[i] -= std::int64_t{1} << K;
    return fire;
  }
};

}  // namespace

TEST_CASE(
    "hybrid LMU: the Loihi 1 three-compartment neurons and bit planes against the plain neuron, "
    "step by step") {
  const models::LmuWeights w = random_lmu(7);
  models::LmuScales scales;
  scales.memory_bits = 24;
  const models::LmuChip c = models::lmu_chip_binary(w, 1.0, scales, {4096, 8});
  REQUIRE(c.planes.has_value());
  CHECK(c.input_max == (1 << 17) - 1);
  CHECK(c.scales.quantum_bits == 17);
  CHECK(c.w_x.exp == c.planes->base_exp);
  CHECK(c.w_m.exp == c.planes->base_exp);
  CHECK(c.planes->base_exp >= -6);
  const auto loihi1 = load_architecture("loihi1");
  const auto loihi2 = load_architecture("loihi2");
  const auto img1 = mapper::map_network(
      models::convert_hybrid_lmu(w, c, models::LmuNeuron::kThreeCompartment).network, loihi1);
  const auto img2 = mapper::map_network(models::convert_hybrid_lmu(w, c).network, loihi2);
  // Native neurons send graded spikes, which Loihi 1 does not have.
  CHECK_THROWS_AS(mapper::map_network(models::convert_hybrid_lmu(w, c).network, loihi1),
                  InputError);
  core::Chip chip1(mapper::chip_config(img1.image)), chip2(mapper::chip_config(img2.image));
  const auto port = [](const mapper::MappedImage& img, const std::string& name) {
    for (const auto& p : img.input_ports)
      if (p.name == name) return &p;
    FAIL("no port " << name);
    return static_cast<const mapper::InputPortSites*>(nullptr);
  };
  const auto inject = [&](core::Chip& chip, const mapper::MappedImage& img, const std::string& name,
                          int j, int payload) {
    const auto* p = port(img, name);
    for (auto k = p->offsets[static_cast<std::size_t>(j)];
         k < p->offsets[static_cast<std::size_t>(j) + 1]; ++k)
      chip.inject_same_step(p->axons[static_cast<std::size_t>(k)].core,
                            {p->axons[static_cast<std::size_t>(k)].axon, payload});
  };
  const auto planes = [&](const std::string& base, int j, int value) {
    const int mag = value < 0 ? -value : value;
    for (int b = 0; (mag >> b) != 0; ++b)
      if ((mag >> b) & 1)
        inject(chip1, img1.image, fmt::format("{}{}_b{}", base, value < 0 ? "_neg" : "", b), j, 1);
  };
  const auto soma = [](const mapper::MappedImage& img) {
    for (const auto& o : img.output_ports)
      if (o.name == "payloads") return o.neurons;
    FAIL("no payloads port");
    return std::vector<mapper::CompartmentSite>{};
  };
  const auto s1 = soma(img1.image), s2 = soma(img2.image);
  const auto fired = [](const core::Chip& chip, mapper::CompartmentSite s) {
    const auto f = chip.core(s.core).fired();
    return std::binary_search(f.begin(), f.end(), s.compartment);
  };
  PlainSigmaDelta native(17, c.input_max, false, w.hidden),
      construction(17, c.input_max, true, w.hidden);
  std::vector<int> n_native(static_cast<std::size_t>(w.hidden), 0), n_l1 = n_native;
  std::mt19937 rng(3);
  const int max_x = static_cast<int>(c.scales.input_scale), max_m = (1 << c.planes->memory) - 1;
  std::int64_t spikes = 0, differ = 0, carried = 0;
  for (int t = 0; t < 600; ++t) {
    std::vector<int> x(3), m(4);
    for (auto& v : x) v = static_cast<int>(rng() % static_cast<unsigned>(max_x + 1));
    for (auto& v : m) v = static_cast<int>(rng() % static_cast<unsigned>(2 * max_m + 1)) - max_m;
    for (int j = 0; j < 3; ++j) {
      if (x[static_cast<std::size_t>(j)] != 0) inject(chip2, img2.image, "input", j, x[j]);
      planes("input", j, x[static_cast<std::size_t>(j)]);
    }
    for (int j = 0; j < 4; ++j) {
      if (m[static_cast<std::size_t>(j)] != 0) inject(chip2, img2.image, "memory", j, m[j]);
      planes("memory", j, m[static_cast<std::size_t>(j)]);
    }
    chip1.step();
    chip2.step();
    for (int i = 0; i < w.hidden; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      const auto z = [&](const std::vector<int>& n_prev) {
        std::int64_t q = 0;
        for (int j = 0; j < 3; ++j)
          q += effective(c.w_x.mant[ui * 3 + static_cast<std::size_t>(j)], c.w_x.exp) *
               x[static_cast<std::size_t>(j)];
        for (int j = 0; j < 4; ++j)
          q += effective(c.w_m.mant[ui * 4 + static_cast<std::size_t>(j)], c.w_m.exp) *
               m[static_cast<std::size_t>(j)];
        for (int k = 0; k < w.hidden; ++k)
          q += effective(c.w_h.mant[ui * 6 + static_cast<std::size_t>(k)], c.w_h.exp) *
               n_prev[static_cast<std::size_t>(k)];
        const std::int64_t bias = std::int64_t{c.bias_mant[ui]} << c.bias_exp[ui];
        return wrap_bits(wrap_bits(q, 21) + bias, 23);
      };
      carried += construction.s[ui] >= 4096 ? 1 : 0;
      const bool want2 = native.step(ui, z(n_native));
      const bool want1 = construction.step(ui, z(n_l1));
      CAPTURE(t);
      CAPTURE(i);
      REQUIRE(fired(chip2, s2[ui]) == want2);
      REQUIRE(fired(chip1, s1[ui]) == want1);
      spikes += want1 ? 1 : 0;
      differ += want1 != want2 ? 1 : 0;
    }
    for (int i = 0; i < w.hidden; ++i) {
      n_native[static_cast<std::size_t>(i)] = fired(chip2, s2[static_cast<std::size_t>(i)]);
      n_l1[static_cast<std::size_t>(i)] = fired(chip1, s1[static_cast<std::size_t>(i)]);
    }
  }
  MESSAGE("spikes " << spikes << ", steps with a carry " << carried
                    << ", steps where the two neurons differ " << differ);
  CHECK(spikes > 600);   // not vacuous: the neurons fire often
  CHECK(carried > 600);  // and the carry is exercised
}

TEST_CASE("hybrid LMU: the Loihi 1 construction refuses what binary spikes cannot carry") {
  models::LmuWeights w = random_lmu(1);
  models::LmuScales scales;
  scales.memory_bits = 24;
  CHECK_THROWS_WITH_AS(models::lmu_chip_binary(w, 8.0, scales, {4096, 8}),
                       doctest::Contains("power of two"), InputError);
  CHECK_THROWS_WITH_AS(models::lmu_chip_binary(w, 0.75, scales, {4096, 8}),
                       doctest::Contains("power of two"), InputError);
  CHECK_THROWS_WITH_AS(models::lmu_chip_binary(w, 1.0, scales, {12, 8}),
                       doctest::Contains("input axons"), InputError);
  w.activation = models::LmuWeights::Activation::kRelu;
  CHECK_THROWS_WITH_AS(models::lmu_chip_binary(w, 1.0, scales, {4096, 8}),
                       doctest::Contains("crelu"), InputError);
}

TEST_CASE(
    "hybrid LMU: loihi1 (three compartments, bit planes) against loihi2 (native, graded) "
    "with the same integers on psMNIST") {
  const std::string file = weights("lmu_psmnist_hybrid_w8.h5");
  const models::LmuWeights w = models::read_lmu_weights(file);
  models::LmuScales scales = *w.reference_scales;
  scales.memory_bits = scales.state_bits;
  const auto loihi1 = load_architecture("loihi1");
  const models::LmuChip c = models::lmu_chip_binary(
      w, 1.0, scales, {loihi1.core.max_input_axons, loihi1.core.max_synapse_formats});
  const auto loihi2 = load_architecture("loihi2");
  const auto img1 =
      mapper::map_network(
          models::convert_hybrid_lmu(w, c, models::LmuNeuron::kThreeCompartment).network, loihi1)
          .image;
  const auto img2 = mapper::map_network(models::convert_hybrid_lmu(w, c).network, loihi2).image;
  const std::size_t n = 3;
  const SequenceDataset data = reference_data(file, n);
  const InferenceOptions o = lmu_options();
  const InferenceRun r1 = run_inferences(img1, loihi1, data, o);
  const InferenceRun r2 = run_inferences(img2, loihi2, data, o);
  REQUIRE(r1.completed == n);
  for (std::size_t s = 0; s < n; ++s) {
    CAPTURE(s);
    CHECK(r1.samples[s].prediction == r2.samples[s].prediction);
    // The rectifier's carry moves a few spikes; the hidden layer's activity stays the same.
    const auto a = static_cast<double>(r1.samples[s].population_spikes[0]);
    const auto b = static_cast<double>(r2.samples[s].population_spikes[0]);
    CHECK(a == doctest::Approx(b).epsilon(0.02));
    CHECK(a > 10000);
    // Every memory and input payload crosses as one binary spike per set bit.
    CHECK(r1.samples[s].input_spikes > r2.samples[s].input_spikes);
  }
}
