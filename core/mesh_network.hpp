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
#include "core/step_reduce.hpp"

namespace loihisim::core {

struct NetworkMessage {
  int src_core = 0;  // global (physical) core numbers
  int dst_core = 0;
  std::int64_t depart_ps = 0;  // when it leaves the source core, from the start of the step
};

// The messages of one step from one core to another, which is all the analytic model needs:
// every message of a flow takes the same path and meets the same link loads, so they differ
// only in their departure, and the last one to leave arrives last.
struct NetworkFlow {
  int src_core = 0;  // global (physical) core numbers
  int dst_core = 0;
  std::uint32_t messages = 0;
  std::int64_t last_depart_ps = 0;  // departure of the flow's last message
};

struct FlowDelivery {
  std::int64_t arrival_ps = 0;  // of the flow's last message
  std::int64_t wait_ps = 0;     // of each of its messages (the busiest link's backlog)
  int worst_link = -1;          // that link; -1 if no message waited
  int last_link = -1;           // last link crossed; -1 for a within-tile delivery
  bool within_tile = false;
  int east_west_hops = 0;  // per message
  int north_south_hops = 0;
  int chip_hops = 0;
  int board_hops = 0;
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
  int board_hops = 0;
};

// The extra links of the cycle-level mode (enable_ports): every message leaves its core through
// the core's output port (its output axon into the tile router: hop.latency_ps and
// serialisation_ps per message, buffer_depth router slots behind it), crosses the mesh links or,
// within a tile, the tile's crossbar, and enters the destination core through its input port.
struct MeshPorts {
  LinkParams output;
  LinkParams crossbar;
  LinkParams input;
};

class MeshNetwork {
 public:
  // Throws std::invalid_argument when a link kind has buffer_depth < 1.
  MeshNetwork(const MeshGeometry& mesh, const NetworkCosts& costs);

  // Simulates the messages of one step on an idle network (the barrier drains it between steps).
  // out[i] describes messages[i]; `out` is resized. Equal times are resolved in message order.
  void deliver(std::span<const NetworkMessage> messages, std::vector<MessageDelivery>& out);
  // The analytic model (NetworkModel::kAnalytic): the same routes and hops, each message's
  // arrival = departure + the hop latencies of its path + (load - 1) x serialisation of the
  // busiest link on it, where a link's load is the number of the step's messages crossing it.
  // Equal to deliver() when no two messages share a link; O(messages x hops), no events.
  void deliver_analytic(std::span<const NetworkMessage> messages,
                        std::vector<MessageDelivery>& out);

  // The analytic model on a step's flows: out[i] describes the last message of flows[i], with
  // the same arrival, wait and links as deliver_analytic() gives that message when the flows'
  // messages are listed one by one (deliver_analytic() is this with one flow per message).
  // O(flows x hops): its cost does not grow with messages.
  void deliver_flows(std::span<const NetworkFlow> flows, std::vector<FlowDelivery>& out);
  // The same when each process of a distributed chip has its own cores' flows: the link loads
  // are summed over the processes by `reduce` (collective: every process calls it every step),
  // so each flow meets the loads of the whole chip's step.
  void deliver_flows(std::span<const NetworkFlow> flows, std::vector<FlowDelivery>& out,
                     StepReduce* reduce);

  // From now on every route begins with the source core's output port and ends with the
  // destination core's input port, and a within-tile route (also back into the same core)
  // crosses its tile's crossbar: deliver() then simulates the cores' ports too. Hop counts (and
  // so energy) are unchanged. Call before the first delivery. Throws std::invalid_argument for
  // a buffer depth < 1.
  void enable_ports(const MeshPorts& ports);
  bool has_ports() const { return ports_enabled_; }
  // With ports: what a link id beyond the mesh's links is (-1: a mesh link), and its core
  // (output and input ports) or board tile index (crossbar).
  enum class PortKind { kNone = -1, kOutput = 0, kInput = 1, kCrossbar = 2 };
  PortKind port_kind(int link) const;
  int port_owner(int link) const;

  const MeshGeometry& mesh() const { return mesh_; }
  const LinkParams& params(int link) const;

 private:
  // A route, computed once per (source, destination) pair and kept (messages between the same
  // cores repeat every step): its links are route_links_[begin .. begin + len).
  struct CachedRoute {
    int begin = 0;
    int len = 0;
    bool within_tile = false;
    int east_west_hops = 0, north_south_hops = 0, chip_hops = 0, board_hops = 0;
  };
  const CachedRoute& cached_route(int src_core, int dst_core);
  // Item i (a flow or a message) takes the cached route src -> dst: its hop counts into d, its
  // path into path_begin_/path_len_. Returns the route.
  template <class Delivery>
  const CachedRoute& take_route(std::size_t i, int src_core, int dst_core, Delivery& d) {
    const CachedRoute& r = cached_route(src_core, dst_core);
    d.within_tile = r.within_tile;
    d.east_west_hops = r.east_west_hops;
    d.north_south_hops = r.north_south_hops;
    d.chip_hops = r.chip_hops;
    d.board_hops = r.board_hops;
    path_begin_[i] = r.begin;
    path_len_[i] = r.len;
    return r;
  }
  int add_route(int src_core, int dst_core);  // computes and stores it; returns its index
  // Meshes of up to this many cores look routes up in per-source rows (at most 8192 x 4 bytes
  // per sending core); larger boards in the hash table.
  static constexpr int kDenseRouteCores = 8192;

  struct Event {
    std::int64_t time;
    std::uint64_t seq;
    int id;     // message or link
    bool free;  // true: link `id` finished serialising; false: message `id` reached a router
  };
  // Pending events, taken in (time, seq) order. An arrival is created at the current time plus
  // the hop latency of its link's kind, and the current time never decreases, so the arrivals
  // of one link kind are created in (time, seq) order: a FIFO per kind keeps them sorted at O(1)
  // per event. Link-free events (times current + serialisation of an earlier start) have no
  // such order and go to a small heap (they only occur under contention).
  // The first three LinkKinds, the three PortKinds, then LinkKind::kBoardToBoard.
  static constexpr int kLinkKinds = 7;
  void push_arrival(int kind, std::int64_t time, int message);
  void push_free(std::int64_t time, int link);
  const Event* earliest() const;  // nullptr when nothing is pending
  void pop(const Event* e);
  void try_start(int link, std::int64_t now, std::vector<MessageDelivery>& out);
  void touch(int link);
  // The steps of deliver(): clear the previous step's state (only the links it touched), look
  // up every message's route (same-tile messages are delivered at once), then process events in
  // (time, seq) order; arrive() handles a message reaching a router. Inline (defined in
  // mesh_network.cpp): deliver() runs every step, arrive() for every hop.
  inline void reset(std::size_t num_messages);
  inline void route(std::span<const NetworkMessage> messages, std::vector<MessageDelivery>& out);
  inline void simulate(std::vector<MessageDelivery>& out);
  inline void arrive(const Event& e, std::vector<MessageDelivery>& out);

  MeshGeometry mesh_;
  NetworkCosts costs_;
  bool ports_enabled_ = false;
  MeshPorts ports_;
  int port_base_ = 0;               // link id of core 0's output port (num_link_ids())
  std::vector<std::uint8_t> kind_;  // LinkKind per link id
  // Every per-link table below grown to n links (links first, then the ports of
  // enable_ports()).
  void size_links(std::size_t n);
  // Per link id; reset lazily (only links used in the step are touched).
  std::vector<std::int64_t> free_at_;
  std::vector<int> occupancy_;    // slots taken in the next router's input buffer
  std::vector<int> head_, tail_;  // FIFO of waiting messages (linked through next_)
  std::vector<std::uint8_t> free_pending_, touched_;
  std::vector<int> touched_list_;
  // Route cache: open addressing on the key src * num_cores + dst (+1; 0 marks an empty slot).
  std::vector<std::uint64_t> route_keys_;
  std::vector<int> route_slots_;  // index into routes_
  std::vector<CachedRoute> routes_;
  std::vector<std::vector<int>> route_rows_;  // dense meshes: per source, per destination
  std::vector<int> route_links_;
  // Per message of the current step.
  std::vector<int> path_begin_, path_len_, hop_, next_;  // path: into route_links_
  std::vector<std::int64_t> ready_;
  // Messages with links, by departure time (ties in message order): (depart_ps, message).
  std::vector<std::pair<std::int64_t, int>> injections_;
  void order_departures();
  struct RunHead {
    std::pair<std::int64_t, int> key;
    std::size_t next, end;
  };
  std::vector<std::size_t> run_begin_;
  std::vector<RunHead> run_heads_;
  std::vector<std::pair<std::int64_t, int>> merged_;
  std::vector<std::int64_t> loads_;  // deliver_flows with a reduce: every link's load
  // deliver_analytic(): the step's messages as one-message flows.
  std::vector<NetworkFlow> single_flows_;
  std::vector<FlowDelivery> single_deliveries_;
  std::vector<Event> arrivals_[kLinkKinds];
  std::size_t arrivals_head_[kLinkKinds] = {};
  std::vector<Event> frees_;  // heap
  std::uint64_t seq_ = 0;
  Route route_;
};

}  // namespace loihisim::core
