#include "baseline/rapl.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace loihisim {
namespace {

namespace fs = std::filesystem;

// One unsigned decimal from a sysfs file; false when it cannot be read (missing, permission).
bool read_u64(const fs::path& file, std::uint64_t& value) {
  std::ifstream in(file);
  if (!in) return false;
  in >> value;
  return static_cast<bool>(in);
}

std::string read_line(const fs::path& file) {
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

RaplProbe probe_rapl(const fs::path& root) {
  RaplProbe p;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    p.unavailable = root.string() +
                    " does not exist (no powercap interface: a container, a VM "
                    "or a kernel without intel_rapl)";
    return p;
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string n = e.path().filename().string();
    // Top-level zones only: intel-rapl:0, not the sub-zones intel-rapl:0:0 (core, uncore, dram),
    // which the package counter already includes.
    if (n.rfind("intel-rapl:", 0) == 0 && n.find(':', 11) == std::string::npos)
      dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const std::string name = read_line(d / "name");
    if (name.rfind("package", 0) != 0) continue;  // psys and others are not packages
    RaplZone z{name, d, 0};
    std::uint64_t v = 0;
    if (!read_u64(d / "energy_uj", v)) {
      p.unavailable = (d / "energy_uj").string() +
                      " cannot be read (readable by root only since Linux 5.10; run as root or "
                      "grant read access)";
      p.packages.clear();
      return p;
    }
    if (!read_u64(d / "max_energy_range_uj", z.max_range_uj) || z.max_range_uj == 0) {
      p.unavailable = (d / "max_energy_range_uj").string() + " cannot be read";
      p.packages.clear();
      return p;
    }
    p.packages.push_back(std::move(z));
  }
  if (p.packages.empty())
    p.unavailable =
        "no RAPL package zone (intel-rapl:N with a name package-*) under " + root.string();
  return p;
}

std::uint64_t rapl_delta_uj(std::uint64_t before, std::uint64_t after, std::uint64_t max_range_uj) {
  if (after >= before) return after - before;
  // Wrapped once: up to the top of the range, then from zero.
  return (max_range_uj - before) + after;
}

std::vector<std::uint64_t> read_rapl(const RaplProbe& probe) {
  std::vector<std::uint64_t> v(probe.packages.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!read_u64(probe.packages[i].dir / "energy_uj", v[i]))
      throw std::runtime_error((probe.packages[i].dir / "energy_uj").string() +
                               " became unreadable during the measurement");
  return v;
}

double rapl_joules(const RaplProbe& probe, const std::vector<std::uint64_t>& before,
                   const std::vector<std::uint64_t>& after) {
  std::uint64_t uj = 0;
  for (std::size_t i = 0; i < probe.packages.size(); ++i)
    uj += rapl_delta_uj(before[i], after[i], probe.packages[i].max_range_uj);
  return static_cast<double>(uj) * 1e-6;
}

RaplMeasurement measure_rapl(const RaplProbe& probe, double idle_seconds, double run_seconds,
                             std::uint64_t min_inferences,
                             const std::function<void()>& one_inference) {
  RaplMeasurement m;
  if (!probe.available()) {
    m.unavailable = probe.unavailable;
    return m;
  }
  for (const auto& z : probe.packages) m.zones.push_back(z.name + " (" + z.dir.string() + ")");
  using clock = std::chrono::steady_clock;
  const auto seconds = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };

  auto t0 = clock::now();
  auto e0 = read_rapl(probe);
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_seconds));
  auto t1 = clock::now();
  auto e1 = read_rapl(probe);
  m.idle_seconds = seconds(t1 - t0);
  m.idle_joules = rapl_joules(probe, e0, e1);

  const auto r0 = clock::now();
  const auto f0 = read_rapl(probe);
  const auto deadline =
      r0 + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(run_seconds));
  while (m.inferences < min_inferences || clock::now() < deadline) {
    one_inference();
    ++m.inferences;
  }
  const auto r1 = clock::now();
  const auto f1 = read_rapl(probe);
  m.run_seconds = seconds(r1 - r0);
  m.run_joules = rapl_joules(probe, f0, f1);
  if (m.run_joules <= 0) {
    m.unavailable =
        "the package energy counter did not advance during the run (frozen or "
        "virtualised counter)";
    return m;
  }
  m.available = true;
  return m;
}

}  // namespace loihisim
