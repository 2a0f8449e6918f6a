// Free-running networks (runtime/free_run, `loihisim simulate`): exact spike counts per
// population without a dataset, rasters that agree with the counts, inputs checked.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "runtime/free_run.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/recurrent_network.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

namespace {

const std::string kTiny = std::string(LOIHISIM_SOURCE_DIR) + "/examples/networks/tiny.yaml";

// 1 sample x `steps` x 4 inputs: input j spikes at every step t with (t + j) % (j + 2) == 0.
SequenceDataset raster(int steps) {
  SequenceDataset d;
  d.name = "raster";
  d.num_symbols = steps;
  d.symbol_size = 4;
  d.labels = {0};
  d.values.assign(static_cast<std::size_t>(steps) * 4, 0.0f);
  for (int t = 0; t < steps; ++t)
    for (int j = 0; j < 4; ++j)
      if ((t + j) % (j + 2) == 0) d.values[static_cast<std::size_t>(t * 4 + j)] = 1.0f;
  return d;
}

}  // namespace

TEST_CASE("free run: counts equal the rasters, the same with and without recording") {
  const core::Architecture arch = load_architecture("loihi1");
  const auto image = mapper::map_network(mapper::read_network(kTiny), arch).image;
  const SequenceDataset in = raster(150);
  FreeRunOptions o;
  o.steps = 200;  // 50 steps beyond the raster: biases alone
  o.record_spikes = true;
  const FreeRunResult rec = free_run(image, arch, &in, o);
  o.record_spikes = false;
  const FreeRunResult plain = free_run(image, arch, &in, o);
  REQUIRE(rec.populations.size() == 2);
  CHECK(rec.steps == 200);
  std::uint64_t sent = 0;
  for (float v : in.values) sent += v != 0.0f;
  CHECK(rec.input_spikes == sent);
  std::uint64_t total = 0;
  for (std::size_t p = 0; p < rec.populations.size(); ++p) {
    const auto& a = rec.populations[p];
    CHECK(a.spikes == a.step.size());
    CHECK(a.step.size() == a.neuron.size());
    CHECK(plain.populations[p].spikes == a.spikes);
    CHECK(std::is_sorted(a.step.begin(), a.step.end()));
    for (std::size_t k = 0; k < a.step.size(); ++k) {
      CHECK(a.step[k] >= 1);
      CHECK(a.step[k] <= 200);
      CHECK(a.neuron[k] < a.neurons);
    }
    total += a.spikes;
  }
  CHECK(total > 0);  // the raster drives the hidden and output neurons
  // Energy and time are counted whatever is recorded, identically.
  CHECK(rec.report.energy.total_fj == plain.report.energy.total_fj);
  CHECK(rec.report.latency_ps == plain.report.latency_ps);
  CHECK(rec.report.steps == 200);
  CHECK(free_run_summary(rec, "tiny").dump() == free_run_summary(plain, "tiny").dump());
}

TEST_CASE("free run: without input the network runs on its biases, bad inputs are refused") {
  const core::Architecture arch = load_architecture("loihi1");
  const auto image = mapper::map_network(mapper::read_network(kTiny), arch).image;
  FreeRunOptions o;
  o.steps = 50;
  const FreeRunResult r = free_run(image, arch, nullptr, o);
  CHECK(r.input_spikes == 0);
  CHECK(r.report.energy.total_fj > 0);
  o.steps = 0;
  CHECK_THROWS_AS(free_run(image, arch, nullptr, o), InputError);
  o.steps = 10;
  SequenceDataset wrong = raster(10);
  wrong.symbol_size = 3;
  wrong.values.resize(30);
  CHECK_THROWS_WITH_AS(free_run(image, arch, &wrong, o),
                       doctest::Contains("3 values per step, but the network's input ports have 4"),
                       InputError);
  const SequenceDataset in = raster(10);
  o.input_sample = 1;
  CHECK_THROWS_WITH_AS(free_run(image, arch, &in, o), doctest::Contains("sample 1"), InputError);
}

TEST_CASE("loihisim simulate: a network file, rasters in HDF5, a summary, options checked") {
  TempDir dir("simulate");
  const std::string out = (dir / "sim.h5").string(), rep = (dir / "sim.json").string();
  std::string text;
  REQUIRE(run_cli("simulate " + kTiny + " --steps 64 -q --record-spikes --out " + out +
                      " --report " + rep,
                  &text) == 0);
  CHECK(text.find("64 steps") != std::string::npos);
  {
    h5::Group root = h5::open_file(out);
    CHECK(root.string_attribute("report") == "simulate");
    CHECK(root.int_attribute("steps") == 64);
    CHECK(root.open_group("populations").open_group("out").has_attribute("spikes"));
  }
  CHECK(fs::exists(rep));
  // Rasters need --out; steps >= 1; the mapped image is read as such.
  CHECK(run_cli("simulate " + kTiny + " --steps 5 --record-spikes", &text) == 2);
  CHECK(text.find("--record-spikes") != std::string::npos);
  CHECK(run_cli("simulate " + kTiny + " --steps 0", &text) != 0);
  const std::string mapped = (dir / "tiny.mapped.h5").string();
  REQUIRE(run_cli("map " + kTiny + " --arch loihi1 --out " + mapped, &text) == 0);
  CHECK(run_cli("simulate " + mapped + " --steps 5 -q", &text) == 0);
  CHECK(run_cli("simulate " + mapped + " --arch loihi2 --steps 5 -q", &text) == 2);
  CHECK(text.find("map it again") != std::string::npos);
}

TEST_CASE("network timing models: same spikes and dynamic energy, only latency differs") {
  core::Architecture arch = load_architecture("loihi1");
  const auto image = mapper::map_network(mapper::read_network(kTiny), arch).image;
  const SequenceDataset in = raster(100);
  FreeRunOptions o;
  o.steps = 120;
  const FreeRunResult event = free_run(image, arch, &in, o);
  arch.network.model = core::NetworkModel::kAnalytic;
  const FreeRunResult analytic = free_run(image, arch, &in, o);
  for (std::size_t p = 0; p < event.populations.size(); ++p)
    CHECK(event.populations[p].spikes == analytic.populations[p].spikes);
  CHECK(event.report.energy.dynamic_fj == analytic.report.energy.dynamic_fj);
  CHECK(analytic.report.latency_ps > 0);
  // The cycle-level model (core/cycle_timing.hpp): the same spikes, counts and dynamic energy.
  arch.network.model = core::NetworkModel::kCycle;
  const FreeRunResult cycle = free_run(image, arch, &in, o);
  for (std::size_t p = 0; p < event.populations.size(); ++p)
    CHECK(event.populations[p].spikes == cycle.populations[p].spikes);
  CHECK(event.report.energy.dynamic_fj == cycle.report.energy.dynamic_fj);
  // Every dynamic line's count is the same (static lines count chip-ps: time).
  REQUIRE(event.report.energy.lines.size() == cycle.report.energy.lines.size());
  for (std::size_t i = 0; i < event.report.energy.lines.size(); ++i)
    if (!core::is_static(event.report.energy.lines[i].event))
      CHECK(event.report.energy.lines[i].count == cycle.report.energy.lines[i].count);
  CHECK(cycle.report.latency_ps > 0);
  arch.network.model = core::NetworkModel::kEvent;
  // The architecture file selects the model; an unknown one is refused.
  std::ifstream f(std::string(LOIHISIM_SOURCE_DIR) + "/arch/loihi1.yaml");
  std::stringstream text;
  text << f.rdbuf();
  std::string yaml = text.str();
  const auto at = yaml.find("    tiles_y:");
  REQUIRE(at != std::string::npos);
  yaml.insert(at, "    timing_model: analytic\n");
  CHECK(parse_architecture(yaml, "a.yaml").network.model == core::NetworkModel::kAnalytic);
  yaml.replace(yaml.find("timing_model: analytic"), 22, "timing_model: fast");
  CHECK_THROWS_WITH_AS(parse_architecture(yaml, "a.yaml"), doctest::Contains("timing_model"),
                       InputError);
  // --network-model cycle with a file that has no chip.cycle section: refused, exit 2.
  yaml.replace(yaml.find("    timing_model: fast\n"), 23, "");
  const auto begin = yaml.find("  # The cycle-level timing mode");
  const auto end = yaml.find("\n  tile:\n");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  yaml.erase(begin, end + 1 - begin);
  TempDir dir("no_cycle");
  const std::string file = (dir / "no_cycle.yaml").string();
  std::ofstream(file) << yaml;
  std::string out;
  CHECK(run_cli("simulate " + kTiny + " --arch " + file + " --steps 5 -q", &out) == 0);
  CHECK(run_cli("simulate " + kTiny + " --arch " + file + " --steps 5 -q --network-model cycle",
                &out) == 2);
  CHECK(out.find("needs its chip.cycle section") != std::string::npos);
}

TEST_CASE("free run: the cores of a step on 1, 2 or 4 threads give bit-identical results") {
  const core::Architecture arch = load_architecture("loihi1");
  // Several cores: the benchmark's kind of network, smaller (2,048 neurons, 24 targets each).
  const auto image =
      loihisim::testing::map_recurrent_network({"threads", 2048, 24, 7, 1638, 2, -12}, arch);
  FreeRunOptions o;
  o.steps = 200;
  o.record_spikes = true;
  const FreeRunResult one = free_run(image, arch, nullptr, o);
  CHECK(one.populations[0].spikes > 0);
  REQUIRE(one.report.cores_in_use >= 2);
  for (int t : {2, 4}) {
    o.threads = t;
    const FreeRunResult many = free_run(image, arch, nullptr, o);
    CHECK(free_run_summary(many, "n").dump() == free_run_summary(one, "n").dump());
    CHECK(many.populations[0].step == one.populations[0].step);
    CHECK(many.populations[0].neuron == one.populations[0].neuron);
  }
}

TEST_CASE("free run: probes record v and u every step, consistent with the spikes") {
  const core::Architecture arch = load_architecture("loihi1");
  const auto image = mapper::map_network(mapper::read_network(kTiny), arch).image;
  const SequenceDataset in = raster(60);
  FreeRunOptions o;
  o.steps = 80;
  o.record_spikes = true;
  o.probes = {{"hidden", {}}, {"out", {1}}};
  const FreeRunResult r = free_run(image, arch, &in, o);
  REQUIRE(r.probes.size() == 2);
  const ProbeTrace& h = r.probes[0];
  CHECK(h.neurons == std::vector<std::int32_t>{0, 1, 2});
  REQUIRE(h.v.size() == 80 * 3);
  REQUIRE(h.u.size() == 80 * 3);
  CHECK(r.probes[1].v.size() == 80);
  // Loihi 1 resets v to zero when a neuron fires: every recorded spike of a hidden neuron has
  // v == 0 after its step, and a neuron's v is never above the threshold after a step.
  const auto& spikes = r.populations[0];
  REQUIRE(spikes.spikes > 0);
  for (std::size_t k = 0; k < spikes.step.size(); ++k)
    CHECK(h.v[static_cast<std::size_t>(spikes.step[k] - 1) * 3 +
              static_cast<std::size_t>(spikes.neuron[k])] == 0);
  CHECK(*std::max_element(h.v.begin(), h.v.end()) <= 100 * 64);
  CHECK(std::any_of(h.v.begin(), h.v.end(), [](std::int32_t v) { return v != 0; }));
  CHECK(std::any_of(h.u.begin(), h.u.end(), [](std::int32_t u) { return u != 0; }));
  // Probing changes nothing else.
  FreeRunOptions plain = o;
  plain.probes.clear();
  CHECK(free_run_summary(free_run(image, arch, &in, plain), "tiny").dump() ==
        free_run_summary(r, "tiny").dump());
  // Bad probes name the population and the neuron.
  o.probes = {{"hiden", {}}};
  CHECK_THROWS_WITH_AS(free_run(image, arch, &in, o), doctest::Contains("no population 'hiden'"),
                       InputError);
  o.probes = {{"out", {2}}};
  CHECK_THROWS_WITH_AS(free_run(image, arch, &in, o), doctest::Contains("neurons 0..1, not 2"),
                       InputError);
  o.probes = {{"out", {0}}, {"out", {1}}};
  CHECK_THROWS_WITH_AS(free_run(image, arch, &in, o), doctest::Contains("probed twice"),
                       InputError);
}

TEST_CASE("loihisim simulate --probe: traces in the HDF5 output, bad specs refused") {
  TempDir dir("simulate_probe");
  const std::string out = (dir / "p.h5").string();
  std::string text;
  REQUIRE(
      run_cli("simulate " + kTiny + " --steps 30 -q --probe hidden:0,2 --probe out --out " + out,
              &text) == 0);
  {
    const h5::Group probes = h5::open_file(out).open_group("probes");
    const h5::Group hidden = probes.open_group("hidden");
    std::vector<std::uint64_t> dims;
    CHECK(hidden.read<std::int32_t>("neuron") == std::vector<std::int32_t>{0, 2});
    CHECK(hidden.read<std::int32_t>("v", &dims).size() == 60);
    CHECK(dims == std::vector<std::uint64_t>{30, 2});
    CHECK(probes.open_group("out").read<std::int32_t>("u", &dims).size() == 60);
    CHECK(dims == std::vector<std::uint64_t>{30, 2});
  }
  const std::string out2 = (dir / "q.h5").string();
  CHECK(run_cli("simulate " + kTiny + " --steps 5 -q --probe hidden", &text) == 2);
  CHECK(text.find("--out") != std::string::npos);
  CHECK(run_cli("simulate " + kTiny + " --steps 5 -q --probe hidden:3-1 --out " + out2, &text) ==
        2);
  CHECK(text.find("runs backwards") != std::string::npos);
  CHECK(run_cli("simulate " + kTiny + " --steps 5 -q --probe hidden:x --out " + out2, &text) == 2);
  CHECK(run_cli("simulate " + kTiny + " --steps 5 -q --probe nope --out " + out2, &text) == 2);
  CHECK(text.find("no population 'nope'") != std::string::npos);
  CHECK(!fs::exists(out2));  // nothing half-written
}
