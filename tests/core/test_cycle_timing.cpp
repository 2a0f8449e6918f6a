// The cycle-level timing model (core/cycle_timing.hpp, MeshNetwork::enable_ports): every
// expected number is worked out by hand in the comments. Where the event and analytic models
// are meant to agree with it, all three are checked against the same number.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cycle_timing.hpp"
#include "core/mesh_network.hpp"
#include "core/mesh_router.hpp"
#include "core/step_timing.hpp"

using namespace loihisim::core;

namespace {

// One chip of 4 x 4 tiles with 4 cores each; core c sits in tile c / 4 (x fastest).
MeshGeometry grid() {
  MeshGeometry g;
  g.tiles_x = 4;
  g.tiles_y = 4;
  g.cores_per_tile = 4;
  return g;
}

// E-W hop 4 ns, N-S hop 6 ns, within tile 2 ns; links serialise a message in 1 ns.
NetworkCosts costs(std::int64_t serialisation_ps = 1'000) {
  NetworkCosts n;
  n.model = NetworkModel::kCycle;
  n.within_tile = {1'700, 2'000};
  n.east_west = {{3'000, 4'000}, serialisation_ps, 8};
  n.north_south = {{4'000, 6'000}, serialisation_ps, 8};
  n.chip_to_chip = {{100'000, 100'000}, 2'000, 8};
  return n;
}

// Ports of 1 ns cycles: the output axon takes `sent_ps` per message, the crossbar and the input
// port one cycle per message (or `input_cycles`), `out_depth` router slots behind the output.
MeshPorts ports(std::int64_t sent_ps, int out_depth = 8, int input_cycles = 1) {
  CycleParams p;
  p.present = true;
  p.clock_period_ps = 1'000;
  p.output_port_buffer_depth = out_depth;
  p.input_port_cycles = input_cycles;
  p.crossbar_cycles = 1;
  p.crossbar_buffer_depth = 8;
  CoreEventCosts c;
  c.spike_sent.latency_ps = sent_ps;
  return cycle_ports(p, c, costs());
}

int core_at(int tile_x, int tile_y, int k) {
  return (tile_y * 4 + tile_x) * 4 + k;
}

// The arrival of every message under the event model (messages leave `sent_ps` after they are
// ready: the output axon), the analytic model (the same), and the cycle model (ready times,
// the output axon is its output port).
struct ThreeModes {
  std::vector<MessageDelivery> event, analytic, cycle;
};
ThreeModes deliver_all(const std::vector<NetworkMessage>& ready, std::int64_t sent_ps,
                       const MeshPorts& p) {
  std::vector<NetworkMessage> left = ready;
  for (auto& m : left) m.depart_ps += sent_ps;
  ThreeModes out;
  MeshNetwork event(grid(), costs());
  event.deliver(left, out.event);
  event.deliver_analytic(left, out.analytic);
  MeshNetwork cycle(grid(), costs());
  cycle.enable_ports(p);
  cycle.deliver(ready, out.cycle);
  return out;
}

}  // namespace

TEST_CASE("cycle rounding: latencies up to whole cycles, zero stays zero") {
  CHECK(round_up_to_cycle(0, 100) == 0);
  CHECK(round_up_to_cycle(4'100, 100) == 4'100);
  CHECK(round_up_to_cycle(291, 100) == 300);
  CHECK(round_up_to_cycle(1, 1'000) == 1'000);
  CHECK_THROWS(round_up_to_cycle(5, 0));
  CoreEventCosts c;
  c.spike_received.latency_ps = 16'000;
  c.syn_op_dense.latency_ps = 3'850;
  c.fire_extra.latency_ps = 30'001;
  const CoreEventCosts q = cycle_core_costs(c, 100);
  CHECK(q.spike_received.latency_ps == 16'000);
  CHECK(q.syn_op_dense.latency_ps == 3'900);
  CHECK(q.fire_extra.latency_ps == 30'100);
}

TEST_CASE("a message through an idle mesh: all three models give the hand latency") {
  // Core 0 (tile (0,0)) to tile (3,2): ready at 10 ns, output axon 5 ns, 3 E-W hops of 4 ns and
  // 2 N-S hops of 6 ns, input port without latency: 10 + 5 + 12 + 12 = 39 ns.
  const std::vector<NetworkMessage> m = {{0, core_at(3, 2, 1), 10'000}};
  const ThreeModes t = deliver_all(m, 5'000, ports(5'000));
  CHECK(t.event[0].arrival_ps == 39'000);
  CHECK(t.analytic[0].arrival_ps == 39'000);
  CHECK(t.cycle[0].arrival_ps == 39'000);
  CHECK(t.cycle[0].wait_ps == 0);
  // Hops (so energy) are the same in every model.
  for (const auto* d : {&t.event[0], &t.analytic[0], &t.cycle[0]}) {
    CHECK(d->east_west_hops == 3);
    CHECK(d->north_south_hops == 2);
    CHECK_FALSE(d->within_tile);
  }
  // Within the tile: 10 + 5 + 2 (crossbar = within-tile latency) = 17 ns in every model.
  const std::vector<NetworkMessage> w = {{0, 3, 10'000}};
  const ThreeModes u = deliver_all(w, 5'000, ports(5'000));
  CHECK(u.event[0].arrival_ps == 17'000);
  CHECK(u.analytic[0].arrival_ps == 17'000);
  CHECK(u.cycle[0].arrival_ps == 17'000);
  CHECK(u.cycle[0].within_tile);
}

TEST_CASE("two cores contending for one link: all three models give the hand latencies") {
  // Core 0 (tile (0,0)) and core 4 (tile (1,0)) both send to tile (2,0) (cores 8 and 9). Core
  // 0's message leaves at 0 and reaches tile (1,0) at 4 ns; core 4's leaves at 4 ns: both want
  // the E link out of tile (1,0) at 4 ns. The departure goes first: core 4's arrives at 8 ns,
  // core 0's waits 1 ns (serialisation) and arrives at 9 ns. The analytic model gives both
  // messages the link's backlog (load 2 - 1) x 1 ns: 0 + 8 + 1 = 9 and 4 + 4 + 1 = 9 ns.
  // Output axon 0 ns, so the cycle model's ready times are the departures; in it, core 4's
  // message first crosses its output port and reaches the router after core 0's (equal times
  // go in the order the events were made), so core 0's goes first: 8 ns, and core 4's 9 ns.
  const std::vector<NetworkMessage> m = {{0, 8, 0}, {4, 9, 4'000}};
  const ThreeModes t = deliver_all(m, 0, ports(0));
  CHECK(t.event[0].arrival_ps == 9'000);
  CHECK(t.event[1].arrival_ps == 8'000);
  CHECK(t.event[0].wait_ps == 1'000);
  CHECK(t.cycle[0].arrival_ps == 8'000);
  CHECK(t.cycle[1].arrival_ps == 9'000);
  CHECK(t.cycle[1].wait_ps == 1'000);
  CHECK(t.analytic[0].arrival_ps == 9'000);
  CHECK(t.analytic[1].arrival_ps == 9'000);
  // The last arrival of the step (what sets its time) is 9 ns in all three.
  for (const auto* d : {&t.event, &t.analytic, &t.cycle})
    CHECK(std::max((*d)[0].arrival_ps, (*d)[1].arrival_ps) == 9'000);
}

TEST_CASE("the cycle model contends within a tile and at the destination's input port") {
  // Cores 0 and 1 send to core 2 of the same tile, both ready at 0, output axon 0. The event
  // model delivers both at 2 ns (within-tile paths never contend). The cycle model: core 0's
  // crosses the crossbar 0..2 ns, core 1's waits a cycle for it (1 ns) and reaches the port at
  // 3 ns; the input port takes a message per 3 cycles: the first enters at 2 ns, the second
  // at 2 + 3 = 5 ns.
  const std::vector<NetworkMessage> m = {{0, 2, 0}, {1, 2, 0}};
  const ThreeModes t = deliver_all(m, 0, ports(0, 8, 3));
  CHECK(t.event[0].arrival_ps == 2'000);
  CHECK(t.event[1].arrival_ps == 2'000);
  CHECK(t.cycle[0].arrival_ps == 2'000);
  CHECK(t.cycle[1].arrival_ps == 5'000);
  CHECK(t.cycle[1].wait_ps == 1'000 + 2'000);  // crossbar, then input port
}

TEST_CASE("back-pressure into a core's output port") {
  // Core 0 sends three messages to tile (1,0), all ready at 0; output axon 1 ns per message;
  // the E link serialises a message in 10 ns. With one router slot behind the output port:
  //  m0: port 0..1, E link 1..5 (free again at 11): arrives 5 ns;
  //  m1: port 1..2, holds the slot while it waits for the E link until 11: arrives 15 ns;
  //  m2: port free at 2 but no slot until m1 leaves it at 11: it waits 11 ns in the core's
  //      output, enters the router at 12, the E link at 21: arrives 25 ns.
  // With 8 slots m2 leaves the core at 2 and waits at the E link instead (same arrival).
  const std::vector<NetworkMessage> m = {{0, 4, 0}, {0, 5, 0}, {0, 6, 0}};
  MeshNetwork one(grid(), costs(10'000));
  one.enable_ports(ports(1'000, 1));
  std::vector<MessageDelivery> d;
  one.deliver(m, d);
  CHECK(d[0].arrival_ps == 5'000);
  CHECK(d[1].arrival_ps == 15'000);
  CHECK(d[2].arrival_ps == 25'000);
  CHECK(d[2].worst_wait_ps == 11'000);
  CHECK(one.port_kind(d[2].worst_link) == MeshNetwork::PortKind::kOutput);
  CHECK(one.port_owner(d[2].worst_link) == 0);

  MeshNetwork eight(grid(), costs(10'000));
  eight.enable_ports(ports(1'000, 8));
  eight.deliver(m, d);
  CHECK(d[2].arrival_ps == 25'000);
  CHECK(eight.port_kind(d[2].worst_link) == MeshNetwork::PortKind::kNone);
  CHECK(d[2].worst_wait_ps == 21'000 - 3'000);  // at the E link, from 3 to 21 ns
}

TEST_CASE("a synapse-bound core: the input axon and the synapse unit overlap") {
  // 4 messages, input axon 2 ns each, 20 synaptic events of 1 ns (5 per message). The input
  // axon is done with message i at 2(i+1); the synapse unit starts at 2 and then never waits:
  // 2 + 4 x 5 = 22 ns. The event and analytic models add the phases: 4 x 2 + 20 = 28 ns.
  CoreEventCosts c;
  c.spike_received.latency_ps = 2'000;
  c.syn_op_dense.latency_ps = 1'000;
  CoreCounts s;
  s.spikes_in = 4;
  s.syn_ops_dense = 20;
  CHECK(cycle_receive_ps(c, s, 16) == 22'000);
  CHECK(cycle_receive_ps(c, s, 1) == 22'000);  // the synapse unit is the bottleneck anyway
  CHECK(compute_time_ps(c, s) == 28'000);
  // Input-axon-bound (SANA-FE's 16 ns per message, 3.8 ns per event, one event per message):
  // 4 x 16 + 3.8 = 67.8 ns, against 4 x 16 + 4 x 3.8 = 79.2 ns added up.
  c.spike_received.latency_ps = 16'000;
  c.syn_op_dense.latency_ps = 3'800;
  s.syn_ops_dense = 4;
  CHECK(cycle_receive_ps(c, s, 16) == 67'800);
  CHECK(compute_time_ps(c, s) == 79'200);
  // One message only: no overlap, the models agree: 16 + 3.8 x 4.
  s.spikes_in = 1;
  CHECK(cycle_receive_ps(c, s, 16) == compute_time_ps(c, s));
}

TEST_CASE("a soma-bound step: spikes leave as their compartments fire") {
  // 4 compartments, all active at 10 ns, compartments 1 and 3 fire (+30 ns each), update starts
  // at 5 ns. Compartment 1 is done at 5 + 40 x 2/4 + 30 = 55 ns, compartment 3 at
  // 5 + 40 + 60 = 105 ns = the end of the soma's work, as the event model's compute time.
  CoreEventCosts c;
  c.update_active.latency_ps = 10'000;
  c.update_inactive.latency_ps = 6'000;
  c.fire_extra.latency_ps = 30'000;
  c.spike_sent.latency_ps = 5'000;
  CoreCounts s;
  s.cx_updates = 4;
  s.cx_updates_active = 4;
  s.spikes = 2;
  s.spikes_out = 2;
  const std::vector<std::int32_t> fired = {1, 3};
  std::vector<std::int64_t> ready;
  CHECK(cycle_update_ps(c, s, 5'000, 4, fired, ready) == 105'000);
  REQUIRE(ready.size() == 2);
  CHECK(ready[0] == 55'000);
  CHECK(ready[1] == 105'000);
  CHECK(compute_time_ps(c, s) + 5'000 == 105'000);
  // Sending: the event model sends both after the update, 100 + 5 and 100 + 10 ns from the
  // step's start; the cycle model's output axon sends them at 55 + 5 = 60 and 105 + 5 = 110 ns
  // (from the start too, update starting at 5 ns).
  MeshNetwork cycle(grid(), costs());
  cycle.enable_ports(ports(5'000));
  std::vector<MessageDelivery> d;
  cycle.deliver(std::vector<NetworkMessage>{{0, 1, ready[0]}, {0, 1, ready[1]}}, d);
  CHECK(d[0].arrival_ps == 60'000 + 2'000);  // + within-tile 2 ns
  CHECK(d[1].arrival_ps == 110'000 + 2'000);
  CHECK(busy_time_ps(c, s) == 110'000);
}
