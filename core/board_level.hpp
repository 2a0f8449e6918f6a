// The system (board) level of the energy and time model (docs/energy-model.md, "The board
// level"): what a Loihi system measures beyond the chip's events. Per timestep the embedded x86
// cores do their management work (time and energy); every host I/O transaction (a spike the
// host injects, a value or word it reads back) goes through the host-side I/O stack of the
// NxSDK-era system; after a first run the board draws more than its boot idle power (the
// "idle increase", counted as dynamic as the published measurements count it); the board's idle
// power (leakage and idling x86) replaces the chip's static lines in the board total.
//
// Levels: chip dynamic (the event lines of core/energy.hpp), board dynamic = chip dynamic + x86
// + host I/O + idle increase, board total = board dynamic + idle. Every figure is a counted
// quantity (timesteps, host transactions, elapsed time) x a parameter of the architecture's
// `system:` section. Integer fJ and ps, exact sums.
#pragma once

#include <cstdint>

#include "core/architecture.hpp"

namespace loihisim::core {

// The costs of the board around the chip: an architecture file's optional `system:` section
// (formats/board_io.hpp reads it).
struct SystemCosts {
  EventCost x86_step;                 // per chip timestep: the embedded x86 cores' work
  EventCost host_transaction;         // per host I/O transaction: injected spike, read-back, word
  std::int64_t idle_increase_uw = 0;  // power added after a first run (counted as dynamic)
  std::int64_t idle_uw = 0;           // the board's idle power (replaces the chip static lines)
};

// What the board level counts: summed over a run.
struct BoardCounts {
  std::uint64_t steps = 0;              // chip timesteps
  std::uint64_t host_transactions = 0;  // injected spikes + read-back values + words
  std::int64_t chip_dynamic_fj = 0;     // the chip's dynamic (event) energy
  std::int64_t run_ps = 0;              // chip step time + host coprocessor time
};

struct BoardLevel {
  BoardCounts counts;
  std::int64_t x86_fj = 0;            // steps x x86_step energy
  std::int64_t host_io_fj = 0;        // host_transactions x host_transaction energy
  std::int64_t x86_ps = 0;            // steps x x86_step latency
  std::int64_t host_io_ps = 0;        // host_transactions x host_transaction latency
  std::int64_t time_ps = 0;           // run_ps + x86_ps + host_io_ps
  std::int64_t idle_increase_fj = 0;  // time_ps x idle_increase power
  std::int64_t idle_fj = 0;           // time_ps x idle power
  std::int64_t dynamic_fj = 0;        // chip dynamic + x86 + host I/O + idle increase
  std::int64_t total_fj = 0;          // dynamic + idle
};

// Power x time in fJ: ps x uW / 1000, rounded to the nearest fJ (halves up), as the chip's
// static lines. Throws std::overflow_error beyond 64 bits.
std::int64_t power_energy_fj(std::int64_t time_ps, std::int64_t power_uw);

// The board level of a run. Throws std::overflow_error if a figure leaves the int64 range.
BoardLevel board_level(const SystemCosts& costs, const BoardCounts& counts);

}  // namespace loihisim::core
