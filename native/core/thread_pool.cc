#include "thread_pool.h"

#include <algorithm>

namespace sad {

ThreadPool::ThreadPool(int threads) { start(threads); }
ThreadPool::~ThreadPool() { stop(); }

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::set_threads(int threads) {
  if (threads < 0) fail("setThreads: thread count must be >= 0 (0 = all cores), got " + std::to_string(threads));
  int want = threads == 0 ? hardware_threads() : threads;
  if (want == threads_) return;
  stop();
  start(want);
}

void ThreadPool::start(int threads) {
  threads_ = threads <= 0 ? hardware_threads() : threads;
  quit_ = false;
  // The calling thread takes part 0, so threads_ - 1 workers suffice.
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::worker_loop(int) {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return quit_ || generation_ != seen; });
    if (quit_) return;
    seen = generation_;
    while (next_part_ < parts_) {
      int part = next_part_++;
      const auto* task = task_;
      lock.unlock();
      (*task)(part);
      lock.lock();
      if (--remaining_ == 0) done_.notify_all();
    }
  }
}

void ThreadPool::run(int parts, const std::function<void(int)>& task) {
  if (parts <= 1 || workers_.empty()) {
    for (int p = 0; p < parts; ++p) task(p);
    return;
  }
  // Exceptions must not escape a worker: capture the first and rethrow here.
  std::exception_ptr error;
  std::mutex error_mu;
  std::function<void(int)> guarded = [&](int p) {
    try {
      task(p);
    } catch (...) {
      std::lock_guard<std::mutex> g(error_mu);
      if (!error) error = std::current_exception();
    }
  };
  std::unique_lock<std::mutex> lock(mu_);
  task_ = &guarded;
  parts_ = parts;
  next_part_ = 0;
  remaining_ = parts;
  ++generation_;
  wake_.notify_all();
  // The caller works too.
  while (next_part_ < parts_) {
    int part = next_part_++;
    lock.unlock();
    guarded(part);
    lock.lock();
    --remaining_;
  }
  done_.wait(lock, [&] { return remaining_ == 0; });
  task_ = nullptr;
  parts_ = 0;
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

void* ThreadPool::scratch(int part, size_t bytes) {
  if (part < 0) fail("ThreadPool::scratch: negative part");
  // Callers index scratch by part, which is < threads(); grow lazily.
  if (static_cast<size_t>(part) >= scratch_.size()) scratch_.resize(part + 1);
  auto& buf = scratch_[part];
  if (buf.size() < bytes) buf.resize(bytes);
  return buf.data();
}

int ThreadPool::parts_for(int64_t n, int64_t min_grain) const {
  if (n <= 0) return 0;
  int64_t grain = std::max<int64_t>(1, min_grain);
  int64_t parts = std::min<int64_t>(threads_, (n + grain - 1) / grain);
  return static_cast<int>(std::max<int64_t>(1, parts));
}

void ThreadPool::parallel_for(int64_t n, int64_t min_grain,
                              const std::function<void(int, int64_t, int64_t)>& fn) {
  int parts = parts_for(n, min_grain);
  if (parts == 0) return;
  if (parts == 1) {
    fn(0, 0, n);
    return;
  }
  run(parts, [&](int p) {
    int64_t begin = n * p / parts;
    int64_t end = n * (p + 1) / parts;
    fn(p, begin, end);
  });
}

void ThreadPool::parallel_rows(index_t rows, const index_t* prefix, int64_t min_grain,
                               const std::function<void(int, index_t, index_t)>& fn) {
  if (rows <= 0) return;
  int64_t total = static_cast<int64_t>(prefix[rows]) - prefix[0] + rows;
  int parts = parts_for(total, min_grain);
  if (parts <= 1) {
    fn(0, 0, rows);
    return;
  }
  // Cut points: the first row whose cumulative weight reaches p * total / parts.
  std::vector<index_t> cut(parts + 1, 0);
  cut[parts] = rows;
  for (int p = 1; p < parts; ++p) {
    int64_t target = total * p / parts;
    index_t lo = cut[p - 1], hi = rows;
    while (lo < hi) {
      index_t mid = lo + (hi - lo) / 2;
      int64_t w = static_cast<int64_t>(prefix[mid]) - prefix[0] + mid;
      if (w < target) lo = mid + 1; else hi = mid;
    }
    cut[p] = lo;
  }
  run(parts, [&](int p) {
    fn(p, cut[p], cut[p + 1]);  // possibly empty: callers may rely on every part running
  });
}

}  // namespace sad
