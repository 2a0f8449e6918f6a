// How the subcommands declare the files they read and write (issue: no destroyed input, no
// half-written output): every command opens one OutputSet, declares its inputs and outputs
// before doing any work, and commits it at the end, so its outputs appear together or not at
// all.
#pragma once

#include <filesystem>
#include <string>

#include "io/atomic_output.hpp"

namespace loihisim::tools {

// An architecture or profile option names either a shipped profile ("loihi1") or a file;
// only a file can be overwritten.
inline void input_if_file(OutputSet& files, const std::string& name, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name, ec)) files.input(name, what);
}

// A network file and the companion HDF5 file its large arrays live in by default.
inline void network_inputs(OutputSet& files, const std::filesystem::path& yaml) {
  files.input(yaml, "network file");
  files.input(std::filesystem::path(yaml).replace_extension(".h5"), "network's array file");
}

}  // namespace loihisim::tools
