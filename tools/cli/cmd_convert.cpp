// `loihisim convert weights.h5 --method hybrid-lstm --steps T --arch loihi1 --out model.yaml`:
// trained LSTM weights (PyTorch or Keras layout) -> the hybrid analog-spiking LSTM's network
// (docs/hybrid-lstm.md) and a model file for `loihisim run`; maps it once to report the fit.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <string>

#include "formats/arch_io.hpp"
#include "formats/datasets.hpp"
#include "io/atomic_output.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/hybrid_lmu.hpp"
#include "models/hybrid_lstm.hpp"
#include "models/lstm_weights.hpp"
#include "models/model_file.hpp"
#include "models/spiking_lstm.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/model_paths.hpp"

namespace loihisim::tools {
namespace {

namespace fs = std::filesystem;

struct ConvertOptions {
  std::string weights;
  std::string method;
  int steps = 32;
  std::string arch = "loihi1";
  std::string out;
  std::string neuron = "auto";
  std::string signed_input = "auto";
  std::string host_format = "float32";
  std::string host_location = "external";
  std::string dataset, layout;
  bool bias_shift = false;
  std::string generator_start = "half";
  int replica = -1;  // spiking-lstm: all replicas (-1) or replica k alone
  // hybrid-lmu: the quantiser's omega and the construction's scales (0 / -1: the file's)
  double omega = 0;
  int quantum_bits = -1, memory_bits = -1;
};

models::HybridLstmOptions gate_options(const ConvertOptions& o, const core::Architecture& arch,
                                       InputScaling scaling) {
  models::HybridLstmOptions opt;
  if (o.neuron == "auto") {
    opt.neuron = arch.core.allow_reset_subtract ? models::GateNeuron::kNative
                                                : models::GateNeuron::kTwoCompartment;
  } else {
    opt.neuron = models::gate_neuron_from_string(o.neuron);
  }
  opt.bias_shift = o.bias_shift;
  opt.generator_half_start = o.generator_start == "half";
  opt.steps = o.steps;
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
                          const std::string& file_layout, InputScaling scaling,
                          const std::string& weights) {
  const std::string dataset = !o.dataset.empty() ? o.dataset : file_dataset;
  const std::string layout = !o.layout.empty() ? o.layout : file_layout;
  if (dataset.empty() || layout.empty())
    throw InputError(weights +
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
ModelSpec converted_model(const ConvertOptions& o, const std::string& name,
                          const fs::path& network_file) {
  ModelSpec m;
  m.name = name;
  m.network = network_file;
  m.prediction = "logits";
  m.host_format = host_number_format_from_string(o.host_format);
  m.host_location = parse_enum(kHostLocationNames, o.host_location, "host location");
  return m;
}

// How the converted network fits the architecture (spiking LSTM and hybrid LMU).
void print_fit(const mapper::MapReport& r, const std::string& arch) {
  fmt::print("  fits {}: {} cores on {} chip(s) (lower bound {}), {} compartments, {} synapses\n",
             arch, r.cores_used, r.chips_used, r.lower_bound, r.neurons, r.synapses);
}

// The model file's content: the dataset the weights were trained on, T, the hybrid's schedule.
ModelSpec hybrid_model(const ConvertOptions& o, const models::LstmWeights& w,
                       const models::HybridLstm& h, const models::HybridLstmOptions& opt,
                       InputScaling scaling, const fs::path& network_file) {
  ModelSpec m = converted_model(o, h.network.name, network_file);
  m.dataset = model_dataset(o, w.dataset, w.sequence_layout, scaling, o.weights);
  m.steps_per_symbol = o.steps;
  m.reset = ResetPolicy::kSymbol;
  // The gates integrate all T steps of the generators' spikes within the symbol.
  m.input_timing = InputTiming::kSameStep;
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method hybrid-lstm --steps {} --arch {} --neuron {} "
      "--generator-start {}{} --out {}\n"
      "The hybrid analog-spiking LSTM (docs/hybrid-lstm.md) of {} ({} cell, {} inputs, {} "
      "hidden, {} classes).\n"
      "{}",
      o.weights, o.steps, o.arch, models::to_string(opt.neuron), o.generator_start,
      o.bias_shift ? " --bias-shift" : "", o.out, o.weights, models::to_string(w.cell),
      w.input_size, w.hidden_size, w.classes, h.notes.front());
  return m;
}

void print_conversion(const ConvertOptions& o, const models::LstmWeights& w,
                      const models::HybridLstm& h, const models::HybridLstmOptions& opt,
                      const mapper::MapReport& r, const std::string& arch) {
  fmt::print("{} ({} cell, {} x {} -> {} hidden -> {} classes), T = {}, gate neurons: {}\n",
             o.weights, models::to_string(w.cell), w.input_size,
             w.sequence_layout.empty() ? "?" : w.sequence_layout, w.hidden_size, w.classes, o.steps,
             models::to_string(opt.neuron));
  for (const auto& note : h.notes) fmt::print("  {}\n", note);
  for (const auto& q : h.quantisation)
    fmt::print("  {}: {} values, max |error| {:.3g} (methods' integer units), {} clipped\n",
               q.parameter, q.count, q.max_abs_error, q.clipped);
  fmt::print("  fits {}: {} cores on {} chip(s) (lower bound {}), {} neurons, {} synapses\n", arch,
             r.cores_used, r.chips_used, r.lower_bound, r.neurons, r.synapses);
}

// What a conversion reads and the three files it writes, declared before any work.
void declare_files(OutputSet& files, const ConvertOptions& o, const fs::path& model_file,
                   const fs::path& network_file) {
  files.input(o.weights, "weight file");
  input_if_file(files, o.arch, "architecture file");
  files.output(model_file, "--out");
  files.output(network_file, "the network file beside --out");
  files.output(fs::path(network_file).replace_extension(".h5"), "the network's array file");
}

// `--method spiking-lstm`: the file's integer model (snn/chip) as it is; T is the file's.
void run_convert_spiking(const ConvertOptions& o) {
  const fs::path model_file = o.out;
  const fs::path network_file = model_base(model_file).string() + ".network.yaml";
  OutputSet files;
  declare_files(files, o, model_file, network_file);
  const core::Architecture arch = load_architecture(o.arch);
  const models::SpikingLstmChip full = models::read_spiking_lstm(o.weights);
  const models::SpikingLstmChip w = o.replica >= 0 ? models::single_replica(full, o.replica) : full;
  const InputScaling scaling = input_scaling_from_attribute(w.input_scaling, o.weights);
  // Back from the dataset's values to the pixel bytes the host weights multiply.
  const bool signed_in = scaling == InputScaling::kSigned;
  models::SpikingLstm s =
      models::convert_spiking_lstm(w, signed_in ? 127.5 : 255.0, signed_in ? 1.0 : 0.0);
  const std::string stem = model_base(model_file).filename().string();
  s.network.name = stem.empty() ? "spiking_lstm" : stem;
  const mapper::MapResult mapped = mapper::map_network(s.network, arch, {});
  ModelSpec m = converted_model(o, s.network.name, network_file);
  m.dataset = model_dataset(o, w.dataset, w.layout, scaling, o.weights);
  m.steps_per_symbol = 1;          // the T replicas run in lockstep: one chip step per symbol
  m.reset = ResetPolicy::kSample;  // membranes and cells carry from symbol to symbol
  m.input_timing = InputTiming::kSameStep;  // inputs are biases written before the step
  m.comment = fmt::format(
      "Written by: loihisim convert {} --method spiking-lstm --arch {}{} --out {}\n"
      "The all-spiking LSTM (docs/spiking-lstm.md, methods.md B) of {}: {}, {} inputs, {} "
      "hidden, {} classes.\n{}",
      o.weights, o.arch, o.replica >= 0 ? fmt::format(" --replica {}", o.replica) : "", o.out,
      o.weights,
      o.replica >= 0 ? fmt::format("replica {} of {} alone (for timing the serial schedule; its "
                                   "predictions use one replica's counts only)",
                                   o.replica, full.steps)
                     : fmt::format("T = {} replicas in lockstep", w.steps),
      w.inputs, w.hidden, w.classes, s.notes.front());
  mapper::write_network(s.network, network_file);
  write_model(model_file, m);
  files.commit();
  fmt::print(
      "{} (spiking LSTM, T = {}, {} inputs -> {} hidden -> {} classes{})\n", o.weights, w.steps,
      w.inputs, w.hidden, w.classes,
      w.test_accuracy >= 0
          ? fmt::format(", integer model's test accuracy {:.4f} (training script)", w.test_accuracy)
          : std::string());
  for (const auto& note : s.notes) fmt::print("  {}\n", note);
  print_fit(mapped.report, arch.name);
  if (o.replica >= 0)
    fmt::print(
        "  replica {} of {} alone: for timing the serial schedule (its accuracy is not "
        "the model's)\n",
        o.replica, full.steps);
  fmt::print("wrote {} and {}\n", model_file.string(), network_file.string());
}

// The hybrid LMU's omega and scales: the file's /chip_reference unless overridden; without one,
// both scales must be given.
// The Loihi 1 construction chooses K itself and lowers Fm from the given one (default: Fh, the
// finest) until the bit planes scale exactly (models::lmu_chip_binary).
models::LmuScales lmu_scales(const ConvertOptions& o, const models::LmuWeights& w, double omega,
                             bool binary) {
  models::LmuScales s;
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

// `--method hybrid-lmu` (methods.md D): a tools/train_lmu.py file -> sigma-delta neurons with
// graded spikes on cores, the memory on the host.
void run_convert_lmu(const ConvertOptions& o) {
  const fs::path model_file = o.out;
  const fs::path network_file = model_base(model_file).string() + ".network.yaml";
  OutputSet files;
  declare_files(files, o, model_file, network_file);
  const core::Architecture arch = load_architecture(o.arch);
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
  const models::LmuWeights w = models::read_lmu_weights(o.weights);
  const double omega = o.omega > 0 ? o.omega : w.omega;
  const models::LmuScales scales = lmu_scales(o, w, omega, binary);
  const models::LmuChip chip =
      binary ? models::lmu_chip_binary(
                   w, omega, scales,
                   {arch.core.max_input_axons, arch.core.max_synapse_formats,
                    image_sequence_length(w.layout == "pixel" ? SequenceLayout::kPixel
                                                              : SequenceLayout::kRow)})
             : models::lmu_chip(w, omega, scales);
  models::HybridLmu net = models::convert_hybrid_lmu(
      w, chip, binary ? models::LmuNeuron::kThreeCompartment : models::LmuNeuron::kNative);
  const std::string stem = model_base(model_file).filename().string();
  net.network.name = stem.empty() ? "hybrid_lmu" : stem;
  const mapper::MapResult mapped = mapper::map_network(net.network, arch, {});
  ModelSpec m = converted_model(o, net.network.name, network_file);
  m.dataset = model_dataset(o, w.dataset, w.layout, InputScaling::kUnit, o.weights);
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
  mapper::write_network(net.network, network_file);
  write_model(model_file, m);
  files.commit();
  fmt::print(
      "{} (hybrid-spiking LMU, d = {}, {} inputs -> {} hidden -> {} classes, omega {:g}{})\n",
      o.weights, w.d, w.inputs, w.hidden, w.classes, omega,
      w.chip_test_accuracy >= 0 && w.reference_omega == omega
          ? fmt::format(", integer model's test accuracy {:.4f} (training script)",
                        w.chip_test_accuracy)
          : std::string());
  for (const auto& note : net.notes) fmt::print("  {}\n", note);
  print_fit(mapped.report, arch.name);
  fmt::print("wrote {} and {}\n", model_file.string(), network_file.string());
}

void run_convert(const ConvertOptions& o) {
  if (o.method == "spiking-lstm") return run_convert_spiking(o);
  if (o.method == "hybrid-lmu") return run_convert_lmu(o);
  if (o.method != "hybrid-lstm")
    throw InputError("--method '" + o.method +
                     "': the converter knows hybrid-lstm, spiking-lstm and hybrid-lmu");
  if (o.steps < 1 || o.steps > (1 << 20))
    throw InputError(fmt::format("--steps {}: T must be in 1..{}", o.steps, 1 << 20));
  host_number_format_from_string(o.host_format);  // a bad format fails before any work
  const fs::path model_file = o.out;
  const fs::path network_file = model_base(model_file).string() + ".network.yaml";
  OutputSet files;
  declare_files(files, o, model_file, network_file);
  const core::Architecture arch = load_architecture(o.arch);
  const models::LstmWeights w = models::read_lstm_weights(o.weights);
  const InputScaling scaling = input_scaling_from_attribute(w.input_scaling, o.weights);
  const models::HybridLstmOptions opt = gate_options(o, arch, scaling);
  models::HybridLstm h = models::convert_hybrid_lstm(w, opt);
  const std::string stem = model_base(model_file).filename().string();
  h.network.name = stem.empty() ? "hybrid_lstm" : stem;
  // Map once now: a network that does not fit fails here, naming the limit, before any file
  // is written.
  const mapper::MapResult mapped = mapper::map_network(h.network, arch, {});
  const ModelSpec m = hybrid_model(o, w, h, opt, scaling, network_file);
  mapper::write_network(h.network, network_file);
  write_model(model_file, m);
  files.commit();
  print_conversion(o, w, h, opt, mapped.report, arch.name);
  fmt::print("wrote {} and {}\n", model_file.string(), network_file.string());
}

}  // namespace

void register_convert(CLI::App& app) {
  auto opt = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert trained LSTM weights (HDF5, PyTorch or Keras layout) into the hybrid "
      "analog-spiking LSTM (docs/hybrid-lstm.md): a network file and a model file for "
      "`loihisim run`");
  cmd->add_option("weights", opt->weights, "trained weights (HDF5)")->required();
  cmd->add_option("--method", opt->method,
                  "conversion method: hybrid-lstm (methods.md A, from LSTM weights), "
                  "spiking-lstm (methods.md B, from a tools/train_lstm.py --spiking-from file) or "
                  "hybrid-lmu (methods.md D, from a tools/train_lmu.py file)")
      ->required();
  cmd->add_option("--steps,-T", opt->steps,
                  "SNN steps per input symbol (T; hybrid-lstm: spiking-lstm files fix their own)")
      ->capture_default_str();
  cmd->add_option("--arch", opt->arch, "architecture: a shipped name (loihi1, ...) or a YAML file")
      ->capture_default_str();
  cmd->add_option("--out,-o", opt->out,
                  "model file to write (the network goes beside it as NAME.network.yaml)")
      ->required();
  cmd->add_option("--neuron", opt->neuron,
                  "hybrid-lstm gate neurons: auto (native where the architecture has reset by "
                  "subtraction, else two-compartment), native, two-compartment, hard-reset; "
                  "hybrid-lmu: auto (native where the architecture has graded spikes, else "
                  "three-compartment), native, three-compartment")
      ->capture_default_str()
      ->check(
          CLI::IsMember({"auto", "native", "two-compartment", "hard-reset", "three-compartment"}));
  cmd->add_option("--signed-input", opt->signed_input,
                  "encode negative inputs too: auto (from the file's input_scaling), yes, no")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "yes", "no"}));
  cmd->add_option("--host-format", opt->host_format,
                  "host coprocessor arithmetic: float32 or qI.F (I + F = 31)")
      ->capture_default_str();
  cmd->add_option("--host-location", opt->host_location, "host coprocessor: external or embedded")
      ->capture_default_str()
      ->check(CLI::IsMember({"external", "embedded"}));
  cmd->add_option("--dataset", opt->dataset, "dataset the model file names (default: the file's)")
      ->check(CLI::IsMember({"mnist", "fashion"}));
  cmd->add_option("--layout", opt->layout, "sequence layout (default: the file's)")
      ->check(CLI::IsMember({"row", "pixel"}));
  cmd->add_option("--replica", opt->replica,
                  "spiking-lstm: build replica k alone (its share of the spikes; the serial "
                  "schedule's cost is the sum over k, docs/spiking-lstm.md)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--omega", opt->omega,
                  "hybrid-lmu: the quantiser's omega (default: the file's; another value "
                  "quantises the same weights without fine-tuning)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--quantum-bits", opt->quantum_bits,
                  "hybrid-lmu: K, one payload unit = 2^K neuron units (default: the file's "
                  "/chip_reference)")
      ->check(CLI::Range(1, 23));
  cmd->add_option("--memory-bits", opt->memory_bits,
                  "hybrid-lmu: Fm, memory payloads m 2^Fm (default: the file's /chip_reference)")
      ->check(CLI::Range(0, 24));
  cmd->add_flag("--bias-shift", opt->bias_shift,
                "add the half-step bias shift threshold / (2 T) to the i, f, o gates "
                "(methods.md B; not part of methods.md A)");
  cmd->add_option("--generator-start", opt->generator_start,
                  "where the spike generators' accumulators restart each symbol: half (1024: "
                  "they emit round(T |a|) spikes) or zero (floor(T |a|))")
      ->capture_default_str()
      ->check(CLI::IsMember({"half", "zero"}));
  cmd->callback([opt] { run_convert(*opt); });
}

}  // namespace loihisim::tools
