// The two worked traces of loihi.md section 2, through the C++ API.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "core/chip.hpp"

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
