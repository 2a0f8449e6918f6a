#include "core/mesh_network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace loihisim::core {

namespace {

// Min-heap on (time, seq): earliest first, ties in the order the events were created.
bool later(const auto& a, const auto& b) {
  return a.time != b.time ? a.time > b.time : a.seq > b.seq;
}

}  // namespace

MeshNetwork::MeshNetwork(const MeshGeometry& mesh, const NetworkCosts& costs)
    : mesh_(mesh), costs_(costs) {
  for (const auto* l :
       {&costs.east_west, &costs.north_south, &costs.chip_to_chip, &costs.board_to_board})
    if (l->buffer_depth < 1)
      throw std::invalid_argument("link buffer depth " + std::to_string(l->buffer_depth) +
                                  " must be at least 1");
  const auto n = static_cast<std::size_t>(num_link_ids(mesh));
  kind_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    kind_[i] = static_cast<std::uint8_t>(link_kind(mesh, static_cast<int>(i)));
  size_links(n);
}

void MeshNetwork::size_links(std::size_t n) {
  free_at_.resize(n, 0);
  occupancy_.resize(n, 0);
  head_.resize(n, -1);
  tail_.resize(n, -1);
  free_pending_.resize(n, 0);
  touched_.resize(n, 0);
}

void MeshNetwork::enable_ports(const MeshPorts& ports) {
  for (const auto* l : {&ports.output, &ports.crossbar, &ports.input})
    if (l->buffer_depth < 1)
      throw std::invalid_argument("port buffer depth " + std::to_string(l->buffer_depth) +
                                  " must be at least 1");
  if (!routes_.empty()) throw std::logic_error("enable_ports() after routes were made");
  ports_enabled_ = true;
  ports_ = ports;
  port_base_ = num_link_ids(mesh_);
  const int cores = mesh_.num_cores();
  const int tiles = board_tiles_x(mesh_) * board_tiles_y(mesh_);
  const auto n = static_cast<std::size_t>(port_base_ + 2 * cores + tiles);
  for (int i = 0; i < 2 * cores + tiles; ++i)
    kind_.push_back(static_cast<std::uint8_t>(3 + (i < cores ? 0 : i < 2 * cores ? 1 : 2)));
  size_links(n);
}

MeshNetwork::PortKind MeshNetwork::port_kind(int link) const {
  if (!ports_enabled_ || link < port_base_) return PortKind::kNone;
  return static_cast<PortKind>(kind_.at(static_cast<std::size_t>(link)) - 3);
}

int MeshNetwork::port_owner(int link) const {
  const int cores = mesh_.num_cores();
  switch (port_kind(link)) {
    case PortKind::kOutput:
      return link - port_base_;
    case PortKind::kInput:
      return link - port_base_ - cores;
    case PortKind::kCrossbar:
      return link - port_base_ - 2 * cores;
    case PortKind::kNone:
      break;
  }
  return -1;
}

const LinkParams& MeshNetwork::params(int link) const {
  const std::uint8_t k = kind_[static_cast<std::size_t>(link)];
  if (k >= 3 && k <= 5) return k == 3 ? ports_.output : k == 4 ? ports_.input : ports_.crossbar;
  switch (static_cast<LinkKind>(kind_[static_cast<std::size_t>(link)])) {
    case LinkKind::kEastWest:
      return costs_.east_west;
    case LinkKind::kNorthSouth:
      return costs_.north_south;
    case LinkKind::kBoardToBoard:
      return costs_.board_to_board;
    case LinkKind::kChipToChip:
      break;
  }
  return costs_.chip_to_chip;
}

const MeshNetwork::CachedRoute& MeshNetwork::cached_route(int src_core, int dst_core) {
  const int n = mesh_.num_cores();
  if (n <= kDenseRouteCores && src_core >= 0 && src_core < n && dst_core >= 0 && dst_core < n) {
    // A row of route indices per source core, made when the source first sends: a lookup is
    // one load (the hash below costs a multiply and a probe per message).
    if (route_rows_.empty()) route_rows_.resize(static_cast<std::size_t>(n));
    auto& row = route_rows_[static_cast<std::size_t>(src_core)];
    if (row.empty()) row.assign(static_cast<std::size_t>(n), -1);
    int& slot = row[static_cast<std::size_t>(dst_core)];
    if (slot < 0) slot = add_route(src_core, dst_core);
    return routes_[static_cast<std::size_t>(slot)];
  }
  if (route_keys_.empty()) {
    route_keys_.assign(1024, 0);
    route_slots_.assign(1024, -1);
  }
  const auto key =
      static_cast<std::uint64_t>(src_core) * static_cast<std::uint64_t>(mesh_.num_cores()) +
      static_cast<std::uint64_t>(dst_core) + 1;
  std::size_t mask = route_keys_.size() - 1;
  std::size_t i = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
  while (route_keys_[i] != 0) {
    if (route_keys_[i] == key) return routes_[static_cast<std::size_t>(route_slots_[i])];
    i = (i + 1) & mask;
  }
  // Not cached yet: compute it (route_into throws for a core outside the mesh).
  add_route(src_core, dst_core);
  if (2 * routes_.size() > route_keys_.size()) {  // keep the table at most half full
    std::vector<std::uint64_t> keys(2 * route_keys_.size(), 0);
    std::vector<int> slots(keys.size(), -1);
    mask = keys.size() - 1;
    for (std::size_t j = 0; j < route_keys_.size(); ++j) {
      if (route_keys_[j] == 0) continue;
      std::size_t k =
          static_cast<std::size_t>((route_keys_[j] * 0x9E3779B97F4A7C15ull) >> 20) & mask;
      while (keys[k] != 0) k = (k + 1) & mask;
      keys[k] = route_keys_[j];
      slots[k] = route_slots_[j];
    }
    route_keys_.swap(keys);
    route_slots_.swap(slots);
    i = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (route_keys_[i] != 0) i = (i + 1) & mask;
  }
  route_keys_[i] = key;
  route_slots_[i] = static_cast<int>(routes_.size()) - 1;
  return routes_.back();
}

int MeshNetwork::add_route(int src_core, int dst_core) {
  route_into(mesh_, src_core, dst_core, route_);  // throws for a core outside the mesh
  CachedRoute r;
  r.begin = static_cast<int>(route_links_.size());
  r.len = static_cast<int>(route_.links.size());
  r.within_tile = route_.within_tile;
  r.east_west_hops = route_.east_west_hops;
  r.north_south_hops = route_.north_south_hops;
  r.chip_hops = route_.chip_hops;
  r.board_hops = route_.board_hops;
  if (ports_enabled_) {  // output port, the mesh links or the tile's crossbar, input port
    route_links_.push_back(port_base_ + src_core);
    if (route_.links.empty()) {
      const BoardTile t = board_tile(mesh_, src_core);
      route_links_.push_back(port_base_ + 2 * mesh_.num_cores() + t.y * board_tiles_x(mesh_) + t.x);
    }
    r.len = static_cast<int>(route_.links.size()) + (route_.links.empty() ? 3 : 2);
  }
  route_links_.insert(route_links_.end(), route_.links.begin(), route_.links.end());
  if (ports_enabled_) route_links_.push_back(port_base_ + mesh_.num_cores() + dst_core);
  routes_.push_back(r);
  return static_cast<int>(routes_.size()) - 1;
}

void MeshNetwork::push_arrival(int kind, std::int64_t time, int message) {
  auto& q = arrivals_[kind];
  // Kept sorted by construction (see the header); checked, as the event order depends on it.
  if (!q.empty() && q.back().time > time)
    throw std::logic_error("mesh network: arrival events out of order");
  q.push_back({time, seq_++, message, false});
}

void MeshNetwork::push_free(std::int64_t time, int link) {
  frees_.push_back({time, seq_++, link, true});
  std::push_heap(frees_.begin(), frees_.end(),
                 [](const Event& a, const Event& b) { return later(a, b); });
}

const MeshNetwork::Event* MeshNetwork::earliest() const {
  const Event* best = frees_.empty() ? nullptr : &frees_.front();
  for (int k = 0; k < kLinkKinds; ++k) {
    if (arrivals_head_[k] == arrivals_[k].size()) continue;
    const Event* e = &arrivals_[k][arrivals_head_[k]];
    if (!best || later(*best, *e)) best = e;
  }
  return best;
}

void MeshNetwork::pop(const Event* e) {
  if (e->free) {
    std::pop_heap(frees_.begin(), frees_.end(),
                  [](const Event& a, const Event& b) { return later(a, b); });
    frees_.pop_back();
    return;
  }
  for (int k = 0; k < kLinkKinds; ++k) {
    if (arrivals_head_[k] < arrivals_[k].size() && &arrivals_[k][arrivals_head_[k]] == e) {
      ++arrivals_head_[k];
      return;
    }
  }
}

void MeshNetwork::touch(int link) {
  const auto l = static_cast<std::size_t>(link);
  if (touched_[l]) return;
  touched_[l] = 1;
  touched_list_.push_back(link);
}

void MeshNetwork::try_start(int link, std::int64_t now, std::vector<MessageDelivery>& out) {
  const auto l = static_cast<std::size_t>(link);
  const LinkParams& p = params(link);
  while (head_[l] >= 0) {
    if (free_at_[l] > now) {  // still serialising: look again when it is done
      if (!free_pending_[l]) {
        free_pending_[l] = 1;
        push_free(free_at_[l], link);
      }
      return;
    }
    if (occupancy_[l] >= p.buffer_depth) return;  // no credit: a slot release will retry
    const int m = head_[l];
    const auto mi = static_cast<std::size_t>(m);
    head_[l] = next_[mi];
    if (head_[l] < 0) tail_[l] = -1;
    MessageDelivery& d = out[mi];
    const std::int64_t waited = now - ready_[mi];
    d.wait_ps += waited;
    if (waited > d.worst_wait_ps) {
      d.worst_wait_ps = waited;
      d.worst_link = link;
    }
    free_at_[l] = now + p.serialisation_ps;
    ++occupancy_[l];
    const int hop = hop_[mi]++;
    push_arrival(kind_[l], now + p.hop.latency_ps, m);
    if (hop > 0) {  // it leaves the previous link's buffer: give that slot back
      const int prev = route_links_[static_cast<std::size_t>(path_begin_[mi] + hop - 1)];
      --occupancy_[static_cast<std::size_t>(prev)];
      try_start(prev, now, out);
    }
  }
}

void MeshNetwork::deliver(std::span<const NetworkMessage> messages,
                          std::vector<MessageDelivery>& out) {
  reset(messages.size());
  out.resize(messages.size());
  route(messages, out);
  simulate(out);
  for (std::size_t i = 0; i < messages.size(); ++i)
    if (path_len_[i] > 0 && hop_[i] != path_len_[i])
      throw std::logic_error("mesh network: a message was never delivered (deadlock)");
}

void MeshNetwork::deliver_analytic(std::span<const NetworkMessage> messages,
                                   std::vector<MessageDelivery>& out) {
  // Each message is a flow of its own: the flow model's loads, path and backlog are the
  // per-message formula (one implementation of the analytic model).
  single_flows_.clear();
  for (const NetworkMessage& m : messages)
    single_flows_.push_back({m.src_core, m.dst_core, 1, m.depart_ps});
  deliver_flows(single_flows_, single_deliveries_);
  out.resize(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const FlowDelivery& f = single_deliveries_[i];
    MessageDelivery& d = out[i];
    d = MessageDelivery{};
    d.arrival_ps = f.arrival_ps;
    d.wait_ps = f.wait_ps;
    d.worst_wait_ps = f.wait_ps;
    d.worst_link = f.worst_link;
    d.last_link = f.last_link;
    d.within_tile = f.within_tile;
    d.east_west_hops = f.east_west_hops;
    d.north_south_hops = f.north_south_hops;
    d.chip_hops = f.chip_hops;
    d.board_hops = f.board_hops;
  }
}

void MeshNetwork::deliver_flows(std::span<const NetworkFlow> flows,
                                std::vector<FlowDelivery>& out) {
  deliver_flows(flows, out, nullptr);
}

void MeshNetwork::deliver_flows(std::span<const NetworkFlow> flows, std::vector<FlowDelivery>& out,
                                StepReduce* reduce) {
  reset(flows.size());
  out.assign(flows.size(), FlowDelivery{});
  // Routes first, then each link's load (occupancy_ counts the step's messages on it).
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const NetworkFlow& f = flows[i];
    FlowDelivery& d = out[i];
    path_len_[i] = 0;
    if (f.src_core == f.dst_core && f.src_core >= 0 && f.src_core < mesh_.num_cores()) {
      d.within_tile = true;  // back into its own core, as in route()
      continue;
    }
    const CachedRoute& r = take_route(i, f.src_core, f.dst_core, d);
    for (int h = 0; h < r.len; ++h) {
      const int link = route_links_[static_cast<std::size_t>(r.begin + h)];
      touch(link);
      occupancy_[static_cast<std::size_t>(link)] += static_cast<int>(f.messages);
    }
  }
  if (reduce) {  // the other processes' messages on every link
    loads_.assign(occupancy_.begin(), occupancy_.end());
    reduce->sum(loads_);
    for (std::size_t l = 0; l < loads_.size(); ++l) {
      if (loads_[l] == 0) continue;
      touch(static_cast<int>(l));
      occupancy_[l] = static_cast<int>(loads_[l]);
    }
  }
  for (std::size_t i = 0; i < flows.size(); ++i) {
    FlowDelivery& d = out[i];
    if (path_len_[i] == 0) {
      d.arrival_ps = flows[i].last_depart_ps + costs_.within_tile.latency_ps;
      continue;
    }
    std::int64_t path = 0, backlog = 0;
    for (int h = 0; h < path_len_[i]; ++h) {
      const int link = route_links_[static_cast<std::size_t>(path_begin_[i] + h)];
      const LinkParams& p = params(link);
      path += p.hop.latency_ps;
      const std::int64_t b =
          std::int64_t{occupancy_[static_cast<std::size_t>(link)] - 1} * p.serialisation_ps;
      if (b > backlog) backlog = b, d.worst_link = link;
    }
    d.last_link = route_links_[static_cast<std::size_t>(path_begin_[i] + path_len_[i] - 1)];
    d.arrival_ps = flows[i].last_depart_ps + path + backlog;
    d.wait_ps = backlog;
  }
}

inline void MeshNetwork::reset(std::size_t n) {
  for (int link : touched_list_) {
    const auto l = static_cast<std::size_t>(link);
    free_at_[l] = 0;
    occupancy_[l] = 0;
    head_[l] = tail_[l] = -1;
    free_pending_[l] = 0;
    touched_[l] = 0;
  }
  touched_list_.clear();
  for (int k = 0; k < kLinkKinds; ++k) {
    arrivals_[k].clear();
    arrivals_head_[k] = 0;
  }
  frees_.clear();
  injections_.clear();
  seq_ = 0;
  path_begin_.resize(n);
  path_len_.resize(n);
  hop_.assign(n, 0);
  next_.resize(n);
  ready_.resize(n);
}

inline void MeshNetwork::route(std::span<const NetworkMessage> messages,
                               std::vector<MessageDelivery>& out) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const NetworkMessage& msg = messages[i];
    MessageDelivery& d = out[i];
    d = MessageDelivery{};
    if (!ports_enabled_ && msg.src_core == msg.dst_core && msg.src_core >= 0 &&
        msg.src_core < mesh_.num_cores()) {
      // Back into its own core (recurrence, or a two-compartment neuron's reset): a within-tile
      // delivery, without looking the route up.
      d.within_tile = true;
      path_begin_[i] = 0;
      path_len_[i] = 0;
      d.arrival_ps = msg.depart_ps + costs_.within_tile.latency_ps;
      continue;
    }
    const CachedRoute& r = take_route(i, msg.src_core, msg.dst_core, d);
    if (r.len == 0) {
      d.arrival_ps = msg.depart_ps + costs_.within_tile.latency_ps;
      continue;
    }
    d.last_link = route_links_[static_cast<std::size_t>(r.begin + r.len - 1)];
    injections_.emplace_back(msg.depart_ps, static_cast<int>(i));
  }
  // Departures wait in a sorted list rather than in the heap, so the heap holds only the events
  // of messages in flight (much smaller, hence cheaper). A departure goes before a heap event of
  // the same time, and departures of the same time go in message order (the pair's second key).
  order_departures();
}

// The messages of one source core leave in order, so the departure list is a few sorted runs
// (one per source core): merging them costs O(messages x log runs), never a full sort.
void MeshNetwork::order_departures() {
  run_begin_.clear();
  for (std::size_t i = 0; i < injections_.size(); ++i)
    if (i == 0 || injections_[i] < injections_[i - 1]) run_begin_.push_back(i);
  if (run_begin_.size() <= 1) return;
  run_begin_.push_back(injections_.size());
  // A min-heap of run heads: (departure, message) of each run's next element, and the run.
  run_heads_.clear();
  const auto after = [](const RunHead& a, const RunHead& b) { return b.key < a.key; };
  for (std::size_t r = 0; r + 1 < run_begin_.size(); ++r)
    run_heads_.push_back({injections_[run_begin_[r]], run_begin_[r], run_begin_[r + 1]});
  std::make_heap(run_heads_.begin(), run_heads_.end(), after);
  merged_.clear();
  while (!run_heads_.empty()) {
    std::pop_heap(run_heads_.begin(), run_heads_.end(), after);
    RunHead& h = run_heads_.back();
    merged_.push_back(h.key);
    if (++h.next < h.end) {
      h.key = injections_[h.next];
      std::push_heap(run_heads_.begin(), run_heads_.end(), after);
    } else {
      run_heads_.pop_back();
    }
  }
  injections_.swap(merged_);
}

inline void MeshNetwork::simulate(std::vector<MessageDelivery>& out) {
  std::size_t next_injection = 0;
  for (;;) {
    const Event* first = earliest();
    if (!first && next_injection == injections_.size()) break;
    Event e;
    if (next_injection < injections_.size() &&
        (!first || injections_[next_injection].first <= first->time)) {
      const auto [depart, m] = injections_[next_injection++];
      e = {depart, 0, m, false};
    } else {
      e = *first;
      pop(first);
    }
    if (e.free) {
      free_pending_[static_cast<std::size_t>(e.id)] = 0;
      try_start(e.id, e.time, out);
    } else {
      arrive(e, out);
    }
  }
}

inline void MeshNetwork::arrive(const Event& e, std::vector<MessageDelivery>& out) {
  const auto mi = static_cast<std::size_t>(e.id);
  const int hop = hop_[mi];
  if (hop == path_len_[mi]) {  // reached the destination router: delivered
    out[mi].arrival_ps = e.time;
    const int last = route_links_[static_cast<std::size_t>(path_begin_[mi] + hop - 1)];
    --occupancy_[static_cast<std::size_t>(last)];
    try_start(last, e.time, out);
    return;
  }
  // Queue it for its next link.
  const int link = route_links_[static_cast<std::size_t>(path_begin_[mi] + hop)];
  const auto l = static_cast<std::size_t>(link);
  touch(link);
  ready_[mi] = e.time;
  if (tail_[l] >= 0)
    next_[static_cast<std::size_t>(tail_[l])] = e.id;
  else
    head_[l] = e.id;
  tail_[l] = e.id;
  next_[mi] = -1;
  try_start(link, e.time, out);
}

}  // namespace loihisim::core
