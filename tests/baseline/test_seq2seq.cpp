// The CPU baseline's encoder-decoder (baseline/cpu_seq2seq, cpu_seq2seq_axlstm, seq2seq_run):
// the committed sort-digits models reproduce their files' greedy outputs and the standard one
// sorts every test string; the instrumented counts equal the closed form; DTS at tau 0 is the full
// model and at tau 1 skips every layer-step it may; a DSR-restricted model equals the full one with
// the other cells' rows zeroed; the complexity policy; the command line.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "baseline/cpu_seq2seq.hpp"
#include "baseline/cpu_seq2seq_axlstm.hpp"
#include "baseline/seq2seq_run.hpp"
#include "formats/seq2seq_weights.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/errors.hpp"
#include "tests/support/cli.hpp"

using namespace loihisim;

namespace {

constexpr int kH = 6, kLayers = 2;

std::string committed_model() {
  return std::string(LOIHISIM_SOURCE_DIR) + "/models/weights/seq2seq_sort_digits.h5";
}

Seq2SeqLayer random_layer(std::mt19937& rng, int inputs) {
  std::uniform_real_distribution<float> u(-0.8f, 0.8f);
  auto fill = [&](std::size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
  };
  Seq2SeqLayer l;
  l.input_size = inputs;
  l.w_ih = fill(static_cast<std::size_t>(4 * kH * inputs));
  l.w_hh = fill(4 * kH * kH);
  l.bias = fill(4 * kH);
  return l;
}

Seq2SeqWeights random_seq2seq(bool modified, unsigned seed) {
  std::mt19937 rng(seed);
  Seq2SeqWeights w;
  w.file = "random";
  w.modified = modified;
  w.layers = kLayers;
  w.hidden = kH;
  for (int k = 0; k < kLayers; ++k) {
    w.encoder.push_back(random_layer(rng, k == 0 ? 10 : kH));
    w.decoder.push_back(random_layer(rng, k == 0 ? 11 : kH));
  }
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  w.fc_weight.resize(11 * kH);
  w.fc_bias.resize(11);
  for (auto& x : w.fc_weight) x = u(rng);
  for (auto& x : w.fc_bias) x = u(rng);
  return w;
}

const std::vector<std::vector<int>> kSources = {{3}, {4, 1, 8, 2}, {9, 9, 0, 5, 7, 1, 2}};

}  // namespace

TEST_CASE("seq2seq baseline: the committed model's reference outputs and every test string") {
  const Seq2SeqWeights w = read_seq2seq_weights(committed_model());
  REQUIRE(w.reference_count == 8);
  BaselineOptions o;
  o.warmup = 1;
  o.rapl = false;
  const auto strings = sort_digits_split("test");
  o.samples = 40;  // the straightforward implementation is slow: 40 strings for both
  const Seq2SeqBaselineResult r = run_seq2seq_baseline(w, strings, "sort-digits/test", o);
  for (const auto& i : r.implementations) {
    CAPTURE(to_string(i.implementation));
    CHECK(i.reference_strings == 8);
    CHECK(i.reference_agree == 8);
    CHECK(i.quality.exact == 40);
  }
  CHECK(r.implementations_agree == 40);
  // The tuned implementation over all 2,000 test strings: 100 % exact, as the file states.
  CpuSeq2Seq tuned(w, CpuImplementation::kTuned);
  Seq2SeqQuality q;
  for (const auto& s : strings) q.add(tuned.infer(s.source), s.target);
  CHECK(q.exact == 2000);
  CHECK(q.correct_tokens == q.tokens);
}

TEST_CASE("seq2seq baseline: the modified-cell model reproduces its file's greedy outputs") {
  const Seq2SeqWeights w = read_seq2seq_weights(std::string(LOIHISIM_SOURCE_DIR) +
                                                "/models/weights/seq2seq_sort_digits_modified.h5");
  REQUIRE(w.modified);
  BaselineOptions o;
  o.warmup = 0;
  o.rapl = false;
  o.samples = 8;
  const Seq2SeqBaselineResult r =
      run_seq2seq_baseline(w, sort_digits_split("test"), "sort-digits/test", o);
  for (const auto& i : r.implementations) {
    CAPTURE(to_string(i.implementation));
    CHECK(i.reference_strings == 8);
    CHECK(i.reference_agree == 8);
  }
}

TEST_CASE("seq2seq baseline: the instrumented counts equal the closed form") {
  for (const bool modified : {false, true}) {
    const Seq2SeqWeights w = random_seq2seq(modified, 3);
    CpuSeq2Seq net(w, CpuImplementation::kStraightforward);
    for (const auto& src : kSources) {
      CpuOpCounts n;
      const auto out = net.infer_counted(src, n);
      CHECK(n == count_seq2seq_ops(w, static_cast<int>(src.size()), static_cast<int>(out.size())));
      CHECK(net.last_layer_steps() == kLayers * static_cast<int>(src.size() + out.size()));
    }
  }
  // By hand, one layer-step of the encoder's first layer: 4H (10 + H) MACs.
  const Seq2SeqWeights w = random_seq2seq(false, 3);
  const CpuOpCounts a = count_seq2seq_ops(w, 1, 0), b = count_seq2seq_ops(w, 0, 0);
  CHECK(a.mac - b.mac == 4 * kH * (10 + kH) + 4 * kH * (kH + kH));
  CHECK(count_seq2seq_ops(w, 0, 1).cmp == 11);  // argmax 10, EOS test 1
}

TEST_CASE("seq2seq baseline: DTS at tau 0 is the full model, at tau 1 skips all it may") {
  // tau 1 with the standard cell: a sigmoid's mean is below 1 (phi1's can reach it).
  for (const bool modified : {false, true})
    for (const auto impl : {CpuImplementation::kStraightforward, CpuImplementation::kTuned}) {
      const Seq2SeqWeights w = random_seq2seq(modified, 5);
      CpuSeq2Seq full(w, impl), none(w, impl), all(w, impl);
      none.set_dts(0.0);
      all.set_dts(1.0);
      for (const auto& src : kSources) {
        const std::vector<int> want = full.infer(src);
        CHECK(none.infer(src) == want);
        CHECK(none.last_skipped() == 0);
        all.infer(src);
        // Every layer-step but the encoder's first symbol (zero state) is skipped.
        if (!modified) {
          CHECK(all.last_skipped() == all.last_layer_steps() - kLayers);
          CHECK(all.last_encoder_layer_steps() == kLayers * static_cast<int>(src.size()));
          CHECK(all.last_encoder_skipped() == all.last_encoder_layer_steps() - kLayers);
        }
      }
    }
  const Seq2SeqWeights w = random_seq2seq(false, 5);
  CpuSeq2Seq net(w, CpuImplementation::kTuned);
  CHECK_THROWS_AS(net.set_dts(1.5), InputError);
}

TEST_CASE("seq2seq baseline: a DSR-restricted model is the full one with the other cells zeroed") {
  for (const bool modified : {false, true}) {
    const Seq2SeqWeights w = random_seq2seq(modified, 7);
    constexpr int k = 4;
    const Seq2SeqWeights r = restrict_seq2seq(w, k);
    CHECK(r.hidden == k);
    CHECK(r.fc_weight.size() == 11 * k);
    // Zero the dropped cells' gate rows in every layer: their z is 0, so c stays 0 (f c + 0.5 x
    // 0) and h = o phi(0) = 0 in both cells; the model then computes what the restricted one does.
    Seq2SeqWeights z = w;
    for (int layer = 0; layer < kLayers; ++layer) {
      const auto order = seq2seq_importance_order(w, layer);
      for (std::size_t p = k; p < order.size(); ++p)
        for (auto* l : {&z.encoder[static_cast<std::size_t>(layer)],
                        &z.decoder[static_cast<std::size_t>(layer)]})
          for (int g = 0; g < 4; ++g) {
            const auto row = static_cast<std::size_t>(g * kH + order[p]);
            const auto in = static_cast<std::size_t>(l->input_size);
            std::fill_n(l->w_ih.begin() + static_cast<std::ptrdiff_t>(row * in), in, 0.0f);
            std::fill_n(l->w_hh.begin() + static_cast<std::ptrdiff_t>(row * kH), kH, 0.0f);
            l->bias[row] = 0.0f;
          }
    }
    CpuSeq2Seq small(r, CpuImplementation::kStraightforward),
        zeroed(z, CpuImplementation::kStraightforward);
    for (const auto& src : kSources) CHECK(small.infer(src) == zeroed.infer(src));
    CHECK(restrict_seq2seq(w, kH).encoder[0].w_ih == w.encoder[0].w_ih);
  }
}

TEST_CASE("seq2seq baseline: the DSR complexity policy is the source length") {
  const DsrPolicy p = parse_dsr_policy("complexity:32:0.5", 128);
  CHECK(seq2seq_dsr_cells(p, 128, 6) == 128);  // 6 / 12 = 0.5: all cells
  CHECK(seq2seq_dsr_cells(p, 128, 12) == 128);
  CHECK(seq2seq_dsr_cells(p, 128, 3) == 32 + 48);  // 0.25 / 0.5 x 96
  CHECK(seq2seq_dsr_cells(p, 128, 1) == 32 + 16);  // ceil(96 / 6)
  CHECK(seq2seq_dsr_cells(parse_dsr_policy("fixed:40", 128), 128, 1) == 40);
  CHECK(seq2seq_dsr_cells(parse_dsr_policy("off", 128), 128, 1) == 128);
  // The counted run of a reduced model adds the complexity measure's operations.
  const Seq2SeqWeights w = random_seq2seq(false, 9);
  AxlstmOptions o;
  o.dsr = parse_dsr_policy("complexity:2:1", kH);
  AxSeq2Seq ax(w, CpuImplementation::kStraightforward, o);
  CpuOpCounts n;
  ax.infer_counted(kSources[1], n);
  CHECK(ax.last_cells() == 2 + 2);  // ceil(4 / 12 x 4)
  const CpuOpCounts plain =
      count_seq2seq_ops(restrict_seq2seq(w, 4), 4, static_cast<int>(ax.infer(kSources[1]).size()));
  CHECK(n.mac == plain.mac);
  CHECK(n.mul == plain.mul + 3);
}

TEST_CASE("loihisim baseline on an encoder-decoder: the report and bad options") {
  std::string out;
  REQUIRE(loihisim::testing::run_cli("baseline " + committed_model() +
                                         " --samples 6 --warmup 1 --rapl off --json --dts-tau 0 "
                                         "--dsr fixed:128",
                                     &out) == 0);
  CHECK(out.find("\"model\": \"seq2seq\"") != std::string::npos);
  CHECK(out.find("\"greedy_outputs_agree\": 8") != std::string::npos);
  CHECK(out.find("\"exact_fraction\": 1.0") != std::string::npos);
  CHECK(out.find("\"layer_steps_skipped\": 0") != std::string::npos);
  CHECK(out.find("\"fraction_of_state\": 1.0") != std::string::npos);
  CHECK(loihisim::testing::run_cli("baseline " + committed_model() + " --dataset mnist", &out) !=
        0);
  CHECK(out.find("--dataset and --layout do not apply") != std::string::npos);
  CHECK(loihisim::testing::run_cli("baseline " + committed_model() + " --dsr fixed:129", &out) !=
        0);
  CHECK(out.find("1 <= K <= 128") != std::string::npos);
}
