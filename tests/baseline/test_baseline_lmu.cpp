// The CPU baseline of the LMU (baseline/cpu_lmu, `loihisim baseline` on a tools/train_lmu.py
// file): operation counts of a tiny LMU by hand, both implementations against a float64 forward
// pass and against the logits PyTorch stored in the committed files, the dataset in the file's
// pixel order, the report and `compare`, and refused files.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "baseline/baseline_report.hpp"
#include "baseline/cpu_baseline.hpp"
#include "baseline/cpu_lmu.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "io/summary_file.hpp"
#include "models/lmu_weights.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using models::LmuWeights;
using Activation = models::LmuWeights::Activation;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;
const std::string kRowFile = (kSource / "models/weights/lmu_row_ann_continued.h5").string();
const std::string kPsmnistFile = (kSource / "models/weights/lmu_psmnist_ann_continued.h5").string();

using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

std::vector<double> pattern(std::size_t n, int seed) {
  std::vector<double> v(n);
  for (std::size_t k = 0; k < n; ++k)
    v[k] = 0.15 *
           static_cast<double>(static_cast<int>((k * 7 + static_cast<std::size_t>(seed)) % 11) - 5);
  return v;
}

// A tiny LMU: I = 2, d = 3, H = 4, C = 2, fixed small weights (they matter for the results, not
// for the counts).
LmuWeights tiny_lmu(Activation a) {
  LmuWeights w;
  w.file = "tiny";
  w.inputs = 2;
  w.d = 3;
  w.hidden = 4;
  w.classes = 2;
  w.activation = a;
  w.e_x = pattern(2, 1);
  w.a_bar = pattern(9, 2);
  w.b_bar = pattern(3, 3);
  w.w_x = pattern(8, 4);
  w.w_m = pattern(12, 5);
  w.w_h = pattern(16, 6);
  w.bias = pattern(4, 7);
  w.w_o = pattern(8, 8);
  w.b_o = pattern(2, 9);
  return w;
}

// Hand counts for the tiny LMU over 2 steps (I = 2, d = 3, H = 4, C = 2). Per step: u = e_x . x
// (2 MACs), m = A_bar m + B_bar u (3 rows of 3 + 1 = 12 MACs), z = W_x x + W_m m + W_h h + b
// (4 rows of 2 + 3 + 4 = 9 MACs and one bias add), h = f(z) (4 units):
// - MACs: 2 x (2 + 12 + 36) + readout 2 x 4 = 108;
// - adds: 2 x 4 biases + 2 readout biases = 10; multiplies: 0;
// - compares: argmax 1, plus 2 x 4 units x (crelu 2, relu 1, tanh 0) = 17 / 9 / 1;
// - nonlinearities 8 (tanh: all 8 transcendental), neuron updates 8 + 2 = 10;
// - weight bytes: per step e_x 2, A_bar 9, B_bar 3, W 4 x 9, b 4 = 54 floats, twice, then W_o and
//   b_o 10: 118 x 4 = 472; working set (54 + 10) x 4 = 256;
// - activation bytes read: per step x (u) 2, m 3 and u 1 (memory), x 2, m 3, h 4 (z), z 4 (f) =
//   19 floats, twice, then h 4 (readout) and the 2 logits (argmax): 44 x 4 = 176;
// - written: per step u 1, m 3, z 4, h 4 = 12, twice, then the 2 logits: 26 x 4 = 104;
// - activation working set: input 2 x 2, u 1, m twice 6, z 4, h 4, logits 2: 21 x 4 = 84.
CpuOpCounts tiny_hand_counts(Activation a) {
  CpuOpCounts n;
  n.mac = 108;
  n.add = 10;
  n.mul = 0;
  n.cmp = a == Activation::kCrelu ? 17 : a == Activation::kRelu ? 9 : 1;
  n.nonlinearity = 8;
  n.transcendental = a == Activation::kTanh ? 8 : 0;
  n.neuron_updates = 10;
  n.weight_bytes_read = 472;
  n.activation_bytes_read = 176;
  n.activation_bytes_written = 104;
  n.weight_working_set_bytes = 256;
  n.activation_working_set_bytes = 84;
  return n;
}

const float kTinyInput[4] = {0.5f, -1.0f, 0.25f, 0.75f};  // 2 steps x 2 inputs

// The network of docs/hybrid-lmu.md in float64, written independently of baseline/cpu_lmu.cpp.
std::vector<double> forward_double(const LmuWeights& w, const float* seq, int steps) {
  const auto I = static_cast<std::size_t>(w.inputs), D = static_cast<std::size_t>(w.d),
             H = static_cast<std::size_t>(w.hidden), C = static_cast<std::size_t>(w.classes);
  std::vector<double> m(D, 0.0), h(H, 0.0);
  for (int t = 0; t < steps; ++t) {
    const float* x = seq + static_cast<std::size_t>(t) * I;
    double u = 0;
    for (std::size_t k = 0; k < I; ++k) u += w.e_x[k] * x[k];
    std::vector<double> mn(D);
    for (std::size_t i = 0; i < D; ++i) {
      mn[i] = w.b_bar[i] * u;
      for (std::size_t j = 0; j < D; ++j) mn[i] += w.a_bar[i * D + j] * m[j];
    }
    m = mn;
    std::vector<double> hn(H);
    for (std::size_t r = 0; r < H; ++r) {
      double z = w.bias[r];
      for (std::size_t k = 0; k < I; ++k) z += w.w_x[r * I + k] * x[k];
      for (std::size_t k = 0; k < D; ++k) z += w.w_m[r * D + k] * m[k];
      for (std::size_t k = 0; k < H; ++k) z += w.w_h[r * H + k] * h[k];
      hn[r] = w.activation == Activation::kCrelu  ? std::clamp(z, 0.0, 1.0)
              : w.activation == Activation::kRelu ? std::max(z, 0.0)
                                                  : std::tanh(z);
    }
    h = hn;
  }
  std::vector<double> logits(C);
  for (std::size_t c = 0; c < C; ++c) {
    logits[c] = w.b_o[c];
    for (std::size_t k = 0; k < H; ++k) logits[c] += w.w_o[c * H + k] * h[k];
  }
  return logits;
}

}  // namespace

TEST_CASE("LMU baseline: operation counts of a tiny LMU by hand, every activation") {
  for (const Activation a : {Activation::kCrelu, Activation::kRelu, Activation::kTanh}) {
    CAPTURE(std::string(lmu_activation_name(a)));
    const LmuWeights w = tiny_lmu(a);
    const CpuOpCounts hand = tiny_hand_counts(a);
    CHECK(count_lmu_ops(w, 2) == hand);
    CpuLmu net(w, CpuImplementation::kStraightforward);
    std::vector<float> logits(2);
    CpuOpCounts executed;
    net.infer_counted(kTinyInput, 2, logits, executed);
    CHECK(executed.mac == hand.mac);
    CHECK(executed.add == hand.add);
    CHECK(executed.cmp == hand.cmp);
    CHECK(executed.transcendental == hand.transcendental);
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

TEST_CASE("LMU baseline: both implementations compute the network's float64 forward pass") {
  for (const Activation a : {Activation::kCrelu, Activation::kRelu, Activation::kTanh}) {
    CAPTURE(std::string(lmu_activation_name(a)));
    const LmuWeights w = tiny_lmu(a);
    const std::vector<double> expect = forward_double(w, kTinyInput, 2);
    for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned}) {
      CAPTURE(std::string(to_string(impl)));
      CpuLmu net(w, impl);
      std::vector<float> logits(2);
      // Twice: the memory and the hidden state restart at every inference.
      for (int rep = 0; rep < 2; ++rep) {
        const int p = net.infer(kTinyInput, 2, logits);
        CHECK(p == (expect[1] > expect[0] ? 1 : 0));
        CHECK(logits[0] == doctest::Approx(expect[0]).epsilon(1e-5));
        CHECK(logits[1] == doctest::Approx(expect[1]).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("LMU baseline: the closed-form counts equal the executed ones on the trained networks") {
  // Row-wise: T 28, I 28, d 8, H 128, C 10: 28 x (28 + 8 x 9 + 128 x 164) + 1280 MACs.
  // psMNIST: T 784, I 1, d 256, H 212: 784 x (1 + 256 x 257 + 212 x 469) + 2120.
  const std::pair<std::string, std::uint64_t> files[] = {
      {kRowFile, 28u * (28u + 72u + 128u * 164u) + 1280u},
      {kPsmnistFile, 784ull * (1u + 256u * 257u + 212u * 469u) + 2120u}};
  for (const auto& entry : files) {
    // No structured binding: clang 14 cannot capture one in doctest's CAPTURE.
    const std::string& file = entry.first;
    const std::uint64_t macs = entry.second;
    CAPTURE(file);
    const LmuWeights w = models::read_lmu_weights(file);
    const LmuReference ref = read_lmu_reference(w);
    REQUIRE(ref.count == 8);
    CpuLmu net(w, CpuImplementation::kStraightforward);
    std::vector<float> logits(10);
    CpuOpCounts executed;
    net.infer_counted(ref.inputs.data(), ref.steps, logits, executed);
    CHECK(executed == count_lmu_ops(w, ref.steps));
    CHECK(executed.mac == macs);
    CHECK(executed.synops() == macs);
  }
}

TEST_CASE("LMU baseline: both implementations reproduce PyTorch's stored logits") {
  // /reference/logits_float: the float network on the first 8 test sequences, computed by
  // tools/train_lmu.py in float32 (PyTorch's summation order; psMNIST over 784 steps of the
  // 256-dimensional memory). Measured: at most 2.1e-5 on logits of magnitude ~10; required: 1e-4
  // absolute, as for the LSTM, and the same class every time (leaving out B_bar u, or using the
  // transpose of A_bar, moves them by far more).
  for (const std::string& file : {kRowFile, kPsmnistFile}) {
    CAPTURE(file);
    const LmuWeights w = models::read_lmu_weights(file);
    const LmuReference ref = read_lmu_reference(w);
    REQUIRE(ref.count == 8);
    REQUIRE(ref.steps == (w.layout == "row" ? 28 : 784));
    for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned}) {
      CAPTURE(std::string(to_string(impl)));
      CpuLmu net(w, impl);
      std::vector<float> logits(10);
      const auto per = static_cast<std::size_t>(ref.steps) * static_cast<std::size_t>(w.inputs);
      double worst = 0;
      for (int n = 0; n < ref.count; ++n) {
        const int p =
            net.infer(ref.inputs.data() + static_cast<std::size_t>(n) * per, ref.steps, logits);
        const float* stored = ref.logits.data() + static_cast<std::size_t>(n) * 10;
        CHECK(p == static_cast<int>(std::max_element(stored, stored + 10) - stored));
        for (std::size_t k = 0; k < 10; ++k)
          worst = std::max(worst, static_cast<double>(std::abs(logits[k] - stored[k])));
      }
      INFO("max |logit - PyTorch's| = " << worst);
      CHECK(worst < 1e-4);
    }
  }
}

TEST_CASE("LMU baseline: the dataset comes in the file's pixel order (psMNIST) and scaling") {
  for (const std::string& file : {kRowFile, kPsmnistFile}) {
    CAPTURE(file);
    const LmuWeights w = models::read_lmu_weights(file);
    const LmuReference ref = read_lmu_reference(w);
    const DatasetSpec spec = lmu_dataset_spec(w, ref, "", "", "test");
    CHECK(spec.name == "mnist");
    CHECK(spec.permutation_seed == (w.layout == "pixel" ? 1 : -1));
    const SequenceDataset data = load_dataset(spec, default_data_cache());
    REQUIRE(data.size() == 2000);
    REQUIRE(data.symbol_size == w.inputs);
    REQUIRE(data.num_symbols == ref.steps);
    // The stored reference inputs are the first 8 test sequences as the network saw them.
    const std::size_t values = static_cast<std::size_t>(ref.count) * ref.steps * w.inputs;
    CHECK(std::equal(ref.inputs.begin(), ref.inputs.begin() + static_cast<long>(values),
                     data.values.begin()));
  }
  // A stored order the seed does not reproduce is refused, not silently replaced.
  const LmuWeights w = models::read_lmu_weights(kPsmnistFile);
  LmuReference ref = read_lmu_reference(w);
  REQUIRE(ref.permutation.size() == 784);
  std::swap(ref.permutation[0], ref.permutation[1]);
  CHECK_THROWS_WITH_AS(lmu_dataset_spec(w, ref, "", "", "test"),
                       doctest::Contains("/permutation: 784 values that are not "
                                         "pixel_permutation(784, permutation_seed = 1)"),
                       InputError);
}

// The file states its float network's accuracy on the 2,000 test digits: the baseline must reach
// exactly that (the same predictions on the whole test split, not only on the 8 stored ones).
TEST_CASE("LMU baseline: accuracy on the test split equals the training script's (row-wise)") {
  const LmuWeights w = models::read_lmu_weights(kRowFile);
  const LmuReference ref = read_lmu_reference(w);
  REQUIRE(ref.float_accuracy > 0.9);
  const SequenceDataset data =
      load_dataset(lmu_dataset_spec(w, ref, "", "", "test"), default_data_cache());
  BaselineOptions o;
  o.warmup = 0;
  o.rapl = false;
  const BaselineResult r = run_cpu_baseline(w, ref, data, o);
  REQUIRE(r.implementations.size() == 2);
  CHECK(r.model == BaselineModel::kLmu);
  CHECK(r.samples == 2000);
  CHECK(r.implementations[0].correct ==
        static_cast<std::uint64_t>(std::lround(ref.float_accuracy * 2000)));
  CHECK(r.implementations[1].correct == r.implementations[0].correct);
  CHECK(r.implementations_agree == 2000);
  CHECK(r.counts == count_lmu_ops(w, 28));
  for (const auto& i : r.implementations) {
    CHECK(i.reference_samples == 8);
    CHECK(i.reference_argmax_agree == 8);
    CHECK(i.reference_max_abs_diff < 1e-4);
  }
}

TEST_CASE("loihisim baseline on an LMU file: the report, compare, refused files") {
  const TempDir tmp("baseline_lmu_cli");
  const fs::path& dir = tmp.path;
  const std::string base = (dir / "base.yaml").string();
  std::string out;
  REQUIRE(run_cli("baseline " + kRowFile + " --samples 20 --warmup 2 --rapl off --report " + base,
                  &out) == 0);
  CHECK(out.find("(LMU, d 8, hidden 128, relu, input 28, classes 10; float accuracy in the file "
                 "95.60 %)") != std::string::npos);
  CHECK(out.find("vs PyTorch's stored logits: 8/8 same class") != std::string::npos);
  const Summary j = read_summary(base);
  CHECK(j["report"] == "cpu_baseline");
  CHECK(j["weights"]["model"] == "lmu");
  CHECK(j["weights"]["memory_size"] == 8);
  CHECK(j["weights"]["hidden_size"] == 128);
  CHECK(j["weights"]["activation"] == "relu");
  CHECK(j["samples"] == 20);
  CHECK(j["dataset"] == "mnist/test/row");
  CHECK(j["counts_per_inference"]["multiply_accumulates"] == 591'856);
  CHECK(j["energy_per_inference"].size() == 2);
  CHECK(j["rapl"]["available"] == false);

  // compare reads it beside a run report.
  const std::string run = (dir / "run.json").string();
  REQUIRE(run_cli("run " + (kSource / "examples/run/tiny.model.yaml").string() +
                      " --quiet --report " + run,
                  &out) == 0);
  REQUIRE(run_cli("compare " + run + " " + base, &out) == 0);
  CHECK(out.find("original network (LMU, d 8, H 128, relu)") != std::string::npos);
  CHECK(out.find("system_i7") != std::string::npos);
  const CpuSummary cpu = read_baseline_summary(base);
  CHECK(cpu.model == "lmu");
  CHECK(cpu.synops == 591'856);

  // Refused: an HDF5 file holding neither network, and malformed LMU files; exit status 2, the
  // file and the object named, no report written.
  const std::string report = (dir / "refused.yaml").string();
  const auto refused = [&](const fs::path& file, const std::string& expect) {
    std::string o;
    CHECK(run_cli("baseline " + file.string() + " --rapl off --report " + report, &o) == 2);
    CHECK_MESSAGE(o.find(expect) != std::string::npos, o);
    CHECK(o.find(file.string()) != std::string::npos);
    CHECK_FALSE(fs::exists(report));
  };
  {
    h5::Group g = h5::create_file((dir / "other.h5").string());
    g.create_group("weights").write("w", std::vector<float>{1.0f, 2.0f});
  }
  refused(dir / "other.h5", "neither an LSTM weight file");
  {
    h5::Group g = h5::create_file((dir / "no_readout.h5").string());
    g.create_group("lmu").write("W_m", std::vector<float>(12, 0.5f), {4, 3});
  }
  refused(dir / "no_readout.h5", "/readout: missing: a group lmu/ without readout/");
  {
    h5::Group g = h5::create_file((dir / "bad_a.h5").string());
    h5::Group lmu = g.create_group("lmu");
    lmu.write("W_m", std::vector<float>(12, 0.5f), {4, 3});
    lmu.write("W_x", std::vector<float>(8, 0.5f), {4, 2});
    lmu.write("e_x", std::vector<float>(2, 1.0f), {2});
    lmu.write("A_bar", std::vector<double>(6, 0.1), {3, 2});
    g.create_group("readout").write("weight", std::vector<float>(8, 0.5f), {2, 4});
  }
  refused(dir / "bad_a.h5", "A_bar: has shape [3 x 2], expected [3 x 3]");
}
