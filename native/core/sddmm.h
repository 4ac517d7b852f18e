// SDDMM, the sampled dense-dense product: a dense product read only on a sparse
// pattern. It is the dA of every VJP in Table 1 that has the form
// (u xᵀ) ⊙ mask(A): SpMV's (k = 1), SpDMM's (V Dᵀ), and the solves'
// −(A⁻ᵀ v) xᵀ (alpha = −1), so it has its own files rather than living in one
// of theirs (sddmm_cpu.cc, sddmm_cuda.cu; binding bind_sddmm.cc; ops/sddmm.ts).
#pragma once

#include "common.h"
#include "thread_pool.h"

namespace sad {

// out[p] = alpha Σ_c u[i, c] x[j, c] for each stored entry p = (i, j), with u
// row-major rows × k and x row-major cols × k. With skip_diagonal, out[p] = 0
// where i == j (the gradient of an ignored unit diagonal).
template <class T>
void masked_outer_sum_cpu(ThreadPool& pool, index_t rows, const index_t* indptr, const index_t* indices,
                          const T* u, const T* x, index_t k, T alpha, bool skip_diagonal, T* out);

// CUDA (device pointers, see device.h): as masked_outer_sum_cpu. A group of
// lanes per entry for k > 4.
template <class T>
void masked_outer_sum_cuda(index_t rows, int64_t nnz, const index_t* indptr, const index_t* indices, const T* u,
                           const T* x, index_t k, T alpha, bool skip_diagonal, T* out);

}  // namespace sad
