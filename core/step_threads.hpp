// Threads that step the cores of one chip step in parallel (Chip::step(StepThreads*)): a small
// pool that runs one job over the items 0..n-1, each item taken by exactly one thread (the same
// contiguous share of the items every job), and returns when all are done. Results stay
// bit-identical for any thread count because every item writes only its own outputs (a core's state
// and its own message buffer), which the caller then gathers in item order.
//
// The pool's threads live as long as it does and wait between jobs; it is neither copyable nor
// movable (the threads refer to it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace loihisim::core {

class StepThreads {
 public:
  // `threads` >= 1 threads in all: the caller's plus threads - 1 workers.
  explicit StepThreads(int threads);
  ~StepThreads();
  StepThreads(const StepThreads&) = delete;
  StepThreads& operator=(const StepThreads&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls job(i) once for every i in 0..n-1, spread over the threads; returns when every call
  // has returned. The first exception a call throws is rethrown here (the rest still run).
  void run(std::size_t n, const std::function<void(std::size_t)>& job);

  // A step's jobs follow each other within microseconds, far less than a sleeping thread takes
  // to wake: both sides spin for a while (kSpin checks, the first kPauses with a pause, the
  // rest with a yield) before they sleep.
  static constexpr int kSpin = 3000, kPauses = 2000;

 private:
  void work(const std::function<void(std::size_t)>& job, std::size_t index);
  void worker_loop(std::size_t index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  std::atomic<std::uint64_t> generation_{0};  // bumped for every job; workers wait for a new one
  std::atomic<int> busy_{0};                  // workers still in the current job
  bool stop_ = false;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0;
  std::exception_ptr error_;
};

}  // namespace loihisim::core
