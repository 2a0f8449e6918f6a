// What `loihisim import-nir` produces beside the network (docs/nir.md, "Files"), as values: the
// spike input dataset (the one dataset type: one symbol per NIR step, values 0 or 1, then the
// pipeline's flush), the model spec for `loihisim run`, and the quantisation report.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "formats/datasets.hpp"
#include "models/model_spec.hpp"
#include "models/nir_lower.hpp"

namespace loihisim::models::nir {

// Deterministic Bernoulli spikes (probability `rate` per element and step) from a hash of
// (seed, sample, step, element), followed by `lowered.max_depth` zero steps of flush. Labels are
// zeros; num_classes is the first output's size (at least 2), so that `loihisim run` can score
// the output counts' argmax.
SequenceDataset synthetic_input(const Lowered& lowered, std::int64_t samples, std::int64_t steps,
                                double rate, std::uint64_t seed);

// Checks that the data fits the graph's inputs (sizes, values 0 or 1, flush within the steps);
// throws InputError naming the data, the sample, step and element.
void check_input(const Lowered& lowered, const SequenceDataset& data);

// The model for `loihisim run`: the network, the dataset, one NIR step per symbol
// (steps_per_symbol 1), chip state kept over the sample (reset: sample), the accumulated output
// counts as the prediction. Throws InputError when the graph has not exactly one Input node
// and at least one Output node.
ModelSpec nir_model(const Lowered& lowered, const std::filesystem::path& network,
                    const std::filesystem::path& dataset, const std::string& command);

// The quantisation report, warnings and notes, populations (scale, depth), as YAML.
void write_quantisation_report(const std::filesystem::path& file, const Lowered& lowered,
                               const std::string& command);

}  // namespace loihisim::models::nir
