#include "models/seq2seq_reduction.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <span>

#include "formats/sort_digits_task.hpp"

namespace loihisim::models {
namespace {

// Adds sum_r |m[r, j]| to importance[j] for a rows x importance.size() matrix.
void add_column_norms(std::span<const float> m, std::vector<double>& importance) {
  const std::size_t cols = importance.size();
  for (std::size_t r = 0; r < m.size() / cols; ++r)
    for (std::size_t j = 0; j < cols; ++j)
      importance[j] += std::abs(static_cast<double>(m[r * cols + j]));
}

// Rows g H + j for the gates g and the kept cells j, columns `cols` (all when empty).
std::vector<float> select(std::span<const float> m, std::size_t width, int hidden,
                          std::span<const int> rows, std::span<const int> cols, int gates) {
  std::vector<float> out;
  for (int g = 0; g < gates; ++g)
    for (int j : rows) {
      const float* row = m.data() + static_cast<std::size_t>(g * hidden + j) * width;
      if (cols.empty())
        out.insert(out.end(), row, row + width);
      else
        for (int c : cols) out.push_back(row[c]);
    }
  return out;
}

Seq2SeqLayer restrict_layer(const Seq2SeqLayer& l, int hidden, std::span<const int> cells,
                            std::span<const int> inputs) {
  Seq2SeqLayer r;
  r.input_size = inputs.empty() ? l.input_size : static_cast<int>(inputs.size());
  r.w_ih = select(l.w_ih, static_cast<std::size_t>(l.input_size), hidden, cells, inputs, 4);
  r.w_hh = select(l.w_hh, static_cast<std::size_t>(hidden), hidden, cells, cells, 4);
  r.bias = select(l.bias, 1, hidden, cells, {}, 4);
  return r;
}

}  // namespace

std::vector<int> seq2seq_importance_order(const Seq2SeqWeights& w, int layer) {
  const auto l = static_cast<std::size_t>(layer);
  std::vector<double> importance(static_cast<std::size_t>(w.hidden), 0.0);
  for (const auto* stack : {&w.encoder, &w.decoder}) {
    add_column_norms((*stack)[l].w_hh, importance);
    if (l + 1 < stack->size()) add_column_norms((*stack)[l + 1].w_ih, importance);
  }
  if (l + 1 == w.decoder.size()) add_column_norms(w.fc_weight, importance);
  std::vector<int> order(importance.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return importance[static_cast<std::size_t>(a)] > importance[static_cast<std::size_t>(b)];
  });
  return order;
}

Seq2SeqWeights restrict_seq2seq(const Seq2SeqWeights& w, int k) {
  Seq2SeqWeights r = w;
  if (k >= w.hidden) return r;
  r.hidden = k;
  std::vector<int> below;  // the kept cells of the layer below (none for layer 0: all inputs)
  for (int layer = 0; layer < w.layers; ++layer) {
    std::vector<int> cells = seq2seq_importance_order(w, layer);
    cells.resize(static_cast<std::size_t>(k));
    std::sort(cells.begin(), cells.end());
    const auto l = static_cast<std::size_t>(layer);
    r.encoder[l] = restrict_layer(w.encoder[l], w.hidden, cells, below);
    r.decoder[l] = restrict_layer(w.decoder[l], w.hidden, cells, below);
    below = cells;
  }
  r.fc_weight.clear();
  for (int c = 0; c < w.classes; ++c)
    for (int j : below)
      r.fc_weight.push_back(w.fc_weight[static_cast<std::size_t>(c * w.hidden + j)]);
  return r;
}

int seq2seq_dsr_cells(const DsrPolicy& p, int hidden, int length) {
  if (p.kind == DsrPolicy::Kind::kOff) return hidden;
  if (p.kind == DsrPolicy::Kind::kFixed) return p.k;
  const double frac =
      static_cast<double>(length) / (p.full * static_cast<double>(SortDigitsTask::kMaxLength));
  const double extra = std::ceil(std::min(1.0, frac) * static_cast<double>(hidden - p.k_min));
  return p.k_min + static_cast<int>(extra);
}

}  // namespace loihisim::models
