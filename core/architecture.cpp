#include "core/architecture.hpp"

#include <string>

namespace loihisim::core {

namespace {

struct Checker {
  std::vector<ConfigProblem>& out;

  void positive(const std::string& field, std::int64_t value) {
    if (value < 1)
      out.push_back({field, field + " = " + std::to_string(value) + " must be at least 1"});
  }
  void non_negative(const std::string& field, std::int64_t value) {
    if (value < 0)
      out.push_back({field, field + " = " + std::to_string(value) + " must not be negative"});
  }
  void cost(const std::string& field, const EventCost& c) {
    non_negative(field + ".energy_fj", c.energy_fj);
    non_negative(field + ".latency_ps", c.latency_ps);
  }
  void link(const std::string& field, const LinkParams& l) {
    cost(field + ".hop", l.hop);
    non_negative(field + ".serialisation_ps", l.serialisation_ps);
    positive(field + ".buffer_depth", l.buffer_depth);
  }
  void cycle(NetworkModel model, const CycleParams& cy) {
    if (model == NetworkModel::kCycle && !cy.present)
      out.push_back({"cycle", "the cycle timing model needs the cycle parameters (chip.cycle)"});
    if (!cy.present) return;
    positive("cycle.clock_period_ps", cy.clock_period_ps);
    positive("cycle.synapse_queue_depth", cy.synapse_queue_depth);
    positive("cycle.output_port_buffer_depth", cy.output_port_buffer_depth);
    positive("cycle.input_port_cycles", cy.input_port_cycles);
    positive("cycle.crossbar_cycles", cy.crossbar_cycles);
    positive("cycle.crossbar_buffer_depth", cy.crossbar_buffer_depth);
  }
  // Strictly ascending counts starting at `first`, reaching at least `cover`, times >= 0.
  void table(const std::string& field, const std::vector<BarrierPoint>& t, int first, int cover) {
    if (t.empty()) {
      out.push_back({field, field + " is empty but must cover " + std::to_string(first) + ".." +
                                std::to_string(cover)});
      return;
    }
    if (t.front().count != first)
      out.push_back({field + "[0].count", field + "[0].count = " + std::to_string(t.front().count) +
                                              " must be " + std::to_string(first)});
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string f = field + "[" + std::to_string(i) + "]";
      non_negative(f + ".time_ps", t[i].time_ps);
      if (i > 0 && t[i].count <= t[i - 1].count)
        out.push_back({f + ".count", f + ".count = " + std::to_string(t[i].count) +
                                         " must be greater than the previous point's " +
                                         std::to_string(t[i - 1].count)});
    }
    if (t.back().count < cover)
      out.push_back({field, field + " ends at " + std::to_string(t.back().count) +
                                " but must cover up to " + std::to_string(cover)});
  }
};

}  // namespace

std::vector<ConfigProblem> validate(const Architecture& arch) {
  std::vector<ConfigProblem> problems;
  Checker c{problems};
  const MeshGeometry& m = arch.mesh;
  c.positive("mesh.tiles_x", m.tiles_x);
  c.positive("mesh.tiles_y", m.tiles_y);
  c.positive("mesh.cores_per_tile", m.cores_per_tile);
  c.positive("mesh.chips_x", m.chips_x);
  c.positive("mesh.chips_y", m.chips_y);
  c.non_negative("mesh.board_chips_x", m.board_chips_x);
  c.non_negative("mesh.board_chips_y", m.board_chips_y);
  if (m.has_boards() && (m.chips_x % m.board_chips_x != 0 || m.chips_y % m.board_chips_y != 0))
    problems.push_back({"mesh", "the boards (" + std::to_string(m.board_chips_x) + " x " +
                                    std::to_string(m.board_chips_y) +
                                    " chips) do not divide the chip grid"});
  const std::int64_t cores =
      std::int64_t{m.tiles_x} * m.tiles_y * m.cores_per_tile * m.chips_x * m.chips_y;
  if (cores > (std::int64_t{1} << 24))
    problems.push_back(
        {"mesh", "mesh has " + std::to_string(cores) + " cores; at most 16777216 are supported"});
  const auto& k = arch.core_costs;
  c.cost("core_costs.spike_received", k.spike_received);
  c.cost("core_costs.syn_op_dense", k.syn_op_dense);
  c.cost("core_costs.syn_op_sparse", k.syn_op_sparse);
  c.cost("core_costs.update_inactive", k.update_inactive);
  c.cost("core_costs.update_active", k.update_active);
  c.cost("core_costs.fire_extra", k.fire_extra);
  c.cost("core_costs.spike_sent", k.spike_sent);
  const auto& n = arch.network;
  c.cost("network.within_tile", n.within_tile);
  c.link("network.east_west", n.east_west);
  c.link("network.north_south", n.north_south);
  c.link("network.chip_to_chip", n.chip_to_chip);
  c.link("network.board_to_board", n.board_to_board);
  c.non_negative("network.barrier_energy_fj_per_tile", n.barrier_energy_fj_per_tile);
  if (problems.empty()) {  // coverage needs valid mesh sizes
    c.table("network.barrier_by_tiles", n.barrier_by_tiles, 1, m.tiles_x * m.tiles_y);
    if (m.num_chips() > 1)
      c.table("network.barrier_by_chips", n.barrier_by_chips, 2, m.num_chips());
  }
  c.cost("host.spike_injected", arch.host.spike_injected);
  c.cost("host.readback", arch.host.readback);
  c.cost("host.word", arch.host.word);
  for (const auto& [where, ops] : {std::pair{"external", &arch.host_coprocessor.external},
                                   std::pair{"embedded", &arch.host_coprocessor.embedded}}) {
    const std::string base = std::string("host_coprocessor.") + where;
    c.cost(base + ".mul", ops->mul);
    c.cost(base + ".add", ops->add);
    c.cost(base + ".cmp", ops->cmp);
    c.cost(base + ".nonlin", ops->nonlin);
    c.cost(base + ".byte", ops->byte);
  }
  c.cycle(arch.network.model, arch.cycle);
  c.non_negative("power.static_uw", arch.power.static_uw);
  c.non_negative("power.x86_uw", arch.power.x86_uw);
  return problems;
}

}  // namespace loihisim::core
