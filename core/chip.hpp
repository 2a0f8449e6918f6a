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

// The messages one core sent to one core in the last step (a flow): how many, and the send
// index (1-based, in the order the source core sent its messages of the step) of the first and
// the last. The analytic network model needs no more than the flows.
struct MessageFlow {
  std::int32_t source_core = 0;
  std::int32_t dest_core = 0;
  std::uint32_t messages = 0;
  std::uint32_t first = 0, last = 0;
};

// Checks every core (paths prefixed with "cores[i].") and that every output axon names an
// existing core and input axon.
std::vector<ConfigProblem> validate(std::span<const CoreConfig> cores, const CoreLimits& limits);
// The same for the cores `held` selects (one entry per core, non-zero: held), when only their
// tables were read (a process of a distributed run): the others are not checked, and output
// axons are checked against `input_axons`, every core's input axon count.
std::vector<ConfigProblem> validate(std::span<const CoreConfig> cores, const CoreLimits& limits,
                                    std::span<const std::uint8_t> held,
                                    std::span<const std::int32_t> input_axons);
inline std::vector<ConfigProblem> validate(const ChipConfig& cfg) {
  return validate(cfg.cores, cfg.limits);
}

// A chip whose cores are stepped by several processes (docs/scaling.md): owner[c] is the
// process that steps core c; this process is `self`; `reporter` (process 0) receives every
// core's counters, fired compartments and messages each step, so that its chip looks exactly
// like a whole chip to an accountant and to a recording (but for v, u and state). The others'
// cores are mirrors (Neurocore::mirror): no synapses, no state.
struct Distribution {
  std::vector<std::int32_t> owner;  // per chip core
  int self = 0;
  int processes = 1;
  // For a process that read only its own cores' tables (runtime/rank_image.hpp), per chip
  // core: its input axons and the distinct destination cores of its output axons, ascending
  // (the routes). When given, the cores this process does not own are taken from here (their
  // configs need only their compartments, for the sizes); empty: from the configs.
  std::vector<std::int32_t> input_axons;
  std::vector<std::vector<std::int32_t>> dests;
  // The reporter receives every core's messages (for an accountant of the whole chip); false:
  // only those to its own cores, like any process (with a distributed accountant, which
  // accounts each core on its owner). Counters and fired compartments reach it either way.
  bool reporter_messages = true;
  static constexpr int kReporter = 0;
};

// Moves one step's buffers between the processes of a Distribution: send[r] goes to process r
// (send[self] included); `received` gets what every process sent to this one, concatenated in
// process order. It is the step's barrier. Implemented over MPI in runtime/ (core/ knows none).
class StepExchange {
 public:
  virtual ~StepExchange() = default;
  virtual void exchange(const std::vector<std::vector<std::int32_t>>& send,
                        std::vector<std::int32_t>& received) = 0;
};

class Chip {
 public:
  explicit Chip(const ChipConfig& cfg);  // throws InvalidCoreConfig
  // The same from cores held elsewhere (a mapped image's), without copying them.
  Chip(std::span<const CoreConfig> cores, const CoreLimits& limits);
  // Only the cores `dist` gives to dist.self are built; the others are mirrors. step() calls
  // `exchange` once per step (set it before the first step). Throws std::invalid_argument for
  // an owner list of the wrong size or with a process outside 0..processes-1, and for
  // dist.input_axons or dist.dests of the wrong size or naming no core. Only the owned cores'
  // configs are validated (their owners validate the others).
  Chip(std::span<const CoreConfig> cores, const CoreLimits& limits, Distribution dist);
  void set_exchange(StepExchange* exchange) { exchange_ = exchange; }
  // Distribution::reporter_messages, from the next step on.
  void set_reporter_messages(bool all) { dist_.reporter_messages = all; }
  bool distributed() const { return !dist_.owner.empty(); }
  // Measured wall time spent in the exchange (waiting for the other processes included) and in
  // packing and unpacking its buffers, in ns, since construction.
  std::uint64_t exchange_ns() const { return exchange_ns_; }
  const Distribution& distribution() const { return dist_; }
  bool owns(int core) const {
    return dist_.owner.empty() || dist_.owner[static_cast<std::size_t>(core)] == dist_.self;
  }
  // Bytes of this process's cores (Neurocore::memory, mirrors included); the chip's routing
  // tables count as `other`.
  MemoryBytes memory() const;

  // Queue a host spike for the current step: like a compartment spike it reaches its targets'
  // update in the next step. Throws std::out_of_range for an unknown core or axon.
  void inject(int core, AxonSpike spike);

  // Queue a host spike for the coming step itself: the host wrote it before that step's
  // barrier released (a host that works one step ahead of the chip), so it reaches its targets'
  // update in the next call to step(), with no step of delay. Counted as host traffic of that
  // step (last_early_host()). Throws std::out_of_range for an unknown core or axon.
  void inject_same_step(int core, AxonSpike spike);

  // Sets one compartment's bias on one core (see Neurocore::set_bias); takes effect next step.
  // Ignored for a core another process owns (that process sets it).
  void set_bias(int core, int compartment, int bias_mant, int bias_exp);

  // One timestep of every core, then the barrier: route all messages for the next step.
  void step();
  // The same with the cores stepped by `threads` (null or 1 thread: step()). Cores are
  // independent within a step: each gathers its inbox from the buckets its senders filled in
  // the previous step (in source order), writes only its own state and its own outbox (a
  // bucket per destination core), so state, messages and counts are bit-identical to step().
  void step(StepThreads* threads);

  // Power-on state for every core and empty in-flight queues (counters are kept).
  void reset_state();

  int num_cores() const { return static_cast<int>(cores_.size()); }
  const Neurocore& core(int i) const { return cores_[static_cast<std::size_t>(i)]; }
  std::int64_t time() const { return t_; }
  // Messages sent during the last step (compartment spikes and host injections), in order of
  // source core then output axon; they are the inputs of the next step. Built on the first
  // call after a step (a step itself moves spikes per flow and never lists them).
  std::span<const RoutedMessage> last_messages() const;
  // The compartment messages of the last step as flows: by source core, then by the first
  // message of each flow.
  std::span<const MessageFlow> last_flows() const { return flows_; }
  // Host spikes that inject() queued during the last step and that it delivered.
  std::span<const RoutedMessage> last_host() const { return host_sent_; }
  // Host spikes that inject_same_step() queued for the last step and that it delivered.
  std::span<const RoutedMessage> last_early_host() const { return early_delivered_; }
  CoreCounts total_counts() const;
  std::uint64_t host_spikes_injected() const { return host_spikes_; }

 private:
  void check_host_spike(int core, int axon) const;  // std::out_of_range for unknown ones

  // Where one core's messages go: the distinct destination cores of its output axons, a
  // bucket of a step's spikes for each, and this step's flows. Filled by the core's own step
  // task, so cores can be stepped by several threads.
  static constexpr std::size_t kDirectSlotCores = 1024;
  struct Outbox {
    std::vector<std::int32_t> dests;    // ascending
    std::vector<std::int32_t> slot_of;  // per chip core (small chips), or empty
    // Two sets (steps alternate): per entry of dests, the spikes of a step.
    std::vector<std::vector<AxonSpike>> buckets[2];
    std::vector<std::int32_t> used[2];  // entries of dests with spikes in that set
    std::vector<std::int32_t> flow_of;  // per entry of dests: index into flows (or -1)
    std::vector<MessageFlow> flows;     // this step's, in order of first message
    int slot(std::int32_t dest) const;
  };
  void step_core(std::size_t c);  // inbox from the senders' buckets, step, outbox
  void route_out(std::size_t c);
  void finish_step();  // the barrier: host spikes, flows, the clock
  void build_routes(std::span<const CoreConfig> cores);
  // The distinct destination cores of core c's output axons, ascending.
  std::vector<std::int32_t> destinations(std::span<const CoreConfig> cores, std::size_t c) const;
  // Distributed step: this process's messages out (per process), the others' in.
  void exchange_step();
  void pack_core(std::size_t c, std::vector<std::vector<std::int32_t>>& send);
  void unpack(std::span<const std::int32_t> received);

  std::vector<Neurocore> cores_;
  // Cores by Neurocore::idle() (fixed at construction), ascending.
  std::vector<std::size_t> idle_cores_, working_;
  std::vector<std::vector<AxonSpike>> inbox_;    // per core: scratch for a step's spikes
  std::vector<std::vector<AxonSpike>> host_in_;  // per core: host spikes for the next step
  std::vector<RoutedMessage> pending_host_;      // host spikes injected during this step
  std::vector<RoutedMessage> host_sent_;         // ... and those of the last step
  std::vector<RoutedMessage> early_host_;        // queued by inject_same_step() for the next step
  std::vector<RoutedMessage> early_delivered_;   // ... and delivered in the last step
  std::vector<std::vector<SpikeMessage>> out_;   // per core: its messages of the last step
  std::vector<Outbox> outbox_;                   // per core
  // Per destination core: (source core, entry of the source's dests) of every core that can
  // send to it, ascending source.
  std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> senders_;
  int parity_ = 0;  // the outboxes' bucket set this step writes
  std::vector<MessageFlow> flows_;
  mutable std::vector<RoutedMessage> sent_;  // last_messages(), built on demand
  mutable bool sent_built_ = true;
  std::uint64_t host_spikes_ = 0;
  std::int64_t t_ = 0;
  Distribution dist_;  // empty owner: every core is this process's
  StepExchange* exchange_ = nullptr;
  std::uint64_t exchange_ns_ = 0;
  std::vector<std::size_t> mirrors_;             // non-idle cores of other processes, ascending
  std::vector<std::vector<std::int32_t>> send_;  // scratch, per process
  std::vector<std::int32_t> received_;
  std::vector<std::int32_t> pack_count_, pack_header_, pack_touched_;  // scratch, per process
};

}  // namespace loihisim::core
