#include "baseline/cpu_profile_io.hpp"

#include <algorithm>

#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/shipped_files.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {
namespace {

using yaml::Field;
using yaml::Reader;

// Bounds that catch unit mistakes (a value 1000x off) and keep every product in range.
constexpr std::int64_t kMaxEnergyPj = 1'000'000;                 // 1 uJ per operation or access
constexpr std::int64_t kMaxCapacityKib = std::int64_t{1} << 30;  // 1 TiB

CpuProfile read_root(const Reader& r, const YAML::Node& root) {
  const Field top{root, ""};
  r.expect_map(top, {"name", "kind"}, {"operations", "memory", "system"});
  CpuProfile p;
  p.file = r.file();
  p.name = r.text(r.get(top, "name"));
  p.kind = r.choice<CpuProfileKind>(
      r.get(top, "kind"),
      {{"operations", CpuProfileKind::kOperations}, {"system", CpuProfileKind::kSystem}});
  // Each kind has its own sections; a section of the other kind is a mistake, not a comment.
  const bool ops = p.kind == CpuProfileKind::kOperations;
  for (const char* key : {"operations", "memory", "system"}) {
    const bool wanted = (std::string(key) == "system") != ops;
    if (!wanted && r.has(top, key))
      r.fail(r.get(top, key), std::string("not allowed in a profile of kind ") + to_string(p.kind) +
                                  " (allowed keys: name, kind, " +
                                  (ops ? "operations, memory" : "system") + ")");
  }
  if (!ops) {
    const Field sys = r.require(top, "system", "synop_pj and neuron_update_pj");
    r.expect_map(sys, {"synop_pj", "neuron_update_pj"});
    p.synop_fj = r.milli(r.get(sys, "synop_pj"), 0, kMaxEnergyPj, "pJ");
    p.neuron_update_fj = r.milli(r.get(sys, "neuron_update_pj"), 0, kMaxEnergyPj, "pJ");
    return p;
  }
  const Field o = r.require(top, "operations", "per-operation energies");
  r.expect_map(o, {"multiply_pj", "add_pj", "compare_pj", "nonlinearity_pj"});
  p.multiply_fj = r.milli(r.get(o, "multiply_pj"), 0, kMaxEnergyPj, "pJ");
  p.add_fj = r.milli(r.get(o, "add_pj"), 0, kMaxEnergyPj, "pJ");
  p.compare_fj = r.milli(r.get(o, "compare_pj"), 0, kMaxEnergyPj, "pJ");
  p.nonlinearity_fj = r.milli(r.get(o, "nonlinearity_pj"), 0, kMaxEnergyPj, "pJ");

  const Field m = r.require(top, "memory", "access_bits, caches and dram_access_pj");
  r.expect_map(m, {"access_bits", "caches", "dram_access_pj"});
  const Field bits = r.get(m, "access_bits");
  p.access_bits = static_cast<int>(r.integer(bits, 8, 4096));
  if (p.access_bits % 8 != 0)
    r.fail_range(bits, std::to_string(p.access_bits), "8..4096", " (a multiple of 8)");
  const auto caches = r.items(r.get(m, "caches"), "cache levels {name, capacity_kib, access_pj}");
  if (caches.empty()) r.fail(r.get(m, "caches"), "expected at least one cache level");
  for (const Field& c : caches) {
    r.expect_map(c, {"name", "capacity_kib", "access_pj"});
    MemoryLevel level;
    level.name = r.text(r.get(c, "name"));
    const Field cap = r.get(c, "capacity_kib");
    level.capacity_bytes = static_cast<std::uint64_t>(r.integer(cap, 1, kMaxCapacityKib)) * 1024;
    const Field acc = r.get(c, "access_pj");
    level.access_fj = r.milli(acc, 0, kMaxEnergyPj, "pJ");
    // A stream goes to the smallest level that holds it, so levels must ascend; a larger memory
    // never costs less per access.
    if (!p.caches.empty() && level.capacity_bytes <= p.caches.back().capacity_bytes)
      r.fail(cap, std::to_string(level.capacity_bytes / 1024) +
                      " must be greater than the previous level's " +
                      std::to_string(p.caches.back().capacity_bytes / 1024) +
                      " (levels ascend in capacity)");
    if (!p.caches.empty() && level.access_fj < p.caches.back().access_fj)
      r.fail(acc, "must be at least the previous (smaller) level's access energy");
    p.caches.push_back(std::move(level));
  }
  const Field dram = r.get(m, "dram_access_pj");
  p.dram_access_fj = r.milli(dram, 0, kMaxEnergyPj, "pJ");
  if (p.dram_access_fj < p.caches.back().access_fj)
    r.fail(dram, "must be at least the last cache level's access energy");
  return p;
}

}  // namespace

CpuProfile parse_cpu_profile(const std::string& yaml_text, const std::string& file) {
  return yaml::labelled(file,
                        [&] { return read_root(Reader(file), yaml::load_text(yaml_text, file)); });
}

CpuProfile read_cpu_profile(const std::filesystem::path& path) {
  return yaml::labelled(path.string(), [&] {
    return read_root(Reader(path.string()), yaml::load_file(path, "CPU profile"));
  });
}

std::vector<std::string> cpu_profiles() {
  return shipped_profiles("cpu");
}

CpuProfile load_cpu_profile(const std::string& name_or_path) {
  return read_cpu_profile(shipped_profile_path("CPU profile", "cpu", name_or_path));
}

}  // namespace loihisim
