// The sequence-to-sequence task of issue 19 (AxLSTM, methods.md C): sorting digit strings,
// regenerated here exactly as tools/seq2seq_task.py generates it (the definition is in that
// script's docstring): the C++ baseline and the chip runtime score the encoder-decoder on the very
// strings it was trained and tested on, without a data file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loihisim {

struct SortDigitsTask {
  static constexpr int kMinLength = 1, kMaxLength = 12;
  static constexpr std::uint64_t kTrainSeed = 1, kTestSeed = 2;
  static constexpr int kTrainSamples = 20000, kTestSamples = 2000;
  static constexpr int kDigits = 10;      // encoder input: one-hot over digits 0-9
  static constexpr int kBos = 10;         // decoder's first input token (one-hot over 11)
  static constexpr int kEosClass = 10;    // decoder output class that ends the sequence
  static constexpr int kOutClasses = 11;  // digits and EOS
  static constexpr int kDecodeSteps = kMaxLength + 1;  // greedy decoding's longest output
};

struct DigitString {
  std::vector<int> source;  // L digits, L in [kMinLength, kMaxLength]
  std::vector<int> target;  // the same digits in ascending order
};

// splitmix64((seed << 40) ^ (i << 5) ^ j), j < 32: the task's one source of randomness.
std::uint64_t sort_digits_draw(std::uint64_t seed, std::uint64_t i, std::uint64_t j);
// The first n strings of the split drawn from `seed`.
std::vector<DigitString> sort_digits_strings(std::uint64_t seed, int n);
// "train" (seed 1, 20,000 strings) or "test" (seed 2, 2,000); InputError for another name.
std::vector<DigitString> sort_digits_split(const std::string& name);

// Greedy-decoding metrics (tools/seq2seq_lstm.py): the output classes of one string, scored
// against the target's L + 1 positions (L digits, then EOS).
struct SequenceScore {
  int correct_tokens = 0;  // positions where the output class equals the target's
  int tokens = 0;          // L + 1
  bool exact() const { return correct_tokens == tokens; }
};
SequenceScore score_greedy(const std::vector<int>& output_classes, const std::vector<int>& target);

}  // namespace loihisim
