// The cycle-level timing model of a core (NetworkModel::kCycle; docs/energy-model.md,
// "Cycle-level timing"). Every latency of the architecture is rounded up to whole cycles of
// CycleParams::clock_period_ps, and a core is a pipeline of its units:
//  - receive: the step's spike messages go through the input axon (spike_received cycles each),
//    then through the synapse unit (their synaptic events), with at most synapse_queue_depth
//    messages waiting between the two; the synaptic events are spread evenly over the messages
//    (which message carried how many is not recorded);
//  - update: the soma updates the compartments in index order once the receive phase is done;
//    the non-firing part of the update work is spread evenly over the compartments (which ones
//    were active is not recorded), a fired compartment adds fire_extra, and its spike is ready
//    for the output axon when its update ends;
//  - send: the output axon and the mesh are simulated by MeshNetwork with ports (enable_ports),
//    so spikes leave as they fire and back-pressure reaches the core's output.
// Only time is modelled here: counts and energy come from the same events in every mode.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/architecture.hpp"
#include "core/event_counts.hpp"
#include "core/mesh_network.hpp"

namespace loihisim::core {

// ps rounded up to whole cycles of `period_ps` (> 0), returned in ps.
std::int64_t round_up_to_cycle(std::int64_t ps, std::int64_t period_ps);

// The costs with every latency (and link serialisation) rounded up to whole cycles.
CoreEventCosts cycle_core_costs(const CoreEventCosts& c, std::int64_t period_ps);
NetworkCosts cycle_network_costs(const NetworkCosts& n, std::int64_t period_ps);
// The ports of the cycle mode: a core's output port serialises at its output axon's rate
// (spike_sent, already rounded), the input port and the crossbar at their cycles per message.
MeshPorts cycle_ports(const CycleParams& p, const CoreEventCosts& rounded,
                      const NetworkCosts& rounded_network);

// When the receive phase of a core ends (from the start of the step), with rounded costs.
std::int64_t cycle_receive_ps(const CoreEventCosts& rounded, const CoreCounts& step,
                              int synapse_queue_depth);

// The update phase starting at `start_ps` over `num_compartments` compartments in index order:
// ready[j] = when fired[j]'s update ends (fired ascending). Returns when the soma is done.
std::int64_t cycle_update_ps(const CoreEventCosts& rounded, const CoreCounts& step,
                             std::int64_t start_ps, int num_compartments,
                             std::span<const std::int32_t> fired, std::vector<std::int64_t>& ready);

}  // namespace loihisim::core
