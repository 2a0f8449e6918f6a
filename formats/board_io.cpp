#include "formats/board_io.hpp"

#include <yaml-cpp/yaml.h>

#include "io/shipped_files.hpp"
#include "io/yaml_reader.hpp"

namespace loihisim {

namespace {

// The architecture reader's ranges (formats/arch_io.cpp).
constexpr std::int64_t kMaxEnergyPj = 1'000'000;
constexpr std::int64_t kMaxTimeNs = 1'000'000'000;
constexpr std::int64_t kMaxPowerMw = 1'000'000;

core::EventCost read_cost(const yaml::Reader& r, const yaml::Field& f) {
  r.expect_map(f, {"energy_pj", "latency_ns"});
  return {r.milli(r.get(f, "energy_pj"), 0, kMaxEnergyPj, "pJ"),
          r.milli(r.get(f, "latency_ns"), 0, kMaxTimeNs, "ns")};
}

std::optional<core::SystemCosts> read_system(const yaml::Reader& r, const YAML::Node& root) {
  const yaml::Field top{root, ""};
  const auto section = r.find(top, "system");
  if (!section) return std::nullopt;
  return read_system_section(r, *section);
}

}  // namespace

core::SystemCosts read_system_section(const yaml::Reader& r, const yaml::Field& section) {
  r.expect_map(section, {"x86_per_step", "host_transaction", "idle_increase_mw", "idle_mw"});
  core::SystemCosts s;
  s.x86_step = read_cost(r, r.get(section, "x86_per_step"));
  s.host_transaction = read_cost(r, r.get(section, "host_transaction"));
  s.idle_increase_uw = r.milli(r.get(section, "idle_increase_mw"), 0, kMaxPowerMw, "mW");
  s.idle_uw = r.milli(r.get(section, "idle_mw"), 0, kMaxPowerMw, "mW");
  return s;
}

std::optional<core::SystemCosts> parse_system_costs(const std::string& yaml_text,
                                                    const std::string& file) {
  return yaml::labelled(
      file, [&] { return read_system(yaml::Reader(file), yaml::load_text(yaml_text, file)); });
}

std::optional<core::SystemCosts> load_system_costs(const std::string& name_or_path) {
  const std::filesystem::path path = shipped_profile_path("architecture", "arch", name_or_path);
  return yaml::labelled(path.string(), [&] {
    return read_system(yaml::Reader(path.string()), yaml::load_file(path, "architecture file"));
  });
}

}  // namespace loihisim
