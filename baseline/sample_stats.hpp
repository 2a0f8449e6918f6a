// Summary statistics of measured wall times (one value per inference), shared by the baseline's
// timed runs (classifier AxLSTM pairs, the encoder-decoder).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace loihisim {

// The median (the mean of the middle two for an even count); 0 for no values.
inline double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Nearest-rank quantile of unsorted values; 0 for no values.
inline double quantile_of(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::lround(q * static_cast<double>(v.size() - 1)))];
}

}  // namespace loihisim
