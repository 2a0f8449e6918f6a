#include "models/conversion.hpp"

#include <fmt/core.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "formats/datasets.hpp"
#include "formats/seq2seq_weights.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "mapper/mapper.hpp"
#include "models/hybrid_lmu.hpp"
#include "models/hybrid_lstm.hpp"
#include "models/hybrid_seq2seq.hpp"
#include "models/lmu_weights.hpp"
#include "models/lstm_reduction.hpp"
#include "models/lstm_weights.hpp"
#include "models/seq2seq_reduction.hpp"
#include "models/spiking_lstm.hpp"

namespace loihisim::models {
namespace {

namespace fs = std::filesystem;

HybridLstmOptions gate_options(const ConvertOptions& o, const core::Architecture& arch,
                               InputScaling scaling) {
  HybridLstmOptions opt;
  if (o.neuron == "auto") {
    opt.neuron = arch.core.allow_reset_subtract ? GateNeuron::kNative : GateNeuron::kTwoCompartment;
  } else {
    opt.neuron = gate_neuron_from_string(o.neuron);
  }
  opt.bias_shift = o.bias_shift;
  opt.generator_half_start = o.generator_start == "half";
  opt.steps = o.steps;
  opt.dts_probe = o.dts_tau != "off";
  if (scaling == InputScaling::kSigned && o.signed_input == "no")
    throw InputError(o.weights +
                     ": the inputs are scaled into [-1, 1] (attribute input_scaling), so "
                     "--signed-input no would drop every negative value");
  // Inputs in [0, 1] (the default of tools/train_lstm.py) need no negative port.
  opt.signed_input =
      o.signed_input == "auto" ? scaling == InputScaling::kSigned : o.signed_input == "yes";
  return opt;
}

// The dataset a converted model runs on: the file's attributes unless overridden.
DatasetSpec model_dataset(const ConvertOptions& o, const std::string& file_dataset,
                          const std::string& file_layout, InputScaling scaling) {
  const std::string dataset = !o.dataset.empty() ? o.dataset : file_dataset;
  const std::string layout = !o.layout.empty() ? o.layout : file_layout;
  if (dataset.empty() || layout.empty())
    throw InputError(o.weights +
                     ": the file does not say which dataset and layout it was trained on "
                     "(attributes 'dataset', 'layout'): pass --dataset and --layout");
  DatasetSpec d;
  d.name = dataset;
  d.layout = parse_enum(kSequenceLayoutNames, layout, "sequence layout");
  d.scaling = scaling;
  return d;
}

// What every converted model file shares: its name, the network beside it, the logits as the
// prediction, and the host coprocessor the options name.
ModelSpec converted_model(const ConvertOptions& o, const std::string& name) {
  ModelSpec m;
  m.name = name;
  m.network = network_file_beside(o.out);
  m.prediction = "logits";
  m.host_format = host_number_format_from_string(o.host_format);
  m.host_location = parse_enum(kHostLocationNames, o.host_location, "host location");
  return m;
}

// The network's name: the model file's stem, or the method's when it has none.
std::string network_name(const ConvertOptions& o, const char* fallback) {
  const std::string stem = model_base(o.out).filename().string();
  return stem.empty() ? fallback : stem;
}

// How the converted network fits the architecture (spiking LSTM and hybrid LMU).
std::string fit_text(const mapper::MapReport& r, const std::string& arch) {
  return fmt::format(
      "  fits {}: {} cores on {} chip(s) (lower bound {}), {} compartments, {} synapses\n", arch,
      r.cores_used, r.chips_used, r.lower_bound, r.neurons, r.synapses);
}

// The model file's content: the dataset the weights were trained on, T, the hybrid's schedule.
ModelSpec hybrid_model(const ConvertOptions& o, const LstmWeights& w, const HybridLstm& h,
                       const HybridLstmOptions& opt, InputScaling scaling) {
  ModelSpec m = converted_model(o, h.network.name);
  m.dataset = model_dataset(o, w.dataset, w.sequence_layout, scaling);
  m.steps_per_symbol = o.steps;
  m.reset = ResetPolicy::kSymbol;
  // The gates integrate all T steps of the generators' spikes within the symbol.
  m.input_timing = InputTiming::kSameStep;
  if (opt.dts_probe) {
    m.dts.tau = parse_dts_tau(o.dts_tau);
    m.dts.probe_encoders.assign(std::begin(kDtsProbeEncoders), std::end(kDtsProbeEncoders));
    m.dts.probe_port = kDtsProbePort;
    m.dts.probe_steps = o.dts_probe_steps;
  }
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method hybrid-lstm --steps {} --arch {} --neuron {} "
      "--generator-start {}{}{}{} --out {}\n"
      "The hybrid analog-spiking LSTM (docs/hybrid-lstm.md) of {} ({} cell, {} inputs, {} "
      "hidden, {} classes).\n"
      "{}",
      o.weights, o.steps, o.arch, to_string(opt.neuron), o.generator_start,
      o.bias_shift ? " --bias-shift" : "",
      opt.dts_probe
          ? " --dts-tau " + o.dts_tau +
                (o.dts_probe_steps ? fmt::format(" --dts-probe-steps {}", o.dts_probe_steps) : "")
          : "",
      o.dsr != "off" ? " --dsr " + o.dsr : "", o.out, o.weights, to_string(w.cell), w.input_size,
      w.hidden_size, w.classes, h.notes.front());
  return m;
}

std::string hybrid_text(const ConvertOptions& o, const LstmWeights& w, const HybridLstm& h,
                        const HybridLstmOptions& opt, const mapper::MapReport& r,
                        const std::string& arch) {
  std::string t = fmt::format(
      "{} ({} cell, {} x {} -> {} hidden -> {} classes), T = {}, gate neurons: {}\n", o.weights,
      to_string(w.cell), w.input_size, w.sequence_layout.empty() ? "?" : w.sequence_layout,
      w.hidden_size, w.classes, o.steps, to_string(opt.neuron));
  for (const auto& note : h.notes) t += fmt::format("  {}\n", note);
  for (const auto& q : h.quantisation)
    t += fmt::format("  {}: {} values, max |error| {:.3g} (methods' integer units), {} clipped\n",
                     q.parameter, q.count, q.max_abs_error, q.clipped);
  t += fmt::format("  fits {}: {} cores on {} chip(s) (lower bound {}), {} neurons, {} synapses\n",
                   arch, r.cores_used, r.chips_used, r.lower_bound, r.neurons, r.synapses);
  return t;
}

// The weights with DSR's fixed:K applied (the K most important cells; the others are not
// mapped), or as read.
LstmWeights reduced_weights(const ConvertOptions& o) {
  LstmWeights w = read_lstm_weights(o.weights);
  const DsrPolicy p = parse_dsr_policy(o.dsr, w.hidden_size);
  if (p.kind == DsrPolicy::Kind::kComplexity)
    throw InputError(
        "--dsr " + o.dsr +
        ": on the chip only fixed:K (the K most important cells mapped); a per-sequence k "
        "would need the chip's compartments reconfigured per sequence (docs/hybrid-lstm.md, "
        "\"AxLSTM on the chip\")");
  if (p.kind == DsrPolicy::Kind::kFixed) w = restrict_lstm(w, most_important_cells(w, p.k));
  return w;
}

// `--method hybrid-lstm` (methods.md A).
Conversion convert_hybrid(const ConvertOptions& o, const core::Architecture& arch) {
  const LstmWeights w = reduced_weights(o);
  const InputScaling scaling = input_scaling_from_attribute(w.input_scaling, o.weights);
  const HybridLstmOptions opt = gate_options(o, arch, scaling);
  HybridLstm h = convert_hybrid_lstm(w, opt);
  h.network.name = network_name(o, "hybrid_lstm");
  Conversion c;
  c.fit = mapper::map_network(h.network, arch, {}).report;
  c.model = hybrid_model(o, w, h, opt, scaling);
  c.text = hybrid_text(o, w, h, opt, c.fit, arch.name);
  c.network = std::move(h.network);
  return c;
}

// `--method spiking-lstm` (methods.md B): the file's integer model (snn/chip) as it is; T is the
// file's.
Conversion convert_spiking(const ConvertOptions& o, const core::Architecture& arch) {
  const SpikingLstmChip full = read_spiking_lstm(o.weights);
  const SpikingLstmChip w = o.replica >= 0 ? single_replica(full, o.replica) : full;
  const InputScaling scaling = input_scaling_from_attribute(w.input_scaling, o.weights);
  // Back from the dataset's values to the pixel bytes the host weights multiply.
  const bool signed_in = scaling == InputScaling::kSigned;
  SpikingLstm s = convert_spiking_lstm(w, signed_in ? 127.5 : 255.0, signed_in ? 1.0 : 0.0);
  s.network.name = network_name(o, "spiking_lstm");
  Conversion c;
  c.fit = mapper::map_network(s.network, arch, {}).report;
  ModelSpec& m = c.model = converted_model(o, s.network.name);
  m.dataset = model_dataset(o, w.dataset, w.layout, scaling);
  m.steps_per_symbol = 1;                   // the T replicas run in lockstep: one step per symbol
  m.reset = ResetPolicy::kSample;           // membranes and cells carry from symbol to symbol
  m.input_timing = InputTiming::kSameStep;  // inputs are biases written before the step
  const std::string replica = o.replica >= 0 ? fmt::format(" --replica {}", o.replica) : "";
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method spiking-lstm --arch {}{} --out {}\n"
      "The all-spiking LSTM (docs/spiking-lstm.md, methods.md B) of {}: {}, {} inputs, {} "
      "hidden, {} classes.\n{}",
      o.weights, o.arch, replica, o.out, o.weights,
      o.replica >= 0 ? fmt::format("replica {} of {} alone (for timing the serial schedule; its "
                                   "predictions use one replica's counts only)",
                                   o.replica, full.steps)
                     : fmt::format("T = {} replicas in lockstep", w.steps),
      w.inputs, w.hidden, w.classes, s.notes.front());
  c.text = fmt::format(
      "{} (spiking LSTM, T = {}, {} inputs -> {} hidden -> {} classes{})\n", o.weights, w.steps,
      w.inputs, w.hidden, w.classes,
      w.test_accuracy >= 0
          ? fmt::format(", integer model's test accuracy {:.4f} (training script)", w.test_accuracy)
          : std::string());
  for (const auto& note : s.notes) c.text += fmt::format("  {}\n", note);
  c.text += fit_text(c.fit, arch.name);
  if (o.replica >= 0)
    c.text += fmt::format(
        "  replica {} of {} alone: for timing the serial schedule (its accuracy is not the "
        "model's)\n",
        o.replica, full.steps);
  c.network = std::move(s.network);
  return c;
}

// The hybrid LMU's omega and scales: the file's /chip_reference unless overridden; without one,
// both scales must be given. The Loihi 1 construction (`binary`) chooses K itself and lowers Fm
// from the given one (default: Fh, the finest) until the bit planes fit (lmu_chip_binary).
LmuScales lmu_scales(const ConvertOptions& o, const LmuWeights& w, double omega, bool binary) {
  LmuScales s;
  const bool reference = w.reference_scales && w.reference_omega == omega;
  if (reference) s = *w.reference_scales;
  if (o.quantum_bits >= 0) s.quantum_bits = o.quantum_bits;
  if (o.memory_bits >= 0) s.memory_bits = o.memory_bits;
  if (binary) {
    if (o.memory_bits < 0) s.memory_bits = s.state_bits;
    return s;
  }
  if (!reference && (o.quantum_bits < 0 || o.memory_bits < 0))
    throw InputError(fmt::format(
        "{}: no /chip_reference for omega {:g} to take the scales from: give --quantum-bits K and "
        "--memory-bits Fm (docs/hybrid-lmu.md, \"Scaling\"), or write one with tools/train_lmu.py "
        "--eval FILE --omegas W --chip --chip-reference",
        o.weights, omega));
  return s;
}

// Native sigma-delta neurons (graded spikes) or Loihi 1's three compartments (binary spikes,
// bit planes): --neuron, or by the architecture.
bool lmu_binary(const ConvertOptions& o, const core::Architecture& arch) {
  if (o.neuron == "two-compartment" || o.neuron == "hard-reset")
    throw InputError("--neuron " + o.neuron +
                     " is a hybrid-lstm gate neuron; hybrid-lmu has native and three-compartment");
  const bool binary =
      o.neuron == "three-compartment" || (o.neuron == "auto" && !arch.core.allow_graded_spikes);
  if (!binary && !arch.core.allow_graded_spikes)
    throw InputError(fmt::format(
        "--arch {}: the native neurons send graded spikes (payload n) and {} has binary spikes "
        "only: use --neuron three-compartment (docs/hybrid-lmu.md, \"Loihi 1\")",
        o.arch, arch.name));
  return binary;
}

LmuChip lmu_integers(const ConvertOptions& o, const core::Architecture& arch, const LmuWeights& w,
                     double omega, bool binary) {
  const LmuScales scales = lmu_scales(o, w, omega, binary);
  if (!binary) return lmu_chip(w, omega, scales);
  const SequenceLayout layout = w.layout == "pixel" ? SequenceLayout::kPixel : SequenceLayout::kRow;
  return lmu_chip_binary(
      w, omega, scales,
      {arch.core.max_input_axons, arch.core.max_synapse_formats, image_sequence_length(layout)});
}

std::string lmu_text(const ConvertOptions& o, const LmuWeights& w, const HybridLmu& net,
                     double omega, const mapper::MapReport& fit, const std::string& arch) {
  std::string t = fmt::format(
      "{} (hybrid-spiking LMU, d = {}, {} inputs -> {} hidden -> {} classes, omega {:g}{})\n",
      o.weights, w.d, w.inputs, w.hidden, w.classes, omega,
      w.chip_test_accuracy >= 0 && w.reference_omega == omega
          ? fmt::format(", integer model's test accuracy {:.4f} (training script)",
                        w.chip_test_accuracy)
          : std::string());
  for (const auto& note : net.notes) t += fmt::format("  {}\n", note);
  return t + fit_text(fit, arch);
}

// `--method hybrid-lmu` (methods.md D): a tools/train_lmu.py file -> sigma-delta neurons with
// graded spikes on cores, the memory on the host.
Conversion convert_lmu(const ConvertOptions& o, const core::Architecture& arch) {
  const bool binary = lmu_binary(o, arch);
  const LmuWeights w = read_lmu_weights(o.weights);
  const double omega = o.omega > 0 ? o.omega : w.omega;
  const LmuChip chip = lmu_integers(o, arch, w, omega, binary);
  HybridLmu net =
      convert_hybrid_lmu(w, chip, binary ? LmuNeuron::kThreeCompartment : LmuNeuron::kNative);
  net.network.name = network_name(o, "hybrid_lmu");
  Conversion c;
  c.fit = mapper::map_network(net.network, arch, {}).report;
  ModelSpec& m = c.model = converted_model(o, net.network.name);
  m.dataset = model_dataset(o, w.dataset, w.layout, InputScaling::kUnit);
  if (m.dataset.layout == SequenceLayout::kPixel && w.permutation_seed >= 0)
    m.dataset.permutation_seed = w.permutation_seed;
  m.steps_per_symbol = 1;                   // one chip step per input step
  m.reset = ResetPolicy::kSample;           // V carries from step to step
  m.input_timing = InputTiming::kSameStep;  // the host runs one step ahead of the barrier
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method hybrid-lmu --arch {}{}{} --out {}\n"
      "The hybrid-spiking LMU (docs/hybrid-lmu.md, methods.md D) of {}: d = {}, {} inputs, {} "
      "hidden, {} classes, omega {:g}.\n{}",
      o.weights, o.arch, o.omega > 0 ? fmt::format(" --omega {:g}", o.omega) : "",
      o.neuron != "auto" ? " --neuron " + o.neuron : std::string(), o.out, o.weights, w.d, w.inputs,
      w.hidden, w.classes, omega, net.notes.front());
  c.text = lmu_text(o, w, net, omega, c.fit, arch.name);
  c.network = std::move(net.network);
  return c;
}

// `--dsr` on the chip's encoder-decoder: fixed:K maps the K most important cells of every layer
// (models/seq2seq_reduction.hpp); a per-string k (complexity:) would need the cores reconfigured
// for every string.
int seq2seq_chip_cells(const ConvertOptions& o, const Seq2SeqWeights& w) {
  const DsrPolicy p = parse_dsr_policy(o.dsr, w.hidden);
  if (p.kind == DsrPolicy::Kind::kComplexity)
    throw InputError("--dsr " + o.dsr +
                     ": on the chip the encoder-decoder takes fixed:K only (a per-string k would "
                     "need the compartments reconfigured for every string)");
  return p.kind == DsrPolicy::Kind::kFixed ? p.k : w.hidden;
}

// `--method hybrid-seq2seq`: the encoder-decoder of formats/seq2seq_weights.hpp, run on the
// sort-digits test strings with greedy decoding (runtime/seq2seq_inference.hpp).
Conversion convert_seq2seq(const ConvertOptions& o, const core::Architecture& arch) {
  const Seq2SeqWeights full = read_seq2seq_weights(o.weights);
  const Seq2SeqWeights w = restrict_seq2seq(full, seq2seq_chip_cells(o, full));
  if (o.signed_input != "auto")
    throw InputError(
        "--signed-input: hybrid-seq2seq sets it per layer (one-hot tokens below, "
        "signed h above)");
  const HybridLstmOptions opt = gate_options(o, arch, InputScaling::kUnit);
  HybridLstm h = convert_hybrid_seq2seq(w, opt, SortDigitsTask::kDecodeSteps);
  h.network.name = network_name(o, "hybrid_seq2seq");
  Conversion c;
  c.fit = mapper::map_network(h.network, arch, {}).report;
  ModelSpec& m = c.model = converted_model(o, h.network.name);
  m.prediction = "classes";
  m.dataset.name = "sort-digits";
  m.dataset.split = "test";
  m.steps_per_symbol = o.steps;
  m.reset = ResetPolicy::kSymbol;
  m.input_timing = InputTiming::kSameStep;
  if (opt.dts_probe) {  // every layer's input gate, probed by the host node's generators
    m.dts.tau = parse_dts_tau(o.dts_tau);
    m.dts.probe_encoders = {kSeq2SeqNodeName};
    m.dts.probe_port = "counts_i";
    m.dts.probe_steps = o.dts_probe_steps;
  }
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method hybrid-seq2seq --steps {} --arch {} --neuron {} "
      "--generator-start {}{}{}{}{} --out {}\n"
      "The hybrid encoder-decoder (docs/hybrid-lstm.md, \"Encoder-decoder on the chip\") of {}: "
      "{} layers of {} cells each side, greedy decoding.\n{}",
      o.weights, o.steps, o.arch, to_string(opt.neuron), o.generator_start,
      o.bias_shift ? " --bias-shift" : "", opt.dts_probe ? " --dts-tau " + o.dts_tau : "",
      o.dts_probe_steps ? fmt::format(" --dts-probe-steps {}", o.dts_probe_steps) : "",
      o.dsr != "off" ? " --dsr " + o.dsr : "", o.out, o.weights, w.layers, w.hidden,
      h.notes.front());
  c.text = fmt::format(
      "{} (encoder-decoder, {} cell, {} + {} layers of {}{}), T = {}, gate "
      "neurons: {}\n",
      o.weights, w.modified ? "modified" : "standard", w.layers, w.layers, w.hidden,
      w.hidden < full.hidden
          ? fmt::format(" (--dsr {}: the most important of {})", o.dsr, full.hidden)
          : "",
      o.steps, to_string(opt.neuron));
  for (const auto& note : h.notes) c.text += fmt::format("  {}\n", note);
  for (const auto& q : h.quantisation)
    c.text += fmt::format(
        "  {}: {} values, max |error| {:.3g} (methods' integer units), {} "
        "clipped\n",
        q.parameter, q.count, q.max_abs_error, q.clipped);
  c.text += fit_text(c.fit, arch.name);
  c.network = std::move(h.network);
  return c;
}

}  // namespace

fs::path model_base(fs::path model_file) {
  if (model_file.extension() == ".yaml" || model_file.extension() == ".yml")
    model_file.replace_extension();
  if (model_file.extension() == ".model") model_file.replace_extension();
  return model_file;
}

fs::path network_file_beside(const fs::path& out) {
  return model_base(out).string() + ".network.yaml";
}

void check_convert_options(const ConvertOptions& o) {
  if (o.method != "hybrid-lstm" && o.method != "hybrid-seq2seq" && o.method != "spiking-lstm" &&
      o.method != "hybrid-lmu")
    throw InputError("--method '" + o.method +
                     "': the converter knows hybrid-lstm, hybrid-seq2seq, spiking-lstm and "
                     "hybrid-lmu");
  // The command line's parser checks these choices too; callers without it (Python) rely on
  // this.
  const auto choice = [](const std::string& option, const std::string& value,
                         std::initializer_list<const char*> allowed) {
    std::string list;
    for (const char* a : allowed) {
      if (value == a) return;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    throw InputError(fmt::format("{} '{}': one of {}", option, value, list));
  };
  choice("--neuron", o.neuron,
         {"auto", "native", "two-compartment", "hard-reset", "three-compartment"});
  choice("--signed-input", o.signed_input, {"auto", "yes", "no"});
  choice("--host-location", o.host_location, {"external", "embedded"});
  choice("--generator-start", o.generator_start, {"half", "zero"});
  if (o.method != "hybrid-lstm" && o.method != "hybrid-seq2seq" &&
      (o.dts_tau != "off" || o.dsr != "off"))
    throw InputError("--dts-tau and --dsr apply to --method hybrid-lstm and hybrid-seq2seq");
  if (o.method != "hybrid-lstm" && o.method != "hybrid-seq2seq") return;
  if (o.dts_tau != "off") parse_dts_tau(o.dts_tau);
  if (o.dts_probe_steps != 0 &&
      (o.dts_tau == "off" || o.dts_probe_steps < 1 || o.dts_probe_steps > o.steps))
    throw InputError(fmt::format("--dts-probe-steps {}: needs --dts-tau and 1 <= P <= T ({})",
                                 o.dts_probe_steps, o.steps));
  if (o.steps < 1 || o.steps > (1 << 20))
    throw InputError(fmt::format("--steps {}: T must be in 1..{}", o.steps, 1 << 20));
  host_number_format_from_string(o.host_format);  // a bad format fails before any work
}

Conversion convert_weights(const ConvertOptions& o, const core::Architecture& arch) {
  check_convert_options(o);
  if (o.method == "spiking-lstm") return convert_spiking(o, arch);
  if (o.method == "hybrid-lmu") return convert_lmu(o, arch);
  if (o.method == "hybrid-seq2seq") return convert_seq2seq(o, arch);
  return convert_hybrid(o, arch);
}

}  // namespace loihisim::models
