#include "core/neurocore.hpp"

#include <algorithm>
#include <numeric>

#include "core/fixed_point.hpp"

namespace loihisim::core {
namespace {

std::string join_problems(const std::vector<ConfigProblem>& problems) {
  std::string s = "invalid core configuration:";
  for (const auto& p : problems) s += "\n  " + p.message;
  return s;
}

}  // namespace

InvalidCoreConfig::InvalidCoreConfig(std::vector<ConfigProblem> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

Neurocore::Neurocore(const CoreConfig& cfg, const CoreLimits& limits) {
  if (auto problems = validate(cfg, limits); !problems.empty())
    throw InvalidCoreConfig(std::move(problems));

  n_ = static_cast<int>(cfg.compartments.size());
  depth_ = cfg.accumulator_depth;
  const auto n = static_cast<std::size_t>(n_);

  for (const auto& l : cfg.synapse_lists) {
    const auto& f = cfg.formats[static_cast<std::size_t>(l.format)];
    List list;
    list.dense = f.dense();
    list.has_delay = std::any_of(l.delay.begin(), l.delay.end(), [](int d) { return d != 0; });
    list.weight.reserve(l.mantissa.size());
    for (auto m : l.mantissa)
      list.weight.push_back(static_cast<std::uint32_t>(effective_weight(m, f.weight_exp)));
    if (!list.dense) list.index = l.index;
    if (list.has_delay) list.delay = l.delay;
    lists_.push_back(std::move(list));
  }
  for (const auto& a : cfg.input_axons) axons_.push_back({a.synapse_list, a.base});

  // Output axons grouped by source, keeping their order within a source.
  out_begin_.assign(n + 1, 0);
  for (const auto& o : cfg.output_axons) ++out_begin_[static_cast<std::size_t>(o.source) + 1];
  std::partial_sum(out_begin_.begin(), out_begin_.end(), out_begin_.begin());
  out_.resize(cfg.output_axons.size());
  {
    std::vector<std::int32_t> fill(out_begin_.begin(), out_begin_.end() - 1);
    for (const auto& o : cfg.output_axons)
      out_[static_cast<std::size_t>(fill[static_cast<std::size_t>(o.source)]++)] = {
          o.dest_core, o.dest_axon, 1};
  }

  decay_u_factor_.resize(n);
  decay_v_factor_.resize(n);
  bias_.resize(n);
  vth_.resize(n);
  vmin_.resize(n);
  vmax_.resize(n);
  refract_.resize(n);
  payload_shift_.resize(n);
  subtract_.resize(n);
  graded_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = cfg.compartments[i];
    const auto& p = cfg.profiles[static_cast<std::size_t>(c.profile)];
    decay_u_factor_[i] = static_cast<std::int32_t>(current_decay_factor(p.decay_u));
    decay_v_factor_[i] = static_cast<std::int32_t>(voltage_decay_factor(p.decay_v));
    bias_[i] = c.bias_mant * (1 << c.bias_exp);  // |bias| <= 4095 * 128 < 2^19: exact
    vth_[i] = p.vth_mant * (1 << kThresholdShift);
    vmin_[i] = static_cast<std::int32_t>(vmin_from_exp(p.vmin_exp));
    vmax_[i] = static_cast<std::int32_t>(vmax_from_exp(p.vmax_exp));
    refract_[i] = p.refract_delay;
    payload_shift_[i] = p.payload_shift;
    subtract_[i] = p.reset == ResetMode::kSubtract;
    graded_[i] = p.spike == SpikeKind::kGraded;
  }
  configured_bias_ = bias_;
  u_.assign(n, 0);
  v_.assign(n, 0);
  ref_.assign(n, 0);
  acc_.assign(n * static_cast<std::size_t>(depth_), 0);
  spiked_.assign(n, 0);
  pre_reset_.assign(n, 0);
  fired_.reserve(n);
  fired_payload_.reserve(n);
}

void Neurocore::set_bias(int compartment, int bias_mant, int bias_exp) {
  if (compartment < 0 || compartment >= n_)
    throw std::out_of_range("bias for compartment " + std::to_string(compartment) +
                            " but the core has " + std::to_string(n_));
  if (bias_mant < -kMaxBiasMant || bias_mant > kMaxBiasMant || bias_exp < 0 ||
      bias_exp > kMaxBiasExp)
    throw std::out_of_range("bias mantissa " + std::to_string(bias_mant) + " exponent " +
                            std::to_string(bias_exp) + " outside -4095..4095 and 0..7");
  bias_[static_cast<std::size_t>(compartment)] = bias_mant * (1 << bias_exp);
}

void Neurocore::reset_state() {
  bias_ = configured_bias_;  // undo set_bias()
  std::fill(u_.begin(), u_.end(), 0);
  std::fill(v_.begin(), v_.end(), 0);
  std::fill(ref_.begin(), ref_.end(), 0);
  std::fill(acc_.begin(), acc_.end(), 0u);
  fired_.clear();
  fired_payload_.clear();
  t_ = 0;
}

// Adds one spike's synaptic events into the accumulator. The accumulator is modular (uint32):
// wrapping the exact sum to 21 bits + sign at read-out gives the same result as wrapping after
// every add, so the adds need no per-event wrap. Graded payloads multiply the effective weight
// exactly in 64 bits before entering the modular sum.
void Neurocore::deliver(const AxonSpike& s) {
  if (s.axon < 0 || s.axon >= static_cast<std::int32_t>(axons_.size()))
    throw std::out_of_range("spike on input axon " + std::to_string(s.axon) +
                            " but the core has " + std::to_string(axons_.size()) +
                            " input axons");
  if (s.payload != wrap_signed(s.payload, kPayloadBits))
    throw std::out_of_range("spike payload " + std::to_string(s.payload) +
                            " does not fit 23 bits + sign");
  const Axon& a = axons_[static_cast<std::size_t>(s.axon)];
  const List& l = lists_[static_cast<std::size_t>(a.list)];
  const std::size_t n = l.weight.size();
  ++counts_.spikes_in;
  (l.dense ? counts_.syn_ops_dense : counts_.syn_ops_sparse) += n;
  const std::uint32_t* w = l.weight.data();
  const bool binary = s.payload == 1;
  const auto scale = [&](std::uint32_t wk) {
    return binary ? wk
                  : static_cast<std::uint32_t>(static_cast<std::int64_t>(
                                                   static_cast<std::int32_t>(wk)) *
                                               s.payload);
  };

  if (!l.has_delay) {
    std::uint32_t* q = slot(t_) + a.base;
    if (l.dense) {
      if (binary) {
        for (std::size_t k = 0; k < n; ++k) q[k] += w[k];  // the vectorised hot loop
      } else {
        for (std::size_t k = 0; k < n; ++k) q[k] += scale(w[k]);
      }
    } else {
      const std::int32_t* idx = l.index.data();
      for (std::size_t k = 0; k < n; ++k) q[idx[k]] += scale(w[k]);
    }
    return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::int32_t target = a.base + (l.dense ? static_cast<std::int32_t>(k) : l.index[k]);
    slot(t_ + l.delay[k])[target] += scale(w[k]);
  }
}

void Neurocore::step(std::span<const AxonSpike> inputs, std::vector<SpikeMessage>& out) {
  for (const auto& s : inputs) deliver(s);

  std::uint32_t* q_slot = slot(t_);
  // Pass 1: the compartment update of loihi.md section 2, steps 2-9, as one branch-free loop
  // over the structure-of-arrays state so the compiler can vectorise it. Spikes are flagged,
  // not collected, here.
  // Local restrict pointers and a local trip count: without them the compiler must assume the
  // stores may alias the vectors' own bookkeeping and refuses to vectorise.
  const int n = n_;
  std::uint32_t* __restrict const acc = q_slot;
  std::int32_t* __restrict const u_arr = u_.data();
  std::int32_t* __restrict const v_arr = v_.data();
  std::int32_t* __restrict const ref_arr = ref_.data();
  std::uint8_t* __restrict const spiked = spiked_.data();
  std::int32_t* __restrict const pre_reset = pre_reset_.data();
  const std::int32_t* __restrict const fu = decay_u_factor_.data();
  const std::int32_t* __restrict const fv = decay_v_factor_.data();
  const std::int32_t* __restrict const bias = bias_.data();
  const std::int32_t* __restrict const vth = vth_.data();
  const std::int32_t* __restrict const vmin = vmin_.data();
  const std::int32_t* __restrict const vmax = vmax_.data();
  const std::int32_t* __restrict const refract = refract_.data();
  const std::uint8_t* __restrict const subtract = subtract_.data();
  std::int32_t active = 0;  // n <= 8192: a 32-bit count keeps the loop vectorisable
  // Every array is distinct and indexed only by i: no dependencies between iterations.
#pragma GCC ivdep
  for (int i = 0; i < n; ++i) {
    const std::int32_t q = wrap_input(static_cast<std::int32_t>(acc[i]));  // step 2
    acc[i] = 0;
    const std::int32_t u_prev = u_arr[i];
    const std::int32_t v_prev = v_arr[i];
    const std::int32_t ref = ref_arr[i];
    active += static_cast<std::int32_t>((q | u_prev | v_prev | bias[i]) != 0);
    // All arithmetic below stays in 32 bits (so the loop vectorises) and is exact:
    // step 3: current decay (implicit +1) plus input, wrapped to 23 bits + sign.
    // |decayed u| < 2^23 and |q| <= 2^21, so the sum fits before the wrap.
    const std::int32_t u = wrap_current(decay_trunc32(u_prev, fu[i]) + q);
    u_arr[i] = u;
    // step 4: u + bias, wrapped to 23 bits + sign (|bias| < 2^19).
    const std::int32_t u2 = wrap_current(u + bias[i]);
    // steps 5-6: voltage decay plus u2, clipped to [vmin, vmax].
    const std::int32_t dv = decay_trunc32(v_prev, fv[i]);
    const std::int32_t v_sum = add_for_clip(dv, u2);
    std::int32_t v = v_sum < vmin[i] ? vmin[i] : (v_sum > vmax[i] ? vmax[i] : v_sum);
    // step 7: refractory compartments hold v at 0
    v = ref > 0 ? 0 : v;
    // step 8: strict threshold; reset to zero (Loihi 1) or by subtracting vth
    const bool fire = v > vth[i];
    pre_reset[i] = v;
    // Evaluated for every compartment (branch-free), also those that do not fire, whose v may be
    // near vmin = -(2^31 - 1): subtract as unsigned so that no signed overflow (UB) can occur;
    // when the compartment fires, v > vth >= 0 and the result is exact.
    const auto reset_v = subtract[i] ? static_cast<std::int32_t>(static_cast<std::uint32_t>(v) -
                                                                 static_cast<std::uint32_t>(vth[i]))
                                     : 0;
    v = fire ? reset_v : v;
    const std::int32_t r = fire ? refract[i] : ref;
    // step 9: refractory counter counts down
    ref_arr[i] = r > 0 ? r - 1 : 0;
    v_arr[i] = v;
    spiked[i] = fire;
  }
  // Pass 2: collect the fired compartments (ascending) and their payloads.
  fired_.clear();
  fired_payload_.clear();
  for (int i = 0; i < n_; ++i) {
    if (!spiked[i]) continue;
    fired_.push_back(i);
    fired_payload_.push_back(
        graded_[static_cast<std::size_t>(i)]
            ? static_cast<std::int32_t>(shift_floor(pre_reset[i], -payload_shift_[static_cast<std::size_t>(i)]))
            : 1);
  }
  counts_.cx_updates += static_cast<std::uint64_t>(n_);
  counts_.cx_updates_active += static_cast<std::uint64_t>(active);
  counts_.spikes += fired_.size();

  for (std::size_t k = 0; k < fired_.size(); ++k) {
    const auto c = static_cast<std::size_t>(fired_[k]);
    const auto b = static_cast<std::size_t>(out_begin_[c]);
    const auto e = static_cast<std::size_t>(out_begin_[c + 1]);
    for (std::size_t j = b; j < e; ++j) {
      SpikeMessage m = out_[j];
      m.payload = fired_payload_[k];
      out.push_back(m);
    }
    counts_.spikes_out += e - b;
  }
  ++t_;
}

}  // namespace loihisim::core
