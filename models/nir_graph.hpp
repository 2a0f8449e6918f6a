// NIR graphs (the Neuromorphic Intermediate Representation's HDF5 files, as written by the `nir`
// Python package; layout in ../shared/reference/ecosystem.md and docs/nir.md) read into a plain
// in-memory graph, and nested graphs flattened into one level with dotted names.
//
// The reader keeps every numeric dataset of a node (float32, float64 or integer, gzip-compressed
// or not) as doubles and ignores datasets it does not understand, so files of any NIR version
// load; what a node's parameters mean is the lowering's business (nir_lower.hpp). Every problem
// (not HDF5, no /node group, a node without `type`, malformed edges) is an InputError naming the
// file and the HDF5 path of the node.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace loihisim::models::nir {

// A numeric parameter, row-major, converted to double. An empty shape is a scalar.
struct Array {
  std::vector<std::uint64_t> shape;
  std::vector<double> values;
  std::size_t size() const { return values.size(); }
};

struct Graph;

struct Node {
  std::string name;  // its key in the enclosing graph's `nodes` group
  std::string path;  // HDF5 path of its group, for messages (e.g. /node/nodes/lif1)
  std::string type;  // e.g. "LIF", "Affine", "NIRGraph"
  // Every numeric dataset of the group, by name; numeric datasets of a subgroup (newer writers
  // put `input_type` and `output_type` in groups) as "group.dataset".
  std::map<std::string, Array> params;
  std::shared_ptr<const Graph> graph;  // NIRGraph nodes: the nested graph

  const Array* find(const std::string& key) const;
};

struct Edge {
  std::string source, target;
};

struct Graph {
  std::vector<Node> nodes;  // in the order HDF5 lists them (by name)
  std::vector<Edge> edges;  // in file order
  const Node* find(const std::string& name) const;
};

struct NirFile {
  std::string file;     // the path as given, for messages
  std::string version;  // /version, "" when absent (never checked, as upstream)
  Graph graph;          // /node
};

// Reads a NIR file. The top-level /node must be a NIRGraph.
NirFile read_nir(const std::filesystem::path& path);

// One node of the flattened graph. Nodes of nested graphs are named "outer.inner"; the Input and
// Output nodes of a nested graph become pass-through nodes (`boundary`), so an edge into the
// nested graph enters at its Input and an edge out of it leaves from its Output.
struct FlatNode {
  std::string name;
  std::vector<std::string> path;  // node names from the top graph down, e.g. {"lif1", "lin"}
  Node node;                      // a copy without the nested graph
  bool boundary = false;
};

struct FlatGraph {
  std::string file;
  std::vector<FlatNode> nodes;  // depth first, in file order
  std::vector<Edge> edges;      // flat names
  std::vector<std::string> warnings;
  const FlatNode* find(const std::string& name) const;
};

// Resolves every edge: an endpoint names a node of its own graph exactly, or, failing that, a
// node of a nested graph as "sub.node" (flat files use dots inside plain names too, so the exact
// name is tried first). An edge to (from) a nested graph itself enters at its only Input (leaves
// from its only Output). An endpoint that names no node is an InputError naming the graph, the
// edge and the nodes there are; with `repair_dangling`, a name that is the prefix of exactly one
// node of its graph that no edge names (e.g. "lif" for a node "lif1") is taken to mean that node,
// with a warning.
FlatGraph flatten(const NirFile& f, bool repair_dangling);

}  // namespace loihisim::models::nir
