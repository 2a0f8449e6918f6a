// The host coprocessor's per-operation costs for a model's chosen location, from the
// architecture file's `host_coprocessor` section.
#pragma once

#include <string>

#include "core/architecture.hpp"
#include "runtime/inference.hpp"

namespace loihisim {

HostCosts host_costs(const core::Architecture& arch, HostLocation location);

}  // namespace loihisim
