// SpDMM: C = A D for a CSR matrix A (n×k) and a dense row-major D (k×m), and
// its VJP (Table 1), with V the gradient of C (n×m):
//   dA = (V Dᵀ) ⊙ mask(A)     (one dot product per stored entry)
//   dD = Aᵀ V                 (rows of Aᵀ from the cached transpose structure)
// computed together by spdmm_backward_cpu.
#pragma once

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// C[i, :] = Σ_p A[i, j_p] D[j_p, :]. D is A.cols × m, C is A.rows × m (written, not accumulated).
template <class T>
void spdmm_cpu(ThreadPool& pool, const Csr<const T>& A, const T* D, int64_t m, T* C);

// Both gradients in one pass over the rows of Aᵀ (t_rows = A.cols rows, given by
// the transpose structure t_indptr/t_indices and perm[q] = the entry of A at entry
// q of Aᵀ), V being the gradient of C (A.rows × m):
//   dA[p] = V[i, :] · D[j, :] for p = (i, j)     ((V Dᵀ) ⊙ mask(A), nnz entries)
//   dD    = Aᵀ V                                  (A.cols × m)
// Either output may be null. Each part of a parallel run owns whole rows of Aᵀ,
// hence whole rows of dD and the entries of dA they map to: the result does not
// depend on the thread count. V's rows are v_row_stride apart (m when negative);
// 0 reads one row for all of them: a V whose rows are all equal (the seed of a
// sum or mean) as a broadcast view, with the bits of the materialised one.
template <class T>
void spdmm_backward_cpu(ThreadPool& pool, index_t t_rows, const index_t* t_indptr, const index_t* t_indices,
                        const index_t* perm, const T* values, const T* V, const T* D, int64_t m, T* dA, T* dD,
                        int64_t v_row_stride = -1);

// CUDA (device pointers, see device.h): C = A D, a thread per entry of C,
// consecutive threads on consecutive columns of a row (coalesced reads of D).
template <class T>
void spdmm_cuda(const DeviceCsr<const T>& A, const T* D, int64_t m, T* C);

// The VJP as spdmm_backward_cpu, through the transpose structure (t_indptr,
// t_indices, perm on the device), with no atomics. Either output may be null.
// For m ≤ 128 one fused pass: a group of lanes per column j of A holds row j of
// D in registers and, for each entry of that column, reads the row of V once
// for both dA (a dot) and dD (a sum). Wider: dA = (V Dᵀ) ⊙ mask(A) by
// masked_outer_sum_cuda, dD = Aᵀ V as the forward product on the transpose.
template <class T>
void spdmm_backward_cuda(const DeviceCsr<const T>& A, const index_t* t_indptr, const index_t* t_indices,
                         const index_t* perm, const T* V, const T* D, int64_t m, T* dA, T* dD);

}  // namespace sad
