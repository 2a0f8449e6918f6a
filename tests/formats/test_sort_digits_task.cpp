// The sort-digits task regenerated in C++ (formats/sort_digits_task.hpp) against the values
// tools/seq2seq_task.py gives: the first test strings and the split's length histogram, printed
// by /usr/bin/python3 -c "import seq2seq_task as t; p = t.split('test'); ..." (tools/ on the path).
#include <doctest/doctest.h>

#include <map>

#include "formats/sort_digits_task.hpp"
#include "io/errors.hpp"

using namespace loihisim;

TEST_CASE("sort-digits task: the C++ generator gives the Python generator's strings") {
  const auto test = sort_digits_split("test");
  REQUIRE(test.size() == 2000);
  CHECK(test[0].source == std::vector<int>{4, 1, 8, 2, 8, 7});
  CHECK(test[0].target == std::vector<int>{1, 2, 4, 7, 8, 8});
  CHECK(test[1].source == std::vector<int>{6, 1, 3, 0, 9, 2, 4, 8, 5, 9});
  CHECK(test[2].source == std::vector<int>{1});
  std::map<std::size_t, int> lengths;
  std::size_t digits = 0;
  for (const auto& s : test) {
    ++lengths[s.source.size()];
    digits += s.source.size();
  }
  CHECK(digits == 12945);
  CHECK(lengths[1] == 173);
  CHECK(lengths[4] == 144);
  CHECK(lengths[12] == 170);
  CHECK(lengths.size() == 12);
  CHECK(sort_digits_split("train").size() == 20000);
  CHECK_THROWS_AS(sort_digits_split("valid"), InputError);
}

TEST_CASE("sort-digits task: greedy outputs are scored over the target and its EOS") {
  const std::vector<int> target{1, 2, 2};
  const int eos = SortDigitsTask::kEosClass;
  CHECK(score_greedy({1, 2, 2, eos}, target).exact());
  CHECK(score_greedy({1, 2, 2, eos}, target).tokens == 4);
  const auto early = score_greedy({1, eos}, target);  // stopped early: later positions are wrong
  CHECK(early.correct_tokens == 1);
  CHECK_FALSE(early.exact());
  const auto late = score_greedy({1, 2, 2, 3, eos}, target);  // no EOS where it belongs
  CHECK(late.correct_tokens == 3);
  CHECK_FALSE(late.exact());
}
