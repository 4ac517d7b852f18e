// What the CUDA entry points of the core take and need, in plain C++ (no CUDA
// header): the CSR view on device pointers, and device memory, copies and
// event timing for the callers that own device memory (the tests, the
// benchmark, later the addon).
//
// Conventions of every *_cuda entry point (declared beside its CPU twin in the
// op's header):
//   - pointers are device pointers; the caller owns (allocates, frees) them;
//   - work is queued on the default stream and the call returns without waiting,
//     except where it must read a count or a flag back (said per function);
//   - kernels assume valid input, as the CPU kernels do;
//   - every CUDA call is checked: a failure throws sad::Error naming the call,
//     the file and line, and cudaGetErrorString's text;
//   - a CPU-only build links stubs that throw "<op>: built without CUDA".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common.h"

namespace sad {

// A CSR matrix whose arrays live on the device. nnz is given (the host cannot
// read indptr[rows]).
template <class T>
struct DeviceCsr {
  index_t rows = 0;
  index_t cols = 0;
  int64_t nnz = 0;
  const index_t* indptr = nullptr;
  const index_t* indices = nullptr;
  T* values = nullptr;
};

namespace cuda {

void* malloc(size_t bytes);          // cudaMalloc; 0 bytes gives nullptr
void free(void* p) noexcept;         // cudaFree; errors ignored (used in destructors)
// Stream-ordered allocation on the default stream from the device's default
// memory pool, which keeps freed memory for reuse (its release threshold is
// raised on first use): what tensors use, since every op makes outputs and
// cudaFree would wait for the whole device each time.
void* malloc_async(size_t bytes);    // cudaMallocAsync; 0 bytes gives nullptr
void free_async(void* p) noexcept;   // cudaFreeAsync; errors ignored
void to_device(void* dst, const void* src, size_t bytes);
void to_host(void* dst, const void* src, size_t bytes);
void copy(void* dst, const void* src, size_t bytes);  // device to device
void fill_bytes(void* dst, int byte, size_t bytes);   // cudaMemset (0xFF fills NaN)
void synchronize();                                    // cudaDeviceSynchronize, then the last error

// Times fn with CUDA events around each call on the default stream: `warmup`
// untimed calls, then `reps` timed ones; returns the milliseconds of each.
std::vector<double> time_ms(const std::function<void()>& fn, int warmup, int reps);

// An owned device array of n T's (moves, no copies).
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t n) : n_(n), p_(static_cast<T*>(malloc(size_t(n > 0 ? n : 0) * sizeof(T)))) {}
  explicit Buffer(const std::vector<T>& host) : Buffer(int64_t(host.size())) {
    to_device(p_, host.data(), host.size() * sizeof(T));
  }
  Buffer(Buffer&& o) noexcept : n_(o.n_), p_(o.p_) { o.n_ = 0, o.p_ = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { free(p_); }
  T* get() const { return p_; }
  int64_t size() const { return n_; }
  std::vector<T> host() const {
    std::vector<T> h(size_t(n_ > 0 ? n_ : 0));
    to_host(h.data(), p_, h.size() * sizeof(T));
    return h;
  }
  void poison() { fill_bytes(p_, 0xFF, size_t(n_ > 0 ? n_ : 0) * sizeof(T)); }

 private:
  int64_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace cuda
}  // namespace sad
