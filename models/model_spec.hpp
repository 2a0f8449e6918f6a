// A model: what `loihisim run` runs (docs/running.md, "The model file"). It names a network (mapped
// on the fly) or a mapped image, the dataset, T and the reset policy, which value is the
// prediction, and how the host coprocessor computes. Converters (models/hybrid_lstm, NIR import)
// produce it as a value; models/model_file.hpp reads and writes it.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/enum_names.hpp"
#include "formats/datasets.hpp"

namespace loihisim {

enum class ResetPolicy : std::uint8_t {
  kSymbol,  // chip state restarts at every input symbol (methods.md A.4)
  kSample,  // chip state restarts at every sample only
};
inline constexpr std::array<EnumName<ResetPolicy>, 2> kResetPolicyNames = {
    {{ResetPolicy::kSymbol, "symbol"}, {ResetPolicy::kSample, "sample"}}};
inline std::string to_string(ResetPolicy p) {
  return std::string(name_of(kResetPolicyNames, p));
}

// When the encoders' spikes of step t reach the chip (docs/running.md, "Input timing").
enum class InputTiming : std::uint8_t {
  // Sent during step t, integrated in step t + 1, like a spike crossing one synapse; the last
  // step's spikes of a symbol arrive after it (the default; what NIR graphs assume).
  kNextStep,
  // Written before step t's barrier releases (a host one step ahead of the chip) and integrated
  // in step t: every one of the T steps' spikes is integrated within the symbol
  // (core::Chip::inject_same_step).
  kSameStep,
};
inline constexpr std::array<EnumName<InputTiming>, 2> kInputTimingNames = {
    {{InputTiming::kNextStep, "next_step"}, {InputTiming::kSameStep, "same_step"}}};
inline std::string to_string(InputTiming t) {
  return std::string(name_of(kInputTimingNames, t));
}

// The host coprocessor's number format: float32 or signed fixed point Q(31 - f).f.
struct HostNumberFormat {
  bool fixed = false;  // false: float32
  int frac_bits = 16;  // fixed only: 1..30
  int bytes_per_value() const { return 4; }
  std::string name() const;  // "float32" or "q15.16"
  friend bool operator==(const HostNumberFormat&, const HostNumberFormat&) = default;
};
// "float32", or "q<int>.<frac>" such as "q15.16" (int + frac = 31); throws InputError.
HostNumberFormat host_number_format_from_string(const std::string& name);

// Where the host coprocessor runs (the architecture file's `host_coprocessor` section).
enum class HostLocation : std::uint8_t { kExternal, kEmbedded };
inline constexpr std::array<EnumName<HostLocation>, 2> kHostLocationNames = {
    {{HostLocation::kExternal, "external"}, {HostLocation::kEmbedded, "embedded"}}};
inline std::string to_string(HostLocation l) {
  return std::string(name_of(kHostLocationNames, l));
}

// AxLSTM's Dynamic Timestep Skipping on the chip (docs/running.md, "Timestep skipping"): per
// symbol after the first, the probe encoders run T chip steps alone, the host reads the probe
// port, and when its mean rate (count / T per neuron) is below tau the symbol ends there: no
// other encoder runs, no after-chip node runs (the host's values, e.g. c and h, are carried).
// Otherwise the chip state restarts and the other encoders run T steps; the probe port keeps
// the probe's counts. Off when probe_encoders is empty.
// With probe_steps P < T the probe runs P steps (the mean is count / P), and a kept symbol runs
// every encoder for T steps after it (the input gate again, in full).
struct DtsSpec {
  double tau = 0;
  int probe_steps = 0;  // P; 0: T
  std::vector<std::string> probe_encoders;
  std::string probe_port;
  bool enabled() const { return !probe_encoders.empty(); }
};

struct ModelSpec {
  std::filesystem::path source;  // the model file itself (when read from one)
  std::string comment;           // written as comment lines at the top of the file
  std::string name;
  std::filesystem::path network;  // a network file, or
  std::filesystem::path image;    // a mapped image file (exactly one of the two)
  std::string placer = "metis";   // when mapping on the fly: "greedy" or "metis"
  DatasetSpec dataset;
  int steps_per_symbol = 32;
  ResetPolicy reset = ResetPolicy::kSymbol;
  InputTiming input_timing = InputTiming::kNextStep;
  std::string prediction;
  HostNumberFormat host_format;
  HostLocation host_location = HostLocation::kExternal;
  DtsSpec dts;
};

}  // namespace loihisim
