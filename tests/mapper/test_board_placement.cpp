// Systems of several boards: placement fills boards one after the other and keeps heavily
// communicating cores on one board.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "core/architecture.hpp"
#include "io/errors.hpp"
#include "mapper/placement.hpp"

using namespace loihisim::core;

namespace {

// Chips of 4 cores (1 x 1 tile), boards of 2 x 2 chips, 2 x 1 boards.
MeshGeometry small_system() {
  MeshGeometry g;
  g.tiles_x = g.tiles_y = 1;
  g.cores_per_tile = 4;
  g.chips_x = 4;
  g.chips_y = 2;
  g.board_chips_x = g.board_chips_y = 2;
  return g;
}

int board_of(const MeshGeometry& g, int global_core) {
  const CoreLocation l = locate(g, global_core);
  return g.board_of_chip_y(l.chip_y) * (g.chips_x / g.board_chips_x) + g.board_of_chip_x(l.chip_x);
}

}  // namespace

TEST_CASE("boards: placement fills one board before the next") {
  using namespace loihisim::mapper;
  const MeshGeometry sys = small_system();
  // 8 cores fit one board: its geometry has no board boundary.
  const MeshGeometry one = geometry_for(8, sys);
  CHECK(one.board_chips_x == 0);
  CHECK(one.num_chips() == 2);
  // 24 cores need 6 chips: both boards, the first 16 cores (4 chips) on board 0.
  const Placement p = place_greedy(24, sys);
  CHECK(p.mesh.chips_x == 4);
  CHECK(p.mesh.board_chips_x == 2);
  for (int i = 0; i < 24; ++i)
    CHECK(board_of(p.mesh, p.global_core[static_cast<std::size_t>(i)]) == (i < 16 ? 0 : 1));
  CHECK_THROWS_AS(geometry_for(33, sys), loihisim::InputError);
}

TEST_CASE("boards: METIS puts each of two clusters on its own board") {
  using namespace loihisim::mapper;
  // Two clusters of 12 cores (3 chips each), every pair inside a cluster exchanging 100
  // messages, one message between the clusters; logical cores alternate between the clusters,
  // so filling in order would mix them on board 0.
  std::vector<TrafficEdge> edges;
  for (std::int32_t a = 0; a < 24; ++a)
    for (std::int32_t b = 0; b < 24; ++b)
      if (a != b && a % 2 == b % 2) edges.push_back({a, b, 100.0});
  edges.push_back({0, 1, 1.0});
  const TrafficGraph t = make_traffic_graph(24, edges);
  const Placement p = place_metis(t, small_system(), 1);
  REQUIRE(p.global_core.size() == 24);
  std::set<int> boards[2];
  for (int i = 0; i < 24; ++i)
    boards[i % 2].insert(board_of(p.mesh, p.global_core[static_cast<std::size_t>(i)]));
  CHECK(boards[0].size() == 1);
  CHECK(boards[1].size() == 1);
  CHECK(*boards[0].begin() != *boards[1].begin());
  // The greedy placement of the same cores splits both clusters across the boards.
  const Placement greedy = place_greedy(24, small_system());
  std::set<int> mixed;
  for (int i = 0; i < 24; i += 2)
    mixed.insert(board_of(greedy.mesh, greedy.global_core[static_cast<std::size_t>(i)]));
  CHECK(mixed.size() == 2);
}
