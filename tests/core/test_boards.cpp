// Systems of several boards: board-to-board hops in routing, energy and the three network timing
// models, and the `boards:` section of the architecture file. Every expected number is worked out
// by hand from the small tables below.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/energy.hpp"
#include "core/mesh_network.hpp"
#include "core/mesh_router.hpp"
#include "formats/arch_io.hpp"
#include "io/errors.hpp"

using namespace loihisim::core;

namespace {

// Two boards side by side, each of 2 x 1 chips; a chip is 2 x 1 tiles of one core. The system
// row is 8 tiles: chip c holds tiles 2c and 2c + 1; chips 0, 1 are board 0, chips 2, 3 board 1.
MeshGeometry two_boards() {
  MeshGeometry g;
  g.tiles_x = 2;
  g.tiles_y = 1;
  g.cores_per_tile = 1;
  g.chips_x = 4;
  g.chips_y = 1;
  g.board_chips_x = 2;
  g.board_chips_y = 1;
  return g;
}

// E-W hop 4 ns / 3 pJ, chip hop 100 ns / 320 pJ, board hop 300 ns / 640 pJ; serialisation 1 ns
// on chip, 2 ns chip to chip, 5 ns board to board.
NetworkCosts costs() {
  NetworkCosts n;
  n.within_tile = {1'700, 2'000};
  n.east_west = {{3'000, 4'000}, 1'000, 8};
  n.north_south = {{4'000, 6'000}, 1'000, 8};
  n.chip_to_chip = {{320'000, 100'000}, 2'000, 8};
  n.board_to_board = {{640'000, 300'000}, 5'000, 8};
  return n;
}

}  // namespace

TEST_CASE("boards: a message from board 0 to board 1 counts its chip and board hops") {
  const MeshGeometry g = two_boards();
  // Core 0 (tile 0) -> core 7 (tile 7): 0-1 E-W, 1-2 chip (chips 0, 1 of board 0), 2-3 E-W, 3-4
  // board (chip 1 -> chip 2), 4-5 E-W, 5-6 chip (chips 2, 3 of board 1), 6-7 E-W.
  const Route r = route(g, 0, 7);
  CHECK(r.east_west_hops == 4);
  CHECK(r.chip_hops == 2);
  CHECK(r.board_hops == 1);
  REQUIRE(r.links.size() == 7);
  CHECK(link_kind(g, r.links[3]) == LinkKind::kBoardToBoard);
  CHECK(link_kind(g, r.links[1]) == LinkKind::kChipToChip);
  CHECK(describe_link(g, r.links[3]) == "board link E from chip 1 tile (1,0)");
  // The same grid as one board: the board crossing is a chip hop.
  MeshGeometry one = g;
  one.board_chips_x = one.board_chips_y = 0;
  const Route r1 = route(one, 0, 7);
  CHECK(r1.chip_hops == 3);
  CHECK(r1.board_hops == 0);

  // Latency: 4 x 4 + 2 x 100 + 300 = 516 ns after it leaves, in the event and analytic models;
  // a second message behind it waits on the slowest serialisation it meets, the board link's
  // 5 ns (1 ns + 1 ns more at the chip link + 3 ns more at the board link).
  const std::vector<NetworkMessage> msgs = {{0, 7, 0}, {0, 7, 0}};
  MeshNetwork event(g, costs()), analytic(g, costs());
  std::vector<MessageDelivery> e, a;
  event.deliver(msgs, e);
  analytic.deliver_analytic(msgs, a);
  CHECK(e[0].arrival_ps == 516'000);
  CHECK(e[0].board_hops == 1);
  CHECK(e[0].chip_hops == 2);
  CHECK(e[1].arrival_ps == 516'000 + 5'000);
  CHECK(a[0].board_hops == 1);
  CHECK(a[1].arrival_ps == 516'000 + 5'000);  // the board link's backlog, (2 - 1) x 5 ns

  // Energy: 4 x 3 + 2 x 320 + 640 = 1292 pJ of network for one message.
  Architecture arch;
  arch.mesh = g;
  arch.network = costs();
  EnergyCounts n;
  n[EnergyEvent::kEastWestHop] = static_cast<std::uint64_t>(e[0].east_west_hops);
  n[EnergyEvent::kChipHop] = static_cast<std::uint64_t>(e[0].chip_hops);
  n[EnergyEvent::kBoardHop] = static_cast<std::uint64_t>(e[0].board_hops);
  const EnergyBreakdown b = energy_breakdown(arch, n);
  CHECK(b.dynamic_fj == 1'292'000);
  CHECK(energy_event_name(EnergyEvent::kBoardHop) == "board_to_board_hop");
}

TEST_CASE("boards: loihi1's boards section and a one-board profile") {
  const Architecture a = loihisim::load_architecture("loihi1");
  CHECK(a.mesh.board_chips_x == 8);
  CHECK(a.mesh.board_chips_y == 4);
  CHECK(a.mesh.num_chips() == 768);
  CHECK(a.network.board_to_board.hop.energy_fj == 640'000);
  CHECK(a.network.board_to_board.hop.latency_ps == 226'984);
  CHECK(a.network.board_to_board.serialisation_ps == 5'814);  // 1000 / 0.172 ps
  const Architecture b = loihisim::load_architecture("loihi1-board");
  CHECK(b.mesh.board_chips_x == 0);
  CHECK(b.mesh.num_chips() == 32);
  // A bad boards section names the key.
  std::string text = loihisim::architecture_text("loihi1");
  const auto at = text.find("boards_x: 6");
  REQUIRE(at != std::string::npos);
  text.replace(at, 11, "boards_x: 0");
  CHECK_THROWS_WITH_AS(loihisim::parse_architecture(text, "bad.yaml"),
                       doctest::Contains("boards_x"), loihisim::InputError);
}
