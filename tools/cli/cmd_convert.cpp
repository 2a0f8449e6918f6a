// `loihisim convert weights.h5 --method hybrid-lstm --steps T --arch loihi1 --out model.yaml`:
// trained weights -> a network (docs/hybrid-lstm.md, docs/spiking-lstm.md, docs/hybrid-lmu.md)
// and a model file for `loihisim run`; maps it once to report the fit. The conversion itself is
// models/conversion.cpp (the Python module calls it too).
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <string>

#include "formats/arch_io.hpp"
#include "io/atomic_output.hpp"
#include "mapper/network_io.hpp"
#include "models/conversion.hpp"
#include "models/model_file.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"

namespace loihisim::tools {
namespace {

namespace fs = std::filesystem;
using ConvertOptions = models::ConvertOptions;

// What a conversion reads and the three files it writes, declared before any work.
void declare_files(OutputSet& files, const ConvertOptions& o, const fs::path& model_file,
                   const fs::path& network_file) {
  files.input(o.weights, "weight file");
  input_if_file(files, o.arch, "architecture file");
  files.output(model_file, "--out");
  files.output(network_file, "the network file beside --out");
  files.output(fs::path(network_file).replace_extension(".h5"), "the network's array file");
}

void run_convert(const ConvertOptions& o) {
  models::check_convert_options(o);
  const fs::path model_file = o.out;
  const fs::path network_file = models::network_file_beside(model_file);
  OutputSet files;
  declare_files(files, o, model_file, network_file);
  const core::Architecture arch = load_architecture(o.arch);
  const models::Conversion c = models::convert_weights(o, arch);
  mapper::write_network(c.network, network_file);
  write_model(model_file, c.model);
  files.commit();
  fmt::print("{}wrote {} and {}\n", c.text, model_file.string(), network_file.string());
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
                  "conversion method: hybrid-lstm (methods.md A), hybrid-seq2seq (A for a "
                  "sort-digits encoder-decoder), spiking-lstm (methods.md B, a --spiking-from "
                  "file) or hybrid-lmu (methods.md D, a tools/train_lmu.py file)")
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
  cmd->add_option("--dts-tau", opt->dts_tau,
                  "hybrid-lstm, AxLSTM's timestep skipping: the input gate runs alone first "
                  "and a symbol whose mean input-gate rate is below TAU (0..1) runs no other "
                  "chip steps (docs/hybrid-lstm.md, \"AxLSTM on the chip\")")
      ->capture_default_str();
  cmd->add_option("--dts-probe-steps", opt->dts_probe_steps,
                  "hybrid-lstm with --dts-tau: the probe runs P of the T steps (default T); a "
                  "kept symbol then runs every gate for T steps after it");
  cmd->add_option("--dsr", opt->dsr,
                  "hybrid-lstm, AxLSTM's state reduction: off or fixed:K (only the K most "
                  "important cells are mapped)")
      ->capture_default_str();
  cmd->callback([opt] { run_convert(*opt); });
}

}  // namespace loihisim::tools
