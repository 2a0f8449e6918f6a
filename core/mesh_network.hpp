// Link contention on the mesh during one timestep, as a small discrete-event simulation whose
// events are messages entering and leaving links (never clock cycles or idle links), so its cost
// grows with messages x hops.
//
// Model (docs/energy-model.md, "Network"): messages follow route() (X then Y). Each directed link
// is a FIFO: a message waiting at a router starts on the link when (1) the link has finished
// serialising the previous message (serialisation_ps after that one started) and (2) the input
// buffer of the next router for this link has a free slot (credit flow control: a slot is taken
// when the message starts on the link and given back when it starts on its next link or is
// delivered). It arrives at the next router hop.latency_ps after it started. Messages waiting in
// a full buffer hold their slot upstream, so congestion propagates backwards (back-pressure).
// The queue at the source core's router is unbounded (the core's output queue), and delivery
// into the destination core takes no further time. A message to a core of the same tile crosses
// no link: it arrives within_tile.latency_ps after it left.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/architecture.hpp"
#include "core/mesh_router.hpp"

namespace loihisim::core {

struct NetworkMessage {
  int src_core = 0;  // global (physical) core numbers
  int dst_core = 0;
  std::int64_t depart_ps = 0;  // when it leaves the source core, from the start of the step
};

struct MessageDelivery {
  std::int64_t arrival_ps = 0;     // when it reached the destination core
  std::int64_t wait_ps = 0;        // time spent waiting for busy links or full buffers
  std::int64_t worst_wait_ps = 0;  // the longest wait on one link
  int worst_link = -1;  // link where it waited longest (first such on ties); -1 if it never waited
  int last_link = -1;   // last link crossed; -1 for a within-tile delivery
  bool within_tile = false;
  int east_west_hops = 0;
  int north_south_hops = 0;
  int chip_hops = 0;
};

class MeshNetwork {
 public:
  // Throws std::invalid_argument when a link kind has buffer_depth < 1.
  MeshNetwork(const MeshGeometry& mesh, const NetworkCosts& costs);

  // Simulates the messages of one step on an idle network (the barrier drains it between steps).
  // out[i] describes messages[i]; `out` is resized. Equal times are resolved in message order.
  void deliver(std::span<const NetworkMessage> messages, std::vector<MessageDelivery>& out);

  const MeshGeometry& mesh() const { return mesh_; }
  const LinkParams& params(int link) const;

 private:
  struct Event {
    std::int64_t time;
    std::uint64_t seq;
    int id;     // message or link
    bool free;  // true: link `id` finished serialising; false: message `id` reached a router
  };
  void push(std::int64_t time, int id, bool free);
  void try_start(int link, std::int64_t now, std::vector<MessageDelivery>& out);
  void touch(int link);

  MeshGeometry mesh_;
  NetworkCosts costs_;
  std::vector<std::uint8_t> kind_;  // LinkKind per link id
  // Per link id; reset lazily (only links used in the step are touched).
  std::vector<std::int64_t> free_at_;
  std::vector<int> occupancy_;    // slots taken in the next router's input buffer
  std::vector<int> head_, tail_;  // FIFO of waiting messages (linked through next_)
  std::vector<std::uint8_t> free_pending_, touched_;
  std::vector<int> touched_list_;
  // Per message of the current step.
  std::vector<int> path_begin_, path_len_, hop_, next_;
  std::vector<std::int64_t> ready_;
  std::vector<int> paths_;
  std::vector<int> injections_;  // messages with links, by departure time
  std::vector<Event> heap_;
  std::uint64_t seq_ = 0;
  Route route_;
};

}  // namespace loihisim::core
