#include "core/core_config.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/fixed_point.hpp"

namespace loihisim::core {
namespace {

std::string indexed(const char* table, std::size_t i, const char* field) {
  std::string s = std::string(table) + '[' + std::to_string(i) + ']';
  if (field[0] != '\0') s += std::string(".") + field;
  return s;
}

class Checker {
 public:
  explicit Checker(std::vector<ConfigProblem>& out) : out_(out) {}
  // `note`, when given, follows the range in parentheses (why this range).
  void range(const std::string& field, std::int64_t value, std::int64_t lo, std::int64_t hi,
             const char* note = nullptr) {
    if (value < lo || value > hi) {
      std::ostringstream s;
      s << field << " = " << value;
      if (hi < lo)  // an index into a table that has no entries
        s << " indexes a table that is empty here (no value is allowed)";
      else
        s << " is outside the allowed range " << lo << ".." << hi;
      if (note != nullptr) s << " (" << note << ")";
      out_.push_back({field, s.str()});
    }
  }
  // The same, building the field name only when the value is out of range: validate() runs over
  // every synapse of a mapped network, and formatting a name per passing value dominated it.
  template <class MakeField>
  bool lazy_range(MakeField&& make_field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
    if (value >= lo && value <= hi) return true;
    range(make_field(), value, lo, hi);
    return false;
  }
  void fail(const std::string& field, const std::string& message) {
    out_.push_back({field, field + ": " + message});
  }
  std::size_t count() const { return out_.size(); }  // problems found so far

 private:
  std::vector<ConfigProblem>& out_;
};

}  // namespace

int compartment_capacity(const CoreLimits& limits, int accumulator_depth) {
  if (accumulator_depth <= 0) return 0;
  return std::min(limits.max_compartments, limits.accumulator_slots / accumulator_depth);
}

std::int64_t synapse_memory_bits(const CoreConfig& cfg) {
  std::int64_t bits = 0;
  for (const auto& list : cfg.synapse_lists) {
    if (list.format < 0 || list.format >= static_cast<int>(cfg.formats.size())) continue;
    bits += synapse_list_bits(cfg.formats[static_cast<std::size_t>(list.format)],
                              static_cast<std::int64_t>(list.mantissa.size()));
  }
  return bits;
}

namespace {

// --- tables and their per-core sizes
void check_table_sizes(Checker& check, const CoreConfig& cfg, const CoreLimits& limits,
                       int depth_ok) {
  check.range("profiles (count)", static_cast<std::int64_t>(cfg.profiles.size()), 1,
              limits.max_compartment_profiles);
  check.range("formats (count)", static_cast<std::int64_t>(cfg.formats.size()), 0,
              limits.max_synapse_formats);
  check.range("compartments (count)", static_cast<std::int64_t>(cfg.compartments.size()), 0,
              compartment_capacity(limits, depth_ok));
  check.range("input_axons (count)", static_cast<std::int64_t>(cfg.input_axons.size()), 0,
              limits.max_input_axons);
  check.range("output_axons (count)", static_cast<std::int64_t>(cfg.output_axons.size()), 0,
              limits.max_output_axons);
}

// The rules of a sigma-delta profile (docs/core.md, "Sigma-delta neurons"): a graded spike whose
// quantum is 2^payload_shift, an optional upper clip of the input, reset modulo the quantum
// (the reset field does not apply) and no refractory period.
void check_sigma_delta(Checker& check, std::size_t i, const CompartmentProfile& p,
                       const CoreLimits& limits) {
  if (p.spike != SpikeKind::kGraded)
    check.fail(indexed("profiles", i, "spike"),
               "a sigma_delta neuron sends graded spikes: spike must be graded (so it needs an "
               "architecture with graded spikes)");
  else if (!limits.allow_graded_spikes)
    check.fail(indexed("profiles", i, "spike"),
               "graded spikes are not available on this architecture, and a sigma_delta neuron "
               "sends them");
  check.range(indexed("profiles", i, "payload_shift"), p.payload_shift, 1, kPayloadBits,
              "of a sigma_delta neuron: its quantum is 2^payload_shift, its initial voltage "
              "2^(payload_shift - 1)");
  check.range(indexed("profiles", i, "input_max"), p.input_max, -1, kMaxInputMax,
              "-1: no upper clip of the input");
  if (p.reset != ResetMode::kZero)
    check.fail(indexed("profiles", i, "reset"),
               "does not apply to a sigma_delta neuron (it subtracts whole quanta: reset "
               "modulo 2^payload_shift): must be zero");
  if (p.refract_delay > 1 && p.refract_delay <= kMaxRefractDelay)  // else the range check says
    check.fail(indexed("profiles", i, "refract_delay"),
               "is " + std::to_string(p.refract_delay) +
                   " but a sigma_delta neuron has no refractory period: must be 1");
}

void check_profiles(Checker& check, const CoreConfig& cfg, const CoreLimits& limits) {
  std::set<std::int32_t> thresholds;
  for (std::size_t i = 0; i < cfg.profiles.size(); ++i) {
    const auto& p = cfg.profiles[i];
    check.range(indexed("profiles", i, "decay_u"), p.decay_u, 0, kMaxDecay);
    check.range(indexed("profiles", i, "decay_v"), p.decay_v, 0, kMaxDecay);
    check.range(indexed("profiles", i, "vth_mant"), p.vth_mant, 0, kMaxVthMant);
    check.range(indexed("profiles", i, "refract_delay"), p.refract_delay, 1, kMaxRefractDelay);
    check.range(indexed("profiles", i, "vmin_exp"), p.vmin_exp, 0, kMaxVminExp);
    check.range(indexed("profiles", i, "vmax_exp"), p.vmax_exp, 0, kMaxVmaxExp);
    if (p.neuron == NeuronModel::kSigmaDelta) {
      check_sigma_delta(check, i, p, limits);
    } else {
      if (p.neuron != NeuronModel::kCuba)
        check.fail(indexed("profiles", i, "neuron"),
                   "value " + std::to_string(static_cast<int>(p.neuron)) +
                       " is not a neuron model (allowed: " + allowed_names(kNeuronModelNames) +
                       ")");
      check.range(indexed("profiles", i, "payload_shift"), p.payload_shift, 0, kPayloadBits);
      if (p.input_max != -1)
        check.fail(indexed("profiles", i, "input_max"),
                   "is " + std::to_string(p.input_max) +
                       " but applies to sigma_delta neurons only: must be -1 (unused) for cuba");
      if (p.reset == ResetMode::kSubtract && !limits.allow_reset_subtract)
        check.fail(indexed("profiles", i, "reset"),
                   "reset by subtraction is not available on this architecture");
      if (p.spike == SpikeKind::kGraded && !limits.allow_graded_spikes)
        check.fail(indexed("profiles", i, "spike"),
                   "graded spikes are not available on this architecture");
    }
    thresholds.insert(p.vth_mant);
  }
  check.range("profiles (distinct thresholds)", static_cast<std::int64_t>(thresholds.size()), 0,
              limits.max_threshold_profiles);
}

void check_formats(Checker& check, const CoreConfig& cfg) {
  for (std::size_t i = 0; i < cfg.formats.size(); ++i) {
    const auto& f = cfg.formats[i];
    if (!valid_weight_bits(f.weight_bits))
      check.fail(indexed("formats", i, "weight_bits"),
                 "value " + std::to_string(f.weight_bits) +
                     " is not one of the allowed weight bits {0,1,2,3,4,5,6,8}");
    check.range(indexed("formats", i, "weight_exp"), f.weight_exp, -kMaxWeightExp, kMaxWeightExp);
    check.range(indexed("formats", i, "delay_bits"), f.delay_bits, 0, kMaxDelayBits);
    check.range(indexed("formats", i, "tag_bits"), f.tag_bits, 0, 9);
    if (f.index_bits != 0)
      check.range(indexed("formats", i, "index_bits"), f.index_bits, kMinSparseIndexBits,
                  kMaxSparseIndexBits);
  }
}

void check_compartments(Checker& check, const CoreConfig& cfg) {
  for (std::size_t i = 0; i < cfg.compartments.size(); ++i) {
    const auto& c = cfg.compartments[i];
    check.lazy_range([&] { return indexed("compartments", i, "profile"); }, c.profile, 0,
                     static_cast<std::int64_t>(cfg.profiles.size()) - 1);
    check.lazy_range([&] { return indexed("compartments", i, "bias_mant"); }, c.bias_mant,
                     -kMaxBiasMant, kMaxBiasMant);
    check.lazy_range([&] { return indexed("compartments", i, "bias_exp"); }, c.bias_exp, 0,
                     kMaxBiasExp);
  }
}

// Joins: each child feeds one parent of the same core, updated after it (a higher index), so
// the trees have any shape and depth and no cycle.
void check_joins(Checker& check, const CoreConfig& cfg) {
  for (std::size_t i = 0; i < cfg.compartments.size(); ++i) {
    const auto& c = cfg.compartments[i];
    const auto field = [i] { return indexed("compartments", i, "join_parent"); };
    if (c.join == JoinOp::kNone) {
      if (c.join_parent != -1)
        check.fail(field(),
                   "is " + std::to_string(c.join_parent) + " but the compartment has no join (-1)");
      continue;
    }
    // The range says it: a parent has a higher index than its children.
    check.lazy_range(field, c.join_parent, static_cast<std::int64_t>(i) + 1,
                     static_cast<std::int64_t>(cfg.compartments.size()) - 1);
  }
}

// --- synapse lists: formats, weights, targets, delays

// Every weight storable with the format's bits (one message per list is enough to point at the
// problem). `at` names the list, built only when a check fails: validate() runs over every list
// of a mapped network.
template <class At>
void check_weights(Checker& check, const At& at, const SynapseList& l, const SynapseFormat& f) {
  // With an invalid weight_bits (reported with the format) no weight is meaningful to check.
  if (!valid_weight_bits(f.weight_bits)) return;
  for (std::size_t k = 0; k < l.mantissa.size(); ++k) {
    if (mantissa_fits(l.mantissa[k], f)) continue;
    check.fail(at() + ".weights[" + std::to_string(k) + "]",
               "mantissa " + std::to_string(l.mantissa[k]) + " is not storable with " +
                   std::to_string(f.weight_bits) + " weight bits (" + sign_description(f.sign) +
                   "): allowed are multiples of " +
                   std::to_string(1 << std::min(weight_lsb_bits(f), 8)) +
                   " with magnitude <= " + std::to_string(max_weight_mantissa(f)));
    return;
  }
}

// The list's targets: a dense list takes no index and spans its weights; a sparse list has one
// index per weight within its index bits. Returns the list's span (highest target offset + 1).
template <class At>
std::int64_t check_targets(Checker& check, const At& at, const SynapseList& l,
                           const SynapseFormat& f) {
  const std::size_t n = l.mantissa.size();
  if (f.dense()) {
    if (!l.index.empty())
      check.fail(at() + ".index", "a dense format (index_bits 0) takes no per-synapse index");
    return static_cast<std::int64_t>(n);
  }
  if (l.index.size() != n) {
    check.fail(at() + ".index", "sparse list needs one index per weight (" +
                                    std::to_string(l.index.size()) + " indices for " +
                                    std::to_string(n) + " weights)");
    return 0;
  }
  std::int64_t span = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (!check.lazy_range([&] { return at() + ".index[" + std::to_string(k) + "]"; }, l.index[k], 0,
                          (std::int64_t{1} << f.index_bits) - 1))
      break;
    span = std::max<std::int64_t>(span, l.index[k] + 1);
  }
  return span;
}

// Per-synapse delays: none, or one per weight within the delay bits and the accumulator depth.
template <class At>
void check_delays(Checker& check, const At& at, const SynapseList& l, const SynapseFormat& f,
                  int depth_ok) {
  if (l.delay.empty()) return;
  const std::size_t n = l.mantissa.size();
  if (l.delay.size() != n) {
    check.fail(at() + ".delay", "needs one delay per weight (" + std::to_string(l.delay.size()) +
                                    " delays for " + std::to_string(n) + " weights)");
    return;
  }
  const std::int64_t max_delay =
      std::min<std::int64_t>((std::int64_t{1} << f.delay_bits) - 1, depth_ok - 2);
  for (std::size_t k = 0; k < n; ++k) {
    if (!check.lazy_range([&] { return at() + ".delay[" + std::to_string(k) + "]"; }, l.delay[k], 0,
                          max_delay))
      break;
  }
}

// Every synapse list; returns each list's span (0 for a list whose format is invalid).
std::vector<std::int64_t> check_synapse_lists(Checker& check, const CoreConfig& cfg, int depth_ok) {
  std::vector<std::int64_t> list_span(cfg.synapse_lists.size(), 0);
  for (std::size_t i = 0; i < cfg.synapse_lists.size(); ++i) {
    const auto& l = cfg.synapse_lists[i];
    // Its name only when a check fails: validate() runs over every list of a mapped network.
    const auto at = [i] { return indexed("synapse_lists", i, ""); };
    if (l.format < 0 || l.format >= static_cast<int>(cfg.formats.size())) {
      check.range(at() + ".format", l.format, 0, static_cast<std::int64_t>(cfg.formats.size()) - 1);
      continue;
    }
    const auto& f = cfg.formats[static_cast<std::size_t>(l.format)];
    check_weights(check, at, l, f);
    list_span[i] = check_targets(check, at, l, f);
    check_delays(check, at, l, f, depth_ok);
  }
  return list_span;
}

// --- axons: each input axon's list fits the core from its base; output axons name a source
void check_axons(Checker& check, const CoreConfig& cfg,
                 const std::vector<std::int64_t>& list_span) {
  const auto n_cx = static_cast<std::int64_t>(cfg.compartments.size());
  for (std::size_t i = 0; i < cfg.input_axons.size(); ++i) {
    const auto& a = cfg.input_axons[i];
    const auto n_lists = static_cast<std::int64_t>(cfg.synapse_lists.size());
    const auto before = check.count();
    // Names only for a failing check: this runs over every axon of a mapped network.
    check.lazy_range([&] { return indexed("input_axons", i, "synapse_list"); }, a.synapse_list, 0,
                     n_lists - 1);
    check.lazy_range([&] { return indexed("input_axons", i, "base"); }, a.base, 0,
                     std::max<std::int64_t>(n_cx - 1, 0));
    if (check.count() != before) continue;
    const std::int64_t last = a.base + list_span[static_cast<std::size_t>(a.synapse_list)];
    if (last > n_cx)
      check.fail(indexed("input_axons", i, ""),
                 "synapse list " + std::to_string(a.synapse_list) + " at base " +
                     std::to_string(a.base) + " reaches compartment " + std::to_string(last - 1) +
                     " but the core has " + std::to_string(n_cx) + " compartments");
  }
  for (std::size_t i = 0; i < cfg.output_axons.size(); ++i)
    check.lazy_range([&] { return indexed("output_axons", i, "source"); },
                     cfg.output_axons[i].source, 0, n_cx - 1);
}

}  // namespace

std::vector<ConfigProblem> validate(const CoreConfig& cfg, const CoreLimits& limits) {
  std::vector<ConfigProblem> problems;
  Checker check(problems);

  check.range("accumulator_depth", cfg.accumulator_depth, limits.min_accumulator_depth,
              limits.max_accumulator_depth);
  const int depth_ok =
      std::clamp(cfg.accumulator_depth, limits.min_accumulator_depth, limits.max_accumulator_depth);
  check_table_sizes(check, cfg, limits, depth_ok);
  check_profiles(check, cfg, limits);
  check_formats(check, cfg);
  check_compartments(check, cfg);
  check_joins(check, cfg);
  const std::vector<std::int64_t> list_span = check_synapse_lists(check, cfg, depth_ok);
  check_axons(check, cfg, list_span);

  const std::int64_t bits = synapse_memory_bits(cfg);
  if (bits > limits.synapse_memory_bits) {
    check.fail("synapse_lists", "synapse memory " + std::to_string(bits) +
                                    " bits exceeds the per-core capacity of " +
                                    std::to_string(limits.synapse_memory_bits) + " bits");
  }
  return problems;
}

}  // namespace loihisim::core
