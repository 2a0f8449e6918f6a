#include "baseline/cpu_lstm_layer.hpp"

#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "baseline/cpu_kernels.hpp"
#include "io/errors.hpp"

namespace loihisim {
namespace {

using cpu_kernels::clip;
using models::LstmCell;

constexpr std::uint64_t kFloat = cpu_kernels::kFloatBytes;

float sigmoid(float z) {
  return 1.0f / (1.0f + std::exp(-z));
}

// phi1 multiplies by 0.25 where the training script divides by 4: the same float32 result (a
// power of two), and the operation that is counted.
float phi1(float z) {
  return clip((z + 2.0f) * 0.25f, 0.0f, 1.0f);
}
float phi2(float z) {
  return clip(z * 0.5f, -1.0f, 1.0f);
}

}  // namespace

const char* to_string(CpuImplementation impl) {
  return impl == CpuImplementation::kTuned ? "tuned" : "straightforward";
}

CpuLstmLayer::CpuLstmLayer(const LstmLayerView& w, CpuImplementation impl, const std::string& file)
    : w_(w), impl_(impl) {
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto h = static_cast<std::size_t>(w.hidden_size);
  if (w.w_ih.size() != 4 * h * in || w.w_hh.size() != 4 * h * h || w.bias.size() != 4 * h)
    throw InputError(fmt::format("{}: the layer's weight arrays do not match input {}, hidden {}",
                                 file, w.input_size, w.hidden_size));
  h_.resize(h);
  c_.resize(h);
  z_.resize(4 * h);
  if (impl == CpuImplementation::kTuned) {
    cpu_kernels::single_threaded_blas();
    w_cat_.resize(4 * h * (in + h));
    for (std::size_t r = 0; r < 4 * h; ++r) {
      std::copy_n(w.w_ih.data() + r * in, in, w_cat_.data() + r * (in + h));
      std::copy_n(w.w_hh.data() + r * h, h, w_cat_.data() + r * (in + h) + in);
    }
    xh_.resize(in + h);
  }
}

std::span<float> CpuLstmLayer::h() {
  if (impl_ == CpuImplementation::kTuned)
    return {xh_.data() + w_.input_size, static_cast<std::size_t>(w_.hidden_size)};
  return h_;
}

std::span<const float> CpuLstmLayer::h() const {
  if (impl_ == CpuImplementation::kTuned)
    return {xh_.data() + w_.input_size, static_cast<std::size_t>(w_.hidden_size)};
  return h_;
}

void CpuLstmLayer::reset() {
  std::ranges::fill(h(), 0.0f);
  std::ranges::fill(c_, 0.0f);
}

bool CpuLstmLayer::step(const float* x, bool may_skip) {
  if (impl_ == CpuImplementation::kTuned) return tuned(x, may_skip);
  return straightforward<false>(x, may_skip, nullptr);
}

bool CpuLstmLayer::step_counted(const float* x, bool may_skip, CpuOpCounts& counts) {
  return straightforward<true>(x, may_skip, &counts);
}

template <bool kCount>
void CpuLstmLayer::gate_rows(std::size_t r0, std::size_t r1, const float* x, CpuOpCounts* n) {
  const auto in = static_cast<std::size_t>(w_.input_size);
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  // z = W_ih x + W_hh h + b, one multiply-accumulate chain per gate row.
  for (std::size_t r = r0; r < r1; ++r) {
    const float* wi = w_.w_ih.data() + r * in;
    const float* wh = w_.w_hh.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < in; ++k) acc += wi[k] * x[k];
    for (std::size_t k = 0; k < hs; ++k) acc += wh[k] * h_[k];
    z_[r] = acc + w_.bias[r];
    if constexpr (kCount) {
      n->mac += in + hs;
      n->add += 1;
      n->weight_bytes_read += kFloat * (in + hs + 1);
      n->activation_bytes_written += kFloat;  // z[r]
    }
  }
}

// DTS's probe (docs/baseline.md "AxLSTM: DTS and DSR"): the input gate's rows, its
// nonlinearity into i_, and the test sum_j i_j < tau H. Returns true when the step is skipped.
template <bool kCount>
bool CpuLstmLayer::dts_probe(const float* x, CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  const bool modified = w_.cell == LstmCell::kModified;
  gate_rows<kCount>(0, hs, x, n);
  float sum = 0.0f;
  for (std::size_t j = 0; j < hs; ++j) {
    i_[j] = modified ? phi1(z_[j]) : sigmoid(z_[j]);
    sum += i_[j];
  }
  if constexpr (kCount) {
    n->add += hs + (modified ? hs : 0);  // the sum; phi1's add
    n->mul += modified ? hs : 0;
    n->cmp += 1 + (modified ? 2 * hs : 0);  // the test; phi1's clip
    n->nonlinearity += hs;
    n->transcendental += modified ? 0 : hs;
    n->neuron_updates += hs;
    n->activation_bytes_read += kFloat * (2 * hs);  // z_i, then i for the sum
    n->activation_bytes_written += kFloat * hs;     // i
  }
  return sum < dts_threshold_;
}

// The cell update of one step from z (and, when `probed`, the input gate already in i_).
template <bool kCount>
void CpuLstmLayer::cell_update(bool probed, CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  const bool modified = w_.cell == LstmCell::kModified;
  for (std::size_t j = 0; j < hs; ++j) {
    const float zi = z_[j], zf = z_[hs + j], zg = z_[2 * hs + j], zo = z_[3 * hs + j];
    if (modified) {
      const float i = probed ? i_[j] : phi1(zi), f = phi1(zf), g = phi2(zg), o = phi1(zo);
      c_[j] = clip(f * c_[j] + i * g, -1.0f, 1.0f);
      h_[j] = o * phi2(c_[j]);
    } else {
      const float i = probed ? i_[j] : sigmoid(zi), f = sigmoid(zf), g = std::tanh(zg),
                  o = sigmoid(zo);
      c_[j] = f * c_[j] + i * g;
      h_[j] = o * std::tanh(c_[j]);
    }
  }
  if constexpr (kCount) {
    const std::uint64_t gates = probed ? 4 : 5, phi1s = probed ? 2 : 3;
    if (modified) {
      n->add += hs * (phi1s + 1);          // phi1s, cell
      n->mul += hs * (phi1s + 2 + 3);      // phi1s, phi2 x 2, cell (f c, i g, o phi2(c))
      n->cmp += hs * (2 * phi1s + 4 + 2);  // phi1s, phi2 x 2, clamp
    } else {
      n->add += hs;
      n->mul += hs * 3;
      n->transcendental += hs * gates;
    }
    n->nonlinearity += hs * gates;
    n->neuron_updates += hs * gates;
    // z (4 gates, or 3 and i), c read; c, h written.
    n->activation_bytes_read += kFloat * 5 * hs;
    n->activation_bytes_written += kFloat * 2 * hs;
  }
}

template <bool kCount>
bool CpuLstmLayer::straightforward(const float* x, bool may_skip, CpuOpCounts* n) {
  const auto in = static_cast<std::size_t>(w_.input_size);
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  const bool probed = dts_ && may_skip;
  if constexpr (kCount) n->activation_bytes_read += kFloat * (in + hs);  // x and h
  if (probed && dts_probe<kCount>(x, n)) return true;
  gate_rows<kCount>(probed ? hs : 0, 4 * hs, x, n);
  cell_update<kCount>(probed, n);
  return false;
}

bool CpuLstmLayer::tuned(const float* x_in, bool may_skip) {
  const auto in = static_cast<std::size_t>(w_.input_size);
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  const int rows = 4 * w_.hidden_size, cols = w_.input_size + w_.hidden_size;
  float* const x = xh_.data();
  float* const h = xh_.data() + in;  // h lives right after x so one sgemv reads [x; h]
  float* const c = c_.data();
  float* const z = z_.data();
  std::memcpy(x, x_in, in * sizeof(float));
  std::memcpy(z, w_.bias.data(), 4 * hs * sizeof(float));
  if (dts_ && may_skip) {  // DTS: the input gate's rows first
    if (tuned_probe()) return true;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, rows - w_.hidden_size, cols, 1.0f,
                w_cat_.data() + hs * static_cast<std::size_t>(cols), cols, xh_.data(), 1, 1.0f,
                z + hs, 1);
  } else {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0f, w_cat_.data(), cols, xh_.data(), 1,
                1.0f, z, 1);
  }
  const float* zi = z;
  const float* zf = z + hs;
  const float* zg = z + 2 * hs;
  const float* zo = z + 3 * hs;
  if (w_.cell == LstmCell::kModified) {
#pragma GCC ivdep
    for (std::size_t j = 0; j < hs; ++j) {
      const float cj = clip(phi1(zf[j]) * c[j] + phi1(zi[j]) * phi2(zg[j]), -1.0f, 1.0f);
      c[j] = cj;
      h[j] = phi1(zo[j]) * phi2(cj);
    }
  } else {
#pragma GCC ivdep
    for (std::size_t j = 0; j < hs; ++j) {
      const float cj = sigmoid(zf[j]) * c[j] + sigmoid(zi[j]) * std::tanh(zg[j]);
      c[j] = cj;
      h[j] = sigmoid(zo[j]) * std::tanh(cj);
    }
  }
  return false;
}

bool CpuLstmLayer::tuned_probe() {
  const auto hs = static_cast<std::size_t>(w_.hidden_size);
  const int cols = w_.input_size + w_.hidden_size;
  float* const z = z_.data();
  cblas_sgemv(CblasRowMajor, CblasNoTrans, w_.hidden_size, cols, 1.0f, w_cat_.data(), cols,
              xh_.data(), 1, 1.0f, z, 1);
  float sum = 0.0f;
  if (w_.cell == LstmCell::kModified) {
    for (std::size_t j = 0; j < hs; ++j) sum += phi1(z[j]);
  } else {
    for (std::size_t j = 0; j < hs; ++j) sum += sigmoid(z[j]);
  }
  return sum < dts_threshold_;
}

void CpuLstmLayer::set_dts(double tau) {
  if (!(tau >= 0.0 && tau <= 1.0))
    throw InputError(fmt::format("--dts-tau {}: out of range [0, 1] (the input gate's mean)", tau));
  dts_ = true;
  dts_threshold_ = static_cast<float>(tau * w_.hidden_size);
  i_.resize(static_cast<std::size_t>(w_.hidden_size));
}

}  // namespace loihisim
