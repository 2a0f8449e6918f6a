#include "mapper/partition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <bit>
#include <map>
#include <set>
#include <tuple>

#include "io/errors.hpp"

namespace loihisim::mapper {

int accumulator_depth_for(int max_delay, const core::CoreLimits& limits) {
  return std::max(limits.min_accumulator_depth, max_delay + 2);
}

int sparse_index_bits(std::int32_t max_offset) {
  const int bits = static_cast<int>(std::bit_width(static_cast<std::uint32_t>(max_offset)));
  return std::max(core::kMinSparseIndexBits, bits);
}

const char* partition_method_name(PartitionMethod m) {
  switch (m) {
    case PartitionMethod::kRefined:
      return "refined";
    case PartitionMethod::kBalanced:
      return "balanced";
    case PartitionMethod::kBalancedRefined:
      return "balanced, then refined";
  }
  return "?";
}

std::int64_t Partition::output_axons() const {
  std::int64_t n = 0;
  for (const auto& b : blocks) n += b.demand.output_axons;
  return n;
}

int Partition::block_of(int population, std::int32_t neuron) const {
  const auto b = blocks.begin() + first_block[static_cast<std::size_t>(population)];
  const auto e = blocks.begin() + first_block[static_cast<std::size_t>(population) + 1];
  const auto it = std::upper_bound(b, e, neuron,
                                   [](std::int32_t n, const Block& blk) { return n < blk.first; });
  return static_cast<int>(it - blocks.begin()) - 1;
}

namespace {

enum class Limit {
  kNone,
  kCompartments,
  kInputAxons,
  kOutputAxons,
  kSynapseBits,
  kFormats,
  kIndexSpan
};

// One projection into the population being split, with its per-source bookkeeping.
struct ProjState {
  int proj = 0;
  int source_population = -1;
  const Projection* p = nullptr;
  bool dense = true;
  core::SynapseFormat fmt;  // index_bits 0
  const std::vector<std::uint64_t>* rows = nullptr;
  const std::uint32_t* order = nullptr;
  std::int32_t n_src = 0;
  // Per source neuron. block_stamp: the block in which it last had a list; neuron_stamp: the
  // neuron attempt that last touched it (then `add` holds its synapses into that neuron).
  std::vector<std::int32_t> block_stamp, neuron_stamp, count, first, add;
  // Current block.
  std::vector<std::int32_t> active;  // sources with a list in the block
  std::int64_t bits = 0;
  int ib = core::kMinSparseIndexBits;
  // Current attempt.
  std::vector<std::int32_t> touched;
  int n_new = 0;
  std::int64_t new_bits = 0;
  int new_ib = core::kMinSparseIndexBits;

  core::SynapseFormat format_with(int index_bits) const {
    core::SynapseFormat f = fmt;
    f.index_bits = dense ? 0 : index_bits;
    return f;
  }
};

class PopulationSplitter {
 public:
  // Blocks hold at most `cap` neurons (besides every per-core limit).
  PopulationSplitter(const NetworkIndex& ix, int pop, const core::CoreLimits& limits,
                     std::int32_t cap, const std::vector<std::int32_t>& out_count,
                     std::vector<std::vector<std::int32_t>>& new_out)
      : ix_(ix),
        pop_(pop),
        cx_per_neuron_(ix.compartments_per_neuron(pop)),
        cap_(cap),
        limits_(limits),
        out_count_(out_count),
        new_out_(new_out) {
    for (int pi : ix.incoming[static_cast<std::size_t>(pop)]) {
      ProjState s;
      s.proj = pi;
      s.p = ix.projections[static_cast<std::size_t>(pi)];
      s.source_population = ix.source_population[static_cast<std::size_t>(pi)];
      s.dense = s.p->dense;
      s.fmt = s.p->format;
      s.fmt.index_bits = 0;
      s.n_src = ix.source_size[static_cast<std::size_t>(pi)];
      s.rows = &ix.row_start[static_cast<std::size_t>(pi)];
      s.order = ix.by_post[static_cast<std::size_t>(pi)].data();
      const auto n = static_cast<std::size_t>(s.n_src);
      s.block_stamp.assign(n, -1);
      s.count.assign(n, 0);
      s.first.assign(n, 0);
      s.add.assign(n, 0);
      if (!s.dense) s.neuron_stamp.assign(n, -1);
      states_.push_back(std::move(s));
    }
  }

  void split(std::int32_t a, std::int32_t b, std::vector<Block>& out) {
    open(a);
    for (std::int32_t i = a; i < b;) {
      if (size_ < cap_ && try_add(i)) {  // cap_ >= 1, so an empty block always tries
        ++i;
        continue;
      }
      if (size_ == 0) fail_single(i);
      out.push_back(close());
      open(i);
    }
    if (size_ > 0) out.push_back(close());
  }

 private:
  void open(std::int32_t first) {
    ++block_stamp_;
    first_ = first;
    size_ = 0;
    depth_ = limits_.min_accumulator_depth;
    inputs_ = 0;
    outputs_ = 0;
    bits_ = 0;
    formats_.clear();
    for (auto& s : states_) {
      s.active.clear();
      s.bits = 0;
      s.ib = core::kMinSparseIndexBits;
    }
  }

  Block close() {
    Block b;
    b.population = pop_;
    b.first = first_;
    b.count = size_;
    b.demand = {size_ * cx_per_neuron_, depth_, inputs_, outputs_, bits_, formats_};
    for (auto& s : states_) {
      if (s.source_population < 0) continue;
      auto& counts = new_out_[static_cast<std::size_t>(s.source_population)];
      for (auto j : s.active) ++counts[static_cast<std::size_t>(j)];
    }
    return b;
  }

  // Collects neuron i's synapses per projection into touched/add; returns its largest delay
  // among nonzero weights.
  int gather(std::int32_t i) {
    ++neuron_stamp_;
    int max_delay = 0;
    for (auto& s : states_) {
      s.touched.clear();
      const Projection& p = *s.p;
      if (s.dense) {
        const std::size_t row = static_cast<std::size_t>(i) * static_cast<std::size_t>(s.n_src);
        const std::int16_t* w = p.weight.data() + row;
        for (std::int32_t j = 0; j < s.n_src; ++j) {
          if (w[j] == 0) continue;
          s.touched.push_back(j);
          s.add[static_cast<std::size_t>(j)] = 1;
          max_delay = std::max(max_delay, p.delay_of(row + static_cast<std::size_t>(j)));
        }
      } else {
        const auto b = (*s.rows)[static_cast<std::size_t>(i)];
        const auto e = (*s.rows)[static_cast<std::size_t>(i) + 1];
        for (auto k = b; k < e; ++k) {
          const std::uint32_t syn = s.order[k];
          const auto j = static_cast<std::size_t>(p.pre[syn]);
          if (s.neuron_stamp[j] != neuron_stamp_) {
            s.neuron_stamp[j] = neuron_stamp_;
            s.add[j] = 0;
            s.touched.push_back(static_cast<std::int32_t>(j));
          }
          ++s.add[j];
          if (p.weight[syn] != 0) max_delay = std::max(max_delay, p.delay_of(syn));
        }
      }
    }
    return max_delay;
  }

  // Adds neuron i to the current block if every limit still holds.
  bool try_add(std::int32_t i) {
    const int max_delay = gather(i);
    const std::int32_t size = size_ + 1;
    const int depth = std::max(depth_, accumulator_depth_for(max_delay, limits_));
    std::int64_t inputs = inputs_;
    std::int64_t bits = 0;
    bool formats_changed = false;
    bool index_span_ok = true;
    for (auto& s : states_) {
      s.n_new = 0;
      if (s.dense)
        cost_dense(s, size);
      else
        index_span_ok = cost_sparse(s, i, formats_changed) && index_span_ok;
      if (s.n_new > 0 && s.active.empty()) formats_changed = true;
      inputs += s.n_new;
      bits += s.new_bits;
    }
    std::vector<core::SynapseFormat> formats;
    if (formats_changed) formats = attempt_formats();
    const std::int64_t outputs = std::int64_t{outputs_} + out_count_[static_cast<std::size_t>(i)];
    const auto n_formats =
        static_cast<std::int64_t>(formats_changed ? formats.size() : formats_.size());

    if (!limits_hold(size, depth, inputs, outputs, bits, n_formats, index_span_ok)) {
      lists_ = inputs;
      return false;
    }
    commit(i);
    size_ = size;
    depth_ = depth;
    inputs_ = static_cast<std::int32_t>(inputs);
    outputs_ = static_cast<std::int32_t>(outputs);
    bits_ = bits;
    if (formats_changed) formats_ = std::move(formats);
    return true;
  }

  // A dense projection with the attempt: sources new to the block, and every list one
  // synapse longer (a dense list spans the whole block).
  void cost_dense(ProjState& s, std::int32_t size) const {
    for (auto j : s.touched)
      if (s.block_stamp[static_cast<std::size_t>(j)] != block_stamp_) ++s.n_new;
    const auto lists = static_cast<std::int64_t>(s.active.size()) + s.n_new;
    s.new_bits = lists > 0 ? lists * core::synapse_list_bits(s.fmt, size) : 0;
    s.new_ib = 0;
  }

  // A sparse projection with neuron i: sources new to the block, the index width the offsets
  // from each list's first neuron need, and the bits of its lists at that width. Returns false
  // when the width exceeds the largest sparse index; sets formats_changed when it grew.
  bool cost_sparse(ProjState& s, std::int32_t i, bool& formats_changed) const {
    int ib = s.ib;
    for (auto j : s.touched) {
      const auto ju = static_cast<std::size_t>(j);
      if (s.block_stamp[ju] != block_stamp_)
        ++s.n_new;
      else
        ib = std::max(ib, sparse_index_bits(i - s.first[ju]));
    }
    const bool span_ok = ib <= core::kMaxSparseIndexBits;
    const core::SynapseFormat f = s.format_with(std::min(ib, core::kMaxSparseIndexBits));
    std::int64_t nb = 0;
    if (ib == s.ib) {
      nb = s.bits;
      for (auto j : s.touched) {
        const auto ju = static_cast<std::size_t>(j);
        const std::int64_t c0 = s.block_stamp[ju] == block_stamp_ ? s.count[ju] : 0;
        nb += core::synapse_list_bits(f, c0 + s.add[ju]) - core::synapse_list_bits(f, c0);
      }
    } else {  // the index width grew: every list of this projection costs more
      for (auto j : s.active) {
        const auto ju = static_cast<std::size_t>(j);
        const std::int64_t extra = s.neuron_stamp[ju] == neuron_stamp_ ? s.add[ju] : 0;
        nb += core::synapse_list_bits(f, s.count[ju] + extra);
      }
      for (auto j : s.touched) {
        const auto ju = static_cast<std::size_t>(j);
        if (s.block_stamp[ju] != block_stamp_) nb += core::synapse_list_bits(f, s.add[ju]);
      }
    }
    s.new_bits = nb;
    s.new_ib = ib;
    if (ib != s.ib && !s.active.empty()) formats_changed = true;
    return span_ok;
  }

  // The distinct formats of the projections with lists in the block after the attempt.
  std::vector<core::SynapseFormat> attempt_formats() const {
    std::vector<core::SynapseFormat> formats;
    for (const auto& s : states_) {
      if (s.active.empty() && s.n_new == 0) continue;
      const auto f = s.format_with(std::min(s.new_ib, core::kMaxSparseIndexBits));
      if (std::find(formats.begin(), formats.end(), f) == formats.end()) formats.push_back(f);
    }
    return formats;
  }

  // Checks every limit; remembers the first one broken (for the single-neuron message).
  bool limits_hold(std::int32_t size, int depth, std::int64_t inputs, std::int64_t outputs,
                   std::int64_t bits, std::int64_t n_formats, bool index_span_ok) {
    failed_ = Limit::kNone;
    if (size * cx_per_neuron_ > core::compartment_capacity(limits_, depth)) {
      failed_ = Limit::kCompartments;
      amount_ = depth;
    } else if (inputs > limits_.max_input_axons) {
      failed_ = Limit::kInputAxons;
      amount_ = inputs;
    } else if (outputs > limits_.max_output_axons) {
      failed_ = Limit::kOutputAxons;
      amount_ = outputs;
    } else if (bits > limits_.synapse_memory_bits) {
      failed_ = Limit::kSynapseBits;
      amount_ = bits;
    } else if (n_formats > limits_.max_synapse_formats) {
      failed_ = Limit::kFormats;
      amount_ = n_formats;
    } else if (!index_span_ok) {
      failed_ = Limit::kIndexSpan;
      amount_ = 0;
    }
    return failed_ == Limit::kNone;
  }

  // Neuron i joins the block: its synapses join the lists (new lists start at i).
  void commit(std::int32_t i) {
    for (auto& s : states_) {
      for (auto j : s.touched) {
        const auto ju = static_cast<std::size_t>(j);
        if (s.block_stamp[ju] != block_stamp_) {
          s.block_stamp[ju] = block_stamp_;
          s.count[ju] = s.add[ju];
          s.first[ju] = i;
          s.active.push_back(j);
        } else {
          s.count[ju] += s.add[ju];
        }
      }
      s.bits = s.new_bits;
      if (!s.dense) s.ib = s.new_ib;
    }
  }

  [[noreturn]] void fail_single(std::int32_t i) const {
    const std::string who = fmt::format("population '{}' neuron {}",
                                        ix_.populations[static_cast<std::size_t>(pop_)]->name, i);
    switch (failed_) {
      case Limit::kCompartments:
        throw InputError(fmt::format(
            "{}: its synaptic delays need an accumulator depth of {}, which leaves room for {} "
            "compartments per core (accumulator_slots {} / depth)",
            who, amount_, core::compartment_capacity(limits_, static_cast<int>(amount_)),
            limits_.accumulator_slots));
      case Limit::kInputAxons:
        throw InputError(fmt::format(
            "{}: its fan-in alone needs {} input axons (one per source neuron and projection), "
            "more than the per-core limit of {}",
            who, amount_, limits_.max_input_axons));
      case Limit::kOutputAxons:
        throw InputError(fmt::format(
            "{}: its fan-out alone needs {} output axons (one per synapse list it drives, i.e. "
            "per projection and target block), more than the per-core limit of {}",
            who, amount_, limits_.max_output_axons));
      case Limit::kSynapseBits:
        throw InputError(fmt::format(
            "{}: its fan-in alone needs {} bits of synapse memory ({} synapse lists), more than "
            "the per-core limit of {} bits",
            who, amount_, lists_, limits_.synapse_memory_bits));
      case Limit::kFormats:
        throw InputError(fmt::format(
            "{}: its fan-in alone needs {} synapse formats (distinct formats of the projections "
            "into it), more than the per-core limit of {}",
            who, amount_, limits_.max_synapse_formats));
      case Limit::kIndexSpan:
      case Limit::kNone:
        break;
    }
    throw std::logic_error(who + ": does not fit an empty core for no known reason");
  }

  const NetworkIndex& ix_;
  int pop_;
  int cx_per_neuron_;  // 2 with a dendrite, the members of a join group
  std::int32_t cap_;
  const core::CoreLimits& limits_;
  const std::vector<std::int32_t>& out_count_;
  std::vector<std::vector<std::int32_t>>& new_out_;
  std::vector<ProjState> states_;
  std::int32_t block_stamp_ = -1;
  std::int32_t neuron_stamp_ = -1;

  std::int32_t first_ = 0, size_ = 0;
  int depth_ = 8;
  std::int32_t inputs_ = 0, outputs_ = 0;
  std::int64_t bits_ = 0;
  std::vector<core::SynapseFormat> formats_;

  Limit failed_ = Limit::kNone;
  std::int64_t amount_ = 0;
  std::int64_t lists_ = 0;
};

// Every neuron of a join group lives on one core, so that core holds every member's profile.
void check_group_tables(const NetworkIndex& ix, int unit, const core::CoreLimits& limits) {
  std::vector<core::CompartmentProfile> profiles;
  std::set<std::int32_t> thresholds;
  for (int m : ix.members[static_cast<std::size_t>(unit)]) {
    const auto& f = ix.member_populations[static_cast<std::size_t>(m)]->profile;
    if (std::find(profiles.begin(), profiles.end(), f) == profiles.end()) profiles.push_back(f);
    thresholds.insert(f.vth_mant);
  }
  const std::string who = fmt::format("join group of population '{}' ({} populations)",
                                      ix.populations[static_cast<std::size_t>(unit)]->name,
                                      ix.members[static_cast<std::size_t>(unit)].size());
  if (static_cast<int>(profiles.size()) > limits.max_compartment_profiles)
    throw InputError(
        fmt::format("{}: its neurons need {} compartment profiles on one core, the "
                    "architecture allows {} per core",
                    who, profiles.size(), limits.max_compartment_profiles));
  if (static_cast<int>(thresholds.size()) > limits.max_threshold_profiles)
    throw InputError(
        fmt::format("{}: its neurons need {} distinct thresholds on one core, the "
                    "architecture allows {} per core",
                    who, thresholds.size(), limits.max_threshold_profiles));
}

void check_supported(const NetworkIndex& ix, const core::CoreLimits& limits) {
  if (limits.max_compartment_profiles < 1 || limits.max_threshold_profiles < 1)
    throw InputError("the architecture allows no compartment profiles per core");
  const auto check = [&](const std::string& who, const core::CompartmentProfile& f) {
    if (f.reset == core::ResetMode::kSubtract && !limits.allow_reset_subtract)
      throw InputError(
          fmt::format("{}: reset by subtraction is not available on this architecture", who));
    if (f.spike == core::SpikeKind::kGraded && !limits.allow_graded_spikes)
      throw InputError(fmt::format(
          "{}: graded spikes are not available on this architecture{}", who,
          f.neuron == core::NeuronModel::kSigmaDelta ? ", and a sigma_delta neuron sends them"
                                                     : ""));
  };
  for (std::size_t u = 0; u < ix.members.size(); ++u)
    if (ix.is_group(static_cast<int>(u))) check_group_tables(ix, static_cast<int>(u), limits);
  for (const auto* p : ix.member_populations) {
    check(fmt::format("population '{}'", p->name), p->profile);
    if (p->dendrite)
      check(fmt::format("population '{}' (dendrite)", p->name), p->dendrite->profile);
    if (p->dendrite && limits.max_compartment_profiles < 2)
      throw InputError(fmt::format(
          "population '{}': two-compartment neurons need 2 compartment profiles per core, the "
          "architecture allows {}",
          p->name, limits.max_compartment_profiles));
  }
  const int max_delay = limits.max_accumulator_depth - 2;
  for (std::size_t pi = 0; pi < ix.projections.size(); ++pi)
    if (ix.max_delay[pi] > max_delay)
      throw InputError(
          fmt::format("projection '{}': delay {} needs an accumulator depth of {}, "
                      "but the architecture allows at most {} (delays up to {})",
                      ix.projections[pi]->name, ix.max_delay[pi], ix.max_delay[pi] + 2,
                      limits.max_accumulator_depth, max_delay));
}

// Output-axon counts per population, per neuron.
using Counts = std::vector<std::vector<std::int32_t>>;

Counts zero_counts(const NetworkIndex& ix) {
  Counts c(ix.populations.size());
  for (std::size_t p = 0; p < c.size(); ++p)
    c[p].assign(static_cast<std::size_t>(ix.populations[p]->size), 0);
  return c;
}

// One pass over every population, its output axons counted with `checked` (the counts of the
// previous pass's split): from scratch with at most caps[p] neurons per block, or (`refine`
// given) re-splitting each block of *refine. `produced` gets the counts this split gives.
Partition split_pass(const NetworkIndex& ix, const core::CoreLimits& limits, const Counts& checked,
                     const Partition* refine, const std::vector<std::int32_t>& caps,
                     Counts& produced) {
  produced = zero_counts(ix);
  Partition cur;
  for (std::size_t p = 0; p < ix.populations.size(); ++p) {
    cur.first_block.push_back(static_cast<int>(cur.blocks.size()));
    PopulationSplitter splitter(ix, static_cast<int>(p), limits, caps[p], checked[p], produced);
    if (refine == nullptr) {
      splitter.split(0, ix.populations[p]->size, cur.blocks);
    } else {
      for (int b = refine->first_block[p]; b < refine->first_block[p + 1]; ++b) {
        const Block& old = refine->blocks[static_cast<std::size_t>(b)];
        splitter.split(old.first, old.first + old.count, cur.blocks);
      }
    }
  }
  cur.first_block.push_back(static_cast<int>(cur.blocks.size()));
  return cur;
}

std::vector<std::int32_t> population_sizes(const NetworkIndex& ix) {
  std::vector<std::int32_t> sizes;
  for (const auto* p : ix.populations) sizes.push_back(p->size);
  return sizes;
}

// `cur` was split with the counts `checked` and gives the counts `produced`. While the two
// differ, re-split every block of the last split with the counts it gives. Blocks only get
// finer, so counts only grow (a finer target split has more lists): this terminates, and when
// the counts checked equal those produced every block fits with its real output axons.
Partition refine_to_fixed_point(const NetworkIndex& ix, const core::CoreLimits& limits,
                                Partition cur, Counts checked, Counts produced) {
  const std::vector<std::int32_t> no_cap = population_sizes(ix);
  while (produced != checked) {
    checked = std::move(produced);
    Partition next = split_pass(ix, limits, checked, &cur, no_cap, produced);
    next.passes = cur.passes + 1;
    next.method = cur.method;
    next.stall_steps = cur.stall_steps;
    cur = std::move(next);
  }
  return cur;
}

// Pass 1 of both partitions: no cap and no output axons counted (no target split is known).
Partition first_pass(const NetworkIndex& ix, const core::CoreLimits& limits, Counts& produced) {
  Partition cur = split_pass(ix, limits, zero_counts(ix), nullptr, population_sizes(ix), produced);
  cur.passes = 1;
  return cur;
}

// A split as numbers: the blocks per population and each block's first neuron.
std::vector<std::int32_t> split_signature(const Partition& part) {
  std::vector<std::int32_t> sig(part.first_block.begin(), part.first_block.end());
  for (const auto& b : part.blocks) sig.push_back(b.first);
  return sig;
}

// Whether population p has the same blocks in both splits (false when b is no split yet).
bool same_blocks(const Partition& a, const Partition& b, std::size_t p) {
  if (b.first_block.empty()) return false;
  const auto range = [p](const Partition& x) {
    return std::pair(x.blocks.begin() + x.first_block[p], x.blocks.begin() + x.first_block[p + 1]);
  };
  const auto [a0, a1] = range(a);
  const auto [b0, b1] = range(b);
  return std::equal(a0, a1, b0, b1, [](const Block& x, const Block& y) {
    return x.first == y.first && x.count == y.count;
  });
}

// Continues from `cur`, split with the counts `checked`, giving the counts `produced`: while
// a population needed more blocks than k_p, or the counts are not yet consistent, split every
// population afresh into blocks of at most ceil(size / k_p) neurons.
Partition balance(const NetworkIndex& ix, const core::CoreLimits& limits,
                  const BalanceGuards& guards, Partition cur, Counts checked, Counts produced) {
  const std::size_t n_pop = ix.populations.size();
  std::vector<std::int32_t> k(n_pop, 1), caps(n_pop);
  Partition prev;
  std::set<std::vector<std::int32_t>> seen;  // splits since k_p last grew (split_signature)
  int stalled = 0;                           // passes in a row in which no k_p grew
  int stall_steps = 0;
  for (;;) {
    cur.stall_steps = stall_steps;
    // A population that needed more blocks than k_p is re-split evenly into that many: its
    // blocks closed early on some limit and left a short block at its end.
    bool grew = false;
    for (std::size_t p = 0; p < n_pop; ++p) {
      const std::int32_t blocks = cur.first_block[p + 1] - cur.first_block[p];
      if (blocks > k[p]) k[p] = blocks, grew = true;
    }
    if (!grew && produced == checked) {
      cur.method = PartitionMethod::kBalanced;
      return cur;
    }
    if (cur.passes >= guards.max_passes) {
      cur.method = PartitionMethod::kBalancedRefined;
      return refine_to_fixed_point(ix, limits, std::move(cur), std::move(checked),
                                   std::move(produced));
    }
    // Counts that keep changing at the same k_p mean blocks that sit at the edge of the
    // output-axon limit: each split shifts a boundary, which changes the counts, which shifts
    // it back. One block more in each population that is still moving gives them slack. (A
    // converged split returned above, so a split seen before is a cycle of two or more.)
    stalled = grew ? 0 : stalled + 1;
    if (grew) seen.clear();
    const bool cycle = guards.detect_cycles && !seen.insert(split_signature(cur)).second;
    if (cycle || stalled >= guards.stall_passes) {
      seen.clear();
      for (std::size_t p = 0; p < n_pop; ++p)
        if (!same_blocks(cur, prev, p) && k[p] < ix.populations[p]->size) ++k[p];
      stalled = 0;
      ++stall_steps;
    }
    checked = std::move(produced);
    for (std::size_t p = 0; p < n_pop; ++p) {
      const std::int32_t size = ix.populations[p]->size;
      caps[p] = size / k[p] + (size % k[p] != 0 ? 1 : 0);
    }
    const int passes = cur.passes;
    prev = std::move(cur);
    cur = split_pass(ix, limits, checked, nullptr, caps, produced);
    cur.passes = passes + 1;
  }
}

}  // namespace

Partition partition_network(const NetworkIndex& ix, const core::CoreLimits& limits) {
  check_supported(ix, limits);
  Counts produced;
  Partition first = first_pass(ix, limits, produced);
  return refine_to_fixed_point(ix, limits, std::move(first), zero_counts(ix), std::move(produced));
}

Partition partition_balanced(const NetworkIndex& ix, const core::CoreLimits& limits,
                             const BalanceGuards& guards) {
  check_supported(ix, limits);
  Counts produced;
  Partition first = first_pass(ix, limits, produced);
  return balance(ix, limits, guards, std::move(first), zero_counts(ix), std::move(produced));
}

PartitionCandidates partition_candidates(const NetworkIndex& ix, const core::CoreLimits& limits) {
  check_supported(ix, limits);
  Counts produced;
  Partition first = first_pass(ix, limits, produced);
  PartitionCandidates c;
  try {
    c.refined = refine_to_fixed_point(ix, limits, first, zero_counts(ix), produced);
  } catch (const InputError& e) {
    c.refined_error = e.what();
  }
  try {
    c.balanced = balance(ix, limits, {}, std::move(first), zero_counts(ix), std::move(produced));
  } catch (const InputError& e) {
    c.balanced_error = e.what();
  }
  if (!c.refined && !c.balanced) throw InputError(c.refined_error);
  return c;
}

// A set of lists is a set of blocks of 1..64 synapses, each costing its own rounded size, and
// any such set of blocks can be realised as lists: the cheapest is an unbounded knapsack over
// block sizes. Let c be the block size of the least cost per synapse. Among any c blocks some
// have a size sum divisible by c (pigeonhole on prefix sums), and replacing them by blocks of c
// costs no more; so some cheapest cut has fewer than c other blocks, at most 64 (c - 1)
// synapses, and for n above that, cheapest(n) = cheapest(n - c) + cost(c). A table up to
// 64 x 64 synapses and that step give every n.
CheapestListBits::CheapestListBits(int per_synapse) : per_synapse_(per_synapse), best_{0} {
  for (std::int64_t m = 2; m <= core::kSynapsesPerBlock; ++m)
    if (block_bits(m) * step_ < block_bits(step_) * m) step_ = m;
}

std::int64_t CheapestListBits::block_bits(std::int64_t m) const {
  return (m * per_synapse_ + core::kSynapseBlockHeaderBits + 63) / 64 * 64;
}

std::int64_t CheapestListBits::operator()(std::int64_t n) {
  constexpr std::int64_t kBlock = core::kSynapsesPerBlock;
  constexpr std::int64_t kTable = kBlock * kBlock;
  std::int64_t steps = 0;
  if (n > kTable) {
    steps = (n - kTable + step_ - 1) / step_;
    n -= steps * step_;
  }
  for (auto m = static_cast<std::int64_t>(best_.size()); m <= n; ++m) {
    std::int64_t b = best_[static_cast<std::size_t>(m - 1)] + block_bits(1);
    for (std::int64_t s = 2; s <= std::min(m, kBlock); ++s)
      b = std::min(b, best_[static_cast<std::size_t>(m - s)] + block_bits(s));
    best_.push_back(b);
  }
  return best_[static_cast<std::size_t>(n)] + steps * block_bits(step_);
}

std::int64_t min_synapse_bits(int per_synapse, std::int64_t n) {
  return CheapestListBits(per_synapse)(n);
}

namespace {

// The per-synapse bits of a projection's lists at their narrowest: sparse lists with the
// fewest index bits, dense lists (which span their block) with none.
int narrowest_synapse_bits(const Projection& p) {
  core::SynapseFormat f = p.format;
  f.index_bits = p.dense ? 0 : core::kMinSparseIndexBits;
  return f.weight_bits + f.delay_bits + f.tag_bits + f.index_bits;
}

// Adds projection pi's fan-in to `d`: per source neuron with synapses one input axon (and one
// output axon from a population), and the cheapest bits of its synapses; and raises `depth`
// (per target neuron) to what the delays of its nonzero weights need.
void add_projection_demand(const NetworkIndex& ix, int pi, const core::CoreLimits& limits,
                           std::map<int, CheapestListBits>& cheapest, MinimalDemand& d,
                           std::vector<int>& depth) {
  const auto piu = static_cast<std::size_t>(pi);
  const Projection& p = *ix.projections[piu];
  const auto n_src = static_cast<std::size_t>(ix.source_size[piu]);
  std::vector<std::int64_t> synapses(n_src, 0);  // per source: dense nonzeros, sparse synapses
  const auto need = [&](std::size_t target, std::size_t k) {
    depth[target] = std::max(depth[target], accumulator_depth_for(p.delay_of(k), limits));
  };
  if (p.dense) {
    for (std::size_t k = 0; k < p.weight.size(); ++k)
      if (p.weight[k] != 0) ++synapses[k % n_src], need(k / n_src, k);
  } else {
    for (std::size_t k = 0; k < p.weight.size(); ++k) {
      ++synapses[static_cast<std::size_t>(p.pre[k])];
      if (p.weight[k] != 0) need(static_cast<std::size_t>(p.post[k]), k);
    }
  }
  const int per_synapse = narrowest_synapse_bits(p);
  auto& bits = cheapest.try_emplace(per_synapse, per_synapse).first->second;
  for (const std::int64_t n : synapses) {
    if (n == 0) continue;
    ++d.input_axons;
    if (ix.source_population[piu] >= 0) ++d.output_axons;
    d.synapse_bits += bits(n);
  }
}

// Distinct profiles and thresholds of all populations (and dendrites), and distinct formats of
// the projections with synapses, sparse formats by their base (index width set by the split).
void add_table_demand(const NetworkIndex& ix, MinimalDemand& d) {
  std::vector<core::CompartmentProfile> profiles;
  std::set<std::int32_t> thresholds;
  const auto add = [&](const core::CompartmentProfile& f) {
    if (std::find(profiles.begin(), profiles.end(), f) == profiles.end()) profiles.push_back(f);
    thresholds.insert(f.vth_mant);
  };
  for (const auto* p : ix.member_populations) {
    add(p->profile);
    if (p->dendrite) add(p->dendrite->profile);
  }
  std::set<std::tuple<int, int, int, int, int, bool>> formats;
  for (const auto* p : ix.projections) {
    const bool lists = p->dense ? std::any_of(p->weight.begin(), p->weight.end(),
                                              [](std::int16_t w) { return w != 0; })
                                : !p->weight.empty();
    if (!lists) continue;  // a dense projection has lists only for its nonzero weights
    const auto& f = p->format;
    formats.emplace(f.weight_bits, static_cast<int>(f.sign), f.weight_exp, f.delay_bits, f.tag_bits,
                    p->dense);
  }
  d.profiles = static_cast<int>(profiles.size());
  d.thresholds = static_cast<int>(thresholds.size());
  d.formats = static_cast<int>(formats.size());
}

}  // namespace

MinimalDemand minimal_demand(const NetworkIndex& ix, const core::CoreLimits& limits) {
  MinimalDemand d;
  std::map<int, CheapestListBits> cheapest;  // by bits per synapse
  for (std::size_t p = 0; p < ix.populations.size(); ++p) {
    const Population& pop = *ix.populations[p];
    std::vector<int> depth(static_cast<std::size_t>(pop.size), limits.min_accumulator_depth);
    for (int pi : ix.incoming[p]) add_projection_demand(ix, pi, limits, cheapest, d, depth);
    const int cx = ix.compartments_per_neuron(static_cast<int>(p));
    d.compartments += std::int64_t{pop.size} * cx;
    for (int dep : depth) d.accumulator_slots += std::int64_t{cx} * dep;
  }
  add_table_demand(ix, d);
  return d;
}

}  // namespace loihisim::mapper
