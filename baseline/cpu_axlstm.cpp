#include "baseline/cpu_axlstm.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "baseline/cpu_kernels.hpp"
#include "io/errors.hpp"

namespace loihisim {

AxLstm::AxLstm(const models::LstmWeights& w, CpuImplementation impl, const AxlstmOptions& o)
    : w_(&w), impl_(impl), opt_(o) {
  network(w.hidden_size);  // checks the weights and tau
}

CpuLstm& AxLstm::network(int k) {
  auto it = nets_.find(k);
  if (it == nets_.end()) {
    Restricted& r = nets_[k];
    r.w = restrict_lstm(*w_, models::most_important_cells(*w_, k));
    r.net = std::make_unique<CpuLstm>(r.w, impl_);
    if (opt_.dts) r.net->set_dts(opt_.dts_tau);
    return *r.net;
  }
  return *it->second.net;
}

void AxLstm::prepare(const float* sequence, int steps) {
  network(dsr_cells(opt_.dsr, w_->hidden_size, sequence,
                    static_cast<std::size_t>(steps) * static_cast<std::size_t>(w_->input_size)));
}

int AxLstm::infer(const float* sequence, int steps, std::span<float> logits) {
  cells_ = dsr_cells(opt_.dsr, w_->hidden_size, sequence,
                     static_cast<std::size_t>(steps) * static_cast<std::size_t>(w_->input_size));
  CpuLstm& net = network(cells_);
  const int best = net.infer(sequence, steps, logits);
  skipped_ = net.last_skipped();
  return best;
}

int AxLstm::infer_counted(const float* sequence, int steps, std::span<float> logits,
                          CpuOpCounts& counts) {
  const std::size_t values =
      static_cast<std::size_t>(steps) * static_cast<std::size_t>(w_->input_size);
  cells_ = dsr_cells(opt_.dsr, w_->hidden_size, sequence, values);
  if (opt_.dsr.kind == DsrPolicy::Kind::kComplexity) {
    // One compare and one add per value (the non-blank count); then to k: the division and the
    // scaling (2 multiplies), min and ceil (2 compares), the final add.
    counts.cmp += values + 2;
    counts.add += values + 1;
    counts.mul += 2;
    counts.activation_bytes_read += cpu_kernels::kFloatBytes * values;
  }
  CpuLstm& net = network(cells_);
  const int best = net.infer_counted(sequence, steps, logits, counts);
  skipped_ = net.last_skipped();
  return best;
}

}  // namespace loihisim
