// The mapper: partitioning under every per-core limit (exact blocks, axons and bits worked out by
// hand), packing, placement (greedy and METIS), the mapped image and its validity.
#include <doctest/doctest.h>
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>
#include <string>

#include "core/chip.hpp"
#include "core/mesh_router.hpp"
#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "mapper/network_index.hpp"
#include "mapper/network_io.hpp"
#include "mapper/partition.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace loihisim;
using namespace loihisim::mapper;

namespace {

using loihisim::testing::TempDir;

core::Architecture test_arch(int chips_x = 1, int chips_y = 1) {
  core::Architecture a;
  a.name = "test";
  a.mesh.chips_x = chips_x;
  a.mesh.chips_y = chips_y;
  return a;
}

Population make_population(const std::string& name, std::int32_t size, std::int32_t vth = 100) {
  Population p;
  p.name = name;
  p.size = size;
  p.profile.vth_mant = vth;
  return p;
}

Projection sparse_projection(const std::string& name, const std::string& src,
                             const std::string& dst,
                             const std::vector<std::pair<std::int32_t, std::int32_t>>& pairs,
                             std::int16_t weight = 64, core::SynapseFormat fmt = {}) {
  Projection p;
  p.name = name;
  p.source = src;
  p.target = dst;
  p.dense = false;
  p.format = fmt;
  for (auto [pre, post] : pairs) {
    p.pre.push_back(pre);
    p.post.push_back(post);
    p.weight.push_back(weight);
  }
  return p;
}

Projection dense_projection(const std::string& name, const std::string& src, const std::string& dst,
                            std::int32_t n_dst, std::int32_t n_src, std::int16_t weight = 2) {
  Projection p;
  p.name = name;
  p.source = src;
  p.target = dst;
  p.dense = true;
  p.weight.assign(static_cast<std::size_t>(n_dst) * static_cast<std::size_t>(n_src), weight);
  return p;
}

Partition split(const Network& net, const core::CoreLimits& limits = {}) {
  const NetworkIndex ix = index_network(net);
  return partition_network(ix, limits);
}

std::vector<std::pair<std::int32_t, std::int32_t>> block_ranges(const Partition& p, int pop) {
  std::vector<std::pair<std::int32_t, std::int32_t>> r;
  for (int b = p.first_block[static_cast<std::size_t>(pop)];
       b < p.first_block[static_cast<std::size_t>(pop) + 1]; ++b)
    r.emplace_back(
        p.blocks[static_cast<std::size_t>(b)].first,
        p.blocks[static_cast<std::size_t>(b)].first + p.blocks[static_cast<std::size_t>(b)].count);
  return r;
}

using Ranges = std::vector<std::pair<std::int32_t, std::int32_t>>;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A random recurrent network of `pops` populations with sparse projections and delays (seeded):
// p_k receives from the input port (k = 0) or p_(k-1), and from p_(k+1) (a ring).
Network random_network(int pops, std::int32_t size, int fan_in, std::uint64_t seed) {
  Network net;
  net.name = "random";
  std::mt19937_64 rng(seed);
  net.add_input_port({"in", size});
  for (int k = 0; k < pops; ++k) {
    auto p = make_population("p" + std::to_string(k), size, 50 + k);
    p.profile.decay_u = 1024;
    p.profile.decay_v = 128;
    for (std::int32_t i = 0; i < size; ++i) {
      p.bias_mant.push_back(static_cast<std::int32_t>(rng() % 300));
      p.bias_exp.push_back(2);
    }
    net.add_population(std::move(p));
  }
  for (int k = 0; k < pops; ++k) {
    const std::string src = k == 0 ? "in" : "p" + std::to_string(k - 1);
    for (const std::string& s : {src, "p" + std::to_string((k + 1) % pops)}) {
      std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
      for (std::int32_t t = 0; t < size; ++t)
        for (int f = 0; f < fan_in; ++f)
          pairs.emplace_back(static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(size)),
                             t);
      auto p =
          sparse_projection(s + "_to_p" + std::to_string(k), s, "p" + std::to_string(k), pairs);
      p.format.delay_bits = 2;
      for (std::size_t i = 0; i < p.weight.size(); ++i) {
        p.weight[i] = static_cast<std::int16_t>(2 * (static_cast<int>(rng() % 126) - 50));
        p.delay.push_back(static_cast<std::uint8_t>(rng() % 4));
      }
      net.add_projection(std::move(p));
    }
  }
  for (int k = 0; k < pops; ++k)
    net.add_output_port({"out" + std::to_string(k), "p" + std::to_string(k)});
  return net;
}

// The shape of bench/random_network.py at a small scale: n neurons, each projecting to `fanout`
// distinct random targets other than itself (seeded), 80 % excitatory; written as one
// population (split 1) or, with the same synapses, as `split` populations of n / split
// neurons with one sparse projection per connected pair (the hand split).
Network random_recurrent(std::int32_t n, int fanout, int split, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::int32_t, std::int32_t>> synapses;
  for (std::int32_t i = 0; i < n; ++i) {
    std::vector<std::int32_t> others;
    for (std::int32_t t = 0; t < n; ++t)
      if (t != i) others.push_back(t);
    // A partial Fisher-Yates shuffle spelled out: std::shuffle differs between libraries.
    for (std::size_t k = 0; k < static_cast<std::size_t>(fanout); ++k)
      std::swap(others[k], others[k + rng() % (others.size() - k)]);
    others.resize(static_cast<std::size_t>(fanout));
    std::sort(others.begin(), others.end());
    for (auto t : others) synapses.emplace_back(i, t);
  }
  Network net;
  net.name = "random_recurrent";
  const std::int32_t size = n / split;
  for (int p = 0; p < split; ++p)
    net.add_population(make_population("lif" + std::to_string(p), size));
  for (int a = 0; a < split; ++a)
    for (int b = 0; b < split; ++b) {
      std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
      for (auto [pre, post] : synapses)
        if (pre / size == a && post / size == b)
          pairs.emplace_back(pre - a * size, post - b * size);
      if (pairs.empty()) continue;
      auto proj = sparse_projection(fmt::format("r{}_{}", a, b), "lif" + std::to_string(a),
                                    "lif" + std::to_string(b), pairs, 2);
      for (std::size_t k = 0; k < pairs.size(); ++k)
        if (static_cast<std::size_t>(pairs[k].first + a * size) >=
            static_cast<std::size_t>(n) * 4 / 5)
          proj.weight[k] = -12;
      net.add_projection(std::move(proj));
    }
  return net;
}

// Per-core limits of loihi1 scaled down by 8 (4096 -> 512 neurons): a quarter of the network
// per core in compartments, as many axons as neurons, 1/8 of the synapse memory.
core::Architecture scaled_arch() {
  core::Architecture a = test_arch();
  a.core.max_compartments = 128;
  a.core.accumulator_slots = 1024;
  a.core.max_input_axons = 512;
  a.core.max_output_axons = 512;
  a.core.synapse_memory_bits = 131072;
  return a;
}

// Checks, independently of the partitioner, that every block of `part` fits `limits` with the
// output axons its neurons really have: one per (projection, target block) they have synapses
// into, recounted here from the synapses (sparse projections only).
void check_consistent(const Network& net, const Partition& part, const core::CoreLimits& limits) {
  const NetworkIndex ix = index_network(net);
  std::vector<std::vector<std::int32_t>> out(ix.populations.size());
  for (std::size_t p = 0; p < out.size(); ++p)
    out[p].assign(static_cast<std::size_t>(ix.populations[p]->size), 0);
  for (std::size_t pi = 0; pi < ix.projections.size(); ++pi) {
    const Projection& proj = *ix.projections[pi];
    REQUIRE_FALSE(proj.dense);
    const int src = ix.source_population[pi];
    if (src < 0) continue;
    std::set<std::pair<std::int32_t, int>> lists;  // (source neuron, target block)
    for (std::size_t k = 0; k < proj.pre.size(); ++k)
      lists.emplace(proj.pre[k], part.block_of(ix.target_population[pi], proj.post[k]));
    for (const auto& l : lists)
      ++out[static_cast<std::size_t>(src)][static_cast<std::size_t>(l.first)];
  }
  for (const Block& b : part.blocks) {
    std::int32_t axons = 0;
    for (std::int32_t i = b.first; i < b.first + b.count; ++i)
      axons += out[static_cast<std::size_t>(b.population)][static_cast<std::size_t>(i)];
    CAPTURE(b.population);
    CAPTURE(b.first);
    CHECK(b.demand.output_axons == axons);
    CHECK(axons <= limits.max_output_axons);
    CHECK(b.demand.input_axons <= limits.max_input_axons);
    CHECK(b.demand.synapse_bits <= limits.synapse_memory_bits);
    CHECK(b.demand.compartments <= core::compartment_capacity(limits, b.demand.accumulator_depth));
  }
}

// Small random networks on tiny cores (seeded): 1 to 3 populations of 4..43 neurons, random
// sparse projections between some pairs, limits of a few compartments and axons. A search over
// seeds found the ones the test below uses.
Network small_random_network(std::uint64_t seed, core::Architecture& arch) {
  std::mt19937_64 rng(seed);
  const int pops = 1 + static_cast<int>(rng() % 3);
  Network net;
  std::vector<std::int32_t> sizes;
  for (int p = 0; p < pops; ++p) {
    sizes.push_back(4 + static_cast<std::int32_t>(rng() % 40));
    net.add_population(make_population("p" + std::to_string(p), sizes.back(), 100 + p));
  }
  for (int a = 0; a < pops; ++a)
    for (int b = 0; b < pops; ++b) {
      if (rng() % 2) continue;
      std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
      const int n = static_cast<int>(rng() % 200);
      for (int k = 0; k < n; ++k) {
        const auto post = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(sizes[b]));
        const auto pre = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(sizes[a]));
        pairs.emplace_back(pre, post);
      }
      if (!pairs.empty())
        net.add_projection(sparse_projection(fmt::format("r{}_{}", a, b), "p" + std::to_string(a),
                                             "p" + std::to_string(b), pairs));
    }
  arch = test_arch();
  arch.core.max_compartments = 2 + static_cast<int>(rng() % 16);
  arch.core.accumulator_slots = arch.core.max_compartments * 8;
  arch.core.max_input_axons = 8 + static_cast<int>(rng() % 64);
  arch.core.max_output_axons = 4 + static_cast<int>(rng() % 32);
  arch.core.synapse_memory_bits = 64 * (4 + static_cast<int>(rng() % 64));
  return net;
}

const PartitionCandidate& candidate(const MapReport& r, const std::string& method) {
  for (const auto& c : r.partitions)
    if (c.method == method) return c;
  FAIL("no partition " << method);
  return r.partitions.front();
}

}  // namespace

TEST_CASE("mapper: the tiny example maps exactly as worked out by hand") {
  const Network net = read_network(fs::path(LOIHISIM_SOURCE_DIR) / "examples/networks/tiny.yaml");
  MapOptions opt;
  opt.placer = Placer::kGreedy;
  const MapResult r = map_network(net, test_arch(), opt);
  const MappedImage& img = r.image;
  REQUIRE(r.report.cores_used == 1);
  REQUIRE(img.cores.size() == 128);  // one chip; the other 127 cores are idle
  CHECK(img.cores_used() == 1);
  const core::CoreConfig& c = img.cores[0];

  // hidden[0:3] then out[0:2] share core 0.
  REQUIRE(img.populations.size() == 2);
  CHECK(img.populations[0].blocks == std::vector<BlockSite>{{0, 3, 0, 0}});
  CHECK(img.populations[1].blocks == std::vector<BlockSite>{{0, 2, 0, 3}});
  REQUIRE(c.compartments.size() == 5);
  CHECK(c.compartments[1].bias_mant == 10);
  CHECK(c.compartments[2].bias_mant == -10);
  CHECK(c.compartments[1].bias_exp == 2);
  // out: bias 0.05 x scale 6400 = 320 fits 13 bits at exponent 0.
  CHECK(c.compartments[3].bias_mant == 320);
  CHECK(c.compartments[3].bias_exp == 0);
  REQUIRE(c.profiles.size() == 2);
  CHECK(c.profiles[1].decay_u == 905);  // round(4095 (1 - e^-1/4) - 1)
  CHECK(c.profiles[1].decay_v == 248);  // round(4095 (1 - e^-1/16))
  CHECK(c.profiles[1].vth_mant == 100);

  // Formats: the dense 8-bit mixed format, and the sparse one with 6 index bits.
  REQUIRE(c.formats.size() == 2);
  CHECK(c.formats[0] == core::SynapseFormat{8, core::SignMode::kMixed, 0, 0, 0, 0});
  CHECK(c.formats[1] == core::SynapseFormat{6, core::SignMode::kExcitatory, 1, 2, 6, 0});

  // Input axons: 4 dense lists (every input column has a nonzero weight), then 3 sparse lists.
  REQUIRE(c.input_axons.size() == 7);
  REQUIRE(c.synapse_lists.size() == 7);
  for (int a = 0; a < 4; ++a) {
    CHECK(c.input_axons[static_cast<std::size_t>(a)].base == 0);
    CHECK(c.synapse_lists[static_cast<std::size_t>(a)].mantissa.size() == 3);  // spans the block
  }
  CHECK(c.synapse_lists[3].mantissa == std::vector<std::int32_t>{0, 0, 254});
  // hidden 2 -> out 1 (2.0 x 100 = 200) and -> out 0 (0.25 x 100 = 25 -> 24: 6 excitatory bits
  // keep multiples of 4), ordered by target; base = out's first compartment (3).
  const auto& l6 = c.synapse_lists[6];
  CHECK(l6.mantissa == std::vector<std::int32_t>{24, 200});
  CHECK(l6.index == std::vector<std::int32_t>{0, 1});
  CHECK(l6.delay == std::vector<std::int32_t>{0, 2});
  CHECK(c.input_axons[6].base == 3);
  CHECK(c.synapse_lists[5].mantissa == std::vector<std::int32_t>{52});  // 0.5 x 100 = 50 -> 52
  CHECK(c.synapse_lists[5].delay == std::vector<std::int32_t>{1});
  CHECK(c.synapse_lists[4].delay.empty());  // all-zero delays are not stored

  // Synapse bits: dense lists 3 x 8 + 10 = 34 -> 64 bits each (4 x 64 = 256); sparse lists of 1
  // or 2 synapses of 6 + 2 + 6 bits: 24 or 38 -> 64 bits each (3 x 64 = 192).
  CHECK(core::synapse_memory_bits(c) == 448);
  CHECK(c.accumulator_depth == 8);  // largest delay 2 needs only 4

  // Output axons: hidden neuron k drives the sparse list of input axon 4 + k.
  REQUIRE(c.output_axons.size() == 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(c.output_axons[static_cast<std::size_t>(k)].source == k);
    CHECK(c.output_axons[static_cast<std::size_t>(k)].dest_core == 0);
    CHECK(c.output_axons[static_cast<std::size_t>(k)].dest_axon == 4 + k);
  }
  // Host side.
  REQUIRE(img.input_ports.size() == 1);
  CHECK(img.input_ports[0].offsets == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(img.input_ports[0].axons == std::vector<AxonSite>{{0, 0}, {0, 1}, {0, 2}, {0, 3}});
  REQUIRE(img.output_ports.size() == 1);
  CHECK(img.output_ports[0].neurons == std::vector<CompartmentSite>{{0, 3}, {0, 4}});

  // Report: demand and bound; both partitions make the same blocks, the refined one is kept.
  CHECK(r.report.lower_bound == 1);
  CHECK(r.report.network_lower_bound == 1);
  CHECK(r.report.partition == "refined");
  REQUIRE(r.report.cores.size() == 1);
  CHECK(r.report.cores[0].input_axons == 7);
  CHECK(r.report.cores[0].output_axons == 3);
  CHECK(r.report.cores[0].synapse_bits == 448);
  CHECK(r.report.cores[0].thresholds == 1);
  // Messages: 3 output axons x rate 0.1, all on core 0.
  REQUIRE(r.report.greedy);
  CHECK(r.report.greedy->messages == doctest::Approx(0.3));
  CHECK(r.report.greedy->inter_core_messages == 0);
}

TEST_CASE("mapper: 1025 compartments split into 1024 + 1") {
  Network net;
  net.add_population(make_population("big", 1025));
  const auto p = split(net);
  CHECK(block_ranges(p, 0) == Ranges{{0, 1024}, {1024, 1025}});
  CHECK(p.blocks[0].demand.compartments == 1024);

  // A small population is packed with the 1-neuron tail; the bound says 2 cores.
  net.add_population(make_population("small", 10, 7));
  const auto r = map_network(net, test_arch());
  CHECK(r.report.cores_used == 2);
  CHECK(r.report.lower_bound == 2);
  CHECK(r.image.populations[1].blocks[0].core == r.image.populations[0].blocks[1].core);
}

TEST_CASE("mapper: delays deepen the accumulator and shrink the compartment capacity") {
  // Delay 14 needs an accumulator depth of 16, leaving 8192 / 16 = 512 compartments per core.
  Network net;
  net.add_input_port({"in", 1});
  net.add_population(make_population("t", 513));
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  for (std::int32_t i = 0; i < 513; ++i) pairs.emplace_back(0, i);
  auto p = sparse_projection("in_t", "in", "t", pairs);
  p.format.delay_bits = 4;
  p.uniform_delay = 14;
  net.add_projection(std::move(p));
  const auto part = split(net);
  CHECK(block_ranges(part, 0) == Ranges{{0, 512}, {512, 513}});
  CHECK(part.blocks[0].demand.accumulator_depth == 16);
  const auto r = map_network(net, test_arch());
  CHECK(r.image.cores[static_cast<std::size_t>(r.image.populations[0].blocks[0].core)]
            .accumulator_depth == 16);
}

TEST_CASE("mapper: input axons just over the limit split the target") {
  // Neuron i receives one synapse from each of sources 5i .. 5i+4: 5 input axons per neuron, so
  // 819 neurons use 4095 of the 4096 input axons and neuron 819 starts a new block.
  Network net;
  net.add_input_port({"src", 4100});
  net.add_population(make_population("t", 820));
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  for (std::int32_t i = 0; i < 820; ++i)
    for (int k = 0; k < 5; ++k) pairs.emplace_back(5 * i + k, i);
  net.add_projection(sparse_projection("src_t", "src", "t", pairs));
  const auto part = split(net);
  CHECK(block_ranges(part, 0) == Ranges{{0, 819}, {819, 820}});
  CHECK(part.blocks[0].demand.input_axons == 4095);
  CHECK(part.blocks[1].demand.input_axons == 5);
  // Each list holds one 8-bit synapse with 6 index bits: 8 + 6 + 10 = 24 -> 64 bits.
  CHECK(part.blocks[0].demand.synapse_bits == 4095 * 64);
}

TEST_CASE("mapper: output axons just over the limit split the source (fixed point)") {
  // Each of the 100 source neurons drives one list in each of 41 single-neuron targets: 41
  // output axons per neuron; 99 neurons use 4059 of 4096, the 100th starts a new block. The
  // first pass cannot know this (it counts output axons from the previous pass's targets, and
  // there is none): pass 2 splits with the counts of pass 1 and finds them unchanged.
  Network net;
  net.add_population(make_population("s", 100));
  for (int k = 0; k < 41; ++k) {
    const std::string t = "t" + std::to_string(k);
    net.add_population(make_population(t, 1, 100 + k % 8));
    net.add_projection(dense_projection("s_" + t, "s", t, 1, 100));
  }
  const auto part = split(net);
  CHECK(block_ranges(part, 0) == Ranges{{0, 99}, {99, 100}});
  CHECK(part.blocks[0].demand.output_axons == 99 * 41);
  CHECK(part.blocks[1].demand.output_axons == 41);
  CHECK(part.passes == 2);
  const auto r = map_network(net, test_arch());
  CHECK(core::validate(chip_config(r.image)).empty());
}

TEST_CASE("mapper: synapse memory just over the limit splits the target") {
  // 2048 dense 8-bit lists that span the block: a block of m <= 64 neurons costs
  // ceil((8m + 10) / 64) words of 64 bits per list. m = 62: 506 -> 512 bits, x 2048 = 1048576
  // bits, exactly the capacity; m = 63 would need 576 bits per list.
  Network net;
  net.add_input_port({"in", 2048});
  net.add_population(make_population("t", 63));
  net.add_projection(dense_projection("in_t", "in", "t", 63, 2048));
  const auto part = split(net);
  CHECK(block_ranges(part, 0) == Ranges{{0, 62}, {62, 63}});
  CHECK(part.blocks[0].demand.synapse_bits == 1048576);
  CHECK(part.blocks[1].demand.synapse_bits == 2048 * 64);
  CHECK(part.blocks[0].demand.input_axons == 2048);
}

TEST_CASE("mapper: more than 8 synapse formats split the target") {
  // Nine projections with nine distinct formats, each into its own neuron of t.
  Network net;
  net.add_input_port({"in", 1});
  net.add_population(make_population("t", 9));
  const int bits[] = {1, 2, 3, 4, 5, 6, 8};
  for (int k = 0; k < 9; ++k) {
    core::SynapseFormat f;
    f.weight_bits = bits[k % 7];
    f.sign = k < 7 ? core::SignMode::kExcitatory : core::SignMode::kInhibitory;
    net.add_projection(sparse_projection("p" + std::to_string(k), "in", "t", {{0, k}}, 0, f));
  }
  const auto part = split(net);
  CHECK(block_ranges(part, 0) == Ranges{{0, 8}, {8, 9}});
  CHECK(part.blocks[0].demand.formats.size() == 8);
}

TEST_CASE("mapper: sparse index bits follow the widest list span") {
  // One source drives neurons 0 and 200 of t: offsets 0 and 200 need 8 index bits.
  Network net;
  net.add_input_port({"in", 2});
  net.add_population(make_population("t", 300));
  net.add_projection(sparse_projection("p", "in", "t", {{0, 0}, {0, 200}, {1, 5}}));
  const auto r = map_network(net, test_arch());
  const auto& c = r.image.cores[static_cast<std::size_t>(r.image.populations[0].blocks[0].core)];
  REQUIRE(c.formats.size() == 1);
  CHECK(c.formats[0].index_bits == 8);
  // Lists: source 0 (2 synapses of 8 + 8 bits + 10 = 42 -> 64), source 1 (1 synapse -> 64).
  CHECK(core::synapse_memory_bits(c) == 128);
  CHECK(c.input_axons[1].base == 5);
}

TEST_CASE("mapper: a network over 128 cores spills onto a second chip") {
  // 130 populations of 1000 neurons (one core each), chained one-to-one, on a 2 x 1 board.
  Network net;
  for (int k = 0; k < 130; ++k) net.add_population(make_population("p" + std::to_string(k), 1000));
  for (int k = 0; k + 1 < 130; ++k) {
    std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::int32_t i = 0; i < 1000; ++i) pairs.emplace_back(i, i);
    net.add_projection(sparse_projection("c" + std::to_string(k), "p" + std::to_string(k),
                                         "p" + std::to_string(k + 1), pairs));
  }
  for (Placer placer : {Placer::kGreedy, Placer::kMetis}) {
    MapOptions opt;
    opt.placer = placer;
    const auto r = map_network(net, test_arch(2, 1), opt);
    CHECK(r.report.cores_used == 130);
    // 130000 compartments / 1024 per core: the bound is 127, but blocks of 1000 cannot share.
    CHECK(r.report.lower_bound == 127);
    CHECK(r.report.chips_used == 2);
    CHECK(r.image.mesh.chips_x == 2);
    CHECK(r.image.mesh.chips_y == 1);
    CHECK(r.image.cores.size() == 256);
    CHECK(r.image.cores_used() == 130);
    bool crosses = false;
    for (std::size_t c = 0; c < r.image.cores.size(); ++c)
      for (const auto& o : r.image.cores[c].output_axons)
        crosses |= (static_cast<int>(c) < 128) != (o.dest_core < 128);
    CHECK(crosses);
    CHECK(core::validate(chip_config(r.image)).empty());
  }
  // The same network on a one-chip board is an error that says why.
  const auto msg = error_of([&] { map_network(net, test_arch(1, 1)); });
  CHECK(contains(msg, "130 cores"));
  CHECK(contains(msg, "2 chips"));
  CHECK(contains(msg, "1 x 1 = 1 chips"));
}

TEST_CASE("mapper: a neuron whose fan-in alone breaks a limit is a named error") {
  SUBCASE("input axons") {
    Network net;
    net.add_input_port({"in", 5000});
    net.add_population(make_population("t", 3));
    std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::int32_t j = 0; j < 5000; ++j) pairs.emplace_back(j, 2);
    net.add_projection(sparse_projection("wide", "in", "t", pairs));
    const auto msg = error_of([&] { map_network(net, test_arch()); });
    CHECK(contains(msg, "population 't' neuron 2"));
    CHECK(contains(msg, "5000 input axons"));
    CHECK(contains(msg, "limit of 4096"));
  }
  SUBCASE("synapse memory") {
    // 300 sources, each with 300 synapses onto neuron 0: per list 4 full blocks of 64 synapses
    // (64 x 14 + 10 -> 960 bits) and one of 44 (626 -> 640 bits) = 4480 bits; x 300 = 1344000.
    Network net;
    net.add_input_port({"in", 300});
    net.add_population(make_population("t", 1));
    std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::int32_t j = 0; j < 300; ++j)
      for (int k = 0; k < 300; ++k) pairs.emplace_back(j, 0);
    net.add_projection(sparse_projection("heavy", "in", "t", pairs));
    const auto msg = error_of([&] { map_network(net, test_arch()); });
    CHECK(contains(msg, "population 't' neuron 0"));
    CHECK(contains(msg, "1344000 bits of synapse memory"));
    CHECK(contains(msg, "1048576"));
  }
  SUBCASE("output axons") {
    // With at most 4 output axons per core, a neuron that feeds 5 populations cannot fit.
    Network net;
    net.add_population(make_population("s", 1));
    for (int k = 0; k < 5; ++k) {
      net.add_population(make_population("t" + std::to_string(k), 1));
      net.add_projection(
          dense_projection("p" + std::to_string(k), "s", "t" + std::to_string(k), 1, 1));
    }
    auto arch = test_arch();
    arch.core.max_output_axons = 4;
    const auto msg = error_of([&] { map_network(net, arch); });
    CHECK(contains(msg, "population 's' neuron 0"));
    CHECK(contains(msg, "5 output axons"));
    CHECK(contains(msg, "limit of 4"));
  }
  SUBCASE("delay beyond the accumulator") {
    Network net;
    net.add_input_port({"in", 1});
    net.add_population(make_population("t", 1));
    auto p = sparse_projection("slow", "in", "t", {{0, 0}});
    p.format.delay_bits = 6;
    p.uniform_delay = 63;
    net.add_projection(std::move(p));
    const auto msg = error_of([&] { map_network(net, test_arch()); });
    CHECK(contains(msg, "projection 'slow'"));
    CHECK(contains(msg, "delay 63"));
    CHECK(contains(msg, "at most 64"));
  }
  SUBCASE("behaviour the architecture lacks") {
    Network net;
    auto p = make_population("g", 2);
    p.profile.spike = core::SpikeKind::kGraded;
    net.add_population(std::move(p));
    auto arch = test_arch();
    arch.core.allow_graded_spikes = false;
    const auto msg = error_of([&] { map_network(net, arch); });
    CHECK(contains(msg, "population 'g'"));
    CHECK(contains(msg, "graded spikes"));
  }
}

TEST_CASE("mapper: mapping is deterministic and the image round-trips through HDF5") {
  const Network net = random_network(4, 600, 20, 7);
  const auto a = map_network(net, test_arch());
  const auto b = map_network(net, test_arch());
  CHECK(same_image(a.image, b.image));
  CHECK(a.report.cores_used == b.report.cores_used);

  TempDir tmp("mapper_roundtrip");
  const fs::path& dir = tmp.path;
  const fs::path file = dir / "image.h5";
  write_mapped_image(a.image, file);
  const MappedImage back = read_mapped_image(file);
  CHECK(same_image(a.image, back));
  REQUIRE(back.cores.size() == a.image.cores.size());
  for (std::size_t c = 0; c < back.cores.size(); ++c)
    CHECK(same_core_config(back.cores[c], a.image.cores[c]));
}

TEST_CASE("mapper: host nodes are carried through to the image") {
  Network net;
  net.add_input_port({"x", 2});
  net.add_population(make_population("g", 2));
  net.add_projection(dense_projection("x_g", "x", "g", 2, 2));
  net.add_output_port({"rates", "g"});
  HostNode h;
  h.name = "cell";
  h.kind = "lstm_cell";
  h.inputs = {"rates"};
  h.outputs = {"x"};
  h.params = {{"hidden", "2"}, {"clip", "1.0"}};
  h.arrays["w"] = HostArray{{2, 3}, {1, 2, 3, 4, 5, 6.5}};
  net.add_host_node(h);
  const auto r = map_network(net, test_arch());
  REQUIRE(r.image.host_nodes.size() == 1);
  CHECK(r.image.host_nodes[0] == h);
  TempDir tmp("mapper_host");
  const fs::path& dir = tmp.path;
  write_mapped_image(r.image, dir / "img.h5");
  CHECK(read_mapped_image(dir / "img.h5").host_nodes[0] == h);
}

TEST_CASE("mapper: METIS placement beats greedy on a shuffled recurrent ring") {
  // 48 populations of 1000 neurons form a ring (k -> k+1 one-to-one, 48 -> 0), listed in a
  // shuffled order: greedy places them in file order, so ring neighbours land far apart; the
  // METIS placer follows the traffic.
  const int n = 48;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(3));
  Network net;
  for (int k : order) net.add_population(make_population("r" + std::to_string(k), 1000));
  for (int k = 0; k < n; ++k) {
    std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::int32_t i = 0; i < 1000; ++i) pairs.emplace_back(i, i);
    net.add_projection(sparse_projection("e" + std::to_string(k), "r" + std::to_string(k),
                                         "r" + std::to_string((k + 1) % n), pairs));
  }
  const auto r = map_network(net, test_arch());
  REQUIRE(r.report.greedy);
  REQUIRE(r.report.metis);
  const auto& g = *r.report.greedy;
  const auto& m = *r.report.metis;
  MESSAGE("greedy: traffic x hops " << g.hops << ", mean hops " << g.mean_hops());
  MESSAGE("metis:  traffic x hops " << m.hops << ", mean hops " << m.mean_hops());
  CHECK(g.messages == doctest::Approx(48000.0));
  CHECK(m.messages == doctest::Approx(48000.0));
  CHECK(m.hops < 0.5 * g.hops);
  // A ring of 48 cores on 12 tiles of 4 can have every message within a tile or one hop away.
  CHECK(m.mean_hops() < 1.5);
}

TEST_CASE("mapper: METIS and greedy on a random recurrent network (printed)") {
  const Network net = random_network(6, 900, 30, 11);
  const auto r = map_network(net, test_arch());
  MESSAGE("random recurrent: cores " << r.report.cores_used << " (bound " << r.report.lower_bound
                                     << "); greedy mean hops " << r.report.greedy->mean_hops()
                                     << ", metis mean hops " << r.report.metis->mean_hops());
  CHECK(r.report.metis->messages == doctest::Approx(r.report.greedy->messages));
  CHECK(r.report.cores_used >= r.report.lower_bound);
}

TEST_CASE("mapper: hop counts agree with the mesh router") {
  core::MeshGeometry g;
  g.chips_x = 2;
  g.chips_y = 2;
  std::mt19937 rng(5);
  for (int k = 0; k < 500; ++k) {
    const int a = static_cast<int>(rng() % static_cast<unsigned>(g.num_cores()));
    const int b = static_cast<int>(rng() % static_cast<unsigned>(g.num_cores()));
    const Hops h = hops_between(g, a, b);
    const core::Route route = core::route(g, a, b);
    CHECK(h.ew == route.east_west_hops);
    CHECK(h.ns == route.north_south_hops);
    CHECK(h.chips == route.chip_hops);
  }
}

TEST_CASE("mapper: a split network computes exactly what the unsplit one does") {
  // Map the same network twice: on default cores (everything fits one core) and with tiny cores
  // (64 compartments, 200 input axons: many blocks on many cores). Driving both chips with the
  // same host spikes must give the same output spikes at every step.
  const Network net = random_network(3, 150, 6, 21);
  auto small = test_arch();
  small.core.max_compartments = 64;
  small.core.max_input_axons = 200;
  const auto whole = map_network(net, test_arch());
  const auto parts = map_network(net, small);
  CHECK(whole.report.cores_used == 1);
  CHECK(parts.report.cores_used > 6);

  core::Chip chip_a(chip_config(whole.image));
  core::Chip chip_b(chip_config(parts.image));
  std::mt19937 rng(9);
  std::int64_t spikes = 0;
  for (int step = 0; step < 60; ++step) {
    const auto& port_a = whole.image.input_ports[0];
    const auto& port_b = parts.image.input_ports[0];
    for (std::int32_t j = 0; j < port_a.size; ++j) {
      if (rng() % 3 != 0) continue;
      for (auto k = port_a.offsets[static_cast<std::size_t>(j)];
           k < port_a.offsets[static_cast<std::size_t>(j) + 1]; ++k)
        chip_a.inject(port_a.axons[static_cast<std::size_t>(k)].core,
                      {port_a.axons[static_cast<std::size_t>(k)].axon, 1});
      for (auto k = port_b.offsets[static_cast<std::size_t>(j)];
           k < port_b.offsets[static_cast<std::size_t>(j) + 1]; ++k)
        chip_b.inject(port_b.axons[static_cast<std::size_t>(k)].core,
                      {port_b.axons[static_cast<std::size_t>(k)].axon, 1});
    }
    chip_a.step();
    chip_b.step();
    for (std::size_t p = 0; p < whole.image.output_ports.size(); ++p) {
      const auto& oa = whole.image.output_ports[p];
      const auto& ob = parts.image.output_ports[p];
      for (std::size_t i = 0; i < oa.neurons.size(); ++i) {
        const auto fired = [](const core::Chip& chip, CompartmentSite s) {
          const auto f = chip.core(s.core).fired();
          return std::binary_search(f.begin(), f.end(), s.compartment);
        };
        const bool fa = fired(chip_a, oa.neurons[i]);
        const bool fb = fired(chip_b, ob.neurons[i]);
        if (fa != fb) FAIL_CHECK("step " << step << " port " << oa.name << " neuron " << i);
        spikes += fa ? 1 : 0;
      }
    }
  }
  MESSAGE("output spikes compared: " << spikes);
  CHECK(spikes > 100);  // the comparison is not vacuous
}

TEST_CASE("mapper: two-compartment neurons: dendrites then somas, joined, two per neuron") {
  // 600 two-compartment neurons = 1200 compartments: split 512 + 88 (1024 compartments per
  // core). Synapses land on the dendrites, spikes leave from the somas.
  Network net;
  net.name = "two";
  net.add_input_port({"in", 3});
  Population p = make_population("p", 600, 1024);
  p.bias_mant.assign(600, -32);
  Dendrite d;
  d.profile.decay_u = 4095;
  d.profile.vth_mant = core::kMaxVthMant;
  for (int i = 0; i < 600; ++i) d.bias_mant.push_back(i % 100);
  p.dendrite = d;
  net.add_population(p);
  net.add_population(make_population("sink", 4));
  net.add_projection(dense_projection("in_p", "in", "p", 600, 3, 2));
  net.add_projection(sparse_projection("p_sink", "p", "sink", {{0, 1}, {599, 2}}));
  net.add_output_port({"counts", "p"});
  const auto r = map_network(net, test_arch());
  const MappedImage& img = r.image;
  const PopulationSites& ps = *img.find_population("p");
  REQUIRE(ps.blocks.size() == 2);
  CHECK(ps.blocks[0].count == 512);
  CHECK(ps.blocks[1].count == 88);
  for (const BlockSite& b : ps.blocks) {
    const auto& cfg = img.cores[static_cast<std::size_t>(b.core)];
    const std::int32_t dendrites = b.first_compartment - b.count;  // the block's first
    REQUIRE(dendrites >= 0);
    for (std::int32_t k = 0; k < b.count; ++k) {
      const auto& dx = cfg.compartments[static_cast<std::size_t>(dendrites + k)];
      const auto& sx = cfg.compartments[static_cast<std::size_t>(b.first_compartment + k)];
      CHECK(dx.join == core::JoinOp::kAdd);
      CHECK(dx.join_parent == b.first_compartment + k);
      CHECK(cfg.profiles[static_cast<std::size_t>(dx.profile)] == d.profile);
      CHECK(dx.bias_mant == (b.first_neuron + k) % 100);
      CHECK(sx.join == core::JoinOp::kNone);
      CHECK(sx.bias_mant == -32);
      CHECK(cfg.profiles[static_cast<std::size_t>(sx.profile)] == p.profile);
    }
    // Every input axon's dense list spans the block's dendrites exactly.
    for (const auto& a : cfg.input_axons) {
      const auto& l = cfg.synapse_lists[static_cast<std::size_t>(a.synapse_list)];
      if (cfg.formats[static_cast<std::size_t>(l.format)].dense()) {
        CHECK(a.base == dendrites);
        CHECK(static_cast<std::int32_t>(l.mantissa.size()) == b.count);
      }
    }
  }
  // Output axons (to the sink) and the output port come from the somas.
  const CompartmentSite s0 = ps.site(0), s599 = ps.site(599);
  const auto source_of = [&](CompartmentSite s) {
    const auto& outs = img.cores[static_cast<std::size_t>(s.core)].output_axons;
    return std::count_if(outs.begin(), outs.end(),
                         [&](const core::OutputAxon& o) { return o.source == s.compartment; });
  };
  CHECK(source_of(s0) == 1);
  CHECK(source_of(s599) == 1);
  CHECK(img.output_ports[0].neurons[599] == s599);
  // The image round-trips through HDF5 with its joins.
  TempDir tmp("mapper_two_cx");
  const fs::path& dir = tmp.path;
  write_mapped_image(img, dir / "image.h5");
  CHECK(same_image(img, read_mapped_image(dir / "image.h5")));
}

TEST_CASE("mapper: a join group is split as one unit, members in post-order on one core") {
  // Tree: root <- {mid <- {leaf_a, leaf_b}, leaf_c}, 1500 neurons each: 5 compartments per
  // neuron, 204 neurons per 1024-compartment core, so 8 blocks shared by every member.
  Network net;
  net.name = "tree";
  net.add_input_port({"in", 2});
  const std::int32_t n = 1500;
  const auto member = [&](const std::string& name, int vth, const std::string& parent) {
    Population p = make_population(name, n, vth);
    p.join_parent = parent;
    for (std::int32_t i = 0; i < n; ++i) p.bias_mant.push_back(i % 7);
    net.add_population(p);
  };
  member("root", 1, "");
  member("mid", 2, "root");
  member("leaf_c", 3, "root");
  member("leaf_a", 4, "mid");
  member("leaf_b", 5, "mid");
  net.add_population(make_population("sink", 3));
  net.add_projection(dense_projection("in_a", "in", "leaf_a", n, 2, 2));
  net.add_projection(dense_projection("in_c", "in", "leaf_c", n, 2, 4));
  net.add_projection(sparse_projection("b_sink", "leaf_b", "sink", {{0, 1}, {1499, 2}}));
  net.add_projection(sparse_projection("root_sink", "root", "sink", {{7, 0}}));
  net.add_output_port({"roots", "root"});
  net.add_output_port({"bs", "leaf_b"});
  const auto r = map_network(net, test_arch());
  const MappedImage& img = r.image;
  // Post-order: leaf_a, leaf_b, mid, leaf_c, root.
  const std::vector<std::string> order{"leaf_a", "leaf_b", "mid", "leaf_c", "root"};
  const auto& root = *img.find_population("root");
  REQUIRE(root.blocks.size() >= 7);
  for (std::size_t b = 0; b < root.blocks.size(); ++b) {
    const BlockSite& rb = root.blocks[b];
    const auto& cfg = img.cores[static_cast<std::size_t>(rb.core)];
    const std::int32_t base = rb.first_compartment - 4 * rb.count;
    REQUIRE(base >= 0);
    for (std::size_t m = 0; m < order.size(); ++m) {
      const BlockSite& mb = img.find_population(order[m])->blocks[b];
      CAPTURE(order[m]);
      CHECK(mb.core == rb.core);
      CHECK(mb.first_neuron == rb.first_neuron);
      CHECK(mb.count == rb.count);
      CHECK(mb.first_compartment == base + static_cast<std::int32_t>(m) * rb.count);
    }
    const auto parent_kind = std::vector<int>{2, 2, 4, 4, -1};
    for (std::int32_t k = 0; k < rb.count; ++k)
      for (std::size_t m = 0; m < order.size(); ++m) {
        const auto& cx = cfg.compartments[static_cast<std::size_t>(
            base + static_cast<std::int32_t>(m) * rb.count + k)];
        CHECK(cx.bias_mant == (rb.first_neuron + k) % 7);
        if (parent_kind[m] < 0) {
          CHECK(cx.join == core::JoinOp::kNone);
        } else {
          CHECK(cx.join == core::JoinOp::kAdd);
          CHECK(cx.join_parent == base + parent_kind[m] * rb.count + k);
        }
      }
    // Dense lists of in_a span leaf_a's run, those of in_c leaf_c's.
    for (const auto& a : cfg.input_axons) {
      const auto& l = cfg.synapse_lists[static_cast<std::size_t>(a.synapse_list)];
      if (!cfg.formats[static_cast<std::size_t>(l.format)].dense()) continue;
      CHECK((a.base == base || a.base == base + 3 * rb.count));
      CHECK(static_cast<std::int32_t>(l.mantissa.size()) == rb.count);
    }
  }
  // Output axons leave from the member that sends: leaf_b neuron 1499, root neuron 7.
  const auto sends = [&](CompartmentSite s) {
    const auto& outs = img.cores[static_cast<std::size_t>(s.core)].output_axons;
    return std::count_if(outs.begin(), outs.end(),
                         [&](const core::OutputAxon& o) { return o.source == s.compartment; });
  };
  CHECK(sends(img.find_population("leaf_b")->site(1499)) == 1);
  CHECK(sends(img.find_population("root")->site(7)) == 1);
  CHECK(sends(img.find_population("mid")->site(7)) == 0);
  CHECK(img.output_ports[1].neurons[1499] == img.find_population("leaf_b")->site(1499));
  CHECK(core::validate(core::ChipConfig{img.cores, img.limits}).empty());
  TempDir tmp("mapper_tree");
  write_mapped_image(img, tmp.path / "image.h5");
  CHECK(same_image(img, read_mapped_image(tmp.path / "image.h5")));
}

TEST_CASE("mapper: join groups are checked when added and against the core's tables") {
  Network net;
  net.name = "bad";
  net.add_population(make_population("a", 10));
  Population b = make_population("b", 11);
  b.join_parent = "a";
  CHECK_THROWS_WITH_AS(net.add_population(b), doctest::Contains("has 10"), InputError);
  b.size = 10;
  b.join_parent = "later";
  CHECK_THROWS_WITH_AS(net.add_population(b), doctest::Contains("not a population added before"),
                       InputError);
  b.join_parent = "a";
  b.dendrite = Dendrite{};
  CHECK_THROWS_WITH_AS(net.add_population(b), doctest::Contains("cannot have a dendrite"),
                       InputError);
  // Nine distinct thresholds in one group: more than a core's eight.
  Network wide;
  wide.name = "wide";
  wide.add_population(make_population("r", 4, 100));
  for (int k = 0; k < 8; ++k) {
    Population m = make_population("m" + std::to_string(k), 4, 200 + k);
    m.join_parent = "r";
    wide.add_population(m);
  }
  CHECK_THROWS_WITH_AS(map_network(wide, test_arch()), doctest::Contains("9 distinct thresholds"),
                       InputError);
}

TEST_CASE("mapper: every example network maps to an image the core accepts") {
  const auto arch = load_architecture("loihi1");
  int count = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(LOIHISIM_SOURCE_DIR) / "examples/networks")) {
    if (e.path().extension() != ".yaml") continue;
    ++count;
    CAPTURE(e.path().string());
    const Network net = read_network(e.path());
    for (Placer placer : {Placer::kGreedy, Placer::kMetis}) {
      MapOptions opt;
      opt.placer = placer;
      const auto r = map_network(net, arch, opt);
      CHECK(core::validate(chip_config(r.image)).empty());
      CHECK(r.report.cores_used >= r.report.lower_bound);
      CHECK(r.report.cores_used >= r.report.network_lower_bound);
    }
  }
  CHECK(count >= 3);
}

TEST_CASE("a network larger than the whole board is refused before partitioning") {
  core::Architecture arch = load_architecture("loihi1");
  arch.mesh.chips_x = arch.mesh.chips_y = 1;
  arch.mesh.board_chips_x = arch.mesh.board_chips_y = 0;  // one board (loihi1 has 24)
  arch.mesh.tiles_x = arch.mesh.tiles_y = 1;
  arch.mesh.cores_per_tile = 2;  // a board of 2 cores
  Network net;
  net.name = "big";
  net.add_input_port({"in", 100});
  Population p;
  p.name = "a";
  p.size = 2049;  // > 2 x 1024 compartments
  p.profile.vth_mant = 100;
  net.add_population(p);
  CHECK_THROWS_WITH_AS(map_network(net, arch),
                       doctest::Contains("need 2049 compartments (the largest, 'a', 2049), but "
                                         "the board has 2 cores of at most 1024"),
                       InputError);
  // Few neurons, many weights: 1,000 x 100 non-zero 8-bit weights > 2 x 16 kbit.
  Network dense;
  dense.name = "dense";
  dense.add_input_port({"in", 100});
  p.size = 1000;
  dense.add_population(p);
  Projection w;
  w.name = "w";
  w.source = "in";
  w.target = "a";
  w.format.weight_bits = 8;
  w.weight.assign(100'000, 2);
  dense.add_projection(w);
  arch.core.synapse_memory_bits = 16'384;
  CHECK_THROWS_WITH_AS(map_network(dense, arch),
                       doctest::Contains("non-zero weights need at least 800000 bits of synapse "
                                         "memory, but the board has 2 cores of 16384 bits"),
                       InputError);
}

TEST_CASE("mapper: min_synapse_bits is the cheapest cut of a source's synapses into lists") {
  // Against a plain knapsack over blocks of 1..64 synapses, for every n up to 9000 (past the
  // 64 x 64 table, where the periodic step takes over).
  for (int width : {1, 8, 14, 17, 33}) {
    CAPTURE(width);
    const auto block = [&](std::int64_t m) { return (m * width + 10 + 63) / 64 * 64; };
    std::vector<std::int64_t> best(9001, 0);
    for (std::size_t n = 1; n < best.size(); ++n) {
      best[n] = -1;
      for (std::size_t m = 1; m <= std::min<std::size_t>(n, 64); ++m) {
        const std::int64_t v = best[n - m] + block(static_cast<std::int64_t>(m));
        if (best[n] < 0 || v < best[n]) best[n] = v;
      }
    }
    CheapestListBits cheapest(width);
    for (std::size_t n = best.size(); n-- > 0;)  // from the top: past the table first
      if (cheapest(static_cast<std::int64_t>(n)) != best[n])
        FAIL_CHECK("n = " << n << ": " << cheapest(static_cast<std::int64_t>(n))
                          << " != " << best[n]);
  }
  // One list is not always cheapest: 65 one-bit synapses as one list take 128 + 64 bits, as
  // lists of 11 and 54, 64 + 64.
  const core::SynapseFormat one_bit{1, core::SignMode::kExcitatory, 0, 0, 0, 0};
  CHECK(core::synapse_list_bits(one_bit, 65) == 192);
  CHECK(core::synapse_list_bits(one_bit, 11) + core::synapse_list_bits(one_bit, 54) == 128);
  CHECK(min_synapse_bits(1, 65) == 128);
}

TEST_CASE("mapper: the lower bound for any partition equals the cores of tightly packed networks") {
  const auto bound_of = [](const MapReport& r, const std::string& resource) {
    for (const auto& b : r.network_bounds)
      if (b.resource == resource) return b.cores;
    return -1;
  };
  SUBCASE("compartments: 4 x 1024 neurons") {
    Network net;
    for (int k = 0; k < 4; ++k) net.add_population(make_population("p" + std::to_string(k), 1024));
    const auto r = map_network(net, test_arch());
    CHECK(r.report.cores_used == 4);
    CHECK(r.report.network_lower_bound == 4);
    CHECK(bound_of(r.report, "compartments") == 4);
  }
  SUBCASE("thresholds: 9 one-neuron populations, 9 thresholds") {
    Network net;
    for (int k = 0; k < 9; ++k)
      net.add_population(make_population("p" + std::to_string(k), 1, 100 + k));
    const auto r = map_network(net, test_arch());
    CHECK(r.report.cores_used == 2);
    CHECK(r.report.network_lower_bound == 2);
    CHECK(bound_of(r.report, "thresholds") == 2);
    CHECK(bound_of(r.report, "profiles") == 1);
  }
  SUBCASE("synapse bits: 2048 dense 8-bit sources into 62 or 63 neurons") {
    // 62 synapses: 8 x 62 + 10 = 506 -> 512 bits, and no cut is cheaper: 2048 x 512 bits fill
    // one core exactly. 63 synapses: 576 bits however cut, 2048 x 576 > 1048576: 2 cores.
    for (std::int32_t n : {62, 63}) {
      Network net;
      net.add_input_port({"in", 2048});
      net.add_population(make_population("t", n));
      net.add_projection(dense_projection("in_t", "in", "t", n, 2048));
      const auto r = map_network(net, test_arch());
      const int cores = n == 62 ? 1 : 2;
      CHECK(r.report.cores_used == cores);
      CHECK(r.report.network_lower_bound == cores);
      CHECK(bound_of(r.report, "synapse bits") == cores);
      CHECK(bound_of(r.report, "input axons") == 1);
      CHECK(bound_of(r.report, "output axons") == 0);  // input ports use no output axons
    }
  }
  SUBCASE("accumulator slots: delays of some neurons deepen only their share") {
    // 1024 neurons; neurons 0..255 receive delay 14 (depth 16), the rest none (depth 8):
    // 256 x 16 + 768 x 8 = 10240 slots > 8192, so 2 cores, though 1024 compartments fit one.
    Network net;
    net.add_input_port({"in", 1});
    net.add_population(make_population("t", 1024));
    std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::int32_t i = 0; i < 1024; ++i) pairs.emplace_back(0, i);
    auto p = sparse_projection("in_t", "in", "t", pairs);
    p.format.delay_bits = 4;
    p.delay.assign(1024, 0);
    std::fill(p.delay.begin(), p.delay.begin() + 256, std::uint8_t{14});
    net.add_projection(std::move(p));
    const auto r = map_network(net, test_arch());
    CHECK(bound_of(r.report, "compartments") == 1);
    CHECK(bound_of(r.report, "accumulator slots") == 2);
    CHECK(r.report.network_lower_bound == 2);
    CHECK(r.report.cores_used == 2);
  }
}

TEST_CASE("mapper: the balanced partition keeps random recurrent connectivity compact") {
  // bench/random_network.py's network scaled down by 8 on limits scaled alike: 512 neurons,
  // 100 random targets each. The refined partition cascades into small blocks that each get a
  // list from nearly every source; balanced blocks of 64 fit with 8 output axons per neuron.
  const core::Architecture arch = scaled_arch();
  const Network net = random_recurrent(512, 100, 1, 5);
  const Network hand = random_recurrent(512, 100, 16, 5);  // 16 populations of 32, by hand
  const auto r = map_network(net, arch);
  const auto h = map_network(hand, arch);
  MESSAGE("one population: refined "
          << candidate(r.report, "refined").cores << " cores, "
          << candidate(r.report, "refined").output_axons << " output axons; balanced "
          << r.report.cores_used << " cores, " << r.report.greedy->messages << " messages; bound "
          << r.report.network_lower_bound << "; hand split " << h.report.cores_used << " cores, "
          << h.report.greedy->messages << " messages");
  CHECK(r.report.partition == "balanced");
  CHECK(r.report.cores_used <= h.report.cores_used);
  CHECK(r.report.greedy->messages <= h.report.greedy->messages);
  CHECK(r.report.cores_used >= r.report.network_lower_bound);
  CHECK(r.report.cores_used >= r.report.lower_bound);
  CHECK(r.report.greedy->messages ==
        doctest::Approx(static_cast<double>(candidate(r.report, "balanced").output_axons)));
  // The refined partition is far worse here (the cascade the balanced one avoids).
  CHECK(candidate(r.report, "refined").cores > 4 * r.report.cores_used);
  CHECK(core::validate(chip_config(r.image)).empty());
  // The hand split's lists are fixed by its populations: its bound is close to its cores.
  CHECK(h.report.network_lower_bound > r.report.network_lower_bound);

  const NetworkIndex ix = index_network(net);
  const Partition part = partition_balanced(ix, arch.core);
  CHECK(part.method == PartitionMethod::kBalanced);
  check_consistent(net, part, arch.core);
  CHECK(same_image(r.image, map_network(net, arch).image));  // deterministic
}

TEST_CASE("mapper: the balanced partition's guards: a cycle adds a block, the budget refines") {
  // 512 neurons, 50 targets each, 1/16 of the synapse memory: at 12 or 13 blocks the fullest
  // blocks sit at the output-axon limit, so a split moves a boundary, the counts change, and a
  // later split moves it back (seed 16: a cycle).
  core::Architecture arch = scaled_arch();
  arch.core.synapse_memory_bits = 65536;
  const Network net = random_recurrent(512, 50, 1, 16);
  const NetworkIndex ix = index_network(net);

  const Partition guarded = partition_balanced(ix, arch.core);
  MESSAGE("guarded: " << guarded.blocks.size() << " blocks, " << guarded.passes << " passes, "
                      << guarded.stall_steps << " stall steps");
  CHECK(guarded.method == PartitionMethod::kBalanced);
  CHECK(guarded.stall_steps >= 1);
  check_consistent(net, guarded, arch.core);

  // The cycle test alone resolves it.
  const Partition cycle_only = partition_balanced(ix, arch.core, {1000, 40, true});
  CHECK(cycle_only.method == PartitionMethod::kBalanced);
  CHECK(cycle_only.stall_steps >= 1);
  CHECK(cycle_only.blocks.size() == guarded.blocks.size());

  // Without the guards the counts keep moving until the pass budget, then the last split is
  // refined to a fixed point: consistent, but cascaded into many more blocks.
  const Partition unguarded = partition_balanced(ix, arch.core, {1000, 30, false});
  MESSAGE("unguarded: " << unguarded.blocks.size() << " blocks, " << unguarded.passes << " passes");
  CHECK(unguarded.method == PartitionMethod::kBalancedRefined);
  CHECK(unguarded.passes > 30);
  CHECK(unguarded.blocks.size() > 2 * guarded.blocks.size());
  check_consistent(net, unguarded, arch.core);

  // The stall guard alone (no cycle test) also ends consistent; firing after every pass
  // without growth (even the first) it adds blocks more eagerly.
  const Partition eager = partition_balanced(ix, arch.core, {1, 40, false});
  MESSAGE("eager: " << eager.blocks.size() << " blocks, " << eager.passes << " passes, "
                    << eager.stall_steps << " stall steps");
  CHECK(eager.stall_steps >= 1);
  CHECK(eager.blocks.size() >= guarded.blocks.size());
  check_consistent(net, eager, arch.core);

  // The mapper keeps the guarded balanced partition over the refined one.
  const auto r = map_network(net, arch);
  CHECK(r.report.partition == "balanced");
  CHECK(r.report.cores_used < candidate(r.report, "refined").cores);
  CHECK(core::validate(chip_config(r.image)).empty());
}

TEST_CASE("mapper: when one partition leaves a neuron that fits no core, the other is used") {
  // A neuron's output axons depend on how its targets are split, so either partition can split
  // some target finer than the other and leave a source neuron whose fan-out alone exceeds the
  // limit. Seed 43: the balanced one does; seed 261: the refined one does (such a network could
  // not be mapped before the balanced partition existed).
  // (Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.)
  for (const auto& seed_failing :
       {std::pair<std::uint64_t, std::string>{43, "balanced"}, {261, "refined"}}) {
    const std::uint64_t seed = seed_failing.first;
    const std::string& failing = seed_failing.second;
    CAPTURE(seed);
    core::Architecture arch;
    const Network net = small_random_network(seed, arch);
    const NetworkIndex ix = index_network(net);
    const PartitionCandidates made = partition_candidates(ix, arch.core);
    const std::string& error = failing == "balanced" ? made.balanced_error : made.refined_error;
    CHECK(contains(error, "its fan-out alone needs"));
    CHECK(bool(made.balanced) == (failing != "balanced"));
    CHECK(bool(made.refined) == (failing != "refined"));
    if (failing == "refined")
      CHECK(contains(error_of([&] { partition_network(ix, arch.core); }), "fan-out alone"));
    const auto r = map_network(net, arch);
    CHECK(r.report.partition == (failing == "balanced" ? "refined" : "balanced"));
    CHECK(contains(candidate(r.report, failing).error, "fan-out alone"));
    CHECK_FALSE(candidate(r.report, failing).chosen);
    CHECK(core::validate(chip_config(r.image)).empty());
    check_consistent(net, made.refined ? *made.refined : *made.balanced, arch.core);
  }
}

TEST_CASE("mapper: sigma-delta populations map, and the image keeps neuron and input_max") {
  Network net;
  net.name = "sd";
  net.add_input_port({"in", 3});
  Population h = make_population("h", 40, 0);
  h.profile.neuron = core::NeuronModel::kSigmaDelta;
  h.profile.spike = core::SpikeKind::kGraded;
  h.profile.payload_shift = 5;
  h.profile.input_max = 256;
  h.profile.decay_u = 4095;
  Population relu = h;  // no upper clip
  relu.name = "relu";
  relu.profile.input_max = -1;
  net.add_population(h);
  net.add_population(relu);
  net.add_population(make_population("c", 8));
  net.add_projection(dense_projection("in_h", "in", "h", 40, 3));
  net.add_projection(dense_projection("h_h", "h", "h", 40, 40));
  net.add_projection(dense_projection("in_relu", "in", "relu", 40, 3));
  net.add_projection(dense_projection("relu_c", "relu", "c", 8, 40));
  const auto r = map_network(net, test_arch());
  const MappedImage& img = r.image;
  // Each population's compartments carry its profile, sigma-delta fields included.
  for (const auto* pop : {&h, &relu}) {
    const PopulationSites& ps = *img.find_population(pop->name);
    for (const BlockSite& b : ps.blocks) {
      const auto& cfg = img.cores[static_cast<std::size_t>(b.core)];
      for (std::int32_t k = 0; k < b.count; ++k) {
        const auto& cx = cfg.compartments[static_cast<std::size_t>(b.first_compartment + k)];
        CHECK(cfg.profiles[static_cast<std::size_t>(cx.profile)] == pop->profile);
      }
    }
  }
  CHECK(core::validate(core::ChipConfig{img.cores, img.limits}).empty());

  TempDir tmp("mapper_sigma_delta");
  const fs::path file = tmp.path / "image.h5";
  write_mapped_image(img, file);
  const MappedImage back = read_mapped_image(file);
  CHECK(same_image(img, back));
  {
    const auto p = h5::open_file(file.string()).open_group("cores").open_group("profiles");
    const auto neuron = p.read<std::int32_t>("neuron");
    const auto input_max = p.read<std::int32_t>("input_max");
    CHECK(std::count(neuron.begin(), neuron.end(), 1) >= 2);
    CHECK(std::count(input_max.begin(), input_max.end(), 256) >= 1);
  }

  // Images written before sigma-delta neurons (no neuron, no input_max) read as cuba.
  Network old;
  old.name = "old";
  old.add_input_port({"in", 3});
  old.add_population(make_population("c", 8));
  old.add_projection(dense_projection("in_c", "in", "c", 8, 3));
  const MappedImage old_img = map_network(old, test_arch()).image;
  const fs::path old_file = tmp.path / "old.h5";
  write_mapped_image(old_img, old_file);
  const auto delete_dataset = [](const fs::path& f, const char* name) {
    const hid_t id = H5Fopen(f.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(id >= 0);
    CHECK(H5Ldelete(id, name, H5P_DEFAULT) >= 0);
    H5Fclose(id);
  };
  delete_dataset(old_file, "/cores/profiles/neuron");
  delete_dataset(old_file, "/cores/profiles/input_max");
  const MappedImage old_back = read_mapped_image(old_file);
  CHECK(same_image(old_img, old_back));
  for (const auto& c : old_back.cores)
    for (const auto& p : c.profiles) {
      CHECK(p.neuron == core::NeuronModel::kCuba);
      CHECK(p.input_max == -1);
    }

  // A neuron value that names no model, and an input_max validate() refuses.
  const auto rewrite = [&](const char* name, const std::vector<std::int32_t>& values) {
    const fs::path f = tmp.path / "bad.h5";
    write_mapped_image(img, f);
    delete_dataset(f, (std::string("/cores/profiles/") + name).c_str());
    const hid_t id = H5Fopen(f.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(id >= 0);
    const hsize_t n = values.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t ds = H5Dcreate2(id, (std::string("/cores/profiles/") + name).c_str(),
                                H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    H5Dclose(ds);
    H5Sclose(space);
    H5Fclose(id);
    return error_of([&] { read_mapped_image(f); });
  };
  const std::size_t m = h5::open_file(file.string())
                            .open_group("cores")
                            .open_group("profiles")
                            .read<std::int32_t>("neuron")
                            .size();
  auto msg = rewrite("neuron", std::vector<std::int32_t>(m, 2));
  CHECK(contains(msg, "neuron"));
  CHECK(contains(msg, "is not 0 (cuba) or 1 (sigma_delta)"));
  std::vector<std::int32_t> too_big(m, -1);
  const auto first = h5::open_file(file.string())
                         .open_group("cores")
                         .open_group("profiles")
                         .read<std::int32_t>("neuron");
  const auto sd =
      static_cast<std::size_t>(std::find(first.begin(), first.end(), 1) - first.begin());
  REQUIRE(sd < m);
  too_big[sd] = 1 << 23;
  msg = rewrite("input_max", too_big);
  CHECK(contains(msg, "fail validation"));
  CHECK(contains(msg, "input_max"));
  CHECK(contains(msg, "-1..8388607"));
}

TEST_CASE("mapper: an architecture without graded spikes refuses sigma-delta populations") {
  Network net;
  auto p = make_population("sd", 2, 0);
  p.profile.neuron = core::NeuronModel::kSigmaDelta;
  p.profile.spike = core::SpikeKind::kGraded;
  p.profile.payload_shift = 3;
  net.add_population(std::move(p));
  auto arch = test_arch();
  arch.core.allow_graded_spikes = false;
  const auto msg = error_of([&] { map_network(net, arch); });
  CHECK(contains(msg, "population 'sd'"));
  CHECK(contains(msg, "graded spikes are not available on this architecture"));
  CHECK(contains(msg, "sigma_delta"));
  // And the network refuses a sigma-delta profile with binary spikes when it is added.
  Network bad;
  auto q = make_population("b", 2, 0);
  q.profile.neuron = core::NeuronModel::kSigmaDelta;
  q.profile.payload_shift = 3;
  CHECK(contains(error_of([&] { bad.add_population(q); }), "population 'b': profile.spike"));
}
