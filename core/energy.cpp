#include "core/energy.hpp"

#include "core/checked_math.hpp"

namespace loihisim::core {

std::string_view energy_event_name(EnergyEvent e) {
  switch (e) {
    case EnergyEvent::kSynOpDense:
      return "syn_op_dense";
    case EnergyEvent::kSynOpSparse:
      return "syn_op_sparse";
    case EnergyEvent::kSpikeReceived:
      return "spike_received";
    case EnergyEvent::kUpdateInactive:
      return "update_inactive";
    case EnergyEvent::kUpdateActive:
      return "update_active";
    case EnergyEvent::kFireExtra:
      return "fire_extra";
    case EnergyEvent::kSpikeSent:
      return "spike_sent";
    case EnergyEvent::kWithinTile:
      return "within_tile_delivery";
    case EnergyEvent::kEastWestHop:
      return "east_west_hop";
    case EnergyEvent::kNorthSouthHop:
      return "north_south_hop";
    case EnergyEvent::kChipHop:
      return "chip_to_chip_hop";
    case EnergyEvent::kBoardHop:
      return "board_to_board_hop";
    case EnergyEvent::kBarrierTile:
      return "barrier_tile";
    case EnergyEvent::kHostSpikeInjected:
      return "host_spike_injected";
    case EnergyEvent::kHostReadback:
      return "host_readback";
    case EnergyEvent::kHostWord:
      return "host_word";
    case EnergyEvent::kStatic:
      return "static";
    case EnergyEvent::kX86:
      return "embedded_x86";
  }
  return "unknown";
}

bool is_static(EnergyEvent e) {
  return e == EnergyEvent::kStatic || e == EnergyEvent::kX86;
}

void add_core_counts(EnergyCounts& e, const CoreCounts& c) {
  e[EnergyEvent::kSynOpDense] += c.syn_ops_dense;
  e[EnergyEvent::kSynOpSparse] += c.syn_ops_sparse;
  e[EnergyEvent::kSpikeReceived] += c.spikes_in;
  e[EnergyEvent::kUpdateInactive] += c.cx_updates_inactive();
  e[EnergyEvent::kUpdateActive] += c.cx_updates_active;
  e[EnergyEvent::kFireExtra] += c.spikes;
  e[EnergyEvent::kSpikeSent] += c.spikes_out;
}

std::int64_t energy_per_unit(const Architecture& a, EnergyEvent e) {
  const CoreEventCosts& c = a.core_costs;
  switch (e) {
    case EnergyEvent::kSynOpDense:
      return c.syn_op_dense.energy_fj;
    case EnergyEvent::kSynOpSparse:
      return c.syn_op_sparse.energy_fj;
    case EnergyEvent::kSpikeReceived:
      return c.spike_received.energy_fj;
    case EnergyEvent::kUpdateInactive:
      return c.update_inactive.energy_fj;
    case EnergyEvent::kUpdateActive:
      return c.update_active.energy_fj;
    case EnergyEvent::kFireExtra:
      return c.fire_extra.energy_fj;
    case EnergyEvent::kSpikeSent:
      return c.spike_sent.energy_fj;
    case EnergyEvent::kWithinTile:
      return a.network.within_tile.energy_fj;
    case EnergyEvent::kEastWestHop:
      return a.network.east_west.hop.energy_fj;
    case EnergyEvent::kNorthSouthHop:
      return a.network.north_south.hop.energy_fj;
    case EnergyEvent::kChipHop:
      return a.network.chip_to_chip.hop.energy_fj;
    case EnergyEvent::kBoardHop:
      return a.network.board_to_board.hop.energy_fj;
    case EnergyEvent::kBarrierTile:
      return a.network.barrier_energy_fj_per_tile;
    case EnergyEvent::kHostSpikeInjected:
      return a.host.spike_injected.energy_fj;
    case EnergyEvent::kHostReadback:
      return a.host.readback.energy_fj;
    case EnergyEvent::kHostWord:
      return a.host.word.energy_fj;
    case EnergyEvent::kStatic:
      return a.power.static_uw;
    case EnergyEvent::kX86:
      return a.power.x86_in_use ? a.power.x86_uw : 0;
  }
  return 0;
}

EnergyBreakdown energy_breakdown(const Architecture& arch, const EnergyCounts& counts) {
  EnergyBreakdown b;
  b.lines.reserve(kNumEnergyEvents);
  for (std::size_t i = 0; i < kNumEnergyEvents; ++i) {
    EnergyLine line;
    line.event = energy_event(i);
    line.count = counts.n[i];
    line.per_unit = energy_per_unit(arch, line.event);
    if (is_static(line.event)) {
      // count * uW / 1000 without forming the full product: exact except for the final rounding.
      const std::uint64_t q = line.count / 1000, r = line.count % 1000;
      line.energy_fj = checked_add(checked_mul(q, line.per_unit),
                                   checked_add(checked_mul(r, line.per_unit), 500) / 1000);
      b.static_fj = checked_add(b.static_fj, line.energy_fj);
    } else {
      line.energy_fj = checked_mul(line.count, line.per_unit);
      b.dynamic_fj = checked_add(b.dynamic_fj, line.energy_fj);
    }
    b.lines.push_back(line);
  }
  b.total_fj = checked_add(b.dynamic_fj, b.static_fj);
  return b;
}

}  // namespace loihisim::core
