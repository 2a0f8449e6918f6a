#include "core/step_timing.hpp"

#include <stdexcept>
#include <string>

#include "core/checked_math.hpp"

namespace loihisim::core {

std::int64_t compute_time_ps(const CoreEventCosts& c, const CoreCounts& s) {
  std::int64_t t = 0;
  t = checked_add(t, checked_mul(s.spikes_in, c.spike_received.latency_ps));
  t = checked_add(t, checked_mul(s.syn_ops_dense, c.syn_op_dense.latency_ps));
  t = checked_add(t, checked_mul(s.syn_ops_sparse, c.syn_op_sparse.latency_ps));
  t = checked_add(t, checked_mul(s.cx_updates_inactive(), c.update_inactive.latency_ps));
  t = checked_add(t, checked_mul(s.cx_updates_active, c.update_active.latency_ps));
  t = checked_add(t, checked_mul(s.spikes, c.fire_extra.latency_ps));
  return t;
}

std::int64_t busy_time_ps(const CoreEventCosts& c, const CoreCounts& s) {
  return checked_add(compute_time_ps(c, s), checked_mul(s.spikes_out, c.spike_sent.latency_ps));
}

std::int64_t interpolate_barrier_ps(std::span<const BarrierPoint> table, int count) {
  if (table.empty()) throw std::out_of_range("barrier table is empty");
  if (count <= table.front().count) return table.front().time_ps;
  for (std::size_t i = 1; i < table.size(); ++i) {
    const BarrierPoint& a = table[i - 1];
    const BarrierPoint& b = table[i];
    if (count > b.count) continue;
    // a.time + (b.time - a.time) * (count - a.count) / (b.count - a.count), rounded to nearest.
    const std::int64_t num = (b.time_ps - a.time_ps) * (count - a.count);
    const std::int64_t den = b.count - a.count;
    const std::int64_t q = num / den, r = num % den;
    const std::int64_t rounded = q + (2 * (r < 0 ? -r : r) >= den ? (num < 0 ? -1 : 1) : 0);
    return a.time_ps + rounded;
  }
  throw std::out_of_range("barrier table ends at " + std::to_string(table.back().count) + " but " +
                          std::to_string(count) + " are in use");
}

std::int64_t barrier_time_ps(const NetworkCosts& n, int tiles_in_use, int chips_in_use) {
  if (chips_in_use <= 0 || tiles_in_use <= 0) return 0;
  if (chips_in_use == 1) return interpolate_barrier_ps(n.barrier_by_tiles, tiles_in_use);
  return interpolate_barrier_ps(n.barrier_by_chips, chips_in_use);
}

}  // namespace loihisim::core
