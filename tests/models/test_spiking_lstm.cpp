// The all-spiking LSTM (models/spiking_lstm.hpp, docs/spiking-lstm.md): the shipped integer model
// run on the simulated chip against the training script's independent numpy reference
// (snn/reference of the file: every population's spikes over the sequence, and the logits), on
// loihi1 and loihi2; the file checks; `loihisim convert --method spiking-lstm`.
#include <doctest/doctest.h>

#include <cmath>
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
#include "models/model_file.hpp"
#include "models/spiking_lstm.hpp"
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

struct Reference {
  SequenceDataset data;
  std::vector<std::int64_t> population_spikes;  // [n, 8]
  std::vector<double> logits;                   // [n, classes]
  std::vector<std::int64_t> prediction;
};

// snn/reference: pixel bytes -> the dataset's values (byte / 255 in float32, as the loader).
Reference read_reference(const std::string& file) {
  const h5::Group ref = h5::open_file(file).open_group("snn").open_group("reference");
  Reference r;
  std::vector<std::uint64_t> dims;
  const auto bytes = ref.read<std::int32_t>("inputs", &dims);
  REQUIRE(dims.size() == 3);
  r.data.name = file + ":snn/reference";
  r.data.num_symbols = static_cast<int>(dims[1]);
  r.data.symbol_size = static_cast<int>(dims[2]);
  r.data.num_classes = 10;
  for (auto b : bytes) r.data.values.push_back(static_cast<float>(b) / 255.0f);
  for (auto l : ref.read<std::int64_t>("labels"))
    r.data.labels.push_back(static_cast<std::int32_t>(l));
  r.population_spikes = ref.read<std::int64_t>("population_spikes");
  r.logits = ref.read<double>("logits");
  r.prediction = ref.read<std::int64_t>("prediction");
  return r;
}

InferenceRun run_reference(const std::string& file, const std::string& arch_name,
                           const Reference& ref, mapper::MappedImage* image_out = nullptr) {
  const auto arch = load_architecture(arch_name);
  const models::SpikingLstmChip w = models::read_spiking_lstm(file);
  const auto image =
      mapper::map_network(models::convert_spiking_lstm(w, 255.0, 0.0).network, arch).image;
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  o.threads = 2;
  InferenceRun r = run_inferences(image, arch, ref.data, o);
  if (image_out) *image_out = image;
  return r;
}

// The file's population order: S_A, S_F, S_Bbar, S_Obar, N, W, C, H (spiking_lstm.POPULATIONS).
const char* const kReferencePopulations[] = {"S_A", "S_F", "S_Bbar", "S_Obar", "N", "W", "C", "H"};

void check_against_reference(const std::string& file, const std::string& arch_name) {
  const Reference ref = read_reference(file);
  mapper::MappedImage image;
  const InferenceRun r = run_reference(file, arch_name, ref, &image);
  const std::size_t n = ref.data.size();
  REQUIRE(r.completed == n);
  for (std::size_t s = 0; s < n; ++s) {
    CAPTURE(s);
    const auto& got = r.samples[s];
    for (std::size_t p = 0; p < 8; ++p) {
      CAPTURE(kReferencePopulations[p]);
      const auto* sites = image.find_population(kReferencePopulations[p]);
      REQUIRE(sites != nullptr);
      const auto index = static_cast<std::size_t>(sites - image.populations.data());
      CHECK(static_cast<std::int64_t>(got.population_spikes[index]) ==
            ref.population_spikes[s * 8 + p]);
    }
    // Logits: float32 on the host against float64 in the reference.
    for (std::size_t c = 0; c < 10; ++c)
      CHECK(got.output[c] == doctest::Approx(ref.logits[s * 10 + c]).epsilon(1e-5));
    CHECK(got.prediction == ref.prediction[s]);
  }
}

}  // namespace

TEST_CASE("spiking LSTM: the shipped T = 4 model matches the training script's integer reference") {
  const std::string file = (kSource / "models/weights/spiking_mnist_row_t4.h5").string();
  SUBCASE("loihi1") {
    check_against_reference(file, "loihi1");
  }
  SUBCASE("loihi2") {
    check_against_reference(file, "loihi2");
  }
}

TEST_CASE("spiking LSTM: every shipped model matches its reference on loihi1") {
  for (const char* name :
       {"spiking_mnist_row_t1.h5", "spiking_mnist_row_t2.h5", "spiking_mnist_row_t8.h5",
        "spiking_fashion_row_t1.h5", "spiking_fashion_row_t2.h5", "spiking_fashion_row_t4.h5",
        "spiking_fashion_row_t8.h5"}) {
    const fs::path file = kSource / "models/weights" / name;
    CAPTURE(name);
    REQUIRE(fs::exists(file));
    check_against_reference(file.string(), "loihi1");
  }
}

namespace {

// A tiny spiking-LSTM file (H = 2, T = 2, 3 inputs) written through the HDF5 wrapper, with one
// dataset replaced by `bad` (name, values, dims) when given.
struct BadValue {
  std::string name;
  std::vector<std::int64_t> values;
  std::vector<std::uint64_t> dims;
};

std::string tiny_file(const fs::path& dir, const BadValue& bad) {
  const fs::path f = dir / (bad.name.empty() ? "tiny.h5" : bad.name + ".h5");
  h5::Group root = h5::create_file(f.string());
  root.set_attribute("dataset", std::string("mnist"));
  root.set_attribute("layout", std::string("row"));
  root.set_attribute("input_scaling", std::string("x / 255, in [0, 1]"));
  h5::Group chip = root.create_group("snn").create_group("chip");
  const std::pair<const char*, std::int64_t> constants[] = {
      {"theta_chip", 65536}, {"window", 4032},    {"cell_lo", -1023},
      {"cell_hi", 2048},     {"input_frac", 256}, {"bias_max", 524160}};
  for (const auto& [k, v] : constants) chip.set_attribute(k, v);
  const auto put = [&](const std::string& name, std::vector<std::int64_t> v,
                       std::vector<std::uint64_t> dims) {
    if (name == bad.name) {
      v = bad.values;
      dims = bad.dims;
    }
    chip.write(name, v, dims);
  };
  put("steps", {2}, {1});
  put("hidden", {2}, {1});
  put("weight_mant", std::vector<std::int64_t>(16, 2), {8, 2});
  put("weight_exp", {0, 0, 0, 0}, {4});
  put("decay_v", {100, 200, 300, 400}, {4});
  put("feedback_mant", {200, 200, 200, 200}, {4});
  put("feedback_exp", {-2, -2, -2, -2}, {4});
  put("input_weight", std::vector<std::int64_t>(24, 1000), {8, 3});
  put("input_bias", std::vector<std::int64_t>(16, 100), {2, 8});
  put("hidden_threshold", {0, 1}, {2});
  chip.write("fc_weight", std::vector<double>(20, 0.5), {10, 2});
  chip.write("fc_bias", std::vector<double>(10, 0.0), {10});
  return f.string();
}

}  // namespace

TEST_CASE("spiking LSTM: bad files are refused naming the file, the object and the limit") {
  TempDir tmp("spiking_bad");
  const std::string good = tiny_file(tmp.path, {});
  const models::SpikingLstmChip w = models::read_spiking_lstm(good);
  CHECK(w.steps == 2);
  CHECK(w.inputs == 3);
  CHECK(w.classes == 10);
  CHECK(w.dataset == "mnist");
  // The tiny model maps and its join group has 12 compartments per unit and replica.
  const auto mapped = mapper::map_network(models::convert_spiking_lstm(w, 255.0, 0.0).network,
                                          load_architecture("loihi1"));
  CHECK(mapped.report.neurons == 12 * 2 * 2);
  CHECK_THROWS_WITH_AS(
      models::read_spiking_lstm((kSource / "models/weights/mnist_row_modified.h5").string()),
      doctest::Contains("snn/chip"), InputError);
  const auto refused = [&](const BadValue& b, const char* says) {
    CAPTURE(b.name);
    const std::string f = tiny_file(tmp.path, b);
    CHECK_THROWS_WITH_AS(models::read_spiking_lstm(f), doctest::Contains(says), InputError);
    CHECK_THROWS_WITH_AS(models::read_spiking_lstm(f), doctest::Contains(b.name.c_str()),
                         InputError);
  };
  refused({"decay_v", {1, 2, 3, 4096}, {4}}, "0..4095");
  refused({"hidden_threshold", {0, 64}, {2}}, "-1024..63");
  refused({"weight_exp", {0, 0}, {2}}, "shape");
  refused({"steps", {0}, {1}}, "1..64");
  refused({"input_bias", std::vector<std::int64_t>(16, std::int64_t{1} << 41), {2, 8}}, "2^40");
  refused({"feedback_mant", {256, 0, 0, 0}, {4}}, "0..255");
  // An odd mixed-sign mantissa cannot be stored in 8 bits: refused when the network is built.
  const std::string odd =
      tiny_file(tmp.path, {"weight_mant", std::vector<std::int64_t>(16, 3), {8, 2}});
  CHECK_THROWS_WITH_AS(models::convert_spiking_lstm(models::read_spiking_lstm(odd), 255.0, 0.0),
                       doctest::Contains("not storable"), InputError);
}

TEST_CASE("loihisim convert --method spiking-lstm writes a model that runs") {
  TempDir tmp("spiking_convert");
  const std::string weights = (kSource / "models/weights/spiking_mnist_row_t2.h5").string();
  const auto out = tmp.path / "m.model.yaml";
  const auto r = run_cli(
      {"convert", weights, "--method", "spiking-lstm", "--arch", "loihi1", "--out", out.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("fits loihi1") != std::string::npos);
  CHECK(fs::exists(out));
  CHECK(fs::exists(tmp.path / "m.network.yaml"));
  const auto bad =
      run_cli({"convert", (kSource / "models/weights/mnist_row_modified.h5").string(), "--method",
               "spiking-lstm", "--out", (tmp.path / "x.model.yaml").string()});
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("snn/chip") != std::string::npos);
  CHECK(!fs::exists(tmp.path / "x.model.yaml"));
}

TEST_CASE("spiking LSTM: the replicas run alone add up to the full network, spike for spike") {
  // What makes the serial schedule's cost the sum of the single-replica runs.
  const std::string file = (kSource / "models/weights/spiking_mnist_row_t4.h5").string();
  const auto arch = load_architecture("loihi1");
  const models::SpikingLstmChip w = models::read_spiking_lstm(file);
  const Reference ref = read_reference(file);
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  const auto run = [&](const models::SpikingLstmChip& m) {
    const auto image =
        mapper::map_network(models::convert_spiking_lstm(m, 255.0, 0.0).network, arch).image;
    return run_inferences(image, arch, ref.data, o);
  };
  const InferenceRun full = run(w);
  std::vector<std::vector<std::uint64_t>> sum(ref.data.size());
  std::vector<std::vector<double>> logits(ref.data.size(), std::vector<double>(10, 0.0));
  for (int k = 0; k < w.steps; ++k) {
    const InferenceRun one = run(models::single_replica(w, k));
    for (std::size_t s = 0; s < ref.data.size(); ++s) {
      auto& acc = sum[s];
      acc.resize(one.samples[s].population_spikes.size(), 0);
      for (std::size_t p = 0; p < acc.size(); ++p) acc[p] += one.samples[s].population_spikes[p];
      CHECK(one.samples[s].chip_steps == full.samples[s].chip_steps);
    }
  }
  for (std::size_t s = 0; s < ref.data.size(); ++s) {
    CAPTURE(s);
    CHECK(sum[s] == full.samples[s].population_spikes);
  }
  CHECK_THROWS_WITH_AS(models::single_replica(w, 4), doctest::Contains("0..3"), InputError);
}

TEST_CASE("spiking LSTM: the shipped demo model is what the converter makes of the weights") {
  // examples/spiking-lstm/ was written by `loihisim convert models/weights/spiking_mnist_row_t4.h5
  // --method spiking-lstm --arch loihi1 --out examples/spiking-lstm/mnist_row_t4.model.yaml`; a
  // converter change that alters the network must regenerate it.
  const ModelSpec spec = read_model(kSource / "examples/spiking-lstm/mnist_row_t4.model.yaml");
  CHECK(spec.steps_per_symbol == 1);
  CHECK(spec.reset == ResetPolicy::kSample);
  const mapper::Network shipped = mapper::read_network(spec.network);
  const mapper::Network fresh =
      models::convert_spiking_lstm(
          models::read_spiking_lstm((kSource / "models/weights/spiking_mnist_row_t4.h5").string()),
          255.0, 0.0)
          .network;
  loihisim::testing::check_same_network(shipped, fresh);
}

TEST_CASE("integer_bias host node: bad arrays and inputs are refused naming the node") {
  TempDir tmp("integer_bias");
  const models::SpikingLstmChip w = models::read_spiking_lstm(tiny_file(tmp.path, {}));
  const auto arch = load_architecture("loihi1");
  const auto image_with = [&](const std::function<void(mapper::HostNode&)>& edit) {
    mapper::Network net = models::convert_spiking_lstm(w, 255.0, 0.0).network;
    mapper::Network edited;
    edited.name = net.name;
    for (auto v : net.populations()) edited.add_population(net.population(v));
    for (auto e : net.projections()) edited.add_projection(net.projection(e));
    for (const auto& p : net.output_ports()) edited.add_output_port(p);
    for (auto h : net.host_nodes()) {
      if (h.name == "input_A") edit(h);
      edited.add_host_node(h);
    }
    return mapper::map_network(edited, arch).image;
  };
  const auto refused = [&](const std::function<void(mapper::HostNode&)>& edit, const char* says) {
    CHECK_THROWS_WITH_AS(HostProgram(image_with(edit), 3, HostNumberFormat{}),
                         doctest::Contains(says), InputError);
  };
  refused([](mapper::HostNode& h) { h.arrays["weight"].values[0] = 1.5; }, "not an integer");
  refused([](mapper::HostNode& h) { h.arrays["offset"].shape = {1, 4}; }, "input_A");
  refused([](mapper::HostNode& h) { h.params["divisor"] = "0"; }, "divisor");
  refused([](mapper::HostNode& h) { h.params["saturate"] = "999999999"; }, "saturate");
  refused([](mapper::HostNode& h) { h.arrays.erase("offset"); }, "offset");
  // A value whose pixel byte falls outside 0..255 stops the run with the node's name.
  SequenceDataset data;
  data.name = "one";
  data.num_symbols = 1;
  data.symbol_size = 3;
  data.num_classes = 10;
  data.values = {0.5f, 1.5f, 0.0f};
  data.labels = {0};
  InferenceOptions o;
  o.steps_per_symbol = 1;
  o.reset = ResetPolicy::kSample;
  o.prediction = "logits";
  CHECK_THROWS_WITH_AS(run_inferences(image_with([](mapper::HostNode&) {}), arch, data, o),
                       doctest::Contains("outside 0..255"), InputError);
}
