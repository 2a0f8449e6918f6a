// Routing, hop classification, link contention and barrier timing: every expected number is
// computed by hand from the small table below (docs/energy-model.md, "Network" and "Time").
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "core/mesh_network.hpp"
#include "core/mesh_router.hpp"
#include "core/step_timing.hpp"
#include "formats/arch_io.hpp"

using namespace loihisim::core;

namespace {

// Two chips side by side, each 4 x 4 tiles of 2 cores: 32 cores per chip, 64 in all.
MeshGeometry two_chips() {
  MeshGeometry g;
  g.tiles_x = 4;
  g.tiles_y = 4;
  g.cores_per_tile = 2;
  g.chips_x = 2;
  g.chips_y = 1;
  return g;
}

// Round numbers: E-W hop 4 ns, N-S hop 6 ns, chip hop 100 ns, within tile 2 ns; every link
// serialises a message in 1 ns (chip links 2 ns).
NetworkCosts costs(int buffer_depth = 8) {
  NetworkCosts n;
  n.within_tile = {1'700, 2'000};
  n.east_west = {{3'000, 4'000}, 1'000, buffer_depth};
  n.north_south = {{4'000, 6'000}, 1'000, buffer_depth};
  n.chip_to_chip = {{100'000, 100'000}, 2'000, buffer_depth};
  return n;
}

// Global core number of core `c` in tile (x, y) of chip `chip` (x fastest, as locate()).
int core_at(const MeshGeometry& g, int chip, int x, int y, int c = 0) {
  return chip * g.cores_per_chip() + (y * g.tiles_x + x) * g.cores_per_tile + c;
}

}  // namespace

TEST_CASE("core numbering round-trips through locate() and board tiles") {
  const MeshGeometry g = two_chips();
  const int core = core_at(g, 1, 2, 3, 1);
  const CoreLocation l = locate(g, core);
  CHECK(l.chip == 1);
  CHECK(l.tile_x == 2);
  CHECK(l.tile_y == 3);
  CHECK(l.core_in_tile == 1);
  CHECK(board_tile(g, core) == BoardTile{6, 3});
  CHECK(describe_core(g, core) == "core " + std::to_string(core) + " (chip 1 tile (2,3) core 1)");
  CHECK_THROWS_AS(board_tile(g, 64), std::out_of_range);
}

TEST_CASE("X-then-Y route: k hops east then m hops north") {
  const MeshGeometry g = two_chips();
  const Route r = route(g, core_at(g, 0, 0, 0), core_at(g, 0, 3, 2));
  CHECK_FALSE(r.within_tile);
  CHECK(r.east_west_hops == 3);
  CHECK(r.north_south_hops == 2);
  CHECK(r.chip_hops == 0);
  REQUIRE(r.links.size() == 5);
  // The first three links go east along y = 0, the last two north along x = 3.
  CHECK(r.links[0] == link_id(g, {0, 0}, Direction::kEast));
  CHECK(r.links[2] == link_id(g, {2, 0}, Direction::kEast));
  CHECK(r.links[3] == link_id(g, {3, 0}, Direction::kNorth));
  CHECK(r.links[4] == link_id(g, {3, 1}, Direction::kNorth));
  CHECK(describe_link(g, r.links[4]) == "N link from chip 0 tile (3,1)");

  // The way back goes west first, then south.
  const Route back = route(g, core_at(g, 0, 3, 2), core_at(g, 0, 0, 0));
  CHECK(back.links.front() == link_id(g, {3, 2}, Direction::kWest));
  CHECK(back.links.back() == link_id(g, {0, 1}, Direction::kSouth));

  // Same tile, other core (and the same core): within-tile delivery, no links.
  const Route local = route(g, core_at(g, 0, 1, 1, 0), core_at(g, 0, 1, 1, 1));
  CHECK(local.within_tile);
  CHECK(local.links.empty());
  CHECK(route(g, 5, 5).within_tile);
}

TEST_CASE("one spike crossing 3 hops east and 2 north: exact latency and hop counts") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs());
  std::vector<MessageDelivery> out;
  const std::vector<NetworkMessage> msgs = {{core_at(g, 0, 0, 0), core_at(g, 0, 3, 2), 43'000}};
  net.deliver(msgs, out);
  REQUIRE(out.size() == 1);
  // 43 ns departure + 3 x 4 ns + 2 x 6 ns.
  CHECK(out[0].arrival_ps == 43'000 + 3 * 4'000 + 2 * 6'000);
  CHECK(out[0].wait_ps == 0);
  CHECK(out[0].worst_link == -1);
  CHECK(out[0].last_link == link_id(g, {3, 1}, Direction::kNorth));
  CHECK(out[0].east_west_hops == 3);
  CHECK(out[0].north_south_hops == 2);
  CHECK(out[0].chip_hops == 0);
  CHECK_FALSE(out[0].within_tile);
}

TEST_CASE("within-tile delivery costs the within-tile latency only") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs());
  std::vector<MessageDelivery> out;
  const std::vector<NetworkMessage> msgs = {
      {core_at(g, 0, 2, 2, 0), core_at(g, 0, 2, 2, 1), 10'000},
      {core_at(g, 0, 2, 2, 0), core_at(g, 0, 2, 2, 0), 10'000}};
  net.deliver(msgs, out);
  CHECK(out[0].within_tile);
  CHECK(out[0].arrival_ps == 12'000);
  CHECK(out[1].arrival_ps == 12'000);  // no contention is modelled inside a tile
  CHECK(out[0].last_link == -1);
}

TEST_CASE("n spikes through one link are serialised") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs());
  std::vector<MessageDelivery> out;
  const int n = 5;
  std::vector<NetworkMessage> msgs(n, {core_at(g, 0, 0, 0), core_at(g, 0, 1, 0), 0});
  net.deliver(msgs, out);
  // Message i starts when the link has serialised the i before it: i x 1 ns, then 4 ns hop.
  for (int i = 0; i < n; ++i) {
    CHECK(out[static_cast<std::size_t>(i)].arrival_ps == i * 1'000 + 4'000);
    CHECK(out[static_cast<std::size_t>(i)].wait_ps == i * 1'000);
  }
  // The last one waited on the shared link.
  CHECK(out.back().worst_link == link_id(g, {0, 0}, Direction::kEast));

  // One message alone takes just the hop latency: n messages take (n - 1) x 1 ns longer.
  std::vector<NetworkMessage> one(1, msgs[0]);
  net.deliver(one, out);
  CHECK(out[0].arrival_ps == 4'000);
}

TEST_CASE("a full input buffer holds messages back (credit flow control)") {
  const MeshGeometry g = two_chips();
  SUBCASE("one link, buffer of 2") {
    MeshNetwork net(g, costs(2));
    std::vector<MessageDelivery> out;
    std::vector<NetworkMessage> msgs(5, {core_at(g, 0, 0, 0), core_at(g, 0, 1, 0), 0});
    net.deliver(msgs, out);
    // A slot is held from the start on the link until delivery (4 ns later):
    // m0 starts 0, m1 1 ns; m2 waits for m0's slot (4 ns), m3 for m1's (5 ns), m4 for m2's (8).
    CHECK(out[0].arrival_ps == 4'000);
    CHECK(out[1].arrival_ps == 5'000);
    CHECK(out[2].arrival_ps == 8'000);
    CHECK(out[3].arrival_ps == 9'000);
    CHECK(out[4].arrival_ps == 12'000);
  }
  SUBCASE("two links, buffer of 1: back-pressure reaches the first link") {
    MeshNetwork net(g, costs(1));
    std::vector<MessageDelivery> out;
    std::vector<NetworkMessage> msgs(3, {core_at(g, 0, 0, 0), core_at(g, 0, 2, 0), 0});
    net.deliver(msgs, out);
    // m0: link A 0..4, link B 4..8. m1 can enter A only when m0 leaves A's buffer (4), reaches
    // the middle router at 8 and B's buffer frees when m0 is delivered (8): 8..12. m2 enters A
    // when m1 leaves its buffer (8): 12, then B at 12: 16.
    CHECK(out[0].arrival_ps == 8'000);
    CHECK(out[1].arrival_ps == 12'000);
    CHECK(out[2].arrival_ps == 16'000);
  }
  SUBCASE("the same with deep buffers only serialises") {
    MeshNetwork net(g, costs(8));
    std::vector<MessageDelivery> out;
    std::vector<NetworkMessage> msgs(3, {core_at(g, 0, 0, 0), core_at(g, 0, 2, 0), 0});
    net.deliver(msgs, out);
    CHECK(out[0].arrival_ps == 8'000);
    CHECK(out[1].arrival_ps == 9'000);
    CHECK(out[2].arrival_ps == 10'000);
  }
}

TEST_CASE("messages on different links do not contend, state is reset between steps") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs());
  std::vector<MessageDelivery> out;
  const std::vector<NetworkMessage> msgs = {{core_at(g, 0, 0, 0), core_at(g, 0, 1, 0), 0},
                                            {core_at(g, 0, 0, 1), core_at(g, 0, 1, 1), 0},
                                            {core_at(g, 0, 0, 0), core_at(g, 0, 0, 1), 0}};
  for (int step = 0; step < 2; ++step) {
    net.deliver(msgs, out);
    CHECK(out[0].arrival_ps == 4'000);
    CHECK(out[1].arrival_ps == 4'000);
    CHECK(out[2].arrival_ps == 6'000);
  }
}

TEST_CASE("a chip-to-chip crossing") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs());
  std::vector<MessageDelivery> out;
  // Chip 0 tile (3,0) -> chip 1 tile (0,0): one hop, and it is a chip hop.
  const Route r = route(g, core_at(g, 0, 3, 0), core_at(g, 1, 0, 0));
  CHECK(r.chip_hops == 1);
  CHECK(r.east_west_hops == 0);
  REQUIRE(r.links.size() == 1);
  CHECK(link_kind(g, r.links[0]) == LinkKind::kChipToChip);
  CHECK(describe_link(g, r.links[0]) == "chip link E from chip 0 tile (3,0)");

  // Chip 0 tile (2,1) -> chip 1 tile (1,0): east 2 -> 3 (on chip), 3 -> 4 (chip hop), 4 -> 5
  // (on chip 1), then one hop south.
  const std::vector<NetworkMessage> msgs = {{core_at(g, 0, 2, 1), core_at(g, 1, 1, 0), 0},
                                            {core_at(g, 0, 2, 1), core_at(g, 1, 1, 0), 0}};
  net.deliver(msgs, out);
  CHECK(out[0].east_west_hops == 2);
  CHECK(out[0].chip_hops == 1);
  CHECK(out[0].north_south_hops == 1);
  CHECK(out[0].arrival_ps == 4'000 + 100'000 + 4'000 + 6'000);
  // The second message waits 1 ns on the first link, then 1 more ns on the chip link, which
  // serialises for 2 ns (it starts at 4 + 2 = 6 ns rather than 5): it arrives 2 ns after the
  // first. Of the two equal waits the first link is reported.
  CHECK(out[1].arrival_ps == out[0].arrival_ps + 2'000);
  CHECK(out[1].wait_ps == 2'000);
  CHECK(out[1].worst_link == link_id(g, {2, 1}, Direction::kEast));
}

TEST_CASE("contention is deterministic and every delay is waiting") {
  const MeshGeometry g = two_chips();
  MeshNetwork net(g, costs(2));
  std::vector<NetworkMessage> msgs;
  for (int i = 0; i < 12; ++i)
    msgs.push_back({core_at(g, 0, i % 4, (i / 4) % 4), core_at(g, i % 2, 3 - i % 4, i % 4),
                    static_cast<std::int64_t>(i % 3) * 500});
  std::vector<MessageDelivery> a, b;
  net.deliver(msgs, a);
  net.deliver(msgs, b);  // deterministic: the same input gives the same output
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    CHECK(a[i].arrival_ps == b[i].arrival_ps);
    // Never earlier than the uncontended path latency.
    const Route r = route(g, msgs[i].src_core, msgs[i].dst_core);
    const std::int64_t free_path =
        r.within_tile
            ? 2'000
            : r.east_west_hops * 4'000 + r.north_south_hops * 6'000 + r.chip_hops * 100'000;
    CHECK(a[i].arrival_ps >= msgs[i].depart_ps + free_path);
    CHECK(a[i].arrival_ps == msgs[i].depart_ps + free_path + a[i].wait_ps);
  }
}

TEST_CASE("barrier time by tiles in use: linear interpolation, rounded to the ps") {
  const std::vector<BarrierPoint> davies = {{1, 113'000}, {32, 465'000}};
  CHECK(interpolate_barrier_ps(davies, 1) == 113'000);
  CHECK(interpolate_barrier_ps(davies, 32) == 465'000);
  // 113 + 352 x 15 / 31 = 283.32258 ns -> 283323 ps.
  CHECK(interpolate_barrier_ps(davies, 16) == 283'323);
  // 113 + 352 x 1 / 31 = 124.35484 ns -> 124355 ps.
  CHECK(interpolate_barrier_ps(davies, 2) == 124'355);
  CHECK_THROWS_AS(interpolate_barrier_ps(davies, 33), std::out_of_range);

  const std::vector<BarrierPoint> sanafe = {
      {1, 600'000}, {2, 1'000'000}, {4, 1'400'000}, {29, 1'800'000}, {32, 1'848'000}};
  CHECK(interpolate_barrier_ps(sanafe, 2) == 1'000'000);
  CHECK(interpolate_barrier_ps(sanafe, 3) == 1'200'000);
  CHECK(interpolate_barrier_ps(sanafe, 10) == 1'496'000);  // 1.4 + 0.4 x 6 / 25 us
  CHECK(interpolate_barrier_ps(sanafe, 30) == 1'816'000);

  NetworkCosts n;
  n.barrier_by_tiles = davies;
  n.barrier_by_chips = {{2, 684'603}, {64, 14'300'000}};
  CHECK(barrier_time_ps(n, 0, 0) == 0);         // nothing in use
  CHECK(barrier_time_ps(n, 16, 1) == 283'323);  // one chip: by tiles
  CHECK(barrier_time_ps(n, 40, 2) == 684'603);  // several chips: by chips
  // 684.603 + 13615.397 x 31 / 62 = 7492.3015 ns -> 7492302 ps (half rounds away from zero).
  CHECK(barrier_time_ps(n, 40, 33) == 7'492'302);
}

TEST_CASE("the shipped profiles' barrier tables") {
  const Architecture davies = loihisim::load_architecture("loihi1");
  CHECK(barrier_time_ps(davies.network, 1, 1) == 113'000);
  CHECK(barrier_time_ps(davies.network, 16, 1) == 283'323);
  CHECK(barrier_time_ps(davies.network, 32, 1) == 465'000);
  CHECK(barrier_time_ps(davies.network, 64, 2) == 684'603);
  const Architecture sanafe = loihisim::load_architecture("loihi1-sanafe");
  CHECK(barrier_time_ps(sanafe.network, 4, 1) == 1'400'000);
  CHECK(barrier_time_ps(sanafe.network, 29, 1) == 1'800'000);
}

TEST_CASE("core busy time from counter deltas") {
  CoreEventCosts c;
  c.spike_received = {0, 16'000};
  c.syn_op_dense = {0, 3'800};
  c.syn_op_sparse = {0, 4'700};
  c.update_inactive = {0, 6'000};
  c.update_active = {0, 9'700};
  c.fire_extra = {0, 30'000};
  c.spike_sent = {0, 5'100};
  CoreCounts s;
  s.spikes_in = 2;
  s.syn_ops_dense = 10;
  s.syn_ops_sparse = 3;
  s.cx_updates = 100;
  s.cx_updates_active = 40;
  s.spikes = 4;
  s.spikes_out = 6;
  const std::int64_t compute =
      2 * 16'000 + 10 * 3'800 + 3 * 4'700 + 60 * 6'000 + 40 * 9'700 + 4 * 30'000;
  CHECK(compute_time_ps(c, s) == compute);
  CHECK(busy_time_ps(c, s) == compute + 6 * 5'100);
}

TEST_CASE("analytic network model: the event model's hops, its latency without contention") {
  const MeshGeometry g = two_chips();
  MeshNetwork event(g, costs()), analytic(g, costs());
  std::vector<MessageDelivery> a, e;
  // One message 2 hops east, 1 north: 4 + 4 + 6 ns after it leaves, in both models.
  const std::vector<NetworkMessage> one = {{core_at(g, 0, 0, 0), core_at(g, 0, 2, 1), 500}};
  event.deliver(one, e);
  analytic.deliver_analytic(one, a);
  CHECK(a[0].arrival_ps == 500 + 14'000);
  CHECK(a[0].arrival_ps == e[0].arrival_ps);
  CHECK(a[0].wait_ps == 0);
  CHECK(a[0].worst_link == -1);
  // Three messages sharing the first east link, all leaving at 0: the event model serialises
  // them 1 ns apart; the analytic one charges each the link's backlog, (3 - 1) x 1 ns, so the
  // last arrival (the step's network time) is the same.
  const std::vector<NetworkMessage> three = {{core_at(g, 0, 0, 0), core_at(g, 0, 1, 0), 0},
                                             {core_at(g, 0, 0, 0), core_at(g, 0, 2, 0), 0},
                                             {core_at(g, 0, 0, 0), core_at(g, 0, 3, 0), 0}};
  event.deliver(three, e);
  analytic.deliver_analytic(three, a);
  std::int64_t last_event = 0, last_analytic = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    last_event = std::max(last_event, e[i].arrival_ps);
    last_analytic = std::max(last_analytic, a[i].arrival_ps);
    CHECK(a[i].east_west_hops == e[i].east_west_hops);
    CHECK(a[i].wait_ps == 2'000);
  }
  CHECK(last_event == 2'000 + 12'000);
  CHECK(last_analytic == last_event);
  // Within a tile and back into the same core: no link, the within-tile latency.
  const std::vector<NetworkMessage> local = {{core_at(g, 0, 1, 1, 0), core_at(g, 0, 1, 1, 1), 7},
                                             {core_at(g, 0, 1, 1, 0), core_at(g, 0, 1, 1, 0), 7}};
  analytic.deliver_analytic(local, a);
  CHECK(a[0].arrival_ps == 7 + 2'000);
  CHECK(a[1].arrival_ps == 7 + 2'000);
  CHECK(a[0].within_tile);
}

TEST_CASE("analytic network model: same hops as the event model on random traffic") {
  const MeshGeometry g = two_chips();
  MeshNetwork event(g, costs(2)), analytic(g, costs(2));
  std::vector<MessageDelivery> a, e;
  std::uint64_t x = 12345;
  const auto next = [&](int n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((x >> 33) % static_cast<std::uint64_t>(n));
  };
  for (int step = 0; step < 20; ++step) {
    std::vector<NetworkMessage> m;
    for (int k = 0; k < 200; ++k) m.push_back({next(64), next(64), next(5) * 1'000});
    event.deliver(m, e);
    analytic.deliver_analytic(m, a);
    for (std::size_t i = 0; i < m.size(); ++i) {
      CHECK(a[i].east_west_hops == e[i].east_west_hops);
      CHECK(a[i].north_south_hops == e[i].north_south_hops);
      CHECK(a[i].chip_hops == e[i].chip_hops);
      CHECK(a[i].within_tile == e[i].within_tile);
      // Never earlier than the message's own contention-free path.
      CHECK(a[i].arrival_ps - a[i].wait_ps >= m[i].depart_ps);
    }
  }
}

TEST_CASE("analytic network model: flows give each flow's last message as messages would") {
  // Random steps of messages grouped into flows (one source core's messages to one destination,
  // leaving one after another): deliver_flows() on the flows must give the last message of each
  // flow the arrival, wait, links and hops that deliver_analytic() gives it in the full list.
  const MeshGeometry g = two_chips();
  MeshNetwork per_message(g, costs(2)), per_flow(g, costs(2));
  std::vector<MessageDelivery> a;
  std::vector<FlowDelivery> f;
  std::uint64_t x = 777;
  const auto next = [&](int n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((x >> 33) % static_cast<std::uint64_t>(n));
  };
  int compared = 0, waited = 0;
  for (int step = 0; step < 30; ++step) {
    std::vector<NetworkMessage> m;
    std::vector<NetworkFlow> flows;
    std::vector<std::size_t> last_of_flow;
    for (int src = 0; src < 64; src += 1 + next(6)) {
      const std::int64_t start = next(4) * 1'000;
      std::int64_t k = 0;
      for (int dests = next(5); dests > 0; --dests) {
        const int dst = next(3) == 0 ? src : next(64);  // sometimes back into its own core
        NetworkFlow fl{src, dst, 0, 0};
        for (int n = 1 + next(6); n > 0; --n) {
          m.push_back({src, dst, start + 500 * ++k});
          ++fl.messages;
          fl.last_depart_ps = m.back().depart_ps;
        }
        flows.push_back(fl);
        last_of_flow.push_back(m.size() - 1);
      }
    }
    per_message.deliver_analytic(m, a);
    per_flow.deliver_flows(flows, f);
    REQUIRE(f.size() == flows.size());
    for (std::size_t i = 0; i < flows.size(); ++i) {
      const MessageDelivery& d = a[last_of_flow[i]];
      CHECK(f[i].arrival_ps == d.arrival_ps);
      CHECK(f[i].wait_ps == d.wait_ps);
      CHECK(f[i].worst_link == d.worst_link);
      CHECK(f[i].last_link == d.last_link);
      CHECK(f[i].within_tile == d.within_tile);
      CHECK(f[i].east_west_hops == d.east_west_hops);
      CHECK(f[i].north_south_hops == d.north_south_hops);
      CHECK(f[i].chip_hops == d.chip_hops);
      ++compared;
      waited += f[i].wait_ps > 0 ? 1 : 0;
    }
  }
  CHECK(compared > 200);
  CHECK(waited > 20);  // the comparison covered contended links
}
