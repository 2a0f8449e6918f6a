// Trained single-layer LSTM classifiers (LSTM -> Linear on the last hidden state), read from
// HDF5 in either of two layouts and held in one convention, and their plain float32 forward
// pass: the "original network" every converted or simulated version is checked against.
//
// Layouts (docs: models/weights/README.md, ../shared/reference/ecosystem.md "Weight layouts"):
// - kPyTorch: what tools/train_lstm.py writes: lstm/{weight_ih_l0, weight_hh_l0, bias_ih_l0,
//   bias_hh_l0}, fc/{weight, bias}, root string attribute 'cell' ("modified" | "standard").
// - kKeras: a Keras full-model .h5: model_weights/<layer>/... with the attributes layer_names
//   and weight_names, one LSTM and one Dense layer, and the JSON attribute model_config from
//   which the LSTM's activations are read (tanh + sigmoid: standard). Keras cannot express the
//   clamped cell, so the modified cell is marked by the root attribute cell = "modified" together
//   with the custom activation names activation = "phi2", recurrent_activation = "phi1".
#pragma once

#include <string>
#include <vector>

namespace loihisim::models {

// kStandard: sigmoid gates, tanh candidate and output, unclamped cell.
// kModified: methods.md A: i, f, o = phi1(z) = clip((z + 2) / 4, 0, 1), g = phi2(z) =
// clip(z / 2, -1, 1), c = clamp(f c + i g, -1, 1), h = o phi2(c).
enum class LstmCell { kStandard, kModified };
enum class WeightLayout { kPyTorch, kKeras };

const char* to_string(LstmCell cell);        // "standard" | "modified"
const char* to_string(WeightLayout layout);  // "pytorch" | "keras"

struct LstmWeights {
  std::string file;  // path it was read from (for messages)
  WeightLayout layout = WeightLayout::kPyTorch;
  LstmCell cell = LstmCell::kStandard;
  int input_size = 0, hidden_size = 0, classes = 0;
  // Always in PyTorch convention after reading: gate order i, f, g, o, row-major, y = W x.
  std::vector<float> w_ih;       // 4H x I
  std::vector<float> w_hh;       // 4H x H
  std::vector<float> bias;       // 4H (bias_ih + bias_hh, summed in float32)
  std::vector<float> fc_weight;  // C x H
  std::vector<float> fc_bias;    // C
  // Attributes 'dataset' ("mnist" / "fashion") and 'layout' ("row" / "pixel") when present,
  // else "".
  std::string dataset, sequence_layout;
  // Attribute 'input_scaling' when present (tools/train_lstm.py: "x / 255, in [0, 1]"), else "".
  std::string input_scaling;
  // Optional reference data written by tools/train_lstm.py (group /reference): inputs
  // [n x steps x I], labels [n], logits [n x C].
  int reference_count = 0, reference_steps = 0;
  std::vector<float> reference_inputs, reference_logits;
  std::vector<int> reference_labels;
};

// Reads either layout (detected from the file's groups). Every problem (missing file, group,
// dataset or attribute, wrong shape, non-finite value, unknown cell or activation) is an
// InputError naming the file, the object and what was expected.
LstmWeights read_lstm_weights(const std::string& path);

// Plain float32 forward pass of the original network, batch 1: the logits of one sequence
// (steps x I, row-major), starting from h = c = 0. Operations run in the order PyTorch's
// training script uses where it matters for rounding (phi1 = ((z + 2) / 4) clipped), so the
// logits agree with PyTorch's to float32 summation-order differences.
std::vector<float> lstm_forward_reference(const LstmWeights& w, const float* sequence, int steps);

}  // namespace loihisim::models
