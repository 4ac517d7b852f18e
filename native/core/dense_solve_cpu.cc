#include "dense_solve.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>
#include <utility>

#ifdef SAD_HAVE_BLAS
#include <cblas.h>
#endif

namespace sad {

namespace {

// Block sizes: a panel of the LU, a diagonal block of the triangular solves.
constexpr int64_t kLuBlock = 64;
constexpr int64_t kTriBlock = 128;
// Multiply-adds per part below which another thread does not pay for its wake-up.
constexpr int64_t kGrain = int64_t{1} << 16;

int64_t rows_grain(int64_t work_per_row) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_row)); }

// C[m, nc] −= A[m, kk] · B[kk, nc], all row-major with leading dimensions; A may
// be read transposed (A stored [kk, m]). Each entry sums over kk in ascending
// order, so the result does not depend on how the caller cut the rows.
template <class T>
void gemm_sub_builtin(bool trans_a, int64_t m, int64_t nc, int64_t kk, const T* A, int64_t lda, const T* B,
                      int64_t ldb, T* C, int64_t ldc) {
  if (trans_a) {
    for (int64_t t = 0; t < kk; ++t) {
      const T* __restrict b = B + t * ldb;
      for (int64_t i = 0; i < m; ++i) {
        const T a = A[t * lda + i];
        if (a == T(0)) continue;
        T* __restrict c = C + i * ldc;
        for (int64_t j = 0; j < nc; ++j) c[j] -= a * b[j];
      }
    }
    return;
  }
  for (int64_t i = 0; i < m; ++i) {
    T* __restrict c = C + i * ldc;
    const T* a = A + i * lda;
    if (nc == 1) {
      T acc = T(0);
      for (int64_t t = 0; t < kk; ++t) acc += a[t] * B[t * ldb];
      c[0] -= acc;
      continue;
    }
    for (int64_t t = 0; t < kk; ++t) {
      const T at = a[t];
      if (at == T(0)) continue;
      const T* __restrict b = B + t * ldb;
      for (int64_t j = 0; j < nc; ++j) c[j] -= at * b[j];
    }
  }
}

#ifdef SAD_HAVE_BLAS
inline void blas_gemm_sub(bool ta, int m, int nc, int kk, const double* A, int lda, const double* B, int ldb, double* C,
                          int ldc) {
  if (nc == 1 && !ta) cblas_dgemv(CblasRowMajor, CblasNoTrans, m, kk, -1.0, A, lda, B, ldb, 1.0, C, ldc);
  else if (nc == 1) cblas_dgemv(CblasRowMajor, CblasTrans, kk, m, -1.0, A, lda, B, ldb, 1.0, C, ldc);
  else cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, m, nc, kk, -1.0, A, lda, B, ldb, 1.0, C, ldc);
}
inline void blas_gemm_sub(bool ta, int m, int nc, int kk, const float* A, int lda, const float* B, int ldb, float* C,
                          int ldc) {
  if (nc == 1 && !ta) cblas_sgemv(CblasRowMajor, CblasNoTrans, m, kk, -1.0f, A, lda, B, ldb, 1.0f, C, ldc);
  else if (nc == 1) cblas_sgemv(CblasRowMajor, CblasTrans, kk, m, -1.0f, A, lda, B, ldb, 1.0f, C, ldc);
  else cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, m, nc, kk, -1.0f, A, lda, B, ldb, 1.0f, C, ldc);
}
#endif

template <class T>
void gemm_sub(bool trans_a, int64_t m, int64_t nc, int64_t kk, const T* A, int64_t lda, const T* B, int64_t ldb, T* C,
              int64_t ldc) {
  if (m <= 0 || nc <= 0 || kk <= 0) return;
#ifdef SAD_HAVE_BLAS
  blas_gemm_sub(trans_a, static_cast<int>(m), static_cast<int>(nc), static_cast<int>(kk), A, static_cast<int>(lda), B,
                static_cast<int>(ldb), C, static_cast<int>(ldc));
#else
  gemm_sub_builtin<T>(trans_a, m, nc, kk, A, lda, B, ldb, C, ldc);
#endif
}

void check_dims(int64_t n, int64_t k) {
  if (n < 0 || k < 0 || n > INT_MAX || k > INT_MAX || (n > 0 && k > INT64_MAX / n))
    fail("dense solve: dimensions must be non-negative 32-bit integers (got n=" + std::to_string(n) + ", k=" +
         std::to_string(k) + ")");
}

template <class T>
void swap_rows(T* B, int64_t k, int64_t a, int64_t b) {
  if (a != b) std::swap_ranges(B + a * k, B + a * k + k, B + b * k);
}

}  // namespace

template <class T>
void tri_solve_cpu(ThreadPool& pool, int64_t n, int64_t k, const T* L, bool lower, bool unit, bool transpose, T* B) {
  check_dims(n, k);
  if (n == 0 || k == 0) return;
  // M = op(L); M[i, j] is L[i, j], or L[j, i] when transposed.
  auto m_at = [&](int64_t i, int64_t j) -> T { return transpose ? L[j * n + i] : L[i * n + j]; };
  const bool forward = lower != transpose;  // M lower triangular: solve top-down
  const int64_t blocks = (n + kTriBlock - 1) / kTriBlock;
  for (int64_t bi = 0; bi < blocks; ++bi) {
    const int64_t blk = forward ? bi : blocks - 1 - bi;
    const int64_t b0 = blk * kTriBlock;
    const int64_t b1 = std::min(n, b0 + kTriBlock);
    // The diagonal block, serially: x_i = (b_i − Σ_j M_ij x_j) / M_ii over j in the block.
    for (int64_t s = 0; s < b1 - b0; ++s) {
      const int64_t i = forward ? b0 + s : b1 - 1 - s;
      T* xi = B + i * k;
      const int64_t j0 = forward ? b0 : i + 1;
      const int64_t j1 = forward ? i : b1;
      for (int64_t j = j0; j < j1; ++j) {
        const T mij = m_at(i, j);
        if (mij == T(0)) continue;
        const T* xj = B + j * k;
        for (int64_t c = 0; c < k; ++c) xi[c] -= mij * xj[c];
      }
      if (!unit) {
        const T d = m_at(i, i);
        for (int64_t c = 0; c < k; ++c) xi[c] /= d;
      }
    }
    // The rows still to solve: B[r] −= M[r, b0:b1] X[b0:b1], in parallel by rows.
    const int64_t r_begin = forward ? b1 : 0;
    const int64_t r_end = forward ? n : b0;
    const int64_t bb = b1 - b0;
    pool.parallel_for(r_end - r_begin, rows_grain(bb * k), [&](int, int64_t p0, int64_t p1) {
      const int64_t r0 = r_begin + p0;
      const int64_t m = p1 - p0;
      // M[r0:, b0:] is L[r0:, b0:] (lda n), or L[b0:, r0:] read transposed.
      const T* a = transpose ? L + b0 * n + r0 : L + r0 * n + b0;
      gemm_sub<T>(transpose, m, k, bb, a, n, B + b0 * k, k, B + r0 * k, k);
    });
  }
}

template <class T>
void lu_factor_cpu(ThreadPool& pool, int64_t n, T* A, int32_t* piv, const char* op) {
  check_dims(n, 1);
  for (int64_t k0 = 0; k0 < n; k0 += kLuBlock) {
    const int64_t k1 = std::min(n, k0 + kLuBlock);
    // Panel: columns k0..k1 over rows k0..n, one thread, swapping whole rows.
    for (int64_t j = k0; j < k1; ++j) {
      int64_t p = j;
      T best = std::abs(A[j * n + j]);
      for (int64_t i = j + 1; i < n; ++i) {
        const T a = std::abs(A[i * n + j]);
        if (a > best) {
          best = a;
          p = i;
        }
      }
      if (!(best > T(0))) {
        if (std::isnan(best)) fail(std::string(op) + ": the matrix holds NaN (in column " + std::to_string(j) + ")");
        fail(std::string(op) + ": the matrix is singular (zero pivot in column " + std::to_string(j) + ")");
      }
      piv[j] = static_cast<int32_t>(p);
      swap_rows(A, n, j, p);
      const T inv = T(1) / A[j * n + j];
      const T* uj = A + j * n;
      for (int64_t i = j + 1; i < n; ++i) {
        T* ai = A + i * n;
        const T l = ai[j] * inv;
        ai[j] = l;
        if (l == T(0)) continue;
        for (int64_t c = j + 1; c < k1; ++c) ai[c] -= l * uj[c];
      }
    }
    if (k1 == n) break;
    const int64_t rest = n - k1;
    const int64_t kb = k1 - k0;
    // U12 = L11⁻¹ A12 (unit lower), in parallel by column ranges.
    pool.parallel_for(rest, rows_grain(kb * kb / 2 + 1), [&](int, int64_t c0, int64_t c1) {
      for (int64_t i = k0 + 1; i < k1; ++i) {
        T* ai = A + i * n + k1;
        for (int64_t t = k0; t < i; ++t) {
          const T l = A[i * n + t];
          if (l == T(0)) continue;
          const T* ut = A + t * n + k1;
          for (int64_t c = c0; c < c1; ++c) ai[c] -= l * ut[c];
        }
      }
    });
    // A22 −= L21 U12, in parallel by row blocks.
    pool.parallel_for(rest, rows_grain(rest * kb), [&](int, int64_t p0, int64_t p1) {
      const int64_t r0 = k1 + p0;
      gemm_sub<T>(false, p1 - p0, rest, kb, A + r0 * n + k0, n, A + k0 * n + k1, n, A + r0 * n + k1, n);
    });
  }
}

template <class T>
void lu_solve_cpu(ThreadPool& pool, int64_t n, int64_t k, const T* LU, const int32_t* piv, bool transpose, T* B) {
  check_dims(n, k);
  if (n == 0 || k == 0) return;
  if (!transpose) {
    // A = Pᵀ L U:  L y = P b,  U x = y.
    for (int64_t j = 0; j < n; ++j) swap_rows(B, k, j, piv[j]);
    tri_solve_cpu<T>(pool, n, k, LU, true, true, false, B);
    tri_solve_cpu<T>(pool, n, k, LU, false, false, false, B);
  } else {
    // Aᵀ = Uᵀ Lᵀ P:  Uᵀ z = b,  Lᵀ w = z,  x = Pᵀ w.
    tri_solve_cpu<T>(pool, n, k, LU, false, false, true, B);
    tri_solve_cpu<T>(pool, n, k, LU, true, true, true, B);
    for (int64_t j = n - 1; j >= 0; --j) swap_rows(B, k, j, piv[j]);
  }
}

void dense_solve_init() {
#if defined(SAD_HAVE_BLAS) && defined(OPENBLAS_VERSION)
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

#define SAD_INSTANTIATE(T)                                                                                   \
  template void tri_solve_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, bool, bool, bool, T*);            \
  template void lu_factor_cpu<T>(ThreadPool&, int64_t, T*, int32_t*, const char*);                           \
  template void lu_solve_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, const int32_t*, bool, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
