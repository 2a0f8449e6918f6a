#include "core/mesh_router.hpp"

#include <stdexcept>

namespace loihisim::core {

namespace {

void check_core(const MeshGeometry& g, int core) {
  if (core < 0 || core >= g.num_cores())
    throw std::out_of_range("core " + std::to_string(core) + " is outside the mesh (" +
                            std::to_string(g.num_cores()) + " cores)");
}

int chip_of_x(const MeshGeometry& g, int x) {
  return x / g.tiles_x;
}
int chip_of_y(const MeshGeometry& g, int y) {
  return y / g.tiles_y;
}

// Which link kind the hop from tile a to its neighbour b (along x when along_x) is.
LinkKind hop_kind(const MeshGeometry& g, BoardTile a, BoardTile b, bool along_x) {
  const int ca = along_x ? chip_of_x(g, a.x) : chip_of_y(g, a.y);
  const int cb = along_x ? chip_of_x(g, b.x) : chip_of_y(g, b.y);
  if (ca == cb) return along_x ? LinkKind::kEastWest : LinkKind::kNorthSouth;
  const bool other_board = along_x ? g.board_of_chip_x(ca) != g.board_of_chip_x(cb)
                                   : g.board_of_chip_y(ca) != g.board_of_chip_y(cb);
  return other_board ? LinkKind::kBoardToBoard : LinkKind::kChipToChip;
}

BoardTile step_towards(BoardTile t, Direction d) {
  switch (d) {
    case Direction::kEast:
      ++t.x;
      break;
    case Direction::kWest:
      --t.x;
      break;
    case Direction::kNorth:
      ++t.y;
      break;
    case Direction::kSouth:
      --t.y;
      break;
  }
  return t;
}

}  // namespace

std::string describe_tile(const MeshGeometry& g, BoardTile t) {
  const int cx = chip_of_x(g, t.x), cy = chip_of_y(g, t.y);
  return "chip " + std::to_string(g.chip_index(cx, cy)) + " tile (" +
         std::to_string(t.x - cx * g.tiles_x) + "," + std::to_string(t.y - cy * g.tiles_y) + ")";
}

int board_tiles_x(const MeshGeometry& g) {
  return g.chips_x * g.tiles_x;
}
int board_tiles_y(const MeshGeometry& g) {
  return g.chips_y * g.tiles_y;
}

BoardTile board_tile(const MeshGeometry& g, int global_core) {
  check_core(g, global_core);
  const CoreLocation l = locate(g, global_core);
  return {l.chip_x * g.tiles_x + l.tile_x, l.chip_y * g.tiles_y + l.tile_y};
}

int link_id(const MeshGeometry& g, BoardTile from, Direction dir) {
  return (from.y * board_tiles_x(g) + from.x) * 4 + static_cast<int>(dir);
}

int num_link_ids(const MeshGeometry& g) {
  return board_tiles_x(g) * board_tiles_y(g) * 4;
}

BoardTile link_source(const MeshGeometry& g, int link) {
  const int tile = link / 4;
  return {tile % board_tiles_x(g), tile / board_tiles_x(g)};
}

Direction link_direction(int link) {
  return static_cast<Direction>(link % 4);
}

LinkKind link_kind(const MeshGeometry& g, int link) {
  const BoardTile a = link_source(g, link);
  const Direction d = link_direction(link);
  const BoardTile b = step_towards(a, d);
  return hop_kind(g, a, b, d == Direction::kEast || d == Direction::kWest);
}

std::string describe_link(const MeshGeometry& g, int link) {
  static constexpr const char* kNames[] = {"E", "W", "N", "S"};
  const std::string dir = kNames[link % 4];
  const std::string from = describe_tile(g, link_source(g, link));
  const LinkKind kind = link_kind(g, link);
  if (kind == LinkKind::kChipToChip) return "chip link " + dir + " from " + from;
  if (kind == LinkKind::kBoardToBoard) return "board link " + dir + " from " + from;
  return dir + " link from " + from;
}

std::string describe_core(const MeshGeometry& g, int global_core) {
  check_core(g, global_core);
  const CoreLocation l = locate(g, global_core);
  return "core " + std::to_string(global_core) + " (chip " + std::to_string(l.chip) + " tile (" +
         std::to_string(l.tile_x) + "," + std::to_string(l.tile_y) + ") core " +
         std::to_string(l.core_in_tile) + ")";
}

void route_into(const MeshGeometry& g, int src_core, int dst_core, Route& r) {
  const BoardTile a = board_tile(g, src_core);
  const BoardTile b = board_tile(g, dst_core);
  r.links.clear();
  r.east_west_hops = r.north_south_hops = r.chip_hops = r.board_hops = 0;
  r.within_tile = a == b;
  BoardTile t = a;
  auto walk = [&](Direction d, int steps, int& on_chip_hops, bool along_x) {
    for (int i = 0; i < steps; ++i) {
      const BoardTile next = step_towards(t, d);
      r.links.push_back(link_id(g, t, d));
      const LinkKind kind = hop_kind(g, t, next, along_x);
      ++(kind == LinkKind::kChipToChip     ? r.chip_hops
         : kind == LinkKind::kBoardToBoard ? r.board_hops
                                           : on_chip_hops);
      t = next;
    }
  };
  // X first, then Y: the order that makes the channel dependencies acyclic (deadlock-free).
  walk(b.x > a.x ? Direction::kEast : Direction::kWest, b.x > a.x ? b.x - a.x : a.x - b.x,
       r.east_west_hops, true);
  walk(b.y > a.y ? Direction::kNorth : Direction::kSouth, b.y > a.y ? b.y - a.y : a.y - b.y,
       r.north_south_hops, false);
}

Route route(const MeshGeometry& g, int src_core, int dst_core) {
  Route r;
  route_into(g, src_core, dst_core, r);
  return r;
}

}  // namespace loihisim::core
