// Checks that two networks are the same (a shipped example against what the converter makes of
// the weights today): populations, projections and host nodes, field by field, so that a failure
// names what differs.
#pragma once

#include <doctest/doctest.h>

#include "mapper/network.hpp"

namespace loihisim::testing {

inline void check_same_network(const mapper::Network& shipped, const mapper::Network& fresh) {
  REQUIRE(shipped.populations().size() == fresh.populations().size());
  for (std::size_t i = 0; i < fresh.populations().size(); ++i) {
    const auto& a = shipped.population(shipped.populations()[i]);
    const auto& b = fresh.population(fresh.populations()[i]);
    CAPTURE(b.name);
    CHECK(a.name == b.name);
    CHECK(a.size == b.size);
    CHECK(a.profile == b.profile);
    CHECK(static_cast<const mapper::NeuronBiases&>(a) ==
          static_cast<const mapper::NeuronBiases&>(b));
    CHECK(a.dendrite == b.dendrite);
    CHECK(a.join_parent == b.join_parent);
  }
  REQUIRE(shipped.projections().size() == fresh.projections().size());
  for (std::size_t i = 0; i < fresh.projections().size(); ++i) {
    const auto& a = shipped.projection(shipped.projections()[i]);
    const auto& b = fresh.projection(fresh.projections()[i]);
    CAPTURE(b.name);
    CHECK(a.name == b.name);
    CHECK(a.source == b.source);
    CHECK(a.target == b.target);
    CHECK(a.format == b.format);
    CHECK(a.weight == b.weight);
    CHECK(a.pre == b.pre);
    CHECK(a.post == b.post);
  }
  CHECK(shipped.host_nodes() == fresh.host_nodes());
}

}  // namespace loihisim::testing
