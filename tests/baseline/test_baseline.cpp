// The CPU baseline (runtime/cpu_baseline, cpu_profile, rapl, baseline_report; `loihisim baseline`
// and `compare`): operation counts of a tiny LSTM by hand, predictions equal to PyTorch's on the
// committed weights, the CPU profile files validated like the architecture files, energy from
// the counts by hand, RAPL reading with wraparound on a fake powercap tree, and the commands.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "baseline/baseline_report.hpp"
#include "baseline/cpu_baseline.hpp"
#include "baseline/cpu_profile.hpp"
#include "baseline/cpu_profile_io.hpp"
#include "baseline/rapl.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "models/lstm_weights.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using models::LstmCell;
using models::LstmWeights;

using loihisim::testing::read_text;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;

using loihisim::testing::TempDir;

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

// A tiny LSTM: I = 2, H = 3, C = 2, with fixed small weights (values chosen so that no gate
// saturates trivially; they matter for the results, not for the counts).
LstmWeights tiny_lstm(LstmCell cell) {
  LstmWeights w;
  w.file = "tiny";
  w.cell = cell;
  w.input_size = 2;
  w.hidden_size = 3;
  w.classes = 2;
  auto fill = [](std::size_t n, int seed) {
    std::vector<float> v(n);
    for (std::size_t k = 0; k < n; ++k)
      v[k] = 0.15f * static_cast<float>(
                         static_cast<int>((k * 7 + static_cast<std::size_t>(seed)) % 11) - 5);
    return v;
  };
  w.w_ih = fill(12 * 2, 1);
  w.w_hh = fill(12 * 3, 2);
  w.bias = fill(12, 3);
  w.fc_weight = fill(2 * 3, 4);
  w.fc_bias = fill(2, 5);
  return w;
}

// Hand counts for the tiny LSTM over 2 steps (I = 2, H = 3, C = 2). Per step and hidden unit
// j, the cell evaluates z_i, z_f, z_g, z_o (4 rows of I + H = 5 MACs and one bias add each),
// then c = f c + i g (2 mul, 1 add) and h = o phi(c) (1 mul):
// - MACs: 2 steps x 12 rows x 5 + classifier 2 x 3 = 120 + 6 = 126;
// - adds: 2 x (12 bias + 3 cell) + 2 classifier biases = 32; modified: + 2 x 3 units x 3
//   phi1 (z + 2) = 50;
// - multiplies: 2 x 3 units x 3 = 18; modified: + 2 x 3 x (3 phi1 x 0.25 + 2 phi2 x 0.5) = 48;
// - compares: argmax over 2 classes: 1; modified: + 2 x 3 x (3 phi1 x 2 + 2 phi2 x 2 + clamp 2)
//   = 1 + 72 = 73;
// - nonlinearities: 2 x 3 x 5 = 30 (standard: all sigmoid/tanh; modified: none);
// - neuron updates: 30 + 2 outputs = 32;
// - weight bytes: every step reads the 12 x 5 gate matrix and 12 biases: 2 x 72 x 4 = 576,
//   then the classifier's 2 x 3 + 2: 32; total 608; working set (72 + 8) x 4 = 320;
// - activation bytes read: per step x (2), h (3), z (12), c (3) = 20 values, 2 x 20 x 4 = 160,
//   then h (3) for the classifier and the 2 logits for the argmax: 20; total 180;
// - written: per step z (12), c (3), h (3): 2 x 18 x 4 = 144, logits 8; total 152;
// - activation working set: the input 2 x 2, h, c, z (18) and 2 logits: 24 x 4 = 96.
CpuOpCounts tiny_hand_counts(LstmCell cell) {
  const bool m = cell == LstmCell::kModified;
  CpuOpCounts n;
  n.mac = 126;
  n.add = m ? 50 : 32;
  n.mul = m ? 48 : 18;
  n.cmp = m ? 73 : 1;
  n.nonlinearity = 30;
  n.transcendental = m ? 0 : 30;
  n.neuron_updates = 32;
  n.weight_bytes_read = 608;
  n.activation_bytes_read = 180;
  n.activation_bytes_written = 152;
  n.weight_working_set_bytes = 320;
  n.activation_working_set_bytes = 96;
  return n;
}

const float kTinyInput[4] = {0.5f, -1.0f, 0.25f, 0.75f};  // 2 steps x 2 inputs

std::string horowitz_text() {
  return read_text(kSource / "cpu/horowitz45.yaml");
}

// horowitz45.yaml with one exact substring replaced (which must occur).
std::string mutated(const std::string& from, const std::string& to) {
  std::string t = horowitz_text();
  const auto at = t.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "horowitz45.yaml no longer contains: " << from);
  return t.replace(at, from.size(), to);
}

std::string profile_error(const std::string& text) {
  try {
    parse_cpu_profile(text, "bad.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

using loihisim::testing::run_cli;

// A fake powercap tree with one package zone.
void fake_zone(const fs::path& root, const std::string& zone, const std::string& name,
               std::uint64_t energy, std::uint64_t max_range) {
  fs::create_directories(root / zone);
  write_text(root / zone / "name", name + "\n");
  write_text(root / zone / "energy_uj", std::to_string(energy) + "\n");
  write_text(root / zone / "max_energy_range_uj", std::to_string(max_range) + "\n");
}

}  // namespace

TEST_CASE("CPU baseline: operation counts of a tiny LSTM by hand, both cells") {
  for (const LstmCell cell : {LstmCell::kStandard, LstmCell::kModified}) {
    CAPTURE(models::to_string(cell));
    const LstmWeights w = tiny_lstm(cell);
    const CpuOpCounts hand = tiny_hand_counts(cell);
    // The closed form ...
    CHECK(count_lstm_ops(w, 2) == hand);
    // ... and the straightforward implementation counting what it executes.
    CpuLstm net(w, CpuImplementation::kStraightforward);
    std::vector<float> logits(2);
    CpuOpCounts executed;
    net.infer_counted(kTinyInput, 2, logits, executed);
    CHECK(executed.mac == hand.mac);
    CHECK(executed.add == hand.add);
    CHECK(executed.mul == hand.mul);
    CHECK(executed.cmp == hand.cmp);
    CHECK(executed.nonlinearity == hand.nonlinearity);
    CHECK(executed.transcendental == hand.transcendental);
    CHECK(executed.neuron_updates == hand.neuron_updates);
    CHECK(executed.weight_bytes_read == hand.weight_bytes_read);
    CHECK(executed.activation_bytes_read == hand.activation_bytes_read);
    CHECK(executed.activation_bytes_written == hand.activation_bytes_written);
    CHECK(executed == hand);
    // Counting does not change the arithmetic.
    std::vector<float> plain(2);
    net.infer(kTinyInput, 2, plain);
    CHECK(plain == logits);
  }
}

TEST_CASE("CPU baseline: the closed-form counts equal the executed ones on the trained network") {
  const LstmWeights w =
      models::read_lstm_weights((kSource / "models/weights/mnist_row_modified.h5").string());
  CpuLstm net(w, CpuImplementation::kStraightforward);
  std::vector<float> logits(10);
  CpuOpCounts executed;
  net.infer_counted(w.reference_inputs.data(), w.reference_steps, logits, executed);
  CHECK(executed == count_lstm_ops(w, w.reference_steps));
  // 28 steps x 512 rows x 156 + 10 x 128.
  CHECK(executed.mac == 28u * 512u * 156u + 1280u);
}

TEST_CASE("CPU baseline: both implementations predict what PyTorch predicts (committed weights)") {
  // Tolerance 1e-4 absolute on the logits, as for the reference forward pass (models/): the
  // implementations differ from PyTorch only in float32 summation order (and OpenBLAS's fused
  // multiply-adds).
  for (const std::string file :
       {"models/weights/mnist_row_modified.h5", "models/weights/mnist_row_standard.h5",
        "tests/data/weights/mnist_row_modified_keras.h5"}) {
    CAPTURE(file);
    const LstmWeights w = models::read_lstm_weights((kSource / file).string());
    REQUIRE(w.reference_count > 0);
    for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned}) {
      CAPTURE(to_string(impl));
      CpuLstm net(w, impl);
      std::vector<float> logits(static_cast<std::size_t>(w.classes));
      const std::size_t per = static_cast<std::size_t>(w.reference_steps * w.input_size);
      for (int n = 0; n < w.reference_count; ++n) {
        const int p = net.infer(w.reference_inputs.data() + static_cast<std::size_t>(n) * per,
                                w.reference_steps, logits);
        const float* ref = w.reference_logits.data() + static_cast<std::size_t>(n * w.classes);
        CHECK(p == static_cast<int>(std::max_element(ref, ref + w.classes) - ref));
        for (int k = 0; k < w.classes; ++k)
          CHECK(std::abs(logits[static_cast<std::size_t>(k)] - ref[k]) < 1e-4);
      }
    }
  }
}

// The training script stores the test accuracy PyTorch measured on the same 2,000 digits
// (attribute test_accuracy): the baseline must reach exactly that, i.e. make the same
// predictions on the whole test split, not only on the 8 stored samples.
TEST_CASE("CPU baseline: accuracy on the test split equals PyTorch's (committed weights)") {
  const auto data = load_dataset("mnist", default_data_cache(), "test", SequenceLayout::kRow);
  REQUIRE(data.size() == 2000);
  {
    const std::string file = (kSource / "models/weights/mnist_row_modified.h5").string();
    const double pytorch = h5::open_file(file).double_attribute("test_accuracy");
    BaselineOptions o;
    o.warmup = 0;
    o.rapl = false;
    const BaselineResult r = run_cpu_baseline(models::read_lstm_weights(file), data, o);
    REQUIRE(r.implementations.size() == 2);
    CHECK(r.samples == 2000);
    CHECK(r.implementations[0].correct == static_cast<std::uint64_t>(std::lround(pytorch * 2000)));
    CHECK(r.implementations[1].correct == r.implementations[0].correct);
    CHECK(r.implementations_agree == 2000);
    CHECK(r.counts == count_lstm_ops(models::read_lstm_weights(file), 28));
  }
  {
    const std::string file = (kSource / "models/weights/mnist_row_standard.h5").string();
    const double pytorch = h5::open_file(file).double_attribute("test_accuracy");
    const LstmWeights w = models::read_lstm_weights(file);
    CpuLstm net(w, CpuImplementation::kTuned);
    std::vector<float> logits(10);
    std::uint64_t correct = 0;
    for (std::size_t i = 0; i < data.size(); ++i)
      correct += net.infer(data.values.data() + i * 28 * 28, 28, logits) == data.labels[i] ? 1 : 0;
    CHECK(correct == static_cast<std::uint64_t>(std::lround(pytorch * 2000)));
  }
}

TEST_CASE("CPU baseline: the tuned implementation computes what the straightforward one does") {
  for (const LstmCell cell : {LstmCell::kStandard, LstmCell::kModified}) {
    const LstmWeights w = tiny_lstm(cell);
    CpuLstm plain(w, CpuImplementation::kStraightforward);
    CpuLstm tuned(w, CpuImplementation::kTuned);
    std::vector<float> a(2), b(2);
    // Run twice: state must restart at every inference.
    for (int rep = 0; rep < 2; ++rep) {
      CHECK(plain.infer(kTinyInput, 2, a) == tuned.infer(kTinyInput, 2, b));
      CHECK(a[0] == doctest::Approx(b[0]).epsilon(1e-5));
      CHECK(a[1] == doctest::Approx(b[1]).epsilon(1e-5));
    }
  }
}

TEST_CASE("CPU profiles: the shipped files load with their sources' values") {
  const CpuProfile h = load_cpu_profile("horowitz45");
  CHECK(h.kind == CpuProfileKind::kOperations);
  CHECK(h.multiply_fj == 3'700);
  CHECK(h.add_fj == 900);
  CHECK(h.access_bits == 64);
  REQUIRE(h.caches.size() == 3);
  CHECK(h.caches[0].capacity_bytes == 8 * 1024);
  CHECK(h.caches[0].access_fj == 10'000);
  CHECK(h.caches[2].capacity_bytes == 1024 * 1024);
  CHECK(h.caches[2].access_fj == 100'000);
  CHECK(h.dram_access_fj == 1'300'000);
  const CpuProfile s = load_cpu_profile("system_i7");
  CHECK(s.kind == CpuProfileKind::kSystem);
  CHECK(s.synop_fj == 8'600'000);
  CHECK(cpu_profiles() == std::vector<std::string>{"horowitz45", "system_i7"});
  CHECK_THROWS_WITH_AS(load_cpu_profile("i9"), doctest::Contains("horowitz45, system_i7"),
                       InputError);
  CHECK_THROWS_WITH_AS(load_cpu_profile("/nonexistent/p.yaml"),
                       doctest::Contains("/nonexistent/p.yaml"), InputError);
}

TEST_CASE("CPU profiles: malformed files name the file, the line and the key") {
  {
    const auto t = mutated("  add_pj: 0.9", "  add_pj: 0.9\n  fused_pj: 4");
    const auto e = profile_error(t);
    CHECK(e.find("bad.yaml:" + std::to_string(line_of(t, "fused_pj"))) != std::string::npos);
    CHECK(e.find("fused_pj") != std::string::npos);
  }
  {
    const auto e = profile_error(mutated("  add_pj: 0.9", "  "));
    CHECK(e.find("bad.yaml") != std::string::npos);
    CHECK(e.find("add_pj") != std::string::npos);
  }
  {
    const auto t = mutated("multiply_pj: 3.7", "multiply_pj: -3.7");
    const auto e = profile_error(t);
    CHECK(e.find("bad.yaml:" + std::to_string(line_of(t, "multiply_pj")) +
                 ": operations.multiply_pj") != std::string::npos);
  }
  {
    const auto t = mutated("capacity_kib: 32", "capacity_kib: 4");
    const auto e = profile_error(t);
    CHECK(e.find("memory.caches[1].capacity_kib") != std::string::npos);
    CHECK(e.find("ascend") != std::string::npos);
  }
  {
    const auto e = profile_error(mutated("dram_access_pj: 1300", "dram_access_pj: 50"));
    CHECK(e.find("memory.dram_access_pj") != std::string::npos);
  }
  {
    const auto e = profile_error(mutated("kind: operations", "kind: gpu"));
    CHECK(e.find("kind") != std::string::npos);
    CHECK(e.find("gpu") != std::string::npos);
  }
  {
    const auto e = profile_error(mutated(
        "kind: operations", "kind: operations\nsystem: {synop_pj: 1, neuron_update_pj: 1}"));
    CHECK(e.find("system") != std::string::npos);
    CHECK(e.find("not allowed") != std::string::npos);
  }
  CHECK(profile_error("name: [").find("bad.yaml") != std::string::npos);
  // The shipped file itself parses (the mutations above are the only problems).
  CHECK(profile_error(horowitz_text()) == "(no error)");
}

TEST_CASE("CPU energy from the counts, by hand (tiny LSTM)") {
  const CpuProfile h = load_cpu_profile("horowitz45");
  // Weights (320 B working set) and activations (96 B) both fit the 8 KiB SRAM: 10 pJ per
  // 64-bit access. Modified cell: 126 MACs x 4.6 + 50 adds x 0.9 + 48 mul x 3.7 + 73 cmp x 0.9
  // + (608 / 8) x 10 + ((180 + 152) / 8) x 10 = 579.6 + 45 + 177.6 + 65.7 + 760 + 415 pJ.
  const CpuEnergy m = cpu_energy(h, tiny_hand_counts(LstmCell::kModified));
  CHECK(m.total_fj == doctest::Approx(2'042'900.0));
  // Standard cell: 579.6 + 32 x 0.9 + 18 x 3.7 + 1 x 0.9 + 30 sigmoid/tanh x 46 + 1175.
  const CpuEnergy s = cpu_energy(h, tiny_hand_counts(LstmCell::kStandard));
  CHECK(s.total_fj == doctest::Approx(3'230'900.0));
  // System level: (126 synops + 32 neuron updates) x 8.6 nJ.
  const CpuEnergy sys =
      cpu_energy(load_cpu_profile("system_i7"), tiny_hand_counts(LstmCell::kModified));
  CHECK(sys.total_fj == doctest::Approx(158.0 * 8'600'000.0));
  // The memory level follows the working set: 319 KiB of weights come from the 1 MiB SRAM, more
  // than the largest cache from DRAM.
  CHECK(memory_level_for(h, 326'696).access_fj == 100'000);
  CHECK(memory_level_for(h, 2u << 20).name == "DRAM");
  CHECK(memory_level_for(h, 8 * 1024).access_fj == 10'000);
  CHECK(memory_level_for(h, 8 * 1024 + 1).access_fj == 20'000);
}

TEST_CASE("RAPL: unavailable counters say why, wraparound, the idle-then-run protocol") {
  const TempDir tmp("rapl");
  const fs::path none = tmp / "no-powercap";
  const RaplProbe missing = probe_rapl(none);
  CHECK_FALSE(missing.available());
  CHECK(missing.unavailable.find(none.string()) != std::string::npos);
  const auto m = measure_rapl(missing, 0.01, 0.01, 1, [] {});
  CHECK_FALSE(m.available);
  CHECK(m.unavailable == missing.unavailable);

  // Only psys and sub-zones: no package.
  const TempDir other_dir("psys");
  const fs::path& other = other_dir.path;
  fake_zone(other, "intel-rapl:0", "psys", 5, 100);
  fake_zone(other, "intel-rapl:1:0", "package-0", 5, 100);
  CHECK(probe_rapl(other).unavailable.find("no RAPL package zone") != std::string::npos);

  CHECK(rapl_delta_uj(100, 250, 1000) == 150);
  CHECK(rapl_delta_uj(900, 50, 1000) == 150);  // wrapped: 100 to the top, then 50

  // A counter that advances by 1000 uJ per inference and not at all while idle (a fake, so the
  // numbers are exact): 1000 uJ = 1 mJ per inference whatever the timing. It starts near the top
  // of its range so that the run window wraps.
  const TempDir root_dir("powercap");
  const fs::path& root = root_dir.path;
  const std::uint64_t max_range = 262'143'328'850;
  fake_zone(root, "intel-rapl:0", "package-0", max_range - 2'500, max_range);
  fake_zone(root, "intel-rapl:0:0", "core", 0, max_range);  // a sub-zone: ignored
  const RaplProbe probe = probe_rapl(root);
  REQUIRE(probe.available());
  REQUIRE(probe.packages.size() == 1);
  std::uint64_t value = max_range - 2'500;
  const auto r = measure_rapl(probe, 0.01, 0.01, 5, [&] {
    value = (value + 1000) % max_range;
    write_text(root / "intel-rapl:0" / "energy_uj", std::to_string(value) + "\n");
  });
  REQUIRE(r.available);
  CHECK(r.inferences >= 5);
  CHECK(r.idle_joules == 0.0);
  CHECK(r.run_joules == doctest::Approx(1e-3 * static_cast<double>(r.inferences)));
  CHECK(r.joules_per_inference() == doctest::Approx(1e-3));

  // A counter that never moves is reported, not turned into 0 J.
  const auto frozen = measure_rapl(probe, 0.01, 0.01, 1, [] {});
  CHECK_FALSE(frozen.available);
  CHECK(frozen.unavailable.find("did not advance") != std::string::npos);
}

TEST_CASE("loihisim baseline and compare: reports, the table and bad input") {
  const TempDir tmp("baseline_cli");
  const fs::path& dir = tmp.path;
  const std::string weights = (kSource / "models/weights/mnist_row_modified.h5").string();
  const std::string base = (dir / "base.yaml").string();
  std::string out;
  REQUIRE(run_cli("baseline " + weights + " --samples 20 --warmup 2 --rapl off --report " + base,
                  &out) == 0);
  CHECK(out.find("RAPL): not attempted") != std::string::npos);
  const std::string report = read_text(base);
  CHECK(report.find("multiply_accumulates: " + std::to_string(28u * 512u * 156u + 1280u)) !=
        std::string::npos);
  CHECK(report.find("samples: 20") != std::string::npos);
  // The default (auto) on a machine without RAPL says so and gives no number.
  const fs::path no_rapl = dir / "no-powercap";
  REQUIRE(run_cli("baseline " + weights + " --samples 5 --warmup 0 --json --powercap " +
                      no_rapl.string(),
                  &out) == 0);
  CHECK(out.find("\"available\": false") != std::string::npos);
  CHECK(out.find(no_rapl.string() + " does not exist") != std::string::npos);
  CHECK(out.find("energy_per_inference_pJ") == std::string::npos);

  const std::string run = (dir / "run.json").string();
  REQUIRE(run_cli("run " + (kSource / "examples/run/tiny.model.yaml").string() +
                      " --quiet --report " + run,
                  &out) == 0);
  REQUIRE(run_cli("compare " + run + " " + base + " --report " + (dir / "cmp.json").string(),
                  &out) == 0);
  CHECK(out.find("horowitz45") != std::string::npos);
  CHECK(out.find("system_i7") != std::string::npos);
  CHECK(out.find("batch size 1") != std::string::npos);
  CHECK(out.find("RAPL package, measured") != std::string::npos);
  CHECK(out.find("WARNING: the two reports use different datasets") != std::string::npos);
  // The ratio is the CPU energy over chip active + host, from the two files.
  const ChipSummary chip = read_run_summary(run);
  const CpuSummary cpu = read_baseline_summary(base);
  REQUIRE(cpu.profiles.size() == 2);
  const double ratio = cpu.profiles[0].energy_pj / (chip.chip_active_pj + chip.host_pj);
  const auto j = compare_summary(chip, cpu);
  CHECK(j["cpu"]["rows"][0]["ratio_to_active"].get<double>() == doctest::Approx(ratio));
  CHECK(read_text(dir / "cmp.json").find("ratio_to_total") != std::string::npos);

  // Bad input: each names the file and the problem, exit status 2, no report written.
  CHECK(run_cli("baseline /nonexistent/w.h5", &out) == 2);
  CHECK(out.find("/nonexistent/w.h5") != std::string::npos);
  CHECK(run_cli("baseline " + weights + " --layout pixel --samples 2", &out) == 2);
  CHECK(out.find("input size is 28") != std::string::npos);
  CHECK(run_cli("baseline " + weights + " --profile /nonexistent/p.yaml", &out) == 2);
  CHECK(out.find("/nonexistent/p.yaml") != std::string::npos);
  write_text(dir / "broken.yaml", "report: cpu_baseline\nweights: {file: w.h5}\n");
  CHECK(run_cli("compare " + run + " " + (dir / "broken.yaml").string(), &out) == 2);
  CHECK(out.find("broken.yaml") != std::string::npos);
  CHECK(out.find("weights: missing key 'cell'") != std::string::npos);
  // A run report with a value of the wrong type or a missing key: the file and the key path.
  {
    Summary bad = read_summary(run);
    bad["per_inference"]["latency_ns"] = "fast";
    write_summary(bad, dir / "typed.json");
    CHECK_THROWS_WITH_AS(read_run_summary(dir / "typed.json"),
                         doctest::Contains("typed.json: per_inference.latency_ns: expected a "
                                           "number, found the string \"fast\""),
                         InputError);
    bad["per_inference"].erase("latency_ns");
    write_summary(bad, dir / "missing.yaml");
    CHECK_THROWS_WITH_AS(read_run_summary(dir / "missing.yaml"),
                         doctest::Contains("missing.yaml: per_inference: missing key 'latency_ns'"),
                         InputError);
  }
  // Values out of their range: a negative energy, an accuracy above 100 %, a total energy below
  // the active energy, a negative CPU energy; compare refuses them and writes nothing.
  {
    const auto refused = [&](Summary doc, const std::string& name, const std::string& expect,
                             bool is_run) {
      write_summary(doc, dir / name);
      const std::string a = is_run ? (dir / name).string() : run;
      const std::string b = is_run ? base : (dir / name).string();
      std::string o;
      CHECK(run_cli("compare " + a + " " + b + " --report " + (dir / "cmp3.json").string(), &o) ==
            2);
      CHECK_MESSAGE(o.find(expect) != std::string::npos, o);
      CHECK(o.find(name) != std::string::npos);
      CHECK_FALSE(fs::exists(dir / "cmp3.json"));
    };
    Summary r = read_summary(run);
    r["per_inference"]["chip_active_energy_pJ"] = -3.0;
    refused(r, "negative.json", "chip_active_energy_pJ: -3 is negative", true);
    r = read_summary(run);
    r["accuracy"]["fraction"] = 1.5;
    refused(r, "accuracy.json", "accuracy.fraction: 1.5 is outside 0..1", true);
    r = read_summary(run);
    r["per_inference"]["chip_total_energy_pJ"] = 1.0;
    refused(r, "total.json", "is less than chip_active_energy_pJ", true);
    Summary c = read_summary(base);
    c["energy_per_inference"][0]["energy_pJ"] = -1e300;
    refused(c, "cpu_negative.json", "energy_per_inference[0].energy_pJ: -1e+300 is negative",
            false);
  }
  // A baseline report is not a run report.
  CHECK(run_cli("compare " + base + " " + base + " --report " + (dir / "cmp2.json").string(),
                &out) == 2);
  CHECK(out.find("base.yaml") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "cmp2.json"));
}

TEST_CASE("compare: each CPU row's level, and the board ratios when the run has a board level") {
  ChipSummary chip;
  chip.model = "m";
  chip.architecture = "loihi1-board";
  chip.dataset = "d";
  chip.samples = 10;
  chip.chip_active_pj = 90;
  chip.chip_total_pj = 400;
  chip.host_pj = 10;
  chip.latency_ns = 1000;
  CpuSummary cpu;
  cpu.dataset = "d";
  cpu.profiles = {{"horowitz45", "operations", 50}, {"system_i7", "system", 2000}};
  cpu.rapl_available = true;
  cpu.rapl_energy_pj = 3000;
  cpu.rapl_note = "measured";
  Summary j = compare_summary(chip, cpu);
  const auto& rows = j["cpu"]["rows"];
  REQUIRE(rows.size() == 3);
  CHECK(rows[0]["level"] == "chip");
  CHECK(rows[1]["level"] == "board");
  CHECK(rows[2]["level"] == "board");
  CHECK_FALSE(rows[1].contains("ratio_to_board_dynamic"));
  CHECK(j["published"]["level"] == "board");
  CHECK(compare_text(chip, cpu).find("not like for like") != std::string::npos);
  // With a board level: CPU / (board + host), beside the chip ratios, which do not change.
  chip.has_board = true;
  chip.board_dynamic_pj = 990;  // + host 10 = 1000
  chip.board_total_pj = 1990;   // + host 10 = 2000
  chip.board_latency_ns = 5000;
  j = compare_summary(chip, cpu);
  const auto& b = j["cpu"]["rows"];
  CHECK(b[1]["ratio_to_active"].get<double>() == doctest::Approx(20.0));  // 2000 / (90 + 10)
  CHECK(b[1]["ratio_to_board_dynamic"].get<double>() == doctest::Approx(2.0));
  CHECK(b[1]["ratio_to_board_total"].get<double>() == doctest::Approx(1.0));
  CHECK(b[2]["ratio_to_board_dynamic"].get<double>() == doctest::Approx(3.0));
  CHECK(j["neuromorphic"]["board"]["dynamic_with_host_energy_pJ"].get<double>() ==
        doctest::Approx(1000.0));
  const std::string text = compare_text(chip, cpu);
  CHECK(text.find("board dynamic") != std::string::npos);
  // The board rows: system_i7 at 2x board dynamic and 1x board total, under the levels note.
  const auto board_rows = text.find("CPU/board dyn");
  REQUIRE(board_rows != std::string::npos);
  const auto row = text.find("system_i7", board_rows);
  const std::string line = text.substr(row, text.find('\n', row) - row);
  CHECK(line.find(" 2x ") != std::string::npos);
  CHECK(line.back() == 'x');
  CHECK(line.find(" 1x") != std::string::npos);
  CHECK(text.find("board level [9]") != std::string::npos);  // notes [9]: the levels
  CHECK(text.find("not like for like") == std::string::npos);
}

TEST_CASE("compare refuses a run report whose board level is below the chip's") {
  const TempDir tmp("compare_board");
  const fs::path& dir = tmp.path;
  std::string out;
  const std::string run = (dir / "run.json").string();
  REQUIRE(run_cli("run " + (kSource / "examples/run/tiny.model.yaml").string() +
                      " --arch loihi1-board --quiet --report " + run,
                  &out) == 0);
  CHECK(read_run_summary(run).has_board);
  Summary bad = read_summary(run);
  bad["board"]["per_inference"]["dynamic_pJ"] = 0.0;
  write_summary(bad, dir / "low.json");
  CHECK_THROWS_WITH_AS(read_run_summary(dir / "low.json"),
                       doctest::Contains("low.json: board.per_inference.dynamic_pJ: 0 is less "
                                         "than the chip's active energy"),
                       InputError);
}
