// The two worked traces of loihi.md section 2, and the sigma-delta trace of docs/core.md, through
// the C++ API.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <vector>

#include "core/chip.hpp"
#include "core/neurocore.hpp"

using namespace loihisim::core;

namespace {

struct Trace {
  std::vector<std::int32_t> u, v;
  std::set<int> spikes;  // 1-based steps
};

// Runs a one-compartment core; `raster[t]` lists the input axons spiking at step t + 1.
Trace run_single(const CoreConfig& cfg, const std::vector<std::vector<int>>& raster, int steps) {
  Chip chip(ChipConfig{{cfg}, CoreLimits{}});
  Trace tr;
  for (int t = 0; t < steps; ++t) {
    if (t < static_cast<int>(raster.size()))
      for (int a : raster[static_cast<std::size_t>(t)]) chip.inject(0, {a, 1});
    chip.step();
    tr.u.push_back(chip.core(0).u()[0]);
    tr.v.push_back(chip.core(0).v()[0]);
    if (!chip.core(0).fired().empty()) tr.spikes.insert(t + 1);
  }
  return tr;
}

}  // namespace

TEST_CASE("worked trace 1 (nengo-loihi and Lava agree)") {
  CoreConfig cfg;
  CompartmentProfile p;
  p.decay_u = 1024;
  p.decay_v = 256;
  p.vth_mant = 300;
  p.refract_delay = 1;
  cfg.profiles = {p};
  cfg.formats = {SynapseFormat{}};  // 8-bit mixed, exponent 0
  cfg.compartments = {CompartmentConfig{0, 40, 0}};
  cfg.synapse_lists = {SynapseList{0, {100}, {}, {}}, SynapseList{0, {50}, {}, {}}};
  cfg.input_axons = {InputAxon{0, 0}, InputAxon{1, 0}};
  std::vector<std::vector<int>> raster(5, {0, 1});

  const Trace tr = run_single(cfg, raster, 20);
  CHECK(tr.u == std::vector<std::int32_t>{0,     9600,  16797, 22193, 26239, 29272, 21946,
                                          16454, 12336, 9248,  6933,  5198,  3897,  2921,
                                          2190,  1641,  1230,  922,   691,   518});
  CHECK(tr.v == std::vector<std::int32_t>{40,    9677, 0,     0,     0,     0,    0,
                                          16494, 0,    9288,  15680, 0,     3937, 6651,
                                          8465,  9616, 10285, 10604, 10672, 10563});
  CHECK(tr.spikes == std::set<int>{3, 4, 5, 6, 7, 9, 12});
}

TEST_CASE("worked trace 2 (refractory period and vmin)") {
  CoreConfig cfg;
  CompartmentProfile p;
  p.decay_u = 409;
  p.decay_v = 123;
  p.vth_mant = 100;
  p.refract_delay = 3;
  p.vmin_exp = 10;  // vmin = -1023
  cfg.profiles = {p};
  SynapseFormat exc;
  exc.sign = SignMode::kExcitatory;
  SynapseFormat inh;
  inh.sign = SignMode::kInhibitory;
  cfg.formats = {exc, inh};
  cfg.compartments = {CompartmentConfig{0, -6, 0}};
  cfg.synapse_lists = {SynapseList{0, {37}, {}, {}}, SynapseList{1, {-101}, {}, {}}};
  cfg.input_axons = {InputAxon{0, 0}, InputAxon{1, 0}};
  std::vector<std::vector<int>> raster(11);
  for (int t : {1, 2, 3, 4, 11}) raster[static_cast<std::size_t>(t - 1)].push_back(0);
  for (int t : {8, 9, 10}) raster[static_cast<std::size_t>(t - 1)].push_back(1);

  const Trace tr = run_single(cfg, raster, 16);
  CHECK(tr.u == std::vector<std::int32_t>{0, 2368, 4498, 6415, 8140, 7325, 6591, 5931, -1127, -7478,
                                          -13193, -9504, -8552, -7695, -6924, -6230});
  CHECK(tr.v == std::vector<std::int32_t>{-6, 2357, 0, 0, 0, 0, 0, 0, -1023, -1023, -1023, -1023,
                                          -1023, -1023, -1023, -1023});
  CHECK(tr.spikes == std::set<int>{3, 6});
}

// docs/core.md, "Sigma-delta neurons", the worked trace: K = 4 (quantum 16, V starts at 8),
// input_max = 64, bias 3, u = q (decay_u 4095), no decay of V. Each q is a graded host spike of
// payload q on a synapse of effective weight 1 (8-bit excitatory mantissa 1, exponent -6).
TEST_CASE("worked trace 3: a sigma-delta neuron (docs/core.md)") {
  CoreConfig cfg;
  CompartmentProfile p;
  p.neuron = NeuronModel::kSigmaDelta;
  p.spike = SpikeKind::kGraded;
  p.payload_shift = 4;
  p.input_max = 64;
  p.decay_u = 4095;
  p.decay_v = 0;
  cfg.profiles = {p};
  SynapseFormat f;
  f.sign = SignMode::kExcitatory;
  f.weight_exp = -6;
  cfg.formats = {f};
  cfg.compartments = {CompartmentConfig{0, 3, 0}};
  cfg.synapse_lists = {SynapseList{0, {1}, {}, {}}};
  cfg.input_axons = {InputAxon{0, 0}};
  cfg.output_axons = {OutputAxon{0, 7, 9}};
  Neurocore core(cfg);
  REQUIRE(core.v()[0] == 8);  // half a quantum

  struct Row {
    std::int32_t q, u2, s, v_before, n, v_after;
  };
  // The table of docs/core.md: u2 = q + 3, s = clip(u2, 0, 64), V before = V + s,
  // n = V before >> 4, V after = V before - 16 n.
  const Row rows[] = {{10, 13, 13, 21, 1, 5},    {37, 40, 40, 45, 2, 13}, {-20, -17, 0, 13, 0, 13},
                      {100, 103, 64, 77, 4, 13}, {5, 8, 8, 21, 1, 5},     {29, 32, 32, 37, 2, 5}};
  std::int32_t v = 8;
  for (std::size_t t = 0; t < std::size(rows); ++t) {
    const Row& r = rows[t];
    CAPTURE(t);
    // The row is consistent with the semantics (so the table itself is checked) ...
    CHECK(r.u2 == r.q + 3);
    CHECK(r.s == std::clamp(r.u2, 0, 64));
    CHECK(r.v_before == v + r.s);
    CHECK(r.n == r.v_before / 16);
    CHECK(r.v_after == r.v_before - 16 * r.n);
    v = r.v_after;
    // ... and the core computes it.
    const AxonSpike in[] = {{0, r.q}};
    std::vector<SpikeMessage> out;
    core.step(in, out);
    CHECK(core.u()[0] == r.q);  // decay_u 4095: u is this step's input
    CHECK(core.v()[0] == r.v_after);
    CHECK(core.refractory()[0] == 0);
    if (r.n > 0) {
      REQUIRE(core.fired().size() == 1);
      REQUIRE(out.size() == 1);
      CHECK(out[0].dest_core == 7);
      CHECK(out[0].dest_axon == 9);
      CHECK(out[0].payload == r.n);
    } else {
      CHECK(core.fired().empty());
      CHECK(out.empty());
    }
  }
  CHECK(core.counts().cx_updates == 6);
  CHECK(core.counts().cx_updates_active == 6);
  CHECK(core.counts().spikes == 5);
  CHECK(core.counts().spikes_out == 5);

  // reset_state() puts V back at half a quantum and u at 0.
  core.reset_state();
  CHECK(core.v()[0] == 8);
  CHECK(core.u()[0] == 0);
  std::vector<SpikeMessage> out;
  const AxonSpike first[] = {{0, 10}};
  core.step(first, out);
  CHECK(core.v()[0] == 5);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == 1);
}

// Without an upper clip (input_max -1) the input is only rectified; a voltage decay acts on the
// residual, and a large input leaves as one large payload.
TEST_CASE("sigma-delta: no upper clip, decay of the residual, a large payload") {
  CoreConfig cfg;
  CompartmentProfile p;
  p.neuron = NeuronModel::kSigmaDelta;
  p.spike = SpikeKind::kGraded;
  p.payload_shift = 2;  // quantum 4, V starts at 2
  p.decay_u = 4095;
  p.decay_v = 2048;  // V keeps half of itself (truncated)
  cfg.profiles = {p};
  SynapseFormat f;
  f.sign = SignMode::kExcitatory;
  f.weight_exp = -6;
  cfg.formats = {f};
  cfg.compartments = {CompartmentConfig{0, 0, 0}};
  cfg.synapse_lists = {SynapseList{0, {1}, {}, {}}};
  cfg.input_axons = {InputAxon{0, 0}};
  cfg.output_axons = {OutputAxon{0, 0, 0}};
  Neurocore core(cfg);
  std::vector<SpikeMessage> out;
  // Step 1: V = trunc(2 / 2) + 1001 = 1002: payload 250, V = 2.
  const AxonSpike big[] = {{0, 1001}};
  core.step(big, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == 250);
  CHECK(core.v()[0] == 2);
  // Step 2: q = -5 is rectified: V = trunc(2 / 2) + 0 = 1.
  out.clear();
  const AxonSpike negative[] = {{0, -5}};
  core.step(negative, out);
  CHECK(out.empty());
  CHECK(core.v()[0] == 1);
  // Step 3: the largest q, 2^21 - 1: V = trunc(1 / 2) + 2097151, payload 524287, V = 3.
  out.clear();
  const AxonSpike largest[] = {{0, (1 << 21) - 1}};
  core.step(largest, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload == 524287);
  CHECK(core.v()[0] == 3);
  // Step 4: 2^21 wraps (21 bits + sign) to q = -2^21, which is rectified: V = trunc(3 / 2) = 1.
  out.clear();
  const AxonSpike wraps[] = {{0, 1 << 21}};
  core.step(wraps, out);
  CHECK(out.empty());
  CHECK(core.u()[0] == -(1 << 21));
  CHECK(core.v()[0] == 1);
}
