// Internal to baseline/: the small pieces the CPU networks (cpu_baseline.cpp: the LSTM,
// cpu_lmu.cpp: the LMU) share, so that both count and compute alike.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

namespace loihisim::cpu_kernels {

// Bytes per float32 value, the unit of every byte count (docs/baseline.md).
inline constexpr std::uint64_t kFloatBytes = sizeof(float);

inline std::uint64_t u64(int v) {
  return static_cast<std::uint64_t>(v);
}

// Written as compare-and-select so the tuned loops vectorise to min/max instructions; the
// results are those of clip() (no NaN can reach them: the weights are checked finite and every
// input is in [0, 1]).
inline float clip(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

// The predicted class: the first maximum.
inline int argmax(std::span<const float> v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

// OpenBLAS starts one thread per core; batch-1 inference is measured single-threaded (the
// comparison is one inference at a time, and the machine is shared), so limit it once.
// Defined in cpu_baseline.cpp.
void single_threaded_blas();

}  // namespace loihisim::cpu_kernels
