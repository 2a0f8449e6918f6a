#include "formats/core_tables_io.hpp"

#include <fmt/core.h>

#include "core/fixed_point.hpp"

namespace loihisim {
namespace {

// The value of `key` in lo..hi; required keys must be present, others keep `value`.
template <class T>
void read_int(const yaml::Reader& r, const yaml::Field& map, const char* key, Keys keys,
              const std::string& what, std::int64_t lo, std::int64_t hi, T& value) {
  if (keys == Keys::kAllRequired) {
    value = static_cast<T>(r.integer(r.require(map, key, what), lo, hi));
  } else if (auto v = r.find(map, key)) {
    value = static_cast<T>(r.integer(*v, lo, hi));
  }
}

// "0,1,2,3,4,5,6,8": the weight widths core::valid_weight_bits() accepts.
std::string allowed_weight_bits() {
  std::string s;
  for (int b = 0; b <= 8; ++b)
    if (core::valid_weight_bits(b)) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

}  // namespace

core::CompartmentProfile read_compartment_profile(const yaml::Reader& r, const yaml::Field& f,
                                                  Keys keys) {
  r.expect_map(f, {},
               {"decay_u", "decay_v", "vth_mant", "refract_delay", "vmin_exp", "vmax_exp", "reset",
                "spike", "payload_shift", "neuron", "input_max"});
  core::CompartmentProfile p;
  const std::string decay = fmt::format("0..{} in units of 1/{}", core::kMaxDecay, core::kDecayOne);
  read_int(r, f, "decay_u", keys, "current decay, " + decay, 0, core::kMaxDecay, p.decay_u);
  read_int(r, f, "decay_v", keys, "voltage decay, " + decay, 0, core::kMaxDecay, p.decay_v);
  read_int(r, f, "vth_mant", keys,
           fmt::format("threshold mantissa, 0..{}; vth = vth_mant * {}", core::kMaxVthMant,
                       1 << core::kThresholdShift),
           0, core::kMaxVthMant, p.vth_mant);
  read_int(r, f, "refract_delay", keys,
           fmt::format("refractory delay, 1..{} steps", core::kMaxRefractDelay), 1,
           core::kMaxRefractDelay, p.refract_delay);
  read_int(r, f, "vmin_exp", keys,
           fmt::format("0..{}; vmin = -(2^vmin_exp - 1)", core::kMaxVminExp), 0, core::kMaxVminExp,
           p.vmin_exp);
  read_int(r, f, "vmax_exp", keys,
           fmt::format("0..{}; vmax = 2^(9 + 2 vmax_exp) - 1", core::kMaxVmaxExp), 0,
           core::kMaxVmaxExp, p.vmax_exp);
  if (auto v = r.find(f, "reset")) p.reset = r.choice(*v, core::kResetModeNames);
  if (auto v = r.find(f, "spike")) p.spike = r.choice(*v, core::kSpikeKindNames);
  read_int(r, f, "payload_shift", Keys::kDefaults, "", 0, 23, p.payload_shift);
  // Optional in both formats (files written before sigma-delta neurons read as cuba); the rules
  // between the fields (docs/core.md, "Sigma-delta neurons") are core::validate()'s.
  if (auto v = r.find(f, "neuron")) p.neuron = r.choice(*v, core::kNeuronModelNames);
  read_int(r, f, "input_max", Keys::kDefaults, "", -1, core::kMaxInputMax, p.input_max);
  return p;
}

core::SynapseFormat read_synapse_format(const yaml::Reader& r, const yaml::Field& f, Keys keys,
                                        bool list_layout) {
  if (list_layout)
    r.expect_map(f, {},
                 {"weight_bits", "sign", "weight_exp", "delay_bits", "index_bits", "tag_bits"});
  else
    r.expect_map(f, {}, {"weight_bits", "sign", "weight_exp", "delay_bits"});
  core::SynapseFormat fmt_;
  const yaml::Field wb = r.require(f, "weight_bits", "one of " + allowed_weight_bits());
  fmt_.weight_bits = static_cast<int>(r.integer(wb, 0, 8));
  if (!core::valid_weight_bits(fmt_.weight_bits))
    r.fail_at(wb.node, fmt::format("{} = {} is not one of the allowed values {{{}}}", wb.path,
                                   fmt_.weight_bits, allowed_weight_bits()));
  if (keys == Keys::kAllRequired)
    fmt_.sign =
        r.choice(r.require(f, "sign", allowed_names(core::kSignModeNames)), core::kSignModeNames);
  else if (auto v = r.find(f, "sign"))
    fmt_.sign = r.choice(*v, core::kSignModeNames);
  read_int(r, f, "weight_exp", keys,
           fmt::format("-{0}..{0}; w_eff = w8 * 2^({1} + weight_exp)", core::kMaxWeightExp,
                       core::kWeightShift),
           -core::kMaxWeightExp, core::kMaxWeightExp, fmt_.weight_exp);
  read_int(r, f, "delay_bits", keys,
           fmt::format("0..{} bits of per-synapse delay", core::kMaxDelayBits), 0,
           core::kMaxDelayBits, fmt_.delay_bits);
  if (list_layout) {
    read_int(r, f, "index_bits", keys,
             fmt::format("0 for a dense list, {}..{} for a sparse one", core::kMinSparseIndexBits,
                         core::kMaxSparseIndexBits),
             0, core::kMaxSparseIndexBits, fmt_.index_bits);
    read_int(r, f, "tag_bits", Keys::kDefaults, "", 0, 64, fmt_.tag_bits);
  }
  return fmt_;
}

}  // namespace loihisim
