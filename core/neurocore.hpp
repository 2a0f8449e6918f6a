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

struct MemoryBytes {
  std::uint64_t synapses = 0, compartments = 0, other = 0;
  std::uint64_t total() const { return synapses + compartments + other; }
  MemoryBytes& operator+=(const MemoryBytes& o) {
    synapses += o.synapses;
    compartments += o.compartments;
    other += o.other;
    return *this;
  }
};

class Neurocore {
 public:
  // What one compartment update pass counted (used by the update loop in neurocore.cpp).
  struct Totals {
    std::int32_t active = 0;  // n <= 8192: 32-bit counts keep the update loop vectorisable
    std::int32_t fired = 0;
  };

  Neurocore(const CoreConfig& cfg, const CoreLimits& limits = {});

  // One timestep. `inputs` are the spikes sent to this core during the previous step (by
  // compartments or the host); a spike on a synapse with delay d is applied d steps after it
  // is delivered. Fired compartments are expanded through the output axons into `out`
  // (appended). Throws std::out_of_range for an input axon the core does not have.
  void step(std::span<const AxonSpike> inputs, std::vector<SpikeMessage>& out);

  // A core without compartments and input axons has nothing to do in a step but let time pass;
  // the chip calls advance_idle() for it instead of step() (same result, no work).
  bool idle() const { return n_ == 0 && num_input_axons() == 0; }
  void advance_idle() {
    ++t_;
    if (++head_ == depth_) head_ = 0;
  }

  // Changes one compartment's bias (direct current injection by the host between steps).
  // Throws std::out_of_range for a compartment or a mantissa/exponent outside the ranges of
  // CompartmentConfig.
  void set_bias(int compartment, int bias_mant, int bias_exp);

  // Back to power-on state: u = v = 0 (sigma-delta compartments: v = 2^(payload_shift - 1), half
  // a quantum), refractory counters and accumulator cleared, biases as configured, time 0.
  // Counters are kept (they count over a whole run).
  void reset_state();

  int num_compartments() const { return n_; }
  int num_input_axons() const {
    return mirror_axons_ >= 0 ? mirror_axons_ : static_cast<int>(axons_.size());
  }
  // The messages compartment c sends when it fires (its output axons).
  int num_output_axons_of(int c) const {
    const auto i = static_cast<std::size_t>(c);
    return out_begin_.at(i + 1) - out_begin_.at(i);
  }

  // A stand-in for a core that another process steps (Chip built with an ownership mask, for
  // runs distributed over processes): no synapses and no state, only the core's sizes (so an
  // accountant sees the same cores in use) and what the owner reported of each step.
  static Neurocore mirror(int compartments, int input_axons);
  bool is_mirror() const { return mirror_axons_ >= 0; }
  // A mirror's step as its owner did it: the counters after the step, the compartments that
  // fired and their payloads (equal lengths, at most num_compartments()).
  void mirror_step(const CoreCounts& counts, std::span<const std::int32_t> fired,
                   std::span<const std::int32_t> payloads);
  // Bytes held by this core (vector capacities: the runtime image): synapse and axon tables
  // (input axons, synapse lists, output axons), per-compartment parameters and state, and the
  // rest (the object itself, update runs).
  MemoryBytes memory() const;
  std::int64_t time() const { return t_; }
  std::span<const std::int32_t> u() const { return u_; }
  std::span<const std::int32_t> v() const { return v_; }
  std::span<const std::int32_t> refractory() const { return ref_; }
  // Compartments that fired in the last step, ascending.
  std::span<const std::int32_t> fired() const {
    return {fired_.data(), static_cast<std::size_t>(n_fired_)};
  }
  // Their payloads, in the same order (1 for binary spikes).
  std::span<const std::int32_t> fired_payloads() const {
    return {fired_payload_.data(), static_cast<std::size_t>(n_fired_)};
  }
  const CoreCounts& counts() const { return counts_; }
  void clear_counts() { counts_ = {}; }

 private:
  friend class Chip;
  struct Validated {};  // Chip has validated the configuration already (once is enough)
  Neurocore(const CoreConfig& cfg, Validated);

  // Synapse lists, flattened by kind into a few contiguous arrays, so that a spike reads one
  // contiguous run and touches no per-list heap block. Effective weights are stored as int16
  // when every weight of a list fits (every list with weight_exp <= 1: |w8| * 2^7 <= 32640),
  // halving the bytes read per synaptic event; they enter the uint32 accumulator sign-extended,
  // which is the same modular sum as adding the 32-bit pattern. A list with any nonzero delay
  // goes to the general (delayed) kind.
  enum class ListKind : std::uint8_t { kDense16, kDense32, kSparse16, kSparse32, kDelayed };
  struct Sparse16 {  // sparse index < 2^12 (index_bits <= 12) always fits 16 bits
    std::uint16_t index;
    std::int16_t weight;
  };
  struct Sparse32 {
    std::int32_t index;
    std::uint32_t weight;  // modular bit pattern
  };
  struct Delayed {
    std::int32_t index;  // target offset (dense lists: the synapse's position)
    std::uint32_t weight;
    std::int32_t delay;
  };
  struct Axon {               // everything deliver() needs for one input axon, 16 bytes
    std::uint32_t begin = 0;  // first synapse in the array of its kind
    std::uint32_t count = 0;
    std::int32_t base = 0;
    ListKind kind = ListKind::kDense16;
    bool dense = true;  // counted as a dense list (syn_ops_dense) rather than a sparse one
  };

  // Construction from a validated configuration: each synapse list stored once in the array of
  // its kind (add_list returns where), then the input axons, the output axons grouped by source,
  // the per-compartment parameters from the profiles, and the join runs (cores with joins).
  Axon add_list(const SynapseList& l, const SynapseFormat& f);
  void load_synapse_lists(const CoreConfig& cfg);
  void load_output_axons(const CoreConfig& cfg);
  void load_compartments(const CoreConfig& cfg);
  void load_joins(const CoreConfig& cfg);

  static constexpr std::size_t kAxonAhead = 32, kListAhead = 16;  // prefetch distances, spikes
  // std::out_of_range for a spike on an axon the core does not have or a payload outside 23
  // bits + sign.
  void check_inputs(std::span<const AxonSpike> inputs) const;
  void deliver(const AxonSpike& s);
  static constexpr std::size_t kGroup = 8;  // spikes added in one pass (dense int16 lists)
  std::size_t dense16_group(std::span<const AxonSpike> inputs, std::size_t k) const;
  void deliver_dense16_group(std::span<const AxonSpike> group);
  void prefetch_list(const Axon& a) const;
  std::uint32_t* slot_at(int offset) {  // the slot `offset` steps after the current one
    int k = head_ + offset;
    if (k >= depth_) k -= depth_;
    return acc_.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(n_);
  }
  // The compartment update of compartments [begin, end); `join_in` (indexed like them, or
  // null) holds each one's join input, its children's v summed and wrapped to 23 bits + sign.
  // Cores with sigma-delta compartments split the range at model_ranges_ and update each part
  // with its model's loop; other cores run update_cuba() on the whole range.
  Totals update(int begin, int end, const std::int32_t* join_in);
  Totals update_cuba(int begin, int end, const std::int32_t* join_in);
  Totals update_sigma_delta(int begin, int end, const std::int32_t* join_in);
  void set_initial_v();  // v of power-on and reset_state()
  void collect_fired();
  void send(std::vector<SpikeMessage>& out);

  int n_ = 0;
  int depth_ = 8;
  int head_ = 0;  // slot of the current step: t_ % depth_, kept incrementally
  std::int64_t t_ = 0;
  std::vector<Axon> axons_;
  std::vector<std::int16_t> dense16_;
  std::vector<std::uint32_t> dense32_;
  std::vector<Sparse16> sparse16_;
  std::vector<Sparse32> sparse32_;
  std::vector<Delayed> delayed_;
  bool any_graded_ = false;
  bool uniform_ = false;  // every compartment has the same update parameters (bias aside)
  // Joins (multi-compartment neurons). A compartment's level is 0 without children, else one
  // more than its children's highest. A step updates the levels in turn, each in runs_ (maximal
  // index ranges of one level); after a run, its children's v is added into their parents'
  // join_in_. Children come before parents in index order, so this is the in-order update.
  // Empty when the core has no join: one pass over all.
  struct Run {
    int begin = 0, end = 0;
    bool parents = false;   // its compartments have children (read join_in_)
    bool children = false;  // some of its compartments feed a parent
  };
  std::vector<Run> runs_;
  std::vector<std::int32_t> join_parent_;  // per compartment (-1: none); empty without joins
  std::vector<std::int32_t> join_in_;      // per compartment: this step's sum of children's v
  // Output axons grouped by source compartment (CSR): out_[out_begin_[c] .. out_begin_[c+1]).
  std::vector<std::int32_t> out_begin_;
  std::vector<SpikeMessage> out_;

  // Per-compartment parameters, structure of arrays (derived from the profiles once).
  std::vector<std::int32_t> decay_u_factor_, decay_v_factor_, bias_, vth_, vmin_, vmax_;
  std::vector<std::int32_t> configured_bias_;  // bias_ as configured, restored by reset_state()
  std::vector<std::int32_t> refract_, payload_shift_;
  std::vector<std::uint8_t> subtract_, graded_;
  // Sigma-delta compartments (docs/core.md, "Sigma-delta neurons"). Without any, the vectors
  // below are empty and the update is the CUBA loop alone. model_ranges_: maximal index ranges
  // of one neuron model, ascending, covering every compartment; input_hi_: the upper clip of
  // the rectified input (input_max, or 2^23 - 1 for none: u + bias never exceeds it).
  struct ModelRange {
    int begin = 0, end = 0;
    bool sigma_delta = false;
  };
  bool any_sigma_delta_ = false;
  std::vector<ModelRange> model_ranges_;
  std::vector<std::int32_t> input_hi_;
  // State, structure of arrays.
  std::vector<std::int32_t> u_, v_, ref_;
  std::vector<std::uint32_t> acc_;       // depth_ slots x n_ compartments; modular sums
  std::vector<std::uint8_t> spiked_;     // pass-1 spike flags
  std::vector<std::int32_t> pre_reset_;  // v before reset (graded payloads)
  // Fired compartments of the last step (the first n_fired_ entries; sized n_ so that pass 2
  // can write them without branches) and their payloads.
  std::vector<std::int32_t> fired_;
  std::vector<std::int32_t> fired_payload_;
  int n_fired_ = 0;
  CoreCounts counts_;
  int mirror_axons_ = -1;  // input axons of a mirror (-1: a real core)
};

}  // namespace loihisim::core
