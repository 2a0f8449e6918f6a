// A chip family described in hardware terms: topology, per-core limits, and the per-event energy
// and latency tables that turn event counts into joules and seconds (docs/energy-model.md).
// Plain values; YAML parsing lives in runtime/arch_io.
//
// Units are integers so that every sum is exact: energy in femtojoules (fJ), time in picoseconds
// (ps), power in microwatts (uW). 1 uW for 1 ps is 1e-18 J, so static energy in fJ is
// power_uW * time_ps / 1000.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/core_config.hpp"
#include "core/enum_names.hpp"

namespace loihisim::core {

// Cores sit in tiles on a 2-D mesh; chips sit on a grid. Global core numbering is chip-major,
// then tile (row-major: x fastest), then core within the tile. In a system of several boards the
// chip grid is the system-wide one and boards are rectangles of board_chips_x by board_chips_y
// chips in it; a hop between two chips of different boards is a board-to-board hop. Chips are
// numbered board-major (boards row-major, then the chips of a board row-major), so the chips of
// a board are consecutive and the first board's chips keep their one-board numbers.
// board_chips_x/y = 0: one board, chips row-major over the grid.
struct MeshGeometry {
  int tiles_x = 8;  // tiles per chip along x (east-west)
  int tiles_y = 4;  // tiles per chip along y (north-south)
  int cores_per_tile = 4;
  int chips_x = 1;        // chips along x (of the whole system)
  int chips_y = 1;        // chips along y (of the whole system)
  int board_chips_x = 0;  // chips per board along x; 0 = one board
  int board_chips_y = 0;  // chips per board along y; 0 = one board

  // The board of chip column cx (row cy): boards are numbered along each axis from 0.
  int board_of_chip_x(int cx) const { return board_chips_x > 0 ? cx / board_chips_x : 0; }
  int board_of_chip_y(int cy) const { return board_chips_y > 0 ? cy / board_chips_y : 0; }

  bool has_boards() const { return board_chips_x > 0 && board_chips_y > 0; }
  // The chip number of the chip at (cx, cy) of the grid.
  int chip_index(int cx, int cy) const {
    if (!has_boards()) return cy * chips_x + cx;
    const int board = (cy / board_chips_y) * (chips_x / board_chips_x) + cx / board_chips_x;
    return board * board_chips_x * board_chips_y + (cy % board_chips_y) * board_chips_x +
           cx % board_chips_x;
  }
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
  if (g.has_boards()) {  // board-major (MeshGeometry)
    const int per_board = g.board_chips_x * g.board_chips_y;
    const int board = l.chip / per_board, in_board = l.chip % per_board;
    const int boards_x = g.chips_x / g.board_chips_x;
    l.chip_x = (board % boards_x) * g.board_chips_x + in_board % g.board_chips_x;
    l.chip_y = (board / boards_x) * g.board_chips_y + in_board / g.board_chips_x;
  } else {
    l.chip_x = l.chip % g.chips_x;
    l.chip_y = l.chip / g.chips_x;
  }
  const int in_chip = global_core % per_chip;
  const int tile = in_chip / g.cores_per_tile;
  l.core_in_tile = in_chip % g.cores_per_tile;
  l.tile_x = tile % g.tiles_x;
  l.tile_y = tile / g.tiles_x;
  return l;
}

// The energy and the latency of one event.
struct EventCost {
  std::int64_t energy_fj = 0;
  std::int64_t latency_ps = 0;
};

// Per-event costs of a core's units, one per CoreCounts field they multiply. A compartment
// update costs either update_inactive or update_active (the active figure is the whole cost of
// an active update, not an extra), plus fire_extra when the compartment fires.
struct CoreEventCosts {
  EventCost spike_received;   // axon in: per spike message received (CoreCounts::spikes_in)
  EventCost syn_op_dense;     // synapse: per synaptic event of a dense list
  EventCost syn_op_sparse;    // synapse: per synaptic event of a sparse list
  EventCost update_inactive;  // soma: per compartment update that was not active
  EventCost update_active;    // soma: per active compartment update
  EventCost fire_extra;       // soma: added per compartment that fired
  EventCost spike_sent;       // axon out: per spike message sent (CoreCounts::spikes_out)
};

// One kind of directed link between neighbouring routers. A message holds the link for
// `serialisation_ps` (1 / bandwidth) and reaches the next router `hop.latency_ps` after it
// started; the next router's input buffer for this link holds `buffer_depth` messages, and a
// message may start only when a slot is free (credit flow control).
struct LinkParams {
  EventCost hop;
  std::int64_t serialisation_ps = 0;
  int buffer_depth = 1;
};

// One point of a barrier-time table: `count` tiles (or chips) in use take `time_ps`.
struct BarrierPoint {
  int count = 1;
  std::int64_t time_ps = 0;
};

// The network-on-chip, the chip-to-chip links and the timestep barrier.
// How a step's mesh traffic is timed (docs/energy-model.md, "Network timing models"). kEvent
// simulates every message through every link with FIFO links, serialisation and credit flow
// control (mesh_network.hpp). kAnalytic counts each link's load in the step and gives every
// message its contention-free path latency plus the serialisation backlog of the busiest link
// on its path, (load - 1) x serialisation: no event queue. kCycle (core/cycle_timing.hpp) times
// every latency in whole clock cycles (CycleParams), pipelines each core's units, lets spikes
// leave as their compartment fires and adds the cores' output and input ports and the tile
// crossbar to the simulated links. All count the same hops, so energy does not depend on the
// choice; only latency does.
enum class NetworkModel { kEvent, kAnalytic, kCycle };
inline constexpr std::array<EnumName<NetworkModel>, 3> kNetworkModelNames = {
    {{NetworkModel::kEvent, "event"},
     {NetworkModel::kAnalytic, "analytic"},
     {NetworkModel::kCycle, "cycle"}}};

// What only the cycle-level mode uses (docs/energy-model.md, "Cycle-level timing").
struct CycleParams {
  bool present = false;              // the architecture file describes them (chip.cycle)
  std::int64_t clock_period_ps = 0;  // every latency is rounded up to whole periods
  int synapse_queue_depth = 1;       // messages between the input axon and the synapse unit
  int output_port_buffer_depth = 1;  // router slots behind a core's output axon
  int input_port_cycles = 1;         // the destination core's input port: cycles per message
  int crossbar_cycles = 1;           // a tile's crossbar (within-tile messages): per message
  int crossbar_buffer_depth = 1;     // slots behind the crossbar, before the input port
};

struct NetworkCosts {
  NetworkModel model = NetworkModel::kEvent;
  EventCost within_tile;    // a message to a core of the same tile (no inter-tile link)
  LinkParams east_west;     // one tile hop along x inside a chip
  LinkParams north_south;   // one tile hop along y inside a chip
  LinkParams chip_to_chip;  // one hop that crosses from one chip to its neighbour
  // One hop from a chip to its neighbour on another board (systems of several boards). Not
  // also counted as a chip-to-chip hop.
  LinkParams board_to_board;
  // Barrier time with one chip in use, by tiles in use (ascending, first point at 1 tile,
  // covering every tile of a chip); linear interpolation between points.
  std::vector<BarrierPoint> barrier_by_tiles;
  // Barrier time with several chips in use, by chips in use (ascending, first point at 2
  // chips, covering every chip of the board); empty on single-chip boards.
  std::vector<BarrierPoint> barrier_by_chips;
  std::int64_t barrier_energy_fj_per_tile = 0;  // per barrier, per tile in use
};

// The link between the host and the board. Injected spikes are serialised on it: the k-th
// spike injected in a step reaches its core at k * spike_injected.latency_ps.
struct HostLinkCosts {
  EventCost spike_injected;  // per spike sent by the host into a core's input axon
  EventCost readback;        // per spike or spike count read back by the host
  EventCost word;            // per other 32-bit word moved over the link
};

// Power drawn whatever the activity, per chip in use.
struct ChipPower {
  std::int64_t static_uw = 0;  // leakage of the chip
  std::int64_t x86_uw = 0;     // the embedded x86 cores, charged only when x86_in_use
  bool x86_in_use = false;
};

// What one operation of the host coprocessor costs (the non-spiking part of hybrid models;
// executed by runtime/, priced here so every energy table lives in one file).
struct HostOpCosts {
  EventCost mul;     // one multiplication
  EventCost add;     // one addition or subtraction
  EventCost cmp;     // one comparison
  EventCost nonlin;  // one transcendental function (sigmoid, tanh, exp)
  EventCost byte;    // one byte of weights or activations moved
};

// Where host nodes can run: an external host CPU, or the chip's embedded x86 cores.
struct HostCoprocessorCosts {
  HostOpCosts external;
  HostOpCosts embedded;
};

struct Architecture {
  std::string name;
  MeshGeometry mesh;
  CoreLimits core;
  CoreEventCosts core_costs;
  NetworkCosts network;
  HostLinkCosts host;
  ChipPower power;
  HostCoprocessorCosts host_coprocessor;
  CycleParams cycle;
};

// Structural problems that would make timing or energy undefined: non-positive mesh sizes,
// negative costs, buffer depth < 1, barrier tables that are unsorted or do not cover the tiles
// of a chip (and the chips of the board). Field names are struct paths such as
// "network.barrier_by_tiles[1].count". Empty = usable.
std::vector<ConfigProblem> validate(const Architecture& arch);

}  // namespace loihisim::core
