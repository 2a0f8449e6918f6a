#include "formats/sort_digits_task.hpp"

#include <algorithm>

#include "core/splitmix.hpp"
#include "io/errors.hpp"

namespace loihisim {

std::uint64_t sort_digits_draw(std::uint64_t seed, std::uint64_t i, std::uint64_t j) {
  return splitmix64((seed << 40) ^ (i << 5) ^ j);
}

std::vector<DigitString> sort_digits_strings(std::uint64_t seed, int n) {
  using T = SortDigitsTask;
  const auto span = static_cast<std::uint64_t>(T::kMaxLength - T::kMinLength + 1);
  std::vector<DigitString> out(static_cast<std::size_t>(std::max(n, 0)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto length =
        static_cast<std::uint64_t>(T::kMinLength) + sort_digits_draw(seed, i, 0) % span;
    for (std::uint64_t j = 1; j <= length; ++j)
      out[i].source.push_back(static_cast<int>(sort_digits_draw(seed, i, j) % 10));
    out[i].target = out[i].source;
    std::sort(out[i].target.begin(), out[i].target.end());
  }
  return out;
}

std::vector<DigitString> sort_digits_split(const std::string& name) {
  using T = SortDigitsTask;
  if (name == "train") return sort_digits_strings(T::kTrainSeed, T::kTrainSamples);
  if (name == "test") return sort_digits_strings(T::kTestSeed, T::kTestSamples);
  throw InputError("sort-digits task: split '" + name + "' is not train or test");
}

SequenceScore score_greedy(const std::vector<int>& output_classes, const std::vector<int>& target) {
  SequenceScore s;
  s.tokens = static_cast<int>(target.size()) + 1;
  for (std::size_t p = 0; p <= target.size(); ++p) {
    const int want = p < target.size() ? target[p] : SortDigitsTask::kEosClass;
    if (p < output_classes.size() && output_classes[p] == want) ++s.correct_tokens;
  }
  return s;
}

}  // namespace loihisim
