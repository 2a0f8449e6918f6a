#include "runtime/inference.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "core/chip.hpp"
#include "runtime/encoders.hpp"
#include "runtime/host_costs.hpp"
#include "io/errors.hpp"
#include "runtime/parallel.hpp"

namespace loihisim {
namespace {

// Where to look after every step: for each chip core, which population each compartment
// belongs to and which output-port neurons it is.
struct Readout {
  struct Target {
    std::int32_t port = 0;
    std::int32_t neuron = 0;
  };
  std::vector<std::int32_t> watched_cores;
  // Per core: compartment -> population index (-1: none).
  std::vector<std::vector<std::int32_t>> population;
  // Per core, CSR over compartments: targets[begin[c] .. begin[c + 1]).
  std::vector<std::vector<std::int32_t>> begin;
  std::vector<std::vector<Target>> targets;
};

Readout build_readout(const mapper::MappedImage& image) {
  Readout r;
  const std::size_t n_cores = image.cores.size();
  r.population.resize(n_cores);
  r.begin.resize(n_cores);
  r.targets.resize(n_cores);
  std::vector<std::vector<std::vector<Readout::Target>>> per_cx(n_cores);
  for (std::size_t c = 0; c < n_cores; ++c) {
    const auto n = image.cores[c].compartments.size();
    r.population[c].assign(n, -1);
    per_cx[c].resize(n);
  }
  for (std::size_t p = 0; p < image.populations.size(); ++p)
    for (const auto& b : image.populations[p].blocks)
      for (std::int32_t k = 0; k < b.count; ++k)
        r.population[static_cast<std::size_t>(b.core)]
                    [static_cast<std::size_t>(b.first_compartment + k)] =
            static_cast<std::int32_t>(p);
  for (std::size_t k = 0; k < image.output_ports.size(); ++k) {
    const auto& port = image.output_ports[k];
    for (std::size_t j = 0; j < port.neurons.size(); ++j) {
      const auto& s = port.neurons[j];
      per_cx[static_cast<std::size_t>(s.core)][static_cast<std::size_t>(s.compartment)].push_back(
          {static_cast<std::int32_t>(k), static_cast<std::int32_t>(j)});
    }
  }
  for (std::size_t c = 0; c < n_cores; ++c) {
    if (image.cores[c].compartments.empty()) continue;
    r.watched_cores.push_back(static_cast<std::int32_t>(c));
    r.begin[c].push_back(0);
    for (const auto& list : per_cx[c]) {
      r.targets[c].insert(r.targets[c].end(), list.begin(), list.end());
      r.begin[c].push_back(static_cast<std::int32_t>(r.targets[c].size()));
    }
  }
  return r;
}

// One worker's state: its own chip and encoders.
struct Worker {
  core::Chip chip;
  std::vector<SpikeEncoder> encoders;  // one per before-chip node (bias nodes unused)
  std::vector<EncodedSpike> spikes;
  // Per chip core, per compartment: spikes in the current symbol (watched cores only).
  std::vector<std::vector<std::uint32_t>> fired_count;
};

}  // namespace

InferenceOptions inference_options(const ModelSpec& model, const core::Architecture& arch) {
  InferenceOptions o;
  o.steps_per_symbol = model.steps_per_symbol;
  o.reset = model.reset;
  o.input_timing = model.input_timing;
  o.prediction = model.prediction;
  o.host_format = model.host_format;
  o.host_costs = host_costs(arch, model.host_location);
  return o;
}

std::int64_t host_energy_fj(const HostCosts& c, const HostOpCounts& ops) {
  const auto i = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  return i(ops.mul) * c.mul_fj + i(ops.add) * c.add_fj + i(ops.cmp) * c.cmp_fj +
         i(ops.nonlin) * c.nonlin_fj + i(ops.bytes_read + ops.bytes_written) * c.byte_fj;
}

std::int64_t host_time_ps(const HostCosts& c, const HostOpCounts& ops) {
  const auto i = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  return i(ops.mul) * c.mul_ps + i(ops.add) * c.add_ps + i(ops.cmp) * c.cmp_ps +
         i(ops.nonlin) * c.nonlin_ps + i(ops.bytes_read + ops.bytes_written) * c.byte_ps;
}

InferenceRun run_inferences(const mapper::MappedImage& image, const core::Architecture& arch,
                            const SequenceDataset& data, const InferenceOptions& options,
                            const std::atomic<bool>* cancel,
                            const std::function<void(std::uint64_t)>& progress) {
  if (options.steps_per_symbol < 1)
    throw InputError("steps per symbol T = " + std::to_string(options.steps_per_symbol) +
                     " must be at least 1");
  if (image.architecture != arch.name)
    throw InputError("the mapped image was made for architecture '" + image.architecture +
                     "', not '" + arch.name + "': map it again for this architecture");
  const HostProgram program(image, static_cast<std::size_t>(data.symbol_size), options.host_format);
  const int prediction = program.value_id(options.prediction);
  if (prediction < 0)
    throw InputError("prediction value '" + options.prediction +
                     "' is not produced by any host node or output port");
  if (program.value_size(prediction) < static_cast<std::size_t>(data.num_classes))
    throw InputError("prediction value '" + options.prediction + "' has " +
                     std::to_string(program.value_size(prediction)) + " values but the dataset " +
                     data.name + " has " + std::to_string(data.num_classes) + " classes");
  for (const auto& node : program.before_chip())
    if (node.encoder.kind == EncoderKind::kGraded && !arch.core.allow_graded_spikes)
      throw InputError("host node '" + node.name + "': graded spikes are not available on " +
                       arch.name + " (use encoder signed_accumulator or poisson)");
  if (program.before_chip().empty())
    throw InputError("the network has no encode or bias host node: nothing feeds the chip");

  // Built (and validated) once; every worker copies it rather than building its own.
  const core::Chip prototype(mapper::chip_config(image));
  const Readout readout = build_readout(image);
  const std::uint64_t n_samples =
      options.samples == 0 ? data.size() : std::min<std::uint64_t>(options.samples, data.size());
  std::uint64_t readbacks_per_symbol = 0;
  for (const auto& p : image.output_ports) readbacks_per_symbol += p.neurons.size();

  // Bias inputs write one 32-bit word per compartment over the host link every symbol.
  std::uint64_t bias_words = 0;
  for (const auto& node : program.before_chip())
    if (node.kind == HostNodeKind::kBias)
      bias_words += static_cast<std::uint64_t>(
          image.populations[static_cast<std::size_t>(node.population)].size);

  InferenceRun run;
  run.samples.resize(n_samples);
  const auto t0 = std::chrono::steady_clock::now();

  auto make_worker = [&] {
    auto w = std::make_unique<Worker>(Worker{prototype, {}, {}, {}});
    w->fired_count.resize(image.cores.size());
    for (std::int32_t c : readout.watched_cores)
      w->fired_count[static_cast<std::size_t>(c)].assign(
          image.cores[static_cast<std::size_t>(c)].compartments.size(), 0);
    for (const auto& n : program.before_chip()) w->encoders.emplace_back(n.encoder);
    return w;
  };

  auto run_sample = [&](std::unique_ptr<Worker>& wp, std::uint64_t sample) {
    Worker& w = *wp;
    SampleResult& res = run.samples[sample];
    res.label = data.labels[sample];
    HostArithmetic h(options.host_format);
    std::vector<std::vector<double>> values(program.num_values());
    for (std::size_t v = 0; v < values.size(); ++v)
      values[v].assign(program.value_size(static_cast<int>(v)), 0.0);
    res.population_spikes.assign(image.populations.size(), 0);

    w.chip.reset_state();
    for (auto& count : w.fired_count) std::fill(count.begin(), count.end(), 0u);
    core::ChipAccountant acct(arch);
    acct.start(w.chip);
    const int T = options.steps_per_symbol;
    const bool same_step = options.input_timing == InputTiming::kSameStep;

    for (int s = 0; s < data.num_symbols; ++s) {
      if (options.reset == ResetPolicy::kSymbol && s > 0) w.chip.reset_state();
      // The symbol, as the host holds it.
      auto& sym = values[static_cast<std::size_t>(program.symbol_value())];
      const auto src = data.symbol(sample, s);
      for (std::size_t i = 0; i < sym.size(); ++i) sym[i] = h.represent(src[i]);
      for (std::size_t k = 0; k < image.output_ports.size(); ++k)
        std::fill(values[static_cast<std::size_t>(program.port_value(k))].begin(),
                  values[static_cast<std::size_t>(program.port_value(k))].end(), 0.0);

      // Before the chip: encoders start the symbol; bias inputs set compartment biases.
      for (std::size_t e = 0; e < program.before_chip().size(); ++e) {
        const auto& node = program.before_chip()[e];
        const std::vector<float> in = program.gather_inputs(node, values);
        h.count_read(in.size());
        if (node.kind == HostNodeKind::kBias) {
          const auto& pop = image.populations[static_cast<std::size_t>(node.population)];
          for (std::size_t j = 0; j < in.size(); ++j) {
            const BiasValue b = encode_bias(in[j], node.encoder.bias_scale);
            // The bias of the compartment that integrates: a two-compartment neuron's dendrite.
            auto site = pop.site(static_cast<std::int32_t>(j));
            const auto& cx = image.cores[static_cast<std::size_t>(site.core)]
                                 .compartments[static_cast<std::size_t>(site.compartment)];
            if (cx.join != core::JoinOp::kNone) site.compartment = cx.join_source;
            w.chip.set_bias(site.core, site.compartment, b.mant, b.exp);
          }
          continue;  // the biases travel as host-link words (bias_words)
        }
        w.encoders[e].start_symbol(in, sample, static_cast<std::uint64_t>(s));
      }
      for (int t = 0; t < T; ++t) {
        for (std::size_t e = 0; e < program.before_chip().size(); ++e) {
          const auto& node = program.before_chip()[e];
          if (node.kind != HostNodeKind::kEncode) continue;
          w.spikes.clear();
          w.encoders[e].step(w.spikes);
          const bool graded = node.encoder.kind == EncoderKind::kGraded;
          for (const auto& sp : w.spikes) {
            std::size_t port_index = 0;
            std::int32_t payload = 1;
            if (graded) {
              payload = sp.value;
            } else if (sp.value < 0) {
              if (node.ports.size() < 2)
                throw InputError("host node '" + node.name + "': input element " +
                                 std::to_string(sp.element) +
                                 " is negative but the encoder has no negative input port");
              port_index = 1;
            }
            const auto& port = image.input_ports[static_cast<std::size_t>(node.ports[port_index])];
            const auto j = static_cast<std::size_t>(sp.element);
            for (auto a = port.offsets[j]; a < port.offsets[j + 1]; ++a) {
              const auto& site = port.axons[static_cast<std::size_t>(a)];
              if (same_step)
                w.chip.inject_same_step(site.core, {site.axon, payload});
              else
                w.chip.inject(site.core, {site.axon, payload});
            }
          }
        }
        w.chip.step();
        core::HostTraffic traffic;
        if (t == 0) traffic.words = bias_words;
        if (t == T - 1) traffic.readbacks = readbacks_per_symbol;
        acct.observe(w.chip, traffic);
        // Count each compartment's spikes of this symbol; the host reads them after step T.
        for (std::int32_t c : readout.watched_cores) {
          std::uint32_t* const count = w.fired_count[static_cast<std::size_t>(c)].data();
          for (std::int32_t cx : w.chip.core(c).fired()) ++count[cx];
        }
      }
      // The counts of this symbol into the populations' totals and the output ports' values
      // (which are 0 at the start of the symbol, so adding the count gives exactly what adding
      // 1.0 per spike would).
      for (std::int32_t c : readout.watched_cores) {
        const auto cu = static_cast<std::size_t>(c);
        const auto& pop = readout.population[cu];
        const auto& begin = readout.begin[cu];
        auto& count = w.fired_count[cu];
        for (std::size_t x = 0; x < count.size(); ++x) {
          if (count[x] == 0) continue;
          if (pop[x] >= 0) res.population_spikes[static_cast<std::size_t>(pop[x])] += count[x];
          for (auto k = begin[x]; k < begin[x + 1]; ++k) {
            const auto& tg = readout.targets[cu][static_cast<std::size_t>(k)];
            values[static_cast<std::size_t>(program.port_value(static_cast<std::size_t>(tg.port)))]
                  [static_cast<std::size_t>(tg.neuron)] += static_cast<double>(count[x]);
          }
          count[x] = 0;
        }
      }
      for (const auto& node : program.after_chip()) program.run_node(node, values, h, T);
    }
    for (const auto& node : program.at_end()) program.run_node(node, values, h, T);
    res.output = values[static_cast<std::size_t>(prediction)];
    res.prediction = static_cast<std::int32_t>(h.argmax(
        std::span<const double>(res.output.data(), static_cast<std::size_t>(data.num_classes))));
    res.host = h.counts();
    res.chip_steps = acct.steps();
    res.chip_ps = acct.elapsed_ps();
    res.chip_events = acct.energy_counts();
    res.core_totals = acct.core_totals();
  };

  run.completed = parallel_items(
      n_samples, options.threads, make_worker, run_sample,
      [&](std::uint64_t done) {
        if (progress) progress(done);
      },
      cancel);
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

}  // namespace loihisim
