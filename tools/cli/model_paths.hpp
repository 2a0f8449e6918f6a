// How the tools that write a model file name the files beside it.
#pragma once

#include <filesystem>

namespace loihisim::tools {

// out/x.model.yaml -> out/x: the stem the network, report and input files are named from
// (out/x.network.yaml, ...).
inline std::filesystem::path model_base(std::filesystem::path model_file) {
  if (model_file.extension() == ".yaml" || model_file.extension() == ".yml")
    model_file.replace_extension();
  if (model_file.extension() == ".model") model_file.replace_extension();
  return model_file;
}

}  // namespace loihisim::tools
