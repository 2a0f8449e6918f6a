// The parts of a timestep's duration that depend on one core or on the barrier alone
// (docs/energy-model.md, "Time"). A core works through its step in three phases: it receives the
// spikes sent to it in the previous step (per spike message and per synaptic operation), updates
// every compartment (inactive or active, plus the fired extra), then sends its spike messages one
// after the other through its output port.
#pragma once

#include <cstdint>
#include <span>

#include "core/architecture.hpp"
#include "core/event_counts.hpp"

namespace loihisim::core {

// Time until the core has finished receiving and updating: everything but sending.
std::int64_t compute_time_ps(const CoreEventCosts& c, const CoreCounts& step);

// compute_time_ps + spikes_out * spike_sent.latency_ps: when the core is done with the step.
// Its k-th message (k = 1..spikes_out) leaves at compute_time_ps + k * spike_sent.latency_ps.
std::int64_t busy_time_ps(const CoreEventCosts& c, const CoreCounts& step);

// Linear interpolation in a barrier table (ascending counts), rounded to the nearest ps (halves
// away from zero). A count below the first point takes the first point's time; a count above
// the last point throws std::out_of_range (validate() requires tables to cover the board).
std::int64_t interpolate_barrier_ps(std::span<const BarrierPoint> table, int count);

// The barrier that ends a step: 0 when nothing is in use; the tile table when one chip is in
// use; the chip table when several are.
std::int64_t barrier_time_ps(const NetworkCosts& n, int tiles_in_use, int chips_in_use);

}  // namespace loihisim::core
