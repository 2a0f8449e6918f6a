#include "models/hybrid_lmu.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <bit>
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
                                  const std::string& file, int min_exp = -7) {
  double peak = 0;
  for (double t : target) peak = std::max(peak, std::fabs(t));
  const auto mant = [](double t, int e) {
    return 2.0 * round_half_away(t / std::ldexp(1.0, 6 + e) / 2.0);
  };
  int e = min_exp;
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

LmuChip lmu_chip(const LmuWeights& w, double omega, const LmuScales& scales, int min_exp) {
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
  c.w_x = quantise_projection(targets(w.w_x, so, scales.input_scale), "W_x", w.file, min_exp);
  c.w_m = quantise_projection(targets(w.w_m, so, std::ldexp(1.0, scales.memory_bits)), "W_m",
                              w.file, min_exp);
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

void check_binary_model(const LmuWeights& w, double omega) {
  if (w.activation != LmuWeights::Activation::kCrelu)
    throw InputError(w.file +
                     ": binary spikes (Loihi 1) carry n <= 1 per step only when the neuron's "
                     "input is clipped below one quantum: the construction needs @activation "
                     "'crelu' (docs/hybrid-lmu.md, \"Loihi 1\")");
  int lg = 0;
  const double frac = std::isfinite(omega) ? std::frexp(omega, &lg) : 0.0;
  if (!(omega > 0) || frac != 0.5 || lg > 1 || kBinaryClipBits - (lg - 1) > 20)
    throw InputError(fmt::format(
        "{}: omega = {:g}: binary spikes (Loihi 1) need omega a power of two in [2^-3, 1] (at "
        "most one spike per step, K <= 20); convert a model trained to omega 1, or give "
        "--omega 1",
        w.file, omega));
}

// The smallest exponent at which W_m's largest target needs no clipping, at Fm.
int natural_memory_exp(const LmuWeights& w, double omega, LmuScales s, int fm) {
  s.memory_bits = fm;
  return lmu_chip(w, omega, s).w_m.exp;
}

}  // namespace

double lmu_memory_bound(const LmuWeights& w, int length) {
  const auto D = static_cast<std::size_t>(w.d);
  double up = 0, down = 0;  // the largest u = e_x . x of either sign, x in [0, 1]
  for (double e : w.e_x) (e > 0 ? up : down) += std::fabs(e);
  std::vector<double> v(w.b_bar.begin(), w.b_bar.end()), next(D), sum(D, 0.0);
  for (int k = 0; k < length; ++k) {
    for (std::size_t i = 0; i < D; ++i) sum[i] += std::fabs(v[i]);
    for (std::size_t i = 0; i < D; ++i) {
      double acc = 0;
      for (std::size_t j = 0; j < D; ++j) acc += w.a_bar[i * D + j] * v[j];
      next[i] = acc;
    }
    v.swap(next);
  }
  return 1.01 * std::max(up, down) * *std::max_element(sum.begin(), sum.end());
}

// The mixed-sign exponents the three-compartment network's synapses use: the plane ladder and
// W_h's.
std::vector<int> mixed_exps(const LmuChip& c) {
  std::vector<int> e;
  for (int b = 0; b < std::max(c.planes->input, c.planes->memory); ++b)
    e.push_back(c.planes->base_exp + b);
  if (std::find(e.begin(), e.end(), c.w_h.exp) == e.end()) e.push_back(c.w_h.exp);
  return e;
}

LmuChip lmu_chip_binary(const LmuWeights& w, double omega, LmuScales scales,
                        const LmuBinaryLimits& limits) {
  check_binary_model(w, omega);
  int lg = 0;
  std::frexp(omega, &lg);
  scales.quantum_bits = kBinaryClipBits - (lg - 1);  // omega 2^K = 2^17
  const int fm_ref = w.reference_scales ? w.reference_scales->memory_bits : 0;
  const int full_input = std::bit_width(static_cast<unsigned>(scales.input_scale));
  const double bound = w.reference_max_payload >= 0 || limits.sequence_length <= 0
                           ? 0.0
                           : lmu_memory_bound(w, limits.sequence_length);
  for (int cap = std::min(limits.max_synapse_formats, 8); cap >= 1; --cap) {
    LmuScales s = scales;
    const int input_planes = std::min(full_input, cap);
    if (input_planes < full_input) s.input_scale = (1 << input_planes) - 1;
    const int axons = limits.max_input_axons - w.hidden - w.inputs * input_planes;
    const int memory_cap = std::min(axons / std::max(1, 2 * w.d), cap);
    if (memory_cap < 1) continue;
    const int nat_x = lmu_chip(w, omega, s).w_x.exp;
    for (int fm = s.memory_bits; fm >= 0; --fm) {
      const int nat_m = natural_memory_exp(w, omega, s, fm);
      const int e0 = std::max({nat_x, nat_m, -6});
      const int planes = std::min(memory_cap, 8 - e0);
      const double m = w.reference_max_payload >= 0
                           ? 2 * w.reference_max_payload * std::ldexp(1.0, fm - fm_ref)
                           : bound * std::ldexp(1.0, fm) + 1;
      const bool range = m < std::ldexp(1.0, planes);
      if ((nat_m < std::max(nat_x, -6) && fm > 0) || !range || planes < 1 ||
          e0 + input_planes - 1 > 7)
        continue;
      s.memory_bits = fm;
      LmuChip c = lmu_chip(w, omega, s, e0);
      c.planes = LmuBitPlanes{input_planes, planes, e0};
      c.input_max = (1 << kBinaryClipBits) - 1;       // the rectifier's vmax, 2^(9 + 2 x 4) - 1
      const auto formats = mixed_exps(c).size() + 1;  // + the reset's (sparse, inhibitory)
      if (formats <= static_cast<std::size_t>(limits.max_synapse_formats)) return c;
      break;  // fewer planes: the next cap
    }
  }
  throw InputError(fmt::format(
      "{}: no bit planes fit a core's {} input axons and {} synapse formats with exponents "
      "-6..7 and the memory payloads (largest |m| {:g}; docs/hybrid-lmu.md, \"Loihi 1\")",
      w.file, limits.max_input_axons, limits.max_synapse_formats,
      w.reference_max_payload >= 0 ? w.reference_max_payload * std::ldexp(1.0, -fm_ref) : bound));
}

namespace {

mapper::Projection dense_projection(const std::string& name, const std::string& source,
                                    const LmuProjection& w, double rate,
                                    const std::string& target = "hidden") {
  mapper::Projection p;
  p.name = name;
  p.source = source;
  p.target = target;
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

// A bit-plane encoder: payload round(value x scale) as binary spikes on `ports` (bit 0 first;
// with `negative`, the same planes for negative payloads after them).
mapper::HostNode plane_encoder(const std::string& name, const std::string& value,
                               const std::vector<std::string>& ports, const std::string& scale,
                               int planes) {
  mapper::HostNode e = graded_encoder(name, value, ports.front(), scale);
  e.outputs = ports;
  e.params["encoder"] = "bit_planes";
  e.params["planes"] = std::to_string(planes);
  return e;
}

std::string plane_port(const std::string& base, int b) {
  return fmt::format("{}_b{}", base, b);
}

// The Loihi 1 hidden neuron (docs/hybrid-lmu.md, "Loihi 1"): a rectifier R (v = clip(u2, 0,
// 2^17 - 1), never fires) joins a dendrite D (a perfect integrator that the soma's spike lowers
// by 2^K one step later), which joins the soma S (fires when v_D > 2^(K-1), i.e. when the
// sigma-delta residual V = v_D + 2^(K-1) - 1 reaches 2^K). Parents are added before children.
void add_three_compartment_neurons(const LmuWeights& w, const LmuChip& c, mapper::Network& net) {
  const int K = c.scales.quantum_bits;
  mapper::Population soma;
  soma.name = "hidden";
  soma.size = w.hidden;
  soma.profile.decay_u = 4095;  // u = v_D of this step (the join)
  soma.profile.decay_v = 4095;  // v in [-4095, 0] between spikes: trunc(v / 4096) = 0
  soma.profile.vmin_exp = 12;
  soma.bias_mant.assign(static_cast<std::size_t>(w.hidden), -(1 << std::min(K - 1, 11)));
  soma.bias_exp.assign(static_cast<std::size_t>(w.hidden), std::max(0, K - 1 - 11));
  net.add_population(std::move(soma));
  mapper::Population dendrite;
  dendrite.name = "hidden_dendrite";
  dendrite.size = w.hidden;
  dendrite.profile.decay_u = 4095;
  dendrite.profile.decay_v = 0;        // the residual, kept exactly
  dendrite.profile.vth_mant = 131071;  // 8,388,544 > vmax: never fires
  dendrite.profile.vmin_exp = 22;      // |v_D| < 2^22: v_D - 2^(K-1) cannot wrap the soma's u
  dendrite.profile.vmax_exp = 6;       // 2^21 - 1 > 2^(K+1)
  dendrite.join_parent = "hidden";
  net.add_population(std::move(dendrite));
  mapper::Population rect;
  rect.name = "hidden_input";
  rect.size = w.hidden;
  rect.profile.decay_u = 4095;
  rect.profile.decay_v = 4095;  // carries trunc(v / 4096) <= 31 into the next step (the one
                                // departure from the native neuron, docs/hybrid-lmu.md)
  rect.profile.vth_mant = 131071;
  rect.profile.vmin_exp = 0;                          // clip below at 0: the rectifier
  rect.profile.vmax_exp = (kBinaryClipBits - 9) / 2;  // and above at 2^17 - 1
  rect.bias_mant = c.bias_mant;
  rect.bias_exp = c.bias_exp;
  rect.join_parent = "hidden_dendrite";
  net.add_population(std::move(rect));
  mapper::Projection reset;  // S -> D, -2^K = -128 x 2^(6 + K - 13), one step late
  reset.name = "reset";
  reset.source = "hidden";
  reset.target = "hidden_dendrite";
  reset.dense = false;
  reset.format.weight_bits = 8;
  reset.format.sign = core::SignMode::kInhibitory;
  reset.format.weight_exp = K - 13;
  const std::int16_t mant = -128;
  reset.rate = 0.3;
  for (int k = 0; k < w.hidden; ++k) {
    reset.pre.push_back(k);
    reset.post.push_back(k);
    reset.weight.push_back(mant);
  }
  net.add_projection(std::move(reset));
}

// The input ports and their projections into `target`: one port and one projection per plane
// (plane b: exponent e + b), and with `negative` the negated planes.
std::vector<std::string> add_planes(mapper::Network& net, const std::string& base, int size,
                                    const LmuProjection& w, int planes, bool negative,
                                    double rate) {
  std::vector<std::string> ports;
  for (int sign : {1, -1}) {
    if (sign < 0 && !negative) break;
    LmuProjection plane = w;
    if (sign < 0)
      for (auto& m : plane.mant) m = static_cast<std::int16_t>(-m);
    for (int b = 0; b < planes; ++b) {
      const std::string port = plane_port(sign > 0 ? base : base + "_neg", b);
      net.add_input_port({port, size});
      plane.exp = w.exp + b;  // w.exp is the ladder's base e0
      net.add_projection(dense_projection(port + "_to_hidden", port, plane, rate, "hidden_input"));
      ports.push_back(port);
    }
  }
  return ports;
}

void add_host_nodes(const LmuWeights& w, const LmuChip& c, mapper::Network& net,
                    const std::vector<std::string>& input_ports,
                    const std::vector<std::string>& memory_ports) {
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

  const std::string in_scale = fmt::format("{}", c.scales.input_scale);
  if (!input_ports.empty()) {
    net.add_host_node(plane_encoder("encode_input", mapper::kSymbolValue, input_ports, in_scale,
                                    c.planes->input));
    net.add_host_node(
        plane_encoder("encode_memory", "memory_payload", memory_ports, "1", c.planes->memory));
  } else {
    net.add_host_node(graded_encoder("encode_input", mapper::kSymbolValue, "input", in_scale));
    net.add_host_node(graded_encoder("encode_memory", "memory_payload", "memory", "1"));
  }

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

HybridLmu convert_hybrid_lmu(const LmuWeights& w, const LmuChip& c, LmuNeuron neuron) {
  HybridLmu out;
  out.network.name = "hybrid_lmu";
  const bool loihi1 = neuron == LmuNeuron::kThreeCompartment;
  if (loihi1 && !c.planes)
    throw InputError(w.file + ": the three-compartment neuron needs lmu_chip_binary's integers");
  try {
    std::vector<std::string> input_ports, memory_ports;
    if (loihi1) {
      add_three_compartment_neurons(w, c, out.network);
      // Rates are traffic estimates only (docs/hybrid-lmu.md, measured costs).
      input_ports = add_planes(out.network, "input", w.inputs, c.w_x, c.planes->input, false, 0.1);
      memory_ports = add_planes(out.network, "memory", w.d, c.w_m, c.planes->memory, true, 0.25);
      out.network.add_projection(
          dense_projection("hidden_to_hidden", "hidden", c.w_h, 0.3, "hidden_input"));
    } else {
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
    }
    add_host_nodes(w, c, out.network, input_ports, memory_ports);
    out.network.check_host_references();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", w.file, e.what()));
  }
  if (loihi1)
    out.notes.push_back(fmt::format(
        "{} neurons of three compartments (Loihi 1, binary spikes: rectifier clip {}, dendrite, "
        "soma; fires when the residual reaches 2^{}), omega {:g}; the memory (d = {}) on the host "
        "as exact integers (Fa {}, Fh {}, payloads m 2^{}), sent as binary spikes on {} bit "
        "planes per sign ({} for the input)",
        w.hidden, c.input_max, c.scales.quantum_bits, c.omega, w.d, c.scales.a_bits,
        c.scales.state_bits, c.scales.memory_bits, c.planes->memory, c.planes->input));
  else
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
