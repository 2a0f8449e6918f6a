// Event counters of one core. Energy and time are computed from these after a run; the hot loop
// only increments integers.
#pragma once

#include <cstdint>

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

  CoreCounts& operator+=(const CoreCounts& o) {
    spikes_in += o.spikes_in;
    syn_ops_dense += o.syn_ops_dense;
    syn_ops_sparse += o.syn_ops_sparse;
    cx_updates += o.cx_updates;
    cx_updates_active += o.cx_updates_active;
    spikes += o.spikes;
    spikes_out += o.spikes_out;
    return *this;
  }
  friend CoreCounts operator-(CoreCounts a, const CoreCounts& b) {
    a.spikes_in -= b.spikes_in;
    a.syn_ops_dense -= b.syn_ops_dense;
    a.syn_ops_sparse -= b.syn_ops_sparse;
    a.cx_updates -= b.cx_updates;
    a.cx_updates_active -= b.cx_updates_active;
    a.spikes -= b.spikes;
    a.spikes_out -= b.spikes_out;
    return a;
  }
  friend bool operator==(const CoreCounts&, const CoreCounts&) = default;
};

}  // namespace loihisim::core
