// validate() on every out-of-range field and limit (each message names the field path, the
// value and the allowed range), chip-level routing checks, unknown axons at run time, and
// reset_state().
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/chip.hpp"
#include "core/core_config.hpp"
#include "core/neurocore.hpp"

using namespace loihisim::core;

namespace {

// A small valid core: 16 compartments, two profiles, a dense and a sparse format, three lists,
// three input axons, two output axons back into the core.
CoreConfig valid_core() {
  CoreConfig cfg;
  CompartmentProfile a;
  a.decay_u = 410;
  a.decay_v = 200;
  a.vth_mant = 10;
  a.refract_delay = 2;
  CompartmentProfile b = a;
  b.vth_mant = 20;
  b.reset = ResetMode::kSubtract;
  cfg.profiles = {a, b};
  SynapseFormat dense;  // 8-bit mixed
  dense.delay_bits = 3;
  SynapseFormat sparse;
  sparse.sign = SignMode::kExcitatory;
  sparse.index_bits = 6;
  cfg.formats = {dense, sparse};
  for (int i = 0; i < 16; ++i) cfg.compartments.push_back({i % 2, 10 * i, i % 8});
  cfg.synapse_lists = {
      SynapseList{0, {100, -50, 20, 2}, {}, {0, 1, 2, 6}},
      SynapseList{1, {7, 255}, {3, 9}, {}},
      SynapseList{0, std::vector<std::int32_t>(16, 60), {}, {}},
  };
  cfg.input_axons = {InputAxon{0, 0}, InputAxon{1, 6}, InputAxon{2, 0}};
  cfg.output_axons = {OutputAxon{3, 0, 1}, OutputAxon{15, 0, 0}};
  cfg.accumulator_depth = 8;
  return cfg;
}

std::string all_messages(const std::vector<ConfigProblem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.field + " | " + p.message + "\n";
  return s;
}

// Expects the first problem to be on exactly `field`, with a message that mentions every
// fragment (the value and the allowed range), and (unless follow-on problems are allowed) no
// other problem.
enum class FollowOn { kNone, kAllowed };
void expect_problem(const CoreConfig& cfg, const std::string& field,
                    std::initializer_list<std::string> fragments, const CoreLimits& limits = {},
                    FollowOn follow_on = FollowOn::kNone) {
  const auto problems = validate(cfg, limits);
  const std::string messages = all_messages(problems);
  CAPTURE(field);
  CAPTURE(messages);
  REQUIRE(!problems.empty());
  if (follow_on == FollowOn::kNone) CHECK(problems.size() == 1);
  CHECK(problems[0].field == field);
  CHECK(problems[0].message.find(field) != std::string::npos);
  for (const auto& f : fragments) {
    CAPTURE(f);
    CHECK(problems[0].message.find(f) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("validate: the base configuration is valid") {
  const auto problems = validate(valid_core(), CoreLimits{});
  CAPTURE(all_messages(problems));
  CHECK(problems.empty());
}

TEST_CASE("validate: compartment profile fields") {
  SUBCASE("decay_u 5000") {
    auto cfg = valid_core();
    cfg.profiles[1].decay_u = 5000;
    expect_problem(cfg, "profiles[1].decay_u", {"5000", "0..4095"});
  }
  SUBCASE("decay_v -1") {
    auto cfg = valid_core();
    cfg.profiles[0].decay_v = -1;
    expect_problem(cfg, "profiles[0].decay_v", {"-1", "0..4095"});
  }
  SUBCASE("vth_mant 2^17") {
    auto cfg = valid_core();
    cfg.profiles[0].vth_mant = 1 << 17;
    expect_problem(cfg, "profiles[0].vth_mant", {"131072", "0..131071"});
  }
  SUBCASE("refract_delay 0") {
    auto cfg = valid_core();
    cfg.profiles[1].refract_delay = 0;
    expect_problem(cfg, "profiles[1].refract_delay", {"0", "1..63"});
  }
  SUBCASE("refract_delay 64") {
    auto cfg = valid_core();
    cfg.profiles[1].refract_delay = 64;
    expect_problem(cfg, "profiles[1].refract_delay", {"64", "1..63"});
  }
  SUBCASE("vmin_exp 32") {
    auto cfg = valid_core();
    cfg.profiles[0].vmin_exp = 32;
    expect_problem(cfg, "profiles[0].vmin_exp", {"32", "0..31"});
  }
  SUBCASE("vmax_exp 8") {
    auto cfg = valid_core();
    cfg.profiles[0].vmax_exp = 8;
    expect_problem(cfg, "profiles[0].vmax_exp", {"8", "0..7"});
  }
  SUBCASE("payload_shift 24") {
    auto cfg = valid_core();
    cfg.profiles[0].payload_shift = 24;
    expect_problem(cfg, "profiles[0].payload_shift", {"24", "0..23"});
  }
  SUBCASE("extension behaviours switched off by the architecture") {
    CoreLimits loihi1;
    loihi1.allow_reset_subtract = false;
    loihi1.allow_graded_spikes = false;
    auto cfg = valid_core();  // profile 1 subtracts
    expect_problem(cfg, "profiles[1].reset", {"subtraction"}, loihi1);
    cfg.profiles[1].reset = ResetMode::kZero;
    cfg.profiles[0].spike = SpikeKind::kGraded;
    expect_problem(cfg, "profiles[0].spike", {"graded"}, loihi1);
  }
}

TEST_CASE("validate: sigma-delta profiles") {
  // Profile 1 (subtracting in valid_core) made a valid sigma-delta profile.
  const auto sigma_delta = [] {
    auto cfg = valid_core();
    auto& p = cfg.profiles[1];
    p.neuron = NeuronModel::kSigmaDelta;
    p.spike = SpikeKind::kGraded;
    p.reset = ResetMode::kZero;
    p.refract_delay = 1;
    p.payload_shift = 4;
    p.input_max = 64;
    return cfg;
  };
  SUBCASE("valid, with the edge values of payload_shift, input_max and decay_v") {
    auto cfg = sigma_delta();
    CHECK(validate(cfg, {}).empty());
    for (int shift : {1, 23})
      for (std::int32_t max : {-1, 0, (1 << 23) - 1})
        for (int decay_v : {0, 4095}) {
          cfg.profiles[1].payload_shift = shift;
          cfg.profiles[1].input_max = max;
          cfg.profiles[1].decay_v = decay_v;
          CAPTURE(shift);
          CAPTURE(max);
          CHECK(validate(cfg, {}).empty());
        }
  }
  SUBCASE("spike must be graded") {
    auto cfg = sigma_delta();
    cfg.profiles[1].spike = SpikeKind::kBinary;
    expect_problem(cfg, "profiles[1].spike", {"sigma_delta", "must be graded", "architecture"});
  }
  SUBCASE("an architecture without graded spikes refuses it") {
    CoreLimits loihi1;
    loihi1.allow_reset_subtract = false;
    loihi1.allow_graded_spikes = false;
    expect_problem(sigma_delta(), "profiles[1].spike",
                   {"graded spikes are not available on this architecture", "sigma_delta"}, loihi1);
  }
  SUBCASE("payload_shift 0 and 24") {
    auto cfg = sigma_delta();
    cfg.profiles[1].payload_shift = 0;
    expect_problem(cfg, "profiles[1].payload_shift", {"= 0", "1..23", "sigma_delta"});
    cfg.profiles[1].payload_shift = 24;
    expect_problem(cfg, "profiles[1].payload_shift", {"= 24", "1..23", "sigma_delta"});
  }
  SUBCASE("input_max -2 and 2^23") {
    auto cfg = sigma_delta();
    cfg.profiles[1].input_max = -2;
    expect_problem(cfg, "profiles[1].input_max", {"= -2", "-1..8388607", "no upper clip"});
    cfg.profiles[1].input_max = 1 << 23;
    expect_problem(cfg, "profiles[1].input_max", {"= 8388608", "-1..8388607"});
  }
  SUBCASE("reset must be zero") {
    auto cfg = sigma_delta();
    cfg.profiles[1].reset = ResetMode::kSubtract;
    expect_problem(cfg, "profiles[1].reset", {"does not apply", "sigma_delta", "must be zero"});
  }
  SUBCASE("refract_delay must be 1") {
    auto cfg = sigma_delta();
    cfg.profiles[1].refract_delay = 2;
    expect_problem(cfg, "profiles[1].refract_delay", {"2", "no refractory period", "must be 1"});
    cfg.profiles[1].refract_delay = 0;  // the general range check alone
    expect_problem(cfg, "profiles[1].refract_delay", {"0", "1..63"});
  }
  SUBCASE("decay_v keeps its general range") {
    auto cfg = sigma_delta();
    cfg.profiles[1].decay_v = 4096;
    expect_problem(cfg, "profiles[1].decay_v", {"4096", "0..4095"});
  }
  SUBCASE("a cuba profile takes input_max -1 only") {
    auto cfg = valid_core();
    cfg.profiles[0].input_max = 0;
    expect_problem(cfg, "profiles[0].input_max", {"0", "sigma_delta", "must be -1"});
  }
  SUBCASE("an unknown neuron model") {
    auto cfg = valid_core();
    cfg.profiles[0].neuron = static_cast<NeuronModel>(2);
    expect_problem(cfg, "profiles[0].neuron", {"2", "cuba, sigma_delta"});
  }
}

TEST_CASE("validate: compartment fields") {
  SUBCASE("bias_mant 4096") {
    auto cfg = valid_core();
    cfg.compartments[2].bias_mant = 4096;
    expect_problem(cfg, "compartments[2].bias_mant", {"4096", "-4095..4095"});
  }
  SUBCASE("bias_mant -4096") {
    auto cfg = valid_core();
    cfg.compartments[2].bias_mant = -4096;
    expect_problem(cfg, "compartments[2].bias_mant", {"-4096", "-4095..4095"});
  }
  SUBCASE("bias_exp 8") {
    auto cfg = valid_core();
    cfg.compartments[5].bias_exp = 8;
    expect_problem(cfg, "compartments[5].bias_exp", {"8", "0..7"});
  }
  SUBCASE("profile index 2 of 2 profiles") {
    auto cfg = valid_core();
    cfg.compartments[7].profile = 2;
    expect_problem(cfg, "compartments[7].profile", {"2", "0..1"});
  }
}

TEST_CASE("validate: joins form trees, children before parents") {
  const auto join = [](CoreConfig& cfg, int child, int parent) {
    cfg.compartments[static_cast<std::size_t>(child)].join = JoinOp::kAdd;
    cfg.compartments[static_cast<std::size_t>(child)].join_parent = parent;
  };
  const auto last = [](const CoreConfig& cfg) {
    return static_cast<int>(cfg.compartments.size()) - 1;
  };
  SUBCASE("valid: 4 joins 5, 0 joins 9") {
    auto cfg = valid_core();
    join(cfg, 4, 5);
    join(cfg, 0, 9);
    CHECK(validate(cfg, {}).empty());
  }
  SUBCASE("valid: several children and several levels (1, 2 -> 4 -> 6; 3 -> 6)") {
    auto cfg = valid_core();
    join(cfg, 1, 4);
    join(cfg, 2, 4);
    join(cfg, 4, 6);
    join(cfg, 3, 6);
    CHECK(validate(cfg, {}).empty());
  }
  SUBCASE("the parent must come after") {
    auto cfg = valid_core();
    join(cfg, 5, 5);
    expect_problem(cfg, "compartments[5].join_parent", {"5", "6.." + std::to_string(last(cfg))});
  }
  SUBCASE("a parent before the child") {
    auto cfg = valid_core();
    join(cfg, 5, 2);
    expect_problem(cfg, "compartments[5].join_parent", {"2", "6.."});
  }
  SUBCASE("a parent beyond the core") {
    auto cfg = valid_core();
    join(cfg, 3, last(cfg) + 1);
    expect_problem(cfg, "compartments[3].join_parent", {std::to_string(last(cfg) + 1)});
  }
  SUBCASE("the last compartment cannot join") {
    auto cfg = valid_core();
    join(cfg, last(cfg), 0);
    expect_problem(cfg, "compartments[" + std::to_string(last(cfg)) + "].join_parent", {"0"});
  }
  SUBCASE("a parent without a join") {
    auto cfg = valid_core();
    cfg.compartments[8].join_parent = 9;
    expect_problem(cfg, "compartments[8].join_parent", {"no join"});
  }
}

TEST_CASE("validate: synapse format fields") {
  SUBCASE("weight_bits 7") {
    auto cfg = valid_core();
    cfg.formats[0].weight_bits = 7;
    // (The lists of format 0 are then also checked against 7 bits: follow-on problems.)
    expect_problem(cfg, "formats[0].weight_bits", {"7", "{0,1,2,3,4,5,6,8}"}, CoreLimits{},
                   FollowOn::kAllowed);
  }
  SUBCASE("weight_exp 8") {
    auto cfg = valid_core();
    cfg.formats[1].weight_exp = 8;
    expect_problem(cfg, "formats[1].weight_exp", {"8", "-7..7"});
  }
  SUBCASE("weight_exp -8") {
    auto cfg = valid_core();
    cfg.formats[1].weight_exp = -8;
    expect_problem(cfg, "formats[1].weight_exp", {"-8", "-7..7"});
  }
  SUBCASE("delay_bits 7") {
    auto cfg = valid_core();
    cfg.formats[0].delay_bits = 7;
    expect_problem(cfg, "formats[0].delay_bits", {"7", "0..6"});
  }
  SUBCASE("index_bits 5 and 13") {
    auto cfg = valid_core();
    cfg.formats[1].index_bits = 5;
    expect_problem(cfg, "formats[1].index_bits", {"5", "6..12"});
    cfg.formats[1].index_bits = 13;
    expect_problem(cfg, "formats[1].index_bits", {"13", "6..12"});
  }
  SUBCASE("unstorable mantissa") {
    auto cfg = valid_core();
    cfg.synapse_lists[0].mantissa[1] = -51;  // odd: 8-bit mixed stores even values only
    expect_problem(cfg, "synapse_lists[0].weights[1]", {"-51", "multiples of 2", "254"});
  }
  SUBCASE("list format 2 of 2 formats") {
    auto cfg = valid_core();
    cfg.synapse_lists[1].format = 2;
    expect_problem(cfg, "synapse_lists[1].format", {"2", "0..1"});
  }
}

TEST_CASE("validate: delays against the accumulator depth and the delay bits") {
  SUBCASE("delay > D - 2") {
    auto cfg = valid_core();  // D = 8, 3 delay bits: the depth allows up to 6
    cfg.synapse_lists[0].delay[3] = 7;
    expect_problem(cfg, "synapse_lists[0].delay[3]", {"7", "0..6"});
  }
  SUBCASE("delay >= 2^delay_bits") {
    auto cfg = valid_core();
    cfg.accumulator_depth = 64;  // the depth allows 62, the format's 2 bits only 3
    cfg.formats[0].delay_bits = 2;
    cfg.synapse_lists[0].delay[3] = 4;
    expect_problem(cfg, "synapse_lists[0].delay[3]", {"4", "0..3"});
  }
  SUBCASE("accumulator depth 4 and 65") {
    auto cfg = valid_core();
    cfg.synapse_lists[0].delay[3] = 2;
    cfg.accumulator_depth = 4;
    expect_problem(cfg, "accumulator_depth", {"4", "8..64"});
    cfg.accumulator_depth = 65;
    expect_problem(cfg, "accumulator_depth", {"65", "8..64"});
  }
}

TEST_CASE("validate: sparse indices and input axon targets") {
  SUBCASE("sparse index >= 2^index_bits") {
    auto cfg = valid_core();
    cfg.compartments.resize(80);         // so that the index, not the core size, is the problem
    cfg.synapse_lists[1].index[1] = 64;  // 6 index bits: 0..63
    expect_problem(cfg, "synapse_lists[1].index[1]", {"64", "0..63"});
  }
  SUBCASE("dense list reaching past the last compartment") {
    auto cfg = valid_core();
    cfg.input_axons[0].base = 13;  // 4 synapses: targets 13..16 of 0..15
    expect_problem(cfg, "input_axons[0]", {"base 13", "compartment 16", "16 compartments"});
  }
  SUBCASE("sparse list reaching past the last compartment") {
    auto cfg = valid_core();
    cfg.input_axons[1].base = 7;  // largest index 9: target 16
    expect_problem(cfg, "input_axons[1]", {"base 7", "compartment 16", "16 compartments"});
  }
  SUBCASE("base outside the core") {
    auto cfg = valid_core();
    cfg.input_axons[1].base = 16;
    expect_problem(cfg, "input_axons[1].base", {"16", "0..15"});
  }
  SUBCASE("unknown synapse list") {
    auto cfg = valid_core();
    cfg.input_axons[2].synapse_list = 3;
    expect_problem(cfg, "input_axons[2].synapse_list", {"3", "0..2"});
  }
  SUBCASE("output axon source outside the core") {
    auto cfg = valid_core();
    cfg.output_axons[1].source = 16;
    expect_problem(cfg, "output_axons[1].source", {"16", "0..15"});
  }
}

TEST_CASE("validate: per-core table sizes") {
  SUBCASE("more than 1024 compartments") {
    auto cfg = valid_core();
    cfg.compartments.resize(1024);
    CHECK(validate(cfg, CoreLimits{}).empty());
    cfg.compartments.resize(1025);
    expect_problem(cfg, "compartments (count)", {"1025", "0..1024"});
  }
  SUBCASE("more than 8192 / D compartments for D = 16") {
    auto cfg = valid_core();
    cfg.accumulator_depth = 16;
    CHECK(compartment_capacity(CoreLimits{}, 16) == 512);
    cfg.compartments.resize(512);
    CHECK(validate(cfg, CoreLimits{}).empty());
    cfg.compartments.resize(513);
    expect_problem(cfg, "compartments (count)", {"513", "0..512"});
  }
  SUBCASE("more than 32 profiles") {
    auto cfg = valid_core();
    cfg.profiles.resize(32, cfg.profiles[0]);  // same threshold: one distinct vth more at most
    CHECK(validate(cfg, CoreLimits{}).empty());
    cfg.profiles.resize(33, cfg.profiles[0]);
    expect_problem(cfg, "profiles (count)", {"33", "1..32"});
  }
  SUBCASE("no profile at all") {
    auto cfg = valid_core();
    cfg.profiles.clear();
    cfg.compartments.clear();
    cfg.input_axons.clear();
    cfg.output_axons.clear();
    expect_problem(cfg, "profiles (count)", {"0", "1..32"});
  }
  SUBCASE("more than 8 distinct thresholds") {
    auto cfg = valid_core();  // thresholds 10 and 20
    for (int k = 0; k < 6; ++k) {
      cfg.profiles.push_back(cfg.profiles[0]);
      cfg.profiles.back().vth_mant = 100 + k;
    }
    CHECK(validate(cfg, CoreLimits{}).empty());  // 8 distinct
    cfg.profiles.push_back(cfg.profiles[0]);
    cfg.profiles.back().vth_mant = 999;
    expect_problem(cfg, "profiles (distinct thresholds)", {"9", "0..8"});
  }
  SUBCASE("more than 8 synapse formats") {
    auto cfg = valid_core();
    cfg.formats.resize(8, cfg.formats[0]);
    CHECK(validate(cfg, CoreLimits{}).empty());
    cfg.formats.resize(9, cfg.formats[0]);
    expect_problem(cfg, "formats (count)", {"9", "0..8"});
  }
  SUBCASE("more than 4096 input axons") {
    auto cfg = valid_core();
    cfg.input_axons.resize(4096, cfg.input_axons[0]);
    CHECK(validate(cfg, CoreLimits{}).empty());
    cfg.input_axons.resize(4097, cfg.input_axons[0]);
    expect_problem(cfg, "input_axons (count)", {"4097", "0..4096"});
  }
  SUBCASE("more than 4096 output axons") {
    auto cfg = valid_core();
    cfg.output_axons.resize(4097, cfg.output_axons[0]);
    expect_problem(cfg, "output_axons (count)", {"4097", "0..4096"});
  }
}

TEST_CASE("validate: several problems are all reported") {
  auto cfg = valid_core();
  cfg.profiles[0].decay_u = 5000;
  cfg.formats[1].weight_exp = 9;
  cfg.compartments[1].bias_exp = 9;
  const auto problems = validate(cfg, CoreLimits{});
  CAPTURE(all_messages(problems));
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].field == "profiles[0].decay_u");
  CHECK(problems[1].field == "formats[1].weight_exp");
  CHECK(problems[2].field == "compartments[1].bias_exp");
  // The Neurocore refuses the configuration and carries every problem.
  try {
    Neurocore core(cfg);
    FAIL("an invalid configuration was accepted");
  } catch (const InvalidCoreConfig& e) {
    CHECK(e.problems().size() == 3);
    CHECK(std::string(e.what()).find("profiles[0].decay_u = 5000") != std::string::npos);
  }
}

TEST_CASE("chip validation: output axons must name an existing core and input axon") {
  ChipConfig chip;
  chip.cores = {valid_core(), valid_core()};  // 3 input axons each
  CHECK(validate(chip).empty());

  SUBCASE("unknown core") {
    chip.cores[0].output_axons[1].dest_core = 2;
    const auto problems = validate(chip);
    CAPTURE(all_messages(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "cores[0].output_axons[1].dest_core");
    CHECK(problems[0].message.find("= 2") != std::string::npos);
    CHECK(problems[0].message.find("allowed range 0..1") != std::string::npos);
    CHECK_THROWS_AS(Chip{chip}, InvalidCoreConfig);
  }
  SUBCASE("negative core") {
    chip.cores[1].output_axons[0].dest_core = -1;
    const auto problems = validate(chip);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "cores[1].output_axons[0].dest_core");
  }
  SUBCASE("unknown axon of an existing core") {
    chip.cores[1].output_axons[0] = OutputAxon{3, 0, 3};
    const auto problems = validate(chip);
    CAPTURE(all_messages(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "cores[1].output_axons[0].dest_axon");
    CHECK(problems[0].message.find("= 3") != std::string::npos);
    CHECK(problems[0].message.find("allowed range 0..2") != std::string::npos);
    CHECK_THROWS_AS(Chip{chip}, InvalidCoreConfig);
  }
  SUBCASE("core problems carry the core's prefix") {
    chip.cores[1].profiles[0].decay_u = 5000;
    const auto problems = validate(chip);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].field == "cores[1].profiles[0].decay_u");
    CHECK(problems[0].message.find("cores[1].profiles[0].decay_u = 5000") != std::string::npos);
  }
}

TEST_CASE("unknown input axons at run time throw std::out_of_range") {
  Neurocore core(valid_core());
  std::vector<SpikeMessage> out;
  const AxonSpike too_high[] = {{3, 1}};
  CHECK_THROWS_AS(core.step(too_high, out), std::out_of_range);
  const AxonSpike negative[] = {{-1, 1}};
  CHECK_THROWS_AS(core.step(negative, out), std::out_of_range);
  const AxonSpike fine[] = {{2, 1}};
  CHECK_NOTHROW(core.step(fine, out));

  Chip chip(ChipConfig{{valid_core()}, CoreLimits{}});
  CHECK_THROWS_AS(chip.inject(0, {3, 1}), std::out_of_range);
  CHECK_THROWS_AS(chip.inject(0, {-1, 1}), std::out_of_range);
  CHECK_THROWS_AS(chip.inject(1, {0, 1}), std::out_of_range);
  CHECK_THROWS_AS(chip.inject(-1, {0, 1}), std::out_of_range);
  CHECK_NOTHROW(chip.inject(0, {2, 1}));
  CHECK(chip.host_spikes_injected() == 1);  // refused spikes are not counted
}

namespace {

struct Traces {
  std::vector<std::vector<std::int32_t>> u, v, ref, fired;  // per step, all cores concatenated
  std::vector<std::size_t> messages;
  bool operator==(const Traces&) const = default;
};

// Drives a two-core chip with a fixed host raster (strong enough to spike and recur, with
// delayed synapses in flight at the end).
Traces run(Chip& chip, int steps) {
  Traces tr;
  for (int t = 0; t < steps; ++t) {
    for (int a = 0; a < 3; ++a)
      if ((t + a) % 3 != 0) chip.inject(t % 2, {a, 1});
    chip.step();
    std::vector<std::int32_t> u, v, ref, fired;
    for (int c = 0; c < chip.num_cores(); ++c) {
      const auto& core = chip.core(c);
      u.insert(u.end(), core.u().begin(), core.u().end());
      v.insert(v.end(), core.v().begin(), core.v().end());
      ref.insert(ref.end(), core.refractory().begin(), core.refractory().end());
      for (auto f : core.fired()) fired.push_back(c * 1000 + f);
    }
    tr.u.push_back(u);
    tr.v.push_back(v);
    tr.ref.push_back(ref);
    tr.fired.push_back(fired);
    tr.messages.push_back(chip.last_messages().size());
  }
  return tr;
}

}  // namespace

TEST_CASE("reset_state restores the power-on state: run, reset, rerun gives identical traces") {
  ChipConfig cfg;
  cfg.cores = {valid_core(), valid_core()};
  cfg.cores[0].output_axons.push_back({5, 1, 0});  // across cores too
  cfg.cores[1].output_axons.push_back({8, 0, 2});
  Chip chip(cfg);

  const Traces first = run(chip, 30);
  // The run must have done something for the comparison to mean anything.
  std::size_t spikes = 0;
  for (const auto& f : first.fired) spikes += f.size();
  CHECK(spikes > 10);
  const CoreCounts after_first = chip.total_counts();

  chip.reset_state();
  CHECK(chip.time() == 0);
  CHECK(chip.last_messages().empty());
  for (int c = 0; c < chip.num_cores(); ++c) {
    const auto& core = chip.core(c);
    CHECK(core.time() == 0);
    CHECK(core.fired().empty());
    for (std::size_t i = 0; i < core.u().size(); ++i) {
      CHECK(core.u()[i] == 0);
      CHECK(core.v()[i] == 0);
      CHECK(core.refractory()[i] == 0);
    }
  }
  // Counters are kept across a reset (they count over the whole run).
  CHECK(chip.total_counts() == after_first);

  // Spikes injected before the reset, and delayed synaptic events still in the accumulator,
  // must not leak into the rerun: the traces are identical to the first run's.
  const Traces second = run(chip, 30);
  CHECK(second == first);
  CoreCounts doubled = after_first;
  doubled += after_first;
  CHECK(chip.total_counts() == doubled);

  SUBCASE("pending host spikes are dropped by the reset") {
    chip.reset_state();
    chip.inject(0, {2, 1});
    chip.inject(1, {2, 1});
    chip.reset_state();
    // Same as a fresh chip without input (the biases alone make some compartments spike).
    Chip fresh(cfg);
    for (int t = 0; t < 5; ++t) {
      chip.step();
      fresh.step();
      for (int c = 0; c < chip.num_cores(); ++c) {
        CAPTURE(t);
        CAPTURE(c);
        const auto& a = chip.core(c);
        const auto& b = fresh.core(c);
        CHECK(std::equal(a.u().begin(), a.u().end(), b.u().begin(), b.u().end()));
        CHECK(std::equal(a.v().begin(), a.v().end(), b.v().begin(), b.v().end()));
      }
    }
  }
}
