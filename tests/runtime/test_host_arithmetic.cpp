// The host coprocessor's arithmetic (runtime/host_arithmetic.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "io/errors.hpp"
#include "runtime/host_arithmetic.hpp"

using namespace loihisim;

TEST_CASE("float32 arithmetic rounds every result to float") {
  HostArithmetic h;
  const double third = h.represent(1.0 / 3.0);
  CHECK(third == static_cast<double>(1.0f / 3.0f));
  CHECK(h.mul(third, 3.0) == static_cast<double>((1.0f / 3.0f) * 3.0f));
  CHECK(h.add(1e8, 1.0) == static_cast<double>(1e8f + 1.0f));  // float loses the 1
  CHECK(h.counts().mul == 1);
  CHECK(h.counts().add == 1);
}

TEST_CASE("fixed point: exact products, round to nearest, saturation counted") {
  HostArithmetic h(host_number_format_from_string("q15.16"));
  const double lsb = std::ldexp(1.0, -16);
  CHECK(h.represent(0.1) == std::round(0.1 * 65536) * lsb);
  // 3 lsb * 0.5 = 1.5 lsb -> rounds (ties away) to 2 lsb
  CHECK(h.mul(3 * lsb, 0.5) == 2 * lsb);
  CHECK(h.mul(-3 * lsb, 0.5) == -2 * lsb);
  CHECK(h.counts().saturations == 0);
  const double big = h.represent(30000.0);
  const double sat = h.mul(big, big);  // 9e8 does not fit Q15.16
  CHECK(sat == (std::ldexp(1.0, 31) - 1) * lsb);
  CHECK(h.counts().saturations == 1);
  CHECK_THROWS_AS(host_number_format_from_string("q10.10"), InputError);
  CHECK(host_number_format_from_string("q3.28").frac_bits == 28);
}

TEST_CASE("replacement nonlinearities phi1 and phi2 (methods.md A)") {
  HostArithmetic h;
  CHECK(h.phi1(0.0) == 0.5);
  CHECK(h.phi1(2.0) == 1.0);
  CHECK(h.phi1(-3.0) == 0.0);
  CHECK(h.phi1(1.0) == 0.75);
  CHECK(h.phi2(1.0) == 0.5);
  CHECK(h.phi2(-5.0) == -1.0);
  CHECK(h.counts().cmp == 12);
}

TEST_CASE("linear layer counts multiply-adds and bytes") {
  HostArithmetic h;
  const std::vector<double> w = {1, 2, 3, 4, 5, 6};  // 2 x 3
  const std::vector<double> b = {0.5, -0.5};
  const std::vector<double> x = {1, 0, -1};
  std::vector<double> y(2);
  h.linear(w, b, x, y);
  CHECK(y[0] == 0.5 + 1 - 3);
  CHECK(y[1] == -0.5 + 4 - 6);
  CHECK(h.counts().mul == 6);
  CHECK(h.counts().add == 6);
  CHECK(h.counts().bytes_read == (6 + 2 + 3) * 4);
  CHECK(h.counts().bytes_written == 2 * 4);
  CHECK(h.argmax(y) == 0);
}
