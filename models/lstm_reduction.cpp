#include "models/lstm_reduction.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "io/errors.hpp"

namespace loihisim::models {
namespace {

[[noreturn]] void bad_dsr(const std::string& text, int hidden) {
  throw InputError(
      fmt::format("--dsr {}: expected off, fixed:K with 1 <= K <= {} (the hidden size), or "
                  "complexity:KMIN:FULL with 1 <= KMIN <= {} and 0 < FULL <= 1",
                  text, hidden, hidden));
}

// A whole decimal number, or -1.
long long whole(const std::string& s) {
  if (s.empty() || s.size() > 9 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; }))
    return -1;
  return std::stoll(s);
}

}  // namespace

double parse_dts_tau(const std::string& text) {
  char* end = nullptr;
  const double tau = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(tau >= 0.0 && tau <= 1.0))
    throw InputError("--dts-tau " + text +
                     ": expected a number in [0, 1] (the input gate's mean below which a symbol "
                     "is skipped)");
  return tau;
}

DsrPolicy parse_dsr_policy(const std::string& text, int hidden) {
  DsrPolicy p;
  if (text == "off") return p;
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (kind == "fixed") {
    const long long k = whole(rest);
    if (k < 1 || k > hidden) bad_dsr(text, hidden);
    p.kind = DsrPolicy::Kind::kFixed;
    p.k = static_cast<int>(k);
    return p;
  }
  if (kind != "complexity") bad_dsr(text, hidden);
  const auto colon2 = rest.find(':');
  if (colon2 == std::string::npos) bad_dsr(text, hidden);
  const long long k_min = whole(rest.substr(0, colon2));
  char* end = nullptr;
  const std::string full_text = rest.substr(colon2 + 1);
  const double full = std::strtod(full_text.c_str(), &end);
  if (k_min < 1 || k_min > hidden || full_text.empty() || *end != '\0' || !(full > 0.0) ||
      full > 1.0)
    bad_dsr(text, hidden);
  p.kind = DsrPolicy::Kind::kComplexity;
  p.k_min = static_cast<int>(k_min);
  p.full = full;
  return p;
}

std::string to_string(const DsrPolicy& p) {
  switch (p.kind) {
    case DsrPolicy::Kind::kFixed:
      return fmt::format("fixed:{}", p.k);
    case DsrPolicy::Kind::kComplexity:
      return fmt::format("complexity:{}:{}", p.k_min, p.full);
    default:
      return "off";
  }
}

std::vector<int> dsr_importance_order(const LstmWeights& w) {
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  std::vector<double> importance(hs, 0.0);
  for (std::size_t c = 0; c < static_cast<std::size_t>(w.classes); ++c)
    for (std::size_t j = 0; j < hs; ++j) importance[j] += std::abs(w.fc_weight[c * hs + j]);
  for (std::size_t r = 0; r < 4 * hs; ++r)
    for (std::size_t j = 0; j < hs; ++j) importance[j] += std::abs(w.w_hh[r * hs + j]);
  std::vector<int> order(hs);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return importance[static_cast<std::size_t>(a)] > importance[static_cast<std::size_t>(b)];
  });
  return order;
}

LstmWeights restrict_lstm(const LstmWeights& w, std::span<const int> cells) {
  const auto in = static_cast<std::size_t>(w.input_size);
  const auto hs = static_cast<std::size_t>(w.hidden_size);
  const std::size_t k = cells.size();
  LstmWeights r;
  r.file = w.file;
  r.layout = w.layout;
  r.cell = w.cell;
  r.input_size = w.input_size;
  r.hidden_size = static_cast<int>(k);
  r.classes = w.classes;
  // What it was trained on carries over; the reference logits (the full network's) do not.
  r.dataset = w.dataset;
  r.sequence_layout = w.sequence_layout;
  r.input_scaling = w.input_scaling;
  for (std::size_t g = 0; g < 4; ++g)
    for (const int j : cells) {
      const std::size_t row = g * hs + static_cast<std::size_t>(j);
      r.w_ih.insert(r.w_ih.end(), w.w_ih.begin() + static_cast<std::ptrdiff_t>(row * in),
                    w.w_ih.begin() + static_cast<std::ptrdiff_t>((row + 1) * in));
      for (const int col : cells)
        r.w_hh.push_back(w.w_hh[row * hs + static_cast<std::size_t>(col)]);
      r.bias.push_back(w.bias[row]);
    }
  for (std::size_t c = 0; c < static_cast<std::size_t>(w.classes); ++c)
    for (const int j : cells)
      r.fc_weight.push_back(w.fc_weight[c * hs + static_cast<std::size_t>(j)]);
  r.fc_bias = w.fc_bias;
  return r;
}

std::vector<int> most_important_cells(const LstmWeights& w, int k) {
  std::vector<int> cells(static_cast<std::size_t>(k));
  if (k == w.hidden_size) {
    std::iota(cells.begin(), cells.end(), 0);
    return cells;
  }
  const std::vector<int> order = dsr_importance_order(w);
  std::copy_n(order.begin(), k, cells.begin());
  std::sort(cells.begin(), cells.end());  // the full network's order: k = N is the full one
  return cells;
}

int dsr_cells(const DsrPolicy& p, int hidden, const float* sequence, std::size_t values) {
  if (p.kind == DsrPolicy::Kind::kOff) return hidden;
  if (p.kind == DsrPolicy::Kind::kFixed) return p.k;
  std::size_t nonblank = 0;
  for (std::size_t v = 0; v < values; ++v) nonblank += sequence[v] > 0.0f ? 1 : 0;
  const double frac =
      values ? static_cast<double>(nonblank) / (p.full * static_cast<double>(values)) : 0.0;
  const double extra = std::ceil(std::min(1.0, frac) * static_cast<double>(hidden - p.k_min));
  return p.k_min + static_cast<int>(extra);
}

}  // namespace loihisim::models
