#include "models/nir_graph.hpp"

#include <fmt/core.h>
#include <hdf5.h>

#include <algorithm>
#include <set>

#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim::models::nir {
namespace {

enum class DatasetKind { kNumeric, kString, kOther };

// What a dataset holds, without reading it: the wrapper reads numbers and strings but cannot
// say which one a dataset is, and NIR nodes mix both (plus h5py booleans, stored as enums).
DatasetKind dataset_kind(const h5::Group& g, const std::string& name) {
  h5::Handle ds(H5Dopen2(g.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds) return DatasetKind::kOther;
  h5::Handle type(H5Dget_type(ds.get()), H5Tclose);
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER:
    case H5T_FLOAT:
      return DatasetKind::kNumeric;
    case H5T_STRING:
      return DatasetKind::kString;
    default:
      return DatasetKind::kOther;
  }
}

Array read_array(const h5::Group& g, const std::string& name) {
  Array a;
  a.values = g.read<double>(name, &a.shape);
  return a;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// How much of a file the reader may walk: a nested NIRGraph that is a hard link to an enclosing
// group is a cycle, and subgraphs linked several times multiply; both would otherwise recurse
// forever or exponentially.
struct ReadBudget {
  static constexpr int kMaxDepth = 32;
  static constexpr std::size_t kMaxNodes = 1'000'000;
  int depth = 0;
  std::size_t nodes = 0;
};

Graph read_graph(const h5::Group& group, const std::string& where, ReadBudget& budget);

Node read_node(const h5::Group& g, const std::string& name, ReadBudget& budget) {
  if (++budget.nodes > ReadBudget::kMaxNodes)
    throw InputError(
        fmt::format("{}:{}: more than {} nodes in all (subgraphs linked into "
                    "themselves or many times?)",
                    g.file_name(), g.path(), ReadBudget::kMaxNodes));
  Node n;
  n.name = name;
  n.path = g.path();
  if (!g.has("type") || g.is_group("type") || dataset_kind(g, "type") != DatasetKind::kString)
    throw InputError(fmt::format(
        "{}:{}: node '{}' has no string dataset 'type' (every NIR node is a group with a "
        "string dataset 'type' naming its kind, e.g. LIF or Affine)",
        g.file_name(), g.path(), name));
  n.type = g.read_string("type");
  for (const auto& key : g.children()) {
    if (key == "type") continue;
    if (g.is_group(key)) {
      if (n.type == "NIRGraph" && key == "nodes") continue;
      // input_type / output_type / metadata groups of newer writers: keep their numbers.
      const h5::Group sub = g.open_group(key);
      for (const auto& k2 : sub.children())
        if (!sub.is_group(k2) && dataset_kind(sub, k2) == DatasetKind::kNumeric)
          n.params[key + "." + k2] = read_array(sub, k2);
      continue;
    }
    if (dataset_kind(g, key) == DatasetKind::kNumeric) n.params[key] = read_array(g, key);
    // Strings other than `type` (edges, handled below) and other kinds are not parameters.
  }
  if (n.type == "NIRGraph") {
    if (budget.depth >= ReadBudget::kMaxDepth)
      throw InputError(
          fmt::format("{}:{}: NIRGraphs nested more than {} deep (a group linked "
                      "into itself?)",
                      g.file_name(), g.path(), ReadBudget::kMaxDepth));
    ++budget.depth;
    n.graph = std::make_shared<const Graph>(read_graph(g, name, budget));
    --budget.depth;
  }
  return n;
}

Graph read_graph(const h5::Group& group, const std::string& where, ReadBudget& budget) {
  Graph graph;
  if (!group.is_group("nodes"))
    throw InputError(fmt::format("{}:{}: NIRGraph '{}' has no group 'nodes'", group.file_name(),
                                 group.path(), where));
  const h5::Group nodes = group.open_group("nodes");
  for (const auto& name : nodes.children()) {
    if (!nodes.is_group(name))
      throw InputError(fmt::format("{}:{}/{}: expected a node group, found a dataset",
                                   group.file_name(), nodes.path(), name));
    graph.nodes.push_back(read_node(nodes.open_group(name), name, budget));
  }
  if (group.has("edges")) {
    if (dataset_kind(group, "edges") != DatasetKind::kString)
      throw InputError(fmt::format("{}:{}/edges: expected an N x 2 array of node names (strings)",
                                   group.file_name(), group.path()));
    std::vector<std::uint64_t> dims;
    const auto names = group.read_strings("edges", &dims);
    if (!names.empty() && (dims.size() != 2 || dims[1] != 2)) {
      std::vector<std::string> d;
      for (auto x : dims) d.push_back(std::to_string(x));
      throw InputError(
          fmt::format("{}:{}/edges: expected an N x 2 array of node names, the "
                      "shape is [{}]",
                      group.file_name(), group.path(), join(d)));
    }
    for (std::size_t i = 0; i + 1 < names.size(); i += 2)
      graph.edges.push_back({names[i], names[i + 1]});
  }
  return graph;
}

// One graph level during flattening: its nodes by name and the flat prefix of its nodes.
struct Level {
  const Graph* graph = nullptr;
  std::string prefix;             // "" at the top, "sub." inside sub
  std::string label;              // for messages: "top-level graph" or "nested graph 'sub'"
  std::vector<std::string> path;  // names of the enclosing nested graphs
};

std::string flat_name(const Level& level, const std::string& name) {
  return level.prefix + name;
}

// The level of nested graph `sub` of `level`.
Level nested_level(const Level& level, const Node& sub) {
  Level inner{sub.graph.get(), flat_name(level, sub.name) + ".",
              "nested graph '" + flat_name(level, sub.name) + "'", level.path};
  inner.path.push_back(sub.name);
  return inner;
}

class Flattener {
 public:
  Flattener(const NirFile& f, bool repair_dangling) : f_(f), repair_dangling_(repair_dangling) {
    out_.file = f.file;
  }

  FlatGraph run() {
    visit({&f_.graph, "", "top-level graph", {}}, false);
    return std::move(out_);
  }

 private:
  // Every node of a level, depth first, then its edges.
  void visit(const Level& level, bool nested) {
    for (const auto& n : level.graph->nodes) {
      if (n.type == "NIRGraph") {
        visit(nested_level(level, n), true);
        continue;
      }
      FlatNode fn;
      fn.name = flat_name(level, n.name);
      fn.path = level.path;
      fn.path.push_back(n.name);
      fn.node = n;
      fn.node.graph.reset();
      fn.boundary = nested && (n.type == "Input" || n.type == "Output");
      out_.nodes.push_back(std::move(fn));
    }
    add_edges(level);
  }

  void add_edges(const Level& level) {
    // Names that edges of this level use, to find what a dangling name could mean.
    std::set<std::string> named;
    for (const auto& e : level.graph->edges) {
      named.insert(e.source);
      named.insert(e.target);
    }
    std::set<std::string> repaired;
    for (const auto& e : level.graph->edges) {
      Edge flat;
      for (int side = 0; side < 2; ++side) {
        const std::string& name = side == 0 ? e.source : e.target;
        std::string r = resolve(level, name, side == 1, e);
        if (r.empty()) r = repair(level, name, side == 1, e, named, repaired);
        (side == 0 ? flat.source : flat.target) = r;
      }
      out_.edges.push_back(flat);
    }
  }

  // The flat name of a non-graph node; a nested graph is entered at its only Input (as a
  // target) or left from its only Output (as a source).
  std::string endpoint_of(const Level& level, const Node& n, bool as_target, const Edge& e) const {
    if (n.type != "NIRGraph") return flat_name(level, n.name);
    const char* kind = as_target ? "Input" : "Output";
    std::vector<std::string> ports;
    for (const auto& inner : n.graph->nodes)
      if (inner.type == kind) ports.push_back(inner.name);
    if (ports.size() != 1)
      throw InputError(fmt::format(
          "{}: {}: edge '{}' -> '{}': '{}' is a nested graph with {} {} nodes ({}); name one "
          "of them as '{}.<name>'",
          f_.file, level.label, e.source, e.target, n.name, ports.size(), kind, join(ports),
          n.name));
    return flat_name(level, n.name) + "." + ports[0];
  }

  // Endpoint resolution inside one level: exact name first, then "sub.rest" into nested
  // graphs; "" when the name resolves to nothing.
  std::string resolve(const Level& level, const std::string& name, bool as_target,
                      const Edge& e) const {
    if (const Node* n = level.graph->find(name)) return endpoint_of(level, *n, as_target, e);
    for (std::size_t dot = name.find('.'); dot != std::string::npos;
         dot = name.find('.', dot + 1)) {
      const Node* sub = level.graph->find(name.substr(0, dot));
      if (!sub || sub->type != "NIRGraph") continue;
      const std::string r = resolve(nested_level(level, *sub), name.substr(dot + 1), as_target, e);
      if (!r.empty()) return r;
    }
    return "";
  }

  // A name that names no node: an error, or (repair_dangling) the only node of the level whose
  // name starts with it and that no edge names, with one warning per name and level.
  std::string repair(const Level& level, const std::string& name, bool as_target, const Edge& e,
                     const std::set<std::string>& named, std::set<std::string>& repaired) {
    std::vector<std::string> all, candidates;
    for (const auto& n : level.graph->nodes) {
      all.push_back(n.name);
      if (n.name.rfind(name, 0) == 0 && !named.count(n.name)) candidates.push_back(n.name);
    }
    const std::string problem =
        fmt::format("{}: {}: edge '{}' -> '{}': '{}' names no node (nodes: {})", f_.file,
                    level.label, e.source, e.target, name, join(all));
    if (!repair_dangling_ || candidates.size() != 1)
      throw InputError(problem + (repair_dangling_
                                      ? fmt::format("; {} nodes start with '{}' and are named "
                                                    "by no edge, so it cannot be repaired",
                                                    candidates.size(), name)
                                      : ""));
    const Node& n = *level.graph->find(candidates[0]);
    std::string r = endpoint_of(level, n, as_target, e);
    if (repaired.insert(name).second)  // one warning per name and graph
      out_.warnings.push_back(problem + fmt::format("; taken to mean '{}', the only node whose "
                                                    "name starts with it and that no edge names "
                                                    "(--approximate)",
                                                    candidates[0]));
    return r;
  }

  const NirFile& f_;
  bool repair_dangling_;
  FlatGraph out_;
};

}  // namespace

const Array* Node::find(const std::string& key) const {
  const auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

const Node* Graph::find(const std::string& name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const FlatNode* FlatGraph::find(const std::string& name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

NirFile read_nir(const std::filesystem::path& path) {
  NirFile f;
  f.file = path.string();
  const h5::Group root = h5::open_file(f.file);
  if (root.has("version") && !root.is_group("version") &&
      dataset_kind(root, "version") == DatasetKind::kString)
    f.version = root.read_string("version");
  if (!root.is_group("node"))
    throw InputError(f.file + ": no group /node (a NIR file holds its graph in /node)");
  ReadBudget budget;
  const Node top = read_node(root.open_group("node"), "node", budget);
  if (top.type != "NIRGraph")
    throw InputError(
        fmt::format("{}:/node: the top-level node is a {}, expected a NIRGraph", f.file, top.type));
  f.graph = *top.graph;
  return f;
}

FlatGraph flatten(const NirFile& f, bool repair_dangling) {
  return Flattener(f, repair_dangling).run();
}

}  // namespace loihisim::models::nir
