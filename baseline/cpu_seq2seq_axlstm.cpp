#include "baseline/cpu_seq2seq_axlstm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "formats/sort_digits_task.hpp"

namespace loihisim {
AxSeq2Seq::AxSeq2Seq(const Seq2SeqWeights& w, CpuImplementation impl, const AxlstmOptions& o)
    : w_(&w), impl_(impl), opt_(o) {
  network(w.hidden);  // checks the weights and tau
}

CpuSeq2Seq& AxSeq2Seq::network(int k) {
  auto it = nets_.find(k);
  if (it != nets_.end()) return *it->second.net;
  Restricted& r = nets_[k];
  r.w = restrict_seq2seq(*w_, k);
  r.net = std::make_unique<CpuSeq2Seq>(r.w, impl_);
  if (opt_.dts) r.net->set_dts(opt_.dts_tau);
  return *r.net;
}

void AxSeq2Seq::prepare(std::span<const int> source) {
  network(seq2seq_dsr_cells(opt_.dsr, w_->hidden, static_cast<int>(source.size())));
}

const std::vector<int>& AxSeq2Seq::finish(CpuSeq2Seq& net, const std::vector<int>& out) {
  layer_steps_ = net.last_layer_steps();
  skipped_ = net.last_skipped();
  encoder_layer_steps_ = net.last_encoder_layer_steps();
  encoder_skipped_ = net.last_encoder_skipped();
  return out;
}

const std::vector<int>& AxSeq2Seq::infer(std::span<const int> source) {
  cells_ = seq2seq_dsr_cells(opt_.dsr, w_->hidden, static_cast<int>(source.size()));
  CpuSeq2Seq& net = network(cells_);
  return finish(net, net.infer(source));
}

const std::vector<int>& AxSeq2Seq::infer_counted(std::span<const int> source, CpuOpCounts& counts) {
  cells_ = seq2seq_dsr_cells(opt_.dsr, w_->hidden, static_cast<int>(source.size()));
  if (opt_.dsr.kind == DsrPolicy::Kind::kComplexity) {
    // length / (FULL x 12) (a division and a multiply), min and ceil (2 compares), x (N - KMIN),
    // + KMIN.
    counts.mul += 3;
    counts.cmp += 2;
    counts.add += 1;
  }
  CpuSeq2Seq& net = network(cells_);
  return finish(net, net.infer_counted(source, counts));
}

}  // namespace loihisim
