// Lowering a flattened NIR graph (nir_graph.hpp) into a mapper::Network in hardware units, with a
// report of every parameter's quantisation error. The rules (docs/nir.md has them with examples):
//
// - Neuron nodes (LIF, CubaLIF, IF, LI, CubaLI, I) become populations. Time constants become
//   forward-Euler decays, decay = round(4096 dt / tau) (the snnTorch/Norse/Lava convention of
//   the NIR paper's files; mapper/quantize.hpp's fraction path), u decays by
//   (decay_u + 1) / 4096 as in the hardware, and neurons without a current filter clear u every
//   step (decay_u = 4095). r, w_in and dt / tau are gains folded into the incoming weights;
//   v_leak and Affine biases become the compartment bias. Thresholds are exact when the
//   population's scale allows it and their error is reported otherwise.
// - Every path of linear nodes (Affine, Linear, Scale, Conv2d, SumPool2d, AvgPool2d, Flatten,
//   Delay, the Input/Output nodes of nested graphs) between two spiking nodes is multiplied out
//   into one projection per (source, target) pair: dense when at least half its entries are
//   nonzero, sparse otherwise. Several edges into a node add up.
// - Each population gets a pipeline depth (longest chain of projections from the inputs): the
//   chip adds one step per projection, so NIR step t of a population at depth d happens at chip
//   step t + 1 + d. Projections that skip levels get synaptic delays so that all inputs of a
//   population arrive in step; a cycle back to the same depth (a recurrent layer) gets the one
//   step of delay NIR gives a cycle. Delay nodes add round(delay / dt) steps.
// - One scale per population (hardware units of v per NIR unit) is the largest that keeps the
//   dendritic input, u and v inside their registers when every source fires every step, keeps
//   the threshold and the bias in range and lets every incoming weight be stored; each
//   projection then gets the smallest weight exponent that fits its largest weight.
//
// Whatever cannot be lowered exactly (an unknown node type, a leak that would round to zero, a
// time constant shorter than dt, per-neuron time constants, a nonzero v_reset, a loop that
// would need a negative delay, a delay that is not a whole number of steps, an edge naming a
// missing node) is an InputError naming the node and the reason, or, with `approximate`, a
// warning and the nearest representable choice.
//
// The parts, by concept: nir_nodes.hpp (what each node is, parameter access, LowerOptions and
// the error policy), nir_shapes.hpp (shape inference), nir_linear.hpp (the linear algebra of a
// path), nir_neurons.hpp (neuron parameters, scale and compartment profile),
// nir_quantisation.hpp (ParamQuant and the report table); this file ties them together and adds
// pipeline depths, synapse formats, ports and host nodes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "models/nir_graph.hpp"
#include "models/nir_nodes.hpp"
#include "models/nir_quantisation.hpp"

namespace loihisim::models::nir {

struct PopulationInfo {
  std::string nir_node;               // flat NIR node name
  std::vector<std::string> nir_path;  // its names from the top graph down
  std::string type;                   // LIF, CubaLIF, ...
  std::string population;             // network name
  std::vector<std::uint64_t> shape;
  std::int32_t size = 0;
  // Hardware units of v per NIR unit of v, per neuron (equal unless thresholds differ).
  std::vector<double> scale;
  std::string scale_limit;  // the constraint that set the scale
  int depth = 0;            // NIR step t happens at chip step t + 1 + depth (steps from 1)
  bool spiking = true;      // LI, CubaLI and I never fire
};

struct InputInfo {
  std::string nir_node;
  std::string port;
  std::vector<std::uint64_t> shape;
  std::int32_t size = 0;
};

struct OutputInfo {
  std::string nir_node;
  std::vector<std::string> nir_path;
  std::vector<std::uint64_t> shape;
  std::int32_t size = 0;
  int population = -1;  // index into Lowered::populations whose spikes it reads
  std::string port;     // the network's output port
};

struct Lowered {
  std::string file;
  LowerOptions options;
  // On the heap: a mapper::Network must not be copied or moved once it has projections (Boost's
  // adjacency_list has no move constructor, and a copy leaves the network's edge descriptors
  // pointing into the old graph).
  std::unique_ptr<mapper::Network> network;
  std::vector<PopulationInfo> populations;  // network order (inputs first, then depth order)
  std::vector<InputInfo> inputs;
  std::vector<OutputInfo> outputs;
  std::vector<ParamQuant> quantisation;
  std::vector<std::string> warnings;  // approximations taken (only with `approximate`)
  std::vector<std::string> notes;     // exact but worth knowing (bias onset, identity maps)
  int max_depth = 0;
  // Host nodes for `loihisim run` were added (one Input node): the value whose argmax is the
  // prediction, else "".
  std::string prediction;
};

Lowered lower(const FlatGraph& graph, const LowerOptions& options);

}  // namespace loihisim::models::nir
