// Reductions over the processes of a distributed chip (core::Distribution) that a distributed
// accountant needs every step (core::ChipAccountant::distribute, docs/scaling.md): integer sums
// and gathers only, so that the result does not depend on the order in which the processes'
// values meet. Implemented over MPI in runtime/ (core/ knows none).
#pragma once

#include <cstdint>
#include <vector>

namespace loihisim::core {

class StepReduce {
 public:
  virtual ~StepReduce() = default;
  // Element-wise sum over the processes, in place; every process passes as many values.
  virtual void sum(std::vector<std::int64_t>& values) = 0;
  // Every process's values (as many on each), concatenated in process order, on every process.
  virtual std::vector<std::int64_t> all_gather(const std::vector<std::int64_t>& values) = 0;
  // Measured wall time spent in the reductions (waiting for the other processes included), in
  // ns, where the implementation measures it (0 otherwise).
  virtual std::uint64_t reduce_ns() const { return 0; }
};

}  // namespace loihisim::core
