// Mapper scaling benchmark: maps seeded random recurrent networks of 10^3 .. 10^6 neurons onto
// the loihi1 architecture and prints the time of each phase, so near-linear growth can be
// checked (results and the command are recorded in docs/performance.md, "Mapper").
//
// Network of size N: one population of N neurons (Loihi 1 profile) with a sparse recurrent
// projection; every neuron receives `fan_in` synapses (default 100) whose sources are drawn
// uniformly from the window of `window` neurons (default 2048, or N if smaller) centred on it
// (wrapping around), with random 8-bit mixed-sign mantissas. A local window keeps each source's
// synapses in a few blocks, as in locally connected layers; with sources drawn from all N
// neurons every synapse would be a list of its own (10^8 lists at N = 10^6).
//
// Columns: wall-clock seconds per phase (index, partition, pack, build the tables, greedy and
// METIS placement, core::validate of the image) and in total; the CPU seconds of the whole
// mapping and per neuron; mean hops per message for both placers; peak resident memory.
//
// Usage: bench_mapper [--max N] [--fan-in K] [--window W] [--arch NAME] [--no-metis]
#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mapper/mapper.hpp"
#include "formats/arch_io.hpp"

namespace {

using loihisim::mapper::Network;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Network make_network(std::int32_t n, int fan_in, std::int32_t window, std::uint64_t seed) {
  Network net;
  net.name = fmt::format("random-local-{}", n);
  loihisim::mapper::Population pop;
  pop.name = "net";
  pop.size = n;
  pop.profile.decay_u = 1024;
  pop.profile.decay_v = 256;
  pop.profile.vth_mant = 100;
  net.add_population(std::move(pop));
  loihisim::mapper::Projection p;
  p.name = "recurrent";
  p.source = "net";
  p.target = "net";
  p.dense = false;
  p.format = {8, loihisim::core::SignMode::kMixed, 0, 0, 0, 0};
  p.rate = 0.01;  // expected spikes per neuron per step, for the traffic estimate
  const auto total = static_cast<std::size_t>(n) * static_cast<std::size_t>(fan_in);
  p.pre.reserve(total);
  p.post.reserve(total);
  p.weight.reserve(total);
  const std::int32_t w = std::min(window, n);
  std::uint64_t s = seed;
  for (std::int32_t t = 0; t < n; ++t)
    for (int k = 0; k < fan_in; ++k) {
      const auto r = splitmix(s);
      const auto off = static_cast<std::int32_t>(r % static_cast<std::uint64_t>(w)) - w / 2;
      p.pre.push_back(((t + off) % n + n) % n);
      p.post.push_back(t);
      // Even mantissas in -254..254 (mixed sign, 8 bits).
      p.weight.push_back(static_cast<std::int16_t>(2 * (static_cast<int>((r >> 32) % 255) - 127)));
    }
  net.add_projection(std::move(p));
  return net;
}

// CPU time of this process (user + system): unlike wall time, barely affected by other
// processes competing for the cores.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t max_n = 1'000'000;
  int fan_in = 100;
  std::int32_t window = 2048;
  std::string arch_name = "loihi1";
  bool metis = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--max")
      max_n = std::stoll(next());
    else if (a == "--fan-in")
      fan_in = std::stoi(next());
    else if (a == "--window")
      window = std::stoi(next());
    else if (a == "--arch")
      arch_name = next();
    else if (a == "--no-metis")
      metis = false;
    else {
      fmt::print(stderr,
                 "usage: bench_mapper [--max N] [--fan-in K] [--window W] [--arch NAME] "
                 "[--no-metis]\n");
      return 2;
    }
  }
  const auto arch = loihisim::load_architecture(arch_name);
  fmt::print(
      "mapper scaling on '{}': recurrent population, fan-in {}, sources from a window of "
      "{}, seed 1\n",
      arch.name, fan_in, window);
  fmt::print(
      "{:>9} {:>11} {:>6} {:>6} {:>5} {:>6} | {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} | "
      "{:>8} {:>9} | {:>8} {:>10} {:>8}\n",
      "neurons", "synapses", "cores", "bound", "chips", "passes", "index", "part.", "pack", "build",
      "greedy", "metis", "valid.", "total s", "CPU s", "CPU us/n", "hops grd", "hops metis",
      "RSS MiB");
  for (std::int64_t n = 1000; n <= max_n; n *= 10) {
    const Network net = make_network(static_cast<std::int32_t>(n), fan_in, window, 1);
    loihisim::mapper::MapOptions opt;
    opt.placer = metis ? loihisim::mapper::Placer::kMetis : loihisim::mapper::Placer::kGreedy;
    opt.compare_placers = metis;
    const double cpu0 = cpu_seconds();
    const auto r = loihisim::mapper::map_network(net, arch, opt).report;
    const double cpu = cpu_seconds() - cpu0;
    const auto& t = r.timings;
    fmt::print(
        "{:>9} {:>11} {:>6} {:>6} {:>5} {:>6} | {:>7.3f} {:>7.3f} {:>7.3f} {:>7.3f} {:>7.3f} "
        "{:>7.3f} {:>7.3f} {:>8.3f} | {:>8.3f} {:>9.2f} | {:>8.3f} {:>10} {:>8.0f}\n",
        r.neurons, r.synapses, r.cores_used, r.lower_bound, r.chips_used, r.partition_passes,
        t.index, t.partition, t.pack, t.build, t.place_greedy, t.place_metis, t.validate, t.total,
        cpu, 1e6 * cpu / static_cast<double>(r.neurons), r.greedy ? r.greedy->mean_hops() : 0.0,
        r.metis ? fmt::format("{:.3f}", r.metis->mean_hops()) : std::string("-"), peak_rss_mib());
    std::fflush(stdout);
  }
  return 0;
}
