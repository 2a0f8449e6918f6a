#include "formats/seq2seq_weights.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace loihisim {
namespace {

using Dims = std::vector<std::uint64_t>;

Seq2SeqLayer read_layer(const h5::Group& g, int k, int input_size, int hidden) {
  const auto rows = static_cast<std::uint64_t>(4 * hidden);
  const auto h = static_cast<std::uint64_t>(hidden);
  const std::string l = "_l" + std::to_string(k);
  Seq2SeqLayer layer;
  layer.input_size = input_size;
  layer.w_ih = h5::read_finite<float>(g, "weight_ih" + l,
                                      Dims{rows, static_cast<std::uint64_t>(input_size)});
  layer.w_hh = h5::read_finite<float>(g, "weight_hh" + l, Dims{rows, h});
  layer.bias = h5::read_finite<float>(g, "bias_ih" + l, Dims{rows});
  const auto bias_hh = h5::read_finite<float>(g, "bias_hh" + l, Dims{rows});
  for (std::size_t r = 0; r < layer.bias.size(); ++r) layer.bias[r] += bias_hh[r];
  return layer;
}

std::vector<Seq2SeqLayer> read_stack(const h5::Group& root, const std::string& name, int layers,
                                     int input_size, int hidden) {
  if (!root.has(name) || !root.is_group(name))
    root.fail(name, "is missing (expected a group of " + std::to_string(layers) + " LSTM layers)");
  const h5::Group g = root.open_group(name);
  std::vector<Seq2SeqLayer> stack;
  for (int k = 0; k < layers; ++k)
    stack.push_back(read_layer(g, k, k == 0 ? input_size : hidden, hidden));
  const std::string extra = "weight_ih_l" + std::to_string(layers);
  if (g.has(extra))
    g.fail(extra, "exists, but attribute 'layers' says " + std::to_string(layers) + " layers");
  return stack;
}

// A scalar string attribute as h5py writes it (variable-length UTF-8), through
// string_list_attribute: h5::Group::string_attribute reads variable-length strings as ASCII.
// "" when absent.
std::string text_attribute(const h5::Group& g, const std::string& name) {
  if (!g.has_attribute(name)) return "";
  const auto v = g.string_list_attribute(name);
  if (v.size() != 1) g.fail("@" + name, "expected a single string");
  return v[0];
}

int bounded_attribute(const h5::Group& root, const char* name, int max) {
  const std::int64_t v = root.int_attribute(name);
  if (v < 1 || v > max)
    root.fail(std::string("@") + name,
              "is " + std::to_string(v) + ", expected 1.." + std::to_string(max));
  return static_cast<int>(v);
}

void read_reference(const h5::Group& root, Seq2SeqWeights& w) {
  if (!root.has("reference")) return;
  const h5::Group r = root.open_group("reference");
  Dims dims;
  w.reference_source = r.read<std::int64_t>("source", &dims);
  if (dims.size() != 2)
    r.fail("source", "has shape " + h5::dims_text(dims) + ", expected [n x width]");
  w.reference_count = static_cast<int>(dims[0]);
  w.reference_width = static_cast<int>(dims[1]);
  w.reference_target = h5::read_shaped<std::int64_t>(r, "target", dims);
  w.reference_lengths = h5::read_shaped<std::int64_t>(r, "lengths", Dims{dims[0]});
  Dims greedy;
  w.reference_greedy = r.read<std::int64_t>("greedy_classes", &greedy);
  if (greedy.size() != 2 || greedy[0] != dims[0])
    r.fail("greedy_classes", "has shape " + h5::dims_text(greedy) + ", expected [" +
                                 std::to_string(dims[0]) + " x steps]");
  w.reference_steps = static_cast<int>(greedy[1]);
}

}  // namespace

Seq2SeqWeights read_seq2seq_weights(const std::string& path) {
  const h5::Group root = h5::open_file(path);
  Seq2SeqWeights w;
  w.file = path;
  if (text_attribute(root, "model") != "seq2seq")
    root.fail("@model", "is missing or not \"seq2seq\" (not an encoder-decoder file)");
  const std::string cell = text_attribute(root, "cell");
  if (!cell.empty() && cell != "standard" && cell != "modified")
    root.fail("@cell", "is \"" + cell +
                           "\", expected \"standard\" (sigmoid/tanh) or \"modified\" (phi1/phi2)");
  w.modified = cell == "modified";
  w.layers = bounded_attribute(root, "layers", 16);
  w.hidden = bounded_attribute(root, "hidden", 4096);
  w.encoder = read_stack(root, "encoder", w.layers, w.source_vocabulary, w.hidden);
  w.decoder = read_stack(root, "decoder", w.layers, w.target_vocabulary, w.hidden);
  if (!root.has("fc")) root.fail("fc", "is missing (expected fc/weight and fc/bias)");
  const h5::Group fc = root.open_group("fc");
  const auto c = static_cast<std::uint64_t>(w.classes);
  w.fc_weight = h5::read_finite<float>(fc, "weight", Dims{c, static_cast<std::uint64_t>(w.hidden)});
  w.fc_bias = h5::read_finite<float>(fc, "bias", Dims{c});
  read_reference(root, w);
  return w;
}

}  // namespace loihisim
