#include "mapper/network_index.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "io/errors.hpp"

namespace loihisim::mapper {

namespace {

// Units from the join links: each group's members in post-order from its root.
void index_units(const Network& net, NetworkIndex& ix, std::map<Network::Vertex, int>& member_of) {
  std::map<std::string, int> id;
  for (auto v : net.populations()) {
    const int k = static_cast<int>(ix.member_populations.size());
    member_of[v] = k;
    id[net.population(v).name] = k;
    ix.member_populations.push_back(&net.population(v));
  }
  const std::size_t n = ix.member_populations.size();
  std::vector<std::vector<int>> children(n);
  std::vector<int>& parent = ix.parent_of;
  parent.assign(n, -1);
  for (std::size_t k = 0; k < n; ++k) {
    const auto& jp = ix.member_populations[k]->join_parent;
    if (jp.empty()) continue;
    parent[k] = id.at(jp);  // Network::add_population checked it names an earlier population
    children[static_cast<std::size_t>(parent[k])].push_back(static_cast<int>(k));
  }
  ix.unit_of.assign(n, -1);
  ix.kind_of.assign(n, -1);
  // A unit sits where its first member is in network order; members in post-order.
  std::vector<int> root(n);
  for (std::size_t k = 0; k < n; ++k) {
    int r = static_cast<int>(k);
    while (parent[static_cast<std::size_t>(r)] >= 0) r = parent[static_cast<std::size_t>(r)];
    root[k] = r;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const auto r = static_cast<std::size_t>(root[k]);
    if (ix.unit_of[r] >= 0) continue;
    const int u = static_cast<int>(ix.populations.size());
    ix.populations.push_back(ix.member_populations[r]);
    auto& order = ix.members.emplace_back();
    std::vector<std::pair<int, std::size_t>> stack{{root[k], 0}};  // node, next child
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      const auto& ch = children[static_cast<std::size_t>(node)];
      if (next < ch.size()) {
        const int c = ch[next++];
        stack.push_back({c, 0});
        continue;
      }
      ix.unit_of[static_cast<std::size_t>(node)] = u;
      ix.kind_of[static_cast<std::size_t>(node)] = static_cast<int>(order.size());
      order.push_back(node);
      stack.pop_back();
    }
  }
}

}  // namespace

NetworkIndex index_network(const Network& net) {
  NetworkIndex ix;
  ix.net = &net;
  std::map<Network::Vertex, int> member_of, port_of;
  index_units(net, ix, member_of);
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
    const int sm = member_of.count(src) ? member_of[src] : -1;
    const int tm = member_of.at(dst);
    const int sp = sm >= 0 ? ix.unit_of[static_cast<std::size_t>(sm)] : -1;
    const int tp = ix.unit_of[static_cast<std::size_t>(tm)];
    ix.source_member.push_back(sm);
    ix.target_member.push_back(tm);
    ix.source_population.push_back(sp);
    ix.source_port.push_back(port_of.count(src) ? port_of[src] : -1);
    ix.target_population.push_back(tp);
    ix.source_size.push_back(net.node_size(src));
    ix.incoming[static_cast<std::size_t>(tp)].push_back(pi);
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

int NetworkIndex::member_index(const std::string& name) const {
  for (std::size_t i = 0; i < member_populations.size(); ++i)
    if (member_populations[i]->name == name) return static_cast<int>(i);
  return -1;
}

int NetworkIndex::population_index(const std::string& name) const {
  const int m = member_index(name);
  return m < 0 ? -1 : unit_of[static_cast<std::size_t>(m)];
}

int NetworkIndex::compartments_per_neuron(int unit) const {
  const auto& m = members[static_cast<std::size_t>(unit)];
  return m.size() > 1 ? static_cast<int>(m.size())
                      : populations[static_cast<std::size_t>(unit)]->compartments_per_neuron();
}

int NetworkIndex::input_port_index(const std::string& name) const {
  for (std::size_t i = 0; i < input_ports.size(); ++i)
    if (input_ports[i]->name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace loihisim::mapper
