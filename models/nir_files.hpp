// The files `loihisim import-nir` writes beside the network (docs/nir.md, "Files"): the model
// file for `loihisim run`, the input dataset (the layout `loihisim run` reads: values, labels,
// num_classes, plus flush_steps), and the quantisation report as YAML. All written atomically.
#pragma once

#include <filesystem>
#include <string>

#include "models/nir_lower.hpp"
#include "models/nir_run.hpp"

namespace loihisim::models::nir {

// values: samples x steps x input size (float32, 0 or 1); labels: zeros (the data is not a
// classification task); num_classes: the first output's size (at least 2); flush_steps.
void write_input(const std::filesystem::path& file, const InputData& data, const Lowered& lowered,
                 const std::string& description);

// Reads `values` (samples x steps x size) and the optional integer attribute `flush_steps`
// (default 0: the runner adds the flush itself).
InputData read_input(const std::filesystem::path& file);

// A model file: the network, the dataset, one NIR step per symbol (steps_per_symbol 1), chip
// state kept over the sample (reset: sample), the accumulated output counts as the prediction.
// Paths are written relative to the model file's folder.
void write_model(const std::filesystem::path& file, const std::filesystem::path& network,
                 const std::filesystem::path& dataset, const Lowered& lowered,
                 const std::string& command);

// The quantisation report, warnings and notes, populations (scale, depth) as YAML.
void write_report(const std::filesystem::path& file, const Lowered& lowered,
                  const std::string& command);

}  // namespace loihisim::models::nir
