// Follows a Chip run step by step and turns its event counters and messages into time and energy
// with an Architecture's tables (docs/energy-model.md). It never changes the run: call observe()
// after every Chip::step().
//
//   core::ChipAccountant acct(arch, placement);   // placement[i] = physical core of chip core i
//   for (...) { chip.inject(...); chip.step(); acct.observe(chip); }
//   core::EnergyBreakdown e = core::energy_breakdown(arch, acct.energy_counts());
//
// Per step: each core's busy time from its counter deltas; its messages leave one after the
// other once it has received and updated (step_timing.hpp) and cross the mesh with contention
// (mesh_network.hpp); host spikes are serialised on the host link; the step lasts
// max(slowest core, last delivery, host link) + barrier + host read-back.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "core/energy.hpp"
#include "core/mesh_network.hpp"
#include "core/step_reduce.hpp"

namespace loihisim::core {

// Host-link traffic of one step that the chip does not see (spikes injected are counted from
// Chip::last_messages()). Read-back happens after the barrier and is added to the step time.
struct HostTraffic {
  std::uint64_t readbacks = 0;  // spikes or spike counts read back by the host
  std::uint64_t words = 0;      // other 32-bit words moved over the host link
};

// What made a step as long as it was (docs/energy-model.md, "Critical component"). When the
// network finished last, the arrival of the last-delivered message is split into the time until
// it left its core, its longest wait on one link and the fixed latency of its path, and the
// largest part names the component (ties: core, then link, then route).
struct CriticalComponent {
  enum class Kind : std::uint8_t {
    kNone,        // nothing in use
    kCore,        // index: chip core whose work ended last (its busy time, or the time until
                  // the last-delivered message left it)
    kLink,        // index: link id where the last-delivered message waited longest
    kRoute,       // index: source * chip cores + destination (chip cores) of the last-delivered
                  // message, whose path latency was the largest part
    kTileRouter,  // index: board tile index (y * board_tiles_x + x) of a within-tile delivery
                  // whose latency was the largest part
    kHostLink,    // host spikes were still arriving
  };
  Kind kind = Kind::kNone;
  std::int64_t index = -1;
  friend auto operator<=>(const CriticalComponent&, const CriticalComponent&) = default;
};

struct StepRecord {
  std::int64_t compute_ps = 0;   // slowest core: receive, update and send
  std::int64_t network_ps = 0;   // last message delivered (0 when none was sent)
  std::int64_t host_ps = 0;      // host link done delivering this step's injected spikes
  std::int64_t barrier_ps = 0;   // barrier by tiles/chips in use
  std::int64_t readback_ps = 0;  // host read-back after the barrier
  std::int64_t step_ps = 0;      // max(compute, network, host) + barrier + readback
  CriticalComponent critical;
};

// Run totals of one chip core. Network events are those of the messages it sent.
struct CoreTotals {
  CoreCounts counts;
  std::uint64_t within_tile = 0;
  std::uint64_t east_west_hops = 0;
  std::uint64_t north_south_hops = 0;
  std::uint64_t chip_hops = 0;
  std::uint64_t board_hops = 0;
  std::uint64_t host_spikes_received = 0;  // host link energy is not attributed to cores
  std::int64_t busy_ps = 0;
  std::uint64_t critical_steps = 0;  // steps in which this core was the critical component
};

struct AccountantOptions {
  // Keep each core's counter deltas and busy time for every step (steps x cores arrays for the
  // HDF5 report); off by default because it grows with the run.
  bool keep_per_core_steps = false;
};

class ChipAccountant {
 public:
  // `placement[i]` is the physical (global, see locate()) core of the chip's core i; empty
  // means core i sits on physical core i. Throws std::invalid_argument for an architecture that
  // validate() rejects or a placement outside the mesh or with a repeated core.
  explicit ChipAccountant(const Architecture& arch, std::vector<int> placement = {},
                          AccountantOptions options = {});

  // Takes the chip's current counters as the starting point; needed only when the chip already
  // ran steps before this accountant was attached (otherwise the counters start at zero).
  void start(const Chip& chip);

  // With a distributed chip (core::Distribution, docs/scaling.md): from the first observe() on,
  // this accountant accounts only the cores its process owns and meets the other processes'
  // accountants in `reduce` (not owned) every step: the link loads of the analytic network
  // model are summed, and the slowest core and the last arrival are chosen from every
  // process's, so that every process's step records, critical components and run totals are
  // one process's. gather_totals() then brings every core's totals to every process. Only the
  // analytic network model combines so (its link loads are sums; the event and cycle models
  // queue the whole chip's messages in one order): std::invalid_argument for another model or
  // with keep_per_core_steps. Call before the first observe().
  void distribute(StepReduce* reduce);
  // Collective with distribute(): every core's totals from its owner (exact integer sums).
  void gather_totals();

  // Accounts for the step the chip just did. Throws std::logic_error when a step was missed
  // (chip.time() is neither the previous time + 1 nor 1 after a reset) or the chip changed, and
  // std::invalid_argument when the chip has more cores than the placement names.
  void observe(const Chip& chip, const HostTraffic& host = {});

  const Architecture& architecture() const { return arch_; }
  int num_cores() const { return static_cast<int>(totals_.size()); }  // 0 before the first step
  const std::vector<int>& placement() const { return placement_; }
  bool core_in_use(int i) const { return in_use_[static_cast<std::size_t>(i)] != 0; }
  int cores_in_use() const { return cores_in_use_; }
  int tiles_in_use() const { return tiles_in_use_; }
  int chips_in_use() const { return chips_in_use_; }

  std::int64_t steps() const { return static_cast<std::int64_t>(records_.size()); }
  std::int64_t elapsed_ps() const { return elapsed_ps_; }
  const std::vector<StepRecord>& step_records() const { return records_; }
  const std::vector<CoreTotals>& core_totals() const { return totals_; }
  std::uint64_t host_spikes_injected() const { return host_spikes_; }
  std::uint64_t host_readbacks() const { return host_readbacks_; }
  std::uint64_t host_words() const { return host_words_; }

  // Dynamic events attributed to one chip core: its own counters plus the network events of the
  // messages it sent.
  EnergyCounts core_energy_counts(int i) const;
  // Every event of the run: all cores, barriers (tiles in use x steps), host link, and static
  // chip-picoseconds (chips in use x elapsed time). energy_breakdown() of this is the run total.
  EnergyCounts energy_counts() const;

  // How often each component was critical, most frequent first (ties in component order).
  std::vector<std::pair<CriticalComponent, std::uint64_t>> critical_counts() const;
  std::string describe(const CriticalComponent& c) const;

  // With keep_per_core_steps: steps x cores, row-major.
  const std::vector<CoreCounts>& per_core_step_counts() const { return step_counts_; }
  const std::vector<std::int64_t>& per_core_step_busy_ps() const { return step_busy_; }
  // The messages of the last observed step as the event network model delivered them
  // (Chip::last_messages() order, host injections excluded); empty with the analytic model,
  // which works on flows (MeshNetwork::deliver_flows) rather than messages.
  const std::vector<MessageDelivery>& last_deliveries() const { return deliveries_; }

 private:
  void init(const Chip& chip);
  // The steps of observe(): the chip is the one followed, one step on; each core's counter
  // deltas, busy time and totals (returns the slowest core, -1 if none worked); the host
  // spikes; the step's messages or flows for the mesh; the hops of the delivered messages into
  // each source core's totals (returns the message that arrived last; source -1 if none); and
  // what set the step's time. Inline (defined in chip_accountant.cpp): observe() runs every step.
  // The message that arrived last in a step (the first of equal arrivals in message order).
  struct LastArrival {
    int source = -1, dest = -1;  // chip cores
    int dest_physical = -1;
    std::int64_t depart_ps = 0, arrival_ps = 0, wait_ps = 0, worst_wait_ps = 0;
    int worst_link = -1;
    bool within_tile = false;
    std::uint64_t k = 0;  // send index of the message in its source core's step (flows)
  };
  // Distributed: this process's slowest core and last arrival against the others'.
  void combine_step(StepRecord& rec, int& slowest, LastArrival& last);
  inline void check_step(const Chip& chip);
  inline int add_core_steps(const Chip& chip, StepRecord& rec);
  inline std::uint64_t collect_host_spikes(const Chip& chip);  // returns them
  // Event model: every message; analytic model: the step's flows (messages per core pair),
  // so that its cost grows with the pairs that talk, not with messages x hops.
  inline void collect_messages(const Chip& chip);
  // Cycle model: each core's receive and update phases (core/cycle_timing.hpp); when each of
  // its fired compartments is ready to send into cycle_ready_[core]. Returns when it is done.
  inline std::int64_t cycle_core_time(const Chip& chip, std::size_t core);
  inline std::int64_t cycle_depart(const Chip& chip, int source, std::uint64_t k);
  inline void collect_flows(const Chip& chip);
  inline LastArrival add_hops(StepRecord& rec);
  inline LastArrival add_flow_hops(StepRecord& rec);
  inline CriticalComponent link_component(const LastArrival& last);
  inline CriticalComponent critical_component(const StepRecord& rec, std::int64_t busiest,
                                              int slowest, const LastArrival& last);

  Architecture arch_;
  std::vector<int> placement_;
  AccountantOptions options_;
  MeshNetwork network_;
  bool cycle_ = false;                                  // NetworkModel::kCycle
  CoreEventCosts cycle_costs_;                          // its core costs in whole cycles
  std::vector<std::vector<std::int64_t>> cycle_ready_;  // per core, per fired compartment
  struct SendCursor {
    int source = -1;
    std::size_t fired = 0;  // index into the source's fired compartments
    int left = 0;           // messages of that compartment not yet placed
  } cursor_;
  bool started_ = false;
  StepReduce* reduce_ = nullptr;     // distribute()
  std::vector<std::uint8_t> owned_;  // per chip core, with reduce_: this process steps it
  std::int64_t last_time_ = 0;
  std::vector<std::uint8_t> in_use_;
  // Chip cores in use, ascending. The others (no compartments, no input axons) never count an
  // event, so observe() does not visit them: their deltas, busy times and totals stay zero.
  std::vector<int> used_;
  int cores_in_use_ = 0, tiles_in_use_ = 0, chips_in_use_ = 0;
  std::vector<CoreCounts> prev_;
  std::vector<CoreTotals> totals_;
  std::vector<StepRecord> records_;
  std::vector<std::pair<CriticalComponent, std::uint64_t>> critical_;  // sorted by component
  std::int64_t elapsed_ps_ = 0;
  std::uint64_t barrier_tiles_ = 0;
  std::uint64_t host_spikes_ = 0, host_readbacks_ = 0, host_words_ = 0;
  std::vector<CoreCounts> step_counts_;
  std::vector<std::int64_t> step_busy_;
  // Scratch reused every step.
  std::vector<CoreCounts> delta_;
  std::vector<std::int64_t> compute_, busy_;
  std::vector<std::uint64_t> sent_in_step_;
  std::vector<NetworkMessage> messages_;
  std::vector<int> message_source_, message_dest_;
  std::vector<MessageDelivery> deliveries_;
  // Analytic model: the step's flows for the mesh and, per flow, its chip cores and the send
  // index of its first and last message (Chip::last_flows()).
  struct FlowInfo {
    int source = 0, dest = 0;
    std::uint64_t first_k = 0, last_k = 0;
  };
  std::vector<NetworkFlow> flows_;
  std::vector<FlowInfo> flow_info_;
  std::vector<FlowDelivery> flow_deliveries_;
};

}  // namespace loihisim::core
