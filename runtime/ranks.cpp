#include "runtime/ranks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#ifdef LOIHISIM_HAVE_MPI
#include <mpi.h>
#endif

namespace loihisim {
namespace {

Ranks& the_ranks() {
  static Ranks r;
  return r;
}

#ifdef LOIHISIM_HAVE_MPI
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI error in ") + what);
}

int to_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT32_MAX))
    throw std::runtime_error("an MPI message of more than 2^31 values");
  return static_cast<int>(n);
}

// The step buffers over MPI_Alltoallv: the counts first (MPI_Alltoall), then the values.
class MpiStepExchange final : public core::StepExchange {
 public:
  explicit MpiStepExchange(int size)
      : send_counts_(static_cast<std::size_t>(size)),
        send_offsets_(static_cast<std::size_t>(size)),
        recv_counts_(static_cast<std::size_t>(size)),
        recv_offsets_(static_cast<std::size_t>(size)) {}

  void exchange(const std::vector<std::vector<std::int32_t>>& send,
                std::vector<std::int32_t>& received) override {
    flat_.clear();
    for (std::size_t r = 0; r < send.size(); ++r) {
      send_offsets_[r] = to_int(flat_.size());
      send_counts_[r] = to_int(send[r].size());
      flat_.insert(flat_.end(), send[r].begin(), send[r].end());
    }
    check(MPI_Alltoall(send_counts_.data(), 1, MPI_INT, recv_counts_.data(), 1, MPI_INT,
                       MPI_COMM_WORLD),
          "MPI_Alltoall");
    std::size_t total = 0;
    for (std::size_t r = 0; r < recv_counts_.size(); ++r) {
      recv_offsets_[r] = to_int(total);
      total += static_cast<std::size_t>(recv_counts_[r]);
    }
    received.resize(total);
    check(MPI_Alltoallv(flat_.data(), send_counts_.data(), send_offsets_.data(), MPI_INT,
                        received.data(), recv_counts_.data(), recv_offsets_.data(), MPI_INT,
                        MPI_COMM_WORLD),
          "MPI_Alltoallv");
  }

 private:
  std::vector<int> send_counts_, send_offsets_, recv_counts_, recv_offsets_;
  std::vector<std::int32_t> flat_;
};

// A distributed accountant's reductions: integer sums and fixed-size gathers.
class MpiStepReduce final : public core::StepReduce {
 public:
  void sum(std::vector<std::int64_t>& values) override {
    const Timer t(ns_);
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), to_int(values.size()), MPI_INT64_T, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  std::uint64_t reduce_ns() const override { return ns_; }
  std::vector<std::int64_t> all_gather(const std::vector<std::int64_t>& values) override {
    const Timer t(ns_);
    int size = 0;
    check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
    std::vector<std::int64_t> all(values.size() * static_cast<std::size_t>(size));
    check(MPI_Allgather(values.data(), to_int(values.size()), MPI_INT64_T, all.data(),
                        to_int(values.size()), MPI_INT64_T, MPI_COMM_WORLD),
          "MPI_Allgather");
    return all;
  }

 private:
  // Adds the wall time of its scope to `total`.
  struct Timer {
    explicit Timer(std::uint64_t& total) : total_(total) {}
    ~Timer() {
      total_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - start_)
                                               .count());
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    std::uint64_t& total_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  };
  std::uint64_t ns_ = 0;
};
#endif

}  // namespace

const Ranks& ranks() {
  return the_ranks();
}

bool built_with_mpi() {
#ifdef LOIHISIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

RankScope::RankScope([[maybe_unused]] int* argc, [[maybe_unused]] char*** argv) {
#ifdef LOIHISIM_HAVE_MPI
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMIX_RANK")) return;
  check(MPI_Init(argc, argv), "MPI_Init");
  Ranks& r = the_ranks();
  r.mpi_ = true;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &r.rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &r.size_), "MPI_Comm_size");
#endif
}

RankScope::~RankScope() {
#ifdef LOIHISIM_HAVE_MPI
  if (the_ranks().mpi_) MPI_Finalize();
#endif
}

int RankScope::fail(int code) {
#ifdef LOIHISIM_HAVE_MPI
  if (code != 0 && the_ranks().mpi_ && the_ranks().size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  return code;
}

std::unique_ptr<core::StepExchange> Ranks::step_exchange() const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) return std::make_unique<MpiStepExchange>(size_);
#endif
  return nullptr;
}

std::unique_ptr<core::StepReduce> Ranks::step_reduce() const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) return std::make_unique<MpiStepReduce>();
#endif
  return nullptr;
}

std::vector<std::uint64_t> Ranks::gather(std::uint64_t value) const {
  std::vector<std::uint64_t> all(is_reporter() ? static_cast<std::size_t>(size_) : 0);
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) {
    check(MPI_Gather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T,
                     core::Distribution::kReporter, MPI_COMM_WORLD),
          "MPI_Gather");
    return all;
  }
#endif
  all.assign(1, value);
  return all;
}

double Ranks::max(double value) const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) {
    double out = 0;
    check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }
#endif
  return value;
}

#ifdef LOIHISIM_HAVE_MPI
namespace {

// MPI_Gatherv of `values` (n items of `type`) to the reporter, in rank order.
template <class T>
std::vector<T> gather_values(const std::vector<T>& values, MPI_Datatype type, int size,
                             bool reporter) {
  const int n = to_int(values.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), offsets(counts.size());
  check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, core::Distribution::kReporter,
                   MPI_COMM_WORLD),
        "MPI_Gather");
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    offsets[r] = to_int(total);
    total += static_cast<std::size_t>(counts[r]);
  }
  std::vector<T> all(reporter ? total : 0);
  check(MPI_Gatherv(values.data(), n, type, all.data(), counts.data(), offsets.data(), type,
                    core::Distribution::kReporter, MPI_COMM_WORLD),
        "MPI_Gatherv");
  return all;
}

}  // namespace
#endif

std::vector<std::int32_t> Ranks::gather(const std::vector<std::int32_t>& values) const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) return gather_values(values, MPI_INT, size_, is_reporter());
#endif
  return values;
}

std::vector<std::uint8_t> Ranks::gather_bytes(const std::vector<std::uint8_t>& bytes) const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) return gather_values(bytes, MPI_BYTE, size_, is_reporter());
#endif
  return bytes;
}

std::vector<std::int32_t> Ranks::broadcast(std::vector<std::int32_t> values) const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) {
    int n = to_int(values.size());
    check(MPI_Bcast(&n, 1, MPI_INT, core::Distribution::kReporter, MPI_COMM_WORLD), "MPI_Bcast");
    values.resize(static_cast<std::size_t>(n));
    check(MPI_Bcast(values.data(), n, MPI_INT, core::Distribution::kReporter, MPI_COMM_WORLD),
          "MPI_Bcast");
  }
#endif
  return values;
}

std::vector<std::int32_t> Ranks::all_gather(const std::vector<std::int32_t>& values) const {
#ifdef LOIHISIM_HAVE_MPI
  if (mpi_) {
    const int n = to_int(values.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(counts.size());
    check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
          "MPI_Allgather");
    std::size_t total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      offsets[r] = to_int(total);
      total += static_cast<std::size_t>(counts[r]);
    }
    std::vector<std::int32_t> all(total);
    check(MPI_Allgatherv(values.data(), n, MPI_INT, all.data(), counts.data(), offsets.data(),
                         MPI_INT, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    return all;
  }
#endif
  return values;
}

core::Distribution distribute_by_chips(const mapper::MappedImage& image,
                                       const core::Architecture& arch, int rank, int size) {
  std::vector<mapper::CoreOutline> outline;
  for (const auto& c : image.cores)
    outline.push_back({static_cast<std::int32_t>(c.compartments.size()),
                       static_cast<std::int32_t>(c.input_axons.size())});
  return distribute_by_chips(outline, arch, rank, size);
}

core::Distribution distribute_by_chips(const std::vector<mapper::CoreOutline>& outline,
                                       const core::Architecture& arch, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw std::invalid_argument("distribute_by_chips: rank outside 0..size-1");
  core::Distribution d;
  d.self = rank;
  d.processes = size;
  d.owner.assign(outline.size(), 0);
  std::vector<int> used, chips;
  for (std::size_t c = 0; c < outline.size(); ++c) {
    if (!outline[c].in_use()) continue;
    used.push_back(static_cast<int>(c));
    chips.push_back(core::locate(arch.mesh, static_cast<int>(c)).chip);
  }
  std::vector<int> distinct = chips;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const bool by_chip = static_cast<int>(distinct.size()) >= size;
  const auto share = [&](std::size_t k, std::size_t n) {
    return static_cast<std::int32_t>(k * static_cast<std::size_t>(size) / n);
  };
  for (std::size_t k = 0; k < used.size(); ++k) {
    const auto chip = static_cast<std::size_t>(
        std::lower_bound(distinct.begin(), distinct.end(), chips[k]) - distinct.begin());
    d.owner[static_cast<std::size_t>(used[k])] =
        by_chip ? share(chip, distinct.size()) : share(k, used.size());
  }
  return d;
}

}  // namespace loihisim
