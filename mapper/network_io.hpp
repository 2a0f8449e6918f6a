// Reading and writing networks as YAML, with large arrays in a companion HDF5 file (format in
// docs/network-format.md). Every problem in a file is an InputError naming the file, the line,
// the key path (e.g. `projections[2].format.weight_bits`), the value and the allowed range.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "mapper/network.hpp"

namespace loihisim::mapper {

// Reads a network file; `{dataset: /path}` values are read from the file named by its `arrays:`
// key, relative to the YAML file's folder.
Network read_network(const std::filesystem::path& yaml_file);

// The same from YAML text; `file_name` is used in messages, `base_dir` resolves `arrays:`.
Network parse_network(const std::string& yaml_text, const std::string& file_name,
                      const std::filesystem::path& base_dir = ".");

// Arrays with more than this many values go to the companion HDF5 file; smaller ones are
// written inline.
inline constexpr std::size_t kInlineArrayLimit = 64;

// Writes the network in canonical form: hardware units (profiles, bias mantissas, weight
// mantissas), arrays inline when small, else in `arrays_file` (default: the YAML name with
// extension .h5; only created when needed). Both files appear whole or not at all.
void write_network(const Network& net, const std::filesystem::path& yaml_file,
                   std::optional<std::filesystem::path> arrays_file = std::nullopt);

}  // namespace loihisim::mapper
