// Profiles shipped with loihisim (arch/*.yaml, cpu/*.yaml) and how a command-line name finds
// one: a path, or the name of a shipped file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace loihisim {

// Where shipped data lives: $LOIHISIM_DATA_DIR when set, else the source tree.
std::filesystem::path data_dir();

// Names of the shipped profiles in `folder` (FOLDER/*.yaml under data_dir()), sorted.
std::vector<std::string> shipped_profiles(const std::string& folder);

// `name_or_path` is a file path when it contains a '/' or ends in .yaml/.yml, otherwise the name
// of a shipped profile, FOLDER/NAME.yaml. An unknown name is an InputError that names `kind`
// ("architecture", "CPU profile") and lists the shipped ones.
std::filesystem::path shipped_profile_path(const std::string& kind, const std::string& folder,
                                           const std::string& name_or_path);

}  // namespace loihisim
