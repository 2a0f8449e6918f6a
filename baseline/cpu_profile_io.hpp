// CPU energy profile files (cpu/*.yaml) -> CpuProfile. Validated like the architecture files
// (formats/arch_io.hpp): every key of the profile's kind is required, unknown keys are errors,
// every number is range-checked, and messages name the file, the line, the key path, the value
// and the allowed range. The schema is documented in docs/baseline.md and in the shipped files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "baseline/cpu_profile.hpp"

namespace loihisim {

// Parses profile YAML text; `file` names it in error messages.
CpuProfile parse_cpu_profile(const std::string& yaml_text, const std::string& file);
CpuProfile read_cpu_profile(const std::filesystem::path& path);
// A path when it contains a '/' or ends in .yaml/.yml, else a shipped profile cpu/NAME.yaml under
// data_dir(); an unknown name lists the shipped profiles.
CpuProfile load_cpu_profile(const std::string& name_or_path);
// Names of the shipped profiles (cpu/*.yaml under data_dir()), sorted.
std::vector<std::string> cpu_profiles();

}  // namespace loihisim
