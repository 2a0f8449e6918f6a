// `loihisim import-nir GRAPH.nir --out MODEL.yaml [--arch loihi1] [--dt 1e-4] [--approximate]
// [--synthetic-input STEPS] [--record ACTIVITY.h5]`: read a NIR graph, lower it to a network
// with a quantisation report, map it, write the model file for `loihisim run`, and optionally
// run it and record its activity in NIRData layout (docs/nir.md).
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "formats/arch_io.hpp"
#include "io/atomic_output.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_io.hpp"
#include "models/model_file.hpp"
#include "models/nir_files.hpp"
#include "models/nir_graph.hpp"
#include "models/nir_lower.hpp"
#include "runtime/nir_run.hpp"
#include "tools/cli/cli_files.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/model_paths.hpp"

namespace loihisim::tools {
namespace {

namespace fs = std::filesystem;
namespace nir = models::nir;

struct ImportNirOptions {
  std::string graph;
  std::string out;
  std::string arch = "loihi1";
  double dt = 1e-4;
  bool approximate = false;
  std::string reset = "zero";
  int weight_bits = 8;
  std::int64_t synthetic_steps = 0;
  std::int64_t samples = 1;
  double rate = 0.1;
  std::uint64_t seed = 1;
  std::string input;
  std::string record;
  bool trace_voltage = false;
  std::string placer = "metis";
  bool quiet = false;
};

std::string command_line(const ImportNirOptions& o) {
  std::string c = fmt::format("loihisim import-nir {} --out {} --arch {} --dt {}", o.graph, o.out,
                              o.arch, o.dt);
  if (o.approximate) c += " --approximate";
  if (o.reset != "zero") c += " --reset " + o.reset;
  if (o.weight_bits != 8) c += fmt::format(" --weight-bits {}", o.weight_bits);
  if (o.synthetic_steps > 0)
    c += fmt::format(" --synthetic-input {} --samples {} --rate {} --seed {}", o.synthetic_steps,
                     o.samples, o.rate, o.seed);
  if (!o.input.empty()) c += " --input " + o.input;
  if (!o.record.empty()) c += " --record " + o.record;
  if (o.trace_voltage) c += " --trace-voltage";
  return c;
}

std::string mapping_summary(const mapper::MapReport& r) {
  double cx = 0, ax = 0, ox = 0, syn = 0, cx_max = 0, ax_max = 0, ox_max = 0, syn_max = 0;
  int used = 0;
  for (const auto& c : r.cores) {
    if (c.compartments == 0) continue;
    ++used;
    const auto frac = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    const double f_cx = frac(c.compartments, c.compartment_limit),
                 f_ax = frac(c.input_axons, c.input_axon_limit),
                 f_ox = frac(c.output_axons, c.output_axon_limit),
                 f_syn = frac(static_cast<double>(c.synapse_bits),
                              static_cast<double>(c.synapse_bit_limit));
    cx += f_cx;
    ax += f_ax;
    ox += f_ox;
    syn += f_syn;
    cx_max = std::max(cx_max, f_cx);
    ax_max = std::max(ax_max, f_ax);
    ox_max = std::max(ox_max, f_ox);
    syn_max = std::max(syn_max, f_syn);
  }
  const double n = used > 0 ? used : 1;
  return fmt::format(
      "mapped on {}: {} core(s) on {} chip(s) (lower bound {}), {} neurons, {} synapses\n"
      "utilisation per used core, mean / max: compartments {:.1f}% / {:.1f}%, input axons "
      "{:.1f}% / {:.1f}%, output axons {:.1f}% / {:.1f}%, synapse memory {:.1f}% / {:.1f}%\n",
      r.architecture, r.cores_used, r.chips_used, r.lower_bound, r.neurons, r.synapses,
      100 * cx / n, 100 * cx_max, 100 * ax / n, 100 * ax_max, 100 * ox / n, 100 * ox_max,
      100 * syn / n, 100 * syn_max);
}

// The files an import writes, all named after the model file (the input file may be given).
struct ImportFiles {
  fs::path model, network, report, input;
};

ImportFiles import_files(const ImportNirOptions& opt) {
  ImportFiles f;
  f.model = opt.out;
  const fs::path base = model_base(f.model);
  f.network = base.string() + ".network.yaml";
  f.report = base.string() + ".quant.yaml";
  f.input = !opt.input.empty() ? fs::path(opt.input) : fs::path(base.string() + ".input.h5");
  return f;
}

nir::Lowered lower_graph(const ImportNirOptions& opt, const nir::FlatGraph& flat) {
  nir::LowerOptions lo;
  lo.dt = opt.dt;
  lo.approximate = opt.approximate;
  lo.reset = parse_enum(core::kResetModeNames, opt.reset, "reset");
  lo.weight_bits = opt.weight_bits;
  nir::Lowered lowered = nir::lower(flat, lo);
  if (lowered.prediction.empty())
    throw InputError(fmt::format(
        "{}: the model file for `loihisim run` needs exactly one Input and at least one Output "
        "node; this graph has {} and {}",
        opt.graph, lowered.inputs.size(), lowered.outputs.size()));
  return lowered;
}

// The graph, its populations, the quantisation table, warnings and notes.
void print_lowering(const ImportNirOptions& opt, const nir::NirFile& file,
                    const nir::FlatGraph& flat, const nir::Lowered& lowered) {
  fmt::print("{}: {} nodes ({} after flattening), {} edges; NIR version '{}'\n", opt.graph,
             file.graph.nodes.size(), flat.nodes.size(), flat.edges.size(), file.version);
  fmt::print("{:<28} {:<8} {:>8} {:>6} {:>14}  {}\n", "population (NIR node)", "type", "neurons",
             "depth", "scale", "scale set by");
  for (const auto& p : lowered.populations)
    fmt::print("{:<28} {:<8} {:>8} {:>6} {:>14.6g}  {}\n", p.nir_node, p.type, p.size, p.depth,
               *std::max_element(p.scale.begin(), p.scale.end()), p.scale_limit);
  fmt::print("{} projections, {} synapses\n", lowered.network->projections().size(),
             lowered.network->num_synapses());
  if (!opt.quiet)
    fmt::print("\nquantisation (docs/nir.md):\n{}", nir::quantisation_table(lowered.quantisation));
  for (const auto& w : lowered.warnings) fmt::print(stderr, "warning: {}\n", w);
  for (const auto& n : lowered.notes) fmt::print("note: {}\n", n);
}

// The input spikes: synthetic, read from --input, or none; checked against the graph's inputs.
std::optional<SequenceDataset> input_data(const ImportNirOptions& opt,
                                          const nir::Lowered& lowered) {
  std::optional<SequenceDataset> data;
  if (opt.synthetic_steps > 0)
    data = nir::synthetic_input(lowered, opt.samples, opt.synthetic_steps, opt.rate, opt.seed);
  else if (!opt.input.empty())
    data = read_dataset_h5(opt.input);
  if (data) nir::check_input(lowered, *data);
  if (!opt.record.empty() && !data)
    throw InputError("--record needs input: pass --synthetic-input STEPS or --input FILE");
  return data;
}

void write_import(const ImportNirOptions& opt, const ImportFiles& files,
                  const nir::Lowered& lowered, const std::optional<SequenceDataset>& data,
                  const std::string& command) {
  mapper::write_network(*lowered.network, files.network);
  nir::write_quantisation_report(files.report, lowered, command);
  if (opt.synthetic_steps > 0)
    write_dataset_h5(
        files.input, *data,
        fmt::format("synthetic Bernoulli spikes, p = {} per element and step, seed {}, "
                    "{} steps + {} flush steps ({})",
                    opt.rate, opt.seed, opt.synthetic_steps, data->flush_steps, command));
  write_model(files.model, nir::nir_model(lowered, files.network, files.input, command));
}

// Every file this import reads and writes, declared before any work.
void declare_files(OutputSet& set, const ImportNirOptions& opt, const ImportFiles& files) {
  set.input(opt.graph, "NIR graph");
  if (!opt.input.empty()) set.input(opt.input, "input dataset (--input)");
  input_if_file(set, opt.arch, "architecture file");
  set.output(files.model, "--out");
  set.output(files.network, "the network file beside --out");
  set.output(fs::path(files.network).replace_extension(".h5"), "the network's array file");
  set.output(files.report, "the quantisation report beside --out");
  if (opt.synthetic_steps > 0) set.output(files.input, "the input dataset beside --out");
  if (!opt.record.empty()) set.output(opt.record, "--record");
}

void run_import(const ImportNirOptions& opt) {
  if (opt.out.empty())
    throw InputError("--out: give the model file to write (e.g. out/x.model.yaml)");
  if (opt.synthetic_steps > 0 && !opt.input.empty())
    throw InputError("give --synthetic-input or --input, not both");
  const ImportFiles files = import_files(opt);
  OutputSet set;
  declare_files(set, opt, files);
  const core::Architecture arch = load_architecture(opt.arch);
  const std::string command = command_line(opt);

  const nir::NirFile file = nir::read_nir(opt.graph);
  const nir::FlatGraph flat = nir::flatten(file, opt.approximate);
  const nir::Lowered lowered = lower_graph(opt, flat);
  print_lowering(opt, file, flat, lowered);

  mapper::MapOptions mo;
  mo.placer = mapper::parse_placer(opt.placer);
  mo.compare_placers = false;
  const mapper::MapResult mapped = mapper::map_network(*lowered.network, arch, mo);
  fmt::print("\n{}", mapping_summary(mapped.report));

  const std::optional<SequenceDataset> data = input_data(opt, lowered);
  write_import(opt, files, lowered, data, command);
  if (!opt.record.empty()) {
    nir::RunOptions ro;
    ro.trace_voltage = opt.trace_voltage;
    const nir::RunResult r = nir::run(lowered, mapped.image, arch, *data, ro);
    fmt::print("\n{}", nir::run_summary(lowered, arch, r));
    nir::write_nirdata(opt.record, lowered, r);
  }
  set.commit();  // every file, or none
  fmt::print("wrote {}, {}, {}{}{}\n", files.model.string(), files.network.string(),
             files.report.string(), opt.synthetic_steps > 0 ? ", " + files.input.string() : "",
             opt.record.empty() ? "" : ", " + opt.record + " (NIRData)");
  if (!data)
    fmt::print(
        "note: the model names {}, which is not written: pass --synthetic-input STEPS or "
        "--input FILE\n",
        files.input.string());
}

}  // namespace

void register_import_nir(CLI::App& app) {
  auto opt = std::make_shared<ImportNirOptions>();
  auto* cmd = app.add_subcommand(
      "import-nir",
      "Lower a NIR graph (HDF5) to a network, report every parameter's quantisation, map it, "
      "write a model file for `loihisim run`, and optionally run it and record NIRData");
  cmd->add_option("graph", opt->graph, "NIR file (.nir, HDF5)")->required();
  cmd->add_option("--out,-o", opt->out,
                  "model file to write; the network, report and input files are named after it")
      ->required();
  cmd->add_option("--arch", opt->arch, "architecture: a shipped name (loihi1, ...) or a YAML file")
      ->capture_default_str();
  cmd->add_option("--dt", opt->dt, "seconds per chip step (NIR graphs carry no dt)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--approximate", opt->approximate,
                "turn what cannot be lowered exactly into warnings (nearest representable choice)");
  cmd->add_option("--reset", opt->reset, "what a spike does to v: zero (NIR, Loihi 1) or subtract")
      ->capture_default_str()
      ->check(CLI::IsMember({"zero", "subtract"}));
  cmd->add_option("--weight-bits", opt->weight_bits, "stored bits per weight, sign included")
      ->capture_default_str()
      ->check(CLI::IsMember({1, 2, 3, 4, 5, 6, 8}));
  cmd->add_option("--synthetic-input", opt->synthetic_steps,
                  "write a seeded random spike input of this many NIR steps (plus the flush)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24));
  cmd->add_option("--samples", opt->samples, "synthetic input: samples")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
  cmd->add_option("--rate", opt->rate, "synthetic input: spike probability per element and step")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", opt->seed, "synthetic input: seed")->capture_default_str();
  cmd->add_option("--input", opt->input,
                  "input dataset (HDF5: values samples x steps x input size, 0 or 1)");
  cmd->add_option("--record", opt->record,
                  "run the input on the chip and write the activity here (NIRData, HDF5)");
  cmd->add_flag("--trace-voltage", opt->trace_voltage,
                "with --record: also record v of every neuron node at every step");
  cmd->add_option("--placer", opt->placer, "placement: greedy or metis")
      ->capture_default_str()
      ->check(CLI::IsMember({"greedy", "metis"}));
  cmd->add_flag("--quiet", opt->quiet, "do not print the quantisation table");
  cmd->callback([opt] { run_import(*opt); });
}

}  // namespace loihisim::tools
