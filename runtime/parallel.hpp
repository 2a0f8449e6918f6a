// Independent work items (inferences) on K worker threads.
//
// Determinism: items are handed out dynamically, but each item's result goes into its own slot
// and every reduction is done afterwards in item order, so results are bit-identical for any
// thread count. Each worker owns its state (e.g. its own Chip), created by `make_state`.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace loihisim {

// Calls work(state, item) for item in [0, n) on `threads` workers. Stops handing out items when
// `cancel` becomes true. The first exception thrown by any worker is rethrown after all
// workers have stopped. Returns the number of items completed.
template <class MakeState, class Work, class OnDone>
std::uint64_t parallel_items(std::uint64_t n, int threads, MakeState make_state, Work work,
                             OnDone on_done, const std::atomic<bool>* cancel = nullptr) {
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    try {
      auto state = make_state();
      for (;;) {
        if (failed.load() || (cancel && cancel->load())) return;
        const std::uint64_t item = next.fetch_add(1);
        if (item >= n) return;
        work(state, item);
        on_done(done.fetch_add(1) + 1);
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  const int k = threads < 1 ? 1 : threads;
  std::vector<std::thread> pool;
  for (int i = 1; i < k; ++i) pool.emplace_back(worker);
  worker();  // the calling thread is worker 0
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return done.load();
}

}  // namespace loihisim
