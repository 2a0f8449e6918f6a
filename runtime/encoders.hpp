// Input encoders: turn one input symbol (a vector of real values) into spikes, step by step.
//
// Every encoder is deterministic: the Poisson encoder draws from a counter-based hash of
// (seed, sample, symbol, step, element), so results do not depend on thread scheduling or on
// the order in which samples are run.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace loihisim {

enum class EncoderKind : std::uint8_t {
  kSignedAccumulator,  // methods.md A.1: rate = |a|, spikes carry sign(a)
  kPoisson,            // each step spikes with probability |a|, value sign(a)
  kGraded,             // one graded spike per step, payload round(a * graded_scale)
  kBias,               // no spikes: the value becomes the target compartments' bias
  kBitPlanes,  // binary spikes for graded values (Loihi 1): payload P = round(a * graded_scale)
               // becomes one spike on plane port b for every set bit b of |P| (negative P on
               // the negative planes), each plane's synapses weighted 2^b (docs/hybrid-lmu.md)
};

std::string to_string(EncoderKind kind);
EncoderKind encoder_kind_from_string(const std::string& name);  // throws InputError

struct EncoderConfig {
  EncoderKind kind = EncoderKind::kSignedAccumulator;
  // Signed accumulator: the value scale (methods.md: 2048). An element adds
  // |round(scale * a)| per step and spikes when the accumulator reaches `scale`.
  int accumulator_scale = 2048;
  // Signed accumulator: the value every accumulator restarts from at each symbol (0..scale-1).
  // 0 (methods.md A: "restart") gives floor(T |a|) spikes in T steps; scale / 2 gives the
  // rounded count.
  int accumulator_start = 0;
  std::uint64_t seed = 0;  // Poisson
  int graded_scale = 256;  // Graded: payload = round(a * graded_scale), 24-bit signed
  int planes = 8;        // Bit planes: |payload| < 2^planes, or the symbol is refused (InputError)
  int bias_scale = 256;  // Bias: target bias = round(a * bias_scale)
};

// One encoded spike: which input element, and its value (+1/-1 for binary spikes, the payload
// for graded spikes and for bit planes, which the runtime splits into one spike per set bit).
struct EncodedSpike {
  std::int32_t element = 0;
  std::int32_t value = 1;
};

class SpikeEncoder {
 public:
  explicit SpikeEncoder(EncoderConfig cfg) : cfg_(cfg) {}

  // Starts a new symbol: loads its values and restarts the accumulators (methods.md A.4:
  // generator accumulators restart at every symbol). Values must lie in [-1, 1] for the rate
  // encoders; anything else (or a NaN) throws InputError naming the element: a rate above 1
  // cannot be represented and is never clipped silently.
  void start_symbol(std::span<const float> values, std::uint64_t sample, std::uint64_t symbol);

  // Appends the spikes of the next step to `out`.
  void step(std::vector<EncodedSpike>& out);

  const EncoderConfig& config() const { return cfg_; }

 private:
  EncoderConfig cfg_;
  std::vector<std::int32_t> increment_;  // |round(scale * a)|, signed accumulator
  std::vector<std::int32_t> sign_;
  std::vector<std::int32_t> acc_;
  std::vector<float> values_;
  std::uint64_t sample_ = 0, symbol_ = 0, step_ = 0;
};

// Bias encoding: the mantissa/exponent pair that represents round(a * scale) on a compartment
// (13-bit signed mantissa, exponent 0..7). Values needing exponent > 0 lose low bits: the
// mantissa is rounded (half away from zero). Throws InputError if |round(a * scale)| exceeds
// 4095 * 2^7.
struct BiasValue {
  int mant = 0;
  int exp = 0;
};
BiasValue encode_bias(double value, int scale);

// A uniform double in [0, 1) from a counter-based hash (splitmix64 finaliser) of the inputs.
double uniform_hash(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                    std::uint64_t d);

}  // namespace loihisim
