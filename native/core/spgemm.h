// SpGEMM: C = A B for CSR A (m×k) and B (k×n), and its VJP (Table 1), where V
// holds the gradient on C's pattern (one value per stored entry of C):
//   dA = (V Bᵀ) ⊙ mask(A)   dA[p] = Σ_j V[i,j] B[k,j]   for each stored p = (i,k) of A
//   dB = (Aᵀ V) ⊙ mask(B)   dB[q] = Σ_i A[i,k] V[i,j]   for each stored q = (k,j) of B
//
// C's pattern is the symbolic product: every (i,j) with some stored A[i,k] and
// B[k,j]. Entries that cancel numerically stay as explicit zeros, so the pattern
// depends on the operands' patterns only (and can be cached by the caller).
//
// Gustavson's row-by-row algorithm: each part (thread) owns a dense accumulator
// over C's columns and a marker array in the pool's reusable scratch; rows are
// split into parts of about equal multiply-add count, statically, so results are
// deterministic for a given thread count.
#pragma once

#include <functional>

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// Where C's column indices and values go: nnz(C) entries each.
template <class T>
struct CsrOut {
  index_t* indices = nullptr;
  T* values = nullptr;
};

// C = A B in full. Writes c_indptr (A.rows + 1 entries), then calls allocate(nnz(C))
// once for the arrays that receive C's columns (sorted in each row) and values.
// One thread: a single pass, staging rows in scratch; several: passes 1 and 2 below.
template <class T>
void spgemm_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B, index_t* c_indptr,
                const std::function<CsrOut<T>(int64_t nnz)>& allocate);

// Pass 1: row counts of C. Writes c_indptr (A.rows + 1 entries, a prefix sum)
// and returns nnz(C). Fails when nnz(C) does not fit a 32-bit index.
template <class T>
int64_t spgemm_symbolic_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                            index_t* c_indptr);

// Pass 2: given c_indptr from pass 1, writes C's column indices (sorted in each
// row) and values.
template <class T>
void spgemm_fill_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                     const index_t* c_indptr, index_t* c_indices, T* c_values);

// The values of C on a pattern already known to be the symbolic product of A's
// and B's patterns (a cached pass 1 + 2): the numeric pass alone.
template <class T>
void spgemm_numeric_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                        const index_t* c_indptr, const index_t* c_indices, T* c_values);

// The VJP: v holds the gradient on C's pattern. dA (nnz(A) entries) and dB
// (nnz(B) entries) are written in full; either may be null when not needed.
template <class T>
void spgemm_backward_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                         const index_t* c_indptr, const index_t* c_indices, const T* v, T* dA, T* dB);

// CUDA (device pointers, see device.h). When A's rows are at most 8 long (and
// B's at most 256), by a row merge: a thread per row of C merges the sorted rows
// of B its row of A selects, once to count and once to fill, with no products
// written out. Otherwise by expand-sort-compress (Dalton, Olson & Bell 2015, as
// the paper): all products are written out, each row's sorted by column (CUB's
// stable segmented sort) and runs of one column summed; memory O(multiply-adds).
// Either way a column's sum keeps Gustavson's order (A's entries in turn). The
// merge needs B's rows sorted and duplicate-free, as every CsrPattern's are.
// Writes c_indptr (device, A.rows + 1), reads nnz(C) back (synchronises) and
// calls allocate(nnz(C)) for the device arrays of C's columns and values.
template <class T>
void spgemm_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, index_t* c_indptr,
                 const std::function<CsrOut<T>(int64_t nnz)>& allocate);

// The numeric pass alone on C's known pattern: a thread per row of C.
template <class T>
void spgemm_numeric_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, const index_t* c_indptr,
                         const index_t* c_indices, T* c_values);

// The VJP: a thread per entry of A computes dA there and scatters into dB with
// atomic adds (dB's rounding depends on their order). Either output may be null.
template <class T>
void spgemm_backward_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, const index_t* c_indptr,
                          const index_t* c_indices, const T* v, T* dA, T* dB);

}  // namespace sad
