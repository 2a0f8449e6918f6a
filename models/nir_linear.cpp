#include "models/nir_linear.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace loihisim::models::nir {

// The longest delay, in steps, that a NIR Delay (or a chain of them) may ask for.
constexpr std::int32_t kMaxDelaySteps = 1 << 20;
namespace {

// Adds the maps, constant parts and passed nodes of `s` into `sum`.
void add(Signal& sum, Signal s) {
  for (auto& [src, rows] : s.from) {
    auto& dst = sum.from[src];
    if (dst.empty()) {
      dst = std::move(rows);
    } else {
      for (std::size_t r = 0; r < dst.size(); ++r) {
        dst[r].insert(dst[r].end(), rows[r].begin(), rows[r].end());
        merge_row(dst[r]);
      }
    }
  }
  if (!s.bias.empty()) {
    if (sum.bias.empty()) sum.bias.assign(sum.size, 0.0);
    for (std::size_t r = 0; r < sum.size; ++r) sum.bias[r] += s.bias[r];
  }
  for (const auto& [src, nodes] : s.via) sum.via[src].insert(nodes.begin(), nodes.end());
}

// The source's own spikes: the identity map.
Rows identity_rows(std::size_t n) {
  Rows rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = {{static_cast<std::int32_t>(i), 0, 1.0}};
  return rows;
}

// The matrix of an Affine or Linear node from its (out x in) weight.
Matrix weight_matrix(const Array& w, std::size_t n) {
  const std::size_t cols = w.shape[1];
  Matrix m(n);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      if (w.values[r * cols + c] != 0.0)
        m[r].emplace_back(static_cast<std::int32_t>(c), w.values[r * cols + c]);
  return m;
}

// m times each of the rows' maps, one output row per row of m.
Rows multiply(const Matrix& m, const Rows& rows) {
  Rows o(m.size());
  for (std::size_t r = 0; r < m.size(); ++r) {
    for (const auto& [c, a] : m[r])
      for (const Entry& e : rows[static_cast<std::size_t>(c)])
        o[r].push_back({e.col, e.delay, a * e.w});
    merge_row(o[r]);
  }
  return o;
}

// The constant part after the node: m times the constant part before it, plus the node's own
// bias (empty when both are).
std::vector<double> constant_part(const Matrix& m, const std::vector<double>& in_bias,
                                  const std::vector<double>& own_bias) {
  std::vector<double> bias;
  if (in_bias.empty() && own_bias.empty()) return bias;
  const std::size_t n = m.size();
  bias.assign(n, 0.0);
  if (!in_bias.empty())
    for (std::size_t r = 0; r < n; ++r)
      for (const auto& [c, a] : m[r]) bias[r] += a * in_bias[static_cast<std::size_t>(c)];
  if (!own_bias.empty())
    for (std::size_t r = 0; r < n; ++r) bias[r] += own_bias[r];
  return bias;
}

}  // namespace

void merge_row(std::vector<Entry>& row) {
  std::sort(row.begin(), row.end(), [](const Entry& a, const Entry& b) {
    return a.col != b.col ? a.col < b.col : a.delay < b.delay;
  });
  std::size_t k = 0;
  for (std::size_t i = 0; i < row.size();) {
    Entry e = row[i];
    std::size_t j = i + 1;
    for (; j < row.size() && row[j].col == e.col && row[j].delay == e.delay; ++j) e.w += row[j].w;
    if (e.w != 0.0) row[k++] = e;
    i = j;
  }
  row.resize(k);
}

Matrix conv_matrix(const NodeTable& nodes, const std::string& name, const Shape& in,
                   const Shape& out) {
  const Array& w = nodes.array(name, "weight");
  const auto groups = nodes.ints(name, "groups", 1, 1)[0];
  const auto st = nodes.ints(name, "stride", 2, 1), pad = nodes.ints(name, "padding", 2, 0),
             dil = nodes.ints(name, "dilation", 2, 1);
  const auto O = static_cast<std::int64_t>(out[0]), H = static_cast<std::int64_t>(in[1]),
             W = static_cast<std::int64_t>(in[2]);
  const auto OH = static_cast<std::int64_t>(out[1]), OW = static_cast<std::int64_t>(out[2]);
  const auto CG = static_cast<std::int64_t>(w.shape[1]), KH = static_cast<std::int64_t>(w.shape[2]),
             KW = static_cast<std::int64_t>(w.shape[3]);
  const std::int64_t per_group = O / groups;
  Matrix m(static_cast<std::size_t>(O * OH * OW));
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t y = 0; y < OH; ++y)
      for (std::int64_t x = 0; x < OW; ++x) {
        auto& row = m[static_cast<std::size_t>((o * OH + y) * OW + x)];
        const std::int64_t g = o / per_group;
        for (std::int64_t c = 0; c < CG; ++c)
          for (std::int64_t ky = 0; ky < KH; ++ky)
            for (std::int64_t kx = 0; kx < KW; ++kx) {
              const std::int64_t iy = y * st[0] - pad[0] + ky * dil[0];
              const std::int64_t ix = x * st[1] - pad[1] + kx * dil[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;  // zero padding
              const double v =
                  w.values[static_cast<std::size_t>(((o * CG + c) * KH + ky) * KW + kx)];
              if (v == 0.0) continue;
              const std::int64_t ic = g * CG + c;
              row.emplace_back(static_cast<std::int32_t>((ic * H + iy) * W + ix), v);
            }
      }
  return m;
}

Matrix pool_matrix(const NodeTable& nodes, const std::string& name, const Shape& in,
                   const Shape& out) {
  const auto k = nodes.ints(name, "kernel_size", 2, 1), st = nodes.ints(name, "stride", 2, 1),
             pad = nodes.ints(name, "padding", 2, 0);
  // AvgPool2d divides by the whole kernel, padding included (PyTorch's count_include_pad).
  const double f =
      nodes.node(name).type == "AvgPool2d" ? 1.0 / static_cast<double>(k[0] * k[1]) : 1.0;
  const auto C = static_cast<std::int64_t>(in[0]), H = static_cast<std::int64_t>(in[1]),
             W = static_cast<std::int64_t>(in[2]);
  const auto OH = static_cast<std::int64_t>(out[1]), OW = static_cast<std::int64_t>(out[2]);
  Matrix m(static_cast<std::size_t>(C * OH * OW));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t y = 0; y < OH; ++y)
      for (std::int64_t x = 0; x < OW; ++x) {
        auto& row = m[static_cast<std::size_t>((c * OH + y) * OW + x)];
        for (std::int64_t ky = 0; ky < k[0]; ++ky)
          for (std::int64_t kx = 0; kx < k[1]; ++kx) {
            const std::int64_t iy = y * st[0] - pad[0] + ky, ix = x * st[1] - pad[1] + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            row.emplace_back(static_cast<std::int32_t>((c * H + iy) * W + ix), f);
          }
      }
  return m;
}

Signal LinearPaths::gather(const std::string& name) {
  Signal in;
  in.size = product(shapes_.input_shape(name));
  for (const auto& p : nodes_.preds(name)) add(in, from_predecessor(name, p));
  return in;
}

Signal LinearPaths::from_predecessor(const std::string& name, const std::string& pred) {
  const Kind k = nodes_.kind(pred);
  if (k != Kind::kInput && k != Kind::kNeuron) return signal(pred);
  if (k == Kind::kNeuron) {
    const std::string& t = nodes_.node(pred).type;
    if (t == "LI" || t == "CubaLI" || t == "I")
      nodes_.fail(pred, "feeds '" + name + "', but a " + t +
                            " node never spikes (its output is a voltage) and synapses carry "
                            "spikes");
  }
  Signal s;
  s.size = product(shapes_.shape(pred));
  s.from[pred] = identity_rows(s.size);
  return s;
}

Signal LinearPaths::signal(const std::string& name) {
  if (auto it = signals_.find(name); it != signals_.end()) return it->second;
  if (busy_.count(name))
    nodes_.fail(name,
                "lies on a cycle of linear nodes only (no neuron on the loop): an algebraic loop "
                "with no discrete-time meaning");
  busy_.insert(name);
  Signal s = apply(name, gather(name));
  busy_.erase(name);
  signals_[name] = s;
  return s;
}

Signal LinearPaths::apply(const std::string& name, Signal in) {
  const auto out_shape = shapes_.shape(name);
  const std::size_t n = product(out_shape);
  if (nodes_.kind(name) == Kind::kIdentity) return in;
  Signal s;
  s.size = n;
  s.via = std::move(in.via);
  for (const auto& [src, rows] : in.from) s.via[src].insert(name);
  if (nodes_.node(name).type == "Delay") {
    const auto steps = delay_steps(name, n);
    s.from = std::move(in.from);
    for (auto& [src, rows] : s.from)
      for (std::size_t i = 0; i < n; ++i)
        for (auto& e : rows[i]) {
          // Chained delays add up: keep the sum bounded too (and inside its integer type).
          if (e.delay > kMaxDelaySteps - steps[i])
            nodes_.fail(name, fmt::format("delays along a path add up to more than {} steps",
                                          kMaxDelaySteps));
          e.delay += steps[i];
        }
    s.bias = std::move(in.bias);  // a constant, delayed, is the same constant
    return s;
  }
  const auto [m, own_bias] = node_map(name, out_shape);
  for (const auto& [src, rows] : in.from) s.from[src] = multiply(m, rows);
  s.bias = constant_part(m, in.bias, own_bias);
  return s;
}

std::vector<std::int32_t> LinearPaths::delay_steps(const std::string& name, std::size_t n) {
  const double dt = nodes_.options().dt;
  const auto d = nodes_.param(name, "delay", n, true, 0);
  std::vector<std::int32_t> steps(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = d[i] / dt;
    const double r = std::round(x);
    if (d[i] < 0) nodes_.fail(name, fmt::format("delay[{}] = {} s is negative", i, d[i]));
    // Far beyond any synaptic delay a core stores (6 bits); checked before the conversion to
    // an integer, which a delay of 1e293 s would overflow.
    if (!(r <= kMaxDelaySteps))
      nodes_.fail(name, fmt::format("delay[{}] = {} s is {:g} steps of dt = {} s, more than {}", i,
                                    d[i], r, dt, kMaxDelaySteps));
    if (std::fabs(x - r) > 1e-6 * std::max(1.0, x))
      nodes_.approximate(
          name,
          fmt::format("delay[{}] = {} s is {} steps of dt = {} s, not a whole number", i, d[i], x,
                      dt),
          "round it to " + fmt::format("{}", r) + " steps");
    steps[i] = static_cast<std::int32_t>(r);
  }
  return steps;
}

std::pair<Matrix, std::vector<double>> LinearPaths::node_map(const std::string& name,
                                                             const Shape& out_shape) {
  const std::string& t = nodes_.node(name).type;
  const std::size_t n = product(out_shape);
  if (t == "Affine" || t == "Linear") {
    Matrix m = weight_matrix(nodes_.array(name, "weight"), n);
    if (t == "Linear") return {std::move(m), {}};
    return {std::move(m), nodes_.param(name, "bias", n, false, 0.0)};
  }
  if (t == "Scale") {
    const auto sc = nodes_.param(name, "scale", n, true, 1.0);
    Matrix m(n);
    for (std::size_t r = 0; r < n; ++r) m[r].emplace_back(static_cast<std::int32_t>(r), sc[r]);
    return {std::move(m), {}};
  }
  if (t == "Conv2d") {
    Matrix m = conv_matrix(nodes_, name, shapes_.spatial_input(name), out_shape);
    std::vector<double> own_bias;
    if (nodes_.node(name).find("bias")) {
      const auto per_channel = nodes_.param(name, "bias", out_shape[0], false, 0.0);
      own_bias.assign(n, 0.0);
      const std::size_t plane = out_shape[1] * out_shape[2];
      for (std::size_t i = 0; i < n; ++i) own_bias[i] = per_channel[i / plane];
    }
    return {std::move(m), std::move(own_bias)};
  }
  // SumPool2d, AvgPool2d
  return {pool_matrix(nodes_, name, shapes_.spatial_input(name), out_shape), {}};
}

}  // namespace loihisim::models::nir
