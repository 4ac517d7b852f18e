// SpTRSV: x = L⁻¹ b for a sparse triangular L (lower or upper), and the pieces
// of its VJP (Table 1):
//   db = L⁻ᵀ v                       (sptrsv_transpose_cpu: a column-oriented sweep on the CSR of L)
//   dL = −(L⁻ᵀ v) xᵀ ⊙ mask(L)       (sddmm.h's masked_outer_sum_cpu with alpha = −1)
// (sptrsv_backward_cpu does both, fused into one sweep for a vector b).
//
// Right-hand sides are row-major rows × k (k = 1 for a vector), so one row of
// the solve touches k contiguous values.
#pragma once

#include "common.h"
#include "device.h"
#include "sddmm.h"
#include "thread_pool.h"

namespace sad {

struct TriangularOptions {
  bool lower = true;
  bool unit_diagonal = false;  // stored diagonal entries are ignored (treated as 1)
};

// What the structure check found (rows and columns are 0-based).
struct TriangularCheck {
  enum Kind { ok, wrong_side, missing_diagonal } kind = ok;
  index_t row = -1;
  index_t col = -1;  // for wrong_side
};

// Checks that every stored entry lies on the triangle's side of the diagonal
// and (unless unit_diagonal) that every row stores its diagonal. Reports the
// first offending row in row order. O(rows): columns are sorted per row, so
// only the first or last entry of each row needs a look.
TriangularCheck sptrsv_check_structure(const index_t* indptr, const index_t* indices, index_t n,
                                       TriangularOptions opts);

// x = L⁻¹ b with b, x row-major n × k (x may alias b). Assumes the structure
// passed sptrsv_check_structure. Returns -1, or the first row (in row order)
// whose diagonal value is zero (then x is unspecified). Sequential over rows;
// the k right-hand sides are split over threads when there is enough work.
template <class T>
index_t sptrsv_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* b, T* x,
                   index_t k);

// w = L⁻ᵀ v (v, w row-major n × k; w may alias v), without forming Lᵀ: a sweep
// over the rows of L in reverse solve order that scatters each finished w[i]
// into the rows it feeds. Same contract as sptrsv_cpu.
template <class T>
index_t sptrsv_transpose_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* v,
                             T* w, index_t k);

// The whole VJP: w = L⁻ᵀ v and, when grad is non-null, grad = −w xᵀ ⊙ mask(L)
// summed over the k right-hand sides (0 on an ignored unit diagonal), with x
// the forward solution. For one right-hand side the masked outer product is
// written during the sweep itself. Returns as sptrsv_transpose_cpu.
template <class T>
index_t sptrsv_backward_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* x, const T* v,
                            T* w, T* grad, index_t k);

// CUDA (device pointers, see device.h): synchronisation-free solves (Su et al.
// 2020, as the paper; see sparse_bodies.h), a thread per row, one launch per
// right-hand side column. Same contracts as the CPU versions (x may alias b),
// and each reads the zero-pivot row back (synchronises).
template <class T>
index_t sptrsv_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* b, T* x, index_t k);
template <class T>
index_t sptrsv_transpose_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* v, T* w, index_t k);
template <class T>
index_t sptrsv_backward_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* x, const T* v, T* w,
                             T* grad, index_t k);

}  // namespace sad
