// Host/device portability for the kernel bodies: the per-row and per-element
// functions in sparse_bodies.h and dense_bodies.h compile as CUDA device code
// inside the *_cuda.cu files and as plain C++ everywhere else, so the C++ tests
// run the very code the GPU runs from host loops (and compare it with the CPU
// kernels) on machines without a GPU.
//
// On the host the helpers below are the sequential meaning of their device
// counterparts (an atomic add is an add).
#pragma once

#include <cstdint>

#include "common.h"

#if defined(__CUDACC__)
#include <cuda/atomic>
#define SAD_HD __host__ __device__ inline
#define SAD_UNROLL _Pragma("unroll")  // loops over a template-constant count: arrays stay in registers
#else
#define SAD_HD inline
#define SAD_UNROLL
#endif

namespace sad {
namespace hd {

template <class T>
SAD_HD void atomic_add(T* p, T v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  *p += v;
#endif
}

SAD_HD void atomic_min(int* p, int v) {
#if defined(__CUDA_ARCH__)
  atomicMin(p, v);
#else
  if (v < *p) *p = v;
#endif
}

// Flags and counters that publish data between blocks (device scope): a
// release store / add orders this thread's earlier writes before it, and an
// acquire load that sees it orders the reader's later reads after those writes.
SAD_HD int load_acquire(const int* p) {
#if defined(__CUDA_ARCH__)
  return ::cuda::atomic_ref<int, ::cuda::thread_scope_device>(*const_cast<int*>(p)).load(::cuda::memory_order_acquire);
#else
  return *p;
#endif
}

SAD_HD void store_release(int* p, int v) {
#if defined(__CUDA_ARCH__)
  ::cuda::atomic_ref<int, ::cuda::thread_scope_device>(*p).store(v, ::cuda::memory_order_release);
#else
  *p = v;
#endif
}

SAD_HD void add_release(int* p, int v) {
#if defined(__CUDA_ARCH__)
  ::cuda::atomic_ref<int, ::cuda::thread_scope_device>(*p).fetch_add(v, ::cuda::memory_order_release);
#else
  *p += v;
#endif
}

// An atomic add seen only by the threads of one block (shared memory).
template <class T>
SAD_HD void atomic_add_block(T* p, T v) {
#if defined(__CUDA_ARCH__)
  atomicAdd_block(p, v);
#else
  *p += v;
#endif
}

// A value another block wrote (published through a flag): read past the
// non-coherent L1, from L2.
template <class T>
SAD_HD T load_fresh(const T* p) {
#if defined(__CUDA_ARCH__)
  return __ldcg(p);
#else
  return *p;
#endif
}

// The first position in a[0, n) whose value is >= key (a sorted array).
SAD_HD int64_t lower_bound(const index_t* a, int64_t n, int64_t key) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// The row holding stored entry p: the last i with indptr[i] <= p (rows may be empty).
SAD_HD index_t row_of(int64_t p, const index_t* indptr, index_t rows) {
  index_t lo = 0, hi = rows;  // invariant: indptr[lo] <= p < indptr[hi]
  while (hi - lo > 1) {
    const index_t mid = lo + (hi - lo) / 2;
    if (indptr[mid] <= p) lo = mid;
    else hi = mid;
  }
  return lo;
}

}  // namespace hd
}  // namespace sad
