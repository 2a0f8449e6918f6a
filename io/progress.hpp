// A progress bar on stderr with rate and ETA. Silent for the first second, so short runs print
// nothing; redraws in place on a terminal, and prints a line every 10 s otherwise (CI logs).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace loihisim {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total);
  ~ProgressBar();
  // Thread-safe: call from any worker with the number of items finished so far in total.
  void update(std::uint64_t done);
  // Draws the final line with the last count reported (not the total: a run may stop early).
  void finish();

 private:
  void draw(std::uint64_t done, bool final_line);

  std::string label_;
  std::uint64_t total_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool tty_ = false;
  bool drawn_ = false;
  bool finished_ = false;
  std::uint64_t done_ = 0;  // last count reported by update()
  std::mutex mutex_;
};

}  // namespace loihisim
