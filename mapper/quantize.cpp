#include "mapper/quantize.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "core/fixed_point.hpp"
#include "io/errors.hpp"

namespace loihisim::mapper {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw InputError(message);
}

void check_int(const std::string& what, const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi)
    fail(
        fmt::format("{}: {} = {} is outside the allowed range {}..{}", what, field, value, lo, hi));
}

// Rounds half away from zero and checks the result against [lo, hi] before converting.
int round_checked(double x, const std::string& what, const char* field, double lo, double hi,
                  const std::string& source) {
  const double r = std::round(x);
  if (!std::isfinite(r) || r < lo || r > hi)
    fail(fmt::format("{}: {} = {} (from {}) is outside the allowed range {}..{}", what, field, r,
                     source, lo, hi));
  return static_cast<int>(r);
}

}  // namespace

core::CompartmentProfile quantize_neuron(const RealNeuron& n, const std::string& what) {
  core::CompartmentProfile p;
  if (n.tau_u && n.decay_u) fail(what + ": give tau_u or decay_u, not both");
  if (n.tau_v && n.decay_v) fail(what + ": give tau_v or decay_v, not both");
  if ((n.tau_u || n.tau_v) && !(std::isfinite(n.dt) && n.dt > 0))
    fail(fmt::format("{}: dt = {} must be a finite number > 0", what, n.dt));
  if (n.tau_v) {
    const double tau = *n.tau_v;
    if (!(tau > 0))
      fail(fmt::format("{}: tau_v = {} must be > 0 (or .inf for no leak)", what, tau));
    const double x = 4095.0 * (1.0 - std::exp(-n.dt / tau));
    p.decay_v =
        round_checked(x, what, "decay_v", 0, core::kMaxDecay, fmt::format("tau_v = {}", tau));
  } else if (n.decay_v) {
    const double f = *n.decay_v;
    p.decay_v = round_checked(4096.0 * f, what, "decay_v", 0, core::kMaxDecay,
                              fmt::format("decay_v fraction {}", f));
  }
  if (n.tau_u) {
    const double tau = *n.tau_u;
    if (!(tau > 0))
      fail(fmt::format("{}: tau_u = {} must be > 0 (or .inf for no leak)", what, tau));
    const double x = 4095.0 * (1.0 - std::exp(-n.dt / tau)) - 1.0;
    p.decay_u = static_cast<int>(std::round(std::clamp(x, 0.0, 4095.0)));
  } else if (n.decay_u) {
    const double f = *n.decay_u;
    p.decay_u = round_checked(4096.0 * f - 1.0, what, "decay_u", 0, core::kMaxDecay,
                              fmt::format("decay_u fraction {} (u loses (decay_u + 1) / 4096 per "
                                          "step, so the fraction must be in [1/4096, 1])",
                                          f));
  }
  if (!std::isfinite(n.scale) || n.scale <= 0)
    fail(fmt::format("{}: scale = {} must be a finite number > 0", what, n.scale));
  if (!std::isfinite(n.threshold) || n.threshold < 0)
    fail(fmt::format("{}: threshold = {} must be a finite number >= 0", what, n.threshold));
  p.vth_mant = round_checked(n.threshold * n.scale / (1 << core::kThresholdShift), what, "vth_mant",
                             0, core::kMaxVthMant,
                             fmt::format("threshold {} x scale {} / 64", n.threshold, n.scale));
  check_int(what, "refractory", n.refractory, 1, core::kMaxRefractDelay);
  p.refract_delay = n.refractory;
  check_int(what, "payload_shift", n.payload_shift, 0, core::kPayloadBits);
  check_int(what, "vmin_exp", n.vmin_exp, 0, core::kMaxVminExp);
  check_int(what, "vmax_exp", n.vmax_exp, 0, core::kMaxVmaxExp);
  p.reset = n.reset;
  p.spike = n.spike;
  p.payload_shift = n.payload_shift;
  p.vmin_exp = n.vmin_exp;
  p.vmax_exp = n.vmax_exp;
  p.neuron = n.neuron;
  if (n.input_max) {
    const double m = *n.input_max;
    if (!std::isfinite(m) || m < 0)
      fail(fmt::format("{}: input_max = {} must be a finite number >= 0 (or absent: no upper clip)",
                       what, m));
    p.input_max = round_checked(m * n.scale, what, "input_max", 0, core::kMaxInputMax,
                                fmt::format("input_max {} x scale {}", m, n.scale));
  }
  return p;
}

QuantizedBias quantize_bias(double b, const std::string& what) {
  if (!std::isfinite(b)) fail(fmt::format("{}: bias = {} is not a finite number", what, b));
  for (int e = 0; e <= core::kMaxBiasExp; ++e) {
    const double m = std::round(std::ldexp(b, -e));
    if (std::fabs(m) <= core::kMaxBiasMant) return {static_cast<int>(m), e};
  }
  fail(fmt::format(
      "{}: bias = {} hardware units is outside the representable range "
      "+-{} x 2^{} (about +-{})",
      what, b, core::kMaxBiasMant, core::kMaxBiasExp, core::kMaxBiasMant << core::kMaxBiasExp));
}

std::vector<std::int16_t> quantize_weights(const std::vector<double>& w, double scale,
                                           const core::SynapseFormat& fmt, bool saturate,
                                           const std::string& what, std::int64_t dense_columns,
                                           std::int64_t* saturated_count) {
  if (!std::isfinite(scale) || scale <= 0)
    fail(fmt::format("{}: weight scale = {} must be a finite number > 0", what, scale));
  if (!core::valid_weight_bits(fmt.weight_bits))
    fail(fmt::format("{}: format.weight_bits = {} is not one of {{0,1,2,3,4,5,6,8}}", what,
                     fmt.weight_bits));
  std::vector<std::int16_t> out(w.size());
  std::int64_t saturated = 0;
  const auto policy = saturate ? core::OutOfRange::kSaturate : core::OutOfRange::kError;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const auto q = core::quantize_weight(w[k] * scale, fmt, policy);
    if (!q) {
      const char* sign = fmt.sign == core::SignMode::kMixed        ? "mixed sign"
                         : fmt.sign == core::SignMode::kExcitatory ? "excitatory (>= 0)"
                                                                   : "inhibitory (<= 0)";
      const std::string index =
          dense_columns > 0
              ? fmt::format("[target {}, source {}]", static_cast<std::int64_t>(k) / dense_columns,
                            static_cast<std::int64_t>(k) % dense_columns)
              : fmt::format("{}", k);
      fail(
          fmt::format("{}: weight {} = {} (x scale {} = {}) does not fit the format ({} weight "
                      "bits, {}: magnitude <= {}); choose a smaller scale, more bits, or "
                      "saturate: true",
                      what, index, w[k], scale, w[k] * scale, fmt.weight_bits, sign,
                      core::max_weight_mantissa(fmt)));
    }
    saturated += q->saturated ? 1 : 0;
    out[k] = static_cast<std::int16_t>(q->mantissa);
  }
  if (saturated_count) *saturated_count = saturated;
  return out;
}

}  // namespace loihisim::mapper
