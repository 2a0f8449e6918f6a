// Trained LSTM weight files (models/lstm_weights), PyTorch or Keras layout (detected from the
// file; the input describes it, fuzz/hdf5_input.hpp, or is one), then what `loihisim convert` does
// with them: the input scaling attribute and the hybrid converter (models/hybrid_lstm), whose
// weight and bias scaling sees every value of the file. When the file has reference data, one
// reference sequence runs through the float32 forward pass, which reads the weights with the shapes
// the reader promised. Independently, the spiking-LSTM reader (models/spiking_lstm) and its
// converter, for a file with snn/chip (or any file: it must refuse it cleanly).
#include "formats/datasets.hpp"
#include "fuzz/hdf5_input.hpp"
#include "models/hybrid_lstm.hpp"
#include "models/lstm_weights.hpp"
#include "models/spiking_lstm.hpp"

namespace {

void load(const std::string& path) {
  namespace models = loihisim::models;
  const models::LstmWeights w = models::read_lstm_weights(path);
  // The forward pass costs steps x 4H x (I + H); a long but legitimate reference would only
  // make the fuzzer slow, so it is skipped beyond ~10^7 operations.
  const double ops = double(w.reference_steps) * 4.0 * w.hidden_size *
                     (double(w.input_size) + double(w.hidden_size));
  if (w.reference_count > 0 && ops < 1e7)
    models::lstm_forward_reference(w, w.reference_inputs.data(), w.reference_steps);
  models::HybridLstmOptions opt;
  opt.signed_input = loihisim::input_scaling_from_attribute(w.input_scaling, path) ==
                     loihisim::InputScaling::kSigned;
  opt.bias_shift = true;
  opt.steps = 32;
  models::convert_hybrid_lstm(w, opt);
}

void load_spiking(const std::string& path) {
  namespace models = loihisim::models;
  const models::SpikingLstmChip w = models::read_spiking_lstm(path);
  // The network has 4 T H^2 synapses: a legitimate but huge file would only make the fuzzer slow.
  if (double(w.steps) * w.hidden * w.hidden < 1e6) {
    models::convert_spiking_lstm(w, 255.0, 0.0);
    models::convert_spiking_lstm(models::single_replica(w, w.steps - 1), 127.5, 1.0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const loihisim::fuzz::Hdf5Input file("weights.h5", data, size);
  if (file.usable()) {
    loihisim::fuzz::expect_input_errors([&] { load(file.path().string()); });
    loihisim::fuzz::expect_input_errors([&] { load_spiking(file.path().string()); });
  }
  loihisim::fuzz::expect_hdf5_closed();
  return 0;
}
