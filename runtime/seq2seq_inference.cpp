#include "runtime/seq2seq_inference.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <span>
#include <utility>

#include "io/errors.hpp"
#include "models/hybrid_seq2seq.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/host_arithmetic.hpp"
#include "runtime/parallel.hpp"

namespace loihisim {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw InputError(fmt::format("host node '{}': {}", models::kSeq2SeqNodeName, what));
}

int int_param(const mapper::HostNode& n, const std::string& key, int lo, int hi) {
  const auto it = n.params.find(key);
  if (it == n.params.end()) fail("needs the parameter '" + key + "'");
  int v = 0;
  const std::string& s = it->second;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
    fail(fmt::format("{} = '{}' must be an integer in {}..{}", key, s, lo, hi));
  return v;
}

const std::vector<double>& array_param(const mapper::HostNode& n, const std::string& key,
                                       std::vector<std::uint64_t> shape) {
  const auto it = n.arrays.find(key);
  if (it == n.arrays.end()) fail("needs the array '" + key + "'");
  if (it->second.shape != shape || it->second.values.size() != [&] {
        std::uint64_t k = 1;
        for (auto d : shape) k *= d;
        return k;
      }())
    fail(fmt::format("array '{}' must have shape [{}]", key, fmt::join(shape, ", ")));
  return it->second.values;
}

template <class Sites>
int index_of(const std::vector<Sites>& v, const std::string& name, const char* what, int size) {
  for (std::size_t k = 0; k < v.size(); ++k)
    if (v[k].name == name) {
      const auto n = static_cast<int>(v[k].size);
      if (n != size) fail(fmt::format("{} '{}' has {} neurons, expected {}", what, name, n, size));
      return static_cast<int>(k);
    }
  fail(fmt::format("the image has no {} '{}'", what, name));
}

int output_port(const mapper::MappedImage& img, const std::string& name, int size) {
  for (std::size_t k = 0; k < img.output_ports.size(); ++k)
    if (img.output_ports[k].name == name) {
      if (static_cast<int>(img.output_ports[k].neurons.size()) != size)
        fail(fmt::format("output port '{}' has {} neurons, expected {}", name,
                         img.output_ports[k].neurons.size(), size));
      return static_cast<int>(k);
    }
  fail("the image has no output port '" + name + "'");
}

bool has_input_port(const mapper::MappedImage& img, const std::string& name) {
  return std::any_of(img.input_ports.begin(), img.input_ports.end(),
                     [&](const mapper::InputPortSites& p) { return p.name == name; });
}

Seq2SeqLayerSites layer_sites(const mapper::MappedImage& img, const mapper::HostNode& n,
                              const Seq2SeqProgram& p, bool decoder, int k) {
  Seq2SeqLayerSites s;
  s.prefix = models::seq2seq_layer_prefix(decoder, k);
  const int H = p.hidden;
  s.input_size = k > 0 ? H : decoder ? p.target_vocabulary : p.source_vocabulary;
  s.x_ports.push_back(index_of(img.input_ports, s.prefix + "x", "input port", s.input_size));
  if (k > 0) s.x_ports.push_back(index_of(img.input_ports, s.prefix + "x_neg", "input port", H));
  s.h_pos = index_of(img.input_ports, s.prefix + "h_pos", "input port", H);
  s.h_neg = index_of(img.input_ports, s.prefix + "h_neg", "input port", H);
  if (has_input_port(img, s.prefix + "h_pos_probe")) {
    s.x_probe_ports.push_back(
        index_of(img.input_ports, s.prefix + "x_probe", "input port", s.input_size));
    if (k > 0)
      s.x_probe_ports.push_back(
          index_of(img.input_ports, s.prefix + "x_neg_probe", "input port", H));
    s.h_pos_probe = index_of(img.input_ports, s.prefix + "h_pos_probe", "input port", H);
    s.h_neg_probe = index_of(img.input_ports, s.prefix + "h_neg_probe", "input port", H);
  }
  const char* counts[] = {"counts_i", "counts_f", "counts_o", "counts_g_pos", "counts_g_neg"};
  for (std::size_t g = 0; g < 5; ++g) {
    s.counts[g] = output_port(img, s.prefix + counts[g], H);
    s.populations[g] =
        index_of(img.populations, s.prefix + models::kGatePopulations[g], "population", H);
  }
  const auto& b = array_param(n, s.prefix + "biases", {5, static_cast<std::uint64_t>(H)});
  for (const double v : b) {
    if (v != static_cast<double>(static_cast<std::int32_t>(v)) || std::abs(v) > 4095)
      fail(fmt::format("array '{}biases' holds {:g}: bias mantissas are integers in -4095..4095",
                       s.prefix, v));
    s.biases.push_back(static_cast<std::int32_t>(v));
  }
  return s;
}

const mapper::HostNode& greedy_node(const mapper::MappedImage& image) {
  if (!is_seq2seq_image(image))
    throw InputError(fmt::format("the network's host nodes are not one node of kind {}",
                                 models::kSeq2SeqNodeKind));
  return image.host_nodes.front();
}

}  // namespace

bool is_seq2seq_image(const mapper::MappedImage& image) {
  return image.host_nodes.size() == 1 && image.host_nodes.front().kind == models::kSeq2SeqNodeKind;
}

Seq2SeqProgram seq2seq_program(const mapper::MappedImage& image) {
  const mapper::HostNode& n = greedy_node(image);
  Seq2SeqProgram p;
  p.layers = int_param(n, "layers", 1, 16);
  p.hidden = int_param(n, "hidden", 1, 4096);
  p.source_vocabulary = int_param(n, "source_vocabulary", 1, 1 << 16);
  p.target_vocabulary = int_param(n, "target_vocabulary", 1, 1 << 16);
  p.classes = int_param(n, "classes", 2, 1 << 16);
  p.bos = int_param(n, "bos", 0, p.target_vocabulary - 1);
  p.eos = int_param(n, "eos", 0, p.classes - 1);
  p.max_steps = int_param(n, "max_steps", 1, 1 << 16);
  p.bias_exp = int_param(n, "bias_exp", 0, 7);
  p.generator.kind = EncoderKind::kSignedAccumulator;
  p.generator.accumulator_scale = int_param(n, "scale", 1, 1 << 20);
  p.generator.accumulator_start = int_param(n, "start", 0, p.generator.accumulator_scale - 1);
  if (p.classes > p.target_vocabulary)
    fail(
        fmt::format("{} classes but {} decoder input tokens: an output class could not be fed "
                    "back",
                    p.classes, p.target_vocabulary));
  const auto C = static_cast<std::uint64_t>(p.classes), H = static_cast<std::uint64_t>(p.hidden);
  p.fc_weight = array_param(n, "fc_weight", {C, H});
  p.fc_bias = array_param(n, "fc_bias", {C});
  for (int k = 0; k < p.layers; ++k) {
    p.encoder.push_back(layer_sites(image, n, p, false, k));
    p.decoder.push_back(layer_sites(image, n, p, true, k));
  }
  return p;
}

namespace {

// What every string of a run shares.
struct Plan {
  const mapper::MappedImage& image;
  const Seq2SeqProgram& program;
  const InferenceOptions& options;
  const std::vector<DigitString>& strings;
  std::vector<const Seq2SeqLayerSites*> layers;  // encoder 0..K-1, then decoder 0..K-1
  std::vector<double> fc_weight, fc_bias;        // represented in the host format
  bool dts = false;                              // timestep skipping (options.dts)
  int probe_steps = 0;                           // P: the probe phase's steps (T: full length)
};

// One worker's chip session, generators (x and h, per layer of `Plan::layers`) and counters.
struct Worker {
  ChipSession session;
  std::vector<SpikeEncoder> gen_x, gen_h;
  std::vector<EncodedSpike> spikes;
  std::vector<std::vector<std::uint32_t>> fired_count;  // per chip core, per compartment
};

// A layer's host state.
struct LayerState {
  std::vector<double> h, c;
};

// One string in progress.
struct Sample {
  std::uint64_t index = 0;
  HostArithmetic host;
  std::vector<LayerState> layers;  // as Plan::layers
  std::uint64_t phases = 0;
  SampleResult& res;
};

// What a layer does in a phase: every gate, the input gate alone (the DTS probe), or the other
// four gates after a kept probe.
enum class Part : std::uint8_t { kFull, kProbe, kMain };

// The gates (kGatePopulations order) a part runs: [first, last).
std::pair<std::size_t, std::size_t> gates_of(Part part) {
  return part == Part::kFull    ? std::pair<std::size_t, std::size_t>{0, 5}
         : part == Part::kProbe ? std::pair<std::size_t, std::size_t>{0, 1}
                                : std::pair<std::size_t, std::size_t>{1, 5};
}

// A layer taking part in a phase, with its inputs gathered before the phase (so that updating a
// layer's h after the phase never changes what a layer above it read), and after a probe the
// input gate's counts and the decision.
struct Active {
  std::size_t layer = 0;
  std::vector<float> x, h;
  Part part = Part::kFull;
  std::vector<double> i_counts;
  bool kept = true;
};

std::vector<float> one_hot(int token, int size) {
  std::vector<float> v(static_cast<std::size_t>(size), 0.0f);
  v[static_cast<std::size_t>(token)] = 1.0f;
  return v;
}

std::vector<float> as_floats(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// The generator's spikes of this step into the main ports ([positive] or [positive, negative])
// and, in a full phase of a layer with a probe, into the probe's copies too (they alone feed the
// input gate); a probe phase sends to the probe's ports only.
void send_spikes(const Plan& plan, Worker& w, SpikeEncoder& gen, std::span<const int> main,
                 std::span<const int> probe, Part part, SampleResult& res) {
  w.spikes.clear();
  gen.step(w.spikes);
  const bool to_main = part != Part::kProbe, to_probe = part != Part::kMain && !probe.empty();
  const auto send = [&](std::span<const int> ports, const EncodedSpike& sp) {
    const std::size_t port = sp.value < 0 ? 1 : 0;
    if (port >= ports.size()) throw std::logic_error("a negative one-hot value");
    w.session.send(static_cast<std::size_t>(ports[port]), static_cast<std::size_t>(sp.element), 1,
                   plan.options.input_timing);
    ++res.input_spikes;
  };
  for (const EncodedSpike& sp : w.spikes) {
    if (to_main) send(main, sp);
    if (to_probe) send(probe, sp);
  }
}

// The active layers' biases (of the gates their part runs) written and generators started:
// host-link words.
std::uint64_t start_phase(const Plan& plan, Worker& w, Sample& s,
                          const std::vector<Active>& active) {
  const Seq2SeqProgram& p = plan.program;
  std::uint64_t words = 0;
  for (const Active& a : active) {
    const Seq2SeqLayerSites& sites = *plan.layers[a.layer];
    const auto [first, last] = gates_of(a.part);
    for (std::size_t g = first; g < last; ++g)
      for (int j = 0; j < p.hidden; ++j) {
        const std::int32_t m =
            sites.biases[g * static_cast<std::size_t>(p.hidden) + static_cast<std::size_t>(j)];
        w.session.set_bias(static_cast<std::size_t>(sites.populations[g]), j, m, p.bias_exp);
      }
    words += (last - first) * static_cast<std::uint64_t>(p.hidden);
    s.host.count_read(a.x.size() + a.h.size());
    w.gen_x[a.layer].start_symbol(a.x, s.index, s.phases);
    w.gen_h[a.layer].start_symbol(a.h, s.index, s.phases);
  }
  return words;
}

// The phase's T chip steps, counting each compartment's spikes; the host reads back the
// counts of the gates each layer ran (as many as the bias words written).
void run_steps(const Plan& plan, Worker& w, Sample& s, const std::vector<Active>& active,
               std::uint64_t words, int T) {
  const SpikeMap& map = w.session.spike_map();
  for (int t = 0; t < T; ++t) {
    for (const Active& a : active) {
      const Seq2SeqLayerSites& sites = *plan.layers[a.layer];
      const int h_ports[] = {sites.h_pos, sites.h_neg};
      const int h_probe[] = {sites.h_pos_probe, sites.h_neg_probe};
      send_spikes(plan, w, w.gen_x[a.layer], sites.x_ports, sites.x_probe_ports, a.part, s.res);
      send_spikes(plan, w, w.gen_h[a.layer], h_ports,
                  sites.has_probe() ? std::span<const int>(h_probe) : std::span<const int>(),
                  a.part, s.res);
    }
    core::HostTraffic traffic;
    if (t == 0) traffic.words = words;
    if (t == T - 1) traffic.readbacks = words;
    w.session.step(traffic);
    for (const std::int32_t c : map.cores) {
      std::uint32_t* const count = w.fired_count[static_cast<std::size_t>(c)].data();
      for (const std::int32_t cx : w.session.fired(c)) ++count[cx];
    }
  }
}

// Gate g's spike count of the phase, neuron j of the layer.
double gate_count(const Plan& plan, const Worker& w, const Seq2SeqLayerSites& sites, std::size_t g,
                  std::size_t j) {
  const auto& site = plan.image.output_ports[static_cast<std::size_t>(sites.counts[g])].neurons[j];
  return static_cast<double>(w.fired_count[static_cast<std::size_t>(site.core)]
                                          [static_cast<std::size_t>(site.compartment)]);
}

// Rates from the active layer's counts (the input gate's from the probe after one) and the
// hybrid cell: c = clamp(f c + i g), h = o phi2(c) (the same operations, in the same order, as
// the host nodes rate and lstm_cell).
void update_cell(const Plan& plan, const Worker& w, Sample& s, const Active& a) {
  const Seq2SeqLayerSites& sites = *plan.layers[a.layer];
  HostArithmetic& h = s.host;
  LayerState& st = s.layers[a.layer];
  const double inv_t = h.represent(1.0 / plan.options.steps_per_symbol);
  const auto count = [&](std::size_t g, std::size_t j) {
    return g == 0 && a.part == Part::kMain ? a.i_counts[j] : gate_count(plan, w, sites, g, j);
  };
  for (std::size_t j = 0; j < st.h.size(); ++j) {
    const double i = h.mul(count(0, j), inv_t), f = h.mul(count(1, j), inv_t),
                 o = h.mul(count(2, j), inv_t), g = h.mul(h.sub(count(3, j), count(4, j)), inv_t);
    const double c = h.clamp(h.add(h.mul(f, st.c[j]), h.mul(i, g)), -1.0, 1.0);
    st.h[j] = h.mul(o, h.phi2(c));
    st.c[j] = c;
  }
  const std::size_t H = st.h.size();
  h.count_read(5 * H + 5 * H);  // counts into rates, rates and c into the cell
  h.count_write(4 * H + 2 * H);
}

// The probe's decision: the input gate's mean rate sum(counts) / (H P) against tau (H - 1
// integer adds and one compare); below it the layer carries its (h, c).
void decide(const Plan& plan, const Worker& w, Sample& s, Active& a) {
  const Seq2SeqLayerSites& sites = *plan.layers[a.layer];
  const auto H = static_cast<std::size_t>(plan.program.hidden);
  a.i_counts.resize(H);
  double sum = 0;
  for (std::size_t j = 0; j < H; ++j) sum += a.i_counts[j] = gate_count(plan, w, sites, 0, j);
  s.host.count_integer(0, H - 1, 1);
  a.kept = sum / (static_cast<double>(H) * plan.probe_steps) >= plan.options.dts.tau;
  ++s.res.symbols_probed;
  if (!a.kept) ++s.res.symbols_skipped;
}

// Every compartment's count of the phase into its population's total, and back to 0.
void clear_counts(Worker& w, SampleResult& res) {
  const SpikeMap& map = w.session.spike_map();
  for (const std::int32_t c : map.cores) {
    auto& count = w.fired_count[static_cast<std::size_t>(c)];
    for (std::size_t x = 0; x < count.size(); ++x) {
      if (count[x] == 0) continue;
      const std::int32_t pop = map.site[static_cast<std::size_t>(c)][x].population;
      if (pop >= 0) res.population_spikes[static_cast<std::size_t>(pop)] += count[x];
      count[x] = 0;
    }
  }
}

// One phase: the chip state restarts (every gate's bias back to the image's 0), the active
// layers' biases and generators start, T steps run, and their cells update (or, after a probe,
// the host decides).
void run_phase(const Plan& plan, Worker& w, Sample& s, std::vector<Active>& active, int steps) {
  if (s.phases > 0) w.session.reset_state();
  const std::uint64_t words = start_phase(plan, w, s, active);
  run_steps(plan, w, s, active, words, steps);
  for (Active& a : active) {
    if (a.part == Part::kProbe)
      decide(plan, w, s, a);
    else
      update_cell(plan, w, s, a);
  }
  clear_counts(w, s.res);
  ++s.phases;
}

// The layers' step: one phase, and after probes a main phase for the layers kept. A full-length
// probe (P = T) shares its phase with the layers that run in full (an encoder layer's first
// symbol) and its input-gate counts stand, so a kept layer runs the other four gates; a shorter
// probe runs alone for P steps, and the kept layers then run every gate for T steps together
// with the full ones.
void run_layers(const Plan& plan, Worker& w, Sample& s, std::vector<Active> active) {
  const int T = plan.options.steps_per_symbol;
  std::vector<Active> main;
  if (plan.dts && plan.probe_steps < T) {
    std::vector<Active> probes;
    for (Active& a : active) (a.part == Part::kProbe ? probes : main).push_back(std::move(a));
    if (!probes.empty()) run_phase(plan, w, s, probes, plan.probe_steps);
    for (Active& a : probes)
      if (a.kept) {
        a.part = Part::kFull;
        main.push_back(std::move(a));
      }
  } else {
    run_phase(plan, w, s, active, T);
    for (Active& a : active)
      if (a.part == Part::kProbe && a.kept) {
        a.part = Part::kMain;
        main.push_back(std::move(a));
      }
  }
  if (!main.empty()) run_phase(plan, w, s, main, T);
}

// The encoder's skewed pipeline: in phase p, layer k takes symbol p - k.
void encode(const Plan& plan, Worker& w, Sample& s, const std::vector<int>& source) {
  const int K = plan.program.layers;
  const auto L = static_cast<int>(source.size());
  for (int p = 0; p + 1 < L + K; ++p) {
    std::vector<Active> active;
    for (int k = 0; k < K; ++k) {
      const int sym = p - k;
      if (sym < 0 || sym >= L) continue;
      const auto ku = static_cast<std::size_t>(k);
      Active a;
      a.layer = ku;
      a.x = k == 0 ? one_hot(source[static_cast<std::size_t>(sym)], plan.program.source_vocabulary)
                   : as_floats(s.layers[ku - 1].h);
      a.h = as_floats(s.layers[ku].h);
      a.part = plan.dts && sym > 0 ? Part::kProbe : Part::kFull;  // the first symbol: never skipped
      active.push_back(std::move(a));
    }
    run_layers(plan, w, s, std::move(active));
  }
}

// Greedy decoding from the encoder's final states: the output classes.
std::vector<int> decode(const Plan& plan, Worker& w, Sample& s) {
  const Seq2SeqProgram& p = plan.program;
  const auto K = static_cast<std::size_t>(p.layers);
  for (std::size_t k = 0; k < K; ++k) s.layers[K + k] = s.layers[k];
  s.host.count_read(2 * K * static_cast<std::size_t>(p.hidden));
  s.host.count_write(2 * K * static_cast<std::size_t>(p.hidden));
  std::vector<int> classes;
  std::vector<double> logits(static_cast<std::size_t>(p.classes));
  int token = p.bos;
  for (int step = 0; step < p.max_steps; ++step) {
    for (std::size_t k = 0; k < K; ++k) {
      Active a;
      a.layer = K + k;
      a.x = k == 0 ? one_hot(token, p.target_vocabulary) : as_floats(s.layers[K + k - 1].h);
      a.h = as_floats(s.layers[K + k].h);
      a.part = plan.dts ? Part::kProbe : Part::kFull;
      run_layers(plan, w, s, {std::move(a)});
    }
    s.host.linear(plan.fc_weight, plan.fc_bias, s.layers[2 * K - 1].h, logits);
    const int cls = static_cast<int>(s.host.argmax(logits));
    classes.push_back(cls);
    if (cls == p.eos) break;
    token = cls;
  }
  return classes;
}

void run_string(const Plan& plan, Worker& w, std::uint64_t index, SampleResult& res) {
  const Seq2SeqProgram& p = plan.program;
  const DigitString& str = plan.strings[index];
  for (const int d : str.source)
    if (d < 0 || d >= p.source_vocabulary)
      throw InputError(fmt::format("string {}: digit {} is outside the encoder's {} tokens", index,
                                   d, p.source_vocabulary));
  Sample s{index, HostArithmetic(plan.options.host_format), {}, 0, res};
  s.layers.assign(plan.layers.size(),
                  {std::vector<double>(static_cast<std::size_t>(p.hidden), 0.0),
                   std::vector<double>(static_cast<std::size_t>(p.hidden), 0.0)});
  res.population_spikes.assign(plan.image.populations.size(), 0);
  w.session.begin_sample();
  encode(plan, w, s, str.source);
  const std::vector<int> classes = decode(plan, w, s);
  const SequenceScore score = score_greedy(classes, str.target);
  res.tokens = score.tokens;
  res.correct_tokens = score.correct_tokens;
  res.label = 1;
  res.prediction = score.exact() ? 1 : 0;
  res.output.assign(static_cast<std::size_t>(p.max_steps), -1.0);
  std::copy(classes.begin(), classes.end(), res.output.begin());
  res.host = s.host.counts();
  const core::ChipAccountant& acct = *w.session.accountant();
  res.chip_steps = acct.steps();
  res.chip_ps = acct.elapsed_ps();
  res.chip_events = acct.energy_counts();
  res.core_totals = acct.core_totals();
}

void check_seq2seq_run(const mapper::MappedImage& image, const core::Architecture& arch,
                       const InferenceOptions& o) {
  if (o.steps_per_symbol < 1)
    throw InputError(fmt::format("steps per symbol T = {} must be at least 1", o.steps_per_symbol));
  if (image.architecture != arch.name)
    throw InputError("the mapped image was made for architecture '" + image.architecture +
                     "', not '" + arch.name + "': map it again for this architecture");
  if (o.reset != ResetPolicy::kSymbol)
    throw InputError("the encoder-decoder restarts the chip state every phase: reset: symbol");
}

// Timestep skipping needs every layer's probe ports and a probe of 1..T steps.
void check_seq2seq_dts(const Seq2SeqProgram& p, const InferenceOptions& o) {
  if (!o.dts.enabled()) return;
  if (o.dts.probe_steps < 0 || o.dts.probe_steps > o.steps_per_symbol)
    throw InputError(fmt::format("dts: probe_steps {} is outside 1..T ({})", o.dts.probe_steps,
                                 o.steps_per_symbol));
  for (const auto* stack : {&p.encoder, &p.decoder})
    for (const auto& l : *stack)
      if (!l.has_probe())
        throw InputError("dts: layer " + l.prefix + " has no probe ports (" + l.prefix +
                         "h_pos_probe, ...): convert with --dts-tau");
}

}  // namespace

InferenceRun run_seq2seq(const mapper::MappedImage& image, const core::Architecture& arch,
                         const std::vector<DigitString>& strings, const InferenceOptions& options,
                         const std::atomic<bool>* cancel,
                         const std::function<void(std::uint64_t)>& progress) {
  check_seq2seq_run(image, arch, options);
  const Seq2SeqProgram program = seq2seq_program(image);
  check_seq2seq_dts(program, options);
  Plan plan{image,
            program,
            options,
            strings,
            {},
            {},
            {},
            options.dts.enabled(),
            options.dts.probe_steps > 0 ? options.dts.probe_steps : options.steps_per_symbol};
  for (const auto* stack : {&program.encoder, &program.decoder})
    for (const auto& l : *stack) plan.layers.push_back(&l);
  HostArithmetic rep(options.host_format);
  for (const double v : program.fc_weight) plan.fc_weight.push_back(rep.represent(v));
  for (const double v : program.fc_bias) plan.fc_bias.push_back(rep.represent(v));

  const ChipSession prototype(image, &arch);
  const std::uint64_t n = options.samples == 0
                              ? strings.size()
                              : std::min<std::uint64_t>(options.samples, strings.size());
  InferenceRun run;
  run.samples.resize(n);
  const auto t0 = std::chrono::steady_clock::now();
  auto make_worker = [&] {
    auto w = std::make_unique<Worker>(Worker{prototype, {}, {}, {}, {}});
    w->gen_x.assign(plan.layers.size(), SpikeEncoder(program.generator));
    w->gen_h.assign(plan.layers.size(), SpikeEncoder(program.generator));
    w->fired_count.resize(image.cores.size());
    for (const std::int32_t c : prototype.spike_map().cores)
      w->fired_count[static_cast<std::size_t>(c)].assign(
          image.cores[static_cast<std::size_t>(c)].compartments.size(), 0);
    return w;
  };
  run.completed = parallel_items(
      n, options.threads, make_worker,
      [&](std::unique_ptr<Worker>& w, std::uint64_t i) { run_string(plan, *w, i, run.samples[i]); },
      [&](std::uint64_t done) {
        if (progress) progress(done);
      },
      cancel);
  run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

}  // namespace loihisim
