// runtime/report_parts: the energy of a run as a summary, shared by the run report and the
// core-run report (docs/reports.md): the lines add up to the totals exactly, and both reports
// carry the very same object.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "core/energy.hpp"
#include "formats/arch_io.hpp"
#include "runtime/report.hpp"
#include "runtime/report_parts.hpp"
#include "runtime/run_report.hpp"

using namespace loihisim;
using core::EnergyEvent;

namespace {

core::EnergyBreakdown sample_breakdown(const core::Architecture& arch) {
  core::EnergyCounts n;
  for (std::size_t i = 0; i < core::kNumEnergyEvents; ++i)
    n.n[i] = 1'000'003 * (i + 1) + (i % 3) * 7;  // every kind, odd counts
  n[EnergyEvent::kStatic] = 123'456'789'013;     // chip-ps: rounds to the nearest fJ
  return core::energy_breakdown(arch, n);
}

}  // namespace

TEST_CASE("energy summary: every line, summing exactly to the totals") {
  for (const char* profile : {"loihi1", "loihi1-sanafe", "loihi2"}) {
    CAPTURE(profile);
    const core::Architecture arch = load_architecture(profile);
    const core::EnergyBreakdown e = sample_breakdown(arch);
    for (const std::uint64_t n : {1u, 3u, 2000u}) {
      CAPTURE(n);
      const Summary j = energy_summary(e, n);
      CHECK(j["dynamic_fJ"].get<std::int64_t>() == e.dynamic_fj);
      CHECK(j["static_fJ"].get<std::int64_t>() == e.static_fj);
      CHECK(j["total_fJ"].get<std::int64_t>() == e.total_fj);
      REQUIRE(j["breakdown"].size() == core::kNumEnergyEvents);
      std::int64_t all = 0, dynamic = 0, statics = 0;
      for (const auto& l : j["breakdown"]) {
        const auto fj = l["energy_fJ"].get<std::int64_t>();
        all += fj;
        if (l["kind"] == "static") {
          statics += fj;
          CHECK(l.contains("chip_ps"));
          CHECK(l.contains("power_per_chip_uW"));
        } else {
          dynamic += fj;
          CHECK(fj ==
                l["count"].get<std::int64_t>() * l["energy_per_event_fJ"].get<std::int64_t>());
        }
        CHECK(l["energy_per_inference_pJ"].get<double>() ==
              static_cast<double>(fj) / static_cast<double>(n) / 1e3);
      }
      CHECK(all == e.total_fj);
      CHECK(dynamic == e.dynamic_fj);
      CHECK(statics == e.static_fj);
      CHECK(j["per_inference"]["total_pJ"].get<double>() == per_inference_milli(e.total_fj, n));
      CHECK(j["breakdown"] == energy_breakdown_summary(e, n));
    }
  }
  CHECK(per_inference_milli(7'000, 0) == 7.0);  // no inferences counts as one
}

TEST_CASE("energy summary: the run report and the core-run report carry the same object") {
  const core::Architecture arch = load_architecture("loihi1");
  const core::EnergyBreakdown e = sample_breakdown(arch);
  RunReport run;
  run.samples = 3;
  run.chip = e;
  Report chip_report;
  chip_report.inferences = 3;
  chip_report.energy = e;
  const Summary expected = energy_summary(e, 3);
  Summary run_json = run_report_summary(run);
  Summary core_json = report_summary(chip_report);
  CHECK(run_json["chip"]["energy"] == expected);
  for (const auto& key : {"dynamic_fJ", "static_fJ", "total_fJ", "per_inference", "breakdown"})
    CHECK(core_json["energy"][key] == expected[key]);
  CHECK(run_json["per_inference"]["chip_active_energy_pJ"] ==
        expected["per_inference"]["dynamic_pJ"]);
  CHECK(run_json["per_inference"]["chip_total_energy_pJ"] == expected["per_inference"]["total_pJ"]);
}
