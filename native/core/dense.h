// Dense GEMM for the dense side of the engine (matmul and its VJP):
//   C = op(A) op(B),   op(X) = X or Xᵀ,   all row-major and contiguous.
// The VJP of C = A B is two more GEMMs with transposed operands:
//   dA = V Bᵀ   (gemm, transB)      dB = Aᵀ V   (gemm, transA)
#pragma once

#include <cstdint>

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// C[m, n] = op(A)[m, k] · op(B)[k, n]. A is stored [m, k] (or [k, m] when
// trans_a), B is stored [k, n] (or [n, k] when trans_b); C is overwritten.
// With OpenBLAS (SAD_HAVE_BLAS) the work is cut into row or column blocks of C
// on the engine's thread pool, each block one single-threaded CBLAS call: the
// engine's setThreads governs the parallelism and results are deterministic for
// a given thread count. Without BLAS it runs gemm_builtin_cpu.
template <class T>
void gemm_cpu(ThreadPool& pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              const T* A, const T* B, T* C);

// The same product with the engine's own cache-blocked loops (used when no BLAS
// is built in, and by the tests as the second implementation to compare with).
template <class T>
void gemm_builtin_cpu(ThreadPool& pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                      const T* A, const T* B, T* C);

// "openblas" or "builtin": what gemm_cpu runs.
const char* gemm_backend();

// Makes OpenBLAS single-threaded (its own pool would otherwise run beside the
// engine's, oversubscribing the cores). Idempotent; a no-op without OpenBLAS.
void gemm_init();

// CUDA (device pointers, see device.h): the same product, shared-memory tiles
// of 64 × 64 with 4 × 4 results per thread, accumulating in T.
template <class T>
void gemm_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* A, const T* B, T* C);

}  // namespace sad
