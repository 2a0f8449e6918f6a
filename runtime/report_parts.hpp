// Pieces shared by the chip reports (`loihisim run --report` and `loihisim core-run --report`),
// so that the same figure has the same keys in both (docs/reports.md): the energy of a run with
// its breakdown by event kind, and a core's event counters.
#pragma once

#include <cstdint>

#include "core/energy.hpp"
#include "core/event_counts.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

// A run total (integer fJ or ps) per inference, in the next larger unit (pJ or ns):
// total / inferences / 1000 (inferences 0 counts as 1).
double per_inference_milli(std::int64_t total, std::uint64_t inferences);

// One line of the breakdown:
//   dynamic: {event, kind: "dynamic", count, energy_per_event_fJ, energy_fJ,
//             energy_per_inference_pJ}
//   static:  {event, kind: "static", chip_ps, power_per_chip_uW, energy_fJ,
//             energy_per_inference_pJ}
Summary energy_line_summary(const core::EnergyLine& line, std::uint64_t inferences);

// Every line of `e` (every event kind, in enum order); their energy_fJ add up to e.total_fj.
Summary energy_breakdown_summary(const core::EnergyBreakdown& e, std::uint64_t inferences);

// {dynamic_fJ, static_fJ, total_fJ, per_inference: {dynamic_pJ, static_pJ, total_pJ},
//  breakdown: [...]}.
Summary energy_summary(const core::EnergyBreakdown& e, std::uint64_t inferences);

// Every counter of core::kCountFields by its name.
Summary counts_summary(const core::CoreCounts& c);

}  // namespace loihisim
