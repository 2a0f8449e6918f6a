// Energy from event counts and an architecture's table (docs/energy-model.md, "Energy"): one line
// per event kind, count x energy per event, in integer femtojoules, so the lines add up to the
// total exactly and a user can recompute every line by hand.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/architecture.hpp"
#include "core/event_counts.hpp"

namespace loihisim::core {

enum class EnergyEvent : std::uint8_t {
  // Dynamic: one count per event.
  kSynOpDense,
  kSynOpSparse,
  kSpikeReceived,
  kUpdateInactive,
  kUpdateActive,
  kFireExtra,
  kSpikeSent,
  kWithinTile,
  kEastWestHop,
  kNorthSouthHop,
  kChipHop,
  kBoardHop,     // a chip-to-chip hop between two boards (not also a kChipHop)
  kBarrierTile,  // one tile in use taking part in one barrier
  kHostSpikeInjected,
  kHostReadback,
  kHostWord,
  // Static: the count is chip-picoseconds (chips in use x elapsed time).
  kStatic,
  kX86,
};
inline constexpr std::size_t kNumEnergyEvents = 18;

std::string_view energy_event_name(EnergyEvent e);  // e.g. "syn_op_dense"
bool is_static(EnergyEvent e);
inline EnergyEvent energy_event(std::size_t i) {
  return static_cast<EnergyEvent>(i);
}

// How many of each event happened (static kinds: chip-picoseconds).
struct EnergyCounts {
  std::array<std::uint64_t, kNumEnergyEvents> n{};

  std::uint64_t& operator[](EnergyEvent e) { return n[static_cast<std::size_t>(e)]; }
  std::uint64_t operator[](EnergyEvent e) const { return n[static_cast<std::size_t>(e)]; }
  EnergyCounts& operator+=(const EnergyCounts& o) {
    for (std::size_t i = 0; i < kNumEnergyEvents; ++i) n[i] += o.n[i];
    return *this;
  }
};

// Adds a core's counter values to the matching dynamic kinds (synaptic operations, receive,
// inactive/active updates, fired extra, send).
void add_core_counts(EnergyCounts& e, const CoreCounts& c);

// The table entry an event kind is multiplied by: fJ per event for dynamic kinds, uW per chip
// for static kinds (x86: 0 unless the architecture says the x86 cores are in use).
std::int64_t energy_per_unit(const Architecture& arch, EnergyEvent e);

struct EnergyLine {
  EnergyEvent event = EnergyEvent::kSynOpDense;
  std::uint64_t count = 0;    // events; chip-ps for static kinds
  std::int64_t per_unit = 0;  // fJ per event; uW per chip for static kinds
  // count * per_unit; static kinds: count * per_unit / 1000 rounded to the nearest fJ (half up),
  // because 1 uW for 1 ps is 1/1000 fJ.
  std::int64_t energy_fj = 0;
};

struct EnergyBreakdown {
  std::vector<EnergyLine> lines;  // every kind, in enum order
  std::int64_t dynamic_fj = 0;    // sum of the dynamic lines
  std::int64_t static_fj = 0;     // sum of the static lines
  std::int64_t total_fj = 0;      // dynamic_fj + static_fj: exactly the sum of all lines
};

// Throws std::overflow_error if a line or the total leaves the int64 range (9.2 kJ).
EnergyBreakdown energy_breakdown(const Architecture& arch, const EnergyCounts& counts);

}  // namespace loihisim::core
