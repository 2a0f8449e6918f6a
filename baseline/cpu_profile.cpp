#include "baseline/cpu_profile.hpp"

#include <fmt/core.h>

namespace loihisim {

const char* to_string(CpuProfileKind kind) {
  return kind == CpuProfileKind::kSystem ? "system" : "operations";
}

MemoryLevel memory_level_for(const CpuProfile& p, std::uint64_t working_set_bytes) {
  for (const auto& level : p.caches)
    if (working_set_bytes <= level.capacity_bytes) return level;
  return {"DRAM", 0, p.dram_access_fj};
}

CpuEnergy cpu_energy(const CpuProfile& p, const CpuOpCounts& n) {
  CpuEnergy e;
  e.profile = p.name;
  e.kind = p.kind;
  auto line = [&](std::string item, double count, double unit_fj) {
    e.lines.push_back({std::move(item), count, unit_fj, count * unit_fj});
    e.total_fj += count * unit_fj;
  };
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  if (p.kind == CpuProfileKind::kSystem) {
    line("synaptic operation (= multiply-accumulate)", d(n.synops()), d(p.synop_fj));
    line("neuron update", d(n.neuron_updates), d(p.neuron_update_fj));
    return e;
  }
  line("multiply-accumulate (multiply + add)", d(n.mac), d(p.multiply_fj + p.add_fj));
  line("add", d(n.add), d(p.add_fj));
  line("multiply", d(n.mul), d(p.multiply_fj));
  line("compare", d(n.cmp), d(p.compare_fj));
  line("sigmoid/tanh", d(n.transcendental), d(p.nonlinearity_fj));
  // Bytes become accesses of access_bits (fractional when a stream is not a multiple of it).
  const double bytes_per_access = p.access_bits / 8.0;
  const MemoryLevel wl = memory_level_for(p, n.weight_working_set_bytes);
  line(fmt::format("weights read ({}, working set {} B)", wl.name, n.weight_working_set_bytes),
       d(n.weight_bytes_read) / bytes_per_access, d(wl.access_fj));
  const MemoryLevel al = memory_level_for(p, n.activation_working_set_bytes);
  line(fmt::format("activations read + written ({}, working set {} B)", al.name,
                   n.activation_working_set_bytes),
       d(n.activation_bytes_read + n.activation_bytes_written) / bytes_per_access, d(al.access_fj));
  return e;
}

}  // namespace loihisim
