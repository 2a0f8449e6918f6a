#include "core/step_threads.hpp"

#include <exception>
#include <stdexcept>

namespace loihisim::core {

StepThreads::StepThreads(int threads) {
  if (threads < 1) throw std::invalid_argument("StepThreads needs at least 1 thread");
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

StepThreads::~StepThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : workers_) t.join();
}

void StepThreads::work(const std::function<void(std::size_t)>& job) {
  for (std::size_t i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) {
    try {
      job(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void StepThreads::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::size_t)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    work(*job);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_one();
  }
}

void StepThreads::run(std::size_t n, const std::function<void(std::size_t)>& job) {
  if (workers_.empty() || n < 2) {  // nothing to share
    for (std::size_t i = 0; i < n; ++i) job(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    n_ = n;
    next_.store(0);
    error_ = nullptr;
    busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  start_.notify_all();
  work(job);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
    error = error_;
    job_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace loihisim::core
