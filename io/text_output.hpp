// Small text files the tools write (model files, reports): written whole or not at all, with
// YAML-safe strings and paths relative to the file that names them.
#pragma once

#include <filesystem>
#include <string>

namespace loihisim {

// Writes `text` to `file` through AtomicOutput. Throws InputError when it cannot.
void write_text_file(const std::filesystem::path& file, const std::string& text);

// A YAML double-quoted scalar.
std::string yaml_quoted(const std::string& s);

// `target` as a path relative to the folder of `from_file` (how model files name networks).
std::string relative_to(const std::filesystem::path& target,
                        const std::filesystem::path& from_file);

}  // namespace loihisim
