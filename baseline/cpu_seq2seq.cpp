#include "baseline/cpu_seq2seq.hpp"

#include <cblas.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "baseline/cpu_kernels.hpp"
#include "formats/sort_digits_task.hpp"
#include "io/errors.hpp"

namespace loihisim {
namespace {

using cpu_kernels::u64;
using T = SortDigitsTask;
constexpr std::uint64_t kFloat = cpu_kernels::kFloatBytes;

std::vector<CpuLstmLayer> layers_of(const Seq2SeqWeights& w, const std::vector<Seq2SeqLayer>& s,
                                    CpuImplementation impl) {
  const auto cell = w.modified ? models::LstmCell::kModified : models::LstmCell::kStandard;
  std::vector<CpuLstmLayer> out;
  for (const Seq2SeqLayer& l : s)
    out.emplace_back(LstmLayerView{l.input_size, w.hidden, cell, l.w_ih, l.w_hh, l.bias}, impl,
                     w.file);
  return out;
}

// One layer-step without DTS (as CpuLstmLayer counts it).
void add_layer_step(CpuOpCounts& n, std::uint64_t in, std::uint64_t h, bool modified) {
  n.mac += 4 * h * (in + h);
  n.add += h * (modified ? 8 : 5);
  n.mul += h * (modified ? 8 : 3);
  n.cmp += modified ? 12 * h : 0;
  n.nonlinearity += 5 * h;
  n.transcendental += modified ? 0 : 5 * h;
  n.neuron_updates += 5 * h;
  n.weight_bytes_read += kFloat * 4 * h * (in + h + 1);
  n.activation_bytes_read += kFloat * (in + 6 * h);
  n.activation_bytes_written += kFloat * 6 * h;
}

std::uint64_t stack_weight_bytes(const std::vector<Seq2SeqLayer>& s) {
  std::uint64_t b = 0;
  for (const Seq2SeqLayer& l : s) b += kFloat * (l.w_ih.size() + l.w_hh.size() + l.bias.size());
  return b;
}

// Weights: every layer and the read-out. Activations: the two one-hot inputs, x, h, c and z of
// every layer, the logits.
void set_working_sets(const Seq2SeqWeights& w, CpuOpCounts& n) {
  const std::uint64_t h = u64(w.hidden), c = u64(w.classes);
  n.weight_working_set_bytes =
      stack_weight_bytes(w.encoder) + stack_weight_bytes(w.decoder) + kFloat * c * (h + 1);
  n.activation_working_set_bytes = kFloat * (u64(w.source_vocabulary) + u64(w.target_vocabulary) +
                                             2 * u64(w.layers) * 6 * h + c);
}

}  // namespace

CpuOpCounts count_seq2seq_ops(const Seq2SeqWeights& w, int encoder_steps, int decoder_steps) {
  const std::uint64_t h = u64(w.hidden), c = u64(w.classes);
  CpuOpCounts n;
  for (int t = 0; t < encoder_steps; ++t)
    for (const Seq2SeqLayer& l : w.encoder) add_layer_step(n, u64(l.input_size), h, w.modified);
  for (int t = 0; t < decoder_steps; ++t) {
    for (const Seq2SeqLayer& l : w.decoder) add_layer_step(n, u64(l.input_size), h, w.modified);
    n.mac += c * h;
    n.add += c;
    n.cmp += c;  // argmax (C - 1), EOS test
    n.neuron_updates += c;
    n.weight_bytes_read += kFloat * c * (h + 1);
    n.activation_bytes_read += kFloat * (h + c);
    n.activation_bytes_written += kFloat * c;
  }
  set_working_sets(w, n);
  return n;
}

CpuSeq2Seq::CpuSeq2Seq(const Seq2SeqWeights& w, CpuImplementation impl)
    : w_(&w),
      impl_(impl),
      encoder_(layers_of(w, w.encoder, impl)),
      decoder_(layers_of(w, w.decoder, impl)),
      source_x_(static_cast<std::size_t>(w.source_vocabulary)),
      target_x_(static_cast<std::size_t>(w.target_vocabulary)),
      logits_(static_cast<std::size_t>(w.classes)) {
  if (w.fc_weight.size() != static_cast<std::size_t>(w.classes * w.hidden) ||
      w.fc_bias.size() != static_cast<std::size_t>(w.classes) || w.classes != T::kOutClasses)
    throw InputError(w.file + ": the read-out does not match hidden " + std::to_string(w.hidden));
  if (impl == CpuImplementation::kTuned) cpu_kernels::single_threaded_blas();
}

void CpuSeq2Seq::set_dts(double tau) {
  for (auto& l : encoder_) l.set_dts(tau);
  for (auto& l : decoder_) l.set_dts(tau);
}

const std::vector<int>& CpuSeq2Seq::infer(std::span<const int> source) {
  return run<false>(source, nullptr);
}

const std::vector<int>& CpuSeq2Seq::infer_counted(std::span<const int> source,
                                                  CpuOpCounts& counts) {
  if (impl_ != CpuImplementation::kStraightforward)
    throw std::logic_error("CpuSeq2Seq::infer_counted: the straightforward implementation counts");
  return run<true>(source, &counts);
}

template <bool kCount>
void CpuSeq2Seq::stack_step(std::vector<CpuLstmLayer>& stack, const float* x, bool may_skip,
                            CpuOpCounts* n) {
  for (auto& layer : stack) {
    bool skipped = false;
    if constexpr (kCount)
      skipped = layer.step_counted(x, may_skip, *n);
    else
      skipped = layer.step(x, may_skip);
    ++layer_steps_;
    skipped_ += skipped ? 1 : 0;
    x = std::as_const(layer).h().data();
  }
}

// The read-out on the decoder's top h and its argmax (the first maximum).
template <bool kCount>
int CpuSeq2Seq::read_out(CpuOpCounts* n) {
  const auto hs = static_cast<std::size_t>(w_->hidden);
  const auto cs = static_cast<std::size_t>(w_->classes);
  const float* h = std::as_const(decoder_.back()).h().data();
  if (impl_ == CpuImplementation::kTuned) {
    std::copy_n(w_->fc_bias.data(), cs, logits_.data());
    cblas_sgemv(CblasRowMajor, CblasNoTrans, w_->classes, w_->hidden, 1.0f, w_->fc_weight.data(),
                w_->hidden, h, 1, 1.0f, logits_.data(), 1);
    return cpu_kernels::argmax(logits_);
  }
  for (std::size_t r = 0; r < cs; ++r) {
    const float* wr = w_->fc_weight.data() + r * hs;
    float acc = 0.0f;
    for (std::size_t k = 0; k < hs; ++k) acc += wr[k] * h[k];
    logits_[r] = acc + w_->fc_bias[r];
  }
  if constexpr (kCount) {
    n->mac += cs * hs;
    n->add += cs;
    n->cmp += cs;  // argmax (C - 1), then the EOS test
    n->neuron_updates += cs;
    n->weight_bytes_read += kFloat * cs * (hs + 1);
    n->activation_bytes_read += kFloat * (hs + cs);
    n->activation_bytes_written += kFloat * cs;
  }
  return cpu_kernels::argmax(logits_);
}

template <bool kCount>
const std::vector<int>& CpuSeq2Seq::run(std::span<const int> source, CpuOpCounts* n) {
  for (auto& l : encoder_) l.reset();
  layer_steps_ = skipped_ = encoder_layer_steps_ = encoder_skipped_ = 0;
  out_.clear();
  for (std::size_t t = 0; t < source.size(); ++t) {
    const int d = source[t];
    if (d < 0 || d >= w_->source_vocabulary)
      throw std::invalid_argument("CpuSeq2Seq: source symbol " + std::to_string(d));
    std::ranges::fill(source_x_, 0.0f);
    source_x_[static_cast<std::size_t>(d)] = 1.0f;
    stack_step<kCount>(encoder_, source_x_.data(), t > 0, n);
  }
  encoder_layer_steps_ = layer_steps_;
  encoder_skipped_ = skipped_;
  for (std::size_t k = 0; k < decoder_.size(); ++k) {
    std::ranges::copy(std::as_const(encoder_[k]).h(), decoder_[k].h().begin());
    std::ranges::copy(encoder_[k].c(), decoder_[k].c().begin());
  }
  int token = T::kBos;
  for (int step = 0; step < T::kDecodeSteps; ++step) {
    std::ranges::fill(target_x_, 0.0f);
    target_x_[static_cast<std::size_t>(token)] = 1.0f;
    stack_step<kCount>(decoder_, target_x_.data(), true, n);
    token = read_out<kCount>(n);
    out_.push_back(token);
    if (token == T::kEosClass) break;
  }
  if constexpr (kCount) set_working_sets(*w_, *n);
  return out_;
}

}  // namespace loihisim
