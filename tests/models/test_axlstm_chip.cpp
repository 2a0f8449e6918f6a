// AxLSTM on the chip (methods.md C; docs/hybrid-lstm.md "AxLSTM on the chip"): the hybrid LSTM
// with the input gate on its own ports (the DTS probe) and the runtime's two-phase symbols, and
// DSR's fixed:K as the K most important cells mapped. Checked against the plain network: tau 0
// skips nothing and gives its outputs bit for bit; tau 1 skips every probed symbol and gives the
// outputs of the first symbol alone; the chip steps are counted phase by phase.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "io/text_output.hpp"
#include "mapper/mapper.hpp"
#include "models/conversion.hpp"
#include "models/hybrid_lstm.hpp"
#include "models/lstm_reduction.hpp"
#include "models/model_file.hpp"
#include "runtime/inference.hpp"
#include "tests/support/cli.hpp"
#include "tests/support/files.hpp"
#include "tests/support/same_network.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using loihisim::testing::run_cli;
using loihisim::testing::TempDir;

namespace {

const fs::path kSource = LOIHISIM_SOURCE_DIR;
constexpr int kT = 8;
constexpr std::uint64_t kSamples = 4;

const models::LstmWeights& mnist_weights() {
  static const models::LstmWeights w =
      models::read_lstm_weights((kSource / "models/weights/mnist_row_modified.h5").string());
  return w;
}

const SequenceDataset& mnist_rows() {
  static const SequenceDataset d = every_kth_sample(
      load_dataset(DatasetSpec{"mnist", "test", SequenceLayout::kRow, InputScaling::kUnit, -1, {}},
                   default_data_cache()),
      500);
  return d;
}

InferenceOptions options(double tau, bool dts) {
  InferenceOptions o;
  o.steps_per_symbol = kT;
  o.input_timing = InputTiming::kSameStep;
  o.prediction = "logits";
  o.samples = kSamples;
  o.threads = 2;
  if (dts) {
    o.dts.tau = tau;
    o.dts.probe_encoders.assign(std::begin(models::kDtsProbeEncoders),
                                std::end(models::kDtsProbeEncoders));
    o.dts.probe_port = models::kDtsProbePort;
  }
  return o;
}

InferenceRun run(bool probe_ports, const InferenceOptions& o, const SequenceDataset& data) {
  static const auto arch = load_architecture("loihi1");
  models::HybridLstmOptions h;
  h.dts_probe = probe_ports;
  const auto image =
      mapper::map_network(models::convert_hybrid_lstm(mnist_weights(), h).network, arch).image;
  return run_inferences(image, arch, data, o);
}

}  // namespace

TEST_CASE("AxLSTM on the chip: tau 0 probes every symbol, skips none, and changes no output") {
  const SequenceDataset& data = mnist_rows();
  const InferenceRun plain = run(false, options(0, false), data);
  const InferenceRun probed = run(true, options(0, true), data);
  const std::int64_t S = data.num_symbols;
  REQUIRE(probed.completed == kSamples);
  for (std::size_t s = 0; s < kSamples; ++s) {
    CAPTURE(s);
    CHECK(probed.samples[s].output == plain.samples[s].output);
    CHECK(probed.samples[s].symbols_probed == S - 1);
    CHECK(probed.samples[s].symbols_skipped == 0);
    // The first symbol runs all gates at once; every later one is a probe and then the rest.
    CHECK(plain.samples[s].chip_steps == S * kT);
    CHECK(probed.samples[s].chip_steps == kT + (S - 1) * 2 * kT);
    CHECK(plain.samples[s].symbols_probed == 0);
  }
  // A shortened probe (P = 2 of T = 8 steps): a kept symbol then runs every gate for T steps.
  InferenceOptions shortened = options(0, true);
  shortened.dts.probe_steps = 2;
  const InferenceRun short_probe = run(true, shortened, data);
  for (std::size_t s = 0; s < kSamples; ++s) {
    CAPTURE(s);
    CHECK(short_probe.samples[s].output == plain.samples[s].output);
    CHECK(short_probe.samples[s].chip_steps == kT + (S - 1) * (2 + kT));
  }
}

TEST_CASE("AxLSTM on the chip: tau 1 skips every probed symbol (the first symbol's outputs)") {
  const SequenceDataset& data = mnist_rows();
  // The plain network on the first row alone: what a run that skips every later row carries.
  SequenceDataset first = data;
  first.num_symbols = 1;
  first.values.clear();
  for (std::size_t s = 0; s < data.size(); ++s) {
    const auto row = data.symbol(s, 0);
    first.values.insert(first.values.end(), row.begin(), row.end());
  }
  const InferenceRun one = run(false, options(0, false), first);
  const InferenceRun skipped = run(true, options(1.0, true), data);
  const std::int64_t S = data.num_symbols;
  for (std::size_t s = 0; s < kSamples; ++s) {
    CAPTURE(s);
    REQUIRE(skipped.samples[s].symbols_skipped == S - 1);  // no probe reaches a mean of 1
    CHECK(skipped.samples[s].output == one.samples[s].output);
    CHECK(skipped.samples[s].chip_steps == S * kT);  // the probes only
  }
}

TEST_CASE("AxLSTM on the chip: a middle tau skips some symbols and counts each phase") {
  const SequenceDataset& data = mnist_rows();
  const InferenceRun r = run(true, options(0.48, true), data);
  std::uint64_t probed = 0, skipped = 0;
  for (std::size_t s = 0; s < kSamples; ++s) {
    const SampleResult& x = r.samples[s];
    probed += x.symbols_probed;
    skipped += x.symbols_skipped;
    CHECK(x.chip_steps == kT + static_cast<std::int64_t>(x.symbols_probed) * kT +
                              static_cast<std::int64_t>(x.symbols_probed - x.symbols_skipped) * kT);
  }
  MESSAGE("tau 0.48: " << skipped << " of " << probed << " symbols skipped");
  CHECK(skipped > 0);
  CHECK(skipped < probed);
  // Bit-identical for another thread count.
  InferenceOptions one_thread = options(0.48, true);
  one_thread.threads = 1;
  const InferenceRun r1 = run(true, one_thread, data);
  for (std::size_t s = 0; s < kSamples; ++s) {
    CHECK(r1.samples[s].output == r.samples[s].output);
    CHECK(r1.samples[s].chip_steps == r.samples[s].chip_steps);
    CHECK(r1.samples[s].chip_ps == r.samples[s].chip_ps);
  }
}

TEST_CASE("AxLSTM on the chip: DSR fixed:K maps the K most important cells only") {
  const auto arch = load_architecture("loihi1");
  TempDir d("axlstm-chip");
  models::ConvertOptions o;
  o.weights = (kSource / "models/weights/mnist_row_modified.h5").string();
  o.out = (d.path / "m.model.yaml").string();
  o.steps = kT;
  o.dsr = "fixed:" + std::to_string(mnist_weights().hidden_size);
  const models::Conversion full = models::convert_weights(o, arch);
  o.dsr = "off";
  loihisim::testing::check_same_network(models::convert_weights(o, arch).network, full.network);
  o.dsr = "fixed:40";
  const models::Conversion reduced = models::convert_weights(o, arch);
  const models::LstmWeights r =
      models::restrict_lstm(mnist_weights(), models::most_important_cells(mnist_weights(), 40));
  loihisim::testing::check_same_network(
      models::convert_hybrid_lstm(r, models::HybridLstmOptions{}).network, reduced.network);
  CHECK(reduced.network.population(*reduced.network.find("gate_i")).size == 40);
  CHECK(reduced.model.comment.find("--dsr fixed:40") != std::string::npos);
  o.dsr = "complexity:10:0.5";
  CHECK_THROWS_WITH_AS(models::convert_weights(o, arch),
                       doctest::Contains("on the chip only fixed:K"), InputError);
  o.dsr = "fixed:0";
  CHECK_THROWS_WITH_AS(models::convert_weights(o, arch), doctest::Contains("1 <= K <= 128"),
                       InputError);
}

TEST_CASE("AxLSTM on the chip: the model file, the run report and bad settings") {
  TempDir d("axlstm-chip-cli");
  const std::string weights = (kSource / "models/weights/mnist_row_modified.h5").string();
  const fs::path model = d.path / "m.model.yaml";
  std::string out;
  REQUIRE(run_cli("convert " + weights + " --method hybrid-lstm --steps 4 --dts-tau 0.5 --out " +
                      model.string(),
                  &out) == 0);
  const ModelSpec spec = read_model(model);
  CHECK(spec.dts.enabled());
  CHECK(spec.dts.tau == 0.5);
  CHECK(spec.dts.probe_port == "counts_i");
  REQUIRE(run_cli("run " + model.string() + " --arch loihi1 --samples 2 --every 500 --report " +
                      (d.path / "r.json").string(),
                  &out) == 0);
  CHECK(out.find("timestep skipping   tau 0.5:") != std::string::npos);
  const Summary rep = read_summary(d.path / "r.json");
  CHECK(rep["dts"]["symbols_probed"].get<int>() == 2 * 27);
  REQUIRE(run_cli("convert " + weights +
                      " --method hybrid-lstm --steps 4 --dts-tau 0.5 --dts-probe-steps 2 --out " +
                      model.string(),
                  &out) == 0);
  CHECK(read_model(model).dts.probe_steps == 2);
  CHECK(run_cli("convert " + weights +
                    " --method hybrid-lstm --steps 4 --dts-probe-steps 2 --out " +
                    (d.path / "p.model.yaml").string(),
                &out) == 2);
  CHECK(out.find("--dts-probe-steps 2: needs --dts-tau") != std::string::npos);
  CHECK(run_cli("convert " + weights +
                    " --method hybrid-lstm --steps 4 --dts-tau 0.5 --dts-probe-steps 5 --out " +
                    (d.path / "p.model.yaml").string(),
                &out) == 2);
  CHECK(out.find("1 <= P <= T (4)") != std::string::npos);

  const fs::path bad = d.path / "bad.model.yaml";
  CHECK(run_cli("convert " + weights + " --method hybrid-lstm --dts-tau 1.5 --out " + bad.string(),
                &out) == 2);
  CHECK(out.find("--dts-tau 1.5: expected a number in [0, 1]") != std::string::npos);
  CHECK_FALSE(fs::exists(bad));
  // A model whose probe names no encoder of the network: refused before any step.
  REQUIRE(run_cli("convert " + weights + " --method hybrid-lstm --steps 4 --dts-tau 0.5 --out " +
                      model.string(),
                  &out) == 0);
  std::string text = loihisim::testing::read_text(model);
  text.replace(text.find("encode_x_probe"), 14, "encode_nothing");
  write_text_file(bad, text);
  CHECK(run_cli("run " + bad.string() + " --arch loihi1 --samples 1", &out) == 2);
  CHECK(out.find("dts: probe encoder 'encode_nothing' is not an encode node") != std::string::npos);
  text = loihisim::testing::read_text(model);
  text.replace(text.find("tau: 0.5"), 8, "tau: 2");
  write_text_file(bad, text);
  CHECK(run_cli("run " + bad.string() + " --arch loihi1 --samples 1", &out) == 2);
  CHECK(out.find("tau") != std::string::npos);
}
