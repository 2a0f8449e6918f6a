// Weight quantisation, effective weights and synapse-memory cost on worked examples, each
// computed by hand in the comments (loihi.md sections 1 and 2; nengo-loihi's
// discretize_weights and bits_per_axon).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/core_config.hpp"
#include "core/synapse.hpp"

using namespace loihisim::core;

namespace {

SynapseFormat format(int weight_bits, SignMode sign, int delay_bits = 0, int index_bits = 0) {
  SynapseFormat f;
  f.weight_bits = weight_bits;
  f.sign = sign;
  f.delay_bits = delay_bits;
  f.index_bits = index_bits;
  return f;
}

// The stored mantissa, or a sentinel that no format can store when quantisation refuses.
constexpr std::int32_t kRefused = 9999;
std::int32_t q(double w, const SynapseFormat& f) {
  const auto r = quantize_weight(w, f);
  return r ? r->mantissa : kRefused;
}

}  // namespace

TEST_CASE("weight resolution of each format") {
  // lsb bits = 8 - weight_bits (+1 for mixed sign); largest magnitude = 255 with them cleared.
  const SynapseFormat mixed8 = format(8, SignMode::kMixed);
  CHECK(weight_lsb_bits(mixed8) == 1);
  CHECK(max_weight_mantissa(mixed8) == 254);
  const SynapseFormat exc8 = format(8, SignMode::kExcitatory);
  CHECK(weight_lsb_bits(exc8) == 0);
  CHECK(max_weight_mantissa(exc8) == 255);
  const SynapseFormat exc6 = format(6, SignMode::kExcitatory);
  CHECK(weight_lsb_bits(exc6) == 2);
  CHECK(max_weight_mantissa(exc6) == 252);  // 0b11111100
  const SynapseFormat mixed6 = format(6, SignMode::kMixed);
  CHECK(weight_lsb_bits(mixed6) == 3);
  CHECK(max_weight_mantissa(mixed6) == 248);  // 0b11111000
  const SynapseFormat exc1 = format(1, SignMode::kExcitatory);
  CHECK(weight_lsb_bits(exc1) == 7);
  CHECK(max_weight_mantissa(exc1) == 128);  // the one bit is the top bit
  // One mixed bit is all sign, no magnitude; zero bits store nothing.
  CHECK(max_weight_mantissa(format(1, SignMode::kMixed)) == 0);
  CHECK(max_weight_mantissa(format(0, SignMode::kExcitatory)) == 0);

  for (int bits = -1; bits <= 9; ++bits) {
    CAPTURE(bits);
    CHECK(valid_weight_bits(bits) == (bits >= 0 && bits != 7 && bits <= 8));
  }
}

TEST_CASE("quantize_weight: 8-bit mixed sign keeps even values up to 254") {
  const SynapseFormat f = format(8, SignMode::kMixed);
  // Step 2^1 = 2: 101.4 / 2 = 50.7 rounds to 51, times 2 = 102 (not 101: the sign took the
  // lowest bit, so odd values cannot be stored).
  CHECK(q(101.4, f) == 102);
  // 101 / 2 = 50.5, a tie: half away from zero gives 51 -> 102; -101 -> -51 -> -102.
  CHECK(q(101.0, f) == 102);
  CHECK(q(-101.0, f) == -102);
  // 100.9 / 2 = 50.45 -> 50 -> 100.
  CHECK(q(100.9, f) == 100);
  // 0.9 / 2 = 0.45 -> 0.
  CHECK(q(0.9, f) == 0);
  // The range edge: 254.9 / 2 = 127.45 -> 127 -> 254 fits; 255 / 2 = 127.5 -> 128 -> 256 > 254
  // does not (round first, then check the range). nengo-loihi clips the rounded value silently
  // (to 254); here that happens only under kSaturate, and is flagged.
  CHECK(q(254.9, f) == 254);
  CHECK(q(-254.9, f) == -254);
  CHECK(q(255.0, f) == kRefused);
  CHECK(q(-300.0, f) == kRefused);
  const auto sat = quantize_weight(255.0, f, OutOfRange::kSaturate);
  REQUIRE(sat);
  CHECK(sat->mantissa == 254);
  CHECK(sat->saturated);
  const auto sat_neg = quantize_weight(-1000.0, f, OutOfRange::kSaturate);
  REQUIRE(sat_neg);
  CHECK(sat_neg->mantissa == -254);
  CHECK(sat_neg->saturated);
  // In range under kSaturate: not flagged.
  const auto fine = quantize_weight(101.4, f, OutOfRange::kSaturate);
  REQUIRE(fine);
  CHECK(fine->mantissa == 102);
  CHECK_FALSE(fine->saturated);
}

TEST_CASE("quantize_weight: 8-bit and 6-bit excitatory") {
  const SynapseFormat exc8 = format(8, SignMode::kExcitatory);
  // Step 1: plain rounding, odd values allowed, up to 255.
  CHECK(q(101.4, exc8) == 101);
  CHECK(q(101.5, exc8) == 102);  // tie, away from zero
  CHECK(q(255.4, exc8) == 255);
  CHECK(q(255.5, exc8) == kRefused);  // rounds to 256
  // -0.4 rounds to (negative) zero, which is storable; -0.6 rounds to -1: wrong sign.
  CHECK(q(-0.4, exc8) == 0);
  CHECK(q(-0.6, exc8) == kRefused);
  const auto wrong = quantize_weight(-0.6, exc8, OutOfRange::kSaturate);
  REQUIRE(wrong);
  CHECK(wrong->mantissa == 0);  // a wrong-sign weight saturates to zero
  CHECK(wrong->saturated);

  const SynapseFormat exc6 = format(6, SignMode::kExcitatory);
  // Step 2^2 = 4: 101.4 / 4 = 25.35 -> 25 -> 100; 102 / 4 = 25.5 -> 26 -> 104 (tie away).
  CHECK(q(101.4, exc6) == 100);
  CHECK(q(102.0, exc6) == 104);
  // 253 / 4 = 63.25 -> 63 -> 252 (the maximum); 254 / 4 = 63.5 -> 64 -> 256: out of range.
  CHECK(q(253.0, exc6) == 252);
  CHECK(q(254.0, exc6) == kRefused);
  const auto sat = quantize_weight(254.0, exc6, OutOfRange::kSaturate);
  REQUIRE(sat);
  CHECK(sat->mantissa == 252);
  CHECK(sat->saturated);
}

TEST_CASE("quantize_weight: 6-bit mixed, 1-bit and 0-bit formats") {
  const SynapseFormat mixed6 = format(6, SignMode::kMixed);
  // Step 2^3 = 8: -101.4 / 8 = -12.675 -> -13 -> -104; 248 is the largest magnitude.
  CHECK(q(-101.4, mixed6) == -104);
  CHECK(q(251.9, mixed6) == 248);       // 31.49 -> 31
  CHECK(q(252.0, mixed6) == kRefused);  // 31.5 -> 32 -> 256
  // 1-bit excitatory: step 128, one value besides zero. 63 / 128 = 0.49 -> 0;
  // 100 / 128 = 0.78 -> 1 -> 128; 200 / 128 = 1.56 -> 2 -> 256: out of range.
  const SynapseFormat exc1 = format(1, SignMode::kExcitatory);
  CHECK(q(63.0, exc1) == 0);
  CHECK(q(100.0, exc1) == 128);
  CHECK(q(200.0, exc1) == kRefused);
  // 1-bit mixed (all sign) and 0-bit: step 256, only zero is storable.
  // 100 / 256 = 0.39 -> 0; 200 / 256 = 0.78 -> 1 -> 256 > 0.
  CHECK(q(100.0, format(1, SignMode::kMixed)) == 0);
  CHECK(q(200.0, format(1, SignMode::kMixed)) == kRefused);
  CHECK(q(-200.0, format(0, SignMode::kInhibitory)) == kRefused);
  CHECK(q(0.0, format(0, SignMode::kExcitatory)) == 0);
}

TEST_CASE("quantize_weight: inhibitory rejects positive weights") {
  const SynapseFormat inh8 = format(8, SignMode::kInhibitory);
  CHECK(q(-37.0, inh8) == -37);
  CHECK(q(-255.0, inh8) == -255);
  CHECK(q(5.0, inh8) == kRefused);
  CHECK(q(0.4, inh8) == 0);  // rounds to zero: fine
  const auto sat = quantize_weight(5.0, inh8, OutOfRange::kSaturate);
  REQUIRE(sat);
  CHECK(sat->mantissa == 0);
  CHECK(sat->saturated);
}

TEST_CASE("quantize_weight: non-finite weights are refused under every policy") {
  const SynapseFormat f = format(8, SignMode::kMixed);
  for (double w :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    CAPTURE(w);
    CHECK_FALSE(quantize_weight(w, f, OutOfRange::kError).has_value());
    CHECK_FALSE(quantize_weight(w, f, OutOfRange::kSaturate).has_value());
  }
}

TEST_CASE("mantissa_fits: range, sign and cleared low bits") {
  const SynapseFormat mixed8 = format(8, SignMode::kMixed);
  CHECK(mantissa_fits(102, mixed8));
  CHECK(mantissa_fits(-254, mixed8));
  CHECK_FALSE(mantissa_fits(101, mixed8));  // odd: the lowest bit is the sign's
  CHECK_FALSE(mantissa_fits(256, mixed8));
  const SynapseFormat exc6 = format(6, SignMode::kExcitatory);
  CHECK(mantissa_fits(252, exc6));
  CHECK_FALSE(mantissa_fits(-4, exc6));  // wrong sign
  CHECK_FALSE(mantissa_fits(6, exc6));   // not a multiple of 4
  CHECK_FALSE(mantissa_fits(4, format(6, SignMode::kInhibitory)));
  CHECK(mantissa_fits(0, format(0, SignMode::kMixed)));
  CHECK_FALSE(mantissa_fits(128, format(1, SignMode::kMixed)));
}

TEST_CASE("effective_weight: w8 * 2^(6 + exp), floored per synapse") {
  CHECK(effective_weight(100, 0) == 6400);          // 100 * 2^6
  CHECK(effective_weight(-255, 7) == -255 * 8192);  // 2^13: -2,088,960
  CHECK(effective_weight(254, -6) == 254);          // 2^0
  CHECK(effective_weight(-5, -1) == -160);          // -5 * 2^5
  // exp -7 halves: floor(-3 / 2) = floor(-1.5) = -2 (truncation would give -1).
  CHECK(effective_weight(-3, -7) == -2);
  CHECK(effective_weight(3, -7) == 1);        // floor(1.5)
  CHECK(effective_weight(-1, -7) == -1);      // floor(-0.5)
  CHECK(effective_weight(1, -7) == 0);        // floor(0.5)
  CHECK(effective_weight(-255, -7) == -128);  // floor(-127.5)
}

TEST_CASE("synapse_list_bits: nengo-loihi blocks of 64 rounded to 64-bit words") {
  const SynapseFormat dense8 = format(8, SignMode::kMixed);
  CHECK(synapse_list_bits(dense8, 0) == 0);
  // 1 synapse: 8 + 10 header bits = 18 -> one word.
  CHECK(synapse_list_bits(dense8, 1) == 64);
  // 64 synapses: 64 * 8 + 10 = 522 -> 9 words = 576.
  CHECK(synapse_list_bits(dense8, 64) == 576);
  // 65: a full block (576) plus a block of one (18 -> 64).
  CHECK(synapse_list_bits(dense8, 65) == 576 + 64);
  // 1024: 16 full blocks.
  CHECK(synapse_list_bits(dense8, 1024) == 16 * 576);

  // Sparse, 8 weight + 3 delay + 10 index = 21 bits a synapse.
  const SynapseFormat sparse = format(8, SignMode::kMixed, 3, 10);
  // 64: 64 * 21 + 10 = 1354 -> ceil(1354 / 64) = 22 words = 1408.
  CHECK(synapse_list_bits(sparse, 64) == 1408);
  // 100: 1408 + (36 * 21 + 10 = 766 -> 12 words = 768) = 2176.
  CHECK(synapse_list_bits(sparse, 100) == 2176);

  // Word boundary: 1-bit dense, 54 synapses: 54 + 10 = 64 exactly -> one word; 55 -> 65 -> two.
  const SynapseFormat one_bit = format(1, SignMode::kExcitatory);
  CHECK(synapse_list_bits(one_bit, 54) == 64);
  CHECK(synapse_list_bits(one_bit, 55) == 128);

  // Tag bits cost memory too: 4 weight + 2 tag = 6 bits; 64 * 6 + 10 = 394 -> 7 words = 448.
  SynapseFormat tagged = format(4, SignMode::kMixed);
  tagged.tag_bits = 2;
  CHECK(synapse_list_bits(tagged, 64) == 448);

  // 0-bit weights still pay the block header: 128 synapses = 2 blocks of 10 bits -> 2 words.
  CHECK(synapse_list_bits(format(0, SignMode::kExcitatory), 128) == 128);
}

namespace {

// One 1024-compartment core with `n_lists` dense 8-bit lists of 1024 synapses each
// (16 blocks of 576 bits = 9216 bits per list) and `n_axons` input axons sharing list 0.
CoreConfig memory_core(int n_lists, int n_axons) {
  CoreConfig cfg;
  cfg.profiles = {CompartmentProfile{}};
  cfg.formats = {format(8, SignMode::kMixed)};
  cfg.compartments.assign(1024, CompartmentConfig{});
  for (int i = 0; i < n_lists; ++i)
    cfg.synapse_lists.push_back(SynapseList{0, std::vector<std::int32_t>(1024, 2), {}, {}});
  cfg.input_axons.assign(static_cast<std::size_t>(n_axons), InputAxon{0, 0});
  return cfg;
}

}  // namespace

TEST_CASE("synapse memory capacity: 1,048,576 bits per core") {
  // 113 lists * 9216 = 1,041,408 bits <= 1,048,576: fits, even with 4096 axons sharing list 0
  // (a shared list is stored once).
  const CoreConfig fits = memory_core(113, 4096);
  CHECK(synapse_memory_bits(fits) == 113 * 9216);
  CHECK(validate(fits, CoreLimits{}).empty());

  // 114 lists * 9216 = 1,050,624 bits > 1,048,576.
  const CoreConfig over = memory_core(114, 1);
  CHECK(synapse_memory_bits(over) == 1'050'624);
  const auto problems = validate(over, CoreLimits{});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].field == "synapse_lists");
  CAPTURE(problems[0].message);
  CHECK(problems[0].message.find("1050624") != std::string::npos);
  CHECK(problems[0].message.find("1048576") != std::string::npos);

  // The capacity is a limit of the architecture, not a constant.
  CoreLimits bigger;
  bigger.synapse_memory_bits = 2 * kSynapseMemoryBits;
  CHECK(validate(over, bigger).empty());
}
