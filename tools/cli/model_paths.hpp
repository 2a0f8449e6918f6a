// How the tools that write a model file name the files beside it: models::model_base
// (out/x.model.yaml -> out/x, the stem the network, report and input files are named from).
#pragma once

#include "models/conversion.hpp"

namespace loihisim::tools {

using models::model_base;

}  // namespace loihisim::tools
