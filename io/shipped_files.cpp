#include "io/shipped_files.hpp"

#include <algorithm>
#include <cstdlib>

#include "io/errors.hpp"

namespace loihisim {
namespace {

bool looks_like_path(const std::string& s) {
  const auto ends = [&](const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return s.find('/') != std::string::npos || ends(".yaml") || ends(".yml");
}

}  // namespace

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("LOIHISIM_DATA_DIR"); env && *env) return env;
  return LOIHISIM_DATA_DIR;
}

std::vector<std::string> shipped_profiles(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / folder, ec))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path shipped_profile_path(const std::string& kind, const std::string& folder,
                                           const std::string& name_or_path) {
  if (looks_like_path(name_or_path)) return name_or_path;
  const auto file = data_dir() / folder / (name_or_path + ".yaml");
  if (!std::filesystem::is_regular_file(file)) {
    std::string available;
    for (const auto& n : shipped_profiles(folder)) available += (available.empty() ? "" : ", ") + n;
    throw InputError("unknown " + kind + " '" + name_or_path + "': give a .yaml file or one of: " +
                     (available.empty() ? "(none found)" : available) + " (profiles in " +
                     (data_dir() / folder).string() + ")");
  }
  return file;
}

}  // namespace loihisim
