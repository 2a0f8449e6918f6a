#include "mapper/partition.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <bit>

#include "io/errors.hpp"

namespace loihisim::mapper {

int accumulator_depth_for(int max_delay, const core::CoreLimits& limits) {
  return std::max(limits.min_accumulator_depth, max_delay + 2);
}

int sparse_index_bits(std::int32_t max_offset) {
  const int bits = static_cast<int>(std::bit_width(static_cast<std::uint32_t>(max_offset)));
  return std::max(core::kMinSparseIndexBits, bits);
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
  PopulationSplitter(const NetworkIndex& ix, int pop, const core::CoreLimits& limits,
                     const std::vector<std::int32_t>& out_count,
                     std::vector<std::vector<std::int32_t>>& new_out)
      : ix_(ix),
        pop_(pop),
        cx_per_neuron_(ix.populations[static_cast<std::size_t>(pop)]->compartments_per_neuron()),
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
      if (try_add(i)) {
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
  int cx_per_neuron_;  // 2 for two-compartment neurons (a dendrite and a soma each)
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

void check_supported(const NetworkIndex& ix, const core::CoreLimits& limits) {
  if (limits.max_compartment_profiles < 1 || limits.max_threshold_profiles < 1)
    throw InputError("the architecture allows no compartment profiles per core");
  const auto check = [&](const std::string& who, const core::CompartmentProfile& f) {
    if (f.reset == core::ResetMode::kSubtract && !limits.allow_reset_subtract)
      throw InputError(
          fmt::format("{}: reset by subtraction is not available on this architecture", who));
    if (f.spike == core::SpikeKind::kGraded && !limits.allow_graded_spikes)
      throw InputError(
          fmt::format("{}: graded spikes are not available on this architecture", who));
  };
  for (const auto* p : ix.populations) {
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

}  // namespace

Partition partition_network(const NetworkIndex& ix, const core::CoreLimits& limits) {
  check_supported(ix, limits);
  const std::size_t n_pop = ix.populations.size();
  std::vector<std::vector<std::int32_t>> out_count(n_pop);
  for (std::size_t p = 0; p < n_pop; ++p)
    out_count[p].assign(static_cast<std::size_t>(ix.populations[p]->size), 0);

  Partition prev;
  for (int pass = 1;; ++pass) {
    std::vector<std::vector<std::int32_t>> new_out(n_pop);
    for (std::size_t p = 0; p < n_pop; ++p)
      new_out[p].assign(static_cast<std::size_t>(ix.populations[p]->size), 0);
    Partition cur;
    cur.passes = pass;
    for (std::size_t p = 0; p < n_pop; ++p) {
      cur.first_block.push_back(static_cast<int>(cur.blocks.size()));
      PopulationSplitter splitter(ix, static_cast<int>(p), limits, out_count[p], new_out);
      if (pass == 1) {
        splitter.split(0, ix.populations[p]->size, cur.blocks);
      } else {  // refine the previous pass's blocks
        for (int b = prev.first_block[p]; b < prev.first_block[p + 1]; ++b) {
          const Block& old = prev.blocks[static_cast<std::size_t>(b)];
          splitter.split(old.first, old.first + old.count, cur.blocks);
        }
      }
    }
    cur.first_block.push_back(static_cast<int>(cur.blocks.size()));
    // The output-axon counts checked in this pass were those of the previous pass's targets;
    // when they equal the counts these blocks produce, every limit holds for this split.
    if (new_out == out_count) return cur;
    out_count = std::move(new_out);
    prev = std::move(cur);
  }
}

}  // namespace loihisim::mapper
