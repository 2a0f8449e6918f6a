// The board level of a run report (docs/energy-model.md, "The board level"; keys in
// docs/reports.md, "board"): the chip's counted events of a run turned into the system figures
// a Loihi board's power logs measure, when the architecture file has a `system:` section.
#pragma once

#include <cstdint>
#include <string>

#include "core/board_level.hpp"
#include "core/energy.hpp"
#include "io/summary_file.hpp"

namespace loihisim {

// What a run hands the board level, summed over the run.
struct BoardRunCounts {
  const core::EnergyBreakdown* chip = nullptr;  // the chip's energy (host-link lines counted)
  std::int64_t chip_steps = 0;
  std::int64_t latency_ps = 0;  // chip step time + host coprocessor time
};

// Timesteps, host transactions (injected spikes + read-backs + words: the chip's host-link
// lines), chip dynamic energy and run time -> the board level.
core::BoardLevel run_board_level(const core::SystemCosts& costs, const BoardRunCounts& run);

// The `board` object of a run report: the parameters, the counts, run totals (integers, fJ and
// ps) and per-inference figures (pJ, ns), average powers (mW) and throughput.
Summary board_summary(const core::SystemCosts& costs, const core::BoardLevel& b,
                      std::uint64_t inferences);

// The terminal lines (per inference).
std::string board_text(const core::BoardLevel& b, std::uint64_t inferences);

}  // namespace loihisim
