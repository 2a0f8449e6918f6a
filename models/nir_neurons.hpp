// Neuron parameters: what the parameters of an LIF, CubaLIF, IF, LI, CubaLI or I node mean per
// chip step (forward Euler at dt), and the compartment profile, per-neuron scale and biases that
// hold them on the chip, with the quantisation error of each (docs/nir.md, "Neurons", "Scale",
// "Quantisation report").
//
// - Time constants become decays, decay = round(4096 dt / tau); u decays by
//   (decay_u + 1) / 4096 as in the hardware, and neurons without a current filter clear u every
//   step. r, w_in and dt / tau are gains folded into the incoming weights; v_leak and the biases
//   that reach the node become the compartment bias.
// - One scale per population (hardware units of v per NIR unit; per neuron a multiple of it when
//   thresholds differ, so that all share one hardware threshold) is the largest that keeps the
//   dendritic input, u and v inside their registers when every source fires every step, keeps
//   the threshold and the bias in range and lets every incoming weight be stored; it is then
//   lowered to a whole threshold mantissa so the threshold is exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/compartment.hpp"
#include "models/nir_linear.hpp"
#include "models/nir_nodes.hpp"
#include "models/nir_quantisation.hpp"

namespace loihisim::models::nir {

// A neuron node per chip step, before the scale.
struct NeuronModel {
  bool spiking = true;
  bool filter = false;               // a synaptic current filter (Cuba*)
  double a_m = 0;                    // dt / tau_mem, 0 without leak
  double a_s = 1;                    // dt / tau_syn, 1 without filter (u cleared every step)
  std::vector<double> gain;          // v increment per unit of input, per neuron (before scale)
  std::vector<double> bias_gain;     // v increment per step per unit of constant input
  std::vector<double> leak_drive;    // a_m * v_leak per neuron
  std::vector<double> theta;         // thresholds (spiking)
  core::CompartmentProfile profile;  // decays only; threshold and the rest set later
};

// The model of neuron node `name` with `n` neurons. Time constants that vary between neurons, a
// leak that rounds to zero or exceeds the largest decay, and a nonzero v_reset are
// approximations.
NeuronModel neuron_model(NodeTable& nodes, const std::string& name, std::size_t n);

// What the population of one neuron node holds on the chip.
struct Compartments {
  std::vector<double> scale;  // hardware units of v per NIR unit of v, per neuron
  std::string scale_limit;    // the constraint that set the scale
  core::CompartmentProfile profile;
  std::vector<std::int32_t> bias_mant, bias_exp;  // empty: no bias
  // The constant drive (v_leak and the biases that reach the node) as compartment bias; count 0
  // when there is none.
  ParamQuant drive;
  bool drive_has_bias = false;         // biases reach the node (the drive is not v_leak alone)
  std::vector<ParamQuant> parameters;  // decays (tau / tau_mem, tau_syn), then v_threshold
};

// The compartments of neuron node `name` with `n` neurons and model `m`. `constant` is the
// constant input that reaches it per neuron (nullptr: none), `incoming` the rows of every
// projection into it, one row per neuron. A scale that leaves the threshold below one mantissa
// step, or thresholds of 0 beside nonzero ones, are errors.
Compartments compartments(NodeTable& nodes, const std::string& name, std::size_t n,
                          const NeuronModel& m, const std::vector<double>* constant,
                          const std::vector<const Rows*>& incoming);

}  // namespace loihisim::models::nir
