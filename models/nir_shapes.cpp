#include "models/nir_shapes.hpp"

#include <fmt/core.h>

namespace loihisim::models::nir {

Shape ShapeInference::shape(const std::string& name) {
  if (auto it = shapes_.find(name); it != shapes_.end()) return it->second;
  if (busy_.count(name))
    nodes_.fail(name,
                "lies on a cycle of linear nodes only (no neuron on the loop): an algebraic loop "
                "with no discrete-time meaning");
  busy_.insert(name);
  Shape s;
  switch (nodes_.kind(name)) {
    case Kind::kInput:
      s = input_node_shape(name);
      break;
    case Kind::kOutput:
      s = output_node_shape(name);
      break;
    case Kind::kNeuron:
      s = neuron_shape(name);
      break;
    case Kind::kIdentity:
      s = pass_through_shape(name);
      break;
    case Kind::kLinear:
      s = linear_shape(name);
      break;
    case Kind::kDropped:
      break;
  }
  busy_.erase(name);
  shapes_[name] = s;
  return s;
}

Shape ShapeInference::input_shape(const std::string& name) {
  Shape first;
  std::string first_name;
  for (const auto& p : nodes_.preds(name)) {
    const auto s = shape(p);
    if (first_name.empty()) {
      first = s;
      first_name = p;
    } else if (product(s) != product(first)) {
      nodes_.fail(name, fmt::format("its inputs disagree in size: '{}' gives {} and '{}' gives {}",
                                    first_name, shape_str(first), p, shape_str(s)));
    }
  }
  return first;
}

Shape ShapeInference::spatial_input(const std::string& name) {
  auto in = input_shape(name);
  if (in.empty()) nodes_.fail(name, "has no input");
  const Array* is = nodes_.node(name).find("input_shape");
  Shape hw;
  if (is) {
    hw = nodes_.dims(name, *is);
    if (hw.size() == 3) hw.erase(hw.begin());  // (channels, height, width)
    if (hw.size() != 2)
      nodes_.fail(name, "input_shape must be (height, width), it is " + shape_str(hw));
  }
  if (in.size() != 3 && !hw.empty()) {
    const std::uint64_t plane = hw[0] * hw[1];
    if (product(in) % plane != 0)
      nodes_.fail(name, fmt::format("an input of {} values does not split into input_shape {}",
                                    product(in), shape_str(hw)));
    in = {product(in) / plane, hw[0], hw[1]};
  }
  if (in.size() != 3)
    nodes_.fail(name,
                fmt::format("expects a (channels, height, width) input, got {}", shape_str(in)));
  if (!hw.empty() && (hw[0] != in[1] || hw[1] != in[2]))
    nodes_.fail(name, fmt::format("input_shape {} does not match its input {}", shape_str(hw),
                                  shape_str(in)));
  return in;
}

Shape ShapeInference::checked_input(const std::string& name, std::uint64_t want,
                                    const std::string& what) {
  const auto in = input_shape(name);
  if (!in.empty() && product(in) != want)
    nodes_.fail(name, fmt::format("input shape {} ({} values) does not match {} ({} values)",
                                  shape_str(in), product(in), what, want));
  return in;
}

Shape ShapeInference::input_node_shape(const std::string& name) const {
  const Array* a = nodes_.node(name).find("shape");
  if (!a) a = nodes_.node(name).find("input_type.input");
  if (!a) nodes_.fail(name, "an Input node needs a 'shape' dataset");
  // An empty shape would be a zero-dimensional input; the lowering (like every NIR platform)
  // needs at least one dimension, and an empty Shape means "no input" below.
  if (a->values.empty())
    nodes_.fail(name, "the Input's shape is empty: give its size per dimension, e.g. [12]");
  return nodes_.dims(name, *a);
}

Shape ShapeInference::output_node_shape(const std::string& name) {
  const Array* a = nodes_.node(name).find("shape");
  if (!a) a = nodes_.node(name).find("output_type.output");
  Shape s = input_shape(name);
  if (a) {
    const auto declared = nodes_.dims(name, *a);
    if (declared.empty())
      nodes_.fail(name, "the Output's shape is empty: give its size per dimension, e.g. [10]");
    if (!s.empty() && product(s) != product(declared))
      nodes_.fail(name, fmt::format("its input has shape {} ({} values) but the Output declares {}",
                                    shape_str(s), product(s), shape_str(declared)));
    if (s.empty()) s = declared;
  }
  return s;
}

Shape ShapeInference::neuron_shape(const std::string& name) {
  // Known from the parameters: record it before looking at the inputs, which may lead back here
  // through a recurrent loop.
  Shape s;
  const std::size_t n = nodes_.neuron_size(name, &s);
  shapes_[name] = s;
  busy_.erase(name);
  checked_input(name, n, fmt::format("the node's {} neurons", n));
  return s;
}

Shape ShapeInference::pass_through_shape(const std::string& name) {
  const Shape s = input_shape(name);
  if (s.empty()) nodes_.fail(name, "has no input");
  return nodes_.node(name).type == "Flatten" ? flatten_shape(name, s) : s;
}

Shape ShapeInference::flatten_shape(const std::string& name, const Shape& s) const {
  const Array* it = nodes_.node(name).find("input_type");
  if (!it) it = nodes_.node(name).find("input_type.input");
  if (it && product(nodes_.dims(name, *it)) != product(s))
    nodes_.fail(name, fmt::format("input_type {} does not match its input's shape {}",
                                  shape_str(nodes_.dims(name, *it)), shape_str(s)));
  const auto r = static_cast<std::int64_t>(s.size());
  std::int64_t a = nodes_.ints(name, "start_dim", 1, 1)[0];
  std::int64_t b = nodes_.ints(name, "end_dim", 1, -1)[0];
  if (a < 0) a += r;
  if (b < 0) b += r;
  if (a < 0 || b >= r || a > b)
    nodes_.fail(name, fmt::format("start_dim/end_dim do not fit an input of rank {}", r));
  Shape f(s.begin(), s.begin() + a);
  std::uint64_t m = 1;
  for (auto i = a; i <= b; ++i) m *= s[static_cast<std::size_t>(i)];
  f.push_back(m);
  f.insert(f.end(), s.begin() + b + 1, s.end());
  return f;
}

Shape ShapeInference::linear_shape(const std::string& name) {
  const std::string& t = nodes_.node(name).type;
  if (t == "Affine" || t == "Linear") return matrix_shape(name);
  if (t == "Scale" || t == "Delay") return elementwise_shape(name);
  return window_shape(name);
}

Shape ShapeInference::matrix_shape(const std::string& name) {
  const Array& w = nodes_.array(name, "weight");
  if (w.shape.size() != 2)
    nodes_.fail(name, "weight must be a 2-D (out x in) array, it is " + shape_str(w.shape));
  checked_input(name, w.shape[1], fmt::format("the weight's {} columns", w.shape[1]));
  return {w.shape[0]};
}

Shape ShapeInference::elementwise_shape(const std::string& name) {
  const Array& a = nodes_.array(name, nodes_.node(name).type == "Scale" ? "scale" : "delay");
  Shape s = a.shape.empty() ? Shape{1} : a.shape;
  checked_input(name, a.size(), fmt::format("its {} values", a.size()));
  return s;
}

Shape ShapeInference::window_shape(const std::string& name) {
  const auto in = spatial_input(name);
  std::vector<std::int64_t> k, dil;
  std::uint64_t channels = in[0];
  if (nodes_.node(name).type == "Conv2d") {
    const Array& w = nodes_.array(name, "weight");
    if (w.shape.size() != 4)
      nodes_.fail(name,
                  "weight must be 4-D (out, in / groups, kh, kw), it is " + shape_str(w.shape));
    const auto groups = nodes_.ints(name, "groups", 1, 1)[0];
    if (groups < 1 || w.shape[0] % static_cast<std::uint64_t>(groups) != 0 ||
        in[0] != w.shape[1] * static_cast<std::uint64_t>(groups))
      nodes_.fail(name, fmt::format("weight {} with groups = {} does not fit an input of {} "
                                    "channels",
                                    shape_str(w.shape), groups, in[0]));
    k = {static_cast<std::int64_t>(w.shape[2]), static_cast<std::int64_t>(w.shape[3])};
    dil = nodes_.ints(name, "dilation", 2, 1);
    channels = w.shape[0];
  } else {
    k = nodes_.ints(name, "kernel_size", 2, 1);
    dil = {1, 1};
  }
  const auto st = nodes_.ints(name, "stride", 2, 1);
  const auto pad = nodes_.ints(name, "padding", 2, 0);
  Shape s = {channels};
  for (std::size_t d = 0; d < 2; ++d) {
    const std::int64_t size =
        static_cast<std::int64_t>(in[d + 1]) + 2 * pad[d] - dil[d] * (k[d] - 1) - 1;
    if (k[d] < 1 || st[d] < 1 || pad[d] < 0 || dil[d] < 1 || size < 0)
      nodes_.fail(name, fmt::format("kernel {}, stride {}, padding {}, dilation {} do not fit an "
                                    "input of {}",
                                    k[d], st[d], pad[d], dil[d], shape_str(in)));
    s.push_back(static_cast<std::uint64_t>(size / st[d] + 1));
  }
  return s;
}

}  // namespace loihisim::models::nir
