// A chip family described in hardware terms: topology, per-core limits, and (added by the chip
// issue) per-event energy and latency. Plain values; YAML parsing lives in runtime/arch_io.
#pragma once

#include <string>

#include "core/core_config.hpp"

namespace loihisim::core {

// Cores sit in tiles on a 2-D mesh; chips sit on a board grid. Global core numbering is
// chip-major, then tile (row-major: x fastest), then core within the tile.
struct MeshGeometry {
  int tiles_x = 8;          // tiles per chip along x (east-west)
  int tiles_y = 4;          // tiles per chip along y (north-south)
  int cores_per_tile = 4;
  int chips_x = 1;          // chips per board along x
  int chips_y = 1;          // chips per board along y

  int cores_per_chip() const { return tiles_x * tiles_y * cores_per_tile; }
  int num_chips() const { return chips_x * chips_y; }
  int num_cores() const { return cores_per_chip() * num_chips(); }
};

struct CoreLocation {
  int chip = 0, chip_x = 0, chip_y = 0;  // chip index and its board position
  int tile_x = 0, tile_y = 0;            // tile position within the chip
  int core_in_tile = 0;
};

inline CoreLocation locate(const MeshGeometry& g, int global_core) {
  CoreLocation l;
  const int per_chip = g.cores_per_chip();
  l.chip = global_core / per_chip;
  l.chip_x = l.chip % g.chips_x;
  l.chip_y = l.chip / g.chips_x;
  const int in_chip = global_core % per_chip;
  const int tile = in_chip / g.cores_per_tile;
  l.core_in_tile = in_chip % g.cores_per_tile;
  l.tile_x = tile % g.tiles_x;
  l.tile_y = tile / g.tiles_x;
  return l;
}

struct Architecture {
  std::string name;
  MeshGeometry mesh;
  CoreLimits core;
};

}  // namespace loihisim::core
