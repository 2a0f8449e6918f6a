// How each parameter of a lowered NIR graph was quantised (docs/nir.md, "Quantisation report"):
// one record per parameter of a node or per projection's weights, the error bookkeeping that
// neuron parameters (nir_neurons.hpp) and weights (nir_lower.cpp) share, and the report table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loihisim::models::nir {

// How one parameter of one node was quantised (docs/nir.md, "Quantisation report").
struct ParamQuant {
  std::string node;          // NIR node (flat name), or "src -> tgt" for a projection's weights
  std::string parameter;     // NIR parameter, e.g. "tau_mem", "v_threshold", "weight", "bias"
  std::string hardware;      // what holds it, e.g. "decay_v = 164", "8-bit mixed, weight_exp 7"
  std::int64_t count = 0;    // values
  double max_value = 0;      // largest |NIR value|, in `unit`
  double max_abs_error = 0;  // largest |NIR value - value the chip uses|, in `unit`
  // Largest relative error over the nonzero values, and (weights) the largest absolute error as
  // a fraction of the largest |value|.
  double max_rel_error = 0;
  double rel_to_max = 0;
  std::int64_t zeroed = 0;  // nonzero values stored as 0
  std::string unit;         // "s", "v" (NIR units of v), "1" (dimensionless)
};

// Takes one value into max_value, max_abs_error and (when nonzero) max_rel_error: `nir` as the
// graph gives it, `chip` as the chip uses it, both in q.unit. Does not count it.
void record_error(ParamQuant& q, double nir, double chip);

// rel_to_max from max_abs_error and max_value (0 when every value is 0).
void finish(ParamQuant& q);

// The report as an aligned table, one line per parameter.
std::string quantisation_table(const std::vector<ParamQuant>& q);

}  // namespace loihisim::models::nir
