#include "runtime/chip_session.hpp"

#include <chrono>
#include <stdexcept>

namespace loihisim {
namespace {

// Output-port targets per compartment as CSR, and the cores worth looking at.
void index_cores(SpikeMap& m, const std::vector<core::CoreConfig>& cores,
                 const std::vector<std::vector<std::vector<SpikeMap::PortTarget>>>& per_cx) {
  for (std::size_t c = 0; c < cores.size(); ++c) {
    if (cores[c].compartments.empty()) continue;
    m.cores.push_back(static_cast<std::int32_t>(c));
    m.port_begin[c].push_back(0);
    for (const auto& list : per_cx[c]) {
      m.port_targets[c].insert(m.port_targets[c].end(), list.begin(), list.end());
      m.port_begin[c].push_back(static_cast<std::int32_t>(m.port_targets[c].size()));
    }
  }
}

void size_map(SpikeMap& m, const std::vector<core::CoreConfig>& cores,
              std::vector<std::vector<std::vector<SpikeMap::PortTarget>>>& per_cx) {
  const std::size_t n = cores.size();
  m.site.resize(n);
  m.port_begin.resize(n);
  m.port_targets.resize(n);
  per_cx.resize(n);
  for (std::size_t c = 0; c < n; ++c) {
    m.site[c].assign(cores[c].compartments.size(), {});
    per_cx[c].resize(cores[c].compartments.size());
  }
}

// The compartment that integrates the input of the neuron at `site` of block b: for
// two-compartment neurons its dendrite, which the mapper puts `count` compartments before the
// soma of the same block and which joins that soma; otherwise the neuron's own compartment.
mapper::CompartmentSite integrating_site(const mapper::MappedImage& image,
                                         const mapper::BlockSite& b, mapper::CompartmentSite site) {
  const std::int32_t dendrite = site.compartment - b.count;
  if (dendrite < 0) return site;
  const auto& cx = image.cores[static_cast<std::size_t>(site.core)]
                       .compartments[static_cast<std::size_t>(dendrite)];
  if (cx.join != core::JoinOp::kNone && cx.join_parent == site.compartment)
    site.compartment = dendrite;
  return site;
}

}  // namespace

SpikeMap spike_map(const mapper::MappedImage& image) {
  SpikeMap m;
  std::vector<std::vector<std::vector<SpikeMap::PortTarget>>> per_cx;
  size_map(m, image.cores, per_cx);
  for (std::size_t p = 0; p < image.populations.size(); ++p) {
    const auto& pop = image.populations[p];
    m.population_names.push_back(pop.name);
    auto& sites = m.population_sites.emplace_back();
    auto& integrating = m.integrating_sites.emplace_back();
    // The blocks cover the neurons in order (the image reader checks it): neuron order.
    for (const auto& b : pop.blocks)
      for (std::int32_t k = 0; k < b.count; ++k) {
        m.site[static_cast<std::size_t>(b.core)][static_cast<std::size_t>(
            b.first_compartment + k)] = {static_cast<std::int32_t>(p), b.first_neuron + k};
        sites.push_back({b.core, b.first_compartment + k});
        integrating.push_back(integrating_site(image, b, sites.back()));
      }
  }
  for (std::size_t k = 0; k < image.output_ports.size(); ++k) {
    const auto& port = image.output_ports[k];
    for (std::size_t j = 0; j < port.neurons.size(); ++j) {
      const auto& s = port.neurons[j];
      per_cx[static_cast<std::size_t>(s.core)][static_cast<std::size_t>(s.compartment)].push_back(
          {static_cast<std::int32_t>(k), static_cast<std::int32_t>(j)});
    }
  }
  index_cores(m, image.cores, per_cx);
  return m;
}

SpikeMap spike_map(const core::ChipConfig& config) {
  SpikeMap m;
  std::vector<std::vector<std::vector<SpikeMap::PortTarget>>> per_cx;
  size_map(m, config.cores, per_cx);
  for (std::size_t c = 0; c < config.cores.size(); ++c) {
    m.population_names.push_back("core " + std::to_string(c));
    auto& sites = m.population_sites.emplace_back();
    for (std::size_t x = 0; x < config.cores[c].compartments.size(); ++x) {
      m.site[c][x] = {static_cast<std::int32_t>(c), static_cast<std::int32_t>(x)};
      sites.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(x)});
    }
    m.integrating_sites.push_back(sites);
  }
  index_cores(m, config.cores, per_cx);
  return m;
}

ChipSession::ChipSession(core::Chip chip, std::shared_ptr<const SpikeMap> map,
                         std::shared_ptr<const std::vector<mapper::InputPortSites>> ports,
                         const core::Architecture* arch, core::AccountantOptions accounting,
                         RecordOptions record)
    : chip_(std::move(chip)),
      map_(std::move(map)),
      ports_(std::move(ports)),
      arch_(arch),
      accounting_(accounting),
      record_(record) {}

ChipSession::ChipSession(const mapper::MappedImage& image, const core::Architecture* arch,
                         core::AccountantOptions accounting, RecordOptions record)
    : ChipSession(core::Chip(image.cores, image.limits),
                  std::make_shared<const SpikeMap>(loihisim::spike_map(image)),
                  std::make_shared<const std::vector<mapper::InputPortSites>>(image.input_ports),
                  arch, accounting, record) {}

ChipSession::ChipSession(const mapper::MappedImage& image, const core::Architecture* arch,
                         core::Distribution dist, core::StepExchange* exchange,
                         core::AccountantOptions accounting, RecordOptions record)
    : ChipSession(core::Chip(image.cores, image.limits, std::move(dist)),
                  std::make_shared<const SpikeMap>(loihisim::spike_map(image)),
                  std::make_shared<const std::vector<mapper::InputPortSites>>(image.input_ports),
                  arch, accounting, record) {
  chip_.set_exchange(exchange);
}

ChipSession::ChipSession(const core::ChipConfig& config, const core::Architecture* arch,
                         core::AccountantOptions accounting, RecordOptions record)
    : ChipSession(core::Chip(config), std::make_shared<const SpikeMap>(loihisim::spike_map(config)),
                  std::make_shared<const std::vector<mapper::InputPortSites>>(), arch, accounting,
                  record) {}

void ChipSession::distribute_accounting(core::StepReduce* reduce) {
  if (!chip_.distributed())
    throw std::logic_error("distribute_accounting() on a session that is not distributed");
  if (record_.flows)
    throw std::invalid_argument("flows are not recorded with distributed accounting");
  reduce_ = reduce;
  chip_.set_reporter_messages(reduce == nullptr);
}

void ChipSession::begin_sample() {
  chip_.reset_state();
  steps_ = 0;
  const bool reporter =
      !chip_.distributed() || chip_.distribution().self == core::Distribution::kReporter;
  accountant_.reset();
  if (arch_ && (reporter || reduce_)) {
    accountant_.emplace(*arch_, std::vector<int>{}, accounting_);
    accountant_->distribute(reduce_);
    accountant_->start(chip_);
  }
  recording_ = Recording{};
  if (record_.spikes || record_.voltage || record_.current)
    recording_.populations.resize(map_->population_sites.size());
  if (record_.counts) {
    previous_counts_.resize(static_cast<std::size_t>(chip_.num_cores()));
    for (int c = 0; c < chip_.num_cores(); ++c)
      previous_counts_[static_cast<std::size_t>(c)] = chip_.core(c).counts();
  }
}

void ChipSession::send(std::size_t port, std::size_t element, std::int32_t payload,
                       InputTiming timing) {
  const auto& p = (*ports_)[port];
  for (auto a = p.offsets[element]; a < p.offsets[element + 1]; ++a) {
    const auto& site = p.axons[static_cast<std::size_t>(a)];
    if (timing == InputTiming::kSameStep)
      chip_.inject_same_step(site.core, {site.axon, payload});
    else
      chip_.inject(site.core, {site.axon, payload});
  }
}

void ChipSession::set_bias(std::size_t population, std::int32_t neuron, int mant, int exp) {
  const auto site = map_->integrating_sites[population][static_cast<std::size_t>(neuron)];
  chip_.set_bias(site.core, site.compartment, mant, exp);
}

int ChipSession::input_port(const std::string& name) const {
  for (std::size_t k = 0; k < ports_->size(); ++k)
    if ((*ports_)[k].name == name) return static_cast<int>(k);
  return -1;
}

void ChipSession::step(const core::HostTraffic& traffic) {
  using clock = std::chrono::steady_clock;
  const auto ns = [](clock::duration d) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  };
  const auto t0 = clock::now();
  chip_.step(step_threads_);
  ++steps_;
  const auto t1 = clock::now();
  if (accountant_) accountant_->observe(chip_, traffic);
  chip_ns_ += ns(t1 - t0);
  accounting_ns_ += ns(clock::now() - t1);
  record_step();
}

void ChipSession::record_step() {
  recording_.steps = steps_;
  const SpikeMap& m = *map_;
  if (record_.spikes)
    for (const std::int32_t c : m.cores)
      for (const std::int32_t cx : chip_.core(c).fired()) {
        const auto site = m.site[static_cast<std::size_t>(c)][static_cast<std::size_t>(cx)];
        if (site.population < 0) continue;
        auto& rec = recording_.populations[static_cast<std::size_t>(site.population)];
        rec.step.push_back(static_cast<std::int32_t>(steps_));
        rec.neuron.push_back(site.neuron);
      }
  if (record_.voltage || record_.current)
    for (std::size_t p = 0; p < m.population_sites.size(); ++p) {
      auto& rec = recording_.populations[p];
      for (const auto& s : m.population_sites[p]) {
        const auto& core = chip_.core(s.core);
        if (record_.voltage) rec.v.push_back(core.v()[static_cast<std::size_t>(s.compartment)]);
        if (record_.current) rec.u.push_back(core.u()[static_cast<std::size_t>(s.compartment)]);
      }
    }
  if (record_.flows && !reduce_)
    for (const auto& f : chip_.last_flows())
      recording_.flows[{f.source_core, f.dest_core}] += f.messages;
  if (record_.counts)
    for (int c = 0; c < chip_.num_cores(); ++c) {
      const core::CoreCounts now = chip_.core(c).counts();
      recording_.core_step_counts.push_back(now - previous_counts_[static_cast<std::size_t>(c)]);
      previous_counts_[static_cast<std::size_t>(c)] = now;
    }
}

}  // namespace loihisim
