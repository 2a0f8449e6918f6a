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
#include "mapper/mapper.hpp"
#include "runtime/chip_session.hpp"
#include "runtime/ranks.hpp"
#include "runtime/report.hpp"
#include "tests/support/recurrent_network.hpp"

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
  CHECK_THROWS_AS(core::Chip(image.cores, image.limits, core::Distribution{{0}, 0, 1}),
                  std::invalid_argument);
}
