// A free-running simulation (`loihisim simulate`, docs/running.md "Free-running networks"): a
// mapped network stepped N times, driven by its biases and, optionally, by an input raster on
// its input ports; no dataset, no classifier. It returns the exact spike count of every
// population, optional spike rasters, and the energy and time report of the run (per step:
// the run is one "inference" of N steps, and per-step figures are the run's divided by N).
//
// Its cost grows with spikes, not neurons x steps: spikes are counted from the cores' fired
// lists, and nothing is recorded per neuron and step unless asked.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/neurocore.hpp"
#include "formats/datasets.hpp"
#include "mapper/mapped_image.hpp"
#include "runtime/report.hpp"

namespace loihisim {

// Neurons whose state is recorded every step: of one population, the listed neurons (all when
// empty).
struct ProbeRequest {
  std::string population;
  std::vector<std::int32_t> neurons;
};

struct FreeRunOptions {
  std::int64_t steps = 0;      // chip steps to run (>= 1)
  bool record_spikes = false;  // every spike as (step, neuron) per population
  std::vector<ProbeRequest> probes;
  // Which sample of the input raster drives the ports (when there is one).
  std::size_t input_sample = 0;
  // Threads stepping the cores of each step (results bit-identical for any count).
  int threads = 1;
  // Started by mpirun: this rank's cores, when the image holds only their tables
  // (read_rank_image, runtime/rank_image.hpp; not owned). Null: distribute_by_chips() of the
  // whole image.
  const core::Distribution* distribution = nullptr;
};

struct PopulationSpikes {
  std::string name;
  std::int32_t neurons = 0;
  std::uint64_t spikes = 0;
  std::vector<std::int32_t> step, neuron;  // with record_spikes: steps numbered from 1
};

// A probe's record: after every step, each probed neuron's compartment state (the soma's for
// two-compartment neurons): v (voltage) and u (current), steps x neurons, row-major.
struct ProbeTrace {
  std::string population;
  std::vector<std::int32_t> neurons;
  std::vector<std::int32_t> v, u;
};

struct FreeRunResult {
  std::int64_t steps = 0;
  std::vector<PopulationSpikes> populations;  // in the image's order
  std::uint64_t input_spikes = 0;             // raster spikes sent into the input ports
  bool spikes_recorded = false;               // PopulationSpikes::step, neuron are filled
  std::vector<ProbeTrace> probes;             // one per ProbeRequest
  // Measured on this machine, not simulated (kept out of the summary, which is deterministic):
  // wall time of the stepping loop.
  double loop_seconds = 0.0;  // the slowest rank's
  Report report;              // energy and time of the whole run
  // Run over MPI ranks (runtime/ranks.hpp, docs/scaling.md): this process is `rank` of `ranks`;
  // only the reporter (rank 0) has the run's spike counts, rasters and report. Measured, not
  // simulated (kept out of the summary): the bytes of each rank's chip (its cores' tables and
  // state, core::Chip::memory), on the reporter; and the image's synapses and compartments, for
  // the bytes per synapse and per compartment.
  int rank = 0, ranks = 1;
  std::vector<core::MemoryBytes> rank_memory;
  // Per rank (on the reporter), measured: ns in the chip's steps (the exchange included) and in
  // the accountant (rank 0 only: the energy and time model of every core).
  std::vector<std::uint64_t> rank_chip_ns, rank_accounting_ns;
  std::vector<std::uint64_t> rank_exchange_ns;  // of rank_chip_ns: the exchange and its waiting
  // Of rank_accounting_ns, with distributed accounting: the reductions and their waiting.
  std::vector<std::uint64_t> rank_reduce_ns;
  // Per rank (on the reporter), measured: the process's peak resident memory in bytes
  // (getrusage), image, MPI and libraries included.
  std::vector<std::uint64_t> rank_peak_rss;
  // Per rank (on the reporter): bytes of the image's core tables the rank holds (synapse
  // lists, input and output axons, profiles and formats, by element count): started by
  // mpirun with a mapped image, each rank holds only its own cores' (read_rank_image), so
  // these add up to the one-process figure.
  std::vector<std::uint64_t> rank_image_bytes;
  std::uint64_t synapses = 0, compartments = 0;
};

// Started by mpirun (runtime/ranks.hpp), every rank calls this with the same arguments: each
// steps the chips distribute_by_chips() gives it; results are bit-identical to one process.
// Throws InputError when steps < 1, a probe names a population or neuron the image does not
// have (or would need more memory than the input limits allow), or the raster does not match
// the image's input ports
// (symbol size = the sum of the port sizes, in the image's port order; a raster step with
// value != 0 at element j sends one spike of port element j, integrated in the next step).
// Raster steps beyond `steps` are not sent; steps beyond the raster run on the biases alone.
// `cancel` (may be null) stops the run between steps; `progress` gets the steps done.
FreeRunResult free_run(const mapper::MappedImage& image, const core::Architecture& arch,
                       const SequenceDataset* input, const FreeRunOptions& options,
                       const std::atomic<bool>* cancel = nullptr,
                       const std::function<void(std::int64_t)>& progress = {});

// The ranks and their measured chip memory; bytes per synapse and per compartment.
std::string rank_text(const FreeRunResult& r);
// Spike counts and rates per population, then the report's text.
std::string free_run_text(const FreeRunResult& r);
// The summary (docs/reports.md, "simulate"): the report's keys plus the populations.
Summary free_run_summary(const FreeRunResult& r, const std::string& network);
// HDF5: /populations/<name> (attributes neurons, spikes; datasets step, neuron when recorded),
// /probes/<population> (datasets neuron, v and u: steps x probed neurons) and /energy (the
// report with its per-step arrays).
void write_free_run_h5(h5::Group& root, const FreeRunResult& r, const std::string& network);

}  // namespace loihisim
