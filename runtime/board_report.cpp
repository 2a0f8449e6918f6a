#include "runtime/board_report.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "io/readable_units.hpp"
#include "runtime/report_parts.hpp"

namespace loihisim {

namespace {

std::uint64_t line_count(const core::EnergyBreakdown& e, core::EnergyEvent kind) {
  for (const auto& l : e.lines)
    if (l.event == kind) return l.count;
  return 0;
}

// Energy over time as an average power: fJ / ps = mW.
double power_mw(std::int64_t fj, std::int64_t ps) {
  return ps > 0 ? static_cast<double>(fj) / static_cast<double>(ps) : 0.0;
}

}  // namespace

core::BoardLevel run_board_level(const core::SystemCosts& costs, const BoardRunCounts& run) {
  core::BoardCounts c;
  c.steps = static_cast<std::uint64_t>(std::max<std::int64_t>(run.chip_steps, 0));
  c.host_transactions = line_count(*run.chip, core::EnergyEvent::kHostSpikeInjected) +
                        line_count(*run.chip, core::EnergyEvent::kHostReadback) +
                        line_count(*run.chip, core::EnergyEvent::kHostWord);
  c.chip_dynamic_fj = run.chip->dynamic_fj;
  c.run_ps = run.latency_ps;
  return core::board_level(costs, c);
}

Summary board_summary(const core::SystemCosts& costs, const core::BoardLevel& b,
                      std::uint64_t inferences) {
  using json = Summary;
  const auto per = [&](std::int64_t total) { return per_inference_milli(total, inferences); };
  const double n = static_cast<double>(std::max<std::uint64_t>(inferences, 1));
  json j;
  j["parameters"] = {{"x86_per_step_fJ", costs.x86_step.energy_fj},
                     {"x86_per_step_ps", costs.x86_step.latency_ps},
                     {"host_transaction_fJ", costs.host_transaction.energy_fj},
                     {"host_transaction_ps", costs.host_transaction.latency_ps},
                     {"idle_increase_uW", costs.idle_increase_uw},
                     {"idle_uW", costs.idle_uw}};
  j["steps"] = b.counts.steps;
  j["host_transactions"] = b.counts.host_transactions;
  j["time_ps"] = b.time_ps;
  j["run_time_ps"] = b.counts.run_ps;
  j["x86_time_ps"] = b.x86_ps;
  j["host_io_time_ps"] = b.host_io_ps;
  j["energy"] = {{"chip_dynamic_fJ", b.counts.chip_dynamic_fj},
                 {"x86_fJ", b.x86_fj},
                 {"host_io_fJ", b.host_io_fj},
                 {"idle_increase_fJ", b.idle_increase_fj},
                 {"dynamic_fJ", b.dynamic_fj},
                 {"idle_fJ", b.idle_fj},
                 {"total_fJ", b.total_fj}};
  j["per_inference"] = {{"steps", static_cast<double>(b.counts.steps) / n},
                        {"host_transactions", static_cast<double>(b.counts.host_transactions) / n},
                        {"latency_ns", per(b.time_ps)},
                        {"throughput_inferences_per_s",
                         b.time_ps > 0 ? n / (static_cast<double>(b.time_ps) * 1e-12) : 0.0},
                        {"chip_dynamic_pJ", per(b.counts.chip_dynamic_fj)},
                        {"x86_pJ", per(b.x86_fj)},
                        {"host_io_pJ", per(b.host_io_fj)},
                        {"idle_increase_pJ", per(b.idle_increase_fj)},
                        {"dynamic_pJ", per(b.dynamic_fj)},
                        {"idle_pJ", per(b.idle_fj)},
                        {"total_pJ", per(b.total_fj)}};
  j["power"] = {{"chip_dynamic_mW", power_mw(b.counts.chip_dynamic_fj, b.time_ps)},
                {"dynamic_mW", power_mw(b.dynamic_fj, b.time_ps)},
                {"total_mW", power_mw(b.total_fj, b.time_ps)}};
  return j;
}

std::string board_text(const core::BoardLevel& b, std::uint64_t inferences) {
  const double n = static_cast<double>(std::max<std::uint64_t>(inferences, 1));
  const auto e = [&](std::int64_t fj) { return readable_energy_fj(static_cast<double>(fj) / n); };
  std::string s = "board level (per inference; the architecture's system section):\n";
  s += fmt::format("  chip dynamic        {}\n", e(b.counts.chip_dynamic_fj));
  s += fmt::format("  + embedded x86      {}  ({:.0f} steps)\n", e(b.x86_fj),
                   static_cast<double>(b.counts.steps) / n);
  s += fmt::format("  + host I/O          {}  ({:.1f} transactions)\n", e(b.host_io_fj),
                   static_cast<double>(b.counts.host_transactions) / n);
  s += fmt::format("  + idle increase     {}\n", e(b.idle_increase_fj));
  s += fmt::format("  = board dynamic     {}  ({:.3f} mW)\n", e(b.dynamic_fj),
                   power_mw(b.dynamic_fj, b.time_ps));
  s += fmt::format("  + idle              {}\n", e(b.idle_fj));
  s += fmt::format("  = board total       {}  ({:.3f} mW)\n", e(b.total_fj),
                   power_mw(b.total_fj, b.time_ps));
  s += fmt::format("  latency             {}  ({:.1f} inferences/s)\n",
                   readable_time_ps(static_cast<double>(b.time_ps) / n),
                   b.time_ps > 0 ? n / (static_cast<double>(b.time_ps) * 1e-12) : 0.0);
  return s;
}

}  // namespace loihisim
