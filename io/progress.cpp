#include "io/progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace loihisim {

ProgressBar::ProgressBar(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      tty_(::isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(std::uint64_t done) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (finished_) return;
  done_ = std::max(done_, done);
  const double since_start = std::chrono::duration<double>(now - start_).count();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (since_start < 1.0) return;
  if (since_draw < (tty_ ? 0.2 : 10.0) && drawn_) return;
  last_draw_ = now;
  draw(done, false);
}

void ProgressBar::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (drawn_) draw(done_, true);
}

void ProgressBar::draw(std::uint64_t done, bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                          std::string(static_cast<std::size_t>(kWidth - filled), '.');
  const std::string line =
      fmt::format("{} [{}] {}/{} {:5.1f}% {:.1f}/s {} {:.0f}s", label_, bar, done, total_,
                  100.0 * frac, rate, final_line ? "took" : "eta", final_line ? elapsed : eta);
  if (tty_)
    fmt::print(stderr, "\r{}{}", line, final_line ? "\n" : "");
  else
    fmt::print(stderr, "{}\n", line);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace loihisim
