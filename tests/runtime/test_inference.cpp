// The runtime: inferences with the host coprocessor, counted by hand on a tiny network, bit-
// identical for any thread count, and the bad-input errors of `loihisim run`.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/model_file.hpp"
#include "runtime/host_costs.hpp"
#include "runtime/inference.hpp"
#include "runtime/run_report.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;

using loihisim::testing::read_text;

namespace {

using loihisim::testing::TempDir;

// Two host inputs x0, x1 -> two integrate-and-fire neurons a0, a1 (one each, weight 254 x 64 =
// 16256 > vth 6400: every input spike fires its neuron on arrival), read back as counts; the
// host turns counts into rates.
mapper::Network tiny_network() {
  mapper::Network net;
  net.name = "tiny";
  net.add_input_port({"x", 2});
  mapper::Population a;
  a.name = "a";
  a.size = 2;
  a.profile.decay_u = 4095;  // u = this step's input
  a.profile.decay_v = 4095;  // v keeps trunc(v / 4096) of the previous step: 0 here
  a.profile.vth_mant = 100;
  net.add_population(a);
  mapper::Projection p;
  p.name = "x_a";
  p.source = "x";
  p.target = "a";
  p.weight = {254, 0, 0, 254};  // dense, target x source
  net.add_projection(p);
  net.add_output_port({"counts", "a"});
  net.add_host_node({"enc", "encode", {"symbol"}, {"x"}, {}, {}});
  net.add_host_node({"rates", "rate", {"counts"}, {"y"}, {}, {}});
  net.check_host_references();
  return net;
}

SequenceDataset one_sample(std::vector<float> values, int label) {
  SequenceDataset d;
  d.name = "hand";
  d.num_symbols = 1;
  d.symbol_size = static_cast<int>(values.size());
  d.num_classes = 2;
  d.values = std::move(values);
  d.labels = {label};
  return d;
}

InferenceOptions tiny_options(const core::Architecture& arch, int steps) {
  InferenceOptions o;
  o.steps_per_symbol = steps;
  o.prediction = "y";
  o.host_costs = host_costs(arch, HostLocation::kExternal);
  return o;
}

using loihisim::testing::run_cli;

}  // namespace

TEST_CASE("a tiny two-layer network: spike counts, host operations and chip events by hand") {
  const auto arch = load_architecture("loihi1");
  const auto image = mapper::map_network(tiny_network(), arch).image;
  // x = [1.0, 0.5] with the signed accumulator (scale 2048): x0 spikes at steps 1, 2, 3, 4;
  // x1 at steps 2 and 4. A spike sent at step t arrives at step t + 1, so within T = 4 steps a0
  // receives at 2, 3, 4 (3 spikes) and a1 at 3 (1 spike); the step-4 spikes are sent but never
  // arrive (the symbol ends).
  const auto data = one_sample({1.0f, 0.5f}, 0);
  const InferenceRun run = run_inferences(image, arch, data, tiny_options(arch, 4));
  REQUIRE(run.completed == 1);
  const SampleResult& s = run.samples[0];
  CHECK(s.population_spikes == std::vector<std::uint64_t>{4});
  CHECK(s.output == std::vector<double>{0.75, 0.25});
  CHECK(s.prediction == 0);
  CHECK(s.chip_steps == 4);

  using core::EnergyEvent;
  const auto& e = s.chip_events;
  CHECK(e[EnergyEvent::kHostSpikeInjected] == 6);  // 4 + 2 injected
  CHECK(e[EnergyEvent::kSpikeReceived] == 4);      // 3 + 1 delivered within the symbol
  // Each input axon drives a dense list over the block of 2 neurons: 2 synaptic events each.
  CHECK(e[EnergyEvent::kSynOpDense] == 8);
  // 2 compartments x 4 steps; active = input, u, v or bias nonzero before the update:
  // a0 at steps 2, 3, 4; a1 at step 3 (input) and step 4 (u from step 3).
  CHECK(e[EnergyEvent::kUpdateActive] == 5);
  CHECK(e[EnergyEvent::kUpdateInactive] == 3);
  CHECK(e[EnergyEvent::kFireExtra] == 4);
  CHECK(e[EnergyEvent::kHostReadback] == 2);  // one count per output neuron, once per symbol
  CHECK(e[EnergyEvent::kSpikeSent] == 0);     // a has no outgoing projection
  const auto b = core::energy_breakdown(arch, e);
  // Davies 2018 Table 2 + the host-link figures of arch/loihi1.yaml, in fJ.
  const std::int64_t dynamic = 8 * 23600 + 5 * 81000 + 3 * 52000 + 6 * 640000 + 2 * 320000 +
                               4 * 7000;  // barrier: 1 tile in use, 4 steps
  CHECK(b.dynamic_fj == dynamic);

  // Host: encode reads 2 values; rate: 2 multiplies (count x 1/T), reads 2, writes 2; the
  // prediction's argmax: 1 comparison.
  CHECK(s.host.mul == 2);
  CHECK(s.host.add == 0);
  CHECK(s.host.cmp == 1);
  CHECK(s.host.bytes_read == (2 + 2) * 4);
  CHECK(s.host.bytes_written == 2 * 4);
  const auto costs = host_costs(arch, HostLocation::kExternal);
  CHECK(host_energy_fj(costs, s.host) == 2 * 3700 + 1 * 900 + 24 * 2500);
}

TEST_CASE("direct current injection through a bias host node, by hand") {
  // One integrate-and-fire neuron (u = input, no leak on v, vth = 100 x 64 = 6400) whose bias the
  // host sets to round(0.5 x 6400) = 3200 every symbol: v = 3200, 6400 (not above 6400), 9600 ->
  // spike at step 3, then again at step 6: 2 spikes in T = 6 steps; a second symbol restarts.
  mapper::Network net;
  net.name = "bias";
  mapper::Population b;
  b.name = "b";
  b.size = 1;
  b.profile.decay_u = 4095;
  b.profile.vth_mant = 100;
  net.add_population(b);
  net.add_output_port({"counts", "b"});
  net.add_host_node({"drive", "bias", {"symbol"}, {"b"}, {{"scale", "6400"}}, {}});
  net.add_host_node({"sum", "add", {"total", "counts"}, {"total"}, {}, {}});
  net.check_host_references();
  const auto arch = load_architecture("loihi1");
  const auto image = mapper::map_network(net, arch).image;
  SequenceDataset d;
  d.name = "hand";
  d.num_symbols = 2;
  d.symbol_size = 1;
  d.num_classes = 1;
  d.values = {0.5f, 0.5f};
  d.labels = {0};
  auto o = tiny_options(arch, 6);
  o.prediction = "total";
  const auto run = run_inferences(image, arch, d, o);
  CHECK(run.samples[0].output == std::vector<double>{4.0});
  CHECK(run.samples[0].population_spikes == std::vector<std::uint64_t>{4});
  // One bias word per compartment per symbol crosses the host link.
  CHECK(run.samples[0].chip_events[core::EnergyEvent::kHostWord] == 2);
}

TEST_CASE("graded-spike encoders need an architecture with graded spikes") {
  mapper::Network net = tiny_network();
  const auto arch = load_architecture("loihi1");
  auto image = mapper::map_network(net, arch).image;
  for (auto& h : image.host_nodes)
    if (h.name == "enc") h.params["encoder"] = "graded";
  const auto data = one_sample({1.0f, 0.5f}, 0);
  CHECK_THROWS_WITH_AS(run_inferences(image, arch, data, tiny_options(arch, 4)),
                       doctest::Contains("graded spikes are not available on loihi1"), InputError);
}

TEST_CASE("negative inputs need a negative input port") {
  const auto arch = load_architecture("loihi1");
  const auto image = mapper::map_network(tiny_network(), arch).image;
  const auto data = one_sample({-0.5f, 0.5f}, 0);
  CHECK_THROWS_WITH_AS(run_inferences(image, arch, data, tiny_options(arch, 4)),
                       doctest::Contains("no negative input port"), InputError);
}

TEST_CASE("runtime input errors name the problem") {
  const auto arch = load_architecture("loihi1");
  const auto image = mapper::map_network(tiny_network(), arch).image;
  const auto data = one_sample({1.0f, 0.5f}, 0);
  SUBCASE("T = 0") {
    CHECK_THROWS_WITH_AS(run_inferences(image, arch, data, tiny_options(arch, 0)),
                         doctest::Contains("T = 0"), InputError);
  }
  SUBCASE("an image mapped for another architecture") {
    const auto other = load_architecture("loihi2");
    CHECK_THROWS_WITH_AS(run_inferences(image, other, data, tiny_options(other, 4)),
                         doctest::Contains("made for architecture 'loihi1'"), InputError);
  }
  SUBCASE("the dataset does not match the input port") {
    const auto wide = one_sample({1.0f, 0.5f, 0.25f}, 0);
    CHECK_THROWS_WITH_AS(run_inferences(image, arch, wide, tiny_options(arch, 4)),
                         doctest::Contains("has 2 neurons but the inputs have 3"), InputError);
  }
  SUBCASE("a prediction value that does not exist") {
    auto o = tiny_options(arch, 4);
    o.prediction = "logits";
    CHECK_THROWS_WITH_AS(run_inferences(image, arch, data, o), doctest::Contains("'logits'"),
                         InputError);
  }
  SUBCASE("more classes than prediction values") {
    auto d = data;
    d.num_classes = 3;
    CHECK_THROWS_WITH_AS(run_inferences(image, arch, d, tiny_options(arch, 4)),
                         doctest::Contains("has 3 classes"), InputError);
  }
}

TEST_CASE("results and reports are bit-identical for 1, 2 and 8 threads") {
  const fs::path model_file = fs::path(LOIHISIM_SOURCE_DIR) / "examples/run/tiny.model.yaml";
  const ModelSpec model = read_model(model_file);
  const auto arch = load_architecture("loihi1");
  const auto image = mapper::map_network(mapper::read_network(model.network), arch).image;
  const auto data = load_dataset(model.dataset, "");
  auto run_with = [&](int threads) {
    InferenceOptions o = inference_options(model, arch);
    o.threads = threads;
    const InferenceRun run = run_inferences(image, arch, data, o);
    RunReport r =
        make_run_report({"tiny", "loihi1", data.name, "metis", 1, ""}, o, image, arch, run);
    r.wall_seconds = 0;  // the only figure that may differ
    return std::pair{run, run_report_summary(r).dump()};
  };
  const auto [run1, json1] = run_with(1);
  REQUIRE(run1.completed == data.size());
  for (int k : {2, 8}) {
    CAPTURE(k);
    const auto [run_k, json_k] = run_with(k);
    CHECK(json_k == json1);
    REQUIRE(run_k.samples.size() == run1.samples.size());
    for (std::size_t i = 0; i < run1.samples.size(); ++i) {
      const auto& a = run1.samples[i];
      const auto& b = run_k.samples[i];
      CHECK(a.prediction == b.prediction);
      CHECK(a.output == b.output);
      CHECK(a.chip_ps == b.chip_ps);
      CHECK(a.chip_events.n == b.chip_events.n);
      CHECK(a.host == b.host);
      CHECK(a.population_spikes == b.population_spikes);
    }
  }
}

TEST_CASE("loihisim run: the shipped example end to end, with result files") {
  TempDir tmp("run_cli");
  const fs::path& dir = tmp.path;
  const std::string model = std::string(LOIHISIM_SOURCE_DIR) + "/examples/run/tiny.model.yaml";
  std::string out;
  REQUIRE(run_cli("run " + model + " --arch loihi1 --threads 2 --out " + (dir / "r.h5").string() +
                      " --report " + (dir / "r.yaml").string(),
                  &out) == 0);
  CHECK(out.find("accuracy") != std::string::npos);
  CHECK(out.find("chip active energy") != std::string::npos);
  auto root = h5::open_file((dir / "r.h5").string());
  auto samples = root.open_group("samples");
  CHECK(samples.read<std::int32_t>("label").size() == 40);
  CHECK(samples.shape("population_spikes") == std::vector<std::uint64_t>{40, 2});
  CHECK(read_text(dir / "r.yaml").find("chip_active_energy_pJ") != std::string::npos);
  // Every sample file row is consistent with the summary: the accuracy attribute.
  const auto labels = samples.read<std::int32_t>("label");
  const auto predictions = samples.read<std::int32_t>("prediction");
  int correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += labels[i] == predictions[i];
  CHECK(root.double_attribute("accuracy") == doctest::Approx(correct / 40.0));
}

TEST_CASE("loihisim run: bad input exits non-zero, names the problem, writes nothing") {
  TempDir tmp("run_bad");
  const fs::path& dir = tmp.path;
  const fs::path src = fs::path(LOIHISIM_SOURCE_DIR) / "examples/run";
  for (const char* f : {"tiny.network.yaml", "patterns.h5"}) fs::copy(src / f, dir / f);
  auto write_model = [&](const std::string& text) {
    std::ofstream(dir / "m.yaml") << text;
    return (dir / "m.yaml").string();
  };
  const std::string good =
      "name: t\nnetwork: tiny.network.yaml\ndataset: {file: patterns.h5}\nsteps_per_symbol: 8\n"
      "prediction: score\n";
  const std::string out = (dir / "out.h5").string();
  struct Case {
    std::string model, expect;
  };
  const Case cases[] = {
      {good + "colour: red\n", "unknown key"},
      {"name: t\nnetwork: tiny.network.yaml\ndataset: {file: patterns.h5}\nsteps_per_symbol: 0\n"
       "prediction: score\n",
       "steps_per_symbol: 0 is out of range"},
      {"name: t\nnetwork: tiny.network.yaml\ndataset: {file: missing.h5}\nsteps_per_symbol: 8\n"
       "prediction: score\n",
       "missing.h5"},
      {"name: t\nnetwork: tiny.network.yaml\ndataset: {name: mnist}\nsteps_per_symbol: 8\n"
       "prediction: score\n",
       "has 8 neurons but the inputs have 28"},
      {good + "host: {format: q10.10}\n", "q10.10"},
      {"name: t\nnetwork: tiny.network.yaml\ndataset: {name: mnist, scaling: log}\n"
       "steps_per_symbol: 8\nprediction: score\n",
       "dataset.scaling"},
      {"name: [t\n", "malformed YAML"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.model);
    std::string msg;
    CHECK(run_cli("run " + write_model(c.model) + " --arch loihi1 --out " + out, &msg) == 2);
    CHECK(msg.find(c.expect) != std::string::npos);
    const bool names_a_file = msg.find("m.yaml") != std::string::npos ||
                              msg.find(".h5") != std::string::npos ||
                              msg.find("host node") != std::string::npos;
    CHECK(names_a_file);
    CHECK_FALSE(fs::exists(out));
  }
  std::string msg;
  CHECK(run_cli("run " + write_model(good) + " --arch nosuchchip --out " + out, &msg) == 2);
  CHECK(msg.find("nosuchchip") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
}
