// Model files (YAML, docs/running.md, "The model file"): the one reader and the one writer of ModelSpec.
#pragma once

#include <filesystem>

#include "models/model_spec.hpp"

namespace loihisim {

// Reads and checks a model file; relative paths are resolved against its folder. Throws
// InputError naming the file, line and key.
ModelSpec read_model(const std::filesystem::path& file);

// Writes `model` to `file` (whole or not at all): paths relative to the file's folder, the
// comment as `#` lines at the top. read_model(file) gives `model` back (tested).
void write_model(const std::filesystem::path& file, const ModelSpec& model);

}  // namespace loihisim
