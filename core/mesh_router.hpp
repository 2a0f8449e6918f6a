// Dimension-order routing on the board-wide tile mesh: a message goes along x (east or west)
// until it reaches the destination column, then along y (north or south). Chips extend the mesh:
// the tiles of all chips form one grid of (chips_x * tiles_x) by (chips_y * tiles_y) tiles, and a
// hop whose two tiles lie on different chips is a chip-to-chip hop, or a board-to-board hop when
// the chips are on different boards (MeshGeometry::board_chips_x). North is +y, east is +x.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/architecture.hpp"

namespace loihisim::core {

enum class Direction : std::uint8_t { kEast = 0, kWest = 1, kNorth = 2, kSouth = 3 };

// kBoardToBoard is 6: 3 to 5 are MeshNetwork's port kinds.
enum class LinkKind : std::uint8_t { kEastWest, kNorthSouth, kChipToChip, kBoardToBoard = 6 };

// A tile's position on the board-wide grid.
struct BoardTile {
  int x = 0;
  int y = 0;
  friend bool operator==(const BoardTile&, const BoardTile&) = default;
};

BoardTile board_tile(const MeshGeometry& g, int global_core);
int board_tiles_x(const MeshGeometry& g);  // chips_x * tiles_x
int board_tiles_y(const MeshGeometry& g);  // chips_y * tiles_y

// Directed links are numbered (board tile index) * 4 + direction, where the board tile index is
// y * board_tiles_x + x of the tile the link leaves. Not every number is a link (edge tiles have
// fewer neighbours); route() only produces real ones.
int link_id(const MeshGeometry& g, BoardTile from, Direction dir);
int num_link_ids(const MeshGeometry& g);
BoardTile link_source(const MeshGeometry& g, int link);
Direction link_direction(int link);
LinkKind link_kind(const MeshGeometry& g, int link);
// For reports: e.g. "E link from chip 0 tile (1,2)", "chip link N from chip 3 tile (4,3)" or
// "board link E from chip 7 tile (7,0)".
std::string describe_link(const MeshGeometry& g, int link);
// For reports: e.g. "chip 0 tile (1,2)".
std::string describe_tile(const MeshGeometry& g, BoardTile t);
// For reports: e.g. "core 5 (chip 0 tile (1,0) core 1)".
std::string describe_core(const MeshGeometry& g, int global_core);

// What one message crosses. A message to a core of the same tile crosses no link and is a
// within-tile delivery; otherwise every link is exactly one of the four hop kinds.
struct Route {
  bool within_tile = false;
  int east_west_hops = 0;    // on-chip hops along x
  int north_south_hops = 0;  // on-chip hops along y
  int chip_hops = 0;         // hops from one chip to the next on the same board (either axis)
  int board_hops = 0;        // hops from a chip to the next on another board (either axis)
  std::vector<int> links;    // directed link ids, in the order crossed
};

// Global (physical) core numbers as in locate(). Throws std::out_of_range for a core outside the
// mesh.
Route route(const MeshGeometry& g, int src_core, int dst_core);
// The same, reusing `r`'s storage (no allocation once its link vector is large enough).
void route_into(const MeshGeometry& g, int src_core, int dst_core, Route& r);

}  // namespace loihisim::core
