#include "core/chip.hpp"

#include <string>

namespace loihisim::core {

std::vector<ConfigProblem> validate(const ChipConfig& cfg) {
  std::vector<ConfigProblem> problems;
  for (std::size_t c = 0; c < cfg.cores.size(); ++c) {
    const std::string prefix = "cores[" + std::to_string(c) + "].";
    for (auto p : validate(cfg.cores[c], cfg.limits)) {
      p.field = prefix + p.field;
      p.message = prefix + p.message;
      problems.push_back(std::move(p));
    }
    const auto& outs = cfg.cores[c].output_axons;
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const auto& o = outs[i];
      const std::string field = prefix + "output_axons[" + std::to_string(i) + "]";
      if (o.dest_core < 0 || o.dest_core >= static_cast<int>(cfg.cores.size())) {
        problems.push_back(
            {field + ".dest_core", field + ".dest_core = " + std::to_string(o.dest_core) +
                                       " names no core; allowed range 0.." +
                                       std::to_string(static_cast<int>(cfg.cores.size()) - 1)});
        continue;
      }
      const auto n_axons = cfg.cores[static_cast<std::size_t>(o.dest_core)].input_axons.size();
      if (o.dest_axon < 0 || static_cast<std::size_t>(o.dest_axon) >= n_axons)
        problems.push_back({field + ".dest_axon",
                            field + ".dest_axon = " + std::to_string(o.dest_axon) +
                                " names no input axon of core " + std::to_string(o.dest_core) +
                                (n_axons > 0 ? "; allowed range 0.." + std::to_string(n_axons - 1)
                                             : std::string(", which has no input axons"))});
    }
  }
  return problems;
}

Chip::Chip(const ChipConfig& cfg) {
  if (auto problems = validate(cfg); !problems.empty())
    throw InvalidCoreConfig(std::move(problems));
  cores_.reserve(cfg.cores.size());
  for (const auto& c : cfg.cores) cores_.push_back(Neurocore(c, Neurocore::Validated{}));
  inbox_.resize(cfg.cores.size());
  for (const auto& c : cores_) idle_.push_back(c.idle() ? 1 : 0);
}

void Chip::check_host_spike(int core, int axon) const {
  if (core < 0 || core >= num_cores())
    throw std::out_of_range("host spike for core " + std::to_string(core) + " but the chip has " +
                            std::to_string(num_cores()) + " cores");
  if (axon < 0 || axon >= cores_[static_cast<std::size_t>(core)].num_input_axons())
    throw std::out_of_range(
        "host spike for input axon " + std::to_string(axon) + " of core " + std::to_string(core) +
        ", which has " + std::to_string(cores_[static_cast<std::size_t>(core)].num_input_axons()) +
        " input axons");
}

void Chip::inject(int core, AxonSpike spike) {
  check_host_spike(core, spike.axon);
  pending_host_.push_back({-1, core, spike.axon, spike.payload});
  ++host_spikes_;
}

void Chip::inject_same_step(int core, AxonSpike spike) {
  check_host_spike(core, spike.axon);
  inbox_[static_cast<std::size_t>(core)].push_back(spike);
  early_host_.push_back({-1, core, spike.axon, spike.payload});
  ++host_spikes_;
}

void Chip::set_bias(int core, int compartment, int bias_mant, int bias_exp) {
  if (core < 0 || core >= num_cores())
    throw std::out_of_range("bias for core " + std::to_string(core) + " but the chip has " +
                            std::to_string(num_cores()) + " cores");
  cores_[static_cast<std::size_t>(core)].set_bias(compartment, bias_mant, bias_exp);
}

void Chip::step() {
  sent_.clear();
  early_delivered_.swap(early_host_);  // in the inboxes already
  early_host_.clear();
  for (std::size_t c = 0; c < cores_.size(); ++c) {
    if (idle_[c]) {  // no axons, so no inbox; no compartments, so nothing to update or send
      cores_[c].advance_idle();
      continue;
    }
    if (c + 1 < cores_.size()) cores_[c + 1].prefetch_inputs(inbox_[c + 1]);
    scratch_.clear();
    cores_[c].step(inbox_[c], scratch_);
    inbox_[c].clear();
    for (const auto& m : scratch_)
      sent_.push_back({static_cast<std::int32_t>(c), m.dest_core, m.dest_axon, m.payload});
  }
  finish_step();
}

void Chip::step(StepThreads* threads) {
  if (!threads || threads->threads() == 1) return step();
  sent_.clear();
  early_delivered_.swap(early_host_);
  early_host_.clear();
  out_.resize(cores_.size());
  threads->run(cores_.size(), [this](std::size_t c) {
    out_[c].clear();
    if (idle_[c]) {
      cores_[c].advance_idle();
      return;
    }
    cores_[c].step(inbox_[c], out_[c]);
    inbox_[c].clear();
  });
  for (std::size_t c = 0; c < cores_.size(); ++c)
    for (const auto& m : out_[c])
      sent_.push_back({static_cast<std::int32_t>(c), m.dest_core, m.dest_axon, m.payload});
  finish_step();
}

void Chip::finish_step() {
  sent_.insert(sent_.end(), pending_host_.begin(), pending_host_.end());
  pending_host_.clear();
  // Barrier: everything sent in this step is delivered at the start of the next one.
  for (const auto& m : sent_)
    inbox_[static_cast<std::size_t>(m.dest_core)].push_back({m.dest_axon, m.payload});
  ++t_;
}

void Chip::reset_state() {
  for (auto& c : cores_) c.reset_state();
  for (auto& b : inbox_) b.clear();
  pending_host_.clear();
  early_host_.clear();
  early_delivered_.clear();
  sent_.clear();
  t_ = 0;
}

CoreCounts Chip::total_counts() const {
  CoreCounts total;
  for (const auto& c : cores_) total += c.counts();
  return total;
}

}  // namespace loihisim::core
