// The all-spiking LSTM of Datta et al. (2022; ../shared/reference/methods.md B), as
// tools/train_lstm.py --spiking-from exports it (docs/spiking-lstm.md): T replicas of the
// recurrent layer in lockstep, each hidden unit and replica one neuron of 12 compartments (gate
// dendrites D_x, comparators S_x, windows N and W, the cell C and the hidden soma H) joined by
// ADD joins, so that gates, gate products, cell and hidden state are all computed on cores in one
// chip step per symbol. The host writes the direct-encoded first layer (integer
// multiply-accumulates of the pixel bytes) as the gate dendrites' biases before each step and
// applies the classifier to the hidden spike counts of the last symbol.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mapper/network.hpp"

namespace loihisim::models {

// The four gate layers in the file's "chip order" (rows of weight_mant, input_weight, ...).
inline constexpr std::array<const char*, 4> kSpikingGateLayers = {"A", "F", "Bbar", "Obar"};

// Constants of the construction (docs/spiking-lstm.md, section 4); the file's snn/chip
// attributes must agree with them.
inline constexpr std::int64_t kSpikingThetaChip = 65536;  // gate threshold, chip units
inline constexpr std::int64_t kSpikingWindow = 4032;      // N and W thresholds
inline constexpr std::int64_t kSpikingCellLo = -1023;     // C's vmin
inline constexpr std::int64_t kSpikingCellHi = 2048;      // C's threshold (erase)
inline constexpr std::int64_t kSpikingInputFrac = 256;    // host weights in 1/256 chip unit
inline constexpr std::int64_t kSpikingBiasMax = 4095 * 128;

// The integer model of the file's snn/chip group.
struct SpikingLstmChip {
  std::string file;  // for messages
  int steps = 0, hidden = 0, inputs = 0, classes = 0;
  std::vector<std::int16_t> weight_mant;  // [4H, H] recurrent 8-bit mantissas (even)
  std::array<int, 4> weight_exp{}, decay_v{}, feedback_mant{}, feedback_exp{};
  std::vector<std::int64_t> input_weight;      // [4H, inputs], 1/256 chip unit per pixel byte
  std::vector<std::int64_t> input_bias;        // [T, 4H], 1/256 chip unit
  std::vector<std::int64_t> hidden_threshold;  // [T]
  std::vector<double> fc_weight;               // [classes, H], applied to counts / T
  std::vector<double> fc_bias;                 // [classes]
  // Root attributes: dataset, layout, input_scaling (as train_lstm.py writes them) and the
  // integer model's test accuracy measured by the training script (-1 when absent).
  std::string dataset, layout, input_scaling;
  double test_accuracy = -1;
};

// Reads and checks snn/chip (every shape, range and construction constant); InputError naming the
// file, the object and the limit otherwise.
SpikingLstmChip read_spiking_lstm(const std::string& path);

// Replica k alone (0 <= k < steps), as a model of T = 1 whose classifier weights keep the full
// model's 1 / T: the replicas never exchange spikes, so running each alone gives exactly its
// share of the full network's spikes. The serial schedule (the T steps of a symbol one after
// another on one copy of the layer) costs the sum of these runs (docs/spiking-lstm.md, section
// 6). InputError for k outside 0..steps - 1.
SpikingLstmChip single_replica(const SpikingLstmChip& w, int k);

struct SpikingLstm {
  mapper::Network network;
  std::vector<std::string> notes;
};

// Builds the network: one population per compartment kind (T H neurons each, replica-major:
// neuron k H + j is unit j of replica k) linked into a join group, the recurrent projections
// (block diagonal: replica k's H drives only replica k's dendrites), the soft-reset feedback, the
// hidden output port and the host nodes (four integer_bias nodes, the classifier).
// `input_scale` / `input_offset` map the dataset's values back to pixel bytes:
// byte = (value + offset) * scale.
SpikingLstm convert_spiking_lstm(const SpikingLstmChip& w, double input_scale, double input_offset);

}  // namespace loihisim::models
