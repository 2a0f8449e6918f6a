// Runtime benchmark: whole inferences (loihisim::run_inferences: host program, encoders, chip,
// accountant, read-out) on two mapped networks, on 1 and 2 worker threads, plus the chip alone
// and the chip with its accountant on one thread so that the cost of the timing and energy
// model is visible. Results and commands are recorded in docs/performance.md, "Runtime".
//
// Case "lstm": the gate layers of the hybrid LSTM of methods.md A (row-wise MNIST shape). One
// input port of 156 neurons (28 pixels + 128 hidden values) drives one population of 512
// integrate-and-fire compartments (4 gates x 128) through a dense 156 x 512 projection of 8-bit
// mixed-sign weights (even mantissas uniform in -254..254, seed 1, weight_exp 0). Hardware values
// (methods.md A in hardware units: w_eff = 64 w8 at weight_exp 0, vth = 64 vth_mant, so the
// methods' units are kept 1:1): decay_u 4095 (u = this step's input), decay_v 0 (perfect
// integrator), vth_mant 1024 (the methods' threshold 1024), bias 512 in the methods' units, i.e.
// 512 x 64 = 256 x 2^7 (bias_mant 256, bias_exp 7: the i/f/o gates' offset that puts rate 0.5 at
// z = 0), reset to zero (Loihi 1). Each sample: 28 symbols of 156 values uniform in [0, 1]
// (seed 2; the hidden part stands in for h_(t-1), which the host would compute), signed-
// accumulator encoder (scale 2048), T = 32 steps per symbol, state reset at every symbol; the
// host reads the gate spike counts and turns them into rates (the prediction is their argmax).
//
// Case "sparse": a large recurrent network. One population of N leaky integrate-and-fire neurons
// (decay_u 4095, decay_v 410, vth_mant 300) with a sparse recurrent projection: every neuron has
// fan-out 100, targets drawn (seed 3) uniformly either from the W neurons centred on it ("local",
// default W = 2048, wrapping) or from all N ("uniform"); mantissas even, uniform in -254..254 plus
// an inhibitory offset (see make_sparse); a Poisson input port of N / 16 neurons, each with
// fan-out 100 into its own window (weights +254), every input at rate --drive. One symbol of
// --sparse-steps steps per sample, reset at every sample.
//
// Synaptic events are the chip's counted syn_ops (dense + sparse) of the timed runs. "per
// thread" divides by the thread count. Every figure is the median of --repeat runs; the checksum
// column (a hash of every result of every sample) must be equal across thread counts and across
// code changes that claim to keep results bit-identical.
//
// Usage: bench_runtime [--case lstm|sparse|all] [--samples N] [--sparse-samples N]
//                      [--neurons N] [--window W|0 for uniform] [--sparse-steps T]
//                      [--drive RATE] [--repeat R] [--threads K] [--modes chip,acct,run]
#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/chip.hpp"
#include "core/chip_accountant.hpp"
#include "formats/arch_io.hpp"
#include "mapper/mapper.hpp"
#include "runtime/encoders.hpp"
#include "runtime/host_costs.hpp"
#include "runtime/inference.hpp"

namespace {

using namespace loihisim;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Even 8-bit mixed-sign mantissa, uniform in -254..254.
std::int16_t even_mantissa(std::uint64_t r) {
  return static_cast<std::int16_t>(2 * (static_cast<int>(r % 255) - 127));
}

double uniform01(std::uint64_t& s) {
  return static_cast<double>(splitmix(s) >> 11) * 0x1.0p-53;
}

struct Case {
  std::string name;
  mapper::Network net;
  SequenceDataset data;
  InferenceOptions options;
  EncoderConfig encoder;  // of the single encode node (for the chip-only runs)
};

mapper::HostNode host_node(std::string name, std::string kind, std::vector<std::string> in,
                           std::vector<std::string> out,
                           std::map<std::string, std::string> params = {}) {
  mapper::HostNode h;
  h.name = std::move(name);
  h.kind = std::move(kind);
  h.inputs = std::move(in);
  h.outputs = std::move(out);
  h.params = std::move(params);
  return h;
}

Case make_lstm(std::uint64_t samples) {
  constexpr int kInputs = 28 + 128, kGates = 4 * 128, kSymbols = 28;
  Case c;
  c.name = "lstm";
  c.net.name = "lstm_gates";
  c.net.add_input_port({"a", kInputs});
  mapper::Population g;
  g.name = "gates";
  g.size = kGates;
  g.profile.decay_u = 4095;
  g.profile.decay_v = 0;
  g.profile.vth_mant = 1024;
  g.bias_mant.assign(kGates, 256);
  g.bias_exp.assign(kGates, 7);
  c.net.add_population(g);
  mapper::Projection p;
  p.name = "a_gates";
  p.source = "a";
  p.target = "gates";
  p.format = {8, core::SignMode::kMixed, 0, 0, 0, 0};
  p.rate = 0.5;
  std::uint64_t s = 1;
  p.weight.resize(std::size_t{kGates} * kInputs);
  for (auto& w : p.weight) w = even_mantissa(splitmix(s));
  c.net.add_projection(std::move(p));
  c.net.add_output_port({"gate_counts", "gates"});
  c.net.add_host_node(
      host_node("encoder", "encode", {"symbol"}, {"a"}, {{"encoder", "signed_accumulator"}}));
  c.net.add_host_node(host_node("rates", "rate", {"gate_counts"}, {"rate"}));
  c.net.check_host_references();

  c.data.name = "random/row";
  c.data.num_symbols = kSymbols;
  c.data.symbol_size = kInputs;
  c.data.num_classes = 10;
  std::uint64_t v = 2;
  c.data.values.resize(samples * kSymbols * kInputs);
  for (auto& x : c.data.values) x = static_cast<float>(uniform01(v));
  for (std::uint64_t i = 0; i < samples; ++i)
    c.data.labels.push_back(static_cast<std::int32_t>(i % 10));

  c.options.steps_per_symbol = 32;
  c.options.reset = ResetPolicy::kSymbol;
  c.options.prediction = "rate";
  c.encoder.kind = EncoderKind::kSignedAccumulator;
  return c;
}

Case make_sparse(std::int32_t n, std::int32_t window, int steps, double drive,
                 std::uint64_t samples) {
  constexpr int kFanOut = 100;
  const std::int32_t n_in = n / 16;
  const std::int32_t w = window <= 0 ? n : std::min(window, n);
  Case c;
  c.name = window <= 0 ? "sparse-uniform" : "sparse-local";
  c.net.name = fmt::format("recurrent-{}", n);
  c.net.add_input_port({"drive", n_in});
  mapper::Population pop;
  pop.name = "net";
  pop.size = n;
  pop.profile.decay_u = 4095;
  pop.profile.decay_v = 410;  // about 10% leak per step
  pop.profile.vth_mant = 600;
  c.net.add_population(pop);

  std::uint64_t s = 3;
  // Targets of a source at position `centre`: uniform in the window around it (wrapping).
  auto target = [&](std::int64_t centre) {
    const auto off = static_cast<std::int64_t>(splitmix(s) % static_cast<std::uint64_t>(w)) - w / 2;
    return static_cast<std::int32_t>(((centre + off) % n + n) % n);
  };
  mapper::Projection rec;
  rec.name = "recurrent";
  rec.source = "net";
  rec.target = "net";
  rec.dense = false;
  rec.format = {8, core::SignMode::kMixed, 0, 0, 0, 0};
  rec.rate = 0.02;
  for (std::int32_t src = 0; src < n; ++src)
    for (int k = 0; k < kFanOut; ++k) {
      rec.pre.push_back(src);
      rec.post.push_back(target(src));
      // Slightly more inhibition than excitation keeps the recurrent activity from running away.
      rec.weight.push_back(
          static_cast<std::int16_t>(std::max(-254, even_mantissa(splitmix(s)) - 16)));
    }
  c.net.add_projection(std::move(rec));
  mapper::Projection in;
  in.name = "drive_net";
  in.source = "drive";
  in.target = "net";
  in.dense = false;
  in.format = {8, core::SignMode::kExcitatory, 0, 0, 0, 0};
  in.rate = drive;
  for (std::int32_t src = 0; src < n_in; ++src)
    for (int k = 0; k < kFanOut; ++k) {
      in.pre.push_back(src);
      in.post.push_back(target(std::int64_t{src} * 16 + 8));
      in.weight.push_back(254);
    }
  c.net.add_projection(std::move(in));
  c.net.add_output_port({"counts", "net"});
  c.net.add_host_node(host_node("poisson", "encode", {"symbol"}, {"drive"},
                                {{"encoder", "poisson"}, {"seed", "7"}}));
  c.net.add_host_node(host_node("rates", "rate", {"counts"}, {"rate"}));
  c.net.check_host_references();

  c.data.name = "constant-drive";
  c.data.num_symbols = 1;
  c.data.symbol_size = n_in;
  c.data.num_classes = 2;
  c.data.values.assign(samples * static_cast<std::uint64_t>(n_in), static_cast<float>(drive));
  for (std::uint64_t i = 0; i < samples; ++i)
    c.data.labels.push_back(static_cast<std::int32_t>(i % 2));

  c.options.steps_per_symbol = steps;
  c.options.reset = ResetPolicy::kSample;
  c.options.prediction = "rate";
  c.encoder.kind = EncoderKind::kPoisson;
  c.encoder.seed = 7;
  return c;
}

// FNV-1a over every result of every sample.
struct Hash {
  std::uint64_t h = 1469598103934665603ull;
  void add(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  template <class T>
  void value(const T& v) {
    add(&v, sizeof v);
  }
};

std::uint64_t checksum(const InferenceRun& run) {
  Hash h;
  for (const auto& s : run.samples) {
    h.value(s.label);
    h.value(s.prediction);
    for (double x : s.output) h.value(x);
    h.value(s.chip_steps);
    h.value(s.chip_ps);
    // Board hops join the hash only when there are any, so that single-board checksums stay
    // comparable with those of versions before the board level.
    for (std::size_t i = 0; i < core::kNumEnergyEvents; ++i)
      if (core::energy_event(i) != core::EnergyEvent::kBoardHop ||
          s.chip_events[core::energy_event(i)] != 0)
        h.value(s.chip_events[core::energy_event(i)]);
    h.value(s.host);
    for (auto x : s.population_spikes) h.value(x);
    for (const auto& t : s.core_totals) {
      h.value(t.counts);
      h.value(t.within_tile);
      h.value(t.east_west_hops);
      h.value(t.north_south_hops);
      h.value(t.chip_hops);
      if (t.board_hops != 0) h.value(t.board_hops);
      h.value(t.host_spikes_received);
      h.value(t.busy_ps);
      h.value(t.critical_steps);
    }
  }
  return h.h;
}

// CPU seconds of this process (all threads): unlike wall time, barely affected by other processes
// competing for the cores.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct Measure {
  double seconds = 0;
  double cpu = 0;  // CPU seconds, all threads
  std::uint64_t syn_ops = 0;
  std::uint64_t steps = 0;
  std::uint64_t spikes = 0;        // compartment spikes
  std::uint64_t compartments = 0;  // compartment updates
  std::uint64_t messages = 0;      // spike messages received by cores (host or core spikes)
  std::uint64_t check = 0;
};

Measure measure_runtime(const Case& c, const mapper::MappedImage& image,
                        const core::Architecture& arch, int threads) {
  InferenceOptions o = c.options;
  o.threads = threads;
  o.host_costs = host_costs(arch, HostLocation::kExternal);
  const double cpu0 = cpu_seconds();
  const InferenceRun run = run_inferences(image, arch, c.data, o);
  Measure m;
  m.cpu = cpu_seconds() - cpu0;
  m.seconds = run.wall_seconds;
  for (const auto& s : run.samples) {
    m.syn_ops += s.chip_events[core::EnergyEvent::kSynOpDense] +
                 s.chip_events[core::EnergyEvent::kSynOpSparse];
    m.steps += static_cast<std::uint64_t>(s.chip_steps);
    m.spikes += s.chip_events[core::EnergyEvent::kFireExtra];
    m.messages += s.chip_events[core::EnergyEvent::kSpikeReceived];
    m.compartments += s.chip_events[core::EnergyEvent::kUpdateActive] +
                      s.chip_events[core::EnergyEvent::kUpdateInactive];
  }
  m.check = checksum(run);
  return m;
}

// Per sample, per chip step: the host spikes to inject (core, axon, payload), generated once so
// that the chip-only runs time the chip and nothing else.
struct Injection {
  std::int32_t core, axon;
};
using Raster = std::vector<std::vector<std::vector<Injection>>>;

Raster make_raster(const Case& c, const mapper::MappedImage& image) {
  const auto& port = image.input_ports.at(0);
  const int T = c.options.steps_per_symbol;
  Raster r(c.data.size());
  std::vector<EncodedSpike> spikes;
  for (std::size_t sample = 0; sample < c.data.size(); ++sample) {
    SpikeEncoder enc(c.encoder);
    for (int s = 0; s < c.data.num_symbols; ++s) {
      enc.start_symbol(c.data.symbol(sample, s), sample, static_cast<std::uint64_t>(s));
      for (int t = 0; t < T; ++t) {
        spikes.clear();
        enc.step(spikes);
        auto& step = r[sample].emplace_back();
        for (const auto& sp : spikes) {
          const auto j = static_cast<std::size_t>(sp.element);
          for (auto a = port.offsets[j]; a < port.offsets[j + 1]; ++a)
            step.push_back({port.axons[static_cast<std::size_t>(a)].core,
                            port.axons[static_cast<std::size_t>(a)].axon});
        }
      }
    }
  }
  return r;
}

Measure measure_chip(const Case& c, const mapper::MappedImage& image,
                     const core::Architecture& arch, const Raster& raster, bool accountant) {
  core::Chip chip(mapper::chip_config(image));
  const int T = c.options.steps_per_symbol;
  Measure m;
  Hash h;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& sample : raster) {
    chip.reset_state();
    core::ChipAccountant acct(arch);
    if (accountant) acct.start(chip);
    for (std::size_t k = 0; k < sample.size(); ++k) {
      if (k > 0 && k % static_cast<std::size_t>(T) == 0 && c.options.reset == ResetPolicy::kSymbol)
        chip.reset_state();
      for (const auto& in : sample[k]) chip.inject(in.core, {in.axon, 1});
      chip.step();
      if (accountant) acct.observe(chip);
    }
    if (accountant) h.value(acct.elapsed_ps());
    for (int k = 0; k < chip.num_cores(); ++k) {  // final state: every u and v
      for (auto x : chip.core(k).u()) h.value(x);
      for (auto x : chip.core(k).v()) h.value(x);
    }
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.cpu = cpu_seconds() - cpu0;
  const core::CoreCounts total = chip.total_counts();
  m.syn_ops = total.syn_ops();
  m.spikes = total.spikes;
  m.messages = total.spikes_in;
  m.compartments = total.cx_updates;
  for (const auto& sample : raster) m.steps += sample.size();
  h.value(total);
  m.check = h.h;
  return m;
}

template <class F>
Measure median_of(int repeat, F f) {
  std::vector<Measure> runs;
  for (int i = 0; i < repeat; ++i) runs.push_back(f());
  for (const auto& r : runs)
    if (r.check != runs[0].check || r.syn_ops != runs[0].syn_ops) {
      fmt::print(stderr, "repeated runs differ: results are not deterministic\n");
      std::exit(1);
    }
  std::sort(runs.begin(), runs.end(),
            [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
  return runs[runs.size() / 2];
}

void run_case(const Case& c, const core::Architecture& arch, int repeat, int max_threads,
              const std::string& modes) {
  const auto want = [&](const char* m) { return modes.find(m) != std::string::npos; };
  const auto t0 = std::chrono::steady_clock::now();
  mapper::MapOptions mo;
  mo.compare_placers = false;
  const auto mapped = mapper::map_network(c.net, arch, mo);
  const double map_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& image = mapped.image;
  std::int64_t lists = 0, axons = 0;
  for (const auto& core : image.cores) {
    lists += static_cast<std::int64_t>(core.synapse_lists.size());
    axons += static_cast<std::int64_t>(core.input_axons.size());
  }
  const std::uint64_t n_samples = c.data.size();
  fmt::print(
      "\n== {}: {} neurons, {} synapses, {} of {} cores used, {} input axons, "
      "mapped in {:.2f} s\n",
      c.name, c.net.num_neurons(), c.net.num_synapses(), image.cores_used(), image.cores.size(),
      axons, map_s);
  fmt::print("   {} samples x {} symbols x T = {}, {} (median of {})\n", n_samples,
             c.data.num_symbols, c.options.steps_per_symbol,
             c.options.reset == ResetPolicy::kSymbol ? "reset every symbol" : "reset every sample",
             repeat);
  fmt::print("{:<22} {:>7} {:>9} {:>9} {:>10} {:>10} {:>9} {:>12} {:>14} {:>10} {:>9} {:>18}\n",
             "mode", "threads", "wall s", "cpu s", "inf/s", "us/step", "msg/step", "syn ev/step",
             "syn ev/s/thr", "rate/cx", "speed-up", "checksum");
  auto row = [&](const std::string& mode, int threads, const Measure& m, double speedup) {
    const double steps_per_thread = static_cast<double>(m.steps) / threads;
    fmt::print(
        "{:<22} {:>7} {:>9.3f} {:>9.3f} {:>10.2f} {:>10.2f} {:>9.0f} {:>12.0f} {:>14.3e} {:>10.4f} "
        "{:>9} {:>18x}\n",
        mode, threads, m.seconds, m.cpu, static_cast<double>(n_samples) / m.seconds,
        m.seconds * 1e6 / steps_per_thread,
        static_cast<double>(m.messages) / static_cast<double>(m.steps),
        static_cast<double>(m.syn_ops) / static_cast<double>(m.steps),
        static_cast<double>(m.syn_ops) / m.seconds / threads,
        static_cast<double>(m.spikes) /
            static_cast<double>(std::max<std::uint64_t>(1, m.compartments)),
        speedup > 0 ? fmt::format("{:.2f}x", speedup) : std::string("-"), m.check);
  };

  const Raster raster = make_raster(c, image);
  Measure chip, acct, one;
  if (want("chip")) {
    chip = median_of(repeat, [&] { return measure_chip(c, image, arch, raster, false); });
    row("chip alone", 1, chip, 0);
  }
  if (want("acct")) {
    acct = median_of(repeat, [&] { return measure_chip(c, image, arch, raster, true); });
    row("chip + accountant", 1, acct, 0);
  }
  for (int k = 1; k <= max_threads && want("run"); k *= 2) {
    const Measure m = median_of(repeat, [&] { return measure_runtime(c, image, arch, k); });
    if (k == 1) one = m;
    row("run_inferences", k, m, k == 1 ? 0 : one.seconds / m.seconds);
    if (m.check != one.check || m.syn_ops != one.syn_ops) {
      fmt::print(stderr, "results differ between 1 and {} threads\n", k);
      std::exit(1);
    }
  }
  if (want("chip") && want("acct") && want("run"))
    fmt::print(
        "   accountant: {:.1f}% of chip + accountant time; runtime overhead over chip + "
        "accountant: {:.1f}%\n",
        100.0 * (acct.seconds - chip.seconds) / acct.seconds,
        100.0 * (one.seconds - acct.seconds) / one.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all", modes = "chip,acct,run";
  std::uint64_t samples = 16, sparse_samples = 8;
  std::int32_t neurons = 16384, window = 2048;
  int sparse_steps = 256, repeat = 3, max_threads = 2;
  double drive = 0.01;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--case")
      which = v;
    else if (a == "--samples")
      samples = std::strtoull(v, nullptr, 10);
    else if (a == "--sparse-samples")
      sparse_samples = std::strtoull(v, nullptr, 10);
    else if (a == "--neurons")
      neurons = std::atoi(v);
    else if (a == "--window")
      window = std::atoi(v);
    else if (a == "--sparse-steps")
      sparse_steps = std::atoi(v);
    else if (a == "--drive")
      drive = std::atof(v);
    else if (a == "--repeat")
      repeat = std::atoi(v);
    else if (a == "--threads")
      max_threads = std::atoi(v);
    else if (a == "--modes")
      modes = v;
    else {
      fmt::print(stderr,
                 "usage: bench_runtime [--case lstm|sparse|all] [--samples N] "
                 "[--sparse-samples N] [--neurons N] [--window W] [--sparse-steps T] "
                 "[--drive RATE] [--repeat R] [--threads K] [--modes chip,acct,run]\n");
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || samples < 1 || sparse_samples < 1 || neurons < 16 ||
      sparse_steps < 1 || repeat < 1 || max_threads < 1 || drive < 0 || drive > 1) {
    fmt::print(stderr, "bad arguments (see the header of bench/bench_runtime.cpp)\n");
    return 2;
  }
  const auto arch = load_architecture("loihi1");
  fmt::print("loihi1, Release build; synaptic events = counted syn_ops; per thread = / threads\n");
  if (which == "all" || which == "lstm")
    run_case(make_lstm(samples), arch, repeat, max_threads, modes);
  if (which == "all" || which == "sparse")
    run_case(make_sparse(neurons, window, sparse_steps, drive, sparse_samples), arch, repeat,
             max_threads, modes);
  return 0;
}
