#include "models/nir_quantisation.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace loihisim::models::nir {

void record_error(ParamQuant& q, double nir, double chip) {
  const double err = std::fabs(chip - nir);
  q.max_value = std::max(q.max_value, std::fabs(nir));
  q.max_abs_error = std::max(q.max_abs_error, err);
  if (nir != 0) q.max_rel_error = std::max(q.max_rel_error, err / std::fabs(nir));
}

void finish(ParamQuant& q) {
  q.rel_to_max = q.max_value > 0 ? q.max_abs_error / q.max_value : 0;
}

std::string quantisation_table(const std::vector<ParamQuant>& q) {
  std::size_t wn = 4, wp = 9, wh = 8;
  for (const auto& r : q) {
    wn = std::max(wn, r.node.size());
    wp = std::max(wp, std::min<std::size_t>(r.parameter.size(), 48));
    wh = std::max(wh, r.hardware.size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>8}  {:>11}  {:>11}  {:>9}  {:>9}  {:>6}  {}\n",
                  "node", wn, "parameter", wp, "hardware", wh, "values", "max |value|",
                  "max |error|", "max rel", "rel max", "zeroed", "unit");
  for (const auto& r : q) {
    std::string p = r.parameter.size() > 48 ? r.parameter.substr(0, 45) + "..." : r.parameter;
    out += fmt::format(
        "{:<{}}  {:<{}}  {:<{}}  {:>8}  {:>11.4g}  {:>11.4g}  {:>9.3g}  {:>9.3g}  {:>6}  {}\n",
        r.node, wn, p, wp, r.hardware, wh, r.count, r.max_value, r.max_abs_error, r.max_rel_error,
        r.rel_to_max, r.zeroed, r.unit);
  }
  return out;
}

}  // namespace loihisim::models::nir
