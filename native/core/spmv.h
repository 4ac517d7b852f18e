// SpMV: y = A x, and the pieces of its VJP (Table 1):
//   dx = Aᵀ v                      (spmv_transpose)
//   dA = (v xᵀ) ⊙ mask(A)          (masked_outer)
#pragma once

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// y[i] = Σ_k A[i, k] x[k]. y has A.rows entries.
template <class T>
void spmv_cpu(ThreadPool& pool, const Csr<const T>& A, const T* x, T* y);

// y = Aᵀ v: y has A.cols entries, v has A.rows. Each thread scatters into its
// own partial vector and the partials are summed in thread order, so the result
// is deterministic for a given thread count.
template <class T>
void spmv_transpose_cpu(ThreadPool& pool, const Csr<const T>& A, const T* v, T* y);

// out[p] = v[i] * x[j] for every stored entry p = (i, j) of the pattern.
template <class T>
void masked_outer_cpu(ThreadPool& pool, index_t rows, const index_t* indptr,
                      const index_t* indices, const T* v, const T* x, T* out);

// Both VJPs in one pass over A (each row's indices are read once):
//   dA[p] = v[i] x[j] for p = (i, j)   (when dA is not null)
//   dx = Aᵀ v                          (when dx is not null)
template <class T>
void spmv_backward_cpu(ThreadPool& pool, const Csr<const T>& A, const T* v, const T* x, T* dA, T* dx);

// The same VJPs through the cached transpose of A's pattern (At = the CSR of
// Aᵀ's structure, perm[q] = the entry of A that is entry q of Aᵀ): dx is a
// gather per column of A, so there is no scatter and no per-thread partial,
// and dA[perm[q]] = v[i] x[j] is written in the same sweep. Parallel over the
// columns of A, deterministic for any thread count. dA or dx may be null.
// v_broadcast: every entry of v is v[0] (the shared-constant seed of a sum() or
// mean() loss; v may then hold one entry), read as a broadcast: the same bits.
template <class T>
void spmv_backward_transposed_cpu(ThreadPool& pool, index_t cols, const index_t* t_indptr,
                                  const index_t* t_indices, const index_t* perm, const T* values,
                                  const T* v, const T* x, T* dA, T* dx, bool v_broadcast = false);

// CUDA (device pointers, see device.h). `lanes` picks the kernel: 1 = a thread
// per row ("scalar"), 2…32 = that many lanes of a warp per row ("vector"),
// 0 = chosen from the average row length (body::spmv_lanes).
template <class T>
void spmv_cuda(const DeviceCsr<const T>& A, const T* x, T* y, int lanes = 0);

// y = Aᵀ v through the transpose structure (t_indptr: cols + 1, t_indices, perm
// as transpose_structure_* gives them): a gather, deterministic.
template <class T>
void spmv_transpose_cached_cuda(index_t cols, int64_t nnz, const index_t* t_indptr, const index_t* t_indices,
                                const index_t* perm, const T* values, const T* v, T* y, int lanes = 0);

// Both VJPs in one pass over A's rows (either output may be null; dx by atomic
// adds, Aᵀv as Tao et al. and the paper, so its last bits vary run to run).
// Kept as the baseline the benchmark compares against.
template <class T>
void spmv_backward_cuda(const DeviceCsr<const T>& A, const T* v, const T* x, T* dA, T* dx);

// Both VJPs through the transpose structure of A's pattern (t_indptr, t_indices,
// perm as transpose_structure_* gives them): dx[j] gathered per column of A, as
// spmv_backward_transposed_cpu. Both wanted and columns of at most 4 entries
// on average: one pass over Aᵀ, a warp per 32 columns walking their entries
// with consecutive lanes on consecutive entries (coalesced), dA[perm[q]]
// written on the way. Otherwise dA = (v xᵀ) ⊙ mask(A) over A's rows
// (masked_outer_sum_cuda, k = 1), then dx over Aᵀ. No atomics and no zeroing, deterministic; either output may
// be null. What the device autograd uses.
template <class T>
void spmv_backward_transposed_cuda(const DeviceCsr<const T>& A, const index_t* t_indptr, const index_t* t_indices,
                                   const index_t* perm, const T* v, const T* x, T* dA, T* dx);

}  // namespace sad
