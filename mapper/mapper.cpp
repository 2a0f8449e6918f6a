#include "mapper/mapper.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "io/errors.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/network_index.hpp"
#include "mapper/network_io.hpp"
#include "mapper/packing.hpp"
#include "mapper/partition.hpp"

namespace loihisim::mapper {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One synapse list of the image seen from its source: source neuron j of a population or an
// input port drives input axon `axon` of logical core `core`.
struct Connection {
  std::int32_t source_node = 0;  // population id (NetworkIndex::member_populations) or port index
  std::int32_t neuron = 0;
  std::int32_t core = 0;
  std::int32_t axon = 0;
  std::int32_t projection = 0;
  bool is_port = false;
};

template <class T>
int intern(std::vector<T>& table, const T& value) {
  const auto it = std::find(table.begin(), table.end(), value);
  if (it != table.end()) return static_cast<int>(it - table.begin());
  table.push_back(value);
  return static_cast<int>(table.size()) - 1;
}

// Builds the synapse lists and input axons of every block, core by core, with the same
// encoding the partitioner counted.
class ImageBuilder {
 public:
  ImageBuilder(const NetworkIndex& ix, const Partition& part, const CoreAssignment& pack,
               const core::CoreLimits& limits)
      : ix_(ix), part_(part), pack_(pack), limits_(limits), cores_(pack.blocks.size()) {}

  std::vector<core::CoreConfig> build() {
    for (std::size_t c = 0; c < cores_.size(); ++c) {
      auto& cfg = cores_[c];
      cfg.accumulator_depth = pack_.demand[c].accumulator_depth;
      for (int b : pack_.blocks[c])
        add_compartments(cfg, part_.blocks[static_cast<std::size_t>(b)]);
    }
    for (std::size_t p = 0; p < ix_.populations.size(); ++p) build_population(static_cast<int>(p));
    return std::move(cores_);
  }

  std::vector<Connection>& connections() { return conns_; }

 private:
  // A block's compartments (docs/mapping.md, "Compartment layout"). Two-compartment neurons: the
  // dendrites first (synapses target them), then the somas, soma k joining dendrite k. A join
  // group: each member's compartments in turn (its compartment order), neuron k of a child
  // joining neuron k of its parent.
  void add_compartments(core::CoreConfig& cfg, const Block& blk) const {
    const Population& pop = *ix_.populations[static_cast<std::size_t>(blk.population)];
    const auto base = static_cast<int>(cfg.compartments.size());
    if (pop.dendrite) {
      const int profile = intern(cfg.profiles, pop.dendrite->profile);
      for (std::int32_t i = 0; i < blk.count; ++i)
        cfg.compartments.push_back({profile, pop.dendrite->bias_mant_of(blk.first + i),
                                    pop.dendrite->bias_exp_of(blk.first + i), core::JoinOp::kAdd,
                                    base + blk.count + i});
    }
    for (int m : ix_.members[static_cast<std::size_t>(blk.population)]) {
      const Population& mp = *ix_.member_populations[static_cast<std::size_t>(m)];
      const int profile = intern(cfg.profiles, mp.profile);
      const int parent = ix_.parent_of[static_cast<std::size_t>(m)];
      const int parent_kind = parent < 0 ? -1 : ix_.kind_of[static_cast<std::size_t>(parent)];
      for (std::int32_t i = 0; i < blk.count; ++i) {
        core::CompartmentConfig cx{profile, mp.bias_mant_of(blk.first + i),
                                   mp.bias_exp_of(blk.first + i)};
        if (parent_kind >= 0) {
          cx.join = core::JoinOp::kAdd;
          cx.join_parent = base + parent_kind * blk.count + i;
        }
        cfg.compartments.push_back(cx);
      }
    }
  }

  // First compartment of projection pi's targets in block b: the block's dendrites, or its
  // target member's compartments.
  std::int32_t target_base(int b, int pi) const {
    const Block& blk = part_.blocks[static_cast<std::size_t>(b)];
    const int kind =
        ix_.kind_of[static_cast<std::size_t>(ix_.target_member[static_cast<std::size_t>(pi)])];
    return pack_.offset_of_block[static_cast<std::size_t>(b)] + kind * blk.count;
  }

  struct Scratch {
    std::vector<std::int32_t> stamp, count, first, last, pos;
  };

  void build_population(int pop) {
    const auto& incoming = ix_.incoming[static_cast<std::size_t>(pop)];
    std::vector<Scratch> scratch(incoming.size());
    for (std::size_t k = 0; k < incoming.size(); ++k) {
      const auto n =
          static_cast<std::size_t>(ix_.source_size[static_cast<std::size_t>(incoming[k])]);
      scratch[k].stamp.assign(n, -1);
      scratch[k].count.assign(n, 0);
      scratch[k].first.assign(n, 0);
      scratch[k].last.assign(n, 0);
      scratch[k].pos.assign(n, 0);
    }
    for (int b = part_.first_block[static_cast<std::size_t>(pop)];
         b < part_.first_block[static_cast<std::size_t>(pop) + 1]; ++b) {
      const auto c = static_cast<std::size_t>(pack_.core_of_block[static_cast<std::size_t>(b)]);
      const auto lists_before = cores_[c].synapse_lists.size();
      for (std::size_t k = 0; k < incoming.size(); ++k) {
        const int pi = incoming[k];
        if (ix_.projections[static_cast<std::size_t>(pi)]->dense)
          build_dense(b, pi, scratch[k]);
        else
          build_sparse(b, pi, scratch[k]);
      }
      check_block(b, lists_before);
    }
  }

  void add_list(int b, int pi, std::int32_t source, core::SynapseList list, std::int32_t base) {
    const auto c = static_cast<std::size_t>(pack_.core_of_block[static_cast<std::size_t>(b)]);
    auto& cfg = cores_[c];
    if (std::all_of(list.delay.begin(), list.delay.end(), [](std::int32_t d) { return d == 0; }))
      list.delay.clear();
    cfg.synapse_lists.push_back(std::move(list));
    const auto axon = static_cast<std::int32_t>(cfg.input_axons.size());
    cfg.input_axons.push_back({static_cast<int>(cfg.synapse_lists.size()) - 1, base});
    const auto piu = static_cast<std::size_t>(pi);
    const bool is_port = ix_.source_population[piu] < 0;
    conns_.push_back({is_port ? ix_.source_port[piu] : ix_.source_member[piu], source,
                      static_cast<std::int32_t>(c), axon, pi, is_port});
  }

  void build_dense(int b, int pi, Scratch& s) {
    const Block& blk = part_.blocks[static_cast<std::size_t>(b)];
    const Projection& p = *ix_.projections[static_cast<std::size_t>(pi)];
    const auto n_src = static_cast<std::size_t>(ix_.source_size[static_cast<std::size_t>(pi)]);
    std::vector<std::int32_t> active;
    for (std::int32_t t = blk.first; t < blk.first + blk.count; ++t) {
      const std::int16_t* row = p.weight.data() + static_cast<std::size_t>(t) * n_src;
      for (std::size_t j = 0; j < n_src; ++j)
        if (row[j] != 0 && s.stamp[j] != b) {
          s.stamp[j] = b;
          active.push_back(static_cast<std::int32_t>(j));
        }
    }
    std::sort(active.begin(), active.end());
    const auto c = static_cast<std::size_t>(pack_.core_of_block[static_cast<std::size_t>(b)]);
    core::SynapseFormat f = p.format;
    f.index_bits = 0;
    const int format = intern(cores_[c].formats, f);
    const bool delays = !p.delay.empty() || p.uniform_delay != 0;
    for (auto j : active) {
      core::SynapseList list;
      list.format = format;
      list.mantissa.resize(static_cast<std::size_t>(blk.count));
      if (delays) list.delay.resize(static_cast<std::size_t>(blk.count));
      for (std::int32_t r = 0; r < blk.count; ++r) {
        const std::size_t k =
            static_cast<std::size_t>(blk.first + r) * n_src + static_cast<std::size_t>(j);
        list.mantissa[static_cast<std::size_t>(r)] = p.weight[k];
        if (delays) list.delay[static_cast<std::size_t>(r)] = p.weight[k] != 0 ? p.delay_of(k) : 0;
      }
      add_list(b, pi, j, std::move(list), target_base(b, pi));
    }
  }

  void build_sparse(int b, int pi, Scratch& s) {
    const Block& blk = part_.blocks[static_cast<std::size_t>(b)];
    const auto piu = static_cast<std::size_t>(pi);
    const Projection& p = *ix_.projections[piu];
    const auto& rows = ix_.row_start[piu];
    const auto& order = ix_.by_post[piu];
    std::vector<std::int32_t> active;
    for (std::int32_t t = blk.first; t < blk.first + blk.count; ++t)
      for (auto k = rows[static_cast<std::size_t>(t)]; k < rows[static_cast<std::size_t>(t) + 1];
           ++k) {
        const auto j = static_cast<std::size_t>(p.pre[order[k]]);
        if (s.stamp[j] != b) {
          s.stamp[j] = b;
          s.count[j] = 0;
          s.first[j] = t;
          active.push_back(static_cast<std::int32_t>(j));
        }
        ++s.count[j];
        s.last[j] = t;
      }
    if (active.empty()) return;
    std::sort(active.begin(), active.end());
    int ib = core::kMinSparseIndexBits;
    for (auto j : active) {
      const auto ju = static_cast<std::size_t>(j);
      ib = std::max(ib, sparse_index_bits(s.last[ju] - s.first[ju]));
    }
    const auto c = static_cast<std::size_t>(pack_.core_of_block[static_cast<std::size_t>(b)]);
    core::SynapseFormat f = p.format;
    f.index_bits = ib;
    const int format = intern(cores_[c].formats, f);
    const bool delays = !p.delay.empty() || p.uniform_delay != 0;
    std::vector<core::SynapseList> lists(active.size());
    for (std::size_t r = 0; r < active.size(); ++r) {
      const auto ju = static_cast<std::size_t>(active[r]);
      s.pos[ju] = static_cast<std::int32_t>(r);
      lists[r].format = format;
      lists[r].mantissa.reserve(static_cast<std::size_t>(s.count[ju]));
      lists[r].index.reserve(static_cast<std::size_t>(s.count[ju]));
      if (delays) lists[r].delay.reserve(static_cast<std::size_t>(s.count[ju]));
    }
    for (std::int32_t t = blk.first; t < blk.first + blk.count; ++t)
      for (auto k = rows[static_cast<std::size_t>(t)]; k < rows[static_cast<std::size_t>(t) + 1];
           ++k) {
        const std::uint32_t syn = order[k];
        const auto ju = static_cast<std::size_t>(p.pre[syn]);
        auto& list = lists[static_cast<std::size_t>(s.pos[ju])];
        list.mantissa.push_back(p.weight[syn]);
        list.index.push_back(t - s.first[ju]);
        if (delays) list.delay.push_back(p.weight[syn] != 0 ? p.delay_of(syn) : 0);
      }
    const std::int32_t offset = target_base(b, pi);
    for (std::size_t r = 0; r < active.size(); ++r) {
      const auto ju = static_cast<std::size_t>(active[r]);
      add_list(b, pi, active[r], std::move(lists[r]), offset + (s.first[ju] - blk.first));
    }
  }

  // The lists just built for block b must be exactly what the partitioner counted.
  void check_block(int b, std::size_t lists_before) const {
    const Block& blk = part_.blocks[static_cast<std::size_t>(b)];
    const auto& cfg =
        cores_[static_cast<std::size_t>(pack_.core_of_block[static_cast<std::size_t>(b)])];
    BlockDemand actual;
    actual.compartments = blk.count * ix_.compartments_per_neuron(blk.population);
    actual.input_axons = static_cast<std::int32_t>(cfg.synapse_lists.size() - lists_before);
    int max_delay = 0;
    for (std::size_t l = lists_before; l < cfg.synapse_lists.size(); ++l) {
      const auto& list = cfg.synapse_lists[l];
      const auto& f = cfg.formats[static_cast<std::size_t>(list.format)];
      actual.synapse_bits +=
          core::synapse_list_bits(f, static_cast<std::int64_t>(list.mantissa.size()));
      if (std::find(actual.formats.begin(), actual.formats.end(), f) == actual.formats.end())
        actual.formats.push_back(f);
      for (auto d : list.delay) max_delay = std::max(max_delay, d);
    }
    actual.accumulator_depth = accumulator_depth_for(max_delay, limits_);
    BlockDemand predicted = blk.demand;
    predicted.output_axons = 0;  // checked once the output axons exist
    std::sort(actual.formats.begin(), actual.formats.end(), format_less);
    std::sort(predicted.formats.begin(), predicted.formats.end(), format_less);
    if (!(actual == predicted))
      throw std::logic_error(fmt::format(
          "mapper internal error: block {} of population '{}' was counted as {} input axons, {} "
          "synapse bits, {} formats, depth {} but built with {}, {}, {}, {}",
          b, ix_.populations[static_cast<std::size_t>(blk.population)]->name, predicted.input_axons,
          predicted.synapse_bits, predicted.formats.size(), predicted.accumulator_depth,
          actual.input_axons, actual.synapse_bits, actual.formats.size(),
          actual.accumulator_depth));
  }

  static bool format_less(const core::SynapseFormat& a, const core::SynapseFormat& b) {
    const auto key = [](const core::SynapseFormat& f) {
      return std::tuple(f.weight_bits, static_cast<int>(f.sign), f.weight_exp, f.delay_bits,
                        f.index_bits, f.tag_bits);
    };
    return key(a) < key(b);
  }

  const NetworkIndex& ix_;
  const Partition& part_;
  const CoreAssignment& pack_;
  const core::CoreLimits& limits_;
  std::vector<core::CoreConfig> cores_;
  std::vector<Connection> conns_;
};

std::string block_label(const NetworkIndex& ix, const Block& b) {
  return fmt::format("{}[{}:{}]", ix.populations[static_cast<std::size_t>(b.population)]->name,
                     b.first, b.first + b.count);
}

int ceil_div(std::int64_t a, std::int64_t b) {
  return static_cast<int>((a + b - 1) / b);
}

// The compartment of a block's first neuron in member population m (a population id): with a
// dendrite the soma, whose spikes are the neuron's; in a join group the member's own run
// (docs/mapping.md, "Compartment layout").
std::int32_t first_compartment(const NetworkIndex& ix, const Partition& part,
                               const CoreAssignment& pack, std::size_t b, int m) {
  const Block& blk = part.blocks[b];
  const Population& pop = *ix.populations[static_cast<std::size_t>(blk.population)];
  const int kind = pop.dendrite ? 1 : ix.kind_of[static_cast<std::size_t>(m)];
  return pack.offset_of_block[b] + kind * blk.count;
}

// Sites of every population neuron on the logical cores, per population id.
using NeuronSites = std::vector<std::vector<CompartmentSite>>;

NeuronSites neuron_sites(const NetworkIndex& ix, const Partition& part,
                         const CoreAssignment& pack) {
  NeuronSites site(ix.member_populations.size());
  for (std::size_t m = 0; m < site.size(); ++m)
    site[m].resize(static_cast<std::size_t>(ix.member_populations[m]->size));
  for (std::size_t b = 0; b < part.blocks.size(); ++b) {
    const Block& blk = part.blocks[b];
    for (int m : ix.members[static_cast<std::size_t>(blk.population)]) {
      const std::int32_t first = first_compartment(ix, part, pack, b, m);
      for (std::int32_t i = 0; i < blk.count; ++i)
        site[static_cast<std::size_t>(m)][static_cast<std::size_t>(blk.first + i)] = {
            pack.core_of_block[b], first + i};
    }
  }
  return site;
}

struct PendingOut {
  std::int32_t source, dest_core, dest_axon;
};
using PendingOuts = std::vector<std::vector<PendingOut>>;  // per logical core

// Output axons: one per list driven by a population neuron, on the neuron's core, ordered by
// source compartment (then by the order the lists were built); and the traffic they carry.
PendingOuts output_axons(const std::vector<Connection>& conns, const NeuronSites& site,
                         const NetworkIndex& ix, const CoreAssignment& pack,
                         std::vector<TrafficEdge>& traffic_edges) {
  PendingOuts outs(pack.blocks.size());
  traffic_edges.reserve(conns.size());
  for (const auto& cn : conns) {
    if (cn.is_port) continue;
    const CompartmentSite& s =
        site[static_cast<std::size_t>(cn.source_node)][static_cast<std::size_t>(cn.neuron)];
    outs[static_cast<std::size_t>(s.core)].push_back({s.compartment, cn.core, cn.axon});
    traffic_edges.push_back(
        {s.core, cn.core, ix.projections[static_cast<std::size_t>(cn.projection)]->rate});
  }
  for (std::size_t c = 0; c < outs.size(); ++c) {
    auto& o = outs[c];
    std::stable_sort(o.begin(), o.end(),
                     [](const PendingOut& a, const PendingOut& b) { return a.source < b.source; });
    if (static_cast<std::int64_t>(o.size()) != pack.demand[c].output_axons)
      throw std::logic_error(fmt::format(
          "mapper internal error: logical core {} was counted as {} output axons but has {}", c,
          pack.demand[c].output_axons, o.size()));
  }
  return outs;
}

// Places the logical cores with the chosen placer (and, to compare, the other one), with the
// traffic each placement gives in the report.
Placement place(const TrafficGraph& traffic, int n_cores, const core::Architecture& arch,
                const MapOptions& options, MapReport& rep) {
  std::optional<Placement> greedy, metis;
  if (options.placer == Placer::kGreedy || options.compare_placers) {
    const auto t0 = Clock::now();
    greedy = place_greedy(n_cores, arch.mesh);
    rep.timings.place_greedy = seconds_since(t0);
    rep.greedy = traffic_stats(traffic, *greedy);
  }
  if (options.placer == Placer::kMetis || options.compare_placers) {
    const auto t0 = Clock::now();
    metis = place_metis(traffic, arch.mesh, options.metis_seed);
    rep.timings.place_metis = seconds_since(t0);
    rep.metis = traffic_stats(traffic, *metis);
  }
  return options.placer == Placer::kGreedy ? std::move(*greedy) : std::move(*metis);
}

std::int32_t global_core(const Placement& pl, std::int32_t logical_core) {
  return pl.global_core[static_cast<std::size_t>(logical_core)];
}

// The logical cores' tables, with their output axons, at their global core ids; idle cores
// elsewhere.
std::vector<core::CoreConfig> cores_by_global_id(std::vector<core::CoreConfig>& logical,
                                                 PendingOuts& outs, const Placement& pl,
                                                 const core::CoreLimits& limits) {
  std::vector<core::CoreConfig> cores(static_cast<std::size_t>(pl.mesh.num_cores()),
                                      idle_core(limits));
  for (std::size_t c = 0; c < logical.size(); ++c) {
    auto& cfg = logical[c];
    for (const auto& o : outs[c])
      cfg.output_axons.push_back({o.source, global_core(pl, o.dest_core), o.dest_axon});
    outs[c] = {};
    cores[static_cast<std::size_t>(global_core(pl, static_cast<std::int32_t>(c)))] = std::move(cfg);
  }
  return cores;
}

// Per population (network order), its blocks: a join group's members share their unit's.
std::vector<PopulationSites> population_sites(const NetworkIndex& ix, const Partition& part,
                                              const CoreAssignment& pack, const Placement& pl) {
  std::vector<PopulationSites> out;
  for (std::size_t m = 0; m < ix.member_populations.size(); ++m) {
    PopulationSites ps;
    ps.name = ix.member_populations[m]->name;
    ps.size = ix.member_populations[m]->size;
    const auto u = static_cast<std::size_t>(ix.unit_of[m]);
    for (int b = part.first_block[u]; b < part.first_block[u + 1]; ++b) {
      const Block& blk = part.blocks[static_cast<std::size_t>(b)];
      ps.blocks.push_back(
          {blk.first, blk.count, global_core(pl, pack.core_of_block[static_cast<std::size_t>(b)]),
           first_compartment(ix, part, pack, static_cast<std::size_t>(b), static_cast<int>(m))});
    }
    out.push_back(std::move(ps));
  }
  return out;
}

// Every input port neuron's axons, grouped by neuron (offsets, then the axons in list order).
std::vector<InputPortSites> input_port_sites(const NetworkIndex& ix,
                                             const std::vector<Connection>& conns,
                                             const Placement& pl) {
  std::vector<InputPortSites> ports(ix.input_ports.size());
  for (std::size_t q = 0; q < ix.input_ports.size(); ++q) {
    ports[q].name = ix.input_ports[q]->name;
    ports[q].size = ix.input_ports[q]->size;
    ports[q].offsets.assign(static_cast<std::size_t>(ports[q].size) + 1, 0);
  }
  for (const auto& cn : conns)
    if (cn.is_port)
      ++ports[static_cast<std::size_t>(cn.source_node)]
            .offsets[static_cast<std::size_t>(cn.neuron) + 1];
  std::vector<std::vector<std::int64_t>> fill(ix.input_ports.size());
  for (std::size_t q = 0; q < ix.input_ports.size(); ++q) {
    auto& port = ports[q];
    for (std::size_t j = 0; j < static_cast<std::size_t>(port.size); ++j)
      port.offsets[j + 1] += port.offsets[j];
    port.axons.resize(static_cast<std::size_t>(port.offsets.back()));
    fill[q].assign(port.offsets.begin(), port.offsets.end() - 1);
  }
  for (const auto& cn : conns)
    if (cn.is_port) {
      const auto q = static_cast<std::size_t>(cn.source_node);
      ports[q].axons[static_cast<std::size_t>(fill[q][static_cast<std::size_t>(cn.neuron)]++)] = {
          global_core(pl, cn.core), cn.axon};
    }
  return ports;
}

std::vector<OutputPortSites> output_port_sites(const Network& net, const NetworkIndex& ix,
                                               const NeuronSites& site, const Placement& pl) {
  std::vector<OutputPortSites> out;
  for (const auto& op : net.output_ports()) {
    OutputPortSites s;
    s.name = op.name;
    s.population = op.population;
    const auto p = static_cast<std::size_t>(ix.member_index(op.population));
    for (const auto& cs : site[p]) s.neurons.push_back({global_core(pl, cs.core), cs.compartment});
    out.push_back(std::move(s));
  }
  return out;
}

// Validates in place: ChipConfig owns its cores, so lend them rather than copy the image.
void check_image(MappedImage& img) {
  core::ChipConfig chip{std::move(img.cores), img.limits};
  const auto problems = core::validate(chip);
  img.cores = std::move(chip.cores);
  if (!problems.empty()) {
    std::string msg = "mapper internal error: the mapped image fails core::validate:";
    for (std::size_t k = 0; k < problems.size() && k < 10; ++k) msg += "\n  " + problems[k].message;
    throw std::logic_error(msg);
  }
}

// The least cores each resource needs, summed over the blocks; the largest is the lower bound.
std::vector<ResourceBound> resource_bounds(const Partition& part, const core::CoreLimits& limits) {
  std::int64_t cx = 0, slots = 0, in = 0, out = 0, bits = 0;
  for (const auto& b : part.blocks) {
    cx += b.demand.compartments;
    slots += std::int64_t{b.demand.compartments} * b.demand.accumulator_depth;
    in += b.demand.input_axons;
    out += b.demand.output_axons;
    bits += b.demand.synapse_bits;
  }
  return {
      {"compartments", cx, limits.max_compartments, ceil_div(cx, limits.max_compartments)},
      {"accumulator slots", slots, limits.accumulator_slots,
       ceil_div(slots, limits.accumulator_slots)},
      {"input axons", in, limits.max_input_axons, ceil_div(in, limits.max_input_axons)},
      {"output axons", out, limits.max_output_axons, ceil_div(out, limits.max_output_axons)},
      {"synapse bits", bits, limits.synapse_memory_bits,
       ceil_div(bits, limits.synapse_memory_bits)},
  };
}

// The least cores each resource needs for any partition of the network.
std::vector<ResourceBound> network_bounds(const NetworkIndex& ix, const core::CoreLimits& limits) {
  const MinimalDemand d = minimal_demand(ix, limits);
  const auto bound = [](const char* name, std::int64_t demand, std::int64_t capacity) {
    return ResourceBound{name, demand, capacity, ceil_div(demand, capacity)};
  };
  return {
      bound("compartments", d.compartments, limits.max_compartments),
      bound("accumulator slots", d.accumulator_slots, limits.accumulator_slots),
      bound("input axons", d.input_axons, limits.max_input_axons),
      bound("output axons", d.output_axons, limits.max_output_axons),
      bound("synapse bits", d.synapse_bits, limits.synapse_memory_bits),
      bound("profiles", d.profiles, limits.max_compartment_profiles),
      bound("thresholds", d.thresholds, limits.max_threshold_profiles),
      bound("synapse formats", d.formats, limits.max_synapse_formats),
  };
}

int largest_bound(const std::vector<ResourceBound>& bounds) {
  int n = 0;
  for (const auto& b : bounds) n = std::max(n, b.cores);
  return n;
}

// What global core g (logical core c) holds against each per-core limit.
CoreUse core_use(const MappedImage& img, int g, int c, const NetworkIndex& ix,
                 const Partition& part, const CoreAssignment& pack,
                 const core::CoreLimits& limits) {
  const auto& cfg = img.cores[static_cast<std::size_t>(g)];
  const auto loc = core::locate(img.mesh, g);
  CoreUse u;
  u.core = g;
  u.chip = loc.chip;
  u.tile_x = loc.tile_x;
  u.tile_y = loc.tile_y;
  u.core_in_tile = loc.core_in_tile;
  for (int b : pack.blocks[static_cast<std::size_t>(c)]) {
    if (!u.blocks.empty()) u.blocks += ' ';
    u.blocks += block_label(ix, part.blocks[static_cast<std::size_t>(b)]);
  }
  u.accumulator_depth = cfg.accumulator_depth;
  u.compartments = static_cast<std::int32_t>(cfg.compartments.size());
  u.compartment_limit = core::compartment_capacity(limits, cfg.accumulator_depth);
  u.input_axons = static_cast<std::int32_t>(cfg.input_axons.size());
  u.input_axon_limit = limits.max_input_axons;
  u.output_axons = static_cast<std::int32_t>(cfg.output_axons.size());
  u.output_axon_limit = limits.max_output_axons;
  u.synapse_bits = core::synapse_memory_bits(cfg);
  u.synapse_bit_limit = limits.synapse_memory_bits;
  u.profiles = static_cast<int>(cfg.profiles.size());
  u.profile_limit = limits.max_compartment_profiles;
  std::set<std::int32_t> vth;
  for (const auto& p : cfg.profiles) vth.insert(p.vth_mant);
  u.thresholds = static_cast<int>(vth.size());
  u.threshold_limit = limits.max_threshold_profiles;
  u.formats = static_cast<int>(cfg.formats.size());
  u.format_limit = limits.max_synapse_formats;
  return u;
}

// The report's counts, bounds and per-core use.
void summarise(MapReport& rep, const Network& net, const core::Architecture& arch,
               const NetworkIndex& ix, const Partition& part, const CoreAssignment& pack,
               const Placement& pl, const MappedImage& img) {
  rep.network = net.name;
  rep.architecture = arch.name;
  rep.placer = img.placer;
  rep.populations = static_cast<int>(ix.member_populations.size());
  rep.projections = static_cast<int>(ix.projections.size());
  rep.input_ports = static_cast<int>(ix.input_ports.size());
  rep.output_ports = static_cast<int>(net.output_ports().size());
  rep.host_nodes = static_cast<int>(net.host_nodes().size());
  rep.neurons = net.num_neurons();
  rep.synapses = net.num_synapses();
  rep.blocks = static_cast<int>(part.blocks.size());
  rep.partition_passes = part.passes;
  rep.partition = partition_method_name(part.method);
  const int n_cores = static_cast<int>(pack.blocks.size());
  rep.cores_used = n_cores;
  rep.chips_used = pl.chips_used;
  rep.mesh = pl.mesh;
  rep.bounds = resource_bounds(part, arch.core);
  rep.lower_bound = largest_bound(rep.bounds);
  rep.network_bounds = network_bounds(ix, arch.core);
  rep.network_lower_bound = largest_bound(rep.network_bounds);
  for (int c = 0; c < n_cores; ++c)
    rep.cores.push_back(core_use(img, global_core(pl, c), c, ix, part, pack, arch.core));
  std::sort(rep.cores.begin(), rep.cores.end(),
            [](const CoreUse& a, const CoreUse& b) { return a.core < b.core; });
}

// Refuses, before any allocation that grows with the network, a network whose neurons alone
// exceed every compartment of the board: partitioning a 10^9-neuron network only to find this
// out would take minutes and gigabytes.
void check_board_capacity(const Network& net, const core::Architecture& arch) {
  const core::CoreLimits& limits = arch.core;
  const std::int64_t per_core =
      std::min<std::int64_t>(limits.max_compartments,
                             limits.accumulator_slots / std::max(1, limits.min_accumulator_depth));
  const std::int64_t cores = arch.mesh.num_cores();
  std::int64_t needed = 0;
  std::string largest;
  std::int64_t largest_size = -1;
  for (const Network::Vertex v : net.populations()) {
    const Population& p = net.population(v);
    const std::int64_t n = std::int64_t{p.size} * p.compartments_per_neuron();
    needed += n;
    if (n > largest_size) largest_size = n, largest = p.name;
  }
  if (needed > per_core * cores)
    throw InputError(fmt::format(
        "network '{}' cannot fit architecture '{}': its populations need {} compartments (the "
        "largest, '{}', {}), but the {} has {} cores of at most {} compartments = {}",
        net.name, arch.name, needed, largest, largest_size,
        arch.mesh.has_boards() ? "system (all its boards)" : "board", cores, per_core,
        per_core * cores));
  // Every non-zero weight is stored with at least its format's weight bits.
  std::int64_t bits = 0;
  for (const Network::Edge e : net.projections()) {
    const Projection& p = net.projection(e);
    const auto nonzero = std::count_if(p.weight.begin(), p.weight.end(), [](auto w) { return w; });
    bits += static_cast<std::int64_t>(nonzero) * p.format.weight_bits;
  }
  if (bits > limits.synapse_memory_bits * cores)
    throw InputError(fmt::format(
        "network '{}' cannot fit architecture '{}': its non-zero weights need at least {} bits of "
        "synapse memory, but the board has {} cores of {} bits = {}",
        net.name, arch.name, bits, cores, limits.synapse_memory_bits,
        limits.synapse_memory_bits * cores));
}

struct ChosenPartition {
  Partition part;
  CoreAssignment pack;
};

PartitionCandidate candidate(const Partition& part, const CoreAssignment& pack) {
  return {partition_method_name(part.method),
          static_cast<int>(part.blocks.size()),
          part.passes,
          static_cast<int>(pack.blocks.size()),
          part.output_axons(),
          false,
          {}};
}

// Makes the refined and the balanced partition, packs both and keeps the one with fewer cores,
// then fewer output axons (messages per spike); the refined one on a tie, so that a network the
// balanced partition does not improve keeps exactly the mapping it always had. When one of them
// cannot be made (a neuron whose fan-out over its split targets fits no core), the other.
ChosenPartition choose_partition(const NetworkIndex& ix, const core::CoreLimits& limits,
                                 MapReport& rep) {
  auto t0 = Clock::now();
  PartitionCandidates made = partition_candidates(ix, limits);
  rep.timings.partition = seconds_since(t0);
  t0 = Clock::now();
  // Packs a candidate and reports it, or reports why it could not be made.
  const auto pack = [&](const std::optional<Partition>& part, const std::string& error,
                        const char* name) -> std::optional<CoreAssignment> {
    if (!part) {
      rep.partitions.push_back({name, 0, 0, 0, 0, false, error});
      return std::nullopt;
    }
    CoreAssignment a = pack_blocks(*part, ix, limits);
    rep.partitions.push_back(candidate(*part, a));
    return a;
  };
  std::optional<CoreAssignment> refined_pack = pack(made.refined, made.refined_error, "refined");
  std::optional<CoreAssignment> balanced_pack =
      pack(made.balanced, made.balanced_error, "balanced");
  rep.timings.pack = seconds_since(t0);
  const auto key = [](const PartitionCandidate& c) {
    return std::pair<int, std::int64_t>(c.cores, c.output_axons);
  };
  const bool take_balanced =
      !made.refined || (made.balanced && key(rep.partitions[1]) < key(rep.partitions[0]));
  rep.partitions[take_balanced ? 1 : 0].chosen = true;
  if (take_balanced) return {std::move(*made.balanced), std::move(*balanced_pack)};
  return {std::move(*made.refined), std::move(*refined_pack)};
}

}  // namespace

MapResult map_network(const Network& net, const core::Architecture& arch,
                      const MapOptions& options) {
  const auto t_start = Clock::now();
  MapResult result;
  MapReport& rep = result.report;
  const core::CoreLimits& limits = arch.core;
  net.check_host_references();
  if (net.populations().empty())
    throw InputError(fmt::format("network '{}' has no populations: nothing to map", net.name));
  check_board_capacity(net, arch);

  // 1. partition, 2. pack.
  auto t0 = Clock::now();
  const NetworkIndex ix = index_network(net);
  rep.timings.index = seconds_since(t0);
  const ChosenPartition chosen = choose_partition(ix, limits, rep);
  const Partition& part = chosen.part;
  const CoreAssignment& pack = chosen.pack;
  const int n_cores = static_cast<int>(pack.blocks.size());
  const NeuronSites site = neuron_sites(ix, part, pack);

  // 3. build the logical cores.
  t0 = Clock::now();
  ImageBuilder builder(ix, part, pack, limits);
  std::vector<core::CoreConfig> logical = builder.build();
  const std::vector<Connection>& conns = builder.connections();
  std::vector<TrafficEdge> traffic_edges;
  PendingOuts outs = output_axons(conns, site, ix, pack, traffic_edges);
  rep.timings.build = seconds_since(t0);

  // 4. place, and assemble the image by global core id.
  const TrafficGraph traffic = make_traffic_graph(n_cores, std::move(traffic_edges));
  const Placement pl = place(traffic, n_cores, arch, options, rep);
  const auto t_assemble = Clock::now();
  MappedImage& img = result.image;
  img.architecture = arch.name;
  img.network = net.name;
  img.placer = placer_name(options.placer);
  img.mesh = pl.mesh;
  img.limits = limits;
  img.cores = cores_by_global_id(logical, outs, pl, limits);
  img.populations = population_sites(ix, part, pack, pl);
  img.input_ports = input_port_sites(ix, conns, pl);
  img.output_ports = output_port_sites(net, ix, site, pl);
  img.host_nodes = net.host_nodes();
  rep.timings.assemble = seconds_since(t_assemble);

  // 5. check.
  t0 = Clock::now();
  check_image(img);
  rep.timings.validate = seconds_since(t0);

  summarise(rep, net, arch, ix, part, pack, pl, img);
  rep.timings.total = seconds_since(t_start);
  return result;
}

bool is_mapped_image_file(const std::string& file) {
  const auto ext = std::filesystem::path(file).extension().string();
  return ext == ".h5" || ext == ".hdf5";
}

MappedImage image_for_run(const std::string& file, const core::Architecture& arch,
                          const std::string& placer) {
  if (is_mapped_image_file(file)) {
    MappedImage image = read_mapped_image(file);
    if (image.architecture != arch.name)
      throw InputError(fmt::format("{}: mapped for architecture '{}', not '{}': map it again", file,
                                   image.architecture, arch.name));
    return image;
  }
  MapOptions mo;
  mo.placer = parse_placer(placer);
  mo.compare_placers = false;
  return map_network(read_network(file), arch, mo).image;
}

}  // namespace loihisim::mapper
