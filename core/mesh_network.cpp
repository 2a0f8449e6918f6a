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
  for (const auto* l : {&costs.east_west, &costs.north_south, &costs.chip_to_chip})
    if (l->buffer_depth < 1)
      throw std::invalid_argument("link buffer depth " + std::to_string(l->buffer_depth) +
                                  " must be at least 1");
  const auto n = static_cast<std::size_t>(num_link_ids(mesh));
  kind_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    kind_[i] = static_cast<std::uint8_t>(link_kind(mesh, static_cast<int>(i)));
  free_at_.assign(n, 0);
  occupancy_.assign(n, 0);
  head_.assign(n, -1);
  tail_.assign(n, -1);
  free_pending_.assign(n, 0);
  touched_.assign(n, 0);
}

const LinkParams& MeshNetwork::params(int link) const {
  switch (static_cast<LinkKind>(kind_[static_cast<std::size_t>(link)])) {
    case LinkKind::kEastWest:
      return costs_.east_west;
    case LinkKind::kNorthSouth:
      return costs_.north_south;
    case LinkKind::kChipToChip:
      break;
  }
  return costs_.chip_to_chip;
}

void MeshNetwork::push(std::int64_t time, int id, bool free) {
  heap_.push_back({time, seq_++, id, free});
  std::push_heap(heap_.begin(), heap_.end(),
                 [](const Event& a, const Event& b) { return later(a, b); });
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
        push(free_at_[l], link, true);
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
    push(now + p.hop.latency_ps, m, false);
    if (hop > 0) {  // it leaves the previous link's buffer: give that slot back
      const int prev = paths_[static_cast<std::size_t>(path_begin_[mi] + hop - 1)];
      --occupancy_[static_cast<std::size_t>(prev)];
      try_start(prev, now, out);
    }
  }
}

void MeshNetwork::deliver(std::span<const NetworkMessage> messages,
                          std::vector<MessageDelivery>& out) {
  for (int link : touched_list_) {
    const auto l = static_cast<std::size_t>(link);
    free_at_[l] = 0;
    occupancy_[l] = 0;
    head_[l] = tail_[l] = -1;
    free_pending_[l] = 0;
    touched_[l] = 0;
  }
  touched_list_.clear();
  heap_.clear();
  paths_.clear();
  injections_.clear();
  seq_ = 0;
  const std::size_t n = messages.size();
  out.assign(n, MessageDelivery{});
  path_begin_.assign(n, 0);
  path_len_.assign(n, 0);
  hop_.assign(n, 0);
  next_.assign(n, -1);
  ready_.assign(n, 0);

  for (std::size_t i = 0; i < n; ++i) {
    const NetworkMessage& msg = messages[i];
    route_into(mesh_, msg.src_core, msg.dst_core, route_);
    MessageDelivery& d = out[i];
    d.within_tile = route_.within_tile;
    d.east_west_hops = route_.east_west_hops;
    d.north_south_hops = route_.north_south_hops;
    d.chip_hops = route_.chip_hops;
    if (route_.links.empty()) {
      d.arrival_ps = msg.depart_ps + costs_.within_tile.latency_ps;
      continue;
    }
    d.last_link = route_.links.back();
    path_begin_[i] = static_cast<int>(paths_.size());
    path_len_[i] = static_cast<int>(route_.links.size());
    paths_.insert(paths_.end(), route_.links.begin(), route_.links.end());
    injections_.push_back(static_cast<int>(i));
  }
  // Departures wait in a sorted list rather than in the heap, so the heap holds only the events
  // of messages in flight (much smaller, hence cheaper). A departure goes before a heap event of
  // the same time, and departures of the same time go in message order.
  std::stable_sort(injections_.begin(), injections_.end(), [&](int a, int b) {
    return messages[static_cast<std::size_t>(a)].depart_ps <
           messages[static_cast<std::size_t>(b)].depart_ps;
  });

  const auto cmp = [](const Event& a, const Event& b) { return later(a, b); };
  std::size_t next_injection = 0;
  while (!heap_.empty() || next_injection < injections_.size()) {
    Event e;
    if (next_injection < injections_.size() &&
        (heap_.empty() ||
         messages[static_cast<std::size_t>(injections_[next_injection])].depart_ps <=
             heap_.front().time)) {
      const int m = injections_[next_injection++];
      e = {messages[static_cast<std::size_t>(m)].depart_ps, 0, m, false};
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), cmp);
      e = heap_.back();
      heap_.pop_back();
    }
    if (e.free) {
      free_pending_[static_cast<std::size_t>(e.id)] = 0;
      try_start(e.id, e.time, out);
      continue;
    }
    const auto mi = static_cast<std::size_t>(e.id);
    const int hop = hop_[mi];
    if (hop == path_len_[mi]) {  // reached the destination router: delivered
      out[mi].arrival_ps = e.time;
      const int last = paths_[static_cast<std::size_t>(path_begin_[mi] + hop - 1)];
      --occupancy_[static_cast<std::size_t>(last)];
      try_start(last, e.time, out);
      continue;
    }
    const int link = paths_[static_cast<std::size_t>(path_begin_[mi] + hop)];
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
  for (std::size_t i = 0; i < n; ++i)
    if (path_len_[i] > 0 && hop_[i] != path_len_[i])
      throw std::logic_error("mesh network: a message was never delivered (deadlock)");
}

}  // namespace loihisim::core
