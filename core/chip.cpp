#include "core/chip.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace loihisim::core {

std::vector<ConfigProblem> validate(std::span<const CoreConfig> cores, const CoreLimits& limits) {
  const std::vector<std::uint8_t> held(cores.size(), 1);
  std::vector<std::int32_t> input_axons;
  for (const auto& c : cores)
    input_axons.push_back(static_cast<std::int32_t>(c.input_axons.size()));
  return validate(cores, limits, held, input_axons);
}

std::vector<ConfigProblem> validate(std::span<const CoreConfig> cores, const CoreLimits& limits,
                                    std::span<const std::uint8_t> held,
                                    std::span<const std::int32_t> input_axons) {
  if (held.size() != cores.size() || input_axons.size() != cores.size())
    throw std::invalid_argument("validate: " + std::to_string(held.size()) + " held flags and " +
                                std::to_string(input_axons.size()) + " axon counts for " +
                                std::to_string(cores.size()) + " cores");
  std::vector<ConfigProblem> problems;
  for (std::size_t c = 0; c < cores.size(); ++c) {
    if (!held[c]) continue;
    const std::string prefix = "cores[" + std::to_string(c) + "].";
    for (auto p : validate(cores[c], limits)) {
      p.field = prefix + p.field;
      p.message = prefix + p.message;
      problems.push_back(std::move(p));
    }
    const auto& outs = cores[c].output_axons;
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const auto& o = outs[i];
      const std::string field = prefix + "output_axons[" + std::to_string(i) + "]";
      if (o.dest_core < 0 || o.dest_core >= static_cast<int>(cores.size())) {
        problems.push_back(
            {field + ".dest_core", field + ".dest_core = " + std::to_string(o.dest_core) +
                                       " names no core; allowed range 0.." +
                                       std::to_string(static_cast<int>(cores.size()) - 1)});
        continue;
      }
      const auto n_axons =
          static_cast<std::size_t>(input_axons[static_cast<std::size_t>(o.dest_core)]);
      if (o.dest_axon < 0 || static_cast<std::size_t>(o.dest_axon) >= n_axons)
        problems.push_back({field + ".dest_axon",
                            field + ".dest_axon = " + std::to_string(o.dest_axon) +
                                " names no input axon of core " + std::to_string(o.dest_core) +
                                (n_axons > 0 ? "; allowed range 0.." + std::to_string(n_axons - 1)
                                             : std::string(", which has no input axons"))});
    }
  }
  return problems;
}

Chip::Chip(const ChipConfig& cfg) : Chip(cfg.cores, cfg.limits) {}

Chip::Chip(std::span<const CoreConfig> cores, const CoreLimits& limits) {
  if (auto problems = validate(cores, limits); !problems.empty())
    throw InvalidCoreConfig(std::move(problems));
  cores_.reserve(cores.size());
  for (const auto& c : cores) cores_.push_back(Neurocore(c, Neurocore::Validated{}));
  build_routes(cores);
}

Chip::Chip(std::span<const CoreConfig> cores, const CoreLimits& limits, Distribution dist)
    : dist_(std::move(dist)) {
  if (dist_.processes < 1 || dist_.self < 0 || dist_.self >= dist_.processes)
    throw std::invalid_argument("distribution: process " + std::to_string(dist_.self) + " of " +
                                std::to_string(dist_.processes));
  if (dist_.owner.size() != cores.size())
    throw std::invalid_argument("distribution: " + std::to_string(dist_.owner.size()) +
                                " owners for " + std::to_string(cores.size()) + " cores");
  for (const std::int32_t o : dist_.owner)
    if (o < 0 || o >= dist_.processes)
      throw std::invalid_argument("distribution: owner " + std::to_string(o) + " of " +
                                  std::to_string(dist_.processes) + " processes");
  const bool outlined = !dist_.input_axons.empty();
  if (outlined && (dist_.input_axons.size() != cores.size() || dist_.dests.size() != cores.size()))
    throw std::invalid_argument("distribution: " + std::to_string(dist_.input_axons.size()) +
                                " input axon counts and " + std::to_string(dist_.dests.size()) +
                                " route lists for " + std::to_string(cores.size()) + " cores");
  for (const auto& list : dist_.dests)
    for (const std::int32_t d : list)
      if (d < 0 || static_cast<std::size_t>(d) >= cores.size())
        throw std::invalid_argument("distribution: a route to core " + std::to_string(d) + " of " +
                                    std::to_string(cores.size()));
  std::vector<std::uint8_t> held(cores.size());
  std::vector<std::int32_t> axons(cores.size());
  for (std::size_t c = 0; c < cores.size(); ++c) {
    held[c] = owns(static_cast<int>(c)) ? 1 : 0;
    axons[c] =
        outlined ? dist_.input_axons[c] : static_cast<std::int32_t>(cores[c].input_axons.size());
  }
  if (auto problems = validate(cores, limits, held, axons); !problems.empty())
    throw InvalidCoreConfig(std::move(problems));
  cores_.reserve(cores.size());
  for (std::size_t c = 0; c < cores.size(); ++c)
    cores_.push_back(
        held[c] ? Neurocore(cores[c], Neurocore::Validated{})
                : Neurocore::mirror(static_cast<int>(cores[c].compartments.size()), axons[c]));
  build_routes(cores);
  for (std::size_t c = 0; c < cores_.size(); ++c)
    if (!owns(static_cast<int>(c)) && !cores_[c].idle()) mirrors_.push_back(c);
  const auto p = static_cast<std::size_t>(dist_.processes);
  send_.resize(p);
  pack_count_.assign(p, 0);
  pack_header_.assign(p, 0);
}

// Inboxes, outboxes and senders from the cores' output axons (every core's, mirrors' too: a
// process routes the messages it receives from other processes' cores like its own).
void Chip::build_routes(std::span<const CoreConfig> cores) {
  inbox_.resize(cores.size());
  host_in_.resize(cores.size());
  out_.resize(cores.size());
  for (std::size_t c = 0; c < cores_.size(); ++c)
    if (cores_[c].idle())
      idle_cores_.push_back(c);
    else if (owns(static_cast<int>(c)))
      working_.push_back(c);
  outbox_.resize(cores.size());
  senders_.resize(cores.size());
  for (std::size_t c = 0; c < cores.size(); ++c) {
    Outbox& o = outbox_[c];
    o.dests = destinations(cores, c);
    // A direct table from destination to entry while it stays small (4 bytes x cores per
    // sending core); a binary search in dests otherwise.
    if (!o.dests.empty() && cores.size() <= kDirectSlotCores) {
      o.slot_of.assign(cores.size(), -1);
      for (std::size_t j = 0; j < o.dests.size(); ++j)
        o.slot_of[static_cast<std::size_t>(o.dests[j])] = static_cast<std::int32_t>(j);
    }
    for (auto& b : o.buckets) b.resize(o.dests.size());
    o.flow_of.assign(o.dests.size(), -1);
    for (std::size_t j = 0; j < o.dests.size(); ++j)
      senders_[static_cast<std::size_t>(o.dests[j])].emplace_back(static_cast<std::int32_t>(c),
                                                                  static_cast<std::int32_t>(j));
  }
}

std::vector<std::int32_t> Chip::destinations(std::span<const CoreConfig> cores,
                                             std::size_t c) const {
  if (!dist_.dests.empty() && !owns(static_cast<int>(c))) return dist_.dests[c];
  std::vector<std::int32_t> dests;
  for (const auto& a : cores[c].output_axons) dests.push_back(a.dest_core);
  std::sort(dests.begin(), dests.end());
  dests.erase(std::unique(dests.begin(), dests.end()), dests.end());
  return dests;
}

MemoryBytes Chip::memory() const {
  MemoryBytes m;
  m.other = sizeof(Chip);
  for (const auto& c : cores_) m += c.memory();
  for (const auto& o : outbox_)
    m.other +=
        (o.dests.capacity() + o.slot_of.capacity() + o.flow_of.capacity()) * sizeof(std::int32_t);
  for (const auto& s : senders_) m.other += s.capacity() * sizeof(s[0]);
  return m;
}

int Chip::Outbox::slot(std::int32_t dest) const {
  if (!slot_of.empty()) return slot_of[static_cast<std::size_t>(dest)];
  return static_cast<int>(std::lower_bound(dests.begin(), dests.end(), dest) - dests.begin());
}

void Chip::check_host_spike(int core, int axon) const {
  if (core < 0 || core >= num_cores())
    throw std::out_of_range("host spike for core " + std::to_string(core) + " but the chip has " +
                            std::to_string(num_cores()) + " cores");
  if (axon < 0 || axon >= cores_[static_cast<std::size_t>(core)].num_input_axons())
    throw std::out_of_range(
        "host spike for input axon " + std::to_string(axon) + " of core " + std::to_string(core) +
        ", which has " + std::to_string(cores_[static_cast<std::size_t>(core)].num_input_axons()) +
        " input axons");
}

void Chip::inject(int core, AxonSpike spike) {
  check_host_spike(core, spike.axon);
  pending_host_.push_back({-1, core, spike.axon, spike.payload});
  ++host_spikes_;
}

void Chip::inject_same_step(int core, AxonSpike spike) {
  check_host_spike(core, spike.axon);
  host_in_[static_cast<std::size_t>(core)].push_back(spike);
  early_host_.push_back({-1, core, spike.axon, spike.payload});
  ++host_spikes_;
}

void Chip::set_bias(int core, int compartment, int bias_mant, int bias_exp) {
  if (core < 0 || core >= num_cores())
    throw std::out_of_range("bias for core " + std::to_string(core) + " but the chip has " +
                            std::to_string(num_cores()) + " cores");
  if (!owns(core)) return;
  cores_[static_cast<std::size_t>(core)].set_bias(compartment, bias_mant, bias_exp);
}

void Chip::step() {
  step(nullptr);
}

void Chip::step(StepThreads* threads) {
  early_delivered_.swap(early_host_);  // in the host queues already
  early_host_.clear();
  // Idle cores (no axons, so no inbox; no compartments, so nothing to update or send) only let
  // time pass; the threads share the working ones.
  for (const std::size_t c : idle_cores_) cores_[c].advance_idle();
  for (const std::size_t c : mirrors_) host_in_[c].clear();  // their owners deliver them
  if (!threads || threads->threads() == 1) {
    for (const std::size_t c : working_) step_core(c);
  } else {
    threads->run(working_.size(), [this](std::size_t i) { step_core(working_[i]); });
  }
  if (distributed()) exchange_step();
  finish_step();
}

// The distributed barrier: every owned core's messages go to the processes that own their
// destination cores (all of them, with its counters and fired compartments, to the reporter);
// the messages received become the mirrors' messages of the step, bucketed like an owned
// core's, so that the next step gathers every inbox in the same source order as one process.
void Chip::exchange_step() {
  if (!exchange_) throw std::logic_error("a distributed chip stepped without an exchange");
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& b : send_) b.clear();
  for (const std::size_t c : working_) pack_core(c, send_);
  exchange_->exchange(send_, received_);
  for (const std::size_t c : mirrors_) out_[c].clear();
  unpack(received_);
  for (const std::size_t c : mirrors_) route_out(c);
  exchange_ns_ += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

// Record of one core for one process: core, messages n, 1 if counters and fired lists follow
// (then 7 counters as low/high 32-bit halves, fired count f, f compartments, f payloads), then
// n messages as (destination core, axon, payload).
void Chip::pack_core(std::size_t c, std::vector<std::vector<std::int32_t>>& send) {
  const auto& msgs = out_[c];
  const bool to_reporter = dist_.self != Distribution::kReporter;
  const auto put_messages = [&](std::vector<std::int32_t>& b, int r) {
    for (const SpikeMessage& m : msgs)
      if (r < 0 || dist_.owner[static_cast<std::size_t>(m.dest_core)] == r)
        b.insert(b.end(), {m.dest_core, m.dest_axon, m.payload});
  };
  if (to_reporter) {
    auto& b = send[Distribution::kReporter];
    const int which = dist_.reporter_messages ? -1 : Distribution::kReporter;
    std::int32_t n = 0;
    for (const SpikeMessage& m : msgs)
      n += which < 0 || dist_.owner[static_cast<std::size_t>(m.dest_core)] == which;
    b.insert(b.end(), {static_cast<std::int32_t>(c), n, 1});
    const CoreCounts& k = cores_[c].counts();
    for (const auto& f : kCountFields) {
      const std::uint64_t v = k.*f.field;
      b.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
      b.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(v >> 32)));
    }
    const auto fired = cores_[c].fired();
    const auto payloads = cores_[c].fired_payloads();
    b.push_back(static_cast<std::int32_t>(fired.size()));
    b.insert(b.end(), fired.begin(), fired.end());
    b.insert(b.end(), payloads.begin(), payloads.end());
    put_messages(b, which);
  }
  pack_touched_.clear();
  for (const SpikeMessage& m : msgs) {
    const std::int32_t r = dist_.owner[static_cast<std::size_t>(m.dest_core)];
    if (r == dist_.self || (to_reporter && r == Distribution::kReporter)) continue;
    if (pack_count_[static_cast<std::size_t>(r)]++ == 0) pack_touched_.push_back(r);
  }
  for (const std::int32_t r : pack_touched_) {
    auto& b = send[static_cast<std::size_t>(r)];
    auto& n = pack_count_[static_cast<std::size_t>(r)];
    b.insert(b.end(), {static_cast<std::int32_t>(c), n, 0});
    put_messages(b, r);
    n = 0;
  }
}

void Chip::unpack(std::span<const std::int32_t> received) {
  const auto bad = [] { throw std::logic_error("malformed distributed step buffer"); };
  std::size_t i = 0;
  const auto take = [&](std::size_t n) {
    if (received.size() - i < n) bad();
    const auto s = received.subspan(i, n);
    i += n;
    return s;
  };
  while (i < received.size()) {
    const auto head = take(3);
    const auto c = static_cast<std::size_t>(head[0]);
    if (head[0] < 0 || c >= cores_.size() || owns(head[0]) || head[1] < 0) bad();
    if (head[2] == 1) {
      const auto k = take(2 * kCountFields.size());
      CoreCounts counts;
      for (std::size_t f = 0; f < kCountFields.size(); ++f)
        counts.*kCountFields[f].field = static_cast<std::uint32_t>(k[2 * f]) |
                                        std::uint64_t{static_cast<std::uint32_t>(k[2 * f + 1])}
                                            << 32;
      const auto nf = static_cast<std::size_t>(take(1)[0]);
      const auto fired = take(nf);
      cores_[c].mirror_step(counts, fired, take(nf));
    }
    const auto m = take(3 * static_cast<std::size_t>(head[1]));
    for (std::size_t j = 0; j < m.size(); j += 3) out_[c].push_back({m[j], m[j + 1], m[j + 2]});
  }
}

// One core's whole step in its own task: gather its inbox (what its senders bucketed for it in
// the previous step, in source order, then the host's spikes), step it, bucket its messages.
// Outboxes alternate between two sets of buckets, so a core writes this step's set while the
// others read the previous step's: no thread waits for another within a step.
void Chip::step_core(std::size_t c) {
  auto& in = inbox_[c];
  in.clear();
  const int previous = parity_ ^ 1;
  for (const auto& [source, j] : senders_[c]) {
    const auto& b =
        outbox_[static_cast<std::size_t>(source)].buckets[previous][static_cast<std::size_t>(j)];
    in.insert(in.end(), b.begin(), b.end());
  }
  in.insert(in.end(), host_in_[c].begin(), host_in_[c].end());
  host_in_[c].clear();
  out_[c].clear();
  cores_[c].step(in, out_[c]);
  route_out(c);
}

// Sorts the core's messages into one bucket per destination core, keeping their order, and
// records the step's flows. Everything here is the core's own, so it runs in the core's task.
void Chip::route_out(std::size_t c) {
  Outbox& o = outbox_[c];
  auto& buckets = o.buckets[parity_];
  auto& used = o.used[parity_];
  for (const std::int32_t j : used)  // read by the receivers in the step before this one
    buckets[static_cast<std::size_t>(j)].clear();
  used.clear();
  o.flows.clear();
  std::uint32_t k = 0;
  for (const SpikeMessage& m : out_[c]) {
    ++k;
    const auto j = static_cast<std::size_t>(o.slot(m.dest_core));
    if (o.flow_of[j] < 0) {
      o.flow_of[j] = static_cast<std::int32_t>(o.flows.size());
      o.flows.push_back({static_cast<std::int32_t>(c), m.dest_core, 0, k, k});
      used.push_back(static_cast<std::int32_t>(j));
    }
    MessageFlow& f = o.flows[static_cast<std::size_t>(o.flow_of[j])];
    ++f.messages;
    f.last = k;
    buckets[j].push_back({m.dest_axon, m.payload});
  }
  for (const std::int32_t j : used) o.flow_of[static_cast<std::size_t>(j)] = -1;
}

void Chip::finish_step() {
  // Barrier: everything sent in this step is delivered at the start of the next one (the
  // receivers gather it then), host spikes after the cores' spikes.
  for (const auto& m : pending_host_)
    host_in_[static_cast<std::size_t>(m.dest_core)].push_back({m.dest_axon, m.payload});
  host_sent_.swap(pending_host_);
  pending_host_.clear();
  flows_.clear();
  for (const Outbox& o : outbox_) flows_.insert(flows_.end(), o.flows.begin(), o.flows.end());
  parity_ ^= 1;
  sent_built_ = false;
  ++t_;
}

std::span<const RoutedMessage> Chip::last_messages() const {
  if (!sent_built_) {
    sent_.clear();
    for (std::size_t c = 0; c < out_.size(); ++c)
      for (const auto& m : out_[c])
        sent_.push_back({static_cast<std::int32_t>(c), m.dest_core, m.dest_axon, m.payload});
    sent_.insert(sent_.end(), host_sent_.begin(), host_sent_.end());
    sent_built_ = true;
  }
  return sent_;
}

void Chip::reset_state() {
  for (auto& c : cores_) c.reset_state();
  for (auto& b : inbox_) b.clear();
  for (auto& b : out_) b.clear();
  for (auto& b : host_in_) b.clear();
  for (auto& o : outbox_) {
    for (int p = 0; p < 2; ++p) {
      for (const std::int32_t j : o.used[p]) o.buckets[p][static_cast<std::size_t>(j)].clear();
      o.used[p].clear();
    }
    o.flows.clear();
  }
  parity_ = 0;
  pending_host_.clear();
  host_sent_.clear();
  early_host_.clear();
  early_delivered_.clear();
  flows_.clear();
  sent_.clear();
  sent_built_ = true;
  t_ = 0;
}

CoreCounts Chip::total_counts() const {
  CoreCounts total;
  for (const auto& c : cores_) total += c.counts();
  return total;
}

}  // namespace loihisim::core
