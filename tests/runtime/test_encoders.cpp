// Input encoders (runtime/encoders.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "io/errors.hpp"
#include "runtime/encoders.hpp"

using namespace loihisim;

namespace {

// Spikes per element over `steps` steps, with their signs summed.
std::vector<int> signed_counts(SpikeEncoder& enc, std::size_t n, int steps) {
  std::vector<int> counts(n, 0);
  std::vector<EncodedSpike> out;
  for (int t = 0; t < steps; ++t) {
    out.clear();
    enc.step(out);
    for (const auto& s : out) counts[static_cast<std::size_t>(s.element)] += s.value;
  }
  return counts;
}

}  // namespace

TEST_CASE("signed accumulator: rate equals |a| and the sign is carried") {
  SpikeEncoder enc(EncoderConfig{});
  const std::vector<float> a = {1.0f, -1.0f, 0.5f, -0.25f, 0.0f, 0.125f};
  enc.start_symbol(a, 0, 0);
  const auto c = signed_counts(enc, a.size(), 32);
  CHECK(c == std::vector<int>{32, -32, 16, -8, 0, 4});
}

TEST_CASE("signed accumulator: exact spike times by hand") {
  // a = 0.3: increment |round(2048 * 0.3)| = 614. Accumulator 614, 1228, 1842, 2456 -> spike
  // at step 4 (1-based), remainder 408; 1022, 1636, 2250 -> spike at step 7, remainder 202.
  SpikeEncoder enc(EncoderConfig{});
  const std::vector<float> a = {0.3f};
  enc.start_symbol(a, 0, 0);
  std::vector<int> spike_steps;
  std::vector<EncodedSpike> out;
  for (int t = 1; t <= 8; ++t) {
    out.clear();
    enc.step(out);
    if (!out.empty()) spike_steps.push_back(t);
  }
  CHECK(spike_steps == std::vector<int>{4, 7});
}

TEST_CASE("signed accumulator restarts at every symbol") {
  SpikeEncoder enc(EncoderConfig{});
  const std::vector<float> a = {0.3f};
  enc.start_symbol(a, 0, 0);
  auto first = signed_counts(enc, 1, 3);  // accumulator at 1842, no spike yet
  CHECK(first[0] == 0);
  enc.start_symbol(a, 0, 1);
  auto second = signed_counts(enc, 1, 3);  // restarted: still no spike after 3 steps
  CHECK(second[0] == 0);
}

TEST_CASE("signed accumulator: a restart at half the scale rounds the count instead of flooring") {
  // a = 0.3 over 8 steps: 8 x 0.3 = 2.4. From 0 the accumulator (increment 614) fires at steps
  // 4 and 7: 2 = floor(2.4 + 0.06). From 1024: 1638, 2252 (fire, 204), 818, 1432, 2046, 2660
  // (fire, 612), 1226, 1840: 2 spikes, at steps 2 and 6. a = 0.45 (increment 922), 8 x 0.45 = 3.6:
  // from 0, floor: 3; from 1024, round: 4.
  EncoderConfig cfg;
  cfg.accumulator_start = 1024;
  SpikeEncoder half(cfg);
  SpikeEncoder zero(EncoderConfig{});
  const std::vector<float> a = {0.3f, 0.45f, -0.45f, 1.0f, 0.0f};
  for (int symbol = 0; symbol < 2; ++symbol) {  // the start applies again at every symbol
    half.start_symbol(a, 0, static_cast<std::uint64_t>(symbol));
    zero.start_symbol(a, 0, static_cast<std::uint64_t>(symbol));
    CHECK(signed_counts(half, a.size(), 8) == std::vector<int>{2, 4, -4, 8, 0});
    CHECK(signed_counts(zero, a.size(), 8) == std::vector<int>{2, 3, -3, 8, 0});
  }
  std::vector<EncodedSpike> out;
  half.start_symbol(std::vector<float>{0.3f}, 0, 0);
  std::vector<int> steps;
  for (int t = 1; t <= 8; ++t) {
    out.clear();
    half.step(out);
    if (!out.empty()) steps.push_back(t);
  }
  CHECK(steps == std::vector<int>{2, 6});
}

TEST_CASE("rate encoders reject values they cannot represent") {
  SpikeEncoder enc(EncoderConfig{});
  const std::vector<float> bad = {0.5f, 1.5f};
  CHECK_THROWS_WITH_AS(enc.start_symbol(bad, 0, 0), doctest::Contains("element 1"), InputError);
  const std::vector<float> nan = {std::nanf("")};
  CHECK_THROWS_AS(enc.start_symbol(nan, 0, 0), InputError);
}

TEST_CASE("poisson encoder is deterministic and has the right mean") {
  EncoderConfig cfg;
  cfg.kind = EncoderKind::kPoisson;
  cfg.seed = 42;
  SpikeEncoder a(cfg), b(cfg);
  std::vector<float> v(200, 0.3f);
  v[0] = -0.3f;
  a.start_symbol(v, 7, 3);
  b.start_symbol(v, 7, 3);
  const auto ca = signed_counts(a, v.size(), 100);
  const auto cb = signed_counts(b, v.size(), 100);
  CHECK(ca == cb);
  CHECK(ca[0] <= 0);
  long total = 0;
  for (std::size_t i = 1; i < v.size(); ++i) total += ca[i];
  const double mean = static_cast<double>(total) / (199.0 * 100.0);
  CHECK(mean == doctest::Approx(0.3).epsilon(0.05));  // 19,900 draws: sd of mean ~0.0033
  // A different sample index gives a different draw.
  SpikeEncoder c(cfg);
  c.start_symbol(v, 8, 3);
  CHECK(signed_counts(c, v.size(), 100) != ca);
}

TEST_CASE("graded encoder payloads and range") {
  EncoderConfig cfg;
  cfg.kind = EncoderKind::kGraded;
  cfg.graded_scale = 256;
  SpikeEncoder enc(cfg);
  const std::vector<float> v = {0.5f, -0.25f, 0.0f};
  enc.start_symbol(v, 0, 0);
  std::vector<EncodedSpike> out;
  enc.step(out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].value == 128);
  CHECK(out[1].value == -64);
  cfg.graded_scale = 1 << 24;
  SpikeEncoder big(cfg);
  const std::vector<float> one = {1.0f};
  CHECK_THROWS_AS(big.start_symbol(one, 0, 0), InputError);
}

TEST_CASE("bit-plane encoder: the graded payloads, refused beyond its planes") {
  EncoderConfig cfg;
  cfg.kind = EncoderKind::kBitPlanes;
  cfg.graded_scale = 255;
  cfg.planes = 8;
  SpikeEncoder enc(cfg);
  const std::vector<float> v = {1.0f, -0.2f, 0.0f};
  enc.start_symbol(v, 0, 0);
  std::vector<EncodedSpike> out;
  enc.step(out);
  REQUIRE(out.size() == 2);  // the runtime splits each payload into one spike per set bit
  CHECK(out[0].value == 255);
  CHECK(out[1].value == -51);
  cfg.planes = 7;  // 255 needs 8 planes
  SpikeEncoder small(cfg);
  CHECK_THROWS_WITH_AS(small.start_symbol(v, 0, 0), doctest::Contains("7 bit planes"), InputError);
}

TEST_CASE("bias encoding picks the smallest exponent that fits") {
  CHECK(encode_bias(0.5, 256).mant == 128);
  CHECK(encode_bias(0.5, 256).exp == 0);
  const auto b = encode_bias(20.0, 256);  // 5120 > 4095 -> exp 1, mant 2560
  CHECK(b.exp == 1);
  CHECK(b.mant == 2560);
  const auto odd = encode_bias(8191.0 / 256.0, 256);  // 8191 -> 4095.5 -> 4096 > 4095 -> exp 2
  CHECK(odd.exp == 2);
  CHECK(odd.mant == 2048);
  CHECK_THROWS_AS(encode_bias(1e6, 256), InputError);
}

TEST_CASE("encoder names round-trip") {
  for (auto k : {EncoderKind::kSignedAccumulator, EncoderKind::kPoisson, EncoderKind::kGraded,
                 EncoderKind::kBias, EncoderKind::kBitPlanes})
    CHECK(encoder_kind_from_string(to_string(k)) == k);
  CHECK_THROWS_AS(encoder_kind_from_string("morse"), InputError);
}
