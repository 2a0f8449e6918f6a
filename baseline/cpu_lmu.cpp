#include "baseline/cpu_lmu.hpp"

#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "baseline/cpu_kernels.hpp"
#include "io/enum_parse.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim {
namespace {

using Activation = models::LmuWeights::Activation;
using cpu_kernels::argmax;
using cpu_kernels::clip;
using cpu_kernels::u64;

constexpr std::uint64_t kFloat = cpu_kernels::kFloatBytes;

std::vector<float> to_float(const std::vector<double>& v) {
  std::vector<float> f(v.size());
  std::transform(v.begin(), v.end(), f.begin(), [](double x) { return static_cast<float>(x); });
  return f;
}

// Compares per unit: crelu clip(z, 0, 1) 2, relu max(z, 0) 1, tanh none (a transcendental).
std::uint64_t compares_of(Activation a) {
  return a == Activation::kCrelu ? 2 : a == Activation::kRelu ? 1 : 0;
}

float activate(Activation a, float z) {
  switch (a) {
    case Activation::kCrelu:
      return clip(z, 0.0f, 1.0f);
    case Activation::kRelu:
      return z < 0.0f ? 0.0f : z;
    case Activation::kTanh:
      break;
  }
  return std::tanh(z);
}

// h = f(z) over n values, unit stride and branch-free for crelu / relu (the compiler vectorises
// these loops); tanh calls libm per value.
void activate_all(Activation a, const float* z, float* h, std::size_t n) {
  if (a == Activation::kCrelu) {
#pragma GCC ivdep
    for (std::size_t j = 0; j < n; ++j) h[j] = clip(z[j], 0.0f, 1.0f);
  } else if (a == Activation::kRelu) {
#pragma GCC ivdep
    for (std::size_t j = 0; j < n; ++j) h[j] = z[j] < 0.0f ? 0.0f : z[j];
  } else {
    for (std::size_t j = 0; j < n; ++j) h[j] = std::tanh(z[j]);
  }
}

// The closed-form counts from the network's shape (count_lmu_ops; docs/baseline.md).
CpuOpCounts lmu_counts(std::uint64_t t, std::uint64_t in, std::uint64_t d, std::uint64_t h,
                       std::uint64_t c, Activation activation) {
  CpuOpCounts n;
  // Per step: u = e_x . x (I), m = A_bar m + B_bar u (d rows of d + 1), z (H rows of I + d + H).
  n.mac = t * (in + d * (d + 1) + h * (in + d + h)) + c * h;
  n.add = t * h + c;  // the biases b and b_o
  n.mul = 0;
  n.cmp = t * h * compares_of(activation) + (c > 0 ? c - 1 : 0);
  n.nonlinearity = t * h;
  n.transcendental = activation == Activation::kTanh ? t * h : 0;
  n.neuron_updates = t * h + c;
  // Per step e_x, A_bar, B_bar, [W_x | W_m | W_h] and b; then W_o and b_o.
  const std::uint64_t step_weights = in + d * (d + 1) + h * (in + d + h + 1);
  n.weight_bytes_read = kFloat * (t * step_weights + c * (h + 1));
  // Per step: x (u), m and u (memory), x, m and h (z), z (f); then h (readout), logits (argmax).
  n.activation_bytes_read = kFloat * (t * (2 * in + 2 * d + 2 * h + 1) + h + c);
  // Per step: u, m, z, h; then the logits.
  n.activation_bytes_written = kFloat * (t * (1 + d + 2 * h) + c);
  n.weight_working_set_bytes = kFloat * (step_weights + c * (h + 1));
  // The input sequence, u, m_(t-1) and m_t (the dense update cannot run in place), z, h, logits.
  n.activation_working_set_bytes = kFloat * (t * in + 1 + 2 * d + 2 * h + c);
  return n;
}

}  // namespace

const char* lmu_activation_name(Activation a) {
  return a == Activation::kCrelu ? "crelu" : a == Activation::kRelu ? "relu" : "tanh";
}

CpuOpCounts count_lmu_ops(const models::LmuWeights& w, int steps) {
  return lmu_counts(u64(steps), u64(w.inputs), u64(w.d), u64(w.hidden), u64(w.classes),
                    w.activation);
}

CpuLmu::CpuLmu(const models::LmuWeights& w, CpuImplementation impl)
    : file_(w.file),
      impl_(impl),
      activation_(w.activation),
      inputs_(w.inputs),
      d_(w.d),
      hidden_(w.hidden),
      classes_(w.classes) {
  const auto in = static_cast<std::size_t>(w.inputs), d = static_cast<std::size_t>(w.d),
             h = static_cast<std::size_t>(w.hidden), c = static_cast<std::size_t>(w.classes);
  if (w.inputs < 1 || w.d < 1 || w.hidden < 1 || w.classes < 1 || w.e_x.size() != in ||
      w.a_bar.size() != d * d || w.b_bar.size() != d || w.w_x.size() != h * in ||
      w.w_m.size() != h * d || w.w_h.size() != h * h || w.bias.size() != h ||
      w.w_o.size() != c * h || w.b_o.size() != c)
    throw InputError(
        fmt::format("{}: the LMU's arrays do not match inputs {}, d {}, hidden {}, classes {}",
                    w.file, w.inputs, w.d, w.hidden, w.classes));
  e_x_ = to_float(w.e_x);
  a_bar_ = to_float(w.a_bar);
  b_bar_ = to_float(w.b_bar);
  w_x_ = to_float(w.w_x);
  w_m_ = to_float(w.w_m);
  w_h_ = to_float(w.w_h);
  bias_ = to_float(w.bias);
  w_o_ = to_float(w.w_o);
  b_o_ = to_float(w.b_o);
  m_.resize(d);
  m_next_.resize(d);
  z_.resize(h);
  h_.resize(h);
  if (impl == CpuImplementation::kTuned) {
    cpu_kernels::single_threaded_blas();
    const std::size_t cols = in + d + h;
    w_cat_.resize(h * cols);
    for (std::size_t r = 0; r < h; ++r) {
      std::copy_n(w_x_.data() + r * in, in, w_cat_.data() + r * cols);
      std::copy_n(w_m_.data() + r * d, d, w_cat_.data() + r * cols + in);
      std::copy_n(w_h_.data() + r * h, h, w_cat_.data() + r * cols + in + d);
    }
    xmh_.resize(cols);
  }
}

void CpuLmu::check_logits(std::span<float> logits) const {
  if (logits.size() < static_cast<std::size_t>(classes_))
    throw std::invalid_argument("CpuLmu: " + std::to_string(logits.size()) +
                                " logits for a network of " + std::to_string(classes_) +
                                " classes");
}

int CpuLmu::infer(const float* sequence, int steps, std::span<float> logits) {
  check_logits(logits);
  if (impl_ == CpuImplementation::kTuned) return tuned(sequence, steps, logits);
  return straightforward<false>(sequence, steps, logits, nullptr);
}

int CpuLmu::infer_counted(const float* sequence, int steps, std::span<float> logits,
                          CpuOpCounts& counts) {
  check_logits(logits);
  return straightforward<true>(sequence, steps, logits, &counts);
}

// u = e_x . x, then m_t = A_bar m_(t-1) + B_bar u into m_next_ (one multiply-accumulate chain
// per row, B_bar u last), then m_ <- m_next_.
template <bool kCount>
void CpuLmu::memory_step(const float* x, CpuOpCounts* n) {
  const auto in = static_cast<std::size_t>(inputs_), d = static_cast<std::size_t>(d_);
  float u = 0.0f;
  for (std::size_t k = 0; k < in; ++k) u += e_x_[k] * x[k];
  if constexpr (kCount) {
    n->mac += in;
    n->weight_bytes_read += kFloat * in;
    n->activation_bytes_read += kFloat * in;  // x
    n->activation_bytes_written += kFloat;    // u
  }
  for (std::size_t i = 0; i < d; ++i) {
    const float* a = a_bar_.data() + i * d;
    float acc = 0.0f;
    for (std::size_t j = 0; j < d; ++j) acc += a[j] * m_[j];
    acc += b_bar_[i] * u;
    m_next_[i] = acc;
    if constexpr (kCount) {
      n->mac += d + 1;
      n->weight_bytes_read += kFloat * (d + 1);
      n->activation_bytes_written += kFloat;  // m_t[i]
    }
  }
  if constexpr (kCount) n->activation_bytes_read += kFloat * (d + 1);  // m_(t-1), u
  m_.swap(m_next_);
}

// z = W_x x + W_m m + W_h h + b (one chain per row), then h = f(z).
template <bool kCount>
void CpuLmu::hidden_step(const float* x, CpuOpCounts* n) {
  const auto in = static_cast<std::size_t>(inputs_), d = static_cast<std::size_t>(d_),
             hs = static_cast<std::size_t>(hidden_);
  for (std::size_t r = 0; r < hs; ++r) {
    const float* wx = w_x_.data() + r * in;
    const float* wm = w_m_.data() + r * d;
    const float* wh = w_h_.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < in; ++k) acc += wx[k] * x[k];
    for (std::size_t k = 0; k < d; ++k) acc += wm[k] * m_[k];
    for (std::size_t k = 0; k < hs; ++k) acc += wh[k] * h_[k];
    z_[r] = acc + bias_[r];
    if constexpr (kCount) {
      n->mac += in + d + hs;
      n->add += 1;
      n->weight_bytes_read += kFloat * (in + d + hs + 1);
      n->activation_bytes_written += kFloat;  // z[r]
    }
  }
  if constexpr (kCount) n->activation_bytes_read += kFloat * (in + d + hs);  // x, m, h
  for (std::size_t j = 0; j < hs; ++j) {
    h_[j] = activate(activation_, z_[j]);
    if constexpr (kCount) {
      n->cmp += compares_of(activation_);
      n->nonlinearity += 1;
      n->transcendental += activation_ == Activation::kTanh ? 1 : 0;
      n->neuron_updates += 1;
      n->activation_bytes_read += kFloat;     // z[j]
      n->activation_bytes_written += kFloat;  // h[j]
    }
  }
}

template <bool kCount>
int CpuLmu::readout(std::span<float> logits, CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(hidden_), cs = static_cast<std::size_t>(classes_);
  for (std::size_t r = 0; r < cs; ++r) {
    const float* wr = w_o_.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < hs; ++k) acc += wr[k] * h_[k];
    logits[r] = acc + b_o_[r];
  }
  const int best = argmax(logits.first(cs));
  if constexpr (kCount) {
    n->mac += cs * hs;
    n->add += cs;
    n->neuron_updates += cs;
    n->weight_bytes_read += kFloat * cs * (hs + 1);
    n->activation_bytes_read += kFloat * (hs + cs);  // h (readout), logits (argmax)
    n->activation_bytes_written += kFloat * cs;
    n->cmp += cs > 0 ? cs - 1 : 0;
  }
  return best;
}

template <bool kCount>
int CpuLmu::straightforward(const float* sequence, int steps, std::span<float> logits,
                            CpuOpCounts* n) {
  std::fill(m_.begin(), m_.end(), 0.0f);
  std::fill(h_.begin(), h_.end(), 0.0f);
  for (int t = 0; t < steps; ++t) {
    const float* x = sequence + static_cast<std::size_t>(t) * static_cast<std::size_t>(inputs_);
    memory_step<kCount>(x, n);
    hidden_step<kCount>(x, n);
  }
  const int best = readout<kCount>(logits, n);
  if constexpr (kCount) {
    // Working sets are properties of the network, not of an execution: the same as counted.
    const CpuOpCounts closed =
        lmu_counts(u64(steps), u64(inputs_), u64(d_), u64(hidden_), u64(classes_), activation_);
    n->weight_working_set_bytes = closed.weight_working_set_bytes;
    n->activation_working_set_bytes = closed.activation_working_set_bytes;
  }
  return best;
}

int CpuLmu::tuned(const float* sequence, int steps, std::span<float> logits) {
  const auto in = static_cast<std::size_t>(inputs_), d = static_cast<std::size_t>(d_),
             hs = static_cast<std::size_t>(hidden_), cs = static_cast<std::size_t>(classes_);
  const int cols = inputs_ + d_ + hidden_;
  float* const x = xmh_.data();
  float* const m = x + in;  // [x; m; h] in one buffer: one sgemv reads all three
  float* const h = m + d;
  float* const m_next = m_next_.data();
  float* const z = z_.data();
  std::fill(m, m + d, 0.0f);
  std::fill(h, h + hs, 0.0f);
  for (int t = 0; t < steps; ++t) {
    std::memcpy(x, sequence + static_cast<std::size_t>(t) * in, in * sizeof(float));
    const float u = cblas_sdot(inputs_, e_x_.data(), 1, x, 1);
#pragma GCC ivdep
    for (std::size_t i = 0; i < d; ++i) m_next[i] = b_bar_[i] * u;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, d_, d_, 1.0f, a_bar_.data(), d_, m, 1, 1.0f, m_next,
                1);
    std::memcpy(m, m_next, d * sizeof(float));
    std::memcpy(z, bias_.data(), hs * sizeof(float));
    cblas_sgemv(CblasRowMajor, CblasNoTrans, hidden_, cols, 1.0f, w_cat_.data(), cols, x, 1, 1.0f,
                z, 1);
    activate_all(activation_, z, h, hs);
  }
  std::copy_n(b_o_.data(), cs, logits.data());
  cblas_sgemv(CblasRowMajor, CblasNoTrans, classes_, hidden_, 1.0f, w_o_.data(), hidden_, h, 1,
              1.0f, logits.data(), 1);
  return argmax(logits.first(cs));
}

LmuReference read_lmu_reference(const models::LmuWeights& w) {
  const h5::Group root = h5::open_file(w.file);
  LmuReference r;
  if (root.has("reference")) {
    const h5::Group ref = root.open_group("reference");
    for (const char* name : {"inputs", "logits_float"})
      if (!ref.has(name)) ref.fail(name, "missing (tools/train_lmu.py writes it)");
    const auto dims = ref.shape("inputs");
    if (dims.size() != 3 || dims[0] < 1 || dims[0] > 1024 || dims[1] < 1 || dims[1] > (1u << 20) ||
        dims[2] != u64(w.inputs))
      ref.fail("inputs", fmt::format("has shape {}, expected [1..1024, 1..2^20 steps, {} inputs]",
                                     h5::dims_text(dims), w.inputs));
    r.inputs = h5::read_finite<float>(ref, "inputs", dims);
    r.logits = h5::read_finite<float>(ref, "logits_float", {dims[0], u64(w.classes)});
    r.count = static_cast<int>(dims[0]);
    r.steps = static_cast<int>(dims[1]);
  }
  if (root.has("permutation")) {
    std::vector<std::uint64_t> dims;
    const auto p = root.read<std::int64_t>("permutation", &dims);
    if (dims.size() != 1) root.fail("permutation", "expected a 1-D array");
    r.permutation.assign(p.begin(), p.end());
    for (std::size_t k = 0; k < p.size(); ++k)
      if (p[k] < 0 || p[k] >= static_cast<std::int64_t>(p.size()))
        root.fail("permutation", fmt::format("[{}] = {} is outside 0..{}", k, p[k], p.size() - 1));
  }
  if (root.has_attribute("input_scaling")) {
    const auto v = root.string_list_attribute("input_scaling");
    if (v.size() != 1) root.fail("@input_scaling", "expected a single string");
    r.input_scaling = v[0];
  }
  if (root.has_attribute("test_accuracy_float"))
    r.float_accuracy = root.double_attribute("test_accuracy_float");
  else if (w.kind != "hybrid-spiking")
    r.float_accuracy = w.test_accuracy;
  return r;
}

DatasetSpec lmu_dataset_spec(const models::LmuWeights& w, const LmuReference& ref,
                             const std::string& dataset, const std::string& layout,
                             const std::string& split) {
  DatasetSpec spec;
  spec.name = dataset.empty() ? w.dataset : dataset;
  const std::string lay = layout.empty() ? w.layout : layout;
  if (spec.name.empty())
    throw InputError(w.file + ": no 'dataset' attribute: give --dataset mnist|fashion");
  if (lay.empty()) throw InputError(w.file + ": no 'layout' attribute: give --layout row|pixel");
  spec.split = split;
  spec.layout = parse_enum(kSequenceLayoutNames, lay, "sequence layout");
  spec.scaling = input_scaling_from_attribute(ref.input_scaling, w.file);
  if (spec.layout != SequenceLayout::kPixel) return spec;
  spec.permutation_seed = w.permutation_seed;
  if (ref.permutation.empty()) return spec;
  // The file's stored order must be the one the seed reproduces (28 x 28 images: 784 pixels).
  constexpr std::size_t kPixels = 28 * 28;
  if (w.permutation_seed < 0 || ref.permutation.size() != kPixels ||
      ref.permutation != pixel_permutation(kPixels, static_cast<std::uint64_t>(w.permutation_seed)))
    throw InputError(fmt::format(
        "{}:/permutation: {} values that are not pixel_permutation(784, permutation_seed = {}): "
        "the baseline cannot present the pixels in the order the network was trained on",
        w.file, ref.permutation.size(), w.permutation_seed));
  return spec;
}

}  // namespace loihisim
