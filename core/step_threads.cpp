#include "core/step_threads.hpp"

#include <exception>
#include <stdexcept>

namespace loihisim::core {

StepThreads::StepThreads(int threads) {
  if (threads < 1) throw std::invalid_argument("StepThreads needs at least 1 thread");
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { worker_loop(static_cast<std::size_t>(i)); });
}

StepThreads::~StepThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  start_.notify_all();
  for (auto& t : workers_) t.join();
}

// Thread `index` (0: the caller) takes items [index x n / T, (index + 1) x n / T): the same
// items every job, so that a core's state stays in the cache of the thread that steps it
// (handing items out one by one moved every core between the threads' caches each step).
void StepThreads::work(const std::function<void(std::size_t)>& job, std::size_t index) {
  const auto t = static_cast<std::size_t>(threads());
  const std::size_t begin = index * n_ / t, end = (index + 1) * n_ / t;
  for (std::size_t i = begin; i < end; ++i) {
    try {
      job(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

namespace {

// One wait of a spin: a pause at first; later a yield, so that a thread waiting for another
// that shares its core (an oversubscribed machine) lets that one run.
void relax(int i) {
  if (i >= StepThreads::kPauses) {
    std::this_thread::yield();
    return;
  }
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

void StepThreads::worker_loop(std::size_t index) {
  std::uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < kSpin && generation_.load(std::memory_order_acquire) == seen; ++i) relax(i);
    const std::function<void(std::size_t)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
      job = job_;
    }
    work(*job, index);
    if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // so the notification cannot be missed
      done_.notify_one();
    }
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
    error_ = nullptr;
    busy_.store(static_cast<int>(workers_.size()));
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  start_.notify_all();
  work(job, 0);
  for (int i = 0; i < kSpin && busy_.load(std::memory_order_acquire) != 0; ++i) relax(i);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_.load() == 0; });
    error = error_;
    job_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace loihisim::core
