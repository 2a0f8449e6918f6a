// A tools/train_lmu.py weight file (docs/hybrid-lmu.md, "Weight file"): the Legendre Memory
// Unit's float weights, read and checked once for the converter (models/hybrid_lmu.hpp) and the
// CPU baseline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loihisim::models {

// The integer scales of the construction (docs/hybrid-lmu.md, "Scaling").
struct LmuScales {
  int quantum_bits = 0;      // K: one payload unit is 2^K hardware units of the neuron's V
  int memory_bits = 0;       // Fm: memory payload M = m 2^Fm
  int state_bits = 24;       // Fh: the host's memory state R = m 2^Fh
  int a_bits = 20;           // Fa: fraction bits of the host's A
  double input_scale = 255;  // S_in: input payload p = round(S_in x)
};

// A train_lmu.py weight file (float weights; only what the chip needs).
struct LmuWeights {
  std::string file;  // for messages
  int d = 0, hidden = 0, inputs = 0, classes = 0;
  // f of h = f(z): crelu = clip(z, 0, 1), relu = max(z, 0) or tanh (ANN files only: the
  // sigma-delta neuron implements crelu and relu).
  enum class Activation { kCrelu, kRelu, kTanh } activation = Activation::kCrelu;
  double omega = 0;                         // the quantiser's scale (0 in an ANN file)
  std::vector<double> e_x;                  // [inputs]
  std::vector<double> a_bar, b_bar;         // [d, d], [d]
  std::vector<double> w_x, w_m, w_h, bias;  // [H, inputs], [H, d], [H, H], [H]
  std::vector<double> w_o, b_o;             // [classes, H], [classes]
  std::string dataset, layout, kind;
  std::int64_t permutation_seed = -1;
  double test_accuracy = -1;                  // the file's (float quantised network)
  double chip_test_accuracy = -1;             // /chip_reference's (the integer model), if present
  std::optional<LmuScales> reference_scales;  // /chip_reference's K, Fm, Fh, Fa, S_in
  double reference_omega = 0;                 // /chip_reference's omega
  // /chip_reference's largest memory payload |M| over its test sequences (at its Fm), or -1.
  double reference_max_payload = -1;
};

// Reads and checks a tools/train_lmu.py file: shapes, finite values, activation crelu, relu or
// tanh, encoders e_h = e_m = 0 (the memory depends on the input only; docs/hybrid-lmu.md).
// InputError naming the file, the object and the limit otherwise.
LmuWeights read_lmu_weights(const std::string& path);

}  // namespace loihisim::models
