// Measured CPU package energy through Linux's powercap interface to Intel RAPL (Running Average
// Power Limit) counters: /sys/class/powercap/intel-rapl:N/energy_uj, a microjoule counter per
// package that wraps at max_energy_range_uj. Used with the protocol of methods.md "Energy
// baselines for CPUs" (Blouw et al.): measure idle power, then run batch-1 inferences, and
// charge each inference (running power - idle power) / inference rate.
//
// When the counters cannot be read (no powercap folder, as in most containers and VMs; no
// package zone; energy_uj readable by root only since Linux 5.10) every function says why
// instead of producing a number.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace loihisim {

inline constexpr const char* kPowercapRoot = "/sys/class/powercap";

struct RaplZone {
  std::string name;           // the zone's `name`, e.g. "package-0"
  std::filesystem::path dir;  // e.g. /sys/class/powercap/intel-rapl:0
  std::uint64_t max_range_uj = 0;
};

struct RaplProbe {
  std::vector<RaplZone> packages;  // top-level package zones, all readable
  std::string unavailable;         // why there is no measurement ("" when available)
  bool available() const { return unavailable.empty(); }
};

// Finds the package zones (intel-rapl:N whose name starts with "package") under `root` and checks
// that each counter can be read.
RaplProbe probe_rapl(const std::filesystem::path& root = kPowercapRoot);

// The counter's advance from `before` to `after`, across at most one wraparound at
// max_range_uj (the counter runs 0..max_range_uj). Windows must be shorter than one wrap
// period (max_range_uj / package power: hours on current CPUs).
std::uint64_t rapl_delta_uj(std::uint64_t before, std::uint64_t after, std::uint64_t max_range_uj);

// Current counter values, one per zone. Throws std::runtime_error if a counter stops being
// readable.
std::vector<std::uint64_t> read_rapl(const RaplProbe& probe);
// Energy in joules summed over the zones between two readings.
double rapl_joules(const RaplProbe& probe, const std::vector<std::uint64_t>& before,
                   const std::vector<std::uint64_t>& after);

struct RaplMeasurement {
  bool available = false;
  std::string unavailable;  // reason, when not available
  std::vector<std::string> zones;
  double idle_seconds = 0, idle_joules = 0;
  double run_seconds = 0, run_joules = 0;
  std::uint64_t inferences = 0;

  double idle_watts() const { return idle_seconds > 0 ? idle_joules / idle_seconds : 0.0; }
  double run_watts() const { return run_seconds > 0 ? run_joules / run_seconds : 0.0; }
  // (running - idle power) x running time / inferences, i.e. (running - idle power) / rate.
  double joules_per_inference() const {
    return inferences ? (run_joules - idle_watts() * run_seconds) / static_cast<double>(inferences)
                      : 0.0;
  }
};

// The idle-then-batch-1 protocol: sleep `idle_seconds` and read the energy spent (idle power);
// then call `one_inference` back to back until `run_seconds` have passed and at least
// `min_inferences` were made, and read the energy spent. Unavailable counters give a
// measurement with `available` false and the reason; so does a run window in which the counter
// did not advance (a frozen or virtualised counter).
RaplMeasurement measure_rapl(const RaplProbe& probe, double idle_seconds, double run_seconds,
                             std::uint64_t min_inferences,
                             const std::function<void()>& one_inference);

}  // namespace loihisim
