// The LSTM encoder-decoder of issue 19 (AxLSTM's sequence-to-sequence model, methods.md C):
// the HDF5 file tools/train_lstm.py --task sort-digits writes (layout in
// models/weights/README.md, "The sequence-to-sequence encoder-decoder"). Read here with every
// shape checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loihisim {

// One LSTM layer in PyTorch's convention: gate order i, f, g, o, row-major, y = W x.
struct Seq2SeqLayer {
  int input_size = 0;
  std::vector<float> w_ih;  // 4H x input_size
  std::vector<float> w_hh;  // 4H x H
  std::vector<float> bias;  // 4H: bias_ih + bias_hh, summed in float32
};

struct Seq2SeqWeights {
  std::string file;
  int layers = 0, hidden = 0;
  // Attribute cell: false = "standard" (sigmoid/tanh; absent means standard), true = "modified"
  // (phi1/phi2 gates, c clamped to [-1, 1]: the hybrid-convertible cell, methods.md A).
  bool modified = false;
  int source_vocabulary = 10;                  // encoder input: one-hot digits
  int target_vocabulary = 11;                  // decoder input: one-hot digits and BOS (10)
  int classes = 11;                            // read-out: digits and EOS (10)
  std::vector<Seq2SeqLayer> encoder, decoder;  // `layers` each, layer 0 first
  std::vector<float> fc_weight;                // classes x H
  std::vector<float> fc_bias;                  // classes
  // /reference when present: the first test strings, -1 padded, and the file's greedy output.
  int reference_count = 0, reference_width = 0, reference_steps = 0;
  std::vector<std::int64_t> reference_source, reference_target, reference_lengths;
  std::vector<std::int64_t> reference_greedy;
};

// Reads and checks the file: attribute model = "seq2seq", cell "standard" or "modified", 1 <=
// layers <= 16, 1 <= hidden <= 4096; for each of encoder/ and decoder/ the datasets weight_ih_l{k},
// weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for k < layers of the shapes in the layout (and
// no layer k = layers); fc/weight [11 x H], fc/bias [11]; every value finite. Anything else is
// an InputError naming the file, the object, its shape and the expected one.
Seq2SeqWeights read_seq2seq_weights(const std::string& path);

}  // namespace loihisim
