// Architecture files (YAML) -> core::Architecture. The file mirrors the hardware tree
// (board -> chip -> tile -> core -> units); the shipped profiles live in arch/ and the schema is
// documented in docs/energy-model.md. Every key is required, unknown keys are rejected, and
// every number is range-checked: problems are InputErrors naming the file, the key path, the
// value and the allowed range.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "io/shipped_files.hpp"  // data_dir()

namespace loihisim {

// Parses architecture YAML text; `file` names it in error messages.
core::Architecture parse_architecture(const std::string& yaml_text, const std::string& file);

// Reads an architecture file.
core::Architecture read_architecture(const std::filesystem::path& path);

// `name_or_path` is a file path when it contains a '/' or ends in .yaml/.yml, otherwise the name
// of a shipped profile (arch/NAME.yaml under data_dir()). An unknown name lists the profiles.
core::Architecture load_architecture(const std::string& name_or_path);
// The file load_architecture() reads for `name_or_path`, and its text (the assumptions with
// their source comments, for reports); InputError naming the file when it cannot be read.
std::filesystem::path architecture_file(const std::string& name_or_path);
std::string architecture_text(const std::string& name_or_path);

// Names of the shipped profiles (arch/*.yaml under data_dir()), sorted.
std::vector<std::string> architecture_profiles();

}  // namespace loihisim
