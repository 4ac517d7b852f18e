// Shared by the *_cuda.cu files (CUDA only): the error check, launch shapes,
// stream-ordered scratch memory, warp reductions and a CUB scan wrapper.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "common.h"
#include "device.h"

namespace sad {
namespace cuda_detail {

[[noreturn]] inline void cuda_failed(cudaError_t e, const char* function, const char* what, const char* file,
                                     int line) {
  cudaGetLastError();  // clear a non-sticky error so the next check does not report it again
  fail(std::string("CUDA error in ") + function + ": " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) +
       ") from " + what + " at " + file + ":" + std::to_string(line));
}

}  // namespace cuda_detail
}  // namespace sad

// Every CUDA runtime call goes through this; each kernel launch is followed by
// SAD_CUDA_LAUNCHED() (launch errors; faults inside a kernel surface at the next check).
// The message: "CUDA error in <function>: <cudaGetErrorString> (<name>) from <call> at <file>:<line>".
#define SAD_CUDA_CHECK_AS(expr, what)                                                                 \
  do {                                                                                                \
    const cudaError_t sad_e_ = (expr);                                                                \
    if (sad_e_ != cudaSuccess) ::sad::cuda_detail::cuda_failed(sad_e_, __func__, what, __FILE__, __LINE__); \
  } while (0)
#define SAD_CUDA_CHECK(expr) SAD_CUDA_CHECK_AS(expr, #expr)
#define SAD_CUDA_LAUNCHED() SAD_CUDA_CHECK_AS(cudaGetLastError(), "a kernel launch")

namespace sad {
namespace cuda_detail {

constexpr int kBlock = 256;          // threads per block of the element-wise kernels
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int64_t kMaxGrid = 0x7fffffff;  // gridDim.x limit (one thread per item up to it)

// Blocks for `threads` threads of `block` each, capped for grid-stride loops.
inline unsigned blocks_for(int64_t threads, int block = kBlock, int64_t cap = int64_t(1) << 20) {
  int64_t b = (threads + block - 1) / block;
  if (b < 1) b = 1;
  if (b > cap) b = cap;
  return unsigned(b);
}

// Scratch device memory for the duration of a call, from the stream-ordered
// pool that device arrays use (cuda::malloc_async, which keeps freed memory in
// the pool): after the first calls it costs no driver round trip.
template <class T>
class Scratch {
 public:
  explicit Scratch(int64_t n) : n_(n) {
    if (n > 0) p_ = static_cast<T*>(cuda::malloc_async(size_t(n) * sizeof(T)));
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { cuda::free_async(p_); }
  T* get() const { return p_; }
  int64_t size() const { return n_; }

 private:
  int64_t n_ = 0;
  T* p_ = nullptr;
};

// The lanes of this thread's group of `width` consecutive lanes (a power of two ≤ 32).
__device__ inline unsigned group_mask(int width) {
  if (width >= 32) return kFullMask;
  const unsigned lane = threadIdx.x & 31u;  // blockDim.x a multiple of 32 or of width
  return ((1u << width) - 1u) << (lane & ~unsigned(width - 1));
}

// Sum over a group of `width` consecutive lanes (a power of two ≤ 32); lane 0 of
// the group gets the total. Every lane of the group must call it, and only the
// group's lanes are synchronised, so groups of one warp may be at different
// iterations of a loop (rows of different lengths).
template <class T>
__device__ inline T group_sum(T v, int width) {
  const unsigned mask = group_mask(width);
  for (int off = width / 2; off > 0; off >>= 1) v += __shfl_down_sync(mask, v, off, width);
  return v;
}

template <class T>
__device__ inline T warp_sum(T v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(kFullMask, v, off);
  return v;  // every lane holds the total
}

template <class T>
__device__ inline T warp_max(T v) {
  for (int off = 16; off > 0; off >>= 1) {
    const T o = __shfl_xor_sync(kFullMask, v, off);
    v = (o > v || o != o) ? o : v;  // NaN wins, as in the CPU's max
  }
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, ≤ 1024); thread 0 gets it.
template <class T>
__device__ inline T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? partial[threadIdx.x] : T(0);
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // partial may be reused by a following call
  return v;
}

// In-place exclusive prefix sum of n items (CUB), on the default stream.
template <class I>
void exclusive_scan(I* data, int64_t n);

// Sorts each segment [offsets[s], offsets[s + 1]) of (key, value) pairs by key,
// stably (CUB; the one sort instantiation the kernels share).
void segmented_sort_pairs(const int32_t* keys_in, int32_t* keys_out, const int32_t* vals_in, int32_t* vals_out,
                          int64_t n, int64_t segments, const int32_t* offsets);

// Reads one value back (synchronises the default stream).
template <class I>
I read_back(const I* p) {
  I v{};
  SAD_CUDA_CHECK(cudaMemcpy(&v, p, sizeof(I), cudaMemcpyDeviceToHost));
  return v;
}

}  // namespace cuda_detail
}  // namespace sad
