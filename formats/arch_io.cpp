#include "formats/arch_io.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "formats/board_io.hpp"
#include "io/errors.hpp"
#include "io/yaml_reader.hpp"

#ifndef LOIHISIM_DATA_DIR
#error "LOIHISIM_DATA_DIR must be defined by the build (runtime/CMakeLists.txt)"
#endif

namespace loihisim {

namespace {

using core::Architecture;
using core::BarrierPoint;
using core::EventCost;
using core::LinkParams;

// Upper bounds that keep every product in 64 bits and catch unit mistakes (a value 1000x off).
constexpr std::int64_t kMaxEnergyPj = 1'000'000;    // 1 uJ per event
constexpr std::int64_t kMaxTimeNs = 1'000'000'000;  // 1 s per event or barrier
constexpr std::int64_t kMaxPowerMw = 1'000'000;     // 1 kW per chip
constexpr std::int64_t kMaxCores = std::int64_t{1} << 24;

using yaml::Field;
using yaml::Reader;

int small_int(const Reader& r, const Field& f, int lo, int hi) {
  return static_cast<int>(r.integer(f, lo, hi));
}

EventCost read_cost(const Reader& r, const Field& f) {
  r.expect_map(f, {"energy_pj", "latency_ns"});
  return {r.milli(r.get(f, "energy_pj"), 0, kMaxEnergyPj, "pJ"),
          r.milli(r.get(f, "latency_ns"), 0, kMaxTimeNs, "ns")};
}

LinkParams read_link(const Reader& r, const Field& f) {
  r.expect_map(f, {"hop", "bandwidth_gspike_per_s", "buffer_depth"});
  LinkParams l;
  l.hop = read_cost(r, r.get(f, "hop"));
  // One message occupies the link for 1 / bandwidth: 1000 / (Gspike/s) ps, to the nearest ps.
  const double bw = r.real(r.get(f, "bandwidth_gspike_per_s"), 0.001, 1000, "Gspike/s");
  l.serialisation_ps = std::llround(1000.0 / bw);
  l.buffer_depth = small_int(r, r.get(f, "buffer_depth"), 1, 65536);
  return l;
}

// A barrier table: a list of {<count_key>: n, time_ns: t}, strictly ascending in n, starting at
// `first` and reaching at least `cover`.
std::vector<BarrierPoint> read_barrier(const Reader& r, const Field& f, const char* count_key,
                                       int first, int cover, int max_count,
                                       const std::string& extent) {
  if (!f.node.IsSequence())
    r.fail(f, std::string("expected a list of {") + count_key + ", time_ns}, found " +
                  yaml::describe(f.node));
  std::vector<BarrierPoint> out;
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    const Field p{f.node[i], f.path + "[" + std::to_string(i) + "]"};
    r.expect_map(p, {count_key, "time_ns"});
    const Field c = r.get(p, count_key);
    BarrierPoint b;
    b.count = small_int(r, c, first, max_count);
    b.time_ps = r.milli(r.get(p, "time_ns"), 0, kMaxTimeNs, "ns");
    if (i == 0 && b.count != first)
      r.fail(c, std::to_string(b.count) + " must be " + std::to_string(first) +
                    " (the table starts at " + std::to_string(first) + ")");
    if (i > 0 && b.count <= out.back().count)
      r.fail(c, std::to_string(b.count) + " must be greater than the previous point's " +
                    std::to_string(out.back().count) + " (points ascend)");
    out.push_back(b);
  }
  if (cover >= first && (out.empty() || out.back().count < cover))
    r.fail(f, "the table " +
                  (out.empty() ? std::string("is empty")
                               : "ends at " + std::to_string(out.back().count)) +
                  " but must cover " + std::to_string(first) + ".." + std::to_string(cover) + " " +
                  count_key + " (" + extent + ")");
  return out;
}

core::HostOpCosts read_host_ops(const Reader& r, const Field& f) {
  r.expect_map(f, {"multiply", "add", "compare", "nonlinearity", "byte"});
  core::HostOpCosts c;
  c.mul = read_cost(r, r.get(f, "multiply"));
  c.add = read_cost(r, r.get(f, "add"));
  c.cmp = read_cost(r, r.get(f, "compare"));
  c.nonlin = read_cost(r, r.get(f, "nonlinearity"));
  c.byte = read_cost(r, r.get(f, "byte"));
  return c;
}

core::CoreLimits read_limits(const Reader& r, const Field& f) {
  r.expect_map(f, {"max_compartments", "max_input_axons", "max_output_axons", "synapse_memory_bits",
                   "max_compartment_profiles", "max_threshold_profiles", "max_synapse_formats",
                   "accumulator_slots", "min_accumulator_depth", "max_accumulator_depth",
                   "allow_reset_subtract", "allow_graded_spikes"});
  core::CoreLimits l;
  l.max_compartments = small_int(r, r.get(f, "max_compartments"), 1, 65536);
  l.max_input_axons = small_int(r, r.get(f, "max_input_axons"), 1, 1 << 20);
  l.max_output_axons = small_int(r, r.get(f, "max_output_axons"), 1, 1 << 20);
  l.synapse_memory_bits = r.integer(r.get(f, "synapse_memory_bits"), 1, std::int64_t{1} << 40);
  l.max_compartment_profiles = small_int(r, r.get(f, "max_compartment_profiles"), 1, 1024);
  l.max_threshold_profiles = small_int(r, r.get(f, "max_threshold_profiles"), 1, 1024);
  l.max_synapse_formats = small_int(r, r.get(f, "max_synapse_formats"), 1, 1024);
  l.accumulator_slots = small_int(r, r.get(f, "accumulator_slots"), 1, 1 << 24);
  l.min_accumulator_depth = small_int(r, r.get(f, "min_accumulator_depth"), 2, 1024);
  const Field max_depth = r.get(f, "max_accumulator_depth");
  l.max_accumulator_depth = small_int(r, max_depth, 2, 1024);
  if (l.max_accumulator_depth < l.min_accumulator_depth)
    r.fail(max_depth, std::to_string(l.max_accumulator_depth) +
                          " is out of range (allowed min_accumulator_depth = " +
                          std::to_string(l.min_accumulator_depth) + "..1024)");
  l.allow_reset_subtract = r.boolean(r.get(f, "allow_reset_subtract"));
  l.allow_graded_spikes = r.boolean(r.get(f, "allow_graded_spikes"));
  return l;
}

// The mesh's tiles and the cores per tile (chip.mesh, chip.tile).
void read_chip_geometry(const Reader& r, const Field& chip, core::MeshGeometry& mesh) {
  r.expect_map(chip, {"static_power_mw", "embedded_x86", "mesh", "barrier", "tile"}, {"cycle"});
  const Field m = r.get(chip, "mesh");
  r.expect_map(m, {"tiles_x", "tiles_y", "east_west_link", "north_south_link"}, {"timing_model"});
  mesh.tiles_x = small_int(r, r.get(m, "tiles_x"), 1, 256);
  mesh.tiles_y = small_int(r, r.get(m, "tiles_y"), 1, 256);
  const Field tile = r.get(chip, "tile");
  r.expect_map(tile, {"cores", "within_tile_delivery", "core"});
  mesh.cores_per_tile = small_int(r, r.get(tile, "cores"), 1, 64);
}

// The boards of a system (optional `boards:` section): a boards_x by boards_y grid of boards and
// the link between neighbouring chips of two boards. Absent: one board, no board link.
std::pair<int, int> read_boards(const Reader& r, const std::optional<Field>& boards,
                                Architecture& a) {
  if (!boards) return {1, 1};
  r.expect_map(*boards, {"boards_x", "boards_y", "board_to_board_link"});
  const int bx = small_int(r, r.get(*boards, "boards_x"), 1, 1024);
  const int by = small_int(r, r.get(*boards, "boards_y"), 1, 1024);
  a.network.board_to_board = read_link(r, r.get(*boards, "board_to_board_link"));
  return {bx, by};
}

// The board: its chip grid (at most kMaxCores cores in all, over every board of the system), the
// chip barrier (covering every chip of the system), the chip-to-chip link and the host link.
void read_board(const Reader& r, const Field& board, std::pair<int, int> boards, Architecture& a) {
  r.expect_map(board, {"chips_x", "chips_y", "barrier_by_chips", "chip_to_chip_link", "host_link"});
  const int chips_x = small_int(r, r.get(board, "chips_x"), 1, 1024);
  const Field chips_y = r.get(board, "chips_y");
  const int per_y = small_int(r, chips_y, 1, 1024);
  a.mesh.chips_x = chips_x * boards.first;
  a.mesh.chips_y = per_y * boards.second;
  if (boards.first * boards.second > 1) {
    a.mesh.board_chips_x = chips_x;
    a.mesh.board_chips_y = per_y;
  }
  const std::int64_t cores = std::int64_t{a.mesh.tiles_x} * a.mesh.tiles_y * a.mesh.cores_per_tile *
                             a.mesh.chips_x * a.mesh.chips_y;
  if (cores > kMaxCores)
    r.fail(chips_y, std::string(boards.first * boards.second > 1 ? "the system" : "the board") +
                        " would have " + std::to_string(cores) + " cores (allowed up to " +
                        std::to_string(kMaxCores) + ")");

  a.network.barrier_by_chips =
      read_barrier(r, r.get(board, "barrier_by_chips"), "chips", 2,
                   a.mesh.num_chips() > 1 ? a.mesh.num_chips() : 0, 1 << 20,
                   boards.first * boards.second > 1 ? "every chip of the system (all boards)"
                                                    : "every chip of the board");
  a.network.chip_to_chip = read_link(r, r.get(board, "chip_to_chip_link"));
  const Field host = r.get(board, "host_link");
  r.expect_map(host, {"spike_injected", "readback", "word"});
  a.host.spike_injected = read_cost(r, r.get(host, "spike_injected"));
  a.host.readback = read_cost(r, r.get(host, "readback"));
  a.host.word = read_cost(r, r.get(host, "word"));
}

// The chip's power, its mesh links and its tile barrier.
void read_chip_power_and_network(const Reader& r, const Field& chip, Architecture& a) {
  a.power.static_uw = r.milli(r.get(chip, "static_power_mw"), 0, kMaxPowerMw, "mW");
  const Field x86 = r.get(chip, "embedded_x86");
  r.expect_map(x86, {"power_mw", "in_use"});
  a.power.x86_uw = r.milli(r.get(x86, "power_mw"), 0, kMaxPowerMw, "mW");
  a.power.x86_in_use = r.boolean(r.get(x86, "in_use"));
  const Field mesh = r.get(chip, "mesh");
  a.network.east_west = read_link(r, r.get(mesh, "east_west_link"));
  a.network.north_south = read_link(r, r.get(mesh, "north_south_link"));
  if (r.has(mesh, "timing_model"))
    a.network.model = r.choice(r.get(mesh, "timing_model"), core::kNetworkModelNames);
  const Field barrier = r.get(chip, "barrier");
  r.expect_map(barrier, {"energy_pj_per_tile", "time_by_tiles"});
  a.network.barrier_energy_fj_per_tile =
      r.milli(r.get(barrier, "energy_pj_per_tile"), 0, kMaxEnergyPj, "pJ");
  const int tiles = a.mesh.tiles_x * a.mesh.tiles_y;
  a.network.barrier_by_tiles = read_barrier(r, r.get(barrier, "time_by_tiles"), "tiles", 1, tiles,
                                            1 << 16, "every tile of a chip");
}

// Within-tile delivery and the core: its limits and the cost of each of its events, unit by
// unit (axon in, synapse, soma, axon out).
void read_tile(const Reader& r, const Field& tile, Architecture& a) {
  a.network.within_tile = read_cost(r, r.get(tile, "within_tile_delivery"));
  const Field core = r.get(tile, "core");
  r.expect_map(core, {"limits", "axon_in", "synapse", "soma", "axon_out"});
  a.core = read_limits(r, r.get(core, "limits"));
  const Field axon_in = r.get(core, "axon_in");
  r.expect_map(axon_in, {"spike_received"});
  a.core_costs.spike_received = read_cost(r, r.get(axon_in, "spike_received"));
  const Field syn = r.get(core, "synapse");
  r.expect_map(syn, {"dense", "sparse"});
  a.core_costs.syn_op_dense = read_cost(r, r.get(syn, "dense"));
  a.core_costs.syn_op_sparse = read_cost(r, r.get(syn, "sparse"));
  const Field soma = r.get(core, "soma");
  r.expect_map(soma, {"update_inactive", "update_active", "fire_extra"});
  a.core_costs.update_inactive = read_cost(r, r.get(soma, "update_inactive"));
  a.core_costs.update_active = read_cost(r, r.get(soma, "update_active"));
  a.core_costs.fire_extra = read_cost(r, r.get(soma, "fire_extra"));
  const Field axon_out = r.get(core, "axon_out");
  r.expect_map(axon_out, {"spike_sent"});
  a.core_costs.spike_sent = read_cost(r, r.get(axon_out, "spike_sent"));
}

// chip.cycle (optional; required by timing_model: cycle): the cycle-level mode's clock and queues.
void read_cycle(const Reader& r, const Field& f, core::CycleParams& c) {
  r.expect_map(f, {"clock_period_ns", "synapse_queue_depth", "output_port_buffer_depth",
                   "input_port_cycles", "crossbar_cycles", "crossbar_buffer_depth"});
  c.present = true;
  const Field period = r.get(f, "clock_period_ns");
  c.clock_period_ps = r.milli(period, 0, 1000, "ns");
  if (c.clock_period_ps < 1)
    r.fail(period, "a clock period of 0 ns is not allowed (at least 0.001 ns)");
  c.synapse_queue_depth = small_int(r, r.get(f, "synapse_queue_depth"), 1, 65536);
  c.output_port_buffer_depth = small_int(r, r.get(f, "output_port_buffer_depth"), 1, 65536);
  c.input_port_cycles = small_int(r, r.get(f, "input_port_cycles"), 1, 1 << 20);
  c.crossbar_cycles = small_int(r, r.get(f, "crossbar_cycles"), 1, 1 << 20);
  c.crossbar_buffer_depth = small_int(r, r.get(f, "crossbar_buffer_depth"), 1, 65536);
}

// Keys are read in the order of the file's sections below, so that a file with several
// mistakes always reports the same first one.
Architecture read_root(const Reader& r, const YAML::Node& root) {
  const Field top{root, ""};
  r.expect_map(top, {"name", "board", "chip", "host_coprocessor"}, {"system", "boards"});
  Architecture a;
  a.name = r.text(r.get(top, "name"));
  const Field chip = r.get(top, "chip");
  read_chip_geometry(r, chip, a.mesh);
  const auto boards = read_boards(r, r.find(top, "boards"), a);
  read_board(r, r.get(top, "board"), boards, a);
  read_chip_power_and_network(r, chip, a);
  read_tile(r, r.get(chip, "tile"), a);
  if (const auto cycle = r.find(chip, "cycle")) read_cycle(r, *cycle, a.cycle);

  const Field hc = r.get(top, "host_coprocessor");
  r.expect_map(hc, {"external", "embedded"});
  a.host_coprocessor.external = read_host_ops(r, r.get(hc, "external"));
  a.host_coprocessor.embedded = read_host_ops(r, r.get(hc, "embedded"));
  // `system:` (optional) is the board level (formats/board_io.hpp); checked here too, so that
  // every command that reads the file rejects a bad section.
  if (const auto sys = r.find(top, "system")) read_system_section(r, *sys);

  // Everything above was checked key by key; this catches any invariant core/ adds later.
  const auto problems = core::validate(a);
  if (!problems.empty()) r.fail(top, problems.front().message);
  return a;
}

}  // namespace

core::Architecture parse_architecture(const std::string& yaml_text, const std::string& file) {
  return yaml::labelled(file,
                        [&] { return read_root(Reader(file), yaml::load_text(yaml_text, file)); });
}

core::Architecture read_architecture(const std::filesystem::path& path) {
  return yaml::labelled(path.string(), [&] {
    return read_root(Reader(path.string()), yaml::load_file(path, "architecture file"));
  });
}

std::vector<std::string> architecture_profiles() {
  return shipped_profiles("arch");
}

core::Architecture load_architecture(const std::string& name_or_path) {
  return read_architecture(architecture_file(name_or_path));
}

std::filesystem::path architecture_file(const std::string& name_or_path) {
  return shipped_profile_path("architecture", "arch", name_or_path);
}

std::string architecture_text(const std::string& name_or_path) {
  const auto path = architecture_file(name_or_path);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw InputError(path.string() + ": architecture file: cannot be read");
  return text.str();
}

}  // namespace loihisim
