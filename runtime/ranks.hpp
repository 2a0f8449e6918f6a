// The processes of a run distributed over MPI ranks (`mpirun -np K loihisim simulate|run`,
// docs/scaling.md). Built without MPI (LOIHISIM_MPI off) or started without mpirun, there is
// one rank and every call here is the single-process case.
//
//   RankScope scope(&argc, &argv);        // main(): MPI_Init when started by mpirun
//   const Ranks& r = ranks();             // rank(), size()
//   core::Distribution d = distribute_by_chips(image, arch, r.rank(), r.size());
//   auto ex = r.step_exchange();          // core::StepExchange over MPI_Alltoallv
//
// Only runtime/ranks.cpp includes MPI; core/ knows only core::StepExchange.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "core/step_reduce.hpp"
#include "mapper/mapped_image.hpp"
#include "mapper/mapped_image_io.hpp"

namespace loihisim {

class Ranks {
 public:
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_reporter() const { return rank_ == core::Distribution::kReporter; }
  // The step barrier: MPI_Alltoallv of the per-rank buffers (null with one rank and no MPI).
  std::unique_ptr<core::StepExchange> step_exchange() const;
  // Sums and gathers of a distributed accountant over MPI_Allreduce and MPI_Allgather (null
  // with one rank and no MPI).
  std::unique_ptr<core::StepReduce> step_reduce() const;
  // On the reporter: every rank's value, in rank order (elsewhere: empty). Collective.
  std::vector<std::uint64_t> gather(std::uint64_t value) const;
  double max(double value) const;  // over the ranks; collective
  // On the reporter, the concatenation of every rank's values in rank order; elsewhere empty.
  std::vector<std::int32_t> gather(const std::vector<std::int32_t>& values) const;
  // The same for bytes.
  std::vector<std::uint8_t> gather_bytes(const std::vector<std::uint8_t>& bytes) const;
  // The reporter's values, on every rank.
  std::vector<std::int32_t> broadcast(std::vector<std::int32_t> values) const;
  // On every rank, the concatenation of every rank's values in rank order. Collective.
  std::vector<std::int32_t> all_gather(const std::vector<std::int32_t>& values) const;
  // True when started by mpirun (MPI_Init was called), even with one rank.
  bool launched() const { return mpi_; }

 private:
  friend class RankScope;
  int rank_ = 0, size_ = 1;
  bool mpi_ = false;  // MPI_Init was called
};

// This process's ranks (one rank before a RankScope or without MPI).
const Ranks& ranks();
// True when this binary was built with MPI (LOIHISIM_MPI).
bool built_with_mpi();

// MPI_Init when this process was started by mpirun (Open MPI's OMPI_COMM_WORLD_SIZE or a PMIx
// launcher's PMIX_RANK in the environment), MPI_Finalize at the end of the scope.
class RankScope {
 public:
  RankScope(int* argc, char*** argv);
  ~RankScope();
  RankScope(const RankScope&) = delete;
  RankScope& operator=(const RankScope&) = delete;
  // Ends a command with `code`: a failure (code != 0) with several ranks is MPI_Abort (the others
  // wait in a collective); returns `code` otherwise.
  int fail(int code);
};

// Which rank steps each chip core: the chips in use (placement: chip core i is physical core i
// of the architecture's mesh) split into `size` contiguous runs of whole chips, so that
// traffic within a chip stays within a rank; with fewer chips in use than ranks, the cores in
// use split into contiguous runs instead. Cores not in use go to rank 0 (they never work).
core::Distribution distribute_by_chips(const mapper::MappedImage& image,
                                       const core::Architecture& arch, int rank, int size);
// The same from the cores' sizes alone (mapper::read_core_outline).
core::Distribution distribute_by_chips(const std::vector<mapper::CoreOutline>& outline,
                                       const core::Architecture& arch, int rank, int size);

}  // namespace loihisim
