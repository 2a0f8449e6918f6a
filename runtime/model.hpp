// A model file: what `loihisim run` runs. It names a network (mapped on the fly) or a mapped
// image, the dataset, T and the reset policy, which value is the prediction, and how the host
// coprocessor computes. Format in docs/model-format.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "runtime/host_arithmetic.hpp"
#include "runtime/inference.hpp"

namespace loihisim {

struct DatasetSpec {
  // Either a named dataset ("mnist" or "fashion", with split and layout, from the data cache)...
  std::string name;
  std::string split = "test";
  std::string layout = "row";
  std::string scaling = "unit";  // "unit" | "signed" (InputScaling)
  // ...or an HDF5 file with `values` (samples x symbols x symbol_size, float) and `labels`
  // (samples, integer) and an integer attribute `num_classes` (path relative to the model file).
  std::filesystem::path file;
};

struct ModelSpec {
  std::filesystem::path source;  // the model file itself
  std::string name;
  std::filesystem::path network;  // a network file, or
  std::filesystem::path image;    // a mapped image file (exactly one of the two)
  std::string placer = "metis";   // when mapping on the fly
  DatasetSpec dataset;
  int steps_per_symbol = 32;
  ResetPolicy reset = ResetPolicy::kSymbol;
  InputTiming input_timing = InputTiming::kNextStep;
  std::string prediction;
  HostNumberFormat host_format;
  std::string host_location = "external";  // "external" or "embedded" (arch host_coprocessor)
};

// Reads and checks a model file; relative paths are resolved against its folder. Throws
// InputError naming the file, line and key.
ModelSpec read_model(const std::filesystem::path& file);

// The run settings the model file fixes (T, reset, input timing, prediction, host format and
// the host's costs on `arch`); the caller adds samples and threads.
InferenceOptions inference_options(const ModelSpec& model, const core::Architecture& arch);

// Loads the dataset a model names. `cache_dir` is used for named datasets.
SequenceDataset load_model_dataset(const DatasetSpec& spec, const std::string& cache_dir);

// Reads a sequence dataset stored in HDF5 (see DatasetSpec::file).
SequenceDataset read_sequence_h5(const std::filesystem::path& file);

}  // namespace loihisim
