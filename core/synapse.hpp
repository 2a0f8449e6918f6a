// Synapse formats, weight quantisation and synapse-memory cost (loihi.md sections 1 and 2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/enum_names.hpp"

namespace loihisim::core {

enum class SignMode : std::uint8_t {
  kMixed,       // weights of either sign; the sign takes one of the weight bits
  kExcitatory,  // weights >= 0
  kInhibitory,  // weights <= 0
};
inline constexpr std::array<EnumName<SignMode>, 3> kSignModeNames = {
    {{SignMode::kMixed, "mixed"},
     {SignMode::kExcitatory, "excitatory"},
     {SignMode::kInhibitory, "inhibitory"}}};
// For messages: "mixed sign", "excitatory", "inhibitory".
inline std::string sign_description(SignMode s) {
  return s == SignMode::kMixed ? "mixed sign" : std::string(name_of(kSignModeNames, s));
}

// A synapse format: how the synapses of one synapse list are stored. Loihi 1 keeps up to 8 of
// these per core.
struct SynapseFormat {
  int weight_bits = 8;  // one of {0,1,2,3,4,5,6,8} (bits stored per weight, sign included)
  SignMode sign = SignMode::kMixed;
  int weight_exp = 0;  // -7..7, applied to every synapse: w_eff = floor(w8 * 2^(6 + exp))
  int delay_bits = 0;  // 0..6 bits of per-synapse delay
  int index_bits = 0;  // 0 = dense list; sparse lists store 6..12 index bits per synapse
  int tag_bits = 0;    // learning tag bits (not used for inference; they cost memory)

  bool dense() const { return index_bits == 0; }
  friend bool operator==(const SynapseFormat&, const SynapseFormat&) = default;
};

inline constexpr int kMaxWeightExp = 7;
inline constexpr int kMaxDelayBits = 6;
inline constexpr int kMaxSparseIndexBits = 12;
inline constexpr int kMinSparseIndexBits = 6;
inline constexpr int kSynapsesPerBlock = 64;        // nengo-loihi: at most 64 synapses per block
inline constexpr int kSynapseBlockHeaderBits = 10;  // 4 index + 6 count bits per block
inline constexpr std::int64_t kSynapseMemoryBits = 1'048'576;  // 128 KiB per core

bool valid_weight_bits(int bits);

// Low bits of the 8-bit magnitude that a format cannot store: 8 - weight_bits, plus one for
// mixed sign (the sign occupies a weight bit).
int weight_lsb_bits(const SynapseFormat& fmt);
// Largest storable 8-bit mantissa magnitude: 255 with the low lsb bits cleared.
int max_weight_mantissa(const SynapseFormat& fmt);

// What to do when a real weight does not fit the format.
enum class OutOfRange : std::uint8_t {
  kError,     // report it (the default everywhere a user did not ask for saturation)
  kSaturate,  // clip to the largest storable magnitude; only when explicitly requested
};

struct QuantizedWeight {
  std::int32_t mantissa = 0;  // the stored 8-bit-scale value, low bits cleared
  bool saturated = false;     // true when kSaturate had to clip
};

// Turn a real weight, in units of the 8-bit mantissa (so 1.0 is one LSB of w8), into the stored
// value: round half away from zero to the format's resolution (that is, round w / 2^lsb), then
// clear the low bits. Returns nullopt for a value out of range (or of the wrong sign) under
// kError.
std::optional<QuantizedWeight> quantize_weight(double w, const SynapseFormat& fmt,
                                               OutOfRange policy = OutOfRange::kError);

// True if an integer mantissa is exactly storable in the format (range, sign, low bits zero).
bool mantissa_fits(std::int32_t mantissa, const SynapseFormat& fmt);

// Effective weight that a synaptic event adds to the accumulator:
// floor(w8 * 2^(6 + weight_exp)).
std::int32_t effective_weight(std::int32_t mantissa, int weight_exp);

// Synapse-memory bits used by one axon's synapse list of n synapses (nengo-loihi formula):
// blocks of at most 64 synapses, each n_b * (weight + delay + tag [+ index]) + 10 header bits,
// rounded up to whole 64-bit words.
std::int64_t synapse_list_bits(const SynapseFormat& fmt, std::int64_t n_synapses);

}  // namespace loihisim::core
