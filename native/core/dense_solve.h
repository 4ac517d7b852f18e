// Dense direct solves: the dense counterparts of spsolve and sptrsv (the paper's
// "dense solve" and DTRSV), all row-major and contiguous.
//
//   x = A⁻¹ b   LU with partial pivoting (P A = L U), then L y = P b, U x = y.
//               VJP: g = A⁻ᵀ v (a transposed solve with the same factors),
//                    db = g,  dA = −g xᵀ.
//   x = L⁻¹ b   triangular (lower or upper, optionally unit diagonal).
//               VJP: g = L⁻ᵀ v,  db = g,  dL = −tril(g xᵀ) (triu for upper).
//
// The LU is blocked and right-looking: each panel is factored on one thread, the
// trailing update (the O(n³) part) is cut into row blocks on the engine's pool,
// each block one single-threaded CBLAS GEMM when OpenBLAS is built in, else the
// engine's own loops. The triangular solves are blocked the same way: the small
// diagonal triangle serially, the off-diagonal update by rows in parallel. The
// partitions are static, so results are deterministic for a given thread count.
#pragma once

#include <cstdint>

#include "common.h"
#include "thread_pool.h"

namespace sad {

// Factors A (n × n, overwritten by L below the diagonal, unit diagonal implied,
// and U on and above it). piv[j] is the row swapped with row j at step j (applied
// in order j = 0 … n−1). Throws "<op>: the matrix is singular (zero pivot in
// column j)" when a whole column below the diagonal is zero.
template <class T>
void lu_factor_cpu(ThreadPool& pool, int64_t n, T* A, int32_t* piv, const char* op);

// Solves A X = B (transpose = false) or Aᵀ X = B (transpose = true) for B of
// shape n × k, in place, with the factors from lu_factor_cpu.
template <class T>
void lu_solve_cpu(ThreadPool& pool, int64_t n, int64_t k, const T* LU, const int32_t* piv, bool transpose, T* B);

// Solves op(L) X = B in place for B of shape n × k, where L is read as its lower
// (lower = true) or upper triangle, with ones on the diagonal when unit is true,
// and op(L) = Lᵀ when transpose is true. Entries outside the triangle are never read.
template <class T>
void tri_solve_cpu(ThreadPool& pool, int64_t n, int64_t k, const T* L, bool lower, bool unit, bool transpose, T* B);

// Makes OpenBLAS single-threaded (the engine's pool does the threading; its own
// pool beside it would oversubscribe the cores). Idempotent; a no-op without OpenBLAS.
void dense_solve_init();

}  // namespace sad
