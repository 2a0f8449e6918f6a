#include "core/chip_accountant.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/checked_math.hpp"
#include "core/cycle_timing.hpp"
#include "core/mesh_router.hpp"
#include "core/step_timing.hpp"

namespace loihisim::core {

namespace {

const Architecture& checked(const Architecture& arch) {
  const auto problems = validate(arch);
  if (!problems.empty()) {
    std::string text = "architecture '" + arch.name + "' cannot be used for accounting:";
    for (const auto& p : problems) text += " " + p.message + ";";
    throw std::invalid_argument(text);
  }
  return arch;
}

// The cycle model's network: every latency in whole cycles.
NetworkCosts network_costs(const Architecture& arch) {
  if (arch.network.model != NetworkModel::kCycle) return arch.network;
  return cycle_network_costs(arch.network, arch.cycle.clock_period_ps);
}

bool counters_went_back(const CoreCounts& now, const CoreCounts& before) {
  for (const auto& f : kCountFields)
    if (now.*f.field < before.*f.field) return true;
  return false;
}

}  // namespace

ChipAccountant::ChipAccountant(const Architecture& arch, std::vector<int> placement,
                               AccountantOptions options)
    : arch_(checked(arch)),
      placement_(std::move(placement)),
      options_(options),
      network_(arch.mesh, network_costs(arch_)),
      cycle_(arch_.network.model == NetworkModel::kCycle) {
  if (cycle_) {
    cycle_costs_ = cycle_core_costs(arch_.core_costs, arch_.cycle.clock_period_ps);
    network_.enable_ports(cycle_ports(arch_.cycle, cycle_costs_, network_costs(arch_)));
  }
  const int n = arch_.mesh.num_cores();
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(n), 0);
  for (std::size_t i = 0; i < placement_.size(); ++i) {
    const int p = placement_[i];
    if (p < 0 || p >= n)
      throw std::invalid_argument("placement[" + std::to_string(i) + "] = " + std::to_string(p) +
                                  " is not a core of the " + std::to_string(n) + "-core mesh");
    if (seen[static_cast<std::size_t>(p)]++)
      throw std::invalid_argument("placement[" + std::to_string(i) + "] = " + std::to_string(p) +
                                  " puts a second chip core on the same physical core");
  }
}

void ChipAccountant::init(const Chip& chip) {
  const int n = chip.num_cores();
  if (placement_.empty()) {
    if (n > arch_.mesh.num_cores())
      throw std::invalid_argument("the chip has " + std::to_string(n) +
                                  " cores but architecture '" + arch_.name + "' has " +
                                  std::to_string(arch_.mesh.num_cores()));
    placement_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) placement_[static_cast<std::size_t>(i)] = i;
  } else if (static_cast<int>(placement_.size()) != n) {
    throw std::invalid_argument("the placement names " + std::to_string(placement_.size()) +
                                " cores but the chip has " + std::to_string(n));
  }
  const auto un = static_cast<std::size_t>(n);
  owned_.assign(un, 1);
  if (reduce_)
    for (int i = 0; i < n; ++i) owned_[static_cast<std::size_t>(i)] = chip.owns(i) ? 1 : 0;
  in_use_.assign(un, 0);
  totals_.assign(un, CoreTotals{});
  prev_.assign(un, CoreCounts{});
  std::vector<int> tiles, chips;
  for (int i = 0; i < n; ++i) {
    const Neurocore& c = chip.core(i);
    if (c.num_compartments() == 0 && c.num_input_axons() == 0) continue;
    in_use_[static_cast<std::size_t>(i)] = 1;
    used_.push_back(i);
    ++cores_in_use_;
    const int phys = placement_[static_cast<std::size_t>(i)];
    const BoardTile t = board_tile(arch_.mesh, phys);
    tiles.push_back(t.y * board_tiles_x(arch_.mesh) + t.x);
    chips.push_back(locate(arch_.mesh, phys).chip);
  }
  for (auto* v : {&tiles, &chips}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  tiles_in_use_ = static_cast<int>(tiles.size());
  chips_in_use_ = static_cast<int>(chips.size());
  started_ = true;
}

void ChipAccountant::start(const Chip& chip) {
  if (!records_.empty())
    throw std::logic_error("ChipAccountant::start() after steps were already observed");
  if (!started_) init(chip);
  for (int i = 0; i < chip.num_cores(); ++i)
    prev_[static_cast<std::size_t>(i)] = chip.core(i).counts();
  last_time_ = chip.time();
}

void ChipAccountant::distribute(StepReduce* reduce) {
  if (started_) throw std::logic_error("ChipAccountant::distribute() after the first step");
  if (reduce && arch_.network.model != NetworkModel::kAnalytic)
    throw std::invalid_argument(
        "a distributed accountant needs the analytic network model (its link loads are sums)");
  if (reduce && options_.keep_per_core_steps)
    throw std::invalid_argument("a distributed accountant keeps no per-core step arrays");
  reduce_ = reduce;
}

// CoreTotals as integers: the counters, then the network, host, busy and critical figures.
constexpr std::size_t kTotalFields = kCountFields.size() + 8;

void ChipAccountant::gather_totals() {
  if (!reduce_) return;
  std::vector<std::int64_t> v(totals_.size() * kTotalFields, 0);
  for (std::size_t i = 0; i < totals_.size(); ++i) {
    if (!owned_[i]) continue;  // its owner's figures count, not this process's view of them
    const CoreTotals& t = totals_[i];
    std::int64_t* out = &v[i * kTotalFields];
    for (const auto& f : kCountFields) *out++ = static_cast<std::int64_t>(t.counts.*f.field);
    for (const std::uint64_t x : {t.within_tile, t.east_west_hops, t.north_south_hops, t.chip_hops,
                                  t.board_hops, t.host_spikes_received})
      *out++ = static_cast<std::int64_t>(x);
    *out++ = t.busy_ps;
    *out = static_cast<std::int64_t>(t.critical_steps);
  }
  reduce_->sum(v);
  for (std::size_t i = 0; i < totals_.size(); ++i) {
    CoreTotals& t = totals_[i];
    const std::int64_t* in = &v[i * kTotalFields];
    for (const auto& f : kCountFields) t.counts.*f.field = static_cast<std::uint64_t>(*in++);
    for (std::uint64_t* x : {&t.within_tile, &t.east_west_hops, &t.north_south_hops, &t.chip_hops,
                             &t.board_hops, &t.host_spikes_received})
      *x = static_cast<std::uint64_t>(*in++);
    t.busy_ps = *in++;
    t.critical_steps = static_cast<std::uint64_t>(*in);
  }
}

// Every process's (slowest core, its time) and last arrival; the chip's are the slowest time
// (ties: the lowest core, as one process visits them) and the latest arrival (ties: the lowest
// source core, then the earliest message, as add_flow_hops()).
void ChipAccountant::combine_step(StepRecord& rec, int& slowest, LastArrival& last) {
  const std::vector<std::int64_t> mine = {
      rec.compute_ps,     slowest,         last.source,      last.dest,
      last.dest_physical, last.depart_ps,  last.arrival_ps,  last.wait_ps,
      last.worst_wait_ps, last.worst_link, last.within_tile, static_cast<std::int64_t>(last.k)};
  const std::vector<std::int64_t> all = reduce_->all_gather(mine);
  const std::size_t n = mine.size();
  for (std::size_t p = 0; p + n <= all.size(); p += n) {
    const std::int64_t* r = &all[p];
    if (r[1] >= 0 && (r[0] > rec.compute_ps || (r[0] == rec.compute_ps && r[1] < slowest))) {
      rec.compute_ps = r[0];
      slowest = static_cast<int>(r[1]);
    }
    if (r[2] < 0) continue;  // that process's cores sent nothing
    const bool later = last.source < 0 || r[6] > last.arrival_ps ||
                       (r[6] == last.arrival_ps &&
                        (r[2] < last.source ||
                         (r[2] == last.source && static_cast<std::uint64_t>(r[11]) < last.k)));
    if (!later) continue;
    last = {static_cast<int>(r[2]),
            static_cast<int>(r[3]),
            static_cast<int>(r[4]),
            r[5],
            r[6],
            r[7],
            r[8],
            static_cast<int>(r[9]),
            r[10] != 0,
            static_cast<std::uint64_t>(r[11])};
  }
  rec.network_ps = last.source < 0 ? 0 : last.arrival_ps;
}

void ChipAccountant::observe(const Chip& chip, const HostTraffic& host) {
  if (!started_) init(chip);
  check_step(chip);
  StepRecord rec;
  int slowest = add_core_steps(chip, rec);
  const std::uint64_t host_spikes = collect_host_spikes(chip);
  LastArrival last;
  if (arch_.network.model == NetworkModel::kAnalytic) {
    collect_flows(chip);
    network_.deliver_flows(flows_, flow_deliveries_, reduce_);
    deliveries_.clear();
    last = add_flow_hops(rec);
    if (reduce_) combine_step(rec, slowest, last);
  } else {
    collect_messages(chip);
    network_.deliver(messages_, deliveries_);
    last = add_hops(rec);
  }

  // The host link and the barrier; the cycle model counts them in whole cycles.
  const std::int64_t period = cycle_ ? arch_.cycle.clock_period_ps : 1;
  const auto cycles = [period](std::int64_t ps) { return round_up_to_cycle(ps, period); };
  rec.host_ps = checked_mul(host_spikes, cycles(arch_.host.spike_injected.latency_ps));
  rec.barrier_ps = cycles(barrier_time_ps(arch_.network, tiles_in_use_, chips_in_use_));
  rec.readback_ps = checked_add(checked_mul(host.readbacks, cycles(arch_.host.readback.latency_ps)),
                                checked_mul(host.words, cycles(arch_.host.word.latency_ps)));
  const std::int64_t busiest = std::max({rec.compute_ps, rec.network_ps, rec.host_ps});
  rec.step_ps = checked_add(checked_add(busiest, rec.barrier_ps), rec.readback_ps);
  rec.critical = critical_component(rec, busiest, slowest, last);
  auto it = std::lower_bound(critical_.begin(), critical_.end(), rec.critical,
                             [](const auto& a, const CriticalComponent& c) { return a.first < c; });
  if (it == critical_.end() || it->first != rec.critical)
    it = critical_.insert(it, {rec.critical, 0});
  ++it->second;

  elapsed_ps_ = checked_add(elapsed_ps_, rec.step_ps);
  barrier_tiles_ += static_cast<std::uint64_t>(tiles_in_use_);  // every tile in use joins it
  host_spikes_ += host_spikes;
  host_readbacks_ += host.readbacks;
  host_words_ += host.words;
  records_.push_back(rec);
}

inline void ChipAccountant::check_step(const Chip& chip) {
  if (chip.num_cores() != num_cores())
    throw std::logic_error("observe() was given a chip with " + std::to_string(chip.num_cores()) +
                           " cores; the accountant follows one with " +
                           std::to_string(num_cores()));
  if (chip.time() != last_time_ + 1 && chip.time() != 1)
    throw std::logic_error("observe() must follow every Chip::step(): chip time " +
                           std::to_string(chip.time()) + " after " + std::to_string(last_time_));
  last_time_ = chip.time();
}

inline int ChipAccountant::add_core_steps(const Chip& chip, StepRecord& rec) {
  const auto n = static_cast<std::size_t>(num_cores());
  const CoreEventCosts& costs = arch_.core_costs;
  delta_.resize(n);  // entries of cores not in use stay zero
  compute_.resize(n);
  busy_.resize(n);
  int slowest = -1;
  for (const int used : used_) {
    const auto i = static_cast<std::size_t>(used);
    if (!owned_[i]) continue;  // distributed: its owner accounts it
    const CoreCounts& now = chip.core(static_cast<int>(i)).counts();
    if (counters_went_back(now, prev_[i]))
      throw std::logic_error("core " + std::to_string(i) + "'s event counters went backwards");
    delta_[i] = now - prev_[i];
    prev_[i] = now;
    compute_[i] = compute_time_ps(costs, delta_[i]);
    busy_[i] = busy_time_ps(costs, delta_[i]);
    CoreTotals& t = totals_[i];
    t.counts += delta_[i];
    t.busy_ps = checked_add(t.busy_ps, busy_[i]);
    // The cycle model: the core is done when its soma is; its sending is part of the network.
    const std::int64_t done = cycle_ ? cycle_core_time(chip, i) : busy_[i];
    if (done > rec.compute_ps) {
      rec.compute_ps = done;
      slowest = static_cast<int>(i);
    }
  }
  if (options_.keep_per_core_steps) {
    step_counts_.insert(step_counts_.end(), delta_.begin(), delta_.end());
    step_busy_.insert(step_busy_.end(), busy_.begin(), busy_.end());
  }
  return slowest;
}

inline std::int64_t ChipAccountant::cycle_core_time(const Chip& chip, std::size_t i) {
  const Neurocore& core = chip.core(static_cast<int>(i));
  if (cycle_ready_.size() < delta_.size()) cycle_ready_.resize(delta_.size());
  const std::int64_t received =
      cycle_receive_ps(cycle_costs_, delta_[i], arch_.cycle.synapse_queue_depth);
  compute_[i] = cycle_update_ps(cycle_costs_, delta_[i], received, core.num_compartments(),
                                core.fired(), cycle_ready_[i]);
  return compute_[i];
}

// When the k-th message (1-based) of chip core `source` in this step is ready at its output
// port: the end of its compartment's update. Messages come in order of source core, then of
// fired compartment and its output axons (Neurocore::send).
inline std::int64_t ChipAccountant::cycle_depart(const Chip& chip, int source, std::uint64_t k) {
  const auto s = static_cast<std::size_t>(source);
  const Neurocore& core = chip.core(source);
  const std::span<const std::int32_t> fired = core.fired();
  if (k == 1) cursor_ = {source, 0, fired.empty() ? 0 : core.num_output_axons_of(fired[0])};
  while (cursor_.left == 0 && cursor_.fired + 1 < fired.size())
    cursor_.left = core.num_output_axons_of(fired[++cursor_.fired]);
  if (cursor_.left == 0 || cursor_.fired >= cycle_ready_[s].size())
    return compute_[s];  // more messages than fired compartments send: after the soma
  --cursor_.left;
  return cycle_ready_[s][cursor_.fired];
}

inline std::uint64_t ChipAccountant::collect_host_spikes(const Chip& chip) {
  // Host spikes are serialised on the host link and reach their core directly: those injected
  // during the last step, and those written ahead of it (Chip::inject_same_step).
  std::uint64_t host_spikes = 0;
  for (const std::span<const RoutedMessage> list : {chip.last_host(), chip.last_early_host()})
    for (const RoutedMessage& m : list) {
      ++totals_[static_cast<std::size_t>(m.dest_core)].host_spikes_received;
      ++host_spikes;
    }
  return host_spikes;
}

inline void ChipAccountant::collect_messages(const Chip& chip) {
  // The step's core messages: they leave in order after the core's compute phase.
  messages_.clear();
  message_source_.clear();
  message_dest_.clear();
  sent_in_step_.assign(static_cast<std::size_t>(num_cores()), 0);
  const std::int64_t spike_sent_ps = arch_.core_costs.spike_sent.latency_ps;
  for (const RoutedMessage& m : chip.last_messages()) {
    if (m.source_core < 0) continue;  // a host spike (collect_host_spikes)
    const auto s = static_cast<std::size_t>(m.source_core);
    const std::uint64_t k = ++sent_in_step_[s];
    const std::int64_t depart = cycle_ ? cycle_depart(chip, m.source_core, k)
                                       : checked_add(compute_[s], checked_mul(k, spike_sent_ps));
    messages_.push_back({placement_[s], placement_[static_cast<std::size_t>(m.dest_core)], depart});
    message_source_.push_back(m.source_core);
    message_dest_.push_back(m.dest_core);
  }
}

inline void ChipAccountant::collect_flows(const Chip& chip) {
  // The same messages as collect_messages(), as the chip's flows: nothing per message.
  flows_.clear();
  flow_info_.clear();
  const std::int64_t spike_sent_ps = arch_.core_costs.spike_sent.latency_ps;
  for (const MessageFlow& f : chip.last_flows()) {
    const auto s = static_cast<std::size_t>(f.source_core);
    if (!owned_[s]) continue;  // distributed: its owner's flow (this process may see a part)
    flows_.push_back({placement_[s], placement_[static_cast<std::size_t>(f.dest_core)], f.messages,
                      checked_add(compute_[s], checked_mul(std::uint64_t{f.last}, spike_sent_ps))});
    flow_info_.push_back({f.source_core, f.dest_core, f.first, f.last});
  }
}

inline ChipAccountant::LastArrival ChipAccountant::add_hops(StepRecord& rec) {
  int last = -1;
  // Messages come grouped by source core: sum each group's hops locally and add them to its
  // core's totals once (adding into the totals per message made every add wait for the last).
  for (std::size_t j = 0; j < deliveries_.size();) {
    const int source = message_source_[j];
    std::uint64_t within = 0, east_west = 0, north_south = 0, chip_to_chip = 0, board = 0;
    for (; j < deliveries_.size() && message_source_[j] == source; ++j) {
      const MessageDelivery& d = deliveries_[j];
      within += d.within_tile ? 1 : 0;
      east_west += static_cast<std::uint64_t>(d.east_west_hops);
      north_south += static_cast<std::uint64_t>(d.north_south_hops);
      chip_to_chip += static_cast<std::uint64_t>(d.chip_hops);
      board += static_cast<std::uint64_t>(d.board_hops);
      if (last < 0 || d.arrival_ps > rec.network_ps) {  // the first of equal arrivals wins
        last = static_cast<int>(j);
        rec.network_ps = d.arrival_ps;
      }
    }
    CoreTotals& t = totals_[static_cast<std::size_t>(source)];
    t.within_tile += within;
    t.east_west_hops += east_west;
    t.north_south_hops += north_south;
    t.chip_hops += chip_to_chip;
    t.board_hops += board;
  }
  if (last < 0) return {};
  const auto j = static_cast<std::size_t>(last);
  const MessageDelivery& d = deliveries_[j];
  return {message_source_[j],    message_dest_[j],
          messages_[j].dst_core, messages_[j].depart_ps,
          d.arrival_ps,          d.wait_ps,
          d.worst_wait_ps,       d.worst_link,
          d.within_tile,         0};
}

inline ChipAccountant::LastArrival ChipAccountant::add_flow_hops(StepRecord& rec) {
  // A flow's messages arrive in the order they left (equal path and wait), so the step's last
  // arrival is the last message of some flow, or, when messages leave with no time between
  // them (spike_sent latency 0), its first: ties go to the earliest message in
  // Chip::last_messages() order, (source core, send index), as in add_hops().
  const bool spaced = arch_.core_costs.spike_sent.latency_ps > 0;
  std::size_t best = flows_.size();
  std::uint64_t best_k = 0;
  for (std::size_t f = 0; f < flows_.size(); ++f) {
    const FlowDelivery& d = flow_deliveries_[f];
    const FlowInfo& info = flow_info_[f];
    const std::uint64_t count = flows_[f].messages;
    CoreTotals& t = totals_[static_cast<std::size_t>(info.source)];
    t.within_tile += d.within_tile ? count : 0;
    t.east_west_hops += count * static_cast<std::uint64_t>(d.east_west_hops);
    t.north_south_hops += count * static_cast<std::uint64_t>(d.north_south_hops);
    t.chip_hops += count * static_cast<std::uint64_t>(d.chip_hops);
    t.board_hops += count * static_cast<std::uint64_t>(d.board_hops);
    const std::uint64_t k = spaced ? info.last_k : info.first_k;
    const bool earlier =
        best < flows_.size() && (info.source < flow_info_[best].source ||
                                 (info.source == flow_info_[best].source && k < best_k));
    if (best == flows_.size() || d.arrival_ps > rec.network_ps ||
        (d.arrival_ps == rec.network_ps && earlier)) {
      best = f;
      best_k = k;
      rec.network_ps = d.arrival_ps;
    }
  }
  if (best == flows_.size()) return {};
  const FlowDelivery& d = flow_deliveries_[best];
  const FlowInfo& info = flow_info_[best];
  const std::int64_t departed =
      checked_add(compute_[static_cast<std::size_t>(info.source)],
                  checked_mul(best_k, arch_.core_costs.spike_sent.latency_ps));
  return {info.source, info.dest, flows_[best].dst_core, departed,      d.arrival_ps,
          d.wait_ps,   d.wait_ps, d.worst_link,          d.within_tile, best_k};
}

// The link where the step's last message waited longest; with the cycle model's ports, the
// core behind an output or input port, or the tile of a crossbar.
inline CriticalComponent ChipAccountant::link_component(const LastArrival& last) {
  const int owner = network_.port_owner(last.worst_link);
  switch (network_.port_kind(last.worst_link)) {
    case MeshNetwork::PortKind::kOutput:
      ++totals_[static_cast<std::size_t>(last.source)].critical_steps;
      return {CriticalComponent::Kind::kCore, last.source};
    case MeshNetwork::PortKind::kInput:
      ++totals_[static_cast<std::size_t>(last.dest)].critical_steps;
      return {CriticalComponent::Kind::kCore, last.dest};
    case MeshNetwork::PortKind::kCrossbar:
      return {CriticalComponent::Kind::kTileRouter, owner};
    case MeshNetwork::PortKind::kNone:
      break;
  }
  return {CriticalComponent::Kind::kLink, last.worst_link};
}

inline CriticalComponent ChipAccountant::critical_component(const StepRecord& rec,
                                                            std::int64_t busiest, int slowest,
                                                            const LastArrival& last) {
  // A core wins ties, then the network, then the host link.
  if (busiest > 0 && rec.compute_ps == busiest) {
    ++totals_[static_cast<std::size_t>(slowest)].critical_steps;
    return {CriticalComponent::Kind::kCore, slowest};
  }
  if (busiest > 0 && last.source >= 0 && rec.network_ps == busiest) {
    const std::int64_t departed = last.depart_ps;
    const std::int64_t path = last.arrival_ps - departed - last.wait_ps;
    if (departed >= last.worst_wait_ps && departed >= path) {
      ++totals_[static_cast<std::size_t>(last.source)].critical_steps;
      return {CriticalComponent::Kind::kCore, last.source};
    }
    if (last.worst_wait_ps >= path) return link_component(last);
    if (last.within_tile) {
      const BoardTile t = board_tile(arch_.mesh, last.dest_physical);
      return {CriticalComponent::Kind::kTileRouter, t.y * board_tiles_x(arch_.mesh) + t.x};
    }
    return {CriticalComponent::Kind::kRoute, std::int64_t{last.source} * num_cores() + last.dest};
  }
  if (busiest > 0) return {CriticalComponent::Kind::kHostLink, -1};
  return rec.critical;
}

EnergyCounts ChipAccountant::core_energy_counts(int i) const {
  const CoreTotals& t = totals_.at(static_cast<std::size_t>(i));
  EnergyCounts e;
  add_core_counts(e, t.counts);
  e[EnergyEvent::kWithinTile] += t.within_tile;
  e[EnergyEvent::kEastWestHop] += t.east_west_hops;
  e[EnergyEvent::kNorthSouthHop] += t.north_south_hops;
  e[EnergyEvent::kChipHop] += t.chip_hops;
  e[EnergyEvent::kBoardHop] += t.board_hops;
  return e;
}

EnergyCounts ChipAccountant::energy_counts() const {
  EnergyCounts e;
  for (int i = 0; i < num_cores(); ++i) e += core_energy_counts(i);
  e[EnergyEvent::kBarrierTile] += barrier_tiles_;
  e[EnergyEvent::kHostSpikeInjected] += host_spikes_;
  e[EnergyEvent::kHostReadback] += host_readbacks_;
  e[EnergyEvent::kHostWord] += host_words_;
  const auto chip_ps = static_cast<std::uint64_t>(
      checked_mul(static_cast<std::uint64_t>(chips_in_use_), elapsed_ps_));
  e[EnergyEvent::kStatic] += chip_ps;
  e[EnergyEvent::kX86] += chip_ps;
  return e;
}

std::vector<std::pair<CriticalComponent, std::uint64_t>> ChipAccountant::critical_counts() const {
  auto out = critical_;
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

std::string ChipAccountant::describe(const CriticalComponent& c) const {
  switch (c.kind) {
    case CriticalComponent::Kind::kNone:
      return "nothing in use";
    case CriticalComponent::Kind::kCore:
      return "chip core " + std::to_string(c.index) + " on physical " +
             describe_core(arch_.mesh, placement_.at(static_cast<std::size_t>(c.index)));
    case CriticalComponent::Kind::kLink:
      return describe_link(arch_.mesh, static_cast<int>(c.index));
    case CriticalComponent::Kind::kRoute: {
      const auto src = static_cast<std::size_t>(c.index / num_cores());
      const auto dst = static_cast<std::size_t>(c.index % num_cores());
      const Route r = route(arch_.mesh, placement_.at(src), placement_.at(dst));
      return "route from chip core " + std::to_string(src) + " to chip core " +
             std::to_string(dst) + " (" + std::to_string(r.east_west_hops) + " E-W, " +
             std::to_string(r.north_south_hops) + " N-S, " + std::to_string(r.chip_hops) +
             " chip-to-chip" +
             (r.board_hops > 0 ? ", " + std::to_string(r.board_hops) + " board-to-board" : "") +
             " hops)";
    }
    case CriticalComponent::Kind::kTileRouter:
      return "within-tile delivery in " +
             describe_tile(arch_.mesh, {static_cast<int>(c.index % board_tiles_x(arch_.mesh)),
                                        static_cast<int>(c.index / board_tiles_x(arch_.mesh))});
    case CriticalComponent::Kind::kHostLink:
      return "host link";
  }
  return "unknown";
}

}  // namespace loihisim::core
