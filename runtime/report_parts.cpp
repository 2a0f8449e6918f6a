#include "runtime/report_parts.hpp"

#include <algorithm>
#include <string>

namespace loihisim {

double per_inference_milli(std::int64_t total, std::uint64_t inferences) {
  const double n = static_cast<double>(std::max<std::uint64_t>(inferences, 1));
  return static_cast<double>(total) / n / 1e3;
}

Summary energy_line_summary(const core::EnergyLine& line, std::uint64_t inferences) {
  const bool is_static = core::is_static(line.event);
  Summary j;
  j["event"] = std::string(core::energy_event_name(line.event));
  j["kind"] = is_static ? "static" : "dynamic";
  j[is_static ? "chip_ps" : "count"] = line.count;
  j[is_static ? "power_per_chip_uW" : "energy_per_event_fJ"] = line.per_unit;
  j["energy_fJ"] = line.energy_fj;
  j["energy_per_inference_pJ"] = per_inference_milli(line.energy_fj, inferences);
  return j;
}

Summary energy_breakdown_summary(const core::EnergyBreakdown& e, std::uint64_t inferences) {
  Summary lines = Summary::array();
  for (const auto& l : e.lines) lines.push_back(energy_line_summary(l, inferences));
  return lines;
}

Summary energy_summary(const core::EnergyBreakdown& e, std::uint64_t inferences) {
  Summary j;
  j["dynamic_fJ"] = e.dynamic_fj;
  j["static_fJ"] = e.static_fj;
  j["total_fJ"] = e.total_fj;
  j["per_inference"] = {{"dynamic_pJ", per_inference_milli(e.dynamic_fj, inferences)},
                        {"static_pJ", per_inference_milli(e.static_fj, inferences)},
                        {"total_pJ", per_inference_milli(e.total_fj, inferences)}};
  j["breakdown"] = energy_breakdown_summary(e, inferences);
  return j;
}

Summary counts_summary(const core::CoreCounts& c) {
  Summary j = Summary::object();
  for (const auto& f : core::kCountFields) j[std::string(f.name)] = c.*f.field;
  return j;
}

}  // namespace loihisim
