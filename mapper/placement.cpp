#include "mapper/placement.hpp"

#include <fmt/core.h>
#include <metis.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <set>
#include <tuple>

#include "io/errors.hpp"

namespace loihisim::mapper {

TrafficGraph make_traffic_graph(int num_cores, std::vector<TrafficEdge> edges) {
  std::sort(edges.begin(), edges.end(), [](const TrafficEdge& a, const TrafficEdge& b) {
    return a.source != b.source ? a.source < b.source : a.dest < b.dest;
  });
  TrafficGraph g;
  g.num_cores = num_cores;
  g.offsets.assign(static_cast<std::size_t>(num_cores) + 1, 0);
  for (std::size_t k = 0; k < edges.size();) {
    const TrafficEdge& e = edges[k];
    double m = 0;
    std::size_t k2 = k;
    for (; k2 < edges.size() && edges[k2].source == e.source && edges[k2].dest == e.dest; ++k2)
      m += edges[k2].messages;
    if (e.source == e.dest) {
      g.local_messages += m;
    } else {
      g.dest.push_back(e.dest);
      g.messages.push_back(m);
      ++g.offsets[static_cast<std::size_t>(e.source) + 1];
    }
    k = k2;
  }
  for (std::size_t c = 0; c < static_cast<std::size_t>(num_cores); ++c)
    g.offsets[c + 1] += g.offsets[c];
  return g;
}

const char* placer_name(Placer p) {
  return p == Placer::kGreedy ? "greedy" : "metis";
}

Placer parse_placer(const std::string& name) {
  if (name == "greedy") return Placer::kGreedy;
  if (name == "metis") return Placer::kMetis;
  throw InputError(fmt::format("placer '{}' is not known (allowed: greedy, metis)", name));
}

namespace {

// The near-square sub-grid of at most max_x by max_y cells that holds n cells: x = min(max_x,
// ceil(sqrt(n))), as many rows as needed (more columns if the rows run out).
std::pair<int, int> sub_grid(int n, int max_x, int max_y) {
  int side = 1;
  while (side * side < n) ++side;
  int x = std::min(max_x, side);
  int y = (n + x - 1) / x;
  if (y > max_y) {
    y = max_y;
    x = (n + y - 1) / y;
  }
  return {x, y};
}

}  // namespace

core::MeshGeometry geometry_for(int num_cores, const core::MeshGeometry& board) {
  const int per_chip = board.cores_per_chip();
  const int n = std::max(1, (num_cores + per_chip - 1) / per_chip);
  if (n > board.num_chips())
    throw InputError(fmt::format(
        "the network needs {} cores, that is {} chips of {} cores, but the system has only "
        "{} x {} = {} chips",
        num_cores, n, per_chip, board.chips_x, board.chips_y, board.num_chips()));
  core::MeshGeometry g = board;
  const int bx = board.has_boards() ? board.board_chips_x : board.chips_x;
  const int by = board.has_boards() ? board.board_chips_y : board.chips_y;
  if (n <= bx * by) {  // one board: a sub-grid of its chips, no board boundary
    std::tie(g.chips_x, g.chips_y) = sub_grid(n, bx, by);
    g.board_chips_x = g.board_chips_y = 0;
    return g;
  }
  // Several boards: whole boards, the system's first rows of boards (so that board k of the
  // placement is board k of the system: chips are numbered board-major).
  const int boards_needed = (n + bx * by - 1) / (bx * by);
  const int boards_x = std::min(boards_needed, board.chips_x / bx);
  g.chips_x = boards_x * bx;
  g.chips_y = (boards_needed + boards_x - 1) / boards_x * by;
  return g;
}

namespace {

int global_id(const core::MeshGeometry& g, int chip_x, int chip_y, int tile_x, int tile_y,
              int core_in_tile) {
  const int chip = g.chip_index(chip_x, chip_y);
  return chip * g.cores_per_chip() + (tile_y * g.tiles_x + tile_x) * g.cores_per_tile +
         core_in_tile;
}

int count_chips(const core::MeshGeometry& g, const std::vector<std::int32_t>& global) {
  std::set<int> chips;
  for (auto c : global) chips.insert(c / g.cores_per_chip());
  return static_cast<int>(chips.size());
}

}  // namespace

namespace {

// The chips of a geometry in placement order: board after board (boards in serpentine order over
// the board grid), within a board the chips in serpentine order, so consecutive chips share a
// board. One board: the serpentine over the chip grid.
std::vector<std::pair<int, int>> chip_order(const core::MeshGeometry& g) {
  const int bx = g.board_chips_x > 0 ? g.board_chips_x : g.chips_x;
  const int by = g.board_chips_y > 0 ? g.board_chips_y : g.chips_y;
  const int boards_x = g.chips_x / bx, boards_y = g.chips_y / by;
  std::vector<std::pair<int, int>> order;
  for (int byi = 0; byi < boards_y; ++byi)
    for (int bxi = 0; bxi < boards_x; ++bxi) {
      const int b_x = byi % 2 == 0 ? bxi : boards_x - 1 - bxi;
      for (int cy = 0; cy < by; ++cy)
        for (int cxi = 0; cxi < bx; ++cxi)
          order.emplace_back(b_x * bx + (cy % 2 == 0 ? cxi : bx - 1 - cxi), byi * by + cy);
    }
  return order;
}

}  // namespace

Placement place_greedy(int num_cores, const core::MeshGeometry& board) {
  Placement pl;
  pl.mesh = geometry_for(num_cores, board);
  const auto& g = pl.mesh;
  pl.global_core.reserve(static_cast<std::size_t>(num_cores));
  for (const auto& [cx, cy] : chip_order(g)) {
    for (int ty = 0; ty < g.tiles_y; ++ty) {
      for (int txi = 0; txi < g.tiles_x; ++txi) {
        const int tx = ty % 2 == 0 ? txi : g.tiles_x - 1 - txi;
        for (int c = 0; c < g.cores_per_tile; ++c) {
          if (static_cast<int>(pl.global_core.size()) == num_cores) break;
          pl.global_core.push_back(global_id(g, cx, cy, tx, ty, c));
        }
      }
    }
  }
  pl.chips_used = count_chips(g, pl.global_core);
  return pl;
}

namespace {

// Undirected integer-weighted graph over logical cores (both directions of traffic summed),
// scaled for METIS's 32-bit weights.
struct WeightedGraph {
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> adj;
  std::vector<idx_t> weight;
};

WeightedGraph symmetrise(const TrafficGraph& t) {
  const auto n = static_cast<std::size_t>(t.num_cores);
  double max_w = 0, total = 0;
  for (double m : t.messages) {
    max_w = std::max(max_w, m);
    total += m;
  }
  // Largest edge weight 10^6 and a total below 2^29 keep METIS's sums inside 32 bits; every
  // edge with traffic keeps at least weight 1.
  double scale = 1.0;
  if (max_w > 0) scale = std::min(1e6 / max_w, 5.0e8 / (2.0 * total));
  std::vector<std::vector<std::pair<std::int32_t, double>>> lists(n);
  for (std::size_t a = 0; a < n; ++a)
    for (auto k = t.offsets[a]; k < t.offsets[a + 1]; ++k) {
      const auto b = static_cast<std::size_t>(t.dest[static_cast<std::size_t>(k)]);
      const double m = t.messages[static_cast<std::size_t>(k)];
      lists[a].emplace_back(static_cast<std::int32_t>(b), m);
      lists[b].emplace_back(static_cast<std::int32_t>(a), m);
    }
  WeightedGraph g;
  g.offsets.assign(n + 1, 0);
  for (std::size_t a = 0; a < n; ++a) {
    auto& l = lists[a];
    std::sort(l.begin(), l.end());
    for (std::size_t k = 0; k < l.size();) {
      double m = 0;
      std::size_t k2 = k;
      for (; k2 < l.size() && l[k2].first == l[k].first; ++k2) m += l[k2].second;
      g.adj.push_back(l[k].first);
      g.weight.push_back(std::max<idx_t>(1, static_cast<idx_t>(std::llround(m * scale))));
      k = k2;
    }
    g.offsets[a + 1] = static_cast<std::int64_t>(g.adj.size());
    l = {};
  }
  return g;
}

// A rectangle of the mesh: of boards (when `boards`; in units of whole boards), of chips (when
// `chips`) or of tiles within chip (chip_x, chip_y).
struct Region {
  bool chips = false;
  bool boards = false;
  int chip_x = 0, chip_y = 0;
  int x0 = 0, y0 = 0, w = 0, h = 0;
};

class MetisPlacer {
 public:
  MetisPlacer(const TrafficGraph& t, const core::MeshGeometry& mesh, int seed)
      : graph_(symmetrise(t)),
        mesh_(mesh),
        seed_(seed),
        local_(static_cast<std::size_t>(t.num_cores), -1),
        result_(static_cast<std::size_t>(t.num_cores), -1),
        centre_x_(static_cast<std::size_t>(t.num_cores), 0.5 * mesh.chips_x * mesh.tiles_x),
        centre_y_(static_cast<std::size_t>(t.num_cores), 0.5 * mesh.chips_y * mesh.tiles_y) {}

  std::vector<std::int32_t> run() {
    std::vector<std::int32_t> all(result_.size());
    std::iota(all.begin(), all.end(), 0);
    if (mesh_.board_chips_x > 0 && mesh_.board_chips_y > 0)
      place(all, Region{true, true, 0, 0, 0, 0, mesh_.chips_x / mesh_.board_chips_x,
                        mesh_.chips_y / mesh_.board_chips_y});
    else if (mesh_.num_chips() > 1)
      place(all, Region{true, false, 0, 0, 0, 0, mesh_.chips_x, mesh_.chips_y});
    else
      place(all, Region{false, false, 0, 0, 0, 0, mesh_.tiles_x, mesh_.tiles_y});
    return result_;
  }

 private:
  int capacity(const Region& r) const {
    if (r.boards)
      return r.w * r.h * mesh_.board_chips_x * mesh_.board_chips_y * mesh_.cores_per_chip();
    return r.w * r.h * (r.chips ? mesh_.cores_per_chip() : mesh_.cores_per_tile);
  }
  // The board region's chips, as a chip region.
  Region chips_of(const Region& r) const {
    return Region{true,
                  false,
                  0,
                  0,
                  r.x0 * mesh_.board_chips_x,
                  r.y0 * mesh_.board_chips_y,
                  r.w * mesh_.board_chips_x,
                  r.h * mesh_.board_chips_y};
  }
  // How many of v's cores go to the first half a: as many as fit for chip and tile regions (the
  // first half is filled first), in proportion to the capacities for boards, so that two equal
  // clusters that each fit a board are not split to fill the first board.
  int first_share(const Region& r, const Region& a, const Region& b, int n) const {
    if (!r.boards) return std::min(capacity(a), n);
    const std::int64_t ca = capacity(a), cb = capacity(b);
    const auto even = static_cast<int>((std::int64_t{n} * ca + (ca + cb) / 2) / (ca + cb));
    return std::clamp(even, std::max(0, n - capacity(b)), std::min(capacity(a), n));
  }

  void place(const std::vector<std::int32_t>& v, const Region& r) {
    if (v.empty()) return;
    if (r.boards && r.w * r.h == 1) {
      place(v, chips_of(r));
      return;
    }
    if (r.chips && r.w * r.h == 1) {
      place(v, Region{false, false, r.x0, r.y0, 0, 0, mesh_.tiles_x, mesh_.tiles_y});
      return;
    }
    if (!r.chips && r.w * r.h == 1) {
      for (std::size_t k = 0; k < v.size(); ++k)
        result_[static_cast<std::size_t>(v[k])] =
            global_id(mesh_, r.chip_x, r.chip_y, r.x0, r.y0, static_cast<int>(k));
      return;
    }
    // Split along the longer side (x on ties).
    Region a = r, b = r;
    if (r.w >= r.h) {
      a.w = r.w / 2;
      b.x0 = r.x0 + a.w;
      b.w = r.w - a.w;
    } else {
      a.h = r.h / 2;
      b.y0 = r.y0 + a.h;
      b.h = r.h - a.h;
    }
    const int k0 = first_share(r, a, b, static_cast<int>(v.size()));
    if (k0 == 0) {
      set_centre(v, b);
      place(v, b);
      return;
    }
    if (k0 == static_cast<int>(v.size())) {
      set_centre(v, a);
      place(v, a);
      return;
    }
    std::vector<std::int32_t> side0, side1;
    bisect(v, k0, side0, side1);
    // Terminal propagation, in its simplest form: the bisection does not see traffic to cores
    // outside v, so when either half fits either region, give each half the region that is
    // nearer to its outside partners (placed cores at their tile, the others at the centre of
    // the region they were sent to).
    if (static_cast<int>(side1.size()) <= capacity(a) &&
        static_cast<int>(side0.size()) <= capacity(b)) {
      for (auto x : v) local_[static_cast<std::size_t>(x)] = 1;
      const double keep = outside_cost(side0, a) + outside_cost(side1, b);
      const double swap = outside_cost(side0, b) + outside_cost(side1, a);
      for (auto x : v) local_[static_cast<std::size_t>(x)] = -1;
      if (swap < keep) std::swap(side0, side1);
    }
    set_centre(side0, a);
    set_centre(side1, b);
    place(side0, a);
    place(side1, b);
  }

  std::pair<double, double> centre(const Region& r) const {
    if (r.boards) return centre(chips_of(r));
    if (r.chips) return {(r.x0 + 0.5 * r.w) * mesh_.tiles_x, (r.y0 + 0.5 * r.h) * mesh_.tiles_y};
    return {r.chip_x * mesh_.tiles_x + r.x0 + 0.5 * r.w,
            r.chip_y * mesh_.tiles_y + r.y0 + 0.5 * r.h};
  }
  void set_centre(const std::vector<std::int32_t>& v, const Region& r) {
    const auto [x, y] = centre(r);
    for (auto c : v) {
      centre_x_[static_cast<std::size_t>(c)] = x;
      centre_y_[static_cast<std::size_t>(c)] = y;
    }
  }
  // Messages x distance from the centre of r to the partners of `side` outside the current set
  // (members of the set are marked in local_).
  double outside_cost(const std::vector<std::int32_t>& side, const Region& r) const {
    const auto [x, y] = centre(r);
    double cost = 0;
    for (auto c : side) {
      const auto cu = static_cast<std::size_t>(c);
      for (auto e = graph_.offsets[cu]; e < graph_.offsets[cu + 1]; ++e) {
        const auto n = static_cast<std::size_t>(graph_.adj[static_cast<std::size_t>(e)]);
        if (local_[n] >= 0) continue;
        double nx = centre_x_[n], ny = centre_y_[n];
        if (result_[n] >= 0) {
          const auto l = core::locate(mesh_, result_[n]);
          nx = l.chip_x * mesh_.tiles_x + l.tile_x + 0.5;
          ny = l.chip_y * mesh_.tiles_y + l.tile_y + 0.5;
        }
        cost += static_cast<double>(graph_.weight[static_cast<std::size_t>(e)]) *
                (std::fabs(x - nx) + std::fabs(y - ny));
      }
    }
    return cost;
  }

  // Splits v into exactly k0 and |v| - k0 cores with few cut messages.
  void bisect(const std::vector<std::int32_t>& v, int k0, std::vector<std::int32_t>& side0,
              std::vector<std::int32_t>& side1) {
    const auto n = static_cast<idx_t>(v.size());
    for (std::size_t k = 0; k < v.size(); ++k)
      local_[static_cast<std::size_t>(v[k])] = static_cast<std::int32_t>(k);
    std::vector<idx_t> xadj{0}, adjncy, adjwgt;
    for (auto g : v) {
      const auto gu = static_cast<std::size_t>(g);
      for (auto e = graph_.offsets[gu]; e < graph_.offsets[gu + 1]; ++e) {
        const auto other =
            local_[static_cast<std::size_t>(graph_.adj[static_cast<std::size_t>(e)])];
        if (other < 0) continue;
        adjncy.push_back(other);
        adjwgt.push_back(graph_.weight[static_cast<std::size_t>(e)]);
      }
      xadj.push_back(static_cast<idx_t>(adjncy.size()));
    }
    std::vector<idx_t> part(v.size(), 0);
    bool ok = false;
    if (n >= 2 && !adjncy.empty()) {
      idx_t nv = n, ncon = 1, nparts = 2, objval = 0;
      real_t tpwgts[2] = {static_cast<real_t>(k0) / static_cast<real_t>(n),
                          static_cast<real_t>(n - k0) / static_cast<real_t>(n)};
      real_t ubvec[1] = {static_cast<real_t>(1.001)};
      idx_t options[METIS_NOPTIONS];
      METIS_SetDefaultOptions(options);
      options[METIS_OPTION_SEED] = seed_;
      options[METIS_OPTION_NUMBERING] = 0;
      ok = METIS_PartGraphRecursive(&nv, &ncon, xadj.data(), adjncy.data(), nullptr, nullptr,
                                    adjwgt.data(), &nparts, tpwgts, ubvec, options, &objval,
                                    part.data()) == METIS_OK;
    }
    if (!ok) {  // no traffic among these cores (or METIS declined): keep their order
      for (std::size_t k = 0; k < v.size(); ++k) part[k] = static_cast<idx_t>(k) < k0 ? 0 : 1;
    }
    repair(xadj, adjncy, adjwgt, part, k0);
    for (std::size_t k = 0; k < v.size(); ++k) {
      (part[k] == 0 ? side0 : side1).push_back(v[k]);
      local_[static_cast<std::size_t>(v[k])] = -1;
    }
  }

  // Moves cores until side 0 holds exactly k0: those whose edges pull hardest toward the other
  // side go first (ties: lower index).
  static void repair(const std::vector<idx_t>& xadj, const std::vector<idx_t>& adjncy,
                     const std::vector<idx_t>& adjwgt, std::vector<idx_t>& part, int k0) {
    const auto n0 = static_cast<int>(std::count(part.begin(), part.end(), 0));
    if (n0 == k0) return;
    const idx_t from = n0 > k0 ? 0 : 1;
    const int moves = std::abs(n0 - k0);
    std::vector<std::pair<std::int64_t, std::size_t>> gain;  // (-gain, vertex)
    for (std::size_t u = 0; u < part.size(); ++u) {
      if (part[u] != from) continue;
      std::int64_t g = 0;
      for (auto e = xadj[u]; e < xadj[u + 1]; ++e)
        g += part[static_cast<std::size_t>(adjncy[static_cast<std::size_t>(e)])] == from
                 ? -adjwgt[static_cast<std::size_t>(e)]
                 : adjwgt[static_cast<std::size_t>(e)];
      gain.emplace_back(-g, u);
    }
    std::sort(gain.begin(), gain.end());
    for (int k = 0; k < moves; ++k) part[gain[static_cast<std::size_t>(k)].second] = 1 - from;
  }

  WeightedGraph graph_;
  core::MeshGeometry mesh_;
  int seed_;
  std::vector<std::int32_t> local_;
  std::vector<std::int32_t> result_;
  std::vector<double> centre_x_, centre_y_;  // where each unplaced core is headed
};

// Local improvement of a placement: move a core to a tile near the weighted median of its
// traffic partners, swapping with the core there (or taking a free slot), whenever that lowers
// messages x hops. Recursive bisection cannot see the partners of a core outside the region it
// is splitting; this pass repairs what that costs at region boundaries.
class SwapRefiner {
 public:
  SwapRefiner(const TrafficGraph& t, const core::MeshGeometry& mesh,
              std::vector<std::int32_t>& global)
      : mesh_(mesh), global_(global) {
    const auto n = static_cast<std::size_t>(t.num_cores);
    std::vector<std::vector<std::pair<std::int32_t, double>>> lists(n);
    for (std::size_t a = 0; a < n; ++a)
      for (auto k = t.offsets[a]; k < t.offsets[a + 1]; ++k) {
        const auto b = t.dest[static_cast<std::size_t>(k)];
        const double m = t.messages[static_cast<std::size_t>(k)];
        lists[a].emplace_back(b, m);
        lists[static_cast<std::size_t>(b)].emplace_back(static_cast<std::int32_t>(a), m);
      }
    offsets_.assign(n + 1, 0);
    for (std::size_t a = 0; a < n; ++a) {
      auto& l = lists[a];
      std::sort(l.begin(), l.end());
      for (std::size_t k = 0; k < l.size();) {
        double m = 0;
        std::size_t k2 = k;
        for (; k2 < l.size() && l[k2].first == l[k].first; ++k2) m += l[k2].second;
        adj_.push_back(l[k].first);
        weight_.push_back(m);
        k = k2;
      }
      offsets_[a + 1] = static_cast<std::int64_t>(adj_.size());
      l = {};
    }
    occupant_.assign(static_cast<std::size_t>(mesh.num_cores()), -1);
    chip_load_.assign(static_cast<std::size_t>(mesh.num_chips()), 0);
    for (std::size_t a = 0; a < n; ++a) {
      occupant_[static_cast<std::size_t>(global_[a])] = static_cast<std::int32_t>(a);
      ++chip_load_[static_cast<std::size_t>(global_[a] / mesh.cores_per_chip())];
    }
    board_x_ = mesh.chips_x * mesh.tiles_x;
    board_y_ = mesh.chips_y * mesh.tiles_y;
  }

  void run(int max_sweeps) {
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
      bool improved = false;
      for (std::size_t a = 0; a < global_.size(); ++a)
        improved |= improve(static_cast<std::int32_t>(a));
      if (!improved) break;
    }
  }

 private:
  struct Pos {
    int x, y;  // board-wide tile coordinates
  };
  Pos pos_of_core(int global) const {
    const auto l = core::locate(mesh_, global);
    return {l.chip_x * mesh_.tiles_x + l.tile_x, l.chip_y * mesh_.tiles_y + l.tile_y};
  }
  int hops(Pos a, Pos b) const {
    // Same count as hops_between(): |dx| + |dy| on the board-wide tile grid, plus, in a system
    // of several boards, kBoardCrossingWeight per board boundary crossed: a board hop costs far
    // more than a tile hop (loihi1: 640 pJ against 3-4 pJ), so moves must not add them.
    const int d = std::abs(a.x - b.x) + std::abs(a.y - b.y);
    if (!mesh_.has_boards()) return d;
    const int bw = mesh_.tiles_x * mesh_.board_chips_x, bh = mesh_.tiles_y * mesh_.board_chips_y;
    return d +
           kBoardCrossingWeight * (std::abs(a.x / bw - b.x / bw) + std::abs(a.y / bh - b.y / bh));
  }
  static constexpr int kBoardCrossingWeight = 64;
  int first_core_of_tile(Pos p) const {
    const int chip = mesh_.chip_index(p.x / mesh_.tiles_x, p.y / mesh_.tiles_y);
    const int tile = (p.y % mesh_.tiles_y) * mesh_.tiles_x + p.x % mesh_.tiles_x;
    return chip * mesh_.cores_per_chip() + tile * mesh_.cores_per_tile;
  }
  // Change in messages x hops if core a moved from tile `from` to tile `to` (b's own traffic
  // with a is unchanged by a swap, so it is left out).
  double move_cost(std::int32_t a, Pos from, Pos to, std::int32_t exclude) const {
    double d = 0;
    const auto au = static_cast<std::size_t>(a);
    for (auto k = offsets_[au]; k < offsets_[au + 1]; ++k) {
      const auto n = adj_[static_cast<std::size_t>(k)];
      if (n == exclude) continue;
      const Pos pn = pos_of_core(global_[static_cast<std::size_t>(n)]);
      d += weight_[static_cast<std::size_t>(k)] * (hops(to, pn) - hops(from, pn));
    }
    return d;
  }

  static int weighted_median(std::vector<std::pair<int, double>>& v) {
    std::sort(v.begin(), v.end());
    double total = 0;
    for (const auto& e : v) total += e.second;
    double acc = 0;
    for (const auto& e : v) {
      acc += e.second;
      if (2 * acc >= total) return e.first;
    }
    return v.back().first;
  }

  bool improve(std::int32_t a) {
    const auto au = static_cast<std::size_t>(a);
    if (offsets_[au] == offsets_[au + 1]) return false;
    std::vector<std::pair<int, double>> xs, ys;
    for (auto k = offsets_[au]; k < offsets_[au + 1]; ++k) {
      const Pos p =
          pos_of_core(global_[static_cast<std::size_t>(adj_[static_cast<std::size_t>(k)])]);
      xs.emplace_back(p.x, weight_[static_cast<std::size_t>(k)]);
      ys.emplace_back(p.y, weight_[static_cast<std::size_t>(k)]);
    }
    const Pos target{weighted_median(xs), weighted_median(ys)};
    const Pos here = pos_of_core(global_[au]);
    double best = -1e-9;
    int best_slot = -1;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const Pos t{target.x + dx, target.y + dy};
        if (t.x < 0 || t.y < 0 || t.x >= board_x_ || t.y >= board_y_) continue;
        if (t.x == here.x && t.y == here.y) continue;
        const double mine = move_cost(a, here, t, -1);
        const int first = first_core_of_tile(t);
        for (int c = 0; c < mesh_.cores_per_tile; ++c) {
          const int slot = first + c;
          const auto b = occupant_[static_cast<std::size_t>(slot)];
          // Never open a chip that holds no core: chips in use cost static power.
          if (b < 0 && chip_load_[static_cast<std::size_t>(slot / mesh_.cores_per_chip())] == 0)
            continue;
          const double d = b < 0 ? mine : move_cost(a, here, t, b) + move_cost(b, t, here, a);
          if (d < best) {
            best = d;
            best_slot = slot;
          }
        }
      }
    if (best_slot < 0) return false;
    const int old_slot = global_[au];
    const auto b = occupant_[static_cast<std::size_t>(best_slot)];
    occupant_[static_cast<std::size_t>(best_slot)] = a;
    occupant_[static_cast<std::size_t>(old_slot)] = b;
    global_[au] = best_slot;
    if (b >= 0) {
      global_[static_cast<std::size_t>(b)] = old_slot;
    } else {
      --chip_load_[static_cast<std::size_t>(old_slot / mesh_.cores_per_chip())];
      ++chip_load_[static_cast<std::size_t>(best_slot / mesh_.cores_per_chip())];
    }
    return true;
  }

  const core::MeshGeometry& mesh_;
  std::vector<std::int32_t>& global_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::int32_t> adj_;
  std::vector<double> weight_;
  std::vector<std::int32_t> occupant_;
  std::vector<int> chip_load_;  // cores per chip
  int board_x_ = 0, board_y_ = 0;
};

}  // namespace

Placement place_metis(const TrafficGraph& traffic, const core::MeshGeometry& board, int seed) {
  Placement pl;
  pl.mesh = geometry_for(traffic.num_cores, board);
  MetisPlacer placer(traffic, pl.mesh, seed);
  pl.global_core = placer.run();
  SwapRefiner(traffic, pl.mesh, pl.global_core).run(kRefinementSweeps);
  pl.chips_used = count_chips(pl.mesh, pl.global_core);
  return pl;
}

Hops hops_between(const core::MeshGeometry& mesh, int a, int b) {
  const auto la = core::locate(mesh, a);
  const auto lb = core::locate(mesh, b);
  // Every chip boundary crossed along an axis takes one of that axis's tile hops.
  const int cx = std::abs(la.chip_x - lb.chip_x);
  const int cy = std::abs(la.chip_y - lb.chip_y);
  Hops h;
  h.ew = std::abs((la.chip_x - lb.chip_x) * mesh.tiles_x + la.tile_x - lb.tile_x) - cx;
  h.ns = std::abs((la.chip_y - lb.chip_y) * mesh.tiles_y + la.tile_y - lb.tile_y) - cy;
  h.boards = std::abs(mesh.board_of_chip_x(la.chip_x) - mesh.board_of_chip_x(lb.chip_x)) +
             std::abs(mesh.board_of_chip_y(la.chip_y) - mesh.board_of_chip_y(lb.chip_y));
  h.chips = cx + cy - h.boards;
  return h;
}

TrafficStats traffic_stats(const TrafficGraph& t, const Placement& pl) {
  TrafficStats s;
  s.messages = t.local_messages;
  for (std::size_t a = 0; a < static_cast<std::size_t>(t.num_cores); ++a)
    for (auto k = t.offsets[a]; k < t.offsets[a + 1]; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      const double m = t.messages[ku];
      const Hops h = hops_between(pl.mesh, pl.global_core[a],
                                  pl.global_core[static_cast<std::size_t>(t.dest[ku])]);
      s.messages += m;
      s.inter_core_messages += m;
      s.hops_ew += m * h.ew;
      s.hops_ns += m * h.ns;
      s.chip_crossings += m * h.chips;
      s.board_crossings += m * h.boards;
    }
  s.hops = s.hops_ew + s.hops_ns + s.chip_crossings + s.board_crossings;
  return s;
}

}  // namespace loihisim::mapper
