// A chip distributed over processes (core::Distribution, runtime/ranks.hpp, docs/scaling.md),
// here over threads that stand in for MPI ranks: an in-memory core::StepExchange with the same
// contract as the MPI one. Rank 0's spikes, per-core counts, flows and report must equal one
// process's, for 2, 3 and 4 ranks, with host spikes injected every step. The MPI transport itself
// is tested by tests/mpi/check_ranks.py (CTest label mpi); this test runs in every build.
#include <doctest/doctest.h>

#include <algorithm>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "formats/arch_io.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"
#include "mapper/mapped_image_io.hpp"
#include "mapper/mapper.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/rank_image.hpp"
#include "runtime/ranks.hpp"
#include "runtime/report.hpp"
#include "tests/support/recurrent_network.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loihisim;

namespace {

// Per-step buffers between threads: box[to][from], two barriers per step (written, read).
class ThreadExchange final : public core::StepExchange {
 public:
  struct Shared {
    explicit Shared(int k)
        : barrier(k),
          box(static_cast<std::size_t>(k),
              std::vector<std::vector<std::int32_t>>(static_cast<std::size_t>(k))) {}
    std::barrier<> barrier;
    std::vector<std::vector<std::vector<std::int32_t>>> box;
  };
  ThreadExchange(Shared& shared, int self) : shared_(shared), self_(self) {}
  void exchange(const std::vector<std::vector<std::int32_t>>& send,
                std::vector<std::int32_t>& received) override {
    const auto self = static_cast<std::size_t>(self_);
    for (std::size_t r = 0; r < send.size(); ++r) shared_.box[r][self] = send[r];
    shared_.barrier.arrive_and_wait();
    received.clear();
    for (const auto& from : shared_.box[self])
      received.insert(received.end(), from.begin(), from.end());
    shared_.barrier.arrive_and_wait();
  }

 private:
  Shared& shared_;
  int self_;
};

// A distributed accountant's sums and gathers between threads (one slot per thread).
class ThreadReduce final : public core::StepReduce {
 public:
  struct Shared {
    explicit Shared(int k) : barrier(k), slot(static_cast<std::size_t>(k)) {}
    std::barrier<> barrier;
    std::vector<std::vector<std::int64_t>> slot;
  };
  ThreadReduce(Shared& shared, int self) : shared_(shared), self_(static_cast<std::size_t>(self)) {}
  void sum(std::vector<std::int64_t>& values) override {
    const auto all = all_gather(values);
    std::fill(values.begin(), values.end(), 0);
    for (std::size_t i = 0; i < all.size(); ++i) values[i % values.size()] += all[i];
  }
  std::vector<std::int64_t> all_gather(const std::vector<std::int64_t>& values) override {
    shared_.slot[self_] = values;
    shared_.barrier.arrive_and_wait();
    std::vector<std::int64_t> all;
    for (const auto& v : shared_.slot) all.insert(all.end(), v.begin(), v.end());
    shared_.barrier.arrive_and_wait();
    return all;
  }

 private:
  Shared& shared_;
  std::size_t self_;
};

mapper::MappedImage multi_chip_image(const core::Architecture& arch) {
  return loihisim::testing::map_recurrent_network({"ranks", 640, 12, 53, 512, 4, -12}, arch);
}

struct Outcome {
  Recording recording;
  std::string report;
};

// Steps a session; host spikes into a core and axon that change with the step.
Outcome drive(ChipSession& s, int steps) {
  RecordOptions rec;
  rec.spikes = rec.counts = rec.flows = true;
  s.set_record(rec);
  s.begin_sample();
  const int cores = s.chip().num_cores();
  for (int t = 0; t < steps; ++t) {
    for (int c = (t * 7) % cores, n = 0; n < cores; ++n, c = (c + 1) % cores)
      if (s.chip().core(c).num_input_axons() > 0) {
        s.send_axon(c, t % s.chip().core(c).num_input_axons());
        break;
      }
    s.step();
  }
  Outcome o{s.recording(), ""};
  if (s.accountant()) o.report = report_summary(make_report(*s.accountant(), {})).dump();
  return o;
}

}  // namespace

TEST_CASE("distributed chip: rank 0 of 2, 3 or 4 thread ranks sees exactly one process's run") {
  const core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                                    "/tests/data/arch/loihi1-small-chips.yaml");
  const mapper::MappedImage image = multi_chip_image(arch);
  ChipSession whole(image, &arch);
  const Outcome one = drive(whole, 60);
  REQUIRE(whole.accountant()->chips_in_use() >= 3);
  REQUIRE(!one.recording.populations[0].step.empty());
  for (int k : {2, 3, 4}) {
    CAPTURE(k);
    ThreadExchange::Shared shared(k);
    std::vector<Outcome> out(static_cast<std::size_t>(k));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < k; ++rank)
      threads.emplace_back([&, rank] {
        ThreadExchange ex(shared, rank);
        ChipSession part(image, &arch, distribute_by_chips(image, arch, rank, k), &ex);
        out[static_cast<std::size_t>(rank)] = drive(part, 60);
      });
    for (auto& t : threads) t.join();
    CHECK(out[0].report == one.report);
    CHECK(out[0].recording.populations[0].step == one.recording.populations[0].step);
    CHECK(out[0].recording.populations[0].neuron == one.recording.populations[0].neuron);
    CHECK(out[0].recording.core_step_counts == one.recording.core_step_counts);
    CHECK(out[0].recording.flows == one.recording.flows);
    CHECK(out[1].report.empty());  // only rank 0 keeps an accountant
  }
}

TEST_CASE("distributed chip: ranks own whole chips, or cores when chips are fewer than ranks") {
  const core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                                    "/tests/data/arch/loihi1-small-chips.yaml");
  const mapper::MappedImage image = multi_chip_image(arch);
  const core::Distribution d = distribute_by_chips(image, arch, 1, 2);
  CHECK(d.self == 1);
  CHECK(d.processes == 2);
  REQUIRE(d.owner.size() == image.cores.size());
  std::vector<std::vector<int>> ranks_of_chip(static_cast<std::size_t>(arch.mesh.num_chips()));
  int owned_by_1 = 0;
  for (std::size_t c = 0; c < image.cores.size(); ++c) {
    if (image.cores[c].compartments.empty()) continue;
    auto& v =
        ranks_of_chip[static_cast<std::size_t>(core::locate(arch.mesh, static_cast<int>(c)).chip)];
    if (std::find(v.begin(), v.end(), d.owner[c]) == v.end()) v.push_back(d.owner[c]);
    owned_by_1 += d.owner[c] == 1;
  }
  for (const auto& v : ranks_of_chip) CHECK(v.size() <= 1);  // a chip is never split
  CHECK(owned_by_1 > 0);
  // As many ranks as cores in use (more than chips): cores are split, one for each rank.
  std::vector<int> count(image.cores.size(), 0);
  int used = 0;
  for (const auto& c : image.cores) used += !c.compartments.empty();
  const core::Distribution many = distribute_by_chips(image, arch, 0, used);
  for (std::size_t c = 0; c < image.cores.size(); ++c)
    if (!image.cores[c].compartments.empty()) ++count[static_cast<std::size_t>(many.owner[c])];
  for (int r = 0; r < used; ++r) CHECK(count[static_cast<std::size_t>(r)] == 1);
  CHECK_THROWS_AS(distribute_by_chips(image, arch, 2, 2), std::invalid_argument);
  core::Distribution one_owner;
  one_owner.owner = {0};
  CHECK_THROWS_AS(core::Chip(image.cores, image.limits, one_owner), std::invalid_argument);
}

namespace {

// What read_rank_image() does on rank `rank` of `k`, with the routes of every rank's part
// gathered here instead of over MPI.
std::vector<RankImage> rank_images(const std::filesystem::path& file,
                                   const core::Architecture& arch, int k) {
  const auto outline = mapper::read_core_outline(file);
  std::vector<RankImage> parts(static_cast<std::size_t>(k));
  std::vector<std::int32_t> records;
  for (int rank = 0; rank < k; ++rank) {
    RankImage& p = parts[static_cast<std::size_t>(rank)];
    p.distribution = distribute_by_chips(outline, arch, rank, k);
    std::vector<std::uint8_t> held(outline.size());
    for (std::size_t c = 0; c < held.size(); ++c) held[c] = p.distribution.owner[c] == rank;
    p.image = mapper::read_mapped_image_part(file, held);
    for (const auto& c : outline) p.distribution.input_axons.push_back(c.input_axons);
    const auto mine = owned_routes(p.image, p.distribution);
    records.insert(records.end(), mine.begin(), mine.end());
  }
  for (auto& p : parts) set_routes(p.distribution, records);
  return parts;
}

}  // namespace

TEST_CASE("distributed chip: ranks that read only their own cores' tables run as one process") {
  const core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                                    "/tests/data/arch/loihi1-small-chips.yaml");
  const mapper::MappedImage image = multi_chip_image(arch);
  loihisim::testing::TempDir tmp("rank_image");
  const auto file = tmp.path / "image.h5";
  mapper::write_mapped_image(image, file);
  ChipSession whole(image, &arch);
  const Outcome one = drive(whole, 60);
  const auto outline = mapper::read_core_outline(file);
  REQUIRE(outline.size() == image.cores.size());
  for (std::size_t c = 0; c < outline.size(); ++c) {
    CHECK(outline[c].compartments == static_cast<std::int32_t>(image.cores[c].compartments.size()));
    CHECK(outline[c].input_axons == static_cast<std::int32_t>(image.cores[c].input_axons.size()));
  }
  for (int k : {2, 3}) {
    CAPTURE(k);
    const std::vector<RankImage> parts = rank_images(file, arch, k);
    for (const RankImage& p : parts)  // its own cores whole, the others' compartments only
      for (std::size_t c = 0; c < image.cores.size(); ++c) {
        CAPTURE(c);
        const auto& got = p.image.cores[c];
        if (p.distribution.owner[c] == p.distribution.self) {
          CHECK(mapper::same_core_config(got, image.cores[c]));
        } else {
          CHECK(got.compartments.size() == image.cores[c].compartments.size());
          CHECK(got.synapse_lists.empty());
          CHECK(got.input_axons.empty());
          CHECK(got.output_axons.empty());
        }
      }
    ThreadExchange::Shared shared(k);
    std::vector<Outcome> out(static_cast<std::size_t>(k));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < k; ++rank)
      threads.emplace_back([&, rank] {
        ThreadExchange ex(shared, rank);
        const RankImage& p = parts[static_cast<std::size_t>(rank)];
        ChipSession session(p.image, &arch, p.distribution, &ex);
        out[static_cast<std::size_t>(rank)] = drive(session, 60);
      });
    for (auto& t : threads) t.join();
    CHECK(out[0].report == one.report);
    CHECK(out[0].recording.populations[0].step == one.recording.populations[0].step);
    CHECK(out[0].recording.populations[0].neuron == one.recording.populations[0].neuron);
    CHECK(out[0].recording.core_step_counts == one.recording.core_step_counts);
    CHECK(out[0].recording.flows == one.recording.flows);
  }
}

TEST_CASE("distributed chip: a part image and its routes are checked") {
  const core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                                    "/tests/data/arch/loihi1-small-chips.yaml");
  const mapper::MappedImage image = multi_chip_image(arch);
  loihisim::testing::TempDir tmp("rank_image_checks");
  const auto file = tmp.path / "image.h5";
  mapper::write_mapped_image(image, file);
  CHECK_THROWS_AS(mapper::read_mapped_image_part(file, std::vector<std::uint8_t>(3, 1)),
                  std::invalid_argument);
  core::Distribution d = distribute_by_chips(image, arch, 0, 2);
  CHECK_THROWS_AS(set_routes(d, std::vector<std::int32_t>{0, 5, 1}), std::invalid_argument);
  CHECK_THROWS_AS(set_routes(d, std::vector<std::int32_t>{-1, 0}), std::invalid_argument);
  set_routes(d, std::vector<std::int32_t>{0, 1, static_cast<std::int32_t>(image.cores.size())});
  d.input_axons.assign(image.cores.size(), 0);
  // A route to a core past the image's last.
  CHECK_THROWS_AS(core::Chip(image.cores, image.limits, d), std::invalid_argument);
}

TEST_CASE("h5 read_range: a slice of a 1-D dataset, converted and checked like read()") {
  loihisim::testing::TempDir tmp("read_range");
  const std::string file = (tmp.path / "r.h5").string();
  {
    h5::Group root = h5::create_file(file);
    root.write<std::int64_t>("v", {10, 11, 12, 13, 14});
    root.write<std::int32_t>("m", {1, 2, 3, 4}, {2, 2});
    root.write<std::int64_t>("big", {1, std::int64_t{1} << 40});
  }
  const h5::Group g = h5::open_file(file);
  CHECK(g.read_range<std::int32_t>("v", 1, 3) == std::vector<std::int32_t>{11, 12, 13});
  CHECK(g.read_range<std::int32_t>("v", 5, 0).empty());
  CHECK_THROWS_AS(g.read_range<std::int32_t>("v", 3, 3), InputError);  // past the end
  CHECK_THROWS_AS(g.read_range<std::int32_t>("m", 0, 1), InputError);  // not 1-D
  CHECK(g.read_range<std::int32_t>("big", 0, 1) == std::vector<std::int32_t>{1});
  CHECK_THROWS_AS(g.read_range<std::int32_t>("big", 1, 1), InputError);  // does not fit
}

TEST_CASE(
    "distributed accounting: every rank accounts its cores, the reports equal one process's") {
  core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                              "/tests/data/arch/loihi1-small-chips.yaml");
  arch.network.model = core::NetworkModel::kAnalytic;
  const mapper::MappedImage image = multi_chip_image(arch);
  ChipSession whole(image, &arch);
  const Outcome one = drive(whole, 60);
  REQUIRE(whole.accountant()->chips_in_use() >= 3);
  for (int k : {2, 3, 4}) {
    CAPTURE(k);
    ThreadExchange::Shared shared(k);
    ThreadReduce::Shared reduced(k);
    std::vector<Outcome> out(static_cast<std::size_t>(k));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < k; ++rank)
      threads.emplace_back([&, rank] {
        ThreadExchange ex(shared, rank);
        ThreadReduce reduce(reduced, rank);
        ChipSession part(image, &arch, distribute_by_chips(image, arch, rank, k), &ex);
        part.distribute_accounting(&reduce);
        RecordOptions rec;
        rec.spikes = rec.counts = true;
        part.set_record(rec);
        part.begin_sample();
        const int cores = part.chip().num_cores();
        for (int t = 0; t < 60; ++t) {  // the host spikes of drive()
          for (int c = (t * 7) % cores, n = 0; n < cores; ++n, c = (c + 1) % cores)
            if (part.chip().core(c).num_input_axons() > 0) {
              part.send_axon(c, t % part.chip().core(c).num_input_axons());
              break;
            }
          part.step();
        }
        part.gather_accounts();
        out[static_cast<std::size_t>(rank)] = {
            part.recording(), report_summary(make_report(*part.accountant(), {})).dump()};
      });
    for (auto& t : threads) t.join();
    for (const Outcome& o : out) CHECK(o.report == one.report);  // every rank's, not only 0's
    CHECK(out[0].recording.populations[0].step == one.recording.populations[0].step);
    CHECK(out[0].recording.populations[0].neuron == one.recording.populations[0].neuron);
    CHECK(out[0].recording.core_step_counts == one.recording.core_step_counts);
  }
}

TEST_CASE("distributed accounting: the event network model and per-core step arrays are refused") {
  const core::Architecture arch = load_architecture(std::string(LOIHISIM_SOURCE_DIR) +
                                                    "/tests/data/arch/loihi1-small-chips.yaml");
  REQUIRE(arch.network.model != core::NetworkModel::kAnalytic);
  ThreadReduce::Shared reduced(1);
  ThreadReduce reduce(reduced, 0);
  core::ChipAccountant event(arch);
  CHECK_THROWS_AS(event.distribute(&reduce), std::invalid_argument);
  core::Architecture analytic = arch;
  analytic.network.model = core::NetworkModel::kAnalytic;
  core::AccountantOptions keep;
  keep.keep_per_core_steps = true;
  core::ChipAccountant per_core(analytic, {}, keep);
  CHECK_THROWS_AS(per_core.distribute(&reduce), std::invalid_argument);
}
