#include "baseline/cpu_baseline.hpp"

#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "baseline/cpu_kernels.hpp"
#include "io/errors.hpp"

namespace loihisim {

void cpu_kernels::single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

namespace {

using cpu_kernels::argmax;
using cpu_kernels::clip;
using cpu_kernels::single_threaded_blas;
using cpu_kernels::u64;
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

CpuOpCounts count_lstm_ops(const models::LstmWeights& w, int steps) {
  const std::uint64_t t = u64(steps), in = u64(w.input_size), h = u64(w.hidden_size),
                      c = u64(w.classes);
  const bool modified = w.cell == LstmCell::kModified;
  CpuOpCounts n;
  n.mac = t * 4 * h * (in + h) + c * h;
  // Per step and unit: 4 bias adds, 1 add in c = f c + i g; modified: 3 phi1 (+2 each).
  n.add = t * h * (modified ? 8 : 5) + c;
  // Per step and unit: f c, i g, o phi(c); modified: 3 phi1 (x 0.25), 2 phi2 (x 0.5).
  n.mul = t * h * (modified ? 8 : 3);
  // Modified: 2 compares per phi1 (3) and phi2 (2), 2 for the cell clamp; argmax C - 1.
  n.cmp = t * h * (modified ? 12 : 0) + (c > 0 ? c - 1 : 0);
  n.nonlinearity = t * 5 * h;
  n.transcendental = modified ? 0 : n.nonlinearity;
  n.neuron_updates = t * 5 * h + c;
  n.weight_bytes_read = kFloat * (t * 4 * h * (in + h + 1) + c * (h + 1));
  // Per step: x, h, z (4H), c read; z, c, h written. Then h and the logits read (classifier,
  // argmax), the logits written.
  n.activation_bytes_read = kFloat * (t * (in + 6 * h) + h + c);
  n.activation_bytes_written = kFloat * (t * 6 * h + c);
  n.weight_working_set_bytes = kFloat * (4 * h * (in + h + 1) + c * (h + 1));
  // The input sequence, h, c, z and the logits.
  n.activation_working_set_bytes = kFloat * (t * in + 6 * h + c);
  return n;
}

const char* to_string(CpuImplementation impl) {
  return impl == CpuImplementation::kTuned ? "tuned" : "straightforward";
}

std::string tuned_implementation_description() {
  single_threaded_blas();
  std::string config = openblas_get_config();
  while (!config.empty() && config.back() == ' ') config.pop_back();
  return fmt::format("cblas_sgemv of {} (kernels for {}), 1 thread", config,
                     openblas_get_corename());
}

void CpuLstm::check_logits(std::span<float> logits) const {
  if (logits.size() < static_cast<std::size_t>(w_->classes))
    throw std::invalid_argument("CpuLstm: " + std::to_string(logits.size()) +
                                " logits for a network of " + std::to_string(w_->classes) +
                                " classes");
}

CpuLstm::CpuLstm(const models::LstmWeights& w, CpuImplementation impl) : w_(&w), impl_(impl) {
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto h = static_cast<std::size_t>(w.hidden_size);
  if (w.w_ih.size() != 4 * h * in || w.w_hh.size() != 4 * h * h || w.bias.size() != 4 * h ||
      w.fc_weight.size() != static_cast<std::size_t>(w.classes) * h ||
      w.fc_bias.size() != static_cast<std::size_t>(w.classes))
    throw InputError(w.file + ": the weight arrays do not match input " +
                     std::to_string(w.input_size) + ", hidden " + std::to_string(w.hidden_size) +
                     ", classes " + std::to_string(w.classes));
  h_.resize(h);
  c_.resize(h);
  z_.resize(4 * h);
  if (impl == CpuImplementation::kTuned) {
    single_threaded_blas();
    w_cat_.resize(4 * h * (in + h));
    for (std::size_t r = 0; r < 4 * h; ++r) {
      std::copy_n(w.w_ih.data() + r * in, in, w_cat_.data() + r * (in + h));
      std::copy_n(w.w_hh.data() + r * h, h, w_cat_.data() + r * (in + h) + in);
    }
    xh_.resize(in + h);
  }
}

int CpuLstm::infer(const float* sequence, int steps, std::span<float> logits) {
  check_logits(logits);
  if (impl_ == CpuImplementation::kTuned) return tuned(sequence, steps, logits);
  return straightforward<false>(sequence, steps, logits, nullptr);
}

int CpuLstm::infer_counted(const float* sequence, int steps, std::span<float> logits,
                           CpuOpCounts& counts) {
  check_logits(logits);
  return straightforward<true>(sequence, steps, logits, &counts);
}

template <bool kCount>
void CpuLstm::gate_rows(std::size_t r0, std::size_t r1, const float* x, CpuOpCounts* n) {
  const models::LstmWeights& w = *w_;
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  // z = W_ih x + W_hh h + b, one multiply-accumulate chain per gate row.
  for (std::size_t r = r0; r < r1; ++r) {
    const float* wi = w.w_ih.data() + r * in;
    const float* wh = w.w_hh.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < in; ++k) acc += wi[k] * x[k];
    for (std::size_t k = 0; k < hs; ++k) acc += wh[k] * h_[k];
    z_[r] = acc + w.bias[r];
    if constexpr (kCount) {
      n->mac += in + hs;
      n->add += 1;
      n->weight_bytes_read += kFloat * (in + hs + 1);
      n->activation_bytes_written += kFloat;  // z[r]
    }
  }
}

// DTS's probe (docs/baseline.md "AxLSTM: DTS and DSR"): the input gate's rows, its
// nonlinearity into i_, and the test sum_j i_j < tau H. Returns true when the symbol is skipped.
template <bool kCount>
bool CpuLstm::dts_probe(const float* x, CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(w_->hidden_size);
  const bool modified = w_->cell == LstmCell::kModified;
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
void CpuLstm::cell_update(bool probed, CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(w_->hidden_size);
  const bool modified = w_->cell == LstmCell::kModified;
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
int CpuLstm::straightforward(const float* sequence, int steps, std::span<float> logits,
                             CpuOpCounts* n) {
  const models::LstmWeights& w = *w_;
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const auto cs = static_cast<std::size_t>(w.classes);
  std::fill(h_.begin(), h_.end(), 0.0f);
  std::fill(c_.begin(), c_.end(), 0.0f);
  skipped_ = 0;
  for (int t = 0; t < steps; ++t) {
    const float* x = sequence + static_cast<std::size_t>(t) * in;
    const bool probed = dts_ && t > 0;  // the first symbol is never skipped
    if (probed && dts_probe<kCount>(x, n)) {
      ++skipped_;
      if constexpr (kCount) n->activation_bytes_read += kFloat * (in + hs);  // x and h
      continue;
    }
    gate_rows<kCount>(probed ? hs : 0, 4 * hs, x, n);
    if constexpr (kCount) n->activation_bytes_read += kFloat * (in + hs);  // x and h
    cell_update<kCount>(probed, n);
  }
  for (std::size_t r = 0; r < cs; ++r) {
    const float* wr = w.fc_weight.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < hs; ++k) acc += wr[k] * h_[k];
    logits[r] = acc + w.fc_bias[r];
  }
  const int best = argmax(logits.first(cs));
  if constexpr (kCount) {
    n->mac += cs * hs;
    n->add += cs;
    n->neuron_updates += cs;
    n->weight_bytes_read += kFloat * cs * (hs + 1);
    n->activation_bytes_read += kFloat * (hs + cs);  // h (classifier), logits (argmax)
    n->activation_bytes_written += kFloat * cs;
    n->cmp += cs > 0 ? cs - 1 : 0;
    // Working sets are properties of the network, not of an execution: the same as counted.
    const CpuOpCounts shape = count_lstm_ops(w, steps);
    n->weight_working_set_bytes = shape.weight_working_set_bytes;
    n->activation_working_set_bytes = shape.activation_working_set_bytes;
  }
  return best;
}

int CpuLstm::tuned(const float* sequence, int steps, std::span<float> logits) {
  const models::LstmWeights& w = *w_;
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const auto cs = static_cast<std::size_t>(w.classes);
  const int rows = 4 * w.hidden_size, cols = w.input_size + w.hidden_size;
  float* const x = xh_.data();
  float* const h = xh_.data() + in;  // h lives right after x so one sgemv reads [x; h]
  float* const c = c_.data();
  float* const z = z_.data();
  std::fill(h, h + hs, 0.0f);
  std::fill(c, c + hs, 0.0f);
  const bool modified = w.cell == LstmCell::kModified;
  skipped_ = 0;
  for (int t = 0; t < steps; ++t) {
    std::memcpy(x, sequence + static_cast<std::size_t>(t) * in, in * sizeof(float));
    std::memcpy(z, w.bias.data(), 4 * hs * sizeof(float));
    if (dts_ && t > 0) {  // DTS: the input gate's rows first (the first symbol is never skipped)
      if (tuned_probe()) {
        ++skipped_;
        continue;
      }
      cblas_sgemv(CblasRowMajor, CblasNoTrans, rows - w.hidden_size, cols, 1.0f,
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
    if (modified) {
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
  }
  std::copy_n(w.fc_bias.data(), cs, logits.data());
  cblas_sgemv(CblasRowMajor, CblasNoTrans, w.classes, w.hidden_size, 1.0f, w.fc_weight.data(),
              w.hidden_size, h, 1, 1.0f, logits.data(), 1);
  return argmax(logits.first(cs));
}

bool CpuLstm::tuned_probe() {
  const models::LstmWeights& w = *w_;
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const int cols = w.input_size + w.hidden_size;
  float* const z = z_.data();
  cblas_sgemv(CblasRowMajor, CblasNoTrans, w.hidden_size, cols, 1.0f, w_cat_.data(), cols,
              xh_.data(), 1, 1.0f, z, 1);
  float sum = 0.0f;
  if (w.cell == LstmCell::kModified) {
    for (std::size_t j = 0; j < hs; ++j) sum += phi1(z[j]);
  } else {
    for (std::size_t j = 0; j < hs; ++j) sum += sigmoid(z[j]);
  }
  return sum < dts_threshold_;
}

void CpuLstm::set_dts(double tau) {
  if (!(tau >= 0.0 && tau <= 1.0))
    throw InputError(fmt::format("--dts-tau {}: out of range [0, 1] (the input gate's mean)", tau));
  dts_ = true;
  dts_threshold_ = static_cast<float>(tau * w_->hidden_size);
  i_.resize(static_cast<std::size_t>(w_->hidden_size));
}

}  // namespace loihisim
