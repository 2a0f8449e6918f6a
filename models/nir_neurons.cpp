#include "models/nir_neurons.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/fixed_point.hpp"
#include "core/synapse.hpp"
#include "mapper/quantize.hpp"

namespace loihisim::models::nir {
namespace {

// Register limits the scale must respect when every source fires every step (core.md).
constexpr double kInputMax = (1 << core::kInputBits) - 1;      // dendritic read-out q
constexpr double kCurrentMax = (1 << core::kCurrentBits) - 1;  // u, u + bias, and v at vmax_exp 7
constexpr int kNonSpikingVmaxExp = 6;                          // vmax = 2^21 - 1 < any vth
constexpr double kNonSpikingVmax = (1 << (9 + 2 * kNonSpikingVmaxExp)) - 1;
constexpr double kBiasMax = static_cast<double>(core::kMaxBiasMant << core::kMaxBiasExp);
// An I node has no leak to bound v: the scale leaves room for this many steps of full drive.
constexpr double kIntegratorSteps = 64;

// The NIR name of the membrane time constant: LIF and LI say tau, CubaLIF and CubaLI tau_mem.
std::string membrane_tau_key(const std::string& type) {
  return (type == "LIF" || type == "LI") ? "tau" : "tau_mem";
}

// A parameter the population's one compartment profile holds: one value for every neuron (or,
// approximated, their mean).
double uniform_param(NodeTable& nodes, const std::string& name, const std::string& key,
                     std::size_t n) {
  const auto v = nodes.param(name, key, n, true, 0);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  if (*hi - *lo > 1e-9 * std::fabs(*hi)) {
    double mean = 0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    nodes.approximate(name,
                      fmt::format("{} differs between neurons ({} .. {}) but a population shares "
                                  "one compartment profile",
                                  key, *lo, *hi),
                      fmt::format("use the mean {}", mean));
    return mean;
  }
  return *hi;
}

// The fraction of v (or, `current`, of u) a time constant tau loses per step of dt, clamped to
// what a decay can hold.
double decay_fraction(NodeTable& nodes, const std::string& name, const std::string& key, double tau,
                      bool current) {
  const double dt = nodes.options().dt;
  if (!(tau > 0)) nodes.fail(name, fmt::format("{} = {} s must be > 0", key, tau));
  double a = dt / tau;
  // Representable fractions: v loses decay_v / 4096 with decay_v in 0..4095; u loses
  // (decay_u + 1) / 4096 with decay_u in 0..4095 (mapper/quantize.hpp's fraction path).
  const double lo = current ? 1.0 / 4096 : 0.0, hi = current ? 1.0 : 4095.0 / 4096;
  const double q = std::round(4096 * a) / 4096;
  if (q > hi)
    nodes.approximate(
        name,
        fmt::format("{} = {} s is shorter than dt = {} s: the Euler step would lose {} of the "
                    "state per step, more than the largest decay {}/4096",
                    key, tau, dt, a, current ? 4096 : 4095),
        fmt::format("use the largest decay ({}/4096 per step)", current ? 4096 : 4095));
  if (!current && q == 0 && a > 0)
    nodes.approximate(name,
                      fmt::format("{} = {} s is {} steps of dt = {} s: its leak of {} per step "
                                  "rounds to 0/4096 and would be dropped",
                                  key, tau, tau / dt, dt, a),
                      "drop the leak (decay_v = 0)");
  if (current && q < lo)
    nodes.approximate(name,
                      fmt::format("{} = {} s is {} steps of dt = {} s: its leak of {} per step is "
                                  "below the hardware's smallest current decay of 1/4096",
                                  key, tau, tau / dt, dt, a),
                      "use the smallest current decay (decay_u = 0, 1/4096 per step)");
  a = std::clamp(a, lo, hi);
  return a;
}

// Gains and leak drive per neuron from r, w_in and v_leak.
void set_gains(NeuronModel& m, bool leaky, const std::vector<double>& r,
               const std::vector<double>& w_in, const std::vector<double>& v_leak) {
  const std::size_t n = r.size();
  m.gain.resize(n);
  m.bias_gain.resize(n);
  m.leak_drive.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    // v gains a_m r I per step (Euler); IF and I integrate r x per step (the sinabs, snnTorch and
    // Norse convention for neurons without a time constant). The filter's a_s w_in scales what
    // enters u; a constant input reaches I = w_in b in steady state.
    const double vg = leaky ? m.a_m * r[i] : r[i];
    m.bias_gain[i] = vg * w_in[i];
    m.gain[i] = m.filter ? vg * w_in[i] * m.a_s : vg;
    m.leak_drive[i] = leaky ? m.a_m * v_leak[i] : 0.0;
  }
}

// The thresholds of a spiking node; a v_reset other than 0 is an approximation.
std::vector<double> spiking_thresholds(NodeTable& nodes, const std::string& name, std::size_t n) {
  auto theta = nodes.param(name, "v_threshold", n, true, 0);
  for (double th : theta)
    if (th < 0) nodes.fail(name, fmt::format("v_threshold = {} must be >= 0", th));
  const auto v_reset = nodes.param(name, "v_reset", n, false, 0.0);
  for (double vr : v_reset)
    if (vr != 0.0) {
      nodes.approximate(name,
                        fmt::format("v_reset = {} is not 0: a compartment resets v to 0 (or "
                                    "subtracts the threshold)",
                                    vr),
                        "reset to 0");
      break;
    }
  return theta;
}

// The constant drive per step in v units: v_leak and the biases that reach the node.
struct ConstantDrive {
  std::vector<double> value;
  bool has_bias = false, has_leak = false;
};

ConstantDrive constant_drive(const NeuronModel& m, const std::vector<double>* constant,
                             std::size_t n) {
  ConstantDrive d;
  d.value = m.leak_drive;
  for (double x : m.leak_drive) d.has_leak = d.has_leak || x != 0.0;
  if (constant)
    for (std::size_t i = 0; i < n; ++i) {
      d.value[i] += m.bias_gain[i] * (*constant)[i];
      d.has_bias = d.has_bias || (*constant)[i] != 0.0;
    }
  return d;
}

// Per-neuron scale ratio, so that every neuron's threshold is the one hardware threshold `ref`
// (the largest; 0 and ratio 1 for non-spiking nodes).
struct Thresholds {
  std::vector<double> rho;
  double ref = 0;
};

Thresholds shared_threshold(NodeTable& nodes, const std::string& name, const NeuronModel& m,
                            std::size_t n) {
  Thresholds t;
  t.rho.assign(n, 1.0);
  if (!m.spiking) return t;
  t.ref = *std::max_element(m.theta.begin(), m.theta.end());
  for (std::size_t i = 0; i < n; ++i) {
    if (m.theta[i] == 0 && t.ref > 0)
      nodes.fail(name,
                 "some neurons have v_threshold 0 and others not: they cannot share one "
                 "hardware threshold");
    if (t.ref > 0) t.rho[i] = t.ref / m.theta[i];
  }
  return t;
}

// The largest scale every bound allows, and the bound that set it (the first of equal ones).
struct ScaleChoice {
  double value = std::numeric_limits<double>::infinity();
  std::string limit;
  void bound(double v, const char* why) {
    if (v < value) {
      value = v;
      limit = why;
    }
  }
};

// Bounds from the registers, per neuron: the dendritic input, u and v (or a non-spiking node's
// v), and the bias, when every source fires every step.
void bound_registers(ScaleChoice& s, const NeuronModel& m, const ConstantDrive& drive,
                     const Thresholds& th, const std::vector<const Rows*>& incoming,
                     std::size_t n) {
  std::vector<double> q_in(n, 0.0);  // largest input per step, v units
  for (const Rows* rows : incoming)
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& e : (*rows)[i]) q_in[i] += std::fabs(m.gain[i] * e.w);
  for (std::size_t i = 0; i < n; ++i) {
    const double rho = th.rho[i];
    const double u = q_in[i] / (m.filter ? m.a_s : 1.0);  // largest |u|
    const double b = std::fabs(drive.value[i]);
    if (q_in[i] > 0) s.bound(kInputMax / (rho * q_in[i]), "dendritic input, 21 bits + sign");
    if (m.spiking) {
      if (m.theta[i] + u + b > 0)
        s.bound(kCurrentMax / (rho * (m.theta[i] + u + b)), "u and v, 23 bits + sign");
    } else if (u + b > 0) {
      const double a = m.a_m > 0 ? m.a_m : 1.0 / kIntegratorSteps;
      s.bound(kNonSpikingVmax * a / (u + b), "v of a non-spiking node, 2^21 - 1");
    }
    if (b > 0) s.bound(kBiasMax / (rho * b), "bias, 4095 x 2^7");
  }
}

// Bounds from the threshold mantissa and from the largest weight of each incoming projection at
// the largest weight exponent.
void bound_threshold_and_weights(ScaleChoice& s, const NeuronModel& m, const Thresholds& th,
                                 const std::vector<const Rows*>& incoming, std::size_t n,
                                 int weight_bits) {
  if (m.spiking && th.ref > 0)
    s.bound(static_cast<double>(core::kMaxVthMant) * 64 / th.ref, "threshold, 17-bit vth_mant");
  core::SynapseFormat probe;
  probe.weight_bits = weight_bits;
  for (const Rows* rows : incoming) {
    double mx = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& e : (*rows)[i]) mx = std::max(mx, th.rho[i] * std::fabs(m.gain[i] * e.w));
    if (mx > 0 && core::max_weight_mantissa(probe) > 0)
      s.bound(core::max_weight_mantissa(probe) * std::ldexp(1.0, 6 + core::kMaxWeightExp) / mx,
              "largest weight at weight_exp 7");
  }
}

// Without any bound (no input, no drive) a nominal scale; then, for a spiking node, the scale
// lowered to a whole threshold mantissa so that the threshold is exact.
void settle_scale(ScaleChoice& s, NodeTable& nodes, const std::string& name, const NeuronModel& m,
                  double theta_ref) {
  if (!std::isfinite(s.value)) {
    s.value = theta_ref > 0 ? 65536.0 / theta_ref : 65536.0;
    s.limit = "none (no input, no drive)";
  }
  if (m.spiking && theta_ref > 0) {
    // (1 + 1e-6): a threshold that is a whole mantissa at this scale up to the rounding noise
    // of float32 parameters keeps that mantissa (the bounds are not that tight: weights round
    // by half a step anyway).
    const double mant = std::floor(s.value * theta_ref / 64 * (1 + 1e-6));
    if (mant < 1)
      nodes.fail(name, fmt::format("the largest usable scale, {} (set by the {}), leaves the "
                                   "threshold {} below one mantissa step of 64",
                                   s.value, s.limit, theta_ref));
    s.value = mant * 64 / theta_ref;
  }
}

// The profile with the threshold at scale s (spiking), or the largest threshold and a v range
// that never reaches it (non-spiking).
core::CompartmentProfile chip_profile(const std::string& name, const NeuronModel& m,
                                      double theta_ref, double s, core::ResetMode reset) {
  core::CompartmentProfile prof = m.profile;
  if (m.spiking) {
    mapper::RealNeuron rn;
    rn.decay_u = (m.profile.decay_u + 1) / 4096.0;
    rn.decay_v = m.profile.decay_v / 4096.0;
    rn.threshold = theta_ref;
    rn.scale = s;
    rn.reset = reset;
    prof = mapper::quantize_neuron(rn, fmt::format("node '{}'", name));
  } else {
    prof.vth_mant = core::kMaxVthMant;
    prof.vmax_exp = kNonSpikingVmaxExp;
  }
  return prof;
}

// The constant drive as per-neuron bias_mant x 2^bias_exp, and its quantisation.
ParamQuant quantise_drive(Compartments& c, const std::string& name, const ConstantDrive& drive) {
  const std::size_t n = c.scale.size();
  ParamQuant bq;
  bq.node = name;
  bq.parameter = drive.has_bias && drive.has_leak ? "v_leak + bias"
                 : drive.has_bias                 ? "bias"
                                                  : "v_leak";
  bq.hardware = "bias_mant x 2^bias_exp";
  bq.unit = "v/step";
  for (std::size_t i = 0; i < n; ++i) {
    const double d = drive.value[i];
    if (d == 0.0) continue;
    if (c.bias_mant.empty()) {
      c.bias_mant.assign(n, 0);
      c.bias_exp.assign(n, 0);
    }
    const auto qb =
        mapper::quantize_bias(d * c.scale[i], fmt::format("node '{}' neuron {}", name, i));
    c.bias_mant[i] = qb.mant;
    c.bias_exp[i] = qb.exp;
    ++bq.count;
    record_error(bq, d, std::ldexp(static_cast<double>(qb.mant), qb.exp) / c.scale[i]);
    if (qb.mant == 0) ++bq.zeroed;
  }
  if (bq.count > 0) finish(bq);
  return bq;
}

// How a time constant (decay per step `a` = dt / tau) came out in decay_u (`current`) or decay_v.
ParamQuant decay_report(const std::string& name, const std::string& key, double a, bool current,
                        const core::CompartmentProfile& prof, double dt, std::size_t n) {
  ParamQuant q;
  q.node = name;
  q.parameter = key;
  q.count = static_cast<std::int64_t>(n);
  const double tau = dt / a;
  const double frac = current ? (prof.decay_u + 1) / 4096.0 : prof.decay_v / 4096.0;
  const double rep = frac > 0 ? dt / frac : std::numeric_limits<double>::infinity();
  q.hardware = current ? fmt::format("decay_u = {}", prof.decay_u)
                       : fmt::format("decay_v = {}", prof.decay_v);
  q.max_value = tau;
  q.max_abs_error = std::fabs(rep - tau);
  q.max_rel_error = q.max_abs_error / tau;
  q.rel_to_max = q.max_rel_error;
  q.unit = "s";
  return q;
}

ParamQuant threshold_report(const std::string& name, const NeuronModel& m, const Compartments& c) {
  ParamQuant q;
  q.node = name;
  q.parameter = "v_threshold";
  q.count = static_cast<std::int64_t>(c.scale.size());
  q.hardware = fmt::format("vth_mant = {}", c.profile.vth_mant);
  q.unit = "v";
  for (std::size_t i = 0; i < c.scale.size(); ++i)
    record_error(q, m.theta[i], c.profile.vth_mant * 64.0 / c.scale[i]);
  finish(q);
  return q;
}

}  // namespace

NeuronModel neuron_model(NodeTable& nodes, const std::string& name, std::size_t n) {
  const double dt = nodes.options().dt;
  const std::string& t = nodes.node(name).type;
  NeuronModel m;
  m.spiking = t == "LIF" || t == "CubaLIF" || t == "IF";
  m.filter = t == "CubaLIF" || t == "CubaLI";
  const bool leaky = t != "IF" && t != "I";
  const auto r = nodes.param(name, "r", n, true, 1.0);
  const auto w_in =
      m.filter ? nodes.param(name, "w_in", n, false, 1.0) : std::vector<double>(n, 1.0);
  const auto v_leak =
      leaky ? nodes.param(name, "v_leak", n, true, 0.0) : std::vector<double>(n, 0.0);
  double fu = 1.0, fv = 0.0;
  if (leaky) {
    const std::string key = membrane_tau_key(t);
    const double tau = uniform_param(nodes, name, key, n);
    fv = decay_fraction(nodes, name, key, tau, false);
    m.a_m = dt / tau;
  }
  if (m.filter) {
    const double tau = uniform_param(nodes, name, "tau_syn", n);
    fu = decay_fraction(nodes, name, "tau_syn", tau, true);
    m.a_s = dt / tau;
  }
  set_gains(m, leaky, r, w_in, v_leak);
  if (m.spiking) m.theta = spiking_thresholds(nodes, name, n);
  // Decays from the fractions through mapper/quantize.hpp (threshold and scale are set later).
  mapper::RealNeuron rn;
  rn.decay_u = fu;
  rn.decay_v = fv;
  rn.threshold = 0;
  rn.scale = 1;
  m.profile = mapper::quantize_neuron(rn, fmt::format("node '{}'", name));
  return m;
}

Compartments compartments(NodeTable& nodes, const std::string& name, std::size_t n,
                          const NeuronModel& m, const std::vector<double>* constant,
                          const std::vector<const Rows*>& incoming) {
  const LowerOptions& opt = nodes.options();
  const ConstantDrive drive = constant_drive(m, constant, n);
  const Thresholds th = shared_threshold(nodes, name, m, n);
  // The scale: the largest that every bound allows (docs/nir.md, "Scale").
  ScaleChoice s;
  bound_registers(s, m, drive, th, incoming, n);
  bound_threshold_and_weights(s, m, th, incoming, n, opt.weight_bits);
  settle_scale(s, nodes, name, m, th.ref);

  Compartments c;
  c.scale.resize(n);
  for (std::size_t i = 0; i < n; ++i) c.scale[i] = s.value * th.rho[i];
  c.scale_limit = s.limit;
  c.profile = chip_profile(name, m, th.ref, s.value, opt.reset);
  c.drive = quantise_drive(c, name, drive);
  c.drive_has_bias = drive.has_bias;
  const std::string& t = nodes.node(name).type;
  if (m.a_m > 0)
    c.parameters.push_back(
        decay_report(name, membrane_tau_key(t), m.a_m, false, c.profile, opt.dt, n));
  if (m.filter)
    c.parameters.push_back(decay_report(name, "tau_syn", m.a_s, true, c.profile, opt.dt, n));
  if (m.spiking) c.parameters.push_back(threshold_report(name, m, c));
  return c;
}

}  // namespace loihisim::models::nir
