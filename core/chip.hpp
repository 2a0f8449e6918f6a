// Several neurocores stepped in lockstep: at the end of every timestep (the barrier) the spike
// messages each core sent are routed to their destination cores' input axons for the next step.
// Mesh timing and energy are computed from the per-step message list and the core counters
// (see mesh_network.hpp / step_timing.hpp); this class only moves spikes and counts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/core_config.hpp"
#include "core/neurocore.hpp"
#include "core/step_threads.hpp"

namespace loihisim::core {

struct ChipConfig {
  std::vector<CoreConfig> cores;
  CoreLimits limits;
};

// Where a message of the last step came from and went (host injections have source -1).
struct RoutedMessage {
  std::int32_t source_core = -1;
  std::int32_t dest_core = 0;
  std::int32_t dest_axon = 0;
  std::int32_t payload = 1;
};

// Checks every core (paths prefixed with "cores[i].") and that every output axon names an
// existing core and input axon.
std::vector<ConfigProblem> validate(const ChipConfig& cfg);

class Chip {
 public:
  explicit Chip(const ChipConfig& cfg);  // throws InvalidCoreConfig

  // Queue a host spike for the current step: like a compartment spike it reaches its targets'
  // update in the next step. Throws std::out_of_range for an unknown core or axon.
  void inject(int core, AxonSpike spike);

  // Queue a host spike for the coming step itself: the host wrote it before that step's
  // barrier released (a host that works one step ahead of the chip), so it reaches its targets'
  // update in the next call to step(), with no step of delay. Counted as host traffic of that
  // step (last_early_host()). Throws std::out_of_range for an unknown core or axon.
  void inject_same_step(int core, AxonSpike spike);

  // Sets one compartment's bias on one core (see Neurocore::set_bias); takes effect next step.
  void set_bias(int core, int compartment, int bias_mant, int bias_exp);

  // One timestep of every core, then the barrier: route all messages for the next step.
  void step();
  // The same with the cores stepped by `threads` (null or 1 thread: step()). Cores are
  // independent within a step and each writes its own message buffer, gathered afterwards in
  // core order, so state, messages and counts are bit-identical to step().
  void step(StepThreads* threads);

  // Power-on state for every core and empty in-flight queues (counters are kept).
  void reset_state();

  int num_cores() const { return static_cast<int>(cores_.size()); }
  const Neurocore& core(int i) const { return cores_[static_cast<std::size_t>(i)]; }
  std::int64_t time() const { return t_; }
  // Messages sent during the last step (compartment spikes and host injections), in order of
  // source core then output axon; they are the inputs of the next step.
  std::span<const RoutedMessage> last_messages() const { return sent_; }
  // Host spikes that inject_same_step() queued for the last step and that it delivered.
  std::span<const RoutedMessage> last_early_host() const { return early_delivered_; }
  CoreCounts total_counts() const;
  std::uint64_t host_spikes_injected() const { return host_spikes_; }

 private:
  void check_host_spike(int core, int axon) const;  // std::out_of_range for unknown ones

  void finish_step();  // host spikes in, the barrier, the clock

  std::vector<Neurocore> cores_;
  std::vector<std::uint8_t> idle_;  // per core: Neurocore::idle() (fixed at construction)
  std::vector<std::vector<AxonSpike>> inbox_;   // per core: spikes to deliver this step
  std::vector<RoutedMessage> pending_host_;     // host spikes injected during this step
  std::vector<RoutedMessage> early_host_;       // queued by inject_same_step() for the next step
  std::vector<RoutedMessage> early_delivered_;  // ... and delivered in the last step
  std::vector<RoutedMessage> sent_;
  std::vector<SpikeMessage> scratch_;
  std::vector<std::vector<SpikeMessage>> out_;  // per core, for step(StepThreads*)
  std::uint64_t host_spikes_ = 0;
  std::int64_t t_ = 0;
};

}  // namespace loihisim::core
