#include "mapper/network_index.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "io/errors.hpp"

namespace loihisim::mapper {

NetworkIndex index_network(const Network& net) {
  NetworkIndex ix;
  ix.net = &net;
  std::map<Network::Vertex, int> pop_of, port_of;
  for (auto v : net.populations()) {
    pop_of[v] = static_cast<int>(ix.populations.size());
    ix.populations.push_back(&net.population(v));
  }
  for (auto v : net.input_ports()) {
    port_of[v] = static_cast<int>(ix.input_ports.size());
    ix.input_ports.push_back(&net.input_port(v));
  }
  const std::size_t n_pop = ix.populations.size();
  ix.incoming.resize(n_pop);
  ix.outgoing.resize(n_pop);
  for (auto e : net.projections()) {
    const int pi = static_cast<int>(ix.projections.size());
    const Projection& p = net.projection(e);
    ix.projections.push_back(&p);
    const auto src = boost::source(e, net.graph());
    const auto dst = boost::target(e, net.graph());
    const int sp = pop_of.count(src) ? pop_of[src] : -1;
    ix.source_population.push_back(sp);
    ix.source_port.push_back(port_of.count(src) ? port_of[src] : -1);
    ix.target_population.push_back(pop_of.at(dst));
    ix.source_size.push_back(net.node_size(src));
    ix.incoming[static_cast<std::size_t>(pop_of.at(dst))].push_back(pi);
    if (sp >= 0) ix.outgoing[static_cast<std::size_t>(sp)].push_back(pi);

    int max_delay = 0;
    if (p.delay.empty()) {
      max_delay = p.uniform_delay;
    } else {
      for (std::size_t k = 0; k < p.delay.size(); ++k)
        if (p.weight[k] != 0) max_delay = std::max<int>(max_delay, p.delay[k]);
    }
    ix.max_delay.push_back(max_delay);

    std::vector<std::uint64_t> rows;
    std::vector<std::uint32_t> order;
    if (!p.dense) {
      if (p.weight.size() >= std::numeric_limits<std::uint32_t>::max())
        throw InputError(
            fmt::format("projection '{}': {} synapses; at most 2^32 - 1 are "
                        "supported per projection (split it into several)",
                        p.name, p.weight.size()));
      const auto n_dst = static_cast<std::size_t>(net.node_size(dst));
      rows.assign(n_dst + 1, 0);
      for (auto t : p.post) ++rows[static_cast<std::size_t>(t) + 1];
      for (std::size_t t = 0; t < n_dst; ++t) rows[t + 1] += rows[t];
      order.resize(p.weight.size());
      std::vector<std::uint64_t> fill(rows.begin(), rows.end() - 1);
      for (std::size_t k = 0; k < p.post.size(); ++k)
        order[fill[static_cast<std::size_t>(p.post[k])]++] = static_cast<std::uint32_t>(k);
    }
    ix.row_start.push_back(std::move(rows));
    ix.by_post.push_back(std::move(order));
  }
  return ix;
}

int NetworkIndex::population_index(const std::string& name) const {
  for (std::size_t i = 0; i < populations.size(); ++i)
    if (populations[i]->name == name) return static_cast<int>(i);
  return -1;
}

int NetworkIndex::input_port_index(const std::string& name) const {
  for (std::size_t i = 0; i < input_ports.size(); ++i)
    if (input_ports[i]->name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace loihisim::mapper
