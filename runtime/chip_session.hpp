// One chip session: what every run of the chip shares (docs/architecture.md, "One chip
// session"). It owns a core::Chip built from a mapped image or from plain core tables, the
// accountant that turns the chip's counts into time and energy (when an architecture is given),
// the host's way into the chip (input ports: port element -> input axons) and out of it (the
// spike map: compartment -> population neuron and output-port neuron), and optional recording
// of spikes, u, v and per-core counts.
//
// `loihisim run` (inference.cpp), `core-run` (core_run.cpp) and NIR runs (nir_run.cpp) drive
// it; each adds only what its run means (symbols and host nodes, a raster, NIR time):
//
//   ChipSession session(image, &arch);
//   session.begin_sample();
//   for (...) { session.send(port, element); session.step(traffic); use session.fired(...); }
//   session.accountant()->energy_counts(); session.recording();
//
// A session is copyable: worker threads copy a prototype (the chip tables are built and
// validated once); the spike map and ports are shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/architecture.hpp"
#include "core/chip.hpp"
#include "core/chip_accountant.hpp"
#include "mapper/mapped_image.hpp"
#include "models/model_spec.hpp"

namespace loihisim {

// Where each compartment's spikes go on the host side, built once per image.
struct SpikeMap {
  struct Site {
    std::int32_t population = -1;  // index into the image's populations (-1: none)
    std::int32_t neuron = -1;
  };
  struct PortTarget {
    std::int32_t port = 0;    // index into the image's output ports
    std::int32_t neuron = 0;  // neuron of that port
  };
  std::vector<std::int32_t> cores;      // chip cores with compartments, ascending
  std::vector<std::vector<Site>> site;  // [core][compartment]
  // Per core, CSR over compartments: port_targets[c][port_begin[c][x] .. port_begin[c][x + 1]).
  std::vector<std::vector<std::int32_t>> port_begin;
  std::vector<std::vector<PortTarget>> port_targets;
  // Per population: the compartment whose v and u a recording samples, per neuron.
  std::vector<std::vector<mapper::CompartmentSite>> population_sites;
  // Per population: the compartment that integrates, per neuron (a two-compartment neuron's
  // dendrite, which its soma reads through a join; else the neuron's own compartment).
  std::vector<std::vector<mapper::CompartmentSite>> integrating_sites;
  std::vector<std::string> population_names;
};

// From a mapped image: its populations and output ports.
SpikeMap spike_map(const mapper::MappedImage& image);
// From plain core tables (core-run): one population per core ("core <i>"), whose neuron j is
// compartment j.
SpikeMap spike_map(const core::ChipConfig& config);

struct RecordOptions {
  bool spikes = false;   // every spike as (step, neuron) per population
  bool voltage = false;  // v of every population neuron after every step
  bool current = false;  // u of every population neuron after every step
  bool counts = false;   // every chip core's counter deltas of every step
  bool flows = false;    // messages per (source core, destination core) over the sample
};

// What a sample did; steps are numbered from 1 within the sample (session.steps()).
struct PopulationRecord {
  std::vector<std::int32_t> step, neuron;  // spikes, in step order (by core within a step)
  std::vector<std::int32_t> v, u;          // steps x neurons, row-major, when recorded
};
struct Recording {
  std::int64_t steps = 0;
  std::vector<PopulationRecord> populations;
  std::vector<core::CoreCounts> core_step_counts;  // steps x chip cores, row-major
  // With RecordOptions::flows: compartment messages per (source, destination) chip core.
  std::map<std::pair<std::int32_t, std::int32_t>, std::uint64_t> flows;
};

class ChipSession {
 public:
  // `arch` may be null: no time and energy (core-run without --arch). With it, chip core i is
  // physical core i of the architecture's mesh (mapped images index cores so). Throws
  // core::InvalidCoreConfig for tables core::validate() rejects.
  ChipSession(const mapper::MappedImage& image, const core::Architecture* arch,
              core::AccountantOptions accounting = {}, RecordOptions record = {});
  ChipSession(const core::ChipConfig& config, const core::Architecture* arch,
              core::AccountantOptions accounting = {}, RecordOptions record = {});
  // One process of a run distributed over processes (docs/scaling.md): it builds and steps
  // only the image's cores `dist` gives it (core::Chip, core::Distribution); `exchange` (not
  // owned) moves each step's messages. Only the reporter (process 0) sees every core's counts,
  // fired compartments and messages: it alone keeps an accountant (accountant() is null
  // elsewhere; but see distribute_accounting()) and its recording of spikes, counts and flows
  // is the whole chip's; v and u are known only for this process's cores. The image may hold
  // only this process's cores' tables when `dist` carries the others' sizes and routes
  // (read_rank_image, runtime/rank_image.hpp).
  ChipSession(const mapper::MappedImage& image, const core::Architecture* arch,
              core::Distribution dist, core::StepExchange* exchange,
              core::AccountantOptions accounting = {}, RecordOptions record = {});

  // A distributed session (the constructor above) whose accounting is distributed too: every
  // process keeps an accountant of its own cores, combined every step through `reduce` (not
  // owned; core::ChipAccountant::distribute), so rank 0 no longer receives every core's
  // messages nor accounts them alone. Analytic network model only (std::invalid_argument
  // otherwise, from the next begin_sample()); no flows recording. Call before begin_sample().
  void distribute_accounting(core::StepReduce* reduce);
  // Collective with distribute_accounting(): every core's totals into every process's
  // accountant (call on every process after the sample's last step, before reporting).
  void gather_accounts() {
    if (accountant_ && reduce_) accountant_->gather_totals();
  }

  // A new sample: power-on chip state, empty in-flight queues, a fresh accountant and recording.
  void begin_sample();
  // What the following samples record (from the next begin_sample() on).
  void set_record(RecordOptions record) { record_ = record; }
  // Chip state back to power-on within the sample (a reset per symbol); time and energy go on.
  void reset_state() { chip_.reset_state(); }

  // Input port `port` (index into the image's input ports), element `element`: one spike of
  // `payload` into every input axon the port's element drives. Same-step spikes are integrated
  // in the coming step, next-step ones in the step after (core::Chip::inject_same_step).
  void send(std::size_t port, std::size_t element, std::int32_t payload = 1,
            InputTiming timing = InputTiming::kNextStep);
  // One spike into one input axon of one core (core-run rasters). std::out_of_range for an
  // unknown core or axon.
  void send_axon(int core, int axon, std::int32_t payload = 1) {
    chip_.inject(core, {axon, payload});
  }
  // The bias of population neuron `neuron`'s integrating compartment (a two-compartment
  // neuron's dendrite), effective from the next step.
  void set_bias(std::size_t population, std::int32_t neuron, int mant, int exp);

  // One chip step; the accountant observes it with the host-link traffic the chip cannot see,
  // and the recording takes what it was asked for.
  void step(const core::HostTraffic& traffic = {});
  // Cores of a step stepped by these threads (not owned; null: one thread). Results are
  // bit-identical for any count (core::Chip::step(StepThreads*)).
  void set_step_threads(core::StepThreads* threads) { step_threads_ = threads; }

  // The compartments of chip core `core` that fired in the last step.
  std::span<const std::int32_t> fired(int core) const { return chip_.core(core).fired(); }
  // Their payloads (1 for binary spikes).
  std::span<const std::int32_t> fired_payloads(int core) const {
    return chip_.core(core).fired_payloads();
  }

  std::int64_t steps() const { return steps_; }  // steps in this sample
  // Measured wall time (not simulated) of every step() since construction, in ns: the chip's
  // step (with a distributed chip, its exchange included) and the accountant's observe().
  std::uint64_t chip_ns() const { return chip_ns_; }
  std::uint64_t accounting_ns() const { return accounting_ns_; }
  const core::Chip& chip() const { return chip_; }
  const SpikeMap& spike_map() const { return *map_; }
  const std::vector<mapper::InputPortSites>& input_ports() const { return *ports_; }
  // Index of the input port called `name`, or -1.
  int input_port(const std::string& name) const;
  // Null without an architecture.
  const core::ChipAccountant* accountant() const { return accountant_ ? &*accountant_ : nullptr; }
  const Recording& recording() const { return recording_; }

 private:
  ChipSession(core::Chip chip, std::shared_ptr<const SpikeMap> map,
              std::shared_ptr<const std::vector<mapper::InputPortSites>> ports,
              const core::Architecture* arch, core::AccountantOptions accounting,
              RecordOptions record);
  void record_step();

  core::Chip chip_;
  std::shared_ptr<const SpikeMap> map_;
  std::shared_ptr<const std::vector<mapper::InputPortSites>> ports_;
  const core::Architecture* arch_ = nullptr;
  core::AccountantOptions accounting_;
  RecordOptions record_;
  std::optional<core::ChipAccountant> accountant_;
  Recording recording_;
  std::vector<core::CoreCounts> previous_counts_;  // for RecordOptions::counts
  std::int64_t steps_ = 0;
  core::StepThreads* step_threads_ = nullptr;
  std::uint64_t chip_ns_ = 0, accounting_ns_ = 0;
  core::StepReduce* reduce_ = nullptr;  // distribute_accounting()
};

}  // namespace loihisim
