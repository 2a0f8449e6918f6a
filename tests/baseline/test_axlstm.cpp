// AxLSTM's DTS and DSR on the CPU baseline (baseline/cpu_axlstm, CpuLstm::set_dts): tau = 0 and
// DSR k = N equal the full model bit for bit, tau = 1 skips every symbol after the first with the
// counts by hand, a restricted network equals the full one with the other cells held at zero, the
// counts of a reduced run by hand, the importance order, and bad option values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "baseline/cpu_axlstm.hpp"
#include "baseline/cpu_baseline.hpp"
#include "io/errors.hpp"
#include "models/lstm_weights.hpp"
#include "tests/support/cli.hpp"

using namespace loihisim;
using models::LstmCell;
using models::LstmWeights;

namespace {

constexpr int kI = 4, kH = 8, kC = 3, kT = 6;

LstmWeights random_lstm(LstmCell cell, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  auto fill = [&](std::size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
  };
  LstmWeights w;
  w.file = "random";
  w.cell = cell;
  w.input_size = kI;
  w.hidden_size = kH;
  w.classes = kC;
  w.w_ih = fill(4 * kH * kI);
  w.w_hh = fill(4 * kH * kH);
  w.bias = fill(4 * kH);
  w.fc_weight = fill(kC * kH);
  w.fc_bias = fill(kC);
  return w;
}

// Inputs in [0, 1], about a third of them blank (0).
std::vector<float> random_sequence(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 1.0f);
  std::vector<float> v(kT * kI);
  for (auto& x : v) x = std::max(0.0f, u(rng));
  return v;
}

std::vector<float> logits_of(CpuLstm& net, const std::vector<float>& seq, int steps = kT) {
  std::vector<float> l(kC);
  net.infer(seq.data(), steps, l);
  return l;
}

const CpuImplementation kImpls[] = {CpuImplementation::kStraightforward, CpuImplementation::kTuned};
const LstmCell kCells[] = {LstmCell::kStandard, LstmCell::kModified};

}  // namespace

TEST_CASE("DTS: tau = 0 skips nothing and equals the full model bit for bit") {
  for (const LstmCell cell : kCells)
    for (const CpuImplementation impl : kImpls) {
      const LstmWeights w = random_lstm(cell, 7);
      const auto seq = random_sequence(11);
      CpuLstm full(w, impl), dts(w, impl);
      dts.set_dts(0.0);
      CHECK(logits_of(dts, seq) == logits_of(full, seq));
      CHECK(dts.last_skipped() == 0);
    }
}

// Per probed step (standard cell): the input gate's H rows (H (I + H) MACs, H bias adds, weights
// H (I + H + 1) floats), H sigmoids, the sum (H adds), the test (1 compare); x and h read, z_i
// read and i read for the sum (I + 3H floats), z_i and i written (2H). The modified cell's phi1
// adds 1 add, 1 multiply and 2 compares per unit instead of the sigmoid.
TEST_CASE("DTS: tau = 1 skips every symbol after the first, with the counts by hand") {
  for (const LstmCell cell : kCells) {
    const LstmWeights w = random_lstm(cell, 3);
    const auto seq = random_sequence(5);
    CpuLstm dts(w, CpuImplementation::kStraightforward), one(w, CpuImplementation::kTuned);
    dts.set_dts(1.0);
    std::vector<float> l(kC);
    CpuOpCounts n;
    dts.infer_counted(seq.data(), kT, l, n);
    CHECK(dts.last_skipped() == kT - 1);
    const bool mod = cell == LstmCell::kModified;
    CpuOpCounts e = count_lstm_ops(w, 1);  // the first symbol and the classifier
    const std::uint64_t p = kT - 1, h = kH, in = kI;
    e.mac += p * h * (in + h);
    e.add += p * (2 * h + (mod ? h : 0));
    e.mul += p * (mod ? h : 0);
    e.cmp += p * (1 + (mod ? 2 * h : 0));
    e.nonlinearity += p * h;
    e.transcendental += mod ? 0 : p * h;
    e.neuron_updates += p * h;
    e.weight_bytes_read += 4 * p * h * (in + h + 1);
    e.activation_bytes_read += 4 * p * (in + 3 * h);
    e.activation_bytes_written += 4 * p * 2 * h;
    e.weight_working_set_bytes = count_lstm_ops(w, kT).weight_working_set_bytes;
    e.activation_working_set_bytes = count_lstm_ops(w, kT).activation_working_set_bytes;
    CHECK(n == e);
    // Nothing after the first symbol changed the state: the logits of the first symbol alone.
    CpuLstm first(w, CpuImplementation::kStraightforward);
    CHECK(l == logits_of(first, seq, 1));
    one.set_dts(1.0);
    const auto tuned = logits_of(one, seq);
    CHECK(one.last_skipped() == kT - 1);
    for (int c = 0; c < kC; ++c)
      CHECK(tuned[static_cast<std::size_t>(c)] ==
            doctest::Approx(l[static_cast<std::size_t>(c)]).epsilon(1e-5));
  }
}

TEST_CASE("DSR: k = N equals the full model bit for bit, with and without DTS") {
  for (const LstmCell cell : kCells)
    for (const CpuImplementation impl : kImpls) {
      const LstmWeights w = random_lstm(cell, 13);
      const auto seq = random_sequence(17);
      AxlstmOptions o;
      o.dsr = parse_dsr_policy("fixed:8", kH);
      AxLstm ax(w, impl, o);
      CpuLstm full(w, impl);
      std::vector<float> l(kC);
      ax.infer(seq.data(), kT, l);
      CHECK(l == logits_of(full, seq));
      CHECK(ax.last_cells() == kH);
    }
}

// Cells outside the set held at zero: the full network with their g rows (weights and bias)
// zeroed keeps c = f 0 + i tanh(0) = 0 and h = 0 for them, and adds exact zeros elsewhere.
TEST_CASE("DSR: a restricted network is the full one with the other cells held at zero") {
  for (const LstmCell cell : kCells) {
    LstmWeights w = random_lstm(cell, 19);
    const auto seq = random_sequence(23);
    const std::vector<int> cells{1, 4, 6};
    const LstmWeights r = restrict_lstm(w, cells);
    REQUIRE(r.hidden_size == 3);
    for (int j = 0; j < kH; ++j) {
      if (j == 1 || j == 4 || j == 6) continue;
      const auto row = static_cast<std::size_t>(2 * kH + j);
      std::fill_n(w.w_ih.begin() + static_cast<std::ptrdiff_t>(row * kI), kI, 0.0f);
      std::fill_n(w.w_hh.begin() + static_cast<std::ptrdiff_t>(row * kH), kH, 0.0f);
      w.bias[row] = 0.0f;
    }
    CpuLstm small(r, CpuImplementation::kStraightforward),
        held(w, CpuImplementation::kStraightforward);
    CHECK(logits_of(small, seq) == logits_of(held, seq));
  }
}

// The counts of a reduced run on the random LSTM (I = 4, H = 8, C = 3, T = 6, standard cell),
// DSR fixed:3, by hand: MACs 6 steps x 12 rows x (4 + 3) + 3 x 3 = 513; adds 6 x (12 bias + 3
// cell) + 3 = 93; multiplies 6 x 3 x 3 = 54; compares argmax 2; nonlinearities 6 x 15 = 90.
// complexity:2:0.5 adds the measure: 24 compares + 2, 24 adds + 1, 2 multiplies, 24 floats read;
// the sequence's non-blank fraction q gives k = 2 + ceil(min(1, q / 0.5) x 6).
TEST_CASE("DSR: the counts of a reduced run, by hand") {
  const LstmWeights w = random_lstm(LstmCell::kStandard, 29);
  const auto seq = random_sequence(31);
  AxlstmOptions o;
  o.dsr = parse_dsr_policy("fixed:3", kH);
  AxLstm ax(w, CpuImplementation::kStraightforward, o);
  std::vector<float> l(kC);
  CpuOpCounts n;
  ax.infer_counted(seq.data(), kT, l, n);
  CHECK(n.mac == 513);
  CHECK(n.add == 93);
  CHECK(n.mul == 54);
  CHECK(n.cmp == 2);
  CHECK(n.nonlinearity == 90);
  CHECK(n.transcendental == 90);
  CHECK(n.weight_bytes_read == 4 * (6 * 12 * 8 + 3 * 4));

  int nonblank = 0;
  for (float v : seq) nonblank += v > 0.0f ? 1 : 0;
  const double q = nonblank / 24.0;
  const int k = 2 + static_cast<int>(std::ceil(std::min(1.0, q / 0.5) * 6));
  AxlstmOptions oc;
  oc.dsr = parse_dsr_policy("complexity:2:0.5", kH);
  AxLstm axc(w, CpuImplementation::kStraightforward, oc);
  CpuOpCounts nc;
  axc.infer_counted(seq.data(), kT, l, nc);
  CHECK(axc.last_cells() == k);
  const auto uk = static_cast<std::uint64_t>(k);
  CHECK(nc.mac == 6 * 4 * uk * (4 + uk) + 3 * uk);
  CHECK(nc.cmp == 2 + 24 + 2);
  CHECK(nc.add == 6 * 5 * uk + 3 + 24 + 1);
  CHECK(nc.mul == 6 * 3 * uk + 2);
}

TEST_CASE("DSR: the importance order, by hand") {
  LstmWeights w = random_lstm(LstmCell::kStandard, 37);
  w.hidden_size = 3;
  w.classes = 1;
  // Column sums of |W_fc| (1 x 3): 0.1, 0.5, 0.2; of |W_hh| (12 x 3): 1.2, 0, 3.6.
  w.fc_weight = {0.1f, -0.5f, 0.2f};
  w.w_hh.assign(12 * 3, 0.0f);
  for (std::size_t r = 0; r < 12; ++r) {
    w.w_hh[r * 3 + 0] = -0.1f;
    w.w_hh[r * 3 + 2] = 0.3f;
  }
  CHECK(dsr_importance_order(w) == std::vector<int>{2, 0, 1});
}

TEST_CASE("AxLSTM: bad option values are InputErrors naming the option and the range") {
  for (const char* bad : {"1.5", "-0.1", "abc", "", "0.5x"})
    CHECK_THROWS_WITH_AS(parse_dts_tau(bad), doctest::Contains("--dts-tau"), InputError);
  CHECK_THROWS_WITH_AS(parse_dts_tau("2"), doctest::Contains("[0, 1]"), InputError);
  for (const char* bad : {"fixed:0", "fixed:9", "fixed:", "fixed:-1", "complexity:2",
                          "complexity:0:0.5", "complexity:2:0", "complexity:2:1.5", "bogus"})
    CHECK_THROWS_WITH_AS(parse_dsr_policy(bad, kH), doctest::Contains("1 <= K <= 8"), InputError);
  CHECK(parse_dsr_policy("off", kH).kind == DsrPolicy::Kind::kOff);
  CHECK(to_string(parse_dsr_policy("complexity:2:0.25", kH)) == "complexity:2:0.25");
  const LstmWeights w = random_lstm(LstmCell::kStandard, 1);
  CpuLstm net(w, CpuImplementation::kTuned);
  CHECK_THROWS_WITH_AS(net.set_dts(-1.0), doctest::Contains("--dts-tau"), InputError);
}

TEST_CASE("loihisim baseline --dts-tau / --dsr: the report's axlstm and bad values") {
  const std::string weights =
      std::string(LOIHISIM_SOURCE_DIR) + "/models/weights/mnist_row_modified.h5";
  std::string out;
  REQUIRE(loihisim::testing::run_cli(
              "baseline " + weights + " --samples 10 --warmup 1 --rapl off --json", &out) == 0);
  CHECK(out.find("\"axlstm\"") == std::string::npos);  // off by default
  // k = N and tau = 0: nothing skipped, all the state, the full model's accuracy.
  REQUIRE(loihisim::testing::run_cli("baseline " + weights +
                                         " --samples 10 --warmup 1 --rapl off --json "
                                         "--dts-tau 0 --dsr fixed:128",
                                     &out) == 0);
  CHECK(out.find("\"symbols_skipped\": 0") != std::string::npos);
  CHECK(out.find("\"fraction_of_state\": 1.0") != std::string::npos);
  CHECK(loihisim::testing::run_cli("baseline " + weights + " --samples 2 --dsr fixed:129", &out) !=
        0);
  CHECK(out.find("--dsr fixed:129: expected off, fixed:K with 1 <= K <= 128") != std::string::npos);
  CHECK(loihisim::testing::run_cli("baseline " + weights + " --samples 2 --dts-tau 2", &out) != 0);
  CHECK(out.find("--dts-tau 2: expected a number in [0, 1]") != std::string::npos);
}
