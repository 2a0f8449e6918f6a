// Energy and time of whole steps through core::ChipAccountant, and the report built from it.
// Expected numbers are computed by hand from the table in test_arch() (docs/energy-model.md).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/chip_accountant.hpp"
#include "core/mesh_router.hpp"
#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/summary_file.hpp"
#include "runtime/report.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;
using namespace loihisim::core;

namespace {

// Two chips side by side, each 4 x 4 tiles of 2 cores, with round numbers in every table.
Architecture test_arch() {
  Architecture a;
  a.name = "test";
  a.mesh.tiles_x = 4;
  a.mesh.tiles_y = 4;
  a.mesh.cores_per_tile = 2;
  a.mesh.chips_x = 2;
  a.mesh.chips_y = 1;
  CoreEventCosts& c = a.core_costs;
  c.spike_received = {1'000, 16'000};  // fJ, ps
  c.syn_op_dense = {20'000, 3'000};
  c.syn_op_sparse = {30'000, 4'000};
  c.update_inactive = {50'000, 5'000};
  c.update_active = {80'000, 8'000};
  c.fire_extra = {70'000, 30'000};
  c.spike_sent = {100'000, 5'000};
  a.network.within_tile = {1'700, 2'000};
  a.network.east_west = {{3'000, 4'000}, 1'000, 8};
  a.network.north_south = {{4'000, 6'000}, 1'000, 8};
  a.network.chip_to_chip = {{100'000, 100'000}, 2'000, 8};
  a.network.barrier_by_tiles = {{1, 100'000}, {16, 400'000}};
  a.network.barrier_by_chips = {{2, 1'000'000}};
  a.network.barrier_energy_fj_per_tile = 7'000;
  a.host.spike_injected = {640'000, 64'000};
  a.host.readback = {320'000, 32'000};
  a.host.word = {300'000, 30'000};
  a.power.static_uw = 104'000;
  a.power.x86_uw = 65'000;
  a.power.x86_in_use = false;
  return a;
}

int core_at(const MeshGeometry& g, int chip, int x, int y, int c = 0) {
  return chip * g.cores_per_chip() + (y * g.tiles_x + x) * g.cores_per_tile + c;
}

// A core of `n` compartments. The first `firing` fire at every step (bias 100 > vth 64, no
// refractory hold); the rest never do and stay inactive unless input arrives. Each firing
// compartment sends one message to every (core, axon) in `targets`. `inputs` input axons each
// drive one zero-weight dense synapse onto compartment 0 (a synaptic operation that leaves the
// compartment inactive).
CoreConfig make_core(int n, int firing, const std::vector<std::pair<int, int>>& targets,
                     int inputs) {
  CoreConfig cfg;
  CompartmentProfile fire;
  fire.vth_mant = 1;
  fire.refract_delay = 1;
  CompartmentProfile silent;
  silent.vth_mant = 1000;
  cfg.profiles = {fire, silent};
  cfg.formats = {SynapseFormat{}};
  for (int i = 0; i < n; ++i) {
    CompartmentConfig c;
    c.profile = i < firing ? 0 : 1;
    c.bias_mant = i < firing ? 100 : 0;
    cfg.compartments.push_back(c);
  }
  for (int i = 0; i < firing; ++i)
    for (const auto& [core, axon] : targets) cfg.output_axons.push_back({i, core, axon});
  if (inputs > 0) {
    cfg.synapse_lists.push_back({0, {0}, {}, {}});
    for (int i = 0; i < inputs; ++i) cfg.input_axons.push_back({0, 0});
  }
  return cfg;
}

std::int64_t sum_lines(const EnergyBreakdown& b) {
  std::int64_t s = 0;
  for (const auto& l : b.lines) s += l.energy_fj;
  return s;
}

std::int64_t line(const EnergyBreakdown& b, EnergyEvent e) {
  return b.lines[static_cast<std::size_t>(e)].energy_fj;
}

}  // namespace

TEST_CASE("example: attaching an accountant to a chip run") {
  // The few lines a runtime needs: build the accountant next to the chip, observe after every
  // step, then ask for the energy breakdown or a full report.
  const Architecture arch = load_architecture("loihi1");
  Chip chip(ChipConfig{{make_core(4, 2, {{1, 0}}, 0), make_core(4, 0, {}, 1)}, arch.core});
  ChipAccountant acct(arch);  // chip core i on physical core i
  for (int t = 0; t < 10; ++t) {
    chip.step();
    acct.observe(chip);
  }
  const EnergyBreakdown e = energy_breakdown(arch, acct.energy_counts());
  CHECK(e.total_fj == sum_lines(e));
  const Report r = make_report(acct, {.inferences = 2, .core_groups = {"input", "output"}});
  CHECK(r.steps == 10);
  CHECK(r.energy.total_fj == e.total_fj);
  CHECK(r.cores_in_use == 2);
  CHECK(r.tiles_in_use == 1);  // physical cores 0 and 1 share tile (0,0)
  CHECK(r.chips_in_use == 1);
  CHECK(report_text(r).find("architecture loihi1") != std::string::npos);
}

TEST_CASE("one spike 3 hops east and 2 north: exact step time and energy") {
  const Architecture arch = test_arch();
  const MeshGeometry& g = arch.mesh;
  // Chip core 0 (one firing compartment) on tile (0,0); chip core 1 (one silent compartment)
  // on tile (3,2).
  Chip chip(ChipConfig{{make_core(1, 1, {{1, 0}}, 0), make_core(1, 0, {}, 1)}, CoreLimits{}});
  ChipAccountant acct(arch, {core_at(g, 0, 0, 0), core_at(g, 0, 3, 2)});
  chip.step();
  acct.observe(chip);

  const StepRecord& s = acct.step_records().at(0);
  // Core 0: one active update (8 ns) and one fire (30 ns), then its message (5 ns): busy 43 ns,
  // the message leaves at 43 ns. Core 1: one inactive update, 5 ns.
  CHECK(s.compute_ps == 43'000);
  CHECK(acct.core_totals()[1].busy_ps == 5'000);
  // 3 east hops x 4 ns + 2 north hops x 6 ns.
  CHECK(s.network_ps == 43'000 + 12'000 + 12'000);
  // Two tiles in use: 100 + (400 - 100) x 1 / 15 ns.
  CHECK(s.barrier_ps == 120'000);
  CHECK(s.step_ps == 67'000 + 120'000);
  // The network finished last, but of the message's 67 ns, 43 were core 0's work before it left
  // (24 ns of path, no waiting): core 0 is the critical component.
  CHECK(s.critical == CriticalComponent{CriticalComponent::Kind::kCore, 0});
  CHECK(acct.describe(s.critical) == "chip core 0 on physical core 0 (chip 0 tile (0,0) core 0)");

  const EnergyBreakdown e = energy_breakdown(arch, acct.energy_counts());
  CHECK(line(e, EnergyEvent::kUpdateActive) == 80'000);
  CHECK(line(e, EnergyEvent::kUpdateInactive) == 50'000);
  CHECK(line(e, EnergyEvent::kFireExtra) == 70'000);
  CHECK(line(e, EnergyEvent::kSpikeSent) == 100'000);
  CHECK(line(e, EnergyEvent::kEastWestHop) == 3 * 3'000);
  CHECK(line(e, EnergyEvent::kNorthSouthHop) == 2 * 4'000);
  CHECK(line(e, EnergyEvent::kWithinTile) == 0);
  CHECK(line(e, EnergyEvent::kBarrierTile) == 2 * 7'000);
  // 187000 ps x 1 chip x 104000 uW / 1000 = 19448000 fJ; the x86 cores are not in use.
  CHECK(line(e, EnergyEvent::kStatic) == 19'448'000);
  CHECK(line(e, EnergyEvent::kX86) == 0);
  CHECK(e.dynamic_fj == 80'000 + 50'000 + 70'000 + 100'000 + 9'000 + 8'000 + 14'000);
  CHECK(e.total_fj == e.dynamic_fj + 19'448'000);
  CHECK(e.total_fj == 19'779'000);
  // The source core owns the hops of its message.
  CHECK(energy_breakdown(arch, acct.core_energy_counts(0)).total_fj == 267'000);
  CHECK(energy_breakdown(arch, acct.core_energy_counts(1)).total_fj == 50'000);

  // Next step: core 1 receives the spike (16 ns + one synaptic op 3 ns + inactive update 5 ns).
  chip.step();
  acct.observe(chip);
  CHECK(acct.core_totals()[1].busy_ps == 5'000 + 16'000 + 3'000 + 5'000);
  CHECK(acct.elapsed_ps() == 2 * 187'000);
}

TEST_CASE("critical path: a core versus the network") {
  const Architecture arch = test_arch();
  const MeshGeometry& g = arch.mesh;
  SUBCASE("a core whose busy time is the longest") {
    // Core 1 has 20 silent compartments: 20 x 5 ns = 100 ns > the message's 67 ns.
    Chip chip(ChipConfig{{make_core(1, 1, {{1, 0}}, 0), make_core(20, 0, {}, 1)}, CoreLimits{}});
    ChipAccountant acct(arch, {core_at(g, 0, 0, 0), core_at(g, 0, 3, 2)});
    chip.step();
    acct.observe(chip);
    const StepRecord& s = acct.step_records()[0];
    CHECK(s.compute_ps == 100'000);
    CHECK(s.network_ps == 67'000);
    CHECK(s.step_ps == 100'000 + 120'000);
    CHECK(s.critical == CriticalComponent{CriticalComponent::Kind::kCore, 1});
    CHECK(acct.core_totals()[1].critical_steps == 1);
    CHECK(acct.describe(s.critical) ==
          "chip core 1 on physical " + describe_core(g, core_at(g, 0, 3, 2)));
  }
  SUBCASE("a congested link") {
    // Sending is free and firing takes no time here, so core 0 is done after its one active
    // update (8 ns) and all 60 messages of its compartment leave together over one east link:
    // the last waits 59 x 1 ns, more than the 8 ns before it left and its 4 ns hop.
    Architecture fast = arch;
    fast.core_costs.spike_sent.latency_ps = 0;
    fast.core_costs.fire_extra.latency_ps = 0;
    const std::vector<std::pair<int, int>> sixty(60, {1, 0});
    Chip chip(ChipConfig{{make_core(1, 1, sixty, 0), make_core(1, 0, {}, 1)}, CoreLimits{}});
    ChipAccountant acct(fast, {core_at(g, 0, 0, 0), core_at(g, 0, 1, 0)});
    chip.step();
    acct.observe(chip);
    const StepRecord& s = acct.step_records()[0];
    CHECK(s.compute_ps == 8'000);
    CHECK(s.network_ps == 8'000 + 59 * 1'000 + 4'000);
    CHECK(s.critical.kind == CriticalComponent::Kind::kLink);
    CHECK(s.critical.index == link_id(g, {0, 0}, Direction::kEast));
    CHECK(acct.describe(s.critical) == "E link from chip 0 tile (0,0)");
    CHECK(acct.last_deliveries().back().worst_wait_ps == 59'000);
  }
  SUBCASE("a long route") {
    // Chip 0 tile (0,0) to chip 1 tile (3,3): board x 0 -> 7 is 6 on-chip E-W hops and the chip
    // hop from x 3 to 4, then 3 N-S hops: 6 x 4 + 100 + 3 x 6 = 142 ns of path against 43 ns
    // before the message left.
    Chip chip(ChipConfig{{make_core(1, 1, {{1, 0}}, 0), make_core(1, 0, {}, 1)}, CoreLimits{}});
    ChipAccountant acct(arch, {core_at(g, 0, 0, 0), core_at(g, 1, 3, 3)});
    chip.step();
    acct.observe(chip);
    const StepRecord& s = acct.step_records()[0];
    CHECK(s.network_ps == 43'000 + 142'000);
    CHECK(s.critical == CriticalComponent{CriticalComponent::Kind::kRoute, 0 * 2 + 1});
    CHECK(acct.describe(s.critical) ==
          "route from chip core 0 to chip core 1 (6 E-W, 3 N-S, 1 chip-to-chip hops)");
  }
}

TEST_CASE("a chip-to-chip crossing: chip hops, the multi-chip barrier and static power") {
  const Architecture arch = test_arch();
  const MeshGeometry& g = arch.mesh;
  Chip chip(ChipConfig{{make_core(1, 1, {{1, 0}}, 0), make_core(1, 0, {}, 1)}, CoreLimits{}});
  ChipAccountant acct(arch, {core_at(g, 0, 0, 0), core_at(g, 1, 0, 0)});
  chip.step();
  acct.observe(chip);
  CHECK(acct.chips_in_use() == 2);
  const StepRecord& s = acct.step_records()[0];
  // Board x 0 -> 4: three on-chip east hops and the chip hop from x 3 to 4.
  CHECK(s.network_ps == 43'000 + 3 * 4'000 + 100'000);
  CHECK(s.barrier_ps == 1'000'000);  // two chips in use: the chip table
  CHECK(s.step_ps == 155'000 + 1'000'000);
  // 112 ns of path against 43 ns before the message left: the route is critical.
  CHECK(s.critical == CriticalComponent{CriticalComponent::Kind::kRoute, 1});
  const EnergyBreakdown e = energy_breakdown(arch, acct.energy_counts());
  CHECK(line(e, EnergyEvent::kChipHop) == 100'000);
  CHECK(line(e, EnergyEvent::kEastWestHop) == 3 * 3'000);
  // Two chips x 1155000 ps x 104 mW.
  CHECK(line(e, EnergyEvent::kStatic) == 2 * 1'155'000 * 104);
}

TEST_CASE("host link: injected spikes are serialised, read-back follows the barrier") {
  const Architecture arch = test_arch();
  const MeshGeometry& g = arch.mesh;
  Chip chip(ChipConfig{{make_core(1, 1, {{1, 0}}, 0), make_core(1, 0, {}, 3)}, CoreLimits{}});
  ChipAccountant acct(arch, {core_at(g, 0, 0, 0), core_at(g, 0, 3, 2)});
  for (int a = 0; a < 3; ++a) chip.inject(1, {a, 1});
  chip.step();
  acct.observe(chip, HostTraffic{2, 1});
  const StepRecord& s = acct.step_records()[0];
  CHECK(s.host_ps == 3 * 64'000);
  CHECK(s.readback_ps == 2 * 32'000 + 30'000);
  CHECK(s.step_ps == 192'000 + 120'000 + 94'000);
  CHECK(s.critical.kind == CriticalComponent::Kind::kHostLink);
  CHECK(acct.core_totals()[1].host_spikes_received == 3);
  const EnergyBreakdown e = energy_breakdown(arch, acct.energy_counts());
  CHECK(line(e, EnergyEvent::kHostSpikeInjected) == 3 * 640'000);
  CHECK(line(e, EnergyEvent::kHostReadback) == 2 * 320'000);
  CHECK(line(e, EnergyEvent::kHostWord) == 300'000);
}

TEST_CASE("active and inactive updates follow the core's definition") {
  // Active = input q, u, v or bias nonzero before the update (core/neurocore.cpp): a biased
  // compartment is active every step, a silent one without input never is.
  const Architecture arch = test_arch();
  Chip chip(ChipConfig{{make_core(5, 2, {}, 0)}, CoreLimits{}});
  ChipAccountant acct(arch);
  for (int t = 0; t < 4; ++t) {
    chip.step();
    acct.observe(chip);
  }
  const CoreCounts& c = acct.core_totals()[0].counts;
  CHECK(c.cx_updates == 20);
  CHECK(c.cx_updates_active == 8);
  CHECK(c.cx_updates_inactive() == 12);
  const EnergyBreakdown e = energy_breakdown(arch, acct.energy_counts());
  CHECK(line(e, EnergyEvent::kUpdateActive) == 8 * 80'000);
  CHECK(line(e, EnergyEvent::kUpdateInactive) == 12 * 50'000);
  CHECK(line(e, EnergyEvent::kFireExtra) == 8 * 70'000);
}

TEST_CASE("static energy is rounded once, to the nearest fJ") {
  Architecture a = test_arch();
  EnergyCounts n;
  n[EnergyEvent::kStatic] = 1'500;  // 1500 chip-ps x 104 mW = 156000 fJ exactly
  CHECK(line(energy_breakdown(a, n), EnergyEvent::kStatic) == 156'000);
  a.power.static_uw = 1'333;
  n[EnergyEvent::kStatic] = 7;  // 7 x 1333 / 1000 = 9.331 fJ -> 9
  CHECK(line(energy_breakdown(a, n), EnergyEvent::kStatic) == 9);
  n[EnergyEvent::kStatic] = 2'000'000'000'001;  // q x uW + round(r x uW / 1000), no overflow
  CHECK(line(energy_breakdown(a, n), EnergyEvent::kStatic) ==
        std::int64_t{2'000'000'000} * 1'333 + 1);
  a.power.x86_in_use = true;
  n[EnergyEvent::kX86] = 1'000;
  CHECK(line(energy_breakdown(a, n), EnergyEvent::kX86) == 65'000);
  EnergyCounts huge;
  huge[EnergyEvent::kSynOpDense] = std::uint64_t{1} << 62;
  CHECK_THROWS_AS(energy_breakdown(a, huge), std::overflow_error);
}

TEST_CASE("the breakdown sums exactly to the total, by kind, by core and by group") {
  for (const char* profile : {"loihi1", "loihi1-sanafe", "loihi2"}) {
    CAPTURE(profile);
    const Architecture arch = load_architecture(profile);
    // Six cores with fan-out to each other, spread over two tiles and placed out of order.
    std::vector<CoreConfig> cores;
    for (int c = 0; c < 6; ++c)
      cores.push_back(make_core(3 + c, 1 + c % 3, {{(c + 1) % 6, c % 2}, {(c + 3) % 6, 0}}, 2));
    Chip chip(ChipConfig{cores, arch.core});
    ChipAccountant acct(arch, {9, 0, 33, 4, 70, 2}, {.keep_per_core_steps = true});
    for (int t = 0; t < 25; ++t) {
      if (t % 4 == 0) chip.inject(t % 6, {1, 1});
      chip.step();
      acct.observe(chip, HostTraffic{static_cast<std::uint64_t>(t % 3), 1});
    }
    const Report r = make_report(
        acct, {.inferences = 5, .core_groups = {"a", "b", "a", "c", "b", "a"}, .per_step = true});
    std::int64_t lines = 0, dynamic = 0;
    for (const auto& l : r.energy.lines) {
      lines += l.energy_fj;
      if (!is_static(l.event)) dynamic += l.energy_fj;
      if (!is_static(l.event))
        CHECK(l.energy_fj == static_cast<std::int64_t>(l.count) * l.per_unit);
    }
    CHECK(lines == r.energy.total_fj);
    CHECK(dynamic == r.energy.dynamic_fj);
    CHECK(r.energy.dynamic_fj + r.energy.static_fj == r.energy.total_fj);
    std::int64_t cores_sum = 0;
    for (const auto& c : r.by_core) cores_sum += c.dynamic_fj;
    CHECK(cores_sum + r.unattributed_dynamic_fj == r.energy.dynamic_fj);
    std::int64_t groups_sum = 0;
    for (const auto& g : r.by_group) groups_sum += g.dynamic_fj;
    CHECK(groups_sum == cores_sum);
    REQUIRE(r.by_group.size() == 3);
    CHECK(r.by_group[0].group == "a");
    CHECK(r.by_group[0].cores == 3);
    // Unattributed dynamic energy is exactly the barrier and host-link lines.
    std::int64_t shared = 0;
    for (const auto& l : r.energy.lines) {
      const std::string event(energy_event_name(l.event));
      if (event == "barrier_tile" || event.rfind("host_", 0) == 0) shared += l.energy_fj;
    }
    CHECK(shared == r.unattributed_dynamic_fj);
    // Time: the latency is the sum of the step times, and static energy is charged on it.
    std::int64_t steps = 0;
    for (const auto& s : acct.step_records()) steps += s.step_ps;
    CHECK(r.latency_ps == steps);
    CHECK(r.latency_ps == acct.elapsed_ps());
    CHECK(r.step_min_ps <= r.step_median_ps);
    CHECK(r.step_median_ps <= r.step_max_ps);
    std::uint64_t critical_steps = 0;
    for (const auto& c : r.critical) critical_steps += c.steps;
    CHECK(critical_steps == 25);
    // Per-step arrays add up to the run totals.
    REQUIRE(r.core_step_counts.size() == 25 * 6);
    std::int64_t busy = 0;
    for (auto b : r.core_step_busy_ps) busy += b;
    std::int64_t busy_totals = 0;
    for (const auto& c : r.by_core) busy_totals += c.totals.busy_ps;
    CHECK(busy == busy_totals);
  }
}

TEST_CASE("report summary: run totals as exact integers, the shared breakdown keys") {
  const Architecture arch = load_architecture("loihi1-sanafe");
  Chip chip(ChipConfig{{make_core(4, 2, {{1, 0}, {1, 1}}, 0), make_core(3, 0, {}, 2)}, arch.core});
  ChipAccountant acct(arch);
  for (int t = 0; t < 7; ++t) {
    chip.step();
    acct.observe(chip);
  }
  const Report r = make_report(acct, {.inferences = 7, .core_groups = {"in \"x\"", "out"}});

  Summary j = report_summary(r);
  CHECK(j["report"] == "core_run");
  CHECK(j["architecture"] == "loihi1-sanafe");
  CHECK(j["steps"] == 7);
  CHECK(j["in_use"]["cores"] == 2);
  CHECK(j["energy"]["total_fJ"].get<std::int64_t>() == r.energy.total_fj);
  REQUIRE(j["energy"]["breakdown"].size() == kNumEnergyEvents);
  std::int64_t sum = 0;
  for (const auto& l : j["energy"]["breakdown"]) sum += l["energy_fJ"].get<std::int64_t>();
  CHECK(sum == r.energy.total_fj);
  auto& dense = j["energy"]["breakdown"][0];
  CHECK(dense["event"] == "syn_op_dense");
  CHECK(dense["kind"] == "dynamic");
  CHECK(dense["energy_per_event_fJ"] == 35'500);
  CHECK(dense["count"].get<std::uint64_t>() == r.energy.lines[0].count);
  auto& stat = j["energy"]["breakdown"][static_cast<std::size_t>(EnergyEvent::kStatic)];
  CHECK(stat["event"] == "static");
  CHECK(stat["kind"] == "static");
  CHECK(stat["chip_ps"].get<std::int64_t>() == r.latency_ps);  // one chip in use
  CHECK(stat["power_per_chip_uW"] == arch.power.static_uw);
  CHECK_FALSE(stat.contains("count"));
  CHECK(j["energy"]["by_group"][0]["group"] == "in \"x\"");
  CHECK(j["time"]["latency_ps"].get<std::int64_t>() == r.latency_ps);
  CHECK(j["time"]["step"]["mean_ps"].get<double>() == static_cast<double>(r.latency_ps) / 7);
  // Per inference = run / 7, in pJ and ns.
  CHECK(j["energy"]["per_inference"]["total_pJ"].get<double>() ==
        static_cast<double>(r.energy.total_fj) / 7 / 1000);
  CHECK(j["time"]["per_inference"]["latency_ns"].get<double>() ==
        static_cast<double>(r.latency_ps) / 7 / 1000);
}

TEST_CASE("report files: atomic, by extension, HDF5 per-step arrays") {
  const Architecture arch = load_architecture("loihi1");
  Chip chip(ChipConfig{{make_core(2, 1, {{1, 0}}, 0), make_core(2, 0, {}, 1)}, arch.core});
  ChipAccountant acct(arch, {}, {.keep_per_core_steps = true});
  for (int t = 0; t < 5; ++t) {
    chip.step();
    acct.observe(chip);
  }
  const Report r = make_report(acct, {.per_step = true});
  const loihisim::testing::TempDir tmp("energy_out");
  const auto& dir = tmp.path;

  write_report(r, dir / "r.h5");
  h5::Group root = h5::open_file((dir / "r.h5").string());
  CHECK(root.int_attribute("total_fJ") == r.energy.total_fj);
  std::vector<std::uint64_t> dims;
  const auto step_ps = root.open_group("steps").read<std::int64_t>("step_ps", &dims);
  REQUIRE(step_ps.size() == 5);
  CHECK(std::accumulate(step_ps.begin(), step_ps.end(), std::int64_t{0}) == r.latency_ps);
  const auto busy = root.open_group("core_steps").read<std::int64_t>("busy_ps", &dims);
  CHECK(dims == std::vector<std::uint64_t>{5, 2});
  CHECK(busy == r.core_step_busy_ps);
  const auto updates = root.open_group("core_steps").read<std::uint64_t>("cx_updates", &dims);
  CHECK(updates == std::vector<std::uint64_t>(10, 2));
  CHECK(root.open_group("energy").read_strings("event").at(0) == "syn_op_dense");

  write_report(r, dir / "r.json");
  write_report(r, dir / "r.yaml");
  // The summary reads back the same from either form.
  CHECK(read_summary(dir / "r.json") == report_summary(r));
  CHECK(read_summary(dir / "r.yaml") == report_summary(r));
  CHECK_THROWS_AS(write_report(r, dir / "r.txt"), InputError);
  CHECK_FALSE(std::filesystem::exists(dir / "r.txt"));

  // Asking for per-core arrays the accountant did not keep is a programming error.
  ChipAccountant plain(arch);
  chip.step();
  plain.start(chip);  // the chip ran before: start from its current counters
  chip.step();
  plain.observe(chip);
  CHECK(plain.core_totals()[0].counts.cx_updates == 2);  // one step of two compartments
  CHECK_THROWS_AS(make_report(plain, {.per_step = true}), std::invalid_argument);
  CHECK_THROWS_AS(make_report(plain, {.inferences = 0}), std::invalid_argument);
}

TEST_CASE("the accountant refuses what it cannot account for") {
  const Architecture arch = test_arch();
  CHECK_THROWS_AS(ChipAccountant(arch, {0, 64}), std::invalid_argument);  // outside the mesh
  CHECK_THROWS_AS(ChipAccountant(arch, {3, 3}), std::invalid_argument);   // same core twice
  Architecture bad = arch;
  bad.network.east_west.buffer_depth = 0;
  CHECK_THROWS_AS(ChipAccountant{bad}, std::invalid_argument);
  bad = arch;
  bad.network.barrier_by_tiles = {{1, 100'000}, {8, 200'000}};  // does not cover 16 tiles
  CHECK_THROWS_AS(ChipAccountant{bad}, std::invalid_argument);

  Chip chip(ChipConfig{{make_core(1, 1, {}, 0)}, CoreLimits{}});
  ChipAccountant acct(arch);
  chip.step();
  chip.step();  // a step the accountant did not see
  CHECK_THROWS_AS(acct.observe(chip), std::logic_error);
  ChipAccountant wrong(arch, {0, 1});  // names two cores, the chip has one
  Chip fresh(ChipConfig{{make_core(1, 1, {}, 0)}, CoreLimits{}});
  fresh.step();
  CHECK_THROWS_AS(wrong.observe(fresh), std::invalid_argument);
}

TEST_CASE("accountant: hops between two boards are board hops, priced by the board link") {
  // The two chips of test_arch() as two boards of one chip each: the sender on chip 0 tile (3,0)
  // and the receiver on chip 1 tile (0,0) are one hop apart, and that hop crosses the boards.
  Architecture one = test_arch();
  Architecture two = one;
  two.mesh.board_chips_x = two.mesh.board_chips_y = 1;
  two.network.board_to_board = {{500'000, 300'000}, 5'000, 8};
  const std::vector<int> placement = {core_at(one.mesh, 0, 3, 0), core_at(one.mesh, 1, 0, 0)};
  EnergyCounts counts[2];
  for (int k = 0; k < 2; ++k) {
    const Architecture& arch = k == 0 ? one : two;
    Chip chip(ChipConfig{{make_core(4, 2, {{1, 0}}, 0), make_core(4, 0, {}, 1)}, arch.core});
    ChipAccountant acct(arch, placement);
    for (int t = 0; t < 10; ++t) {
      chip.step();
      acct.observe(chip);
    }
    counts[k] = acct.energy_counts();
  }
  const std::uint64_t sent = counts[1][EnergyEvent::kSpikeSent];
  REQUIRE(sent > 0);
  CHECK(counts[0][EnergyEvent::kChipHop] == sent);  // one board: the crossing is a chip hop
  CHECK(counts[0][EnergyEvent::kBoardHop] == 0);
  CHECK(counts[1][EnergyEvent::kBoardHop] == sent);  // two boards: it is a board hop, only
  CHECK(counts[1][EnergyEvent::kChipHop] == 0);
  const EnergyBreakdown e = energy_breakdown(two, counts[1]);
  CHECK(line(e, EnergyEvent::kBoardHop) == static_cast<std::int64_t>(sent) * 500'000);
  CHECK(e.total_fj == sum_lines(e));
}
