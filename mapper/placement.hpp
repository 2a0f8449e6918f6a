// Placing logical cores on the mesh: which global core (chip, tile, core in tile; numbered as
// core::locate does) each one becomes, and what the resulting spike traffic costs in hops.
//
// Hop model (dimension-ordered routing on one mesh of tiles spanning all chips, as
// core/mesh_router.hpp routes): a message from core a to core b takes |dx| + |dy| hops, where x
// and y are board-wide tile coordinates (chip_x * tiles_x + tile_x, likewise y). Of these,
// |dchip_x| + |dchip_y| cross from one chip to the next (chip-to-chip hops); the rest are on-chip
// east-west and north-south hops. Messages between cores of one tile take 0 hops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/architecture.hpp"

namespace loihisim::mapper {

// Expected spike messages per step between logical cores (directed, CSR by source core).
struct TrafficGraph {
  int num_cores = 0;
  std::vector<std::int64_t> offsets;  // num_cores + 1
  std::vector<std::int32_t> dest;
  std::vector<double> messages;
  double local_messages = 0;  // messages from a core to itself (recurrent blocks), 0 hops
};

// Builds a TrafficGraph from (source core, destination core, messages) triples; duplicates add.
struct TrafficEdge {
  std::int32_t source = 0, dest = 0;
  double messages = 0;
};
TrafficGraph make_traffic_graph(int num_cores, std::vector<TrafficEdge> edges);

enum class Placer { kGreedy, kMetis };
const char* placer_name(Placer p);
Placer parse_placer(const std::string& name);  // "greedy" | "metis"; InputError otherwise

struct Placement {
  core::MeshGeometry mesh;                // the board geometry in use (chips_x/chips_y as needed)
  std::vector<std::int32_t> global_core;  // per logical core
  int chips_used = 0;                     // chips holding at least one core
};

// The chip grid for `num_cores` cores: the fewest chips, arranged as a near-square sub-grid of
// the board (chips_x = min(board chips_x, ceil(sqrt(n))), as many rows as needed). Throws
// InputError when the board has too few chips.
core::MeshGeometry geometry_for(int num_cores, const core::MeshGeometry& board);

// Greedy baseline: logical cores in order along a serpentine curve (chips in serpentine order
// over the chip grid; within a chip, tile rows alternate direction; the cores of a tile in
// order), so cores next to each other in network order sit on the same or adjacent tiles.
Placement place_greedy(int num_cores, const core::MeshGeometry& board);

// METIS placement: recursive bisection of the traffic graph (METIS_PartGraphRecursive, fixed
// seed) matched to a recursive bisection of the mesh: first across chips, then across tiles
// within a chip, always splitting the region along its longer side. Each half of the cores
// goes to one half of the region; the first half is filled before the second, so the cores
// stay compact. METIS treats balance as a soft constraint, so every split is repaired to the
// exact capacities by moving the cores with the least connection to their side. Finally a local
// refinement (at most kRefinementSweeps sweeps) moves each core to the tile near the weighted
// median of its traffic partners that lowers messages x hops most, swapping with the core there
// or taking a free slot, and stops when a sweep changes nothing.
inline constexpr int kRefinementSweeps = 20;
Placement place_metis(const TrafficGraph& traffic, const core::MeshGeometry& board, int seed = 1);

struct Hops {
  int ew = 0, ns = 0;  // on-chip hops along x and y
  int chips = 0;       // chip-to-chip hops between chips of one board
  int boards = 0;      // chip-to-chip hops between two boards (not also in `chips`)
  int total() const { return ew + ns + chips + boards; }
};
Hops hops_between(const core::MeshGeometry& mesh, int global_a, int global_b);

struct TrafficStats {
  double messages = 0;              // all spike messages per step (incl. core-local ones)
  double inter_core_messages = 0;   // messages between different cores
  double hops = 0;                  // sum over messages of all hops (= traffic x hops)
  double hops_ew = 0, hops_ns = 0;  // of which on-chip east-west / north-south hops
  double chip_crossings = 0;        // of which chip-to-chip hops within a board
  double board_crossings = 0;       // of which board-to-board hops
  double mean_hops() const { return messages > 0 ? hops / messages : 0.0; }
};
TrafficStats traffic_stats(const TrafficGraph& traffic, const Placement& placement);

}  // namespace loihisim::mapper
