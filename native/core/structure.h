// Structural kernels: the transpose of a CSR structure, band (tril/triu) and
// diagonal selection, the Kronecker product, and the gathers/scatters that move
// values (and their gradients) between a pattern and one derived from it.
//
// A derived pattern is described by an index map into the source's entries, so
// its forward is a gather and its VJP the matching scatter (or a gather through
// the inverse map). The structure is computed once per pattern (TypeScript caches
// it on CsrPattern.cache); repeated calls only move values, O(nnz).
#pragma once

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// The structure of Aᵀ (cols × rows) by a stable counting sort over columns:
// t_indptr (cols + 1), t_indices (nnz), perm[q] = the entry of A that lands at
// entry q of Aᵀ, inv[p] = where entry p of A lands (inv = perm⁻¹). Rows of Aᵀ
// come out sorted because A's rows are visited in order.
void transpose_structure_cpu(index_t rows, index_t cols, const index_t* indptr, const index_t* indices,
                             index_t* t_indptr, index_t* t_indices, index_t* perm, index_t* inv);

// out[q] = idx[q] < 0 ? 0 : src[idx[q]] for q < n.
template <class T>
void gather_cpu(ThreadPool& pool, int64_t n, const index_t* idx, const T* src, T* out);

// out[idx[q]] = src[q] for q < n with idx[q] >= 0; idx must not repeat an index.
// Other entries of out are left as they are.
template <class T>
void scatter_cpu(ThreadPool& pool, int64_t n, const index_t* idx, const T* src, T* out);

// The entries on the k-th diagonal (column - row = k): pos[t] is the entry at
// (t - min(k, 0), t + max(k, 0)) or -1 where none is stored, for t < len (the
// diagonal's length, computed by the caller).
void diagonal_positions_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k,
                            index_t* pos, index_t len);

// The band of A kept by tril(k) (column - row <= k, lower) or triu(k) (>= k):
// band_count writes out_indptr (rows + 1); band_fill then writes the kept
// entries' columns and their source entries (keep). Each row's band is a prefix
// (tril) or suffix (triu) of that row, found by binary search.
void band_count_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k, bool lower,
                    index_t* out_indptr);
void band_fill_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k, bool lower,
                   const index_t* out_indptr, index_t* out_indices, index_t* keep);

// kron(A, B) for A (ra × ca) and B (rb × cb): row ia·rb + ib holds, for each
// entry p of A's row ia and then each entry q of B's row ib, the column
// ja·cb + jb with the value a_p b_q. Row ia·rb + ib starts at
// indptrA[ia]·nnz(B) + len_A(ia)·indptrB[ib], so the kernels need no index map.
// The caller checks that the result's sizes fit index_t.
struct Pattern {
  index_t rows = 0;
  index_t cols = 0;
  const index_t* indptr = nullptr;
  const index_t* indices = nullptr;
  int64_t nnz() const { return rows == 0 ? 0 : indptr[rows]; }
};
void kron_structure_cpu(const Pattern& A, const Pattern& B, index_t* indptr, index_t* indices);

// CUDA (device pointers, see device.h). The transpose structure by counting
// the columns, placing each entry in its row of Aᵀ with an atomic cursor, and
// sorting each row of Aᵀ by A's row index (CUB's segmented sort): the same
// arrays as the CPU version (inv may be null).
void transpose_structure_cuda(index_t rows, index_t cols, int64_t nnz, const index_t* indptr, const index_t* indices,
                              index_t* t_indptr, index_t* t_indices, index_t* perm, index_t* inv);
template <class T>
void gather_cuda(int64_t n, const index_t* idx, const T* src, T* out);
template <class T>
void scatter_cuda(int64_t n, const index_t* idx, const T* src, T* out);

}  // namespace sad
