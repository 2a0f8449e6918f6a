// The hybrid encoder-decoder on the chip (models/hybrid_seq2seq.hpp, runtime/
// seq2seq_inference.hpp, docs/hybrid-lstm.md "Encoder-decoder on the chip"): the chip's greedy
// outputs against a plain host reference of the same hybrid (ideal soft-reset IF gates in
// integers, the layers run one after the other as the model defines them), idle layers silent,
// the chip steps of the schedule, and `loihisim convert` / `run` end to end with bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "formats/arch_io.hpp"
#include "formats/seq2seq_weights.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapper.hpp"
#include "models/hybrid_lstm.hpp"
#include "models/hybrid_seq2seq.hpp"
#include "models/seq2seq_reduction.hpp"
#include "runtime/encoders.hpp"
#include "runtime/host_arithmetic.hpp"
#include "runtime/seq2seq_inference.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

namespace {

// A modified-cell encoder-decoder with random weights in [-1, 1] and biases in [-0.5, 0.5].
Seq2SeqWeights random_seq2seq(int layers, int hidden, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const auto fill = [&](std::size_t n, float scale) {
    std::vector<float> v(n);
    for (auto& x : v) x = scale * u(rng);
    return v;
  };
  Seq2SeqWeights w;
  w.file = "random";
  w.layers = layers;
  w.hidden = hidden;
  w.modified = true;
  const auto H = static_cast<std::size_t>(hidden);
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < layers; ++k) {
      Seq2SeqLayer l;
      l.input_size = k > 0 ? hidden : (d == 0 ? 10 : 11);
      l.w_ih = fill(4 * H * static_cast<std::size_t>(l.input_size), 1.0f);
      l.w_hh = fill(4 * H * H, 1.0f);
      l.bias = fill(4 * H, 0.5f);
      (d == 0 ? w.encoder : w.decoder).push_back(l);
    }
  w.fc_weight = fill(11 * H, 1.0f);
  w.fc_bias = fill(11, 0.5f);
  return w;
}

// One hybrid layer on the host: the signed-accumulator generators (runtime/encoders.hpp), the
// ideal IF neurons of methods.md A in hardware units (x 64; one-sided i, f, o with threshold
// 1024, signed g with +-512, reset by subtraction, inputs of step t integrated in step t), and
// the cell in the host's float32 arithmetic. Counts every gate spike.
struct ReferenceLayer {
  const Seq2SeqLayer& w;
  int H;
  EncoderConfig gen;
  std::uint64_t* spikes;
  // Timestep skipping (tau < 0: off): layer-steps probed and skipped.
  double tau = -1;
  int* probed = nullptr;
  int* skipped = nullptr;
  int probe_steps = 0;  // P; 0: T (the probe's counts then stand for the input gate)

  void add(std::vector<std::int64_t>& in, const std::vector<float>& m, int cols, int j,
           int sign) const {
    for (std::size_t r = 0; r < in.size(); ++r)
      in[r] += 64 * sign *
               models::hybrid_weight(
                   m[r * static_cast<std::size_t>(cols) + static_cast<std::size_t>(j)]);
  }

  // Spike counts per gate row (i, f, g signed, o) over T steps; `fired` gets the spikes per row.
  std::vector<int> counts(const std::vector<float>& x, const std::vector<float>& h, int T,
                          std::vector<std::uint64_t>& fired) const {
    const auto R = 4 * static_cast<std::size_t>(H);
    SpikeEncoder gx(gen), gh(gen);
    gx.start_symbol(x, 0, 0);
    gh.start_symbol(h, 0, 0);
    std::vector<std::int64_t> v(R, 0);
    std::vector<int> n(R, 0);
    fired.assign(R, 0);
    for (int t = 0; t < T; ++t) {
      std::vector<std::int64_t> in(R);
      for (std::size_t r = 0; r < R; ++r) {
        const bool g = r / static_cast<std::size_t>(H) == 2;
        in[r] =
            64 * (g ? models::hybrid_bias_tanh(w.bias[r]) : models::hybrid_bias_sigmoid(w.bias[r]));
      }
      std::vector<EncodedSpike> sx, sh;
      gx.step(sx);
      gh.step(sh);
      for (const auto& s : sx) add(in, w.w_ih, w.input_size, s.element, s.value);
      for (const auto& s : sh) add(in, w.w_hh, H, s.element, s.value);
      for (std::size_t r = 0; r < R; ++r) {
        const bool g = r / static_cast<std::size_t>(H) == 2;
        const std::int64_t vth = 64 * (g ? 512 : 1024);
        v[r] =
            std::clamp(v[r] + in[r], -((std::int64_t{1} << 22) - 1), (std::int64_t{1} << 21) - 1);
        if (v[r] > vth) {
          ++n[r];
          v[r] -= vth;
          ++fired[r];
        } else if (g && v[r] < -vth) {
          --n[r];
          v[r] += vth;
          ++fired[r];
        }
      }
    }
    return n;
  }

  // One layer-step; with DTS and may_skip, the input gate runs alone for P steps first (its
  // spikes happen) and its mean rate below tau carries (h, c); a kept layer then runs every gate
  // for T steps, or with P = T the other gates (the probe's counts stand).
  void step(const std::vector<float>& x, std::vector<double>& h, std::vector<double>& c, int T,
            HostArithmetic& a, bool may_skip) const {
    const std::vector<float> hf(h.begin(), h.end());
    const auto Hu = static_cast<std::size_t>(H);
    const int P = probe_steps > 0 ? probe_steps : T;
    std::vector<std::uint64_t> fired;
    std::vector<int> n;
    if (tau >= 0 && may_skip) {
      n = counts(x, hf, P, fired);
      int sum = 0;
      for (std::size_t j = 0; j < Hu; ++j) sum += n[j];
      const bool skip = sum / (static_cast<double>(H) * P) < tau;
      ++*probed;
      *skipped += skip ? 1 : 0;
      for (std::size_t r = 0; r < Hu; ++r) *spikes += fired[r];
      if (skip) return;
      if (P < T) {
        n = counts(x, hf, T, fired);
        for (std::size_t r = 0; r < Hu; ++r) *spikes += fired[r];
      }
    } else {
      n = counts(x, hf, T, fired);
      for (std::size_t r = 0; r < Hu; ++r) *spikes += fired[r];
    }
    for (std::size_t r = Hu; r < fired.size(); ++r) *spikes += fired[r];
    const double inv_t = a.represent(1.0 / T);
    for (std::size_t j = 0; j < Hu; ++j) {
      const double i = a.mul(n[j], inv_t), f = a.mul(n[Hu + j], inv_t),
                   g = a.mul(n[2 * Hu + j], inv_t), o = a.mul(n[3 * Hu + j], inv_t);
      c[j] = a.clamp(a.add(a.mul(f, c[j]), a.mul(i, g)), -1.0, 1.0);
      h[j] = a.mul(o, a.phi2(c[j]));
    }
  }
};

std::vector<float> one_hot(int k, int n) {
  std::vector<float> v(static_cast<std::size_t>(n), 0.0f);
  v[static_cast<std::size_t>(k)] = 1.0f;
  return v;
}

// The model's own order: every symbol through layer 0, 1, ... in turn; greedy decoding.
struct ReferenceDts {
  double tau = -1;  // off
  int probed = 0, skipped = 0;
  int probe_steps = 0;  // P; 0: T
};

std::vector<int> reference_greedy(const Seq2SeqWeights& w, const std::vector<int>& source, int T,
                                  std::uint64_t* spikes, int* phases, ReferenceDts& dts) {
  EncoderConfig gen;
  gen.accumulator_scale = 2048;
  gen.accumulator_start = 1024;
  HostArithmetic a;
  const auto H = static_cast<std::size_t>(w.hidden);
  std::vector<std::vector<double>> h(static_cast<std::size_t>(w.layers), std::vector<double>(H)),
      c = h;
  const auto run_stack = [&](const std::vector<Seq2SeqLayer>& stack, std::vector<float> x,
                             bool may_skip) {
    for (std::size_t k = 0; k < stack.size(); ++k) {
      ReferenceLayer{stack[k], w.hidden,    gen,          spikes,
                     dts.tau,  &dts.probed, &dts.skipped, dts.probe_steps}
          .step(x, h[k], c[k], T, a, may_skip);
      x.assign(h[k].begin(), h[k].end());
    }
  };
  for (std::size_t t = 0; t < source.size(); ++t)
    run_stack(w.encoder, one_hot(source[t], 10), t > 0);
  *phases = static_cast<int>(source.size()) + w.layers - 1;
  std::vector<int> out;
  int token = 10;
  std::vector<double> fw, fb, logits(11);
  for (const float v : w.fc_weight) fw.push_back(a.represent(v));
  for (const float v : w.fc_bias) fb.push_back(a.represent(v));
  for (int step = 0; step < SortDigitsTask::kDecodeSteps; ++step) {
    run_stack(w.decoder, one_hot(token, 11), true);
    *phases += w.layers;
    a.linear(fw, fb, h.back(), logits);
    out.push_back(static_cast<int>(a.argmax(logits)));
    if (out.back() == 10) break;
    token = out.back();
  }
  return out;
}

// The file layout of formats/seq2seq_weights.hpp for `w`.
void write_seq2seq(const Seq2SeqWeights& w, const std::string& path, const std::string& cell) {
  h5::Group root = h5::create_file(path);
  root.set_attribute("model", std::string("seq2seq"));
  root.set_attribute("cell", cell);
  root.set_attribute("layers", static_cast<std::int64_t>(w.layers));
  root.set_attribute("hidden", static_cast<std::int64_t>(w.hidden));
  const auto R = 4 * static_cast<std::uint64_t>(w.hidden), H = static_cast<std::uint64_t>(w.hidden);
  for (int d = 0; d < 2; ++d) {
    h5::Group g = root.create_group(d == 0 ? "encoder" : "decoder");
    const auto& stack = d == 0 ? w.encoder : w.decoder;
    for (std::size_t k = 0; k < stack.size(); ++k) {
      const std::string l = "_l" + std::to_string(k);
      g.write("weight_ih" + l, stack[k].w_ih, {R, static_cast<std::uint64_t>(stack[k].input_size)});
      g.write("weight_hh" + l, stack[k].w_hh, {R, H});
      g.write("bias_ih" + l, stack[k].bias, {R});
      g.write("bias_hh" + l, std::vector<float>(R, 0.0f), {R});
    }
  }
  h5::Group fc = root.create_group("fc");
  fc.write("weight", w.fc_weight, {11, H});
  fc.write("bias", w.fc_bias, {11});
}

}  // namespace

TEST_CASE(
    "hybrid seq2seq: the chip's greedy outputs equal the host reference of the hybrid, layer "
    "by layer, on loihi1 and loihi2") {
  const Seq2SeqWeights w = random_seq2seq(2, 6, 3);
  const int T = 12;
  const std::vector<DigitString> strings = sort_digits_strings(SortDigitsTask::kTestSeed, 6);
  for (const char* arch_name : {"loihi1", "loihi2"}) {
    const auto arch = load_architecture(arch_name);
    models::HybridLstmOptions opt;
    opt.neuron = arch.core.allow_reset_subtract ? models::GateNeuron::kNative
                                                : models::GateNeuron::kTwoCompartment;
    const auto net = models::convert_hybrid_seq2seq(w, opt, SortDigitsTask::kDecodeSteps);
    const auto image = mapper::map_network(net.network, arch).image;
    InferenceOptions io;
    io.steps_per_symbol = T;
    io.input_timing = InputTiming::kSameStep;
    io.threads = 2;
    const InferenceRun run = run_seq2seq(image, arch, strings, io);
    REQUIRE(run.completed == strings.size());
    std::uint64_t all_spikes = 0, tokens = 0;
    for (std::size_t s = 0; s < strings.size(); ++s) {
      std::uint64_t spikes = 0;
      int phases = 0;
      ReferenceDts off;
      const std::vector<int> want =
          reference_greedy(w, strings[s].source, T, &spikes, &phases, off);
      const SampleResult& r = run.samples[s];
      std::vector<int> got;
      for (const double v : r.output)
        if (v >= 0) got.push_back(static_cast<int>(v));
      CAPTURE(arch_name);
      CAPTURE(s);
      CHECK(got == want);
      // Idle layers are silent: every gate spike on the chip is one of the reference's.
      std::uint64_t chip_spikes = 0;
      for (const auto n : r.population_spikes) chip_spikes += n;
      CHECK(chip_spikes == spikes);
      CHECK(r.chip_steps == static_cast<std::int64_t>(phases) * T);
      const SequenceScore score = score_greedy(want, strings[s].target);
      CHECK(r.tokens == score.tokens);
      CHECK(r.correct_tokens == score.correct_tokens);
      all_spikes += spikes;
      tokens += want.size();
    }
    MESSAGE(std::string(arch_name)
            << ": " << all_spikes << " gate spikes, " << tokens << " output tokens");
    CHECK(all_spikes > 10000);  // not vacuous: the gates fire
    CHECK(tokens > strings.size());
  }
}

TEST_CASE(
    "hybrid seq2seq with timestep skipping: per-layer probes on the chip decide as the host "
    "reference does") {
  const Seq2SeqWeights w = random_seq2seq(2, 6, 3);
  const int T = 12;
  const std::vector<DigitString> strings = sort_digits_strings(SortDigitsTask::kTestSeed, 6);
  const auto arch = load_architecture("loihi1");
  models::HybridLstmOptions opt;
  opt.dts_probe = true;
  const auto net = models::convert_hybrid_seq2seq(w, opt, SortDigitsTask::kDecodeSteps);
  const auto image = mapper::map_network(net.network, arch).image;
  for (const int P : {0, 5})
    for (const double tau : {0.0, 0.45, 1.0}) {
      InferenceOptions io;
      io.dts.probe_steps = P;
      io.steps_per_symbol = T;
      io.input_timing = InputTiming::kSameStep;
      io.dts.tau = tau;
      io.dts.probe_encoders = {models::kSeq2SeqNodeName};
      io.dts.probe_port = "counts_i";
      const InferenceRun run = run_seq2seq(image, arch, strings, io);
      int probed = 0, skipped = 0;
      for (std::size_t s = 0; s < strings.size(); ++s) {
        std::uint64_t spikes = 0;
        int phases = 0;
        ReferenceDts dts{tau, 0, 0, P};
        const std::vector<int> want =
            reference_greedy(w, strings[s].source, T, &spikes, &phases, dts);
        const SampleResult& r = run.samples[s];
        std::vector<int> got;
        for (const double v : r.output)
          if (v >= 0) got.push_back(static_cast<int>(v));
        std::uint64_t chip_spikes = 0;
        for (const auto n : r.population_spikes) chip_spikes += n;
        CAPTURE(tau);
        CAPTURE(P);
        CAPTURE(s);
        CHECK(got == want);
        CHECK(chip_spikes == spikes);
        CHECK(static_cast<int>(r.symbols_probed) == dts.probed);
        CHECK(static_cast<int>(r.symbols_skipped) == dts.skipped);
        probed += dts.probed;
        skipped += dts.skipped;
      }
      MESSAGE("P " << P << ", tau " << tau << ": " << skipped << " of " << probed
                   << " layer-steps skipped");
      if (tau == 0.0) CHECK(skipped == 0);
      if (tau == 1.0) CHECK(skipped == probed);
      if (tau == 0.45) CHECK((skipped > 0 && skipped < probed));  // not vacuous
    }
}

TEST_CASE("hybrid seq2seq: a standard cell and bad images are refused") {
  Seq2SeqWeights w = random_seq2seq(1, 3, 4);
  w.modified = false;
  CHECK_THROWS_AS(models::convert_hybrid_seq2seq(w, {}, 13), InputError);
  w.modified = true;
  auto net = models::convert_hybrid_seq2seq(w, {}, 13);
  const auto arch = load_architecture("loihi1");
  auto image = mapper::map_network(net.network, arch).image;
  CHECK(is_seq2seq_image(image));
  image.host_nodes.front().arrays.erase("fc_bias");
  CHECK_THROWS_WITH_AS(seq2seq_program(image), doctest::Contains("fc_bias"), InputError);
  image.host_nodes.front().params["max_steps"] = "zero";
  CHECK_THROWS_WITH_AS(seq2seq_program(image), doctest::Contains("max_steps"), InputError);
}

TEST_CASE("loihisim convert --method hybrid-seq2seq and run: scores, report and bad input") {
  TempDir dir;
  const Seq2SeqWeights w = random_seq2seq(2, 4, 5);
  const std::string file = (dir.path / "s2s.h5").string();
  write_seq2seq(w, file, "modified");
  const std::string model = (dir.path / "s2s.model.yaml").string();
  std::string out;
  REQUIRE(
      run_cli("convert " + file + " --method hybrid-seq2seq --steps 8 --arch loihi1 --out " + model,
              &out) == 0);
  CHECK(out.find("2 + 2 layers of 4 cells") != std::string::npos);
  const std::string report = (dir.path / "r.json").string();
  const std::string h5 = (dir.path / "r.h5").string();
  REQUIRE(run_cli("run " + model + " --samples 3 --quiet --report " + report + " --out " + h5,
                  &out) == 0);
  CHECK(out.find("exact sequences") != std::string::npos);
  CHECK(out.find("token accuracy") != std::string::npos);
  CHECK(fs::exists(h5));
  std::ifstream in(report);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(json.find("token_accuracy") != std::string::npos);

  // Timestep skipping: the model file's dts section, the report's dts object.
  const std::string dts_model = (dir.path / "dts.model.yaml").string();
  REQUIRE(run_cli("convert " + file + " --method hybrid-seq2seq --steps 8 --dts-tau 0.3 --out " +
                      dts_model,
                  &out) == 0);
  const std::string dts_report = (dir.path / "dts.json").string();
  REQUIRE(run_cli("run " + dts_model + " --samples 2 --quiet --report " + dts_report, &out) == 0);
  std::ifstream din(dts_report);
  const std::string djson((std::istreambuf_iterator<char>(din)), std::istreambuf_iterator<char>());
  CHECK(djson.find("symbols_skipped") != std::string::npos);
  // A shorter probe: written into the model file, run, and P > T refused.
  const std::string short_model = (dir.path / "short.model.yaml").string();
  REQUIRE(
      run_cli("convert " + file +
                  " --method hybrid-seq2seq --steps 8 --dts-tau 0.3 --dts-probe-steps 3 --out " +
                  short_model,
              &out) == 0);
  std::ifstream sin(short_model);
  const std::string syaml((std::istreambuf_iterator<char>(sin)), std::istreambuf_iterator<char>());
  CHECK(syaml.find("probe_steps: 3") != std::string::npos);
  CHECK(run_cli("run " + short_model + " --samples 2 --quiet", &out) == 0);
  CHECK(run_cli("convert " + file + " --method hybrid-seq2seq --steps 8 --dts-tau 0.3 " +
                    "--dts-probe-steps 9 --out " + (dir.path / "z.model.yaml").string(),
                &out) != 0);
  CHECK(out.find("--dts-probe-steps 9") != std::string::npos);

  // A standard cell and DSR are refused.
  const std::string standard = (dir.path / "std.h5").string();
  write_seq2seq(w, standard, "standard");
  CHECK(run_cli("convert " + standard + " --method hybrid-seq2seq --out " +
                    (dir.path / "x.model.yaml").string(),
                &out) != 0);
  CHECK(out.find("modified cell") != std::string::npos);
  CHECK(run_cli("convert " + file + " --method hybrid-seq2seq --dsr complexity:2:1 --out " +
                    (dir.path / "y.model.yaml").string(),
                &out) != 0);
  CHECK(out.find("--dsr complexity:2:1") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path / "y.model.yaml"));

  // DSR fixed:K maps the K most important cells: the same run as converting the restricted
  // weights (models/seq2seq_reduction.hpp).
  const std::string dsr_model = (dir.path / "dsr.model.yaml").string();
  REQUIRE(run_cli("convert " + file + " --method hybrid-seq2seq --steps 8 --dsr fixed:3 --out " +
                      dsr_model,
                  &out) == 0);
  CHECK(out.find("2 + 2 layers of 3 (--dsr fixed:3: the most important of 4)") !=
        std::string::npos);
  const std::string restricted = (dir.path / "restricted.h5").string();
  write_seq2seq(models::restrict_seq2seq(w, 3), restricted, "modified");
  const std::string restricted_model = (dir.path / "restricted.model.yaml").string();
  REQUIRE(run_cli("convert " + restricted + " --method hybrid-seq2seq --steps 8 --out " +
                      restricted_model,
                  &out) == 0);
  const auto outputs = [&](const std::string& m) {
    const std::string h = (dir.path / "o.h5").string();
    REQUIRE(run_cli("run " + m + " --samples 4 --quiet --out " + h, &out) == 0);
    const std::size_t from = out.find("exact sequences");
    return out.substr(from, out.find("simulated in") - from);  // without the wall time
  };
  CHECK(outputs(dsr_model) == outputs(restricted_model));
}
