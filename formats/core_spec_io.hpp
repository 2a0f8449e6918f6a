// Reading a core-run spec (YAML, format in docs/core-run.md) into a CoreSpec.
//
// Every problem is an InputError whose message names the file, the line, the key path in the
// YAML (e.g. `cores[0].profiles[1].decay_u`), the value and the allowed range. Syntax and type
// errors are reported by the reader itself; value ranges and per-core limits come from
// core::validate(ChipConfig), whose field paths are mapped back onto the YAML paths (grouped
// entries such as `{count: 512, ...}` are named by their entry, with the expanded index noted).
// A spec that reads without error runs without configuration errors.
#pragma once

#include <filesystem>
#include <string>

#include "core/core_config.hpp"
#include "formats/core_spec.hpp"

namespace loihisim {

// Reads and checks a spec file against the given per-core limits (Loihi 1 by default).
CoreSpec read_core_spec(const std::filesystem::path& file, const core::CoreLimits& limits = {});

// The same from YAML text; `file_name` is used in messages and as CoreSpec::source.
CoreSpec parse_core_spec(const std::string& yaml_text, const std::string& file_name,
                         const core::CoreLimits& limits = {});

}  // namespace loihisim
