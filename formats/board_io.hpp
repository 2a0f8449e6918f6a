// The board level of an architecture file: its optional `system:` section (docs/energy-model.md,
// "The board level") -> core::SystemCosts. A profile without the section has no board level and
// every report is chip-level only. Errors name the file, the line, the key path and the range.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/board_level.hpp"

namespace loihisim {

namespace yaml {
class Reader;
struct Field;
}  // namespace yaml

// The section's keys (x86_per_step, host_transaction, idle_increase_mw, idle_mw), checked.
core::SystemCosts read_system_section(const yaml::Reader& r, const yaml::Field& section);

// The `system:` section of architecture YAML text (nothing when absent); `file` names it in
// error messages.
std::optional<core::SystemCosts> parse_system_costs(const std::string& yaml_text,
                                                    const std::string& file);

// As above for a path or a shipped profile's name (load_architecture's rules).
std::optional<core::SystemCosts> load_system_costs(const std::string& name_or_path);

}  // namespace loihisim
