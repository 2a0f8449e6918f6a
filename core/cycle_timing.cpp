#include "core/cycle_timing.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/checked_math.hpp"

namespace loihisim::core {

std::int64_t round_up_to_cycle(std::int64_t ps, std::int64_t period_ps) {
  if (period_ps < 1) throw std::invalid_argument("cycle period must be at least 1 ps");
  if (ps <= 0) return 0;
  return checked_mul((ps + period_ps - 1) / period_ps, period_ps);
}

CoreEventCosts cycle_core_costs(const CoreEventCosts& c, std::int64_t period_ps) {
  CoreEventCosts q = c;
  for (EventCost* e : {&q.spike_received, &q.syn_op_dense, &q.syn_op_sparse, &q.update_inactive,
                       &q.update_active, &q.fire_extra, &q.spike_sent})
    e->latency_ps = round_up_to_cycle(e->latency_ps, period_ps);
  return q;
}

NetworkCosts cycle_network_costs(const NetworkCosts& n, std::int64_t period_ps) {
  NetworkCosts q = n;
  q.within_tile.latency_ps = round_up_to_cycle(n.within_tile.latency_ps, period_ps);
  for (LinkParams* l : {&q.east_west, &q.north_south, &q.chip_to_chip, &q.board_to_board}) {
    l->hop.latency_ps = round_up_to_cycle(l->hop.latency_ps, period_ps);
    l->serialisation_ps = round_up_to_cycle(l->serialisation_ps, period_ps);
  }
  return q;
}

MeshPorts cycle_ports(const CycleParams& p, const CoreEventCosts& rounded,
                      const NetworkCosts& rounded_network) {
  MeshPorts m;
  // The output axon hands a message to the router spike_sent after it is ready and takes the
  // next one spike_sent later; the router holds output_port_buffer_depth of them.
  m.output.hop.latency_ps = rounded.spike_sent.latency_ps;
  m.output.serialisation_ps = rounded.spike_sent.latency_ps;
  m.output.buffer_depth = p.output_port_buffer_depth;
  // The crossbar carries a within-tile message in the within-tile latency.
  m.crossbar.hop.latency_ps = rounded_network.within_tile.latency_ps;
  m.crossbar.serialisation_ps = checked_mul(p.crossbar_cycles, p.clock_period_ps);
  m.crossbar.buffer_depth = p.crossbar_buffer_depth;
  // The input port adds no latency of its own (the hop and within-tile figures end at the
  // core) but takes one message per input_port_cycles.
  m.input.hop.latency_ps = 0;
  m.input.serialisation_ps = checked_mul(p.input_port_cycles, p.clock_period_ps);
  m.input.buffer_depth = 1;
  return m;
}

std::int64_t cycle_receive_ps(const CoreEventCosts& q, const CoreCounts& s,
                              int synapse_queue_depth) {
  const std::int64_t synapse =
      checked_add(checked_mul(s.syn_ops_dense, q.syn_op_dense.latency_ps),
                  checked_mul(s.syn_ops_sparse, q.syn_op_sparse.latency_ps));
  const std::uint64_t n = s.spikes_in;
  if (n == 0) return synapse;
  // Message i (0-based) takes `a` in the input axon, then b or b + 1 ps in the synapse unit
  // (the synapse work spread evenly: the first `extra` messages take one ps more). It may enter
  // the input axon only when fewer than synapse_queue_depth messages wait between the units.
  const std::int64_t a = q.spike_received.latency_ps;
  const auto un = static_cast<std::int64_t>(n);
  const std::int64_t b = synapse / un, extra = synapse % un;
  const auto depth = static_cast<std::size_t>(std::max(1, synapse_queue_depth));
  std::vector<std::int64_t> synapse_start(depth, 0);  // ring: start of message i - depth
  std::int64_t axon_done = 0, synapse_done = 0;
  for (std::int64_t i = 0; i < un; ++i) {
    const std::size_t slot = static_cast<std::size_t>(i) % depth;
    const std::int64_t enter = i >= static_cast<std::int64_t>(depth)
                                   ? std::max(axon_done, synapse_start[slot])
                                   : axon_done;
    axon_done = enter + a;
    const std::int64_t start = std::max(axon_done, synapse_done);
    synapse_start[slot] = start;
    synapse_done = start + b + (i < extra ? 1 : 0);
  }
  return synapse_done;
}

std::int64_t cycle_update_ps(const CoreEventCosts& q, const CoreCounts& s, std::int64_t start_ps,
                             int num_compartments, std::span<const std::int32_t> fired,
                             std::vector<std::int64_t>& ready) {
  const std::int64_t work =
      checked_add(checked_mul(s.cx_updates_inactive(), q.update_inactive.latency_ps),
                  checked_mul(s.cx_updates_active, q.update_active.latency_ps));
  const std::int64_t fire = q.fire_extra.latency_ps;
  ready.resize(fired.size());
  const std::int64_t n = std::max(1, num_compartments);
  for (std::size_t j = 0; j < fired.size(); ++j) {
    // Compartments 0..c done: (c + 1) / n of the update work, and j + 1 fire extras. Exact in
    // 128 bits: work < 2^63 and c + 1 <= n.
    const std::int64_t c = std::min<std::int64_t>(fired[j], n - 1);
    __extension__ typedef __int128 wide;
    const auto part = static_cast<std::int64_t>(static_cast<wide>(work) * (c + 1) / n);
    ready[j] = checked_add(checked_add(start_ps, part),
                           checked_mul(static_cast<std::int64_t>(j + 1), fire));
  }
  return checked_add(checked_add(start_ps, work), checked_mul(s.spikes, fire));
}

}  // namespace loihisim::core
