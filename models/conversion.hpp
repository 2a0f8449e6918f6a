// What `loihisim convert` does, as a library call (the command line and the Python module share
// it): trained weights -> a network and the model file's content for `loihisim run`, by one of
// three methods: hybrid-lstm (methods.md A, docs/hybrid-lstm.md), spiking-lstm (methods.md B,
// docs/spiking-lstm.md) and hybrid-lmu (methods.md D, docs/hybrid-lmu.md). The network is
// mapped once on the architecture, so one that does not fit fails here, naming the limit, before
// the caller writes any file.
#pragma once

#include <filesystem>
#include <string>

#include "core/architecture.hpp"
#include "mapper/map_report.hpp"
#include "mapper/network.hpp"
#include "models/model_spec.hpp"

namespace loihisim::models {

// The options of `loihisim convert` (its --help says what each does); messages name them as the
// command line spells them (--steps, --signed-input, ...).
struct ConvertOptions {
  std::string weights;
  std::string method = "hybrid-lstm";  // hybrid-lstm | spiking-lstm | hybrid-lmu
  int steps = 32;                      // hybrid-lstm: T
  std::string arch = "loihi1";         // as given (a name or a file), for the model's comment
  std::string out;                     // the model file; the network goes beside it
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
  // hybrid-lstm, AxLSTM (methods.md C; docs/hybrid-lstm.md "AxLSTM on the chip"): timestep
  // skipping with this tau ("off" or a number in [0, 1]), and the cells kept ("off" or
  // fixed:K, the K most important: the others are not mapped).
  std::string dts_tau = "off";
  std::string dsr = "off";
  int dts_probe_steps = 0;  // the probe's steps P (0: T)
};

// out/x.model.yaml -> out/x: the stem the network, report and input files are named from
// (out/x.network.yaml, ...).
std::filesystem::path model_base(std::filesystem::path model_file);
// The network file written beside the model file `out` (out/x.network.yaml).
std::filesystem::path network_file_beside(const std::filesystem::path& out);

struct Conversion {
  mapper::Network network;
  ModelSpec model;        // names the network file beside `out`; its comment, the command line
  mapper::MapReport fit;  // the network mapped once on the architecture
  std::string text;       // what `loihisim convert` prints before "wrote ..."
};

// Checks the options that need no file (method, T, host format); throws InputError.
void check_convert_options(const ConvertOptions& o);
// Reads the weights and converts them; throws InputError naming the file and the limit.
Conversion convert_weights(const ConvertOptions& o, const core::Architecture& arch);

}  // namespace loihisim::models
