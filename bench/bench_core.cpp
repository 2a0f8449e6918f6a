// One full neurocore under load: 1024 compartments, 4096 input axons, dense synapse lists of
// 64..1024 synapses, input spike rates 1%..50%. Reports synaptic events per second and
// compartment updates per second on one thread.
//
// 4096 axons x 1024 synapses do not fit Loihi's 1 Mbit synapse memory; the benchmark measures
// the simulator engine, so it lifts that one limit (and says so in its output).
//
//   bench_core [--steps N] [--seed S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/neurocore.hpp"

using namespace loihisim::core;

namespace {

struct Result {
  double seconds = 0;
  std::uint64_t syn_ops = 0;
  std::uint64_t cx_updates = 0;
  std::uint64_t spikes = 0;
};

Result run(int synapses_per_axon, double rate, int steps, std::uint64_t seed) {
  constexpr int kCompartments = 1024;
  constexpr int kAxons = 4096;
  std::mt19937_64 rng(seed);
  CoreConfig cfg;
  CompartmentProfile p;
  p.decay_u = 2048;
  p.decay_v = 256;
  p.vth_mant = 4000;
  cfg.profiles = {p};
  cfg.formats = {SynapseFormat{}};
  cfg.compartments.assign(kCompartments, CompartmentConfig{0, 0, 0});
  std::uniform_int_distribution<int> w(-127, 127);
  std::uniform_int_distribution<int> base(0, kCompartments - synapses_per_axon);
  for (int a = 0; a < kAxons; ++a) {
    SynapseList l;
    l.mantissa.resize(static_cast<std::size_t>(synapses_per_axon));
    for (auto& m : l.mantissa) m = 2 * w(rng);
    cfg.synapse_lists.push_back(std::move(l));
    cfg.input_axons.push_back({a, base(rng)});
  }
  CoreLimits limits;
  limits.synapse_memory_bits = std::int64_t{1} << 40;  // engine benchmark: see the header
  Neurocore core(cfg, limits);

  // Pre-generated raster so the timed loop measures the core, not the random generator.
  std::bernoulli_distribution spike(rate);
  std::vector<std::vector<AxonSpike>> raster(static_cast<std::size_t>(steps));
  for (auto& step : raster)
    for (int a = 0; a < kAxons; ++a)
      if (spike(rng)) step.push_back({a, 1});

  std::vector<SpikeMessage> out;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& step : raster) {
    out.clear();
    core.step(step, out);
  }
  const auto t1 = std::chrono::steady_clock::now();
  Result r;
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.syn_ops = core.counts().syn_ops();
  r.cx_updates = core.counts().cx_updates;
  r.spikes = core.counts().spikes;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 200;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--steps") == 0)
      steps = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seed") == 0)
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: bench_core [--steps N] [--seed S]\n");
      return 2;
    }
  }
  std::printf(
      "one core: 1024 compartments, 4096 input axons, dense 8-bit lists, %d steps, "
      "one thread\n(synapse memory limit lifted: this measures the engine)\n\n",
      steps);
  std::printf("%9s %6s %12s %12s %14s %14s %12s\n", "syn/axon", "rate", "syn ev/step", "ms/step",
              "syn ev/s", "cx upd/s", "ns/step/cx");
  for (int n : {64, 256, 1024}) {
    for (double rate : {0.0, 0.01, 0.05, 0.10, 0.50}) {
      const Result r = run(n, rate, steps, seed);
      const double per_step = r.seconds / steps;
      std::printf("%9d %5.0f%% %12.0f %12.4f %14.3e %14.3e %12.2f\n", n, rate * 100,
                  static_cast<double>(r.syn_ops) / steps, per_step * 1e3,
                  static_cast<double>(r.syn_ops) / r.seconds,
                  static_cast<double>(r.cx_updates) / r.seconds, per_step * 1e9 / 1024);
    }
  }
  return 0;
}
