// SpMV: y = A x, and the pieces of its VJP (Table 1):
//   dx = Aᵀ v                      (spmv_transpose)
//   dA = (v xᵀ) ⊙ mask(A)          (masked_outer)
#pragma once

#include "common.h"
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

template <class T>
void spmv_cuda(const Csr<const T>& A, const T* x, T* y);

}  // namespace sad
