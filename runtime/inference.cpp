#include "runtime/inference.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "io/errors.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/encoders.hpp"
#include "runtime/host_costs.hpp"
#include "runtime/parallel.hpp"
#include "runtime/ranks.hpp"

namespace loihisim {
namespace {

// What every sample of a run shares.
struct RunPlan {
  const mapper::MappedImage& image;
  const SequenceDataset& data;
  const InferenceOptions& options;
  const HostProgram& program;
  int prediction = 0;
  // Output-port neurons read back after each symbol (ports a per-symbol host node reads), and
  // after the last symbol only (ports read only at the sequence end: by sequence-end nodes, as
  // the prediction, or by nobody).
  std::uint64_t readbacks_per_symbol = 0, readbacks_at_end = 0;
  std::uint64_t bias_words = 0;  // bias words written over the host link per symbol
  // Per chip core: which compartments send graded spikes (empty: none on that core). Their
  // output-port values are the sums of the payloads, not the spike counts.
  std::vector<std::vector<std::uint8_t>> graded;
  bool any_graded = false;
  // Timestep skipping: which before-chip nodes are probe encoders, the probe port's value and
  // its neurons (read back after the probe).
  std::vector<std::uint8_t> probe_encoder;
  int probe_value = -1;
  std::uint64_t probe_readbacks = 0;
};

// Which encoders send in a run of T steps: all, or only the DTS probe's, or all but them.
enum class Phase : std::uint8_t { kAll, kProbe, kMain };

// One worker's state: its own chip session and encoders.
struct Worker {
  ChipSession session;
  std::vector<SpikeEncoder> encoders;  // one per before-chip node (bias nodes unused)
  std::vector<EncodedSpike> spikes;
  // Per chip core, per compartment: spikes in the current symbol (mapped cores only).
  std::vector<std::vector<std::uint32_t>> fired_count;
  // Per chip core with graded compartments, per compartment: payloads summed in the symbol,
  // and the largest |payload| of the sample.
  std::vector<std::vector<std::int64_t>> payload_sum;
  std::vector<std::vector<std::uint32_t>> payload_max;
};

using HostValues = std::vector<std::vector<double>>;

// Every output port's value back to 0 (the counts of a symbol are added into them).
void clear_ports(const RunPlan& plan, HostValues& values) {
  for (std::size_t k = 0; k < plan.image.output_ports.size(); ++k) {
    auto& port = values[static_cast<std::size_t>(plan.program.port_value(k))];
    std::fill(port.begin(), port.end(), 0.0);
  }
}

// The symbol as the host holds it; the output ports' values cleared; the before-chip nodes
// run: encoders start the symbol, bias inputs set the compartments' biases.
void start_symbol(const RunPlan& plan, Worker& w, HostArithmetic& h, HostValues& values,
                  std::uint64_t sample, int s) {
  const HostProgram& program = plan.program;
  auto& sym = values[static_cast<std::size_t>(program.symbol_value())];
  const auto src = plan.data.symbol(sample, s);
  for (std::size_t i = 0; i < sym.size(); ++i) sym[i] = h.represent(src[i]);
  clear_ports(plan, values);
  for (std::size_t e = 0; e < program.before_chip().size(); ++e) {
    const auto& node = program.before_chip()[e];
    if (node.kind == HostNodeKind::kIntegerLti) {
      program.run_integer_lti(node, values, h);
      continue;
    }
    if (node.kind == HostNodeKind::kIntegerBias) {
      const std::vector<std::int64_t> target = program.integer_biases(node, values, h);
      for (std::size_t j = 0; j < target.size(); ++j) {
        const BiasValue b = encode_bias(static_cast<double>(target[j]), 1);
        w.session.set_bias(static_cast<std::size_t>(node.population), static_cast<std::int32_t>(j),
                           b.mant, b.exp);
      }
      continue;  // the biases travel as host-link words (bias_words)
    }
    const std::vector<float> in = program.gather_inputs(node, values);
    h.count_read(in.size());
    if (node.kind == HostNodeKind::kBias) {
      for (std::size_t j = 0; j < in.size(); ++j) {
        const BiasValue b = encode_bias(in[j], node.encoder.bias_scale);
        w.session.set_bias(static_cast<std::size_t>(node.population), static_cast<std::int32_t>(j),
                           b.mant, b.exp);
      }
      continue;  // the biases travel as host-link words (bias_words)
    }
    w.encoders[e].start_symbol(in, sample, static_cast<std::uint64_t>(s));
  }
}

// The DTS probe's encoders restarted for a kept symbol after a shortened probe: the input gate
// gets the symbol's whole spike trains again (the host re-reads their inputs).
void restart_probe_encoders(const RunPlan& plan, Worker& w, HostArithmetic& h,
                            const HostValues& values, std::uint64_t sample, int s) {
  for (std::size_t e = 0; e < plan.program.before_chip().size(); ++e) {
    if (!plan.probe_encoder[e]) continue;
    const std::vector<float> in = plan.program.gather_inputs(plan.program.before_chip()[e], values);
    h.count_read(in.size());
    w.encoders[e].start_symbol(in, sample, static_cast<std::uint64_t>(s));
  }
}

// A bit-plane encoder's payloads as binary spikes: one on plane port b (the negative planes
// after the positive ones) for every set bit b of |payload|; the plane projections weigh bit b
// by 2^b, so the targets receive exactly payload x weight.
void send_bit_planes(const CompiledHostNode& node, InputTiming timing, Worker& w,
                     SampleResult& res) {
  const auto planes = static_cast<std::size_t>(node.encoder.planes);
  for (const auto& sp : w.spikes) {
    if (sp.value < 0 && node.ports.size() < 2 * planes)
      throw InputError("host node '" + node.name + "': input element " +
                       std::to_string(sp.element) + " has payload " + std::to_string(sp.value) +
                       " but the encoder has no negative bit planes");
    const std::size_t first = sp.value < 0 ? planes : 0;
    auto mag = static_cast<std::uint32_t>(sp.value < 0 ? -sp.value : sp.value);
    for (std::size_t b = 0; mag != 0; ++b, mag >>= 1) {
      if (!(mag & 1u)) continue;
      ++res.input_spikes;
      w.session.send(static_cast<std::size_t>(node.ports[first + b]),
                     static_cast<std::size_t>(sp.element), 1, timing);
    }
  }
}

// Step t's encoder spikes into the chip through the nodes' input ports.
void send_encoder_spikes(const RunPlan& plan, Phase phase, Worker& w, SampleResult& res) {
  const HostProgram& program = plan.program;
  for (std::size_t e = 0; e < program.before_chip().size(); ++e) {
    const auto& node = program.before_chip()[e];
    if (node.kind != HostNodeKind::kEncode) continue;
    if (phase != Phase::kAll && (phase == Phase::kProbe) != (plan.probe_encoder[e] != 0)) continue;
    w.spikes.clear();
    w.encoders[e].step(w.spikes);
    const bool graded = node.encoder.kind == EncoderKind::kGraded;
    if (node.encoder.kind == EncoderKind::kBitPlanes) {
      send_bit_planes(node, plan.options.input_timing, w, res);
      continue;
    }
    for (const auto& sp : w.spikes) {
      std::size_t port_index = 0;
      std::int32_t payload = 1;
      ++res.input_spikes;
      if (graded) {
        payload = sp.value;
        const auto mag = static_cast<std::uint32_t>(payload < 0 ? -payload : payload);
        res.input_payload_bits += static_cast<std::uint64_t>(std::bit_width(mag)) + 1;
      } else if (sp.value < 0) {
        if (node.ports.size() < 2)
          throw InputError("host node '" + node.name + "': input element " +
                           std::to_string(sp.element) +
                           " is negative but the encoder has no negative input port");
        port_index = 1;
      }
      w.session.send(static_cast<std::size_t>(node.ports[port_index]),
                     static_cast<std::size_t>(sp.element), payload, plan.options.input_timing);
    }
  }
}

// One graded spike of population `pop` with payload n into the sample's statistics.
void count_payload(const SpikeMap& map, std::size_t core, std::int32_t cx, std::int32_t n,
                   Worker& w, SampleResult& res) {
  const std::int32_t pop = map.site[core][static_cast<std::size_t>(cx)].population;
  const auto mag = static_cast<std::uint32_t>(n < 0 ? -static_cast<std::int64_t>(n) : n);
  auto& mx = w.payload_max[core][static_cast<std::size_t>(cx)];
  mx = std::max(mx, mag);
  if (pop < 0 || mag == 0) return;
  PayloadStats& st = res.population_payloads[static_cast<std::size_t>(pop)];
  ++st.spikes;
  st.payload_sum += mag;
  st.max_payload = std::max<std::uint64_t>(st.max_payload, mag);
  st.significant_bits += static_cast<std::uint64_t>(std::bit_width(mag >> std::countr_zero(mag)));
  st.payload_bits += static_cast<std::uint64_t>(std::bit_width(mag));  // ceil(log2(1 + mag))
}

// T chip steps of a symbol, counting each compartment's spikes; the host reads back
// `readbacks` neurons after the last step; `phase` chooses the encoders.
void run_symbol_steps(const RunPlan& plan, Worker& w, Phase phase, int T, std::uint64_t readbacks,
                      SampleResult& res) {
  const SpikeMap& map = w.session.spike_map();
  for (int t = 0; t < T; ++t) {
    send_encoder_spikes(plan, phase, w, res);
    core::HostTraffic traffic;
    if (t == 0 && phase != Phase::kMain) traffic.words = plan.bias_words;
    if (t == T - 1) traffic.readbacks = readbacks;
    w.session.step(traffic);
    for (const std::int32_t c : map.cores) {
      std::uint32_t* const count = w.fired_count[static_cast<std::size_t>(c)].data();
      const auto fired = w.session.fired(c);
      for (const std::int32_t cx : fired) ++count[cx];
      if (plan.graded[static_cast<std::size_t>(c)].empty()) continue;
      std::int64_t* const sum = w.payload_sum[static_cast<std::size_t>(c)].data();
      const auto payloads = w.session.fired_payloads(c);
      for (std::size_t k = 0; k < fired.size(); ++k) {
        sum[fired[k]] += payloads[k];
        if (plan.graded[static_cast<std::size_t>(c)][static_cast<std::size_t>(fired[k])])
          count_payload(map, static_cast<std::size_t>(c), fired[k], payloads[k], w, res);
      }
    }
  }
}

// The counts of this symbol into the populations' totals and the output ports' values (which
// are 0 at the start of the symbol, so adding the count gives exactly what adding 1.0 per spike
// would).
void read_out_symbol(const RunPlan& plan, Worker& w, HostValues& values, SampleResult& res) {
  const SpikeMap& map = w.session.spike_map();
  for (const std::int32_t c : map.cores) {
    const auto cu = static_cast<std::size_t>(c);
    const auto& site = map.site[cu];
    const auto& begin = map.port_begin[cu];
    auto& count = w.fired_count[cu];
    const auto& graded = plan.graded[cu];
    for (std::size_t x = 0; x < count.size(); ++x) {
      if (count[x] == 0) continue;
      if (site[x].population >= 0)
        res.population_spikes[static_cast<std::size_t>(site[x].population)] += count[x];
      double value = static_cast<double>(count[x]);
      if (!graded.empty() && graded[x]) {
        value = static_cast<double>(w.payload_sum[cu][x]);
        w.payload_sum[cu][x] = 0;
      }
      for (auto k = begin[x]; k < begin[x + 1]; ++k) {
        const auto& tg = map.port_targets[cu][static_cast<std::size_t>(k)];
        values[static_cast<std::size_t>(plan.program.port_value(static_cast<std::size_t>(tg.port)))]
              [static_cast<std::size_t>(tg.neuron)] += value;
      }
      count[x] = 0;
    }
  }
}

// Each graded neuron's payload width of the sample, log2(1 + max |n|), into its population's sum
// (in compartment order: the same sum for any thread count).
void payload_widths(const RunPlan& plan, const Worker& w, SampleResult& res) {
  const SpikeMap& map = w.session.spike_map();
  for (const std::int32_t c : map.cores) {
    const auto cu = static_cast<std::size_t>(c);
    if (plan.graded[cu].empty()) continue;
    for (std::size_t x = 0; x < plan.graded[cu].size(); ++x) {
      const std::int32_t pop = map.site[cu][x].population;
      if (!plan.graded[cu][x] || pop < 0) continue;
      res.population_payloads[static_cast<std::size_t>(pop)].width_sum +=
          std::log2(1.0 + static_cast<double>(w.payload_max[cu][x]));
    }
  }
}

std::shared_ptr<const SampleTrace> sample_trace(const ChipSession& session) {
  auto t = std::make_shared<SampleTrace>();
  const core::ChipAccountant& acct = *session.accountant();
  const auto& records = acct.step_records();
  const std::size_t steps = std::min(records.size(), kMaxTraceSteps);
  t->steps.assign(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(steps));
  for (const auto& pop : session.recording().populations) {
    PopulationRecord kept;
    for (std::size_t k = 0; k < pop.step.size(); ++k)
      if (static_cast<std::size_t>(pop.step[k]) <= steps) {
        kept.step.push_back(pop.step[k]);
        kept.neuron.push_back(pop.neuron[k]);
      }
    t->populations.push_back(std::move(kept));
  }
  t->critical.reserve(t->steps.size());
  for (const auto& rec : t->steps) t->critical.push_back(acct.describe(rec.critical));
  t->flows = session.recording().flows;
  return t;
}

// A symbol after the first with timestep skipping (DtsSpec): the probe's T steps, the host's
// decision on the probe port's mean rate, and, unless skipped, the other encoders' T steps on a
// restarted chip state. Returns true when the symbol is skipped.
bool run_probed_symbol(const RunPlan& plan, Worker& w, HostArithmetic& h, HostValues& values,
                       std::uint64_t sample, int s, bool last_symbol, SampleResult& res) {
  const int T = plan.options.steps_per_symbol;
  const int P = plan.options.dts.probe_steps > 0 ? plan.options.dts.probe_steps : T;
  const std::uint64_t at_end = last_symbol ? plan.readbacks_at_end : 0;
  ++res.symbols_probed;
  run_symbol_steps(plan, w, Phase::kProbe, P, plan.probe_readbacks + at_end, res);
  // Every spike of the probe's steps is counted; the ports other than the probe's ignore them.
  read_out_symbol(plan, w, values, res);
  auto& probe = values[static_cast<std::size_t>(plan.probe_value)];
  double sum = 0;
  for (const double v : probe) sum += v;  // spike counts: exact integers
  h.count_integer(0, probe.size() - 1, 1);
  const double mean = sum / (static_cast<double>(probe.size()) * P);
  if (mean < plan.options.dts.tau) {
    ++res.symbols_skipped;
    return true;
  }
  // A full-length probe's counts stand for the input gate; a shortened one's are replaced.
  std::vector<double> kept;
  if (P == T) kept = probe;
  clear_ports(plan, values);
  w.session.reset_state();
  if (P < T) {  // a shortened probe: every gate runs its T steps, the input gate again
    restart_probe_encoders(plan, w, h, values, sample, s);
    run_symbol_steps(plan, w, Phase::kAll, T, plan.readbacks_per_symbol, res);
    read_out_symbol(plan, w, values, res);
    return false;
  }
  run_symbol_steps(plan, w, Phase::kMain, T, plan.readbacks_per_symbol - plan.probe_readbacks, res);
  read_out_symbol(plan, w, values, res);
  probe = kept;
  return false;
}

void run_sample(const RunPlan& plan, Worker& w, std::uint64_t sample, SampleResult& res) {
  const HostProgram& program = plan.program;
  res.label = plan.data.labels[sample];
  HostArithmetic h(plan.options.host_format);
  HostValues values(program.num_values());
  for (std::size_t v = 0; v < values.size(); ++v)
    values[v].assign(program.value_size(static_cast<int>(v)), 0.0);
  res.population_spikes.assign(plan.image.populations.size(), 0);

  const bool trace = plan.options.trace_first_sample && sample == 0;
  w.session.set_record(RecordOptions{trace, false, false, false, trace});
  w.session.begin_sample();
  for (auto& count : w.fired_count) std::fill(count.begin(), count.end(), 0u);
  for (auto& sum : w.payload_sum) std::fill(sum.begin(), sum.end(), 0);
  for (auto& mx : w.payload_max) std::fill(mx.begin(), mx.end(), 0u);
  if (plan.any_graded) res.population_payloads.assign(plan.image.populations.size(), {});
  const int T = plan.options.steps_per_symbol;
  for (int s = 0; s < plan.data.num_symbols; ++s) {
    if (plan.options.reset == ResetPolicy::kSymbol && s > 0) w.session.reset_state();
    start_symbol(plan, w, h, values, sample, s);
    const bool last = s + 1 == plan.data.num_symbols;
    if (plan.probe_value >= 0 && s > 0) {
      if (run_probed_symbol(plan, w, h, values, sample, s, last, res)) continue;  // c, h carried
    } else {
      run_symbol_steps(plan, w, Phase::kAll, T,
                       plan.readbacks_per_symbol + (last ? plan.readbacks_at_end : 0), res);
      read_out_symbol(plan, w, values, res);
    }
    for (const auto& node : program.after_chip()) program.run_node(node, values, h, T);
  }
  for (const auto& node : program.at_end()) program.run_node(node, values, h, T);
  if (plan.any_graded) payload_widths(plan, w, res);
  res.output = values[static_cast<std::size_t>(plan.prediction)];
  res.prediction = static_cast<std::int32_t>(h.argmax(
      std::span<const double>(res.output.data(), static_cast<std::size_t>(plan.data.num_classes))));
  res.host = h.counts();
  const core::ChipAccountant& acct = *w.session.accountant();
  res.chip_steps = acct.steps();
  res.chip_ps = acct.elapsed_ps();
  res.chip_events = acct.energy_counts();
  res.core_totals = acct.core_totals();
  if (trace) res.trace = sample_trace(w.session);
}

std::vector<std::vector<std::uint8_t>> graded_compartments(const mapper::MappedImage& image) {
  std::vector<std::vector<std::uint8_t>> out(image.cores.size());
  for (std::size_t c = 0; c < image.cores.size(); ++c) {
    const auto& core = image.cores[c];
    std::vector<std::uint8_t> g(core.compartments.size(), 0);
    bool any = false;
    for (std::size_t x = 0; x < g.size(); ++x) {
      g[x] = core.profiles[static_cast<std::size_t>(core.compartments[x].profile)].spike ==
             core::SpikeKind::kGraded;
      any = any || g[x];
    }
    if (any) out[c] = std::move(g);
  }
  return out;
}

// The DTS probe's encoders and port (InferenceOptions::dts), checked against the program.
void resolve_dts(RunPlan& plan) {
  const DtsSpec& dts = plan.options.dts;
  const HostProgram& program = plan.program;
  plan.probe_encoder.assign(program.before_chip().size(), 0);
  if (!dts.enabled()) return;
  for (const std::string& name : dts.probe_encoders) {
    const auto& nodes = program.before_chip();
    const auto it = std::find_if(nodes.begin(), nodes.end(), [&](const CompiledHostNode& n) {
      return n.name == name && n.kind == HostNodeKind::kEncode;
    });
    if (it == nodes.end())
      throw InputError("dts: probe encoder '" + name + "' is not an encode node of the network");
    plan.probe_encoder[static_cast<std::size_t>(it - nodes.begin())] = 1;
  }
  for (std::size_t k = 0; k < plan.image.output_ports.size(); ++k)
    if (plan.image.output_ports[k].name == dts.probe_port) {
      plan.probe_value = program.port_value(k);
      plan.probe_readbacks = plan.image.output_ports[k].neurons.size();
    }
  if (plan.probe_value < 0)
    throw InputError("dts: probe port '" + dts.probe_port + "' is not an output port");
  if (plan.readbacks_per_symbol < plan.probe_readbacks)
    throw InputError("dts: probe port '" + dts.probe_port +
                     "' is not read by a per-symbol host node");
  if (plan.options.reset != ResetPolicy::kSymbol)
    throw InputError(
        "dts: timestep skipping needs reset: symbol (the chip state restarts "
        "between the probe and the other gates)");
}

// Which output ports the host must read after every symbol, and which only after the last.
void count_readbacks(RunPlan& plan) {
  const HostProgram& program = plan.program;
  const auto reads = [](const std::vector<CompiledHostNode>& nodes, int value) {
    return std::any_of(nodes.begin(), nodes.end(), [&](const CompiledHostNode& n) {
      return std::find(n.inputs.begin(), n.inputs.end(), value) != n.inputs.end();
    });
  };
  for (std::size_t k = 0; k < plan.image.output_ports.size(); ++k) {
    const int value = program.port_value(k);
    const auto n = static_cast<std::uint64_t>(plan.image.output_ports[k].neurons.size());
    if (reads(program.before_chip(), value) || reads(program.after_chip(), value))
      plan.readbacks_per_symbol += n;
    else
      plan.readbacks_at_end += n;
  }
}

// Throws InputError for settings that cannot run on this image, architecture and dataset.
void check_run(const mapper::MappedImage& image, const core::Architecture& arch,
               const SequenceDataset& data, const InferenceOptions& options,
               const HostProgram& program, int prediction) {
  if (options.steps_per_symbol < 1)
    throw InputError("steps per symbol T = " + std::to_string(options.steps_per_symbol) +
                     " must be at least 1");
  if (image.architecture != arch.name)
    throw InputError("the mapped image was made for architecture '" + image.architecture +
                     "', not '" + arch.name + "': map it again for this architecture");
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
}

}  // namespace

PayloadStats& PayloadStats::operator+=(const PayloadStats& o) {
  spikes += o.spikes;
  payload_sum += o.payload_sum;
  max_payload = std::max(max_payload, o.max_payload);
  width_sum += o.width_sum;
  significant_bits += o.significant_bits;
  payload_bits += o.payload_bits;
  return *this;
}

InferenceOptions inference_options(const ModelSpec& model, const core::Architecture& arch) {
  InferenceOptions o;
  o.steps_per_symbol = model.steps_per_symbol;
  o.reset = model.reset;
  o.input_timing = model.input_timing;
  o.prediction = model.prediction;
  o.host_format = model.host_format;
  o.host_costs = host_costs(arch, model.host_location);
  o.dts = model.dts;
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

namespace {

// A rank's sample results as bytes (every field but the trace, which sample 0 keeps on rank 0).
class ResultBytes {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  template <class T>
  void put_all(const std::vector<T>& v) {
    put(static_cast<std::uint64_t>(v.size()));
    for (const T& x : v) put(x);
  }
  std::vector<std::uint8_t> bytes;
};

class ResultReader {
 public:
  explicit ResultReader(std::span<const std::uint8_t> b) : b_(b) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (b_.size() - at_ < sizeof(T)) throw std::logic_error("short sample results from a rank");
    T v;
    std::memcpy(&v, b_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> get_all() {
    std::vector<T> v(get<std::uint64_t>());
    for (T& x : v) x = get<T>();
    return v;
  }
  bool done() const { return at_ == b_.size(); }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t at_ = 0;
};

void put_sample(ResultBytes& out, const SampleResult& s) {
  out.put(s.label);
  out.put(s.prediction);
  out.put_all(s.output);
  out.put(s.chip_steps);
  out.put(s.chip_ps);
  out.put(s.chip_events);
  out.put(s.host);
  out.put_all(s.population_spikes);
  out.put(s.input_spikes);
  out.put(s.input_payload_bits);
  out.put(s.symbols_probed);
  out.put(s.symbols_skipped);
  out.put(s.tokens);
  out.put(s.correct_tokens);
  out.put_all(s.population_payloads);
  out.put_all(s.core_totals);
}

void get_sample(ResultReader& in, SampleResult& s) {
  s.label = in.get<std::int32_t>();
  s.prediction = in.get<std::int32_t>();
  s.output = in.get_all<double>();
  s.chip_steps = in.get<std::int64_t>();
  s.chip_ps = in.get<std::int64_t>();
  s.chip_events = in.get<core::EnergyCounts>();
  s.host = in.get<HostOpCounts>();
  s.population_spikes = in.get_all<std::uint64_t>();
  s.input_spikes = in.get<std::uint64_t>();
  s.input_payload_bits = in.get<std::uint64_t>();
  s.symbols_probed = in.get<std::uint32_t>();
  s.symbols_skipped = in.get<std::uint32_t>();
  s.tokens = in.get<std::int32_t>();
  s.correct_tokens = in.get<std::int32_t>();
  s.population_payloads = in.get_all<PayloadStats>();
  s.core_totals = in.get_all<core::CoreTotals>();
}

// Samples [first, last) of `n` for this rank: rank r starts at ceil(r n / K), so rank 0 always
// has sample 0 (and its trace).
std::pair<std::uint64_t, std::uint64_t> rank_samples(std::uint64_t n, int rank, int size) {
  const auto k = static_cast<std::uint64_t>(size);
  const auto start = [&](std::uint64_t r) { return (r * n + k - 1) / k; };
  return {start(static_cast<std::uint64_t>(rank)), start(static_cast<std::uint64_t>(rank) + 1)};
}

// Every rank's finished samples (in its share's order, after its count) to rank 0, which puts
// them in place; `completed` becomes the samples done without a gap from sample 0.
void gather_samples(InferenceRun& run, std::uint64_t n, std::uint64_t first,
                    std::uint64_t completed) {
  const Ranks& r = ranks();
  ResultBytes mine;
  mine.put(completed);
  for (std::uint64_t i = 0; i < completed; ++i) put_sample(mine, run.samples[first + i]);
  const std::vector<std::uint8_t> all = r.gather_bytes(mine.bytes);
  run.wall_seconds = r.max(run.wall_seconds);
  run.completed = 0;
  if (!r.is_reporter()) {
    run.samples.clear();
    return;
  }
  ResultReader in(all);
  bool gap = false;
  for (int k = 0; k < r.size(); ++k) {
    const auto [begin, end] = rank_samples(n, k, r.size());
    const auto done = in.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < done; ++i) get_sample(in, run.samples[begin + i]);
    if (!gap) run.completed += done;
    gap = gap || done < end - begin;
  }
  if (!in.done()) throw std::logic_error("unread sample results from the ranks");
}

}  // namespace

InferenceRun run_inferences(const mapper::MappedImage& image, const core::Architecture& arch,
                            const SequenceDataset& data, const InferenceOptions& options,
                            const std::atomic<bool>* cancel,
                            const std::function<void(std::uint64_t)>& progress) {
  const HostProgram program(image, static_cast<std::size_t>(data.symbol_size), options.host_format);
  RunPlan plan{image, data, options, program, program.value_id(options.prediction), 0, 0, 0, {},
               false, {},   -1,      0};
  check_run(image, arch, data, options, program, plan.prediction);
  count_readbacks(plan);
  resolve_dts(plan);
  plan.graded = graded_compartments(image);
  plan.any_graded =
      std::any_of(plan.graded.begin(), plan.graded.end(), [](const auto& g) { return !g.empty(); });
  // Bias inputs write one 32-bit word per compartment over the host link every symbol.
  for (const auto& node : program.before_chip())
    if (node.kind == HostNodeKind::kBias || node.kind == HostNodeKind::kIntegerBias)
      plan.bias_words += static_cast<std::uint64_t>(
          image.populations[static_cast<std::size_t>(node.population)].size);

  // Built (and validated) once; every worker copies it rather than building its own.
  const ChipSession prototype(image, &arch);
  const std::uint64_t n_samples =
      options.samples == 0 ? data.size() : std::min<std::uint64_t>(options.samples, data.size());
  InferenceRun run;
  run.samples.resize(n_samples);
  const auto t0 = std::chrono::steady_clock::now();
  auto make_worker = [&] {
    auto w = std::make_unique<Worker>(Worker{prototype, {}, {}, {}, {}, {}});
    w->fired_count.resize(image.cores.size());
    w->payload_sum.resize(image.cores.size());
    w->payload_max.resize(image.cores.size());
    for (const std::int32_t c : prototype.spike_map().cores) {
      const auto cu = static_cast<std::size_t>(c);
      w->fired_count[cu].assign(image.cores[cu].compartments.size(), 0);
      if (!plan.graded[cu].empty()) {
        w->payload_sum[cu].assign(plan.graded[cu].size(), 0);
        w->payload_max[cu].assign(plan.graded[cu].size(), 0);
      }
    }
    for (const auto& n : program.before_chip()) w->encoders.emplace_back(n.encoder);
    return w;
  };
  const bool split = options.split_over_ranks && ranks().size() > 1;
  const std::pair<std::uint64_t, std::uint64_t> share =
      split ? rank_samples(n_samples, ranks().rank(), ranks().size())
            : std::pair<std::uint64_t, std::uint64_t>{0, n_samples};
  const std::uint64_t first = share.first;
  run.completed = parallel_items(
      share.second - first, options.threads, make_worker,
      [&](std::unique_ptr<Worker>& w, std::uint64_t i) {
        run_sample(plan, *w, first + i, run.samples[first + i]);
      },
      [&](std::uint64_t done) {
        if (progress) progress(done);
      },
      cancel);
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (split) gather_samples(run, n_samples, first, run.completed);
  return run;
}

}  // namespace loihisim
