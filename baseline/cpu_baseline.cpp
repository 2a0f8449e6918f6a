#include "baseline/cpu_baseline.hpp"

#include <cblas.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

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

namespace {

// The layer of a classifier (checked against the classifier's arrays first, for the message).
LstmLayerView layer_of(const models::LstmWeights& w) {
  if (w.fc_weight.size() !=
          static_cast<std::size_t>(w.classes) * static_cast<std::size_t>(w.hidden_size) ||
      w.fc_bias.size() != static_cast<std::size_t>(w.classes))
    throw InputError(w.file + ": the weight arrays do not match input " +
                     std::to_string(w.input_size) + ", hidden " + std::to_string(w.hidden_size) +
                     ", classes " + std::to_string(w.classes));
  return {w.input_size, w.hidden_size, w.cell, w.w_ih, w.w_hh, w.bias};
}

}  // namespace

CpuLstm::CpuLstm(const models::LstmWeights& w, CpuImplementation impl)
    : w_(&w), impl_(impl), layer_(layer_of(w), impl, w.file) {}

int CpuLstm::infer(const float* sequence, int steps, std::span<float> logits) {
  check_logits(logits);
  return run<false>(sequence, steps, logits, nullptr);
}

int CpuLstm::infer_counted(const float* sequence, int steps, std::span<float> logits,
                           CpuOpCounts& counts) {
  check_logits(logits);
  if (impl_ != CpuImplementation::kStraightforward)
    throw std::logic_error("CpuLstm::infer_counted: the straightforward implementation counts");
  return run<true>(sequence, steps, logits, &counts);
}

// The layer over the symbols (DTS from the second symbol on: the first is never skipped), then
// the classifier on the last h.
template <bool kCount>
int CpuLstm::run(const float* sequence, int steps, std::span<float> logits, CpuOpCounts* n) {
  const models::LstmWeights& w = *w_;
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const auto cs = static_cast<std::size_t>(w.classes);
  layer_.reset();
  skipped_ = 0;
  for (int t = 0; t < steps; ++t) {
    const float* x = sequence + static_cast<std::size_t>(t) * in;
    bool skipped = false;
    if constexpr (kCount)
      skipped = layer_.step_counted(x, t > 0, *n);
    else
      skipped = layer_.step(x, t > 0);
    skipped_ += skipped ? 1 : 0;
  }
  const std::span<const float> h = std::as_const(layer_).h();
  if (impl_ == CpuImplementation::kTuned) {
    std::copy_n(w.fc_bias.data(), cs, logits.data());
    cblas_sgemv(CblasRowMajor, CblasNoTrans, w.classes, w.hidden_size, 1.0f, w.fc_weight.data(),
                w.hidden_size, h.data(), 1, 1.0f, logits.data(), 1);
    return argmax(logits.first(cs));
  }
  for (std::size_t r = 0; r < cs; ++r) {
    const float* wr = w.fc_weight.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < hs; ++k) acc += wr[k] * h[k];
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

void CpuLstm::set_dts(double tau) {
  layer_.set_dts(tau);
}

}  // namespace loihisim
