// One neuromorphic core: synapse memory, dendritic accumulator and compartments, stepped one
// timestep at a time. Bit-exact to the "loihi1" semantics of loihi.md section 2.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/core_config.hpp"
#include "core/event_counts.hpp"

namespace loihisim::core {

// A spike arriving on one of this core's input axons. Binary spikes carry payload 1; graded
// spikes carry a 24-bit signed payload that multiplies every weight of the axon's list.
struct AxonSpike {
  std::int32_t axon = 0;
  std::int32_t payload = 1;
};

// A spike message leaving the core through an output axon.
struct SpikeMessage {
  std::int32_t dest_core = 0;
  std::int32_t dest_axon = 0;
  std::int32_t payload = 1;
};

// Thrown when a Neurocore is built from a configuration that validate() rejects.
class InvalidCoreConfig : public std::runtime_error {
 public:
  explicit InvalidCoreConfig(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

class Neurocore {
 public:
  Neurocore(const CoreConfig& cfg, const CoreLimits& limits = {});

  // One timestep. `inputs` are the spikes sent to this core during the previous step (by
  // compartments or the host); a spike on a synapse with delay d is applied d steps after it
  // is delivered. Fired compartments are expanded through the output axons into `out`
  // (appended). Throws std::out_of_range for an input axon the core does not have.
  void step(std::span<const AxonSpike> inputs, std::vector<SpikeMessage>& out);

  // Changes one compartment's bias (direct current injection by the host between steps).
  // Throws std::out_of_range for a compartment or a mantissa/exponent outside the ranges of
  // CompartmentConfig.
  void set_bias(int compartment, int bias_mant, int bias_exp);

  // Back to power-on state: u = v = 0, refractory counters and accumulator cleared, biases as
  // configured, time 0.
  // Counters are kept (they count over a whole run).
  void reset_state();

  int num_compartments() const { return n_; }
  int num_input_axons() const { return static_cast<int>(axons_.size()); }
  std::int64_t time() const { return t_; }
  std::span<const std::int32_t> u() const { return u_; }
  std::span<const std::int32_t> v() const { return v_; }
  std::span<const std::int32_t> refractory() const { return ref_; }
  // Compartments that fired in the last step, ascending.
  std::span<const std::int32_t> fired() const { return fired_; }
  const CoreCounts& counts() const { return counts_; }
  void clear_counts() { counts_ = {}; }

 private:
  struct List {  // a synapse list with weights pre-multiplied into effective weights
    bool dense = true;
    bool has_delay = false;
    std::vector<std::uint32_t> weight;  // effective weight, as the modular bit pattern
    std::vector<std::int32_t> index;    // sparse target offsets
    std::vector<std::int32_t> delay;    // per-synapse delays (has_delay only)
  };
  struct Axon {
    std::int32_t list = 0;
    std::int32_t base = 0;
  };

  void deliver(const AxonSpike& s);
  std::uint32_t* slot(std::int64_t t) {
    return acc_.data() + static_cast<std::size_t>(t % depth_) * static_cast<std::size_t>(n_);
  }

  int n_ = 0;
  int depth_ = 8;
  std::int64_t t_ = 0;
  std::vector<List> lists_;
  std::vector<Axon> axons_;
  // Output axons grouped by source compartment (CSR): out_[out_begin_[c] .. out_begin_[c+1]).
  std::vector<std::int32_t> out_begin_;
  std::vector<SpikeMessage> out_;

  // Per-compartment parameters, structure of arrays (derived from the profiles once).
  std::vector<std::int32_t> decay_u_factor_, decay_v_factor_, bias_, vth_, vmin_, vmax_;
  std::vector<std::int32_t> configured_bias_;  // bias_ as configured, restored by reset_state()
  std::vector<std::int32_t> refract_, payload_shift_;
  std::vector<std::uint8_t> subtract_, graded_;
  // State, structure of arrays.
  std::vector<std::int32_t> u_, v_, ref_;
  std::vector<std::uint32_t> acc_;  // depth_ slots x n_ compartments; modular sums
  std::vector<std::uint8_t> spiked_;      // pass-1 spike flags
  std::vector<std::int32_t> pre_reset_;   // v before reset (graded payloads)
  std::vector<std::int32_t> fired_;
  std::vector<std::int32_t> fired_payload_;
  CoreCounts counts_;
};

}  // namespace loihisim::core
