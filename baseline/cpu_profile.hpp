// CPU energy profiles: how many joules the counted operations of one inference cost on a CPU
// (methods.md "Energy baselines for CPUs"). Two kinds:
// - operations: per-operation energies at the circuit level (Horowitz, ISSCC 2014, 45 nm) plus
//   per-access memory energies by level; a lower bound (no instruction fetch/decode, no static
//   power, no OS).
// - system: one figure per synaptic operation and per neuron update for a whole desktop CPU
//   (the KerasSpiking estimator's i7-4960X: 8.6 nJ each).
// Files: cpu/*.yaml, read by baseline/cpu_profile_io.hpp; energies are kept in integer fJ (read
// as pJ with at most 3 decimals), like the architecture files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "baseline/cpu_baseline.hpp"

namespace loihisim {

enum class CpuProfileKind { kOperations, kSystem };
const char* to_string(CpuProfileKind kind);  // "operations" | "system"

// One level of the memory hierarchy: a stream whose working set fits in `capacity_bytes` is
// served from here (the smallest level that holds it).
struct MemoryLevel {
  std::string name;
  std::uint64_t capacity_bytes = 0;
  std::int64_t access_fj = 0;  // per access of access_bits
};

struct CpuProfile {
  std::string name;
  std::string file;  // where it was read from ("" when built in code)
  CpuProfileKind kind = CpuProfileKind::kOperations;
  // kOperations
  std::int64_t multiply_fj = 0, add_fj = 0, compare_fj = 0, nonlinearity_fj = 0;
  int access_bits = 64;
  std::vector<MemoryLevel> caches;  // ascending capacity
  std::int64_t dram_access_fj = 0;  // beyond the last cache
  // kSystem
  std::int64_t synop_fj = 0, neuron_update_fj = 0;
};

struct CpuEnergyLine {
  std::string item;    // e.g. "multiply-accumulate", "weights read (SRAM 1 MiB)"
  double count = 0;    // operations or accesses per inference
  double unit_fj = 0;  // per operation / access
  double energy_fj = 0;
};

struct CpuEnergy {
  std::string profile;
  CpuProfileKind kind = CpuProfileKind::kOperations;
  std::vector<CpuEnergyLine> lines;
  double total_fj = 0;
};

// The memory level serving a stream of this working set: the smallest cache that holds it,
// else DRAM (returned as a level named "DRAM" with the DRAM access energy).
MemoryLevel memory_level_for(const CpuProfile& p, std::uint64_t working_set_bytes);

// Energy of one inference with these counts. Operations profile: mac x (multiply + add),
// add/mul/compare by their energies, transcendental nonlinearities at nonlinearity_fj (the
// modified cell's piecewise-linear ones are already in add/mul/compare), weight bytes at the
// level of the weights' working set, activation bytes (read + written) at the level of the
// activations' working set, per access of access_bits. System profile: synops x synop_fj +
// neuron updates x neuron_update_fj.
CpuEnergy cpu_energy(const CpuProfile& p, const CpuOpCounts& n);

}  // namespace loihisim
