#include "core/neurocore.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/fixed_point.hpp"

// GCC on AVX-512 machines prefers 256-bit vectors by default; the few loops that are pure
// streaming integer arithmetic (row adds, the compartment update) run faster on 512 bits.
// No effect on results: the same integer operations, wider.
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
#define LOIHISIM_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define LOIHISIM_WIDE_VECTORS
#endif

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

namespace {

const CoreConfig& checked(const CoreConfig& cfg, const CoreLimits& limits) {
  if (auto problems = validate(cfg, limits); !problems.empty())
    throw InvalidCoreConfig(std::move(problems));
  return cfg;
}

}  // namespace

Neurocore::Neurocore(const CoreConfig& cfg, const CoreLimits& limits)
    : Neurocore(checked(cfg, limits), Validated{}) {}

Neurocore::Neurocore(const CoreConfig& cfg, Validated) {
  n_ = static_cast<int>(cfg.compartments.size());
  depth_ = cfg.accumulator_depth;
  const auto n = static_cast<std::size_t>(n_);
  load_synapse_lists(cfg);
  load_output_axons(cfg);
  load_compartments(cfg);
  if (std::any_of(cfg.compartments.begin(), cfg.compartments.end(),
                  [](const CompartmentConfig& c) { return c.join != JoinOp::kNone; }))
    load_joins(cfg);
  // One set of update parameters for the whole core (the usual case): the update reads scalars.
  uniform_ = n > 0;
  for (std::size_t i = 1; i < n && uniform_; ++i)
    uniform_ = decay_u_factor_[i] == decay_u_factor_[0] &&
               decay_v_factor_[i] == decay_v_factor_[0] && vth_[i] == vth_[0] &&
               vmin_[i] == vmin_[0] && vmax_[i] == vmax_[0] && refract_[i] == refract_[0] &&
               subtract_[i] == subtract_[0];
  u_.assign(n, 0);
  v_.assign(n, 0);
  set_initial_v();
  ref_.assign(n, 0);
  acc_.assign(n * static_cast<std::size_t>(depth_), 0);
  spiked_.assign(n, 0);
  pre_reset_.assign(n, 0);
  fired_.assign(n, 0);
  fired_payload_.assign(n, 1);
}

Neurocore Neurocore::mirror(int compartments, int input_axons) {
  Neurocore m(CoreConfig{}, Validated{});
  m.n_ = compartments;
  m.mirror_axons_ = input_axons;
  return m;
}

void Neurocore::mirror_step(const CoreCounts& counts, std::span<const std::int32_t> fired,
                            std::span<const std::int32_t> payloads) {
  if (!is_mirror() || fired.size() != payloads.size() ||
      fired.size() > static_cast<std::size_t>(n_))
    throw std::logic_error("mirror_step() on a real core or with mismatched fired lists");
  counts_ = counts;
  fired_.assign(fired.begin(), fired.end());
  fired_payload_.assign(payloads.begin(), payloads.end());
  n_fired_ = static_cast<int>(fired.size());
  ++t_;
}

namespace {
template <class... V>
std::uint64_t bytes_of(const V&... v) {
  return (std::uint64_t{0} + ... + (v.capacity() * sizeof(typename V::value_type)));
}
}  // namespace

MemoryBytes Neurocore::memory() const {
  MemoryBytes m;
  m.synapses =
      bytes_of(axons_, dense16_, dense32_, sparse16_, sparse32_, delayed_, out_begin_, out_);
  m.compartments =
      bytes_of(join_parent_, join_in_, decay_u_factor_, decay_v_factor_, bias_, vth_, vmin_, vmax_,
               configured_bias_, refract_, payload_shift_, subtract_, graded_, input_hi_, u_, v_,
               ref_, acc_, spiked_, pre_reset_, fired_, fired_payload_);
  m.other = sizeof(Neurocore) + bytes_of(runs_, model_ranges_);
  return m;
}

Neurocore::Axon Neurocore::add_list(const SynapseList& l, const SynapseFormat& f) {
  const std::size_t count = l.mantissa.size();
  std::vector<std::int32_t> w(count);
  bool fits16 = true;
  for (std::size_t k = 0; k < count; ++k) {
    w[k] = effective_weight(l.mantissa[k], f.weight_exp);
    fits16 = fits16 && w[k] >= INT16_MIN && w[k] <= INT16_MAX;
  }
  const bool delayed = std::any_of(l.delay.begin(), l.delay.end(), [](int d) { return d != 0; });
  Axon a;
  a.count = static_cast<std::uint32_t>(count);
  a.dense = f.dense();
  const auto u32 = [](std::int32_t x) { return static_cast<std::uint32_t>(x); };
  const auto i16 = [](std::int32_t x) { return static_cast<std::int16_t>(x); };
  if (delayed) {
    a.kind = ListKind::kDelayed;
    a.begin = static_cast<std::uint32_t>(delayed_.size());
    for (std::size_t k = 0; k < count; ++k)
      delayed_.push_back(
          {a.dense ? static_cast<std::int32_t>(k) : l.index[k], u32(w[k]), l.delay[k]});
  } else if (a.dense && fits16) {
    a.kind = ListKind::kDense16;
    a.begin = static_cast<std::uint32_t>(dense16_.size());
    for (auto x : w) dense16_.push_back(i16(x));
  } else if (a.dense) {
    a.kind = ListKind::kDense32;
    a.begin = static_cast<std::uint32_t>(dense32_.size());
    for (auto x : w) dense32_.push_back(u32(x));
  } else if (fits16) {
    a.kind = ListKind::kSparse16;
    a.begin = static_cast<std::uint32_t>(sparse16_.size());
    for (std::size_t k = 0; k < count; ++k)
      sparse16_.push_back({static_cast<std::uint16_t>(l.index[k]), i16(w[k])});
  } else {
    a.kind = ListKind::kSparse32;
    a.begin = static_cast<std::uint32_t>(sparse32_.size());
    for (std::size_t k = 0; k < count; ++k) sparse32_.push_back({l.index[k], u32(w[k])});
  }
  return a;
}

void Neurocore::load_synapse_lists(const CoreConfig& cfg) {
  // Flatten the synapse lists (see Neurocore::Axon): each list once, in the array of its kind.
  std::vector<Axon> list_axon;  // per list: where its synapses are and of what kind
  list_axon.reserve(cfg.synapse_lists.size());
  for (const auto& l : cfg.synapse_lists)
    list_axon.push_back(add_list(l, cfg.formats[static_cast<std::size_t>(l.format)]));
  for (const auto& in : cfg.input_axons) {
    Axon a = list_axon[static_cast<std::size_t>(in.synapse_list)];
    a.base = in.base;
    axons_.push_back(a);
  }
}

void Neurocore::load_output_axons(const CoreConfig& cfg) {
  // Output axons grouped by source, keeping their order within a source.
  out_begin_.assign(static_cast<std::size_t>(n_) + 1, 0);
  for (const auto& o : cfg.output_axons) ++out_begin_[static_cast<std::size_t>(o.source) + 1];
  std::partial_sum(out_begin_.begin(), out_begin_.end(), out_begin_.begin());
  out_.resize(cfg.output_axons.size());
  std::vector<std::int32_t> fill(out_begin_.begin(), out_begin_.end() - 1);
  for (const auto& o : cfg.output_axons)
    out_[static_cast<std::size_t>(fill[static_cast<std::size_t>(o.source)]++)] = {o.dest_core,
                                                                                  o.dest_axon, 1};
}

void Neurocore::load_compartments(const CoreConfig& cfg) {
  const auto n = static_cast<std::size_t>(n_);
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
    any_graded_ = any_graded_ || graded_[i];
    any_sigma_delta_ = any_sigma_delta_ || p.neuron == NeuronModel::kSigmaDelta;
  }
  configured_bias_ = bias_;
  if (!any_sigma_delta_) return;
  // Sigma-delta compartments: their input clip, and the ranges of one model.
  input_hi_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = cfg.profiles[static_cast<std::size_t>(cfg.compartments[i].profile)];
    const bool sd = p.neuron == NeuronModel::kSigmaDelta;
    input_hi_[i] = sd && p.input_max >= 0 ? p.input_max : kMaxInputMax;
    if (model_ranges_.empty() || model_ranges_.back().sigma_delta != sd)
      model_ranges_.push_back({static_cast<int>(i), static_cast<int>(i), sd});
    ++model_ranges_.back().end;
  }
}

// Sigma-delta compartments start half a quantum up (v = 2^(payload_shift - 1)), the others at 0.
void Neurocore::set_initial_v() {
  for (const ModelRange& r : model_ranges_)
    if (r.sigma_delta)
      for (int i = r.begin; i < r.end; ++i) {
        const auto k = static_cast<std::size_t>(i);
        v_[k] = std::int32_t{1} << (payload_shift_[k] - 1);
      }
}

void Neurocore::load_joins(const CoreConfig& cfg) {
  const auto n = static_cast<std::size_t>(n_);
  join_parent_.resize(n);
  join_in_.assign(n, 0);
  std::vector<int> level(n, 0);          // 0 without children, so level > 0 marks a parent
  for (std::size_t i = 0; i < n; ++i) {  // children first: a child's level is final here
    const auto& c = cfg.compartments[i];
    join_parent_[i] = c.join == JoinOp::kNone ? -1 : c.join_parent;
    if (join_parent_[i] < 0) continue;
    const auto p = static_cast<std::size_t>(join_parent_[i]);
    level[p] = std::max(level[p], level[i] + 1);
  }
  const int top = *std::max_element(level.begin(), level.end());
  runs_.clear();
  for (int l = 0; l <= top; ++l)
    for (int i = 0; i < n_;) {
      if (level[static_cast<std::size_t>(i)] != l) {
        ++i;
        continue;
      }
      Run r{i, i + 1, l > 0, false};
      while (r.end < n_ && level[static_cast<std::size_t>(r.end)] == l) ++r.end;
      for (int k = r.begin; k < r.end; ++k)
        r.children |= join_parent_[static_cast<std::size_t>(k)] >= 0;
      runs_.push_back(r);
      i = r.end;
    }
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
  set_initial_v();
  std::fill(ref_.begin(), ref_.end(), 0);
  std::fill(acc_.begin(), acc_.end(), 0u);
  n_fired_ = 0;
  t_ = 0;
  head_ = 0;
}

// Adds one spike's synaptic events into the accumulator. The accumulator is modular (uint32):
// wrapping the exact sum to 21 bits + sign at read-out gives the same result as wrapping after
// every add, so the adds need no per-event wrap. Graded payloads multiply the effective weight
// exactly in 64 bits before entering the modular sum.
void Neurocore::check_inputs(std::span<const AxonSpike> inputs) const {
  const auto n_axons = static_cast<std::uint32_t>(axons_.size());
  bool ok = true;  // one branch per step, not two per spike
  for (const AxonSpike& s : inputs)
    ok &= (static_cast<std::uint32_t>(s.axon) < n_axons) &
          (s.payload == wrap_signed(s.payload, kPayloadBits));
  if (ok) return;
  for (const AxonSpike& s : inputs) {
    if (s.axon < 0 || s.axon >= static_cast<std::int32_t>(axons_.size()))
      throw std::out_of_range("spike on input axon " + std::to_string(s.axon) +
                              " but the core has " + std::to_string(axons_.size()) +
                              " input axons");
    if (s.payload != wrap_signed(s.payload, kPayloadBits))
      throw std::out_of_range("spike payload " + std::to_string(s.payload) +
                              " does not fit 23 bits + sign");
  }
}

// `s` was checked by check_inputs().
void Neurocore::deliver(const AxonSpike& s) {
  const Axon& a = axons_[static_cast<std::size_t>(s.axon)];
  const std::size_t n = a.count;
  ++counts_.spikes_in;
  (a.dense ? counts_.syn_ops_dense : counts_.syn_ops_sparse) += n;
  const std::int64_t payload = s.payload;
  // The weight times the payload, as the modular bit pattern (w is the sign-extended weight).
  const auto scaled = [payload](std::int64_t w) { return static_cast<std::uint32_t>(w * payload); };
  const auto bits = [](std::int32_t w) { return static_cast<std::uint32_t>(w); };
  std::uint32_t* __restrict const q = slot_at(0) + a.base;

  switch (a.kind) {
    case ListKind::kDense16: {
      const std::int16_t* __restrict const w = dense16_.data() + a.begin;
      if (payload == 1) {
        for (std::size_t k = 0; k < n; ++k) q[k] += bits(w[k]);  // the vectorised hot loop
      } else {
        for (std::size_t k = 0; k < n; ++k) q[k] += scaled(w[k]);
      }
      return;
    }
    case ListKind::kDense32: {
      const std::uint32_t* __restrict const w = dense32_.data() + a.begin;
      if (payload == 1) {
        for (std::size_t k = 0; k < n; ++k) q[k] += w[k];
      } else {
        for (std::size_t k = 0; k < n; ++k) q[k] += scaled(static_cast<std::int32_t>(w[k]));
      }
      return;
    }
    case ListKind::kSparse16: {
      const Sparse16* const syn = sparse16_.data() + a.begin;
      if (payload == 1) {
        for (std::size_t k = 0; k < n; ++k) q[syn[k].index] += bits(syn[k].weight);
      } else {
        for (std::size_t k = 0; k < n; ++k) q[syn[k].index] += scaled(syn[k].weight);
      }
      return;
    }
    case ListKind::kSparse32: {
      const Sparse32* const syn = sparse32_.data() + a.begin;
      for (std::size_t k = 0; k < n; ++k)
        q[syn[k].index] += scaled(static_cast<std::int32_t>(syn[k].weight));
      return;
    }
    case ListKind::kDelayed: {
      const Delayed* const syn = delayed_.data() + a.begin;
      for (std::size_t k = 0; k < n; ++k)
        slot_at(syn[k].delay)[a.base + syn[k].index] +=
            scaled(static_cast<std::int32_t>(syn[k].weight));
      return;
    }
  }
}

namespace {

// Per-compartment parameters of the update, either per compartment (arrays) or the same for
// every compartment of the core (scalars: fewer memory streams in the hot loop; the usual case,
// one profile per core).
struct ArrayParams {
  const std::int32_t* __restrict fu;
  const std::int32_t* __restrict fv;
  const std::int32_t* __restrict vth;
  const std::int32_t* __restrict vmin;
  const std::int32_t* __restrict vmax;
  const std::int32_t* __restrict refract;
  const std::uint8_t* __restrict subtract;
  std::int32_t decay_u(int i, std::int32_t u) const { return decay_trunc32(u, fu[i]); }
  std::int32_t decay_v(int i, std::int32_t v) const { return decay_trunc32(v, fv[i]); }
  std::int32_t threshold(int i) const { return vth[i]; }
  std::int32_t lo(int i) const { return vmin[i]; }
  std::int32_t hi(int i) const { return vmax[i]; }
  std::int32_t refractory(int i) const { return refract[i]; }
  bool subtracts(int i) const { return subtract[i] != 0; }
};
struct UniformParams {
  std::int32_t fu, fv, vth, vmin, vmax, refract;
  std::uint8_t subtract;
  std::int32_t decay_u(int, std::int32_t u) const { return decay_trunc32(u, fu); }
  std::int32_t decay_v(int, std::int32_t v) const { return decay_trunc32(v, fv); }
  std::int32_t threshold(int) const { return vth; }
  std::int32_t lo(int) const { return vmin; }
  std::int32_t hi(int) const { return vmax; }
  std::int32_t refractory(int) const { return refract; }
  bool subtracts(int) const { return subtract != 0; }
};

// Uniform integrate-and-fire cores (decay_u = 4095, decay_v = 0: the gate layers of the hybrid
// LSTM): decay_trunc32(u, 0) = 0 and decay_trunc32(v, 4096) = v exactly, so no multiplies.
struct IntegrateAndFireParams : UniformParams {
  std::int32_t decay_u(int, std::int32_t) const { return 0; }
  std::int32_t decay_v(int, std::int32_t v) const { return v; }
};

// Pointers to the first compartment of the range being updated.
struct State {
  int n;
  std::uint32_t* acc;  // this step's accumulator slot
  std::int32_t* u;
  std::int32_t* v;
  std::int32_t* ref;
  std::uint8_t* spiked;
  std::int32_t* pre_reset;
  const std::int32_t* bias;
  const std::int32_t* join_in;  // kJoin only
};

// The compartment update of loihi.md section 2, steps 2-9, as one branch-free loop over the
// structure-of-arrays state so the compiler can vectorise it. Spikes are flagged, not collected,
// here. `kPreReset`: keep v before the reset (needed for graded payloads only).
// Local restrict pointers and a local trip count: without them the compiler must assume the
// stores may alias the vectors' own bookkeeping and refuses to vectorise.
// `kJoin`: the range's compartments have children; join_in[i] (their v summed, wrapped to
// 23 bits + sign) enters u with q.
template <bool kPreReset, bool kJoin, class Params>
LOIHISIM_WIDE_VECTORS Neurocore::Totals update_compartments(const State& s, const Params p) {
  const int n = s.n;
  std::uint32_t* __restrict const acc = s.acc;
  std::int32_t* __restrict const u_arr = s.u;
  std::int32_t* __restrict const v_arr = s.v;
  std::int32_t* __restrict const ref_arr = s.ref;
  std::uint8_t* __restrict const spiked = s.spiked;
  std::int32_t* __restrict const pre_reset = s.pre_reset;
  const std::int32_t* __restrict const bias = s.bias;
  const std::int32_t* __restrict const join_in = s.join_in;
  std::int32_t active = 0, fired = 0;
  // Every array is distinct and indexed only by i: no dependencies between iterations.
#pragma GCC ivdep
  for (int i = 0; i < n; ++i) {
    const std::int32_t q = wrap_input(static_cast<std::int32_t>(acc[i]));  // step 2
    acc[i] = 0;
    const std::int32_t u_prev = u_arr[i];
    const std::int32_t v_prev = v_arr[i];
    const std::int32_t ref = ref_arr[i];
    const std::int32_t joined = kJoin ? join_in[i] : 0;
    active += static_cast<std::int32_t>((q | u_prev | v_prev | bias[i] | joined) != 0);
    // All arithmetic below stays in 32 bits (so the loop vectorises) and is exact:
    // step 3: current decay (implicit +1) plus input (and join input), wrapped to 23 bits +
    // sign. |decayed u| < 2^23, |q| <= 2^21 and |joined| <= 2^23, so the sum fits before the
    // wrap.
    const std::int32_t u = wrap_current(p.decay_u(i, u_prev) + q + joined);
    u_arr[i] = u;
    // step 4: u + bias, wrapped to 23 bits + sign (|bias| < 2^19).
    const std::int32_t u2 = wrap_current(u + bias[i]);
    // steps 5-6: voltage decay plus u2, clipped to [vmin, vmax].
    const std::int32_t dv = p.decay_v(i, v_prev);
    const std::int32_t v_sum = add_for_clip(dv, u2);
    const std::int32_t lo = p.lo(i), hi = p.hi(i);
    std::int32_t v = v_sum < lo ? lo : (v_sum > hi ? hi : v_sum);
    // step 7: refractory compartments hold v at 0
    v = ref > 0 ? 0 : v;
    // step 8: strict threshold; reset to zero (Loihi 1) or by subtracting vth
    const std::int32_t vth = p.threshold(i);
    const bool fire = v > vth;
    if constexpr (kPreReset) pre_reset[i] = v;
    // Evaluated for every compartment (branch-free), also those that do not fire, whose v may be
    // near vmin = -(2^31 - 1): subtract as unsigned so that no signed overflow (UB) can occur;
    // when the compartment fires, v > vth >= 0 and the result is exact.
    const auto reset_v = p.subtracts(i) ? static_cast<std::int32_t>(static_cast<std::uint32_t>(v) -
                                                                    static_cast<std::uint32_t>(vth))
                                        : 0;
    v = fire ? reset_v : v;
    const std::int32_t r = fire ? p.refractory(i) : ref;
    // step 9: refractory counter counts down
    ref_arr[i] = r > 0 ? r - 1 : 0;
    v_arr[i] = v;
    spiked[i] = fire;
    fired += static_cast<std::int32_t>(fire);
  }
  return {active, fired};
}

}  // namespace

LOIHISIM_WIDE_VECTORS void Neurocore::step(std::span<const AxonSpike> inputs,
                                           std::vector<SpikeMessage>& out) {
  // Spikes arrive on random axons, so on a core with many axons each one's axon entry and list
  // are cache misses. The spikes are known in advance, so both are prefetched a few spikes ahead:
  // axon entries kAxonAhead ahead, synapse data kListAhead ahead, once its entry is cached.
  // Every spike is checked first (a bad one throws before the state changes), so the loop
  // below needs no checks.
  check_inputs(inputs);
  const std::size_t n_in = inputs.size();
  const auto prefetch_ahead = [&](std::size_t k) {
    if (k + kAxonAhead < n_in)
      __builtin_prefetch(&axons_[static_cast<std::size_t>(inputs[k + kAxonAhead].axon)]);
    if (k + kListAhead < n_in)
      prefetch_list(axons_[static_cast<std::size_t>(inputs[k + kListAhead].axon)]);
  };
  for (std::size_t k = 0; k < std::min(n_in, kListAhead); ++k)
    prefetch_list(axons_[static_cast<std::size_t>(inputs[k].axon)]);
  for (std::size_t k = 0; k < n_in;) {
    prefetch_ahead(k);
    const std::size_t m = dense16_group(inputs, k);
    if (m > 1) {
      for (std::size_t j = 1; j < m; ++j) prefetch_ahead(k + j);
      deliver_dense16_group(inputs.subspan(k, m));
      k += m;
    } else {
      deliver(inputs[k]);
      ++k;
    }
  }

  // Pass 1: the compartment update (update_compartments above); spikes are flagged there and
  // collected after. With joins, children are updated before their parents read them.
  Totals tot;
  if (runs_.empty()) {
    tot = update(0, n_, nullptr);
  } else {
    std::fill(join_in_.begin(), join_in_.end(), 0);
    for (const Run& r : runs_) {
      const Totals t = update(r.begin, r.end, r.parents ? join_in_.data() + r.begin : nullptr);
      tot.active += t.active;
      tot.fired += t.fired;
      if (!r.children) continue;
      // The children's v of this step (after clip, hold and reset) into their parents' sums,
      // wrapped like every input: both terms fit 23 bits + sign, so the sum fits 32 bits.
      for (int i = r.begin; i < r.end; ++i) {
        const auto p = join_parent_[static_cast<std::size_t>(i)];
        if (p < 0) continue;
        auto& in = join_in_[static_cast<std::size_t>(p)];
        in = wrap_current(in + wrap_current(v_[static_cast<std::size_t>(i)]));
      }
    }
  }
  const std::int32_t active = tot.active;
  if (tot.fired > 0) {
    collect_fired();
  } else {
    n_fired_ = 0;
  }
  counts_.cx_updates += static_cast<std::uint64_t>(n_);
  counts_.cx_updates_active += static_cast<std::uint64_t>(active);
  counts_.spikes += static_cast<std::uint64_t>(n_fired_);

  if (!out_.empty()) send(out);
  ++t_;
  if (++head_ == depth_) head_ = 0;
}

namespace {

template <class Params>
Neurocore::Totals update_with(const State& st, const Params& p, bool graded) {
  if (st.join_in != nullptr)
    return graded ? update_compartments<true, true>(st, p)
                  : update_compartments<false, true>(st, p);
  return graded ? update_compartments<true, false>(st, p)
                : update_compartments<false, false>(st, p);
}

}  // namespace

Neurocore::Totals Neurocore::update(int begin, int end, const std::int32_t* join_in) {
  if (!any_sigma_delta_) return update_cuba(begin, end, join_in);
  // The parts of [begin, end) of one model each, with that model's loop.
  Totals tot;
  auto r = std::upper_bound(model_ranges_.begin(), model_ranges_.end(), begin,
                            [](int i, const ModelRange& m) { return i < m.end; });
  for (; r != model_ranges_.end() && r->begin < end; ++r) {
    const int b = std::max(begin, r->begin), e = std::min(end, r->end);
    const std::int32_t* j = join_in != nullptr ? join_in + (b - begin) : nullptr;
    const Totals t = r->sigma_delta ? update_sigma_delta(b, e, j) : update_cuba(b, e, j);
    tot.active += t.active;
    tot.fired += t.fired;
  }
  return tot;
}

// The sigma-delta update (docs/core.md, "Sigma-delta neurons"): steps 2-4 as CUBA, then the
// rectified, clipped input s = clip(u2, 0, input_max) enters V, whose whole quanta of
// 2^payload_shift leave as one graded spike (payload n = V >> payload_shift) and are subtracted.
// V stays in [0, 2^payload_shift) between steps, so V + s < 2^24: all of it fits 32 bits. The
// payload is formed by collect_fired() from pre_reset_ (V before the subtraction), as for CUBA.
Neurocore::Totals Neurocore::update_sigma_delta(int begin, int end, const std::int32_t* join_in) {
  Totals tot;
  std::uint32_t* const acc = slot_at(0);
  for (int k = begin; k < end; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const std::int32_t q = wrap_input(static_cast<std::int32_t>(acc[i]));
    acc[i] = 0;
    const std::int32_t joined = join_in != nullptr ? join_in[k - begin] : 0;
    tot.active += static_cast<std::int32_t>((q | u_[i] | v_[i] | bias_[i] | joined) != 0);
    const std::int32_t u = wrap_current(decay_trunc32(u_[i], decay_u_factor_[i]) + q + joined);
    u_[i] = u;
    const std::int32_t u2 = wrap_current(u + bias_[i]);
    const std::int32_t s = std::clamp(u2, 0, input_hi_[i]);
    const std::int32_t v = decay_trunc32(v_[i], decay_v_factor_[i]) + s;
    const int shift = payload_shift_[i];
    const std::int32_t n = v >> shift;  // v >= 0: the floor
    pre_reset_[i] = v;
    v_[i] = v - (n << shift);
    spiked_[i] = n > 0;
    tot.fired += static_cast<std::int32_t>(n > 0);
  }
  return tot;
}

Neurocore::Totals Neurocore::update_cuba(int begin, int end, const std::int32_t* join_in) {
  const auto b = static_cast<std::size_t>(begin);
  const State st{end - begin,           slot_at(0) + b,   u_.data() + b,
                 v_.data() + b,         ref_.data() + b,  spiked_.data() + b,
                 pre_reset_.data() + b, bias_.data() + b, join_in};
  if (uniform_) {
    const UniformParams p{decay_u_factor_[0], decay_v_factor_[0], vth_[0],     vmin_[0],
                          vmax_[0],           refract_[0],        subtract_[0]};
    if (p.fu == 0 && p.fv == kDecayOne)
      return update_with(st, IntegrateAndFireParams{p}, any_graded_);
    return update_with(st, p, any_graded_);
  }
  const ArrayParams p{decay_u_factor_.data() + b, decay_v_factor_.data() + b, vth_.data() + b,
                      vmin_.data() + b,           vmax_.data() + b,           refract_.data() + b,
                      subtract_.data() + b};
  return update_with(st, p, any_graded_);
}

// Expands the fired compartments through their output axons into `out`.
void Neurocore::send(std::vector<SpikeMessage>& out) {
  // Each fired compartment's output axons are one more random access: prefetch them all first
  // (only those that have any: out_begin_[c] may be out_.size()).
  const auto fired = static_cast<std::size_t>(n_fired_);
  for (std::size_t k = 0; k < fired; ++k) {
    const auto c = static_cast<std::size_t>(fired_[k]);
    if (out_begin_[c] < out_begin_[c + 1])
      __builtin_prefetch(out_.data() + static_cast<std::size_t>(out_begin_[c]));
  }
  std::uint64_t sent = 0;  // a local count: no store-to-load chain through counts_
  for (std::size_t k = 0; k < fired; ++k) {
    const auto c = static_cast<std::size_t>(fired_[k]);
    const auto b = static_cast<std::size_t>(out_begin_[c]);
    const auto e = static_cast<std::size_t>(out_begin_[c + 1]);
    for (std::size_t j = b; j < e; ++j) {
      SpikeMessage m = out_[j];
      m.payload = fired_payload_[k];
      out.push_back(m);
    }
    sent += e - b;
  }
  counts_.spikes_out += sent;
}

// How many spikes from inputs[k] on (at most kGroup) are binary spikes on dense int16 lists
// with the same base and length, which deliver_dense16_group() adds in one pass. 0 or 1: deliver
// inputs[k] alone.
std::size_t Neurocore::dense16_group(std::span<const AxonSpike> inputs, std::size_t k) const {
  const auto fits = [&](const AxonSpike& s) {  // s was checked by check_inputs()
    return s.payload == 1 && axons_[static_cast<std::size_t>(s.axon)].kind == ListKind::kDense16;
  };
  if (!fits(inputs[k])) return 0;
  const Axon& first = axons_[static_cast<std::size_t>(inputs[k].axon)];
  std::size_t m = 1;
  while (m < kGroup && k + m < inputs.size() && fits(inputs[k + m])) {
    const Axon& a = axons_[static_cast<std::size_t>(inputs[k + m].axon)];
    if (a.base != first.base || a.count != first.count) break;
    ++m;
  }
  return m;
}

namespace {

// q[k] += the sum of M rows' k-th weights: one pass over the accumulator for M spikes instead
// of M passes. The uint32 sum is modular, so adding the rows' weights first and then into q is
// the same as adding them into q one after the other.
template <std::size_t M>
LOIHISIM_WIDE_VECTORS void add_rows(std::uint32_t* __restrict q, const std::int16_t* const (&w)[8],
                                    std::size_t n) {
  const std::int16_t* __restrict const w0 = w[0];
  const std::int16_t* __restrict const w1 = w[1];
  const std::int16_t* __restrict const w2 = w[2];
  const std::int16_t* __restrict const w3 = w[3];
  const std::int16_t* __restrict const w4 = w[4];
  const std::int16_t* __restrict const w5 = w[5];
  const std::int16_t* __restrict const w6 = w[6];
  const std::int16_t* __restrict const w7 = w[7];
  const auto b = [](std::int16_t x) { return static_cast<std::uint32_t>(std::int32_t{x}); };
  for (std::size_t k = 0; k < n; ++k) {
    std::uint32_t sum = b(w0[k]) + b(w1[k]);
    if constexpr (M > 2) sum += b(w2[k]);
    if constexpr (M > 3) sum += b(w3[k]);
    if constexpr (M > 4) sum += b(w4[k]);
    if constexpr (M > 5) sum += b(w5[k]);
    if constexpr (M > 6) sum += b(w6[k]);
    if constexpr (M > 7) sum += b(w7[k]);
    q[k] += sum;
  }
}

}  // namespace

LOIHISIM_WIDE_VECTORS void Neurocore::deliver_dense16_group(std::span<const AxonSpike> group) {
  static_assert(kGroup == 8);
  const Axon& first = axons_[static_cast<std::size_t>(group[0].axon)];
  const std::size_t n = first.count;
  const std::int16_t* w[8] = {};
  for (std::size_t j = 0; j < 8; ++j)  // unused rows point at the first (never read)
    w[j] = dense16_.data() +
           axons_[static_cast<std::size_t>(group[std::min(j, group.size() - 1)].axon)].begin;
  counts_.spikes_in += group.size();
  counts_.syn_ops_dense += group.size() * n;
  std::uint32_t* const q = slot_at(0) + first.base;
  switch (group.size()) {
    case 2:
      add_rows<2>(q, w, n);
      break;
    case 3:
      add_rows<3>(q, w, n);
      break;
    case 4:
      add_rows<4>(q, w, n);
      break;
    case 5:
      add_rows<5>(q, w, n);
      break;
    case 6:
      add_rows<6>(q, w, n);
      break;
    case 7:
      add_rows<7>(q, w, n);
      break;
    default:
      add_rows<8>(q, w, n);
      break;
  }
}

// The first cache lines of an axon's synapse data (a prefetch is only a hint: no effect on
// results).
void Neurocore::prefetch_list(const Axon& a) const {
  const void* p = nullptr;
  std::size_t bytes = 0;
  switch (a.kind) {
    case ListKind::kDense16:
      p = dense16_.data() + a.begin;
      bytes = a.count * sizeof(std::int16_t);
      break;
    case ListKind::kDense32:
      p = dense32_.data() + a.begin;
      bytes = a.count * sizeof(std::uint32_t);
      break;
    case ListKind::kSparse16:
      p = sparse16_.data() + a.begin;
      bytes = a.count * sizeof(Sparse16);
      break;
    case ListKind::kSparse32:
      p = sparse32_.data() + a.begin;
      bytes = a.count * sizeof(Sparse32);
      break;
    case ListKind::kDelayed:
      return;
  }
  constexpr std::size_t kLine = 64, kMaxLines = 4;
  const auto* c = static_cast<const char*>(p);
  for (std::size_t off = 0; off < std::min(bytes, kLine * kMaxLines); off += kLine)
    __builtin_prefetch(c + off);
}

// Pass 2 of step(): the fired compartments, ascending, and their payloads. Eight flags are
// tested at once (most are zero when the core fires sparsely); within a group with a spike the
// indices are written without branches (every index is stored, the count advances by the flag),
// because a population firing at a few tens of percent makes such branches unpredictable.
void Neurocore::collect_fired() {
  const std::uint8_t* __restrict const spiked = spiked_.data();
  std::int32_t* __restrict const fired = fired_.data();
  int k = 0, i = 0;
  for (; i + 8 <= n_; i += 8) {
    std::uint64_t group;
    std::memcpy(&group, spiked + i, sizeof group);
    if (group == 0) continue;
    for (int j = i; j < i + 8; ++j) {
      fired[k] = j;
      k += spiked[j];
    }
  }
  for (; i < n_; ++i) {
    fired[k] = i;
    k += spiked[i];
  }
  n_fired_ = k;
  if (!any_graded_) return;  // fired_payload_ holds 1 everywhere
  for (int j = 0; j < k; ++j) {
    const auto c = static_cast<std::size_t>(fired[j]);
    fired_payload_[static_cast<std::size_t>(j)] =
        graded_[c] ? static_cast<std::int32_t>(shift_floor(pre_reset_[c], -payload_shift_[c])) : 1;
  }
}

}  // namespace loihisim::core
