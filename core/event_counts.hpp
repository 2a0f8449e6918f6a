// Event counters of one core. Energy and time are computed from these after a run; the hot loop
// only increments integers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace loihisim::core {

struct CoreCounts {
  std::uint64_t spikes_in = 0;          // spike messages received on input axons
  std::uint64_t syn_ops_dense = 0;      // synaptic events from dense synapse lists
  std::uint64_t syn_ops_sparse = 0;     // synaptic events from sparse synapse lists
  std::uint64_t cx_updates = 0;         // compartment updates (every compartment, every step)
  std::uint64_t cx_updates_active = 0;  // of those, "active": q, u, v or bias nonzero (see docs)
  std::uint64_t spikes = 0;             // compartments that fired
  std::uint64_t spikes_out = 0;         // spike messages sent through output axons

  std::uint64_t syn_ops() const { return syn_ops_dense + syn_ops_sparse; }
  std::uint64_t cx_updates_inactive() const { return cx_updates - cx_updates_active; }

  CoreCounts& operator+=(const CoreCounts& o);
  friend CoreCounts operator-(CoreCounts a, const CoreCounts& b);
  friend bool operator==(const CoreCounts&, const CoreCounts&) = default;
};

// Every counter of CoreCounts with its name, in the one order reports and files use: sums,
// differences, report keys and HDF5 datasets are all written from this table, so a counter
// added to the struct is added here once.
struct CountField {
  std::string_view name;
  std::uint64_t CoreCounts::*field;
};
inline constexpr std::array<CountField, 7> kCountFields = {{
    {"spikes_in", &CoreCounts::spikes_in},
    {"syn_ops_dense", &CoreCounts::syn_ops_dense},
    {"syn_ops_sparse", &CoreCounts::syn_ops_sparse},
    {"cx_updates", &CoreCounts::cx_updates},
    {"cx_updates_active", &CoreCounts::cx_updates_active},
    {"spikes", &CoreCounts::spikes},
    {"spikes_out", &CoreCounts::spikes_out},
}};

inline CoreCounts& CoreCounts::operator+=(const CoreCounts& o) {
  for (const auto& f : kCountFields) this->*f.field += o.*f.field;
  return *this;
}

inline CoreCounts operator-(CoreCounts a, const CoreCounts& b) {
  for (const auto& f : kCountFields) a.*f.field -= b.*f.field;
  return a;
}

}  // namespace loihisim::core
