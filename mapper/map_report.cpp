#include "mapper/map_report.hpp"

#include <fmt/core.h>

#include <cmath>

namespace loihisim::mapper {
namespace {

double percent(std::int64_t used, std::int64_t limit) {
  return limit > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(limit) : 0.0;
}

std::string use(std::int64_t used, std::int64_t limit) {
  return fmt::format("{}/{} ({:.0f}%)", used, limit, percent(used, limit));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

// Finite numbers with enough digits to round-trip; JSON has no inf/nan.
std::string json_number(double x) {
  return std::isfinite(x) ? fmt::format("{}", x) : "null";
}

std::string traffic_json(const TrafficStats& t) {
  return fmt::format(
      "{{\"messages_per_step\": {}, \"inter_core_messages_per_step\": {}, \"traffic_x_hops\": {}, "
      "\"mean_hops\": {}, \"hops_ew\": {}, \"hops_ns\": {}, \"chip_crossings\": {}}}",
      json_number(t.messages), json_number(t.inter_core_messages), json_number(t.hops),
      json_number(t.mean_hops()), json_number(t.hops_ew), json_number(t.hops_ns),
      json_number(t.chip_crossings));
}

std::string use_json(std::int64_t used, std::int64_t limit) {
  return fmt::format("{{\"used\": {}, \"limit\": {}, \"percent\": {}}}", used, limit,
                     json_number(percent(used, limit)));
}

}  // namespace

std::string format_report(const MapReport& r) {
  std::string s;
  s += fmt::format(
      "network '{}' on architecture '{}': {} populations, {} neurons, {} projections, {} "
      "synapses, {} input ports, {} output ports, {} host nodes\n",
      r.network, r.architecture, r.populations, r.neurons, r.projections, r.synapses, r.input_ports,
      r.output_ports, r.host_nodes);
  s += fmt::format("blocks: {} (partition passes: {})\n", r.blocks, r.partition_passes);
  s += fmt::format("cores used: {} (lower bound {})\n", r.cores_used, r.lower_bound);
  s += "lower bound by resource (total demand of the blocks / per-core capacity):\n";
  for (const auto& b : r.bounds)
    s += fmt::format("  {:<18} {:>14} / {:<8} -> {} cores\n", b.resource, b.demand, b.capacity,
                     b.cores);
  s += fmt::format("chips used: {} (chip grid {} x {}, each {} x {} tiles of {} cores)\n",
                   r.chips_used, r.mesh.chips_x, r.mesh.chips_y, r.mesh.tiles_x, r.mesh.tiles_y,
                   r.mesh.cores_per_tile);
  s += "estimated spike traffic per step (messages = output axons x source rate; hops = on-chip "
       "E-W + N-S + chip-to-chip):\n";
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

std::string report_json(const MapReport& r) {
  std::string s = "{\n";
  s += fmt::format("  \"network\": {},\n  \"architecture\": {},\n  \"placer\": {},\n",
                   json_string(r.network), json_string(r.architecture), json_string(r.placer));
  s += fmt::format(
      "  \"populations\": {}, \"neurons\": {}, \"projections\": {}, \"synapses\": {}, "
      "\"input_ports\": {}, \"output_ports\": {}, \"host_nodes\": {},\n",
      r.populations, r.neurons, r.projections, r.synapses, r.input_ports, r.output_ports,
      r.host_nodes);
  s += fmt::format("  \"blocks\": {}, \"partition_passes\": {},\n", r.blocks, r.partition_passes);
  s += fmt::format("  \"cores_used\": {},\n  \"lower_bound\": {},\n", r.cores_used, r.lower_bound);
  s += "  \"lower_bound_by_resource\": [";
  for (std::size_t k = 0; k < r.bounds.size(); ++k) {
    const auto& b = r.bounds[k];
    s +=
        fmt::format("{}\n    {{\"resource\": {}, \"demand\": {}, \"capacity\": {}, \"cores\": {}}}",
                    k ? "," : "", json_string(b.resource), b.demand, b.capacity, b.cores);
  }
  s += "\n  ],\n";
  s += fmt::format(
      "  \"chips_used\": {},\n  \"mesh\": {{\"chips_x\": {}, \"chips_y\": {}, \"tiles_x\": {}, "
      "\"tiles_y\": {}, \"cores_per_tile\": {}}},\n",
      r.chips_used, r.mesh.chips_x, r.mesh.chips_y, r.mesh.tiles_x, r.mesh.tiles_y,
      r.mesh.cores_per_tile);
  s += "  \"traffic\": {";
  bool first = true;
  if (r.greedy) {
    s += "\n    \"greedy\": " + traffic_json(*r.greedy);
    first = false;
  }
  if (r.metis) s += std::string(first ? "" : ",") + "\n    \"metis\": " + traffic_json(*r.metis);
  s += "\n  },\n";
  s += fmt::format(
      "  \"timings_seconds\": {{\"index\": {}, \"partition\": {}, \"pack\": {}, \"build\": {}, "
      "\"place_greedy\": {}, \"place_metis\": {}, \"assemble\": {}, \"validate\": {}, "
      "\"total\": {}}},\n",
      json_number(r.timings.index), json_number(r.timings.partition), json_number(r.timings.pack),
      json_number(r.timings.build), json_number(r.timings.place_greedy),
      json_number(r.timings.place_metis), json_number(r.timings.assemble),
      json_number(r.timings.validate), json_number(r.timings.total));
  s += "  \"cores\": [";
  for (std::size_t k = 0; k < r.cores.size(); ++k) {
    const auto& c = r.cores[k];
    s += fmt::format(
        "{}\n    {{\"core\": {}, \"chip\": {}, \"tile_x\": {}, \"tile_y\": {}, \"core_in_tile\": "
        "{}, \"blocks\": {}, \"accumulator_depth\": {}, \"compartments\": {}, \"input_axons\": {}, "
        "\"output_axons\": {}, \"synapse_bits\": {}, \"profiles\": {}, \"thresholds\": {}, "
        "\"formats\": {}}}",
        k ? "," : "", c.core, c.chip, c.tile_x, c.tile_y, c.core_in_tile, json_string(c.blocks),
        c.accumulator_depth, use_json(c.compartments, c.compartment_limit),
        use_json(c.input_axons, c.input_axon_limit), use_json(c.output_axons, c.output_axon_limit),
        use_json(c.synapse_bits, c.synapse_bit_limit), use_json(c.profiles, c.profile_limit),
        use_json(c.thresholds, c.threshold_limit), use_json(c.formats, c.format_limit));
  }
  s += "\n  ]\n}\n";
  return s;
}

}  // namespace loihisim::mapper
