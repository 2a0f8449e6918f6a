#include "mapper/map_report.hpp"

#include <fmt/core.h>

#include "io/version.hpp"

namespace loihisim::mapper {
namespace {

double percent(std::int64_t used, std::int64_t limit) {
  return limit > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(limit) : 0.0;
}

std::string use(std::int64_t used, std::int64_t limit) {
  return fmt::format("{}/{} ({:.0f}%)", used, limit, percent(used, limit));
}

// Rates per step (JSON has no inf or nan: a non-finite figure is printed as null).
// board_crossings only in systems of several boards (one board: the output as before boards).
Summary traffic_summary(const TrafficStats& t, bool boards) {
  Summary s{{"messages_per_step", t.messages},
            {"inter_core_messages_per_step", t.inter_core_messages},
            {"traffic_x_hops", t.hops},
            {"mean_hops", t.mean_hops()},
            {"hops_ew", t.hops_ew},
            {"hops_ns", t.hops_ns},
            {"chip_crossings", t.chip_crossings}};
  if (boards) s["board_crossings"] = t.board_crossings;
  return s;
}

Summary use_summary(std::int64_t used, std::int64_t limit) {
  return {{"used", used}, {"limit", limit}, {"percent", percent(used, limit)}};
}

Summary bounds_summary(const std::vector<ResourceBound>& bounds) {
  Summary a = Summary::array();
  for (const auto& b : bounds)
    a.push_back({{"resource", b.resource},
                 {"demand", b.demand},
                 {"capacity", b.capacity},
                 {"cores", b.cores}});
  return a;
}

}  // namespace

std::string format_report(const MapReport& r) {
  std::string s;
  s += fmt::format(
      "network '{}' on architecture '{}': {} populations, {} neurons, {} projections, {} "
      "synapses, {} input ports, {} output ports, {} host nodes\n",
      r.network, r.architecture, r.populations, r.neurons, r.projections, r.synapses, r.input_ports,
      r.output_ports, r.host_nodes);
  s += fmt::format("blocks: {} (partition: {}, {} passes)\n", r.blocks, r.partition,
                   r.partition_passes);
  s += "partitions made (kept: fewer cores, then fewer output axons; refined on a tie):\n";
  for (const auto& c : r.partitions)
    if (c.error.empty())
      s += fmt::format("  {:<24} {:>8} blocks {:>6} cores {:>12} output axons {:>4} passes\n",
                       fmt::format("{}{}", c.method, c.chosen ? "*" : ""), c.blocks, c.cores,
                       c.output_axons, c.passes);
    else
      s += fmt::format("  {:<24} not made: {}\n", c.method, c.error);
  s += fmt::format("cores used: {} (lower bound {}; for any partition {})\n", r.cores_used,
                   r.lower_bound, r.network_lower_bound);
  const auto bound_rows = [&](const std::vector<ResourceBound>& bounds) {
    for (const auto& b : bounds)
      s += fmt::format("  {:<18} {:>14} / {:<8} -> {} cores\n", b.resource, b.demand, b.capacity,
                       b.cores);
  };
  s += "lower bound by resource (total demand of the blocks / per-core capacity):\n";
  bound_rows(r.bounds);
  s += "lower bound for any partition (least total demand of the network / per-core capacity):\n";
  bound_rows(r.network_bounds);
  s += fmt::format("chips used: {} (chip grid {} x {}, each {} x {} tiles of {} cores)\n",
                   r.chips_used, r.mesh.chips_x, r.mesh.chips_y, r.mesh.tiles_x, r.mesh.tiles_y,
                   r.mesh.cores_per_tile);
  if (r.mesh.has_boards())
    s += fmt::format("boards: {} x {} chips each, {} in the grid\n", r.mesh.board_chips_x,
                     r.mesh.board_chips_y,
                     r.mesh.num_chips() / (r.mesh.board_chips_x * r.mesh.board_chips_y));
  s += "estimated spike traffic per step (messages = output axons x source rate; hops = on-chip "
       "E-W + N-S + chip-to-chip";
  s += r.mesh.has_boards() ? " + board-to-board):\n" : "):\n";
  s += fmt::format("  {:<8} {:>12} {:>12} {:>14} {:>9} {:>12} {:>12} {:>14}\n", "placer",
                   "messages", "inter-core", "traffic x hops", "mean hops", "E-W hops", "N-S hops",
                   "chip crossings");
  const auto row = [&](const char* name, const std::optional<TrafficStats>& t) {
    if (!t) return;
    const bool chosen = r.placer == name;
    s += fmt::format(
        "  {:<8} {:>12.6g} {:>12.6g} {:>14.6g} {:>9.4f} {:>12.6g} {:>12.6g} {:>14.6g}\n",
        fmt::format("{}{}", name, chosen ? "*" : ""), t->messages, t->inter_core_messages, t->hops,
        t->mean_hops(), t->hops_ew, t->hops_ns, t->chip_crossings);
  };
  row("greedy", r.greedy);
  row("metis", r.metis);
  s += "  (* = placement written to the image)\n";
  if (r.mesh.has_boards())
    for (const auto& [name, t] : {std::pair{"greedy", &r.greedy}, std::pair{"metis", &r.metis}})
      if (*t)
        s += fmt::format("  {}: {:.6g} board-to-board hops (not in the chip crossings above)\n",
                         name, (*t)->board_crossings);
  s += "per core (used/limit):\n";
  s += fmt::format(
      "  {:>6} {:>4} {:>5} {:>4} {:>5} {:>18} {:>18} {:>18} {:>26} {:>12} {:>10} {:>10}  {}\n",
      "core", "chip", "tile", "slot", "depth", "compartments", "input axons", "output axons",
      "synapse bits", "profiles", "thresholds", "formats", "blocks");
  for (const auto& c : r.cores)
    s += fmt::format(
        "  {:>6} {:>4} {:>5} {:>4} {:>5} {:>18} {:>18} {:>18} {:>26} {:>12} {:>10} {:>10}  {}\n",
        c.core, c.chip, fmt::format("{},{}", c.tile_x, c.tile_y), c.core_in_tile,
        c.accumulator_depth, use(c.compartments, c.compartment_limit),
        use(c.input_axons, c.input_axon_limit), use(c.output_axons, c.output_axon_limit),
        use(c.synapse_bits, c.synapse_bit_limit), use(c.profiles, c.profile_limit),
        fmt::format("{}/{}", c.thresholds, c.threshold_limit),
        fmt::format("{}/{}", c.formats, c.format_limit), c.blocks);
  return s;
}

Summary report_summary(const MapReport& r) {
  Summary j;
  j["report"] = "map";
  j["loihisim_version"] = version();
  j["network"] = r.network;
  j["architecture"] = r.architecture;
  j["placer"] = r.placer;
  j["populations"] = r.populations;
  j["neurons"] = r.neurons;
  j["projections"] = r.projections;
  j["synapses"] = r.synapses;
  j["input_ports"] = r.input_ports;
  j["output_ports"] = r.output_ports;
  j["host_nodes"] = r.host_nodes;
  j["blocks"] = r.blocks;
  j["partition_passes"] = r.partition_passes;
  j["partition"] = r.partition;
  Summary partitions = Summary::array();
  for (const auto& c : r.partitions) {
    Summary p = {{"method", c.method},
                 {"blocks", c.blocks},
                 {"passes", c.passes},
                 {"cores", c.cores},
                 {"output_axons", c.output_axons},
                 {"chosen", c.chosen}};
    if (!c.error.empty()) p["error"] = c.error;
    partitions.push_back(p);
  }
  j["partitions"] = partitions;
  j["cores_used"] = r.cores_used;
  j["lower_bound"] = r.lower_bound;
  j["lower_bound_by_resource"] = bounds_summary(r.bounds);
  j["network_lower_bound"] = r.network_lower_bound;
  j["network_lower_bound_by_resource"] = bounds_summary(r.network_bounds);
  j["chips_used"] = r.chips_used;
  j["mesh"] = {{"chips_x", r.mesh.chips_x},
               {"chips_y", r.mesh.chips_y},
               {"tiles_x", r.mesh.tiles_x},
               {"tiles_y", r.mesh.tiles_y},
               {"cores_per_tile", r.mesh.cores_per_tile}};
  Summary traffic = Summary::object();
  if (r.greedy) traffic["greedy"] = traffic_summary(*r.greedy, r.mesh.has_boards());
  if (r.metis) traffic["metis"] = traffic_summary(*r.metis, r.mesh.has_boards());
  j["traffic"] = traffic;
  const MapTimings& t = r.timings;
  j["timings"] = {{"index_s", t.index},
                  {"partition_s", t.partition},
                  {"pack_s", t.pack},
                  {"build_s", t.build},
                  {"place_greedy_s", t.place_greedy},
                  {"place_metis_s", t.place_metis},
                  {"assemble_s", t.assemble},
                  {"validate_s", t.validate},
                  {"total_s", t.total}};
  Summary cores = Summary::array();
  for (const auto& c : r.cores)
    cores.push_back({{"core", c.core},
                     {"chip", c.chip},
                     {"tile_x", c.tile_x},
                     {"tile_y", c.tile_y},
                     {"core_in_tile", c.core_in_tile},
                     {"blocks", c.blocks},
                     {"accumulator_depth", c.accumulator_depth},
                     {"compartments", use_summary(c.compartments, c.compartment_limit)},
                     {"input_axons", use_summary(c.input_axons, c.input_axon_limit)},
                     {"output_axons", use_summary(c.output_axons, c.output_axon_limit)},
                     {"synapse_bits", use_summary(c.synapse_bits, c.synapse_bit_limit)},
                     {"profiles", use_summary(c.profiles, c.profile_limit)},
                     {"thresholds", use_summary(c.thresholds, c.threshold_limit)},
                     {"formats", use_summary(c.formats, c.format_limit)}});
  j["cores"] = cores;
  return j;
}

}  // namespace loihisim::mapper
