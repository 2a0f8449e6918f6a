// Running a lowered NIR graph (nir_lower.hpp) on the simulated chip step by step, recording what
// every population did in NIR time, and writing it in NIRData layout so that NIR tools can read
// it (`nir.read_data`; docs/nir.md, "Recorded activity").
//
// Time: NIR step t of a population at pipeline depth d is chip step t + 1 + d (steps from 1);
// the host sends the input of NIR step t during chip step t + 1. Recordings are in NIR steps, so
// every population's trace lines up with the graph's own discrete time whatever its depth. A run
// of N NIR steps takes N + (largest depth) chip steps (the pipeline's flush).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/energy.hpp"
#include "mapper/mapped_image.hpp"
#include "formats/datasets.hpp"
#include "models/nir_lower.hpp"
#include "runtime/chip_session.hpp"

namespace loihisim::models::nir {


struct RunResult {
  std::int64_t samples = 0;
  std::int64_t nir_steps = 0;   // per sample
  std::int64_t chip_steps = 0;  // per sample
  // samples x populations (Lowered::populations order), in NIR steps (0-based): spikes in
  // time order, then by neuron; with trace, v as NIR steps x neurons in hardware units.
  std::vector<std::vector<PopulationRecord>> records;
  std::vector<std::uint64_t> spikes;  // per population, over the run's NIR steps
  core::EnergyCounts events;          // every chip event of every sample
  std::int64_t elapsed_ps = 0;        // chip time, all samples
};

struct RunOptions {
  bool trace_voltage = false;  // keep v of every population at every NIR step
};

RunResult run(const Lowered& lowered, const mapper::MappedImage& image,
              const core::Architecture& arch, const SequenceDataset& data, const RunOptions& options);

// A short report: steps, spikes per population, chip energy and time per chip step.
std::string run_summary(const Lowered& lowered, const core::Architecture& arch, const RunResult& r);

// NIRData (NIRGraphData): per neuron node and per Output node an observable "spikes"
// (EventData: idx and time, samples x events, padded with -1 and inf; a spike of NIR step t has
// time (t + 1) dt), and with a voltage trace an observable "v" (TimeGriddedData, samples x steps
// x neurons, NIR units). Nested graphs nest as NIRGraphData. Written atomically.
void write_nirdata(const std::filesystem::path& file, const Lowered& lowered, const RunResult& r);

}  // namespace loihisim::models::nir
