#include "models/hybrid_lmu.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "core/compartment.hpp"
#include "core/fixed_point.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models {
namespace {

double round_half_away(double x) {
  return std::copysign(std::floor(std::fabs(x) + 0.5), x);
}

// tools/lmu_chip.py quantise_projection: the smallest exponent e in -7..7 for which the largest
// target needs no clipping, then w8 = 2 round_half_away(t / 2^(6+e) / 2).
LmuProjection quantise_projection(const std::vector<double>& target, const std::string& what,
                                  const std::string& file) {
  double peak = 0;
  for (double t : target) peak = std::max(peak, std::fabs(t));
  const auto mant = [](double t, int e) {
    return 2.0 * round_half_away(t / std::ldexp(1.0, 6 + e) / 2.0);
  };
  int e = -7;
  while (e < 7 && mant(peak, e) > 254) ++e;
  if (mant(peak, e) > 254)
    throw InputError(
        fmt::format("{}: {}: the largest weight target {:g} exceeds the 8-bit format at exponent 7 "
                    "(254 x 2^13): choose a smaller spike quantum K",
                    file, what, peak));
  LmuProjection p;
  p.exp = e;
  p.mant.reserve(target.size());
  for (double t : target) p.mant.push_back(static_cast<std::int16_t>(mant(t, e)));
  return p;
}

// round_half_away(A x 2^shift) as integers below 2^40 (the host's exact range).
std::vector<std::int64_t> host_integers(const std::vector<double>& scaled, const std::string& what,
                                        const std::string& file) {
  std::vector<std::int64_t> out;
  out.reserve(scaled.size());
  for (double v : scaled) {
    const double r = round_half_away(v);
    if (!(std::fabs(r) < 1099511627776.0))
      throw InputError(
          fmt::format("{}: {}: value {:g} exceeds 2^40 (fewer fraction bits)", file, what, r));
    out.push_back(static_cast<std::int64_t>(r));
  }
  return out;
}

void check_scales(const LmuScales& s, const std::string& file) {
  if (s.quantum_bits < 1 || s.quantum_bits > core::kPayloadBits)
    throw InputError(fmt::format("{}: spike quantum K = {} is outside 1..{}", file, s.quantum_bits,
                                 core::kPayloadBits));
  if (s.state_bits < s.memory_bits || s.state_bits > 40 || s.memory_bits < 0)
    throw InputError(
        fmt::format("{}: memory fraction bits Fm = {} and state bits Fh = {} need "
                    "0 <= Fm <= Fh <= 40",
                    file, s.memory_bits, s.state_bits));
  if (s.a_bits < 1 || s.a_bits > 40)
    throw InputError(fmt::format("{}: Fa = {} is outside 1..40", file, s.a_bits));
  if (!(s.input_scale > 0) || s.input_scale > (1 << 23) ||
      s.input_scale != std::floor(s.input_scale))
    throw InputError(fmt::format("{}: input scale S_in = {:g} must be an integer in 1..2^23", file,
                                 s.input_scale));
}

}  // namespace

LmuChip lmu_chip(const LmuWeights& w, double omega, const LmuScales& scales) {
  check_scales(scales, w.file);
  if (w.activation == LmuWeights::Activation::kTanh)
    throw InputError(w.file +
                     ": @activation = 'tanh': the sigma-delta neuron implements crelu "
                     "(clip(z, 0, 1)) or relu, not tanh");
  if (!(omega > 0) || !std::isfinite(omega) || omega > (1 << 20))
    throw InputError(
        fmt::format("{}: omega = {:g}: a hybrid needs omega in (0, 2^20] (an ANN "
                    "file has none: give --omega)",
                    w.file, omega));
  LmuChip c;
  c.scales = scales;
  c.omega = omega;
  const double tu = std::ldexp(1.0, scales.quantum_bits);  // one payload unit, hardware units
  const double so = tu * omega;
  if (w.activation == LmuWeights::Activation::kCrelu) {
    if (so != std::floor(so) || so > (1 << core::kPayloadBits) - 1)
      throw InputError(fmt::format(
          "{}: omega 2^K = {:g} x 2^{} must be an integer below 2^23 (the neuron's input clip)",
          w.file, omega, scales.quantum_bits));
    c.input_max = static_cast<std::int32_t>(so);
  }
  const auto D = static_cast<std::size_t>(w.d), I = static_cast<std::size_t>(w.inputs);
  // The same operations, in the same order, as tools/lmu_chip.py (float64 throughout).
  std::vector<double> scaled(w.a_bar.size());
  for (std::size_t k = 0; k < scaled.size(); ++k)
    scaled[k] = w.a_bar[k] * std::ldexp(1.0, scales.a_bits);
  c.a_int = host_integers(scaled, "A_bar 2^Fa", w.file);
  scaled.assign(D * I, 0);
  const double bx_scale = std::ldexp(1.0, scales.a_bits + scales.state_bits);
  for (std::size_t r = 0; r < D; ++r)
    for (std::size_t k = 0; k < I; ++k)
      scaled[r * I + k] = w.b_bar[r] * w.e_x[k] * bx_scale / scales.input_scale;
  c.bx_int = host_integers(scaled, "B_bar e_x 2^(Fa+Fh) / S_in", w.file);
  const auto targets = [](const std::vector<double>& v, double factor, double divisor) {
    std::vector<double> t(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) t[k] = factor * v[k] / divisor;
    return t;
  };
  c.w_x = quantise_projection(targets(w.w_x, so, scales.input_scale), "W_x", w.file);
  c.w_m =
      quantise_projection(targets(w.w_m, so, std::ldexp(1.0, scales.memory_bits)), "W_m", w.file);
  c.w_h = quantise_projection(targets(w.w_h, tu, 1.0), "W_h", w.file);
  for (std::size_t j = 0; j < w.bias.size(); ++j) {
    const double t = so * w.bias[j];
    int e = 0;
    double m = round_half_away(t);
    while (std::fabs(m) > core::kMaxBiasMant && e < core::kMaxBiasExp)
      m = round_half_away(t / std::ldexp(1.0, ++e));
    if (std::fabs(m) > core::kMaxBiasMant)
      throw InputError(
          fmt::format("{}: b[{}]: bias target {:g} exceeds 4095 x 2^7 (choose a "
                      "smaller spike quantum K)",
                      w.file, j, t));
    c.bias_mant.push_back(static_cast<std::int32_t>(m));
    c.bias_exp.push_back(e);
  }
  return c;
}

namespace {

mapper::Projection dense_projection(const std::string& name, const std::string& source,
                                    const LmuProjection& w, double rate) {
  mapper::Projection p;
  p.name = name;
  p.source = source;
  p.target = "hidden";
  p.dense = true;
  p.format.weight_bits = 8;
  p.format.sign = core::SignMode::kMixed;
  p.format.weight_exp = w.exp;
  p.weight = w.mant;
  p.rate = rate;
  return p;
}

mapper::HostArray int_array(std::uint64_t rows, std::uint64_t cols,
                            const std::vector<std::int64_t>& v) {
  mapper::HostArray a{{rows, cols}, {}};
  a.values.reserve(v.size());
  for (auto x : v) a.values.push_back(static_cast<double>(x));
  return a;
}

// One graded spike per nonzero value and step, payload round(value x scale), into `port`.
mapper::HostNode graded_encoder(const std::string& name, const std::string& value,
                                const std::string& port, const std::string& scale) {
  mapper::HostNode e;
  e.name = name;
  e.kind = "encode";
  e.inputs = {value};
  e.outputs = {port};
  e.params["encoder"] = "graded";
  e.params["graded_scale"] = scale;
  return e;
}

void add_host_nodes(const LmuWeights& w, const LmuChip& c, mapper::Network& net) {
  const auto D = static_cast<std::uint64_t>(w.d), I = static_cast<std::uint64_t>(w.inputs);
  mapper::HostNode memory;
  memory.name = "memory_update";
  memory.kind = "integer_lti";
  memory.inputs = {mapper::kSymbolValue, "memory_state"};
  memory.outputs = {"memory_payload", "memory_state"};
  memory.params["input_scale"] = fmt::format("{}", c.scales.input_scale);
  memory.params["shift"] = std::to_string(c.scales.a_bits);
  memory.params["out_shift"] = std::to_string(c.scales.state_bits - c.scales.memory_bits);
  memory.arrays["A"] = int_array(D, D, c.a_int);
  memory.arrays["B"] = int_array(D, I, c.bx_int);
  net.add_host_node(std::move(memory));

  net.add_host_node(graded_encoder("encode_input", mapper::kSymbolValue, "input",
                                   fmt::format("{}", c.scales.input_scale)));
  net.add_host_node(graded_encoder("encode_memory", "memory_payload", "memory", "1"));

  net.add_output_port({"payloads", "hidden"});
  mapper::HostNode readout;
  readout.name = "readout";
  readout.kind = "linear";
  readout.inputs = {"payloads"};
  readout.outputs = {"logits"};
  readout.params["when"] = "sequence_end";
  const auto C = static_cast<std::uint64_t>(w.classes);
  mapper::HostArray weight{{C, static_cast<std::uint64_t>(w.hidden)}, {}};
  for (double v : w.w_o) weight.values.push_back(v / c.omega);  // h = n / omega
  readout.arrays["weight"] = std::move(weight);
  readout.arrays["bias"] = mapper::HostArray{{C}, w.b_o};
  net.add_host_node(std::move(readout));
}

}  // namespace

HybridLmu convert_hybrid_lmu(const LmuWeights& w, const LmuChip& c) {
  HybridLmu out;
  out.network.name = "hybrid_lmu";
  try {
    mapper::Population h;
    h.name = "hidden";
    h.size = w.hidden;
    h.profile.neuron = core::NeuronModel::kSigmaDelta;
    h.profile.spike = core::SpikeKind::kGraded;
    h.profile.payload_shift = c.scales.quantum_bits;
    h.profile.input_max = c.input_max;
    h.profile.decay_u = 4095;  // u = this step's input only
    h.profile.decay_v = 0;     // the quantiser's residual is kept exactly
    h.profile.refract_delay = 1;
    h.bias_mant = c.bias_mant;
    h.bias_exp = c.bias_exp;
    out.network.add_population(std::move(h));
    out.network.add_input_port({"input", w.inputs});
    out.network.add_input_port({"memory", w.d});
    // Rates are traffic estimates only: inputs sparse, memory payloads nearly always nonzero,
    // hidden neurons spiking on about half the steps (docs/hybrid-lmu.md, measured costs).
    out.network.add_projection(dense_projection("input_to_hidden", "input", c.w_x, 0.2));
    out.network.add_projection(dense_projection("memory_to_hidden", "memory", c.w_m, 1.0));
    out.network.add_projection(dense_projection("hidden_to_hidden", "hidden", c.w_h, 0.5));
    add_host_nodes(w, c, out.network);
    out.network.check_host_references();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", w.file, e.what()));
  }
  out.notes.push_back(fmt::format(
      "{} sigma-delta neurons (graded spikes, payload n = floor(V / 2^{}), input clip {}), "
      "omega {:g}; the memory (d = {}) on the host as exact integers (Fa {}, Fh {}, payloads "
      "m 2^{}), sent as {} graded input spikes per step at most",
      w.hidden, c.scales.quantum_bits,
      c.input_max < 0 ? std::string("none (relu)") : std::to_string(c.input_max), c.omega, w.d,
      c.scales.a_bits, c.scales.state_bits, c.scales.memory_bits, w.d + w.inputs));
  out.notes.push_back(fmt::format(
      "weights 8-bit mixed sign: W_x exponent {}, W_m exponent {}, W_h exponent {}; host: {} "
      "integer multiply-accumulates per step (the dense memory update), the readout once per "
      "sequence",
      c.w_x.exp, c.w_m.exp, c.w_h.exp, w.d * (w.d + w.inputs)));
  return out;
}

}  // namespace loihisim::models
