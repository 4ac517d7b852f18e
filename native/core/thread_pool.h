// A small fixed-size thread pool for the CPU kernels.
//
// Work is split into contiguous static ranges (one per thread, or weighted by a
// prefix sum such as a CSR indptr), so a given thread count always produces the
// same partition and therefore bitwise-identical results. The pool holds no
// global state: each addon instance (one per JS worker thread) owns its own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"

namespace sad {

class ThreadPool {
 public:
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  void set_threads(int threads);  // 0 = hardware concurrency
  static int hardware_threads();

  // Runs fn(part, begin, end) over [0, n) cut into at most threads() equal
  // ranges; ranges smaller than min_grain are merged, and a single range runs
  // inline on the calling thread.
  void parallel_for(int64_t n, int64_t min_grain,
                    const std::function<void(int, int64_t, int64_t)>& fn);

  // Like parallel_for over rows [0, rows), but cuts so each part holds about the
  // same weight, where weight(r0, r1) = prefix[r1] - prefix[r0] + (r1 - r0)
  // (prefix is typically a CSR indptr: balances nonzeros, not rows).
  void parallel_rows(index_t rows, const index_t* prefix, int64_t min_grain,
                     const std::function<void(int, index_t, index_t)>& fn);

  // Number of parts parallel_for would use for this n (for per-part scratch).
  int parts_for(int64_t n, int64_t min_grain) const;

  // A per-part scratch buffer of at least `bytes`, reused across calls so hot
  // loops do not pay first-touch page faults on fresh allocations. Valid until
  // the next scratch() call for the same part; parts must not share one.
  void* scratch(int part, size_t bytes);

 private:
  void run(int parts, const std::function<void(int)>& task);
  void worker_loop(int id);
  void start(int threads);
  void stop();

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  int parts_ = 0;
  int next_part_ = 0;
  int remaining_ = 0;
  uint64_t generation_ = 0;
  bool quit_ = false;
  std::vector<std::vector<unsigned char>> scratch_;
};

}  // namespace sad
