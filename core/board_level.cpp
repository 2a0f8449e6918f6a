#include "core/board_level.hpp"

#include "core/checked_math.hpp"

namespace loihisim::core {

std::int64_t power_energy_fj(std::int64_t time_ps, std::int64_t power_uw) {
  if (time_ps < 0 || power_uw < 0) throw std::overflow_error("negative time or power");
  // time x uW / 1000 without forming the full product: exact except for the final rounding.
  const auto t = static_cast<std::uint64_t>(time_ps);
  const std::uint64_t q = t / 1000, r = t % 1000;
  return checked_add(checked_mul(q, power_uw), checked_add(checked_mul(r, power_uw), 500) / 1000);
}

BoardLevel board_level(const SystemCosts& costs, const BoardCounts& counts) {
  BoardLevel b;
  b.counts = counts;
  b.x86_fj = checked_mul(counts.steps, costs.x86_step.energy_fj);
  b.x86_ps = checked_mul(counts.steps, costs.x86_step.latency_ps);
  b.host_io_fj = checked_mul(counts.host_transactions, costs.host_transaction.energy_fj);
  b.host_io_ps = checked_mul(counts.host_transactions, costs.host_transaction.latency_ps);
  b.time_ps = checked_add(checked_add(counts.run_ps, b.x86_ps), b.host_io_ps);
  b.idle_increase_fj = power_energy_fj(b.time_ps, costs.idle_increase_uw);
  b.idle_fj = power_energy_fj(b.time_ps, costs.idle_uw);
  b.dynamic_fj = checked_add(checked_add(counts.chip_dynamic_fj, b.x86_fj),
                             checked_add(b.host_io_fj, b.idle_increase_fj));
  b.total_fj = checked_add(b.dynamic_fj, b.idle_fj);
  return b;
}

}  // namespace loihisim::core
