#include "dense.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#ifdef SAD_HAVE_BLAS
#include <cblas.h>
#endif

namespace sad {

namespace {

// Multiply-adds per part below which another thread does not pay for its wake-up.
constexpr int64_t kGemmGrain = int64_t{1} << 19;
// Builtin loops: a K-block × N-block panel of op(B) (128 × 256 doubles = 256 KiB) stays in L2.
constexpr int64_t kKb = 128;
constexpr int64_t kNb = 256;

void check_dims(int64_t m, int64_t n, int64_t k) {
  if (m < 0 || n < 0 || k < 0 || m > INT_MAX || n > INT_MAX || k > INT_MAX)
    fail("matmul: dimensions must be non-negative 32-bit integers (got m=" + std::to_string(m) + ", n=" +
         std::to_string(n) + ", k=" + std::to_string(k) + ")");
}

// C[i0:i1, j0:j1] = op(A)[i0:i1, :] · op(B)[:, j0:j1], summing over k in
// ascending order for every entry, so the result does not depend on how C is cut.
// `packed` (kKb × kNb entries) is this part's buffer for a panel of Bᵀ.
template <class T>
void gemm_block(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* A, const T* B, T* C,
                T* packed, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; ++i) std::fill(C + i * n + j0, C + i * n + j1, T(0));
  auto a_at = [&](int64_t i, int64_t kk) -> T { return trans_a ? A[kk * m + i] : A[i * k + kk]; };
  for (int64_t k0 = 0; k0 < k; k0 += kKb) {
    const int64_t k1 = std::min(k, k0 + kKb);
    for (int64_t jb = j0; jb < j1; jb += kNb) {
      const int64_t je = std::min(j1, jb + kNb);
      const int64_t nb = je - jb;
      // Row kk of the op(B) panel starts at panel + (kk - k0) * ldp.
      const T* panel;
      int64_t ldp;
      if (trans_b) {
        for (int64_t kk = k0; kk < k1; ++kk)
          for (int64_t j = jb; j < je; ++j) packed[(kk - k0) * nb + (j - jb)] = B[j * k + kk];
        panel = packed;
        ldp = nb;
      } else {
        panel = B + k0 * n + jb;
        ldp = n;
      }
      int64_t i = i0;
      // Four rows of C at a time: each panel row is loaded once for four updates.
      for (; i + 4 <= i1; i += 4) {
        T* __restrict c0 = C + i * n + jb;
        T* __restrict c1 = c0 + n;
        T* __restrict c2 = c1 + n;
        T* __restrict c3 = c2 + n;
        for (int64_t kk = k0; kk < k1; ++kk) {
          const T a0 = a_at(i, kk), a1 = a_at(i + 1, kk), a2 = a_at(i + 2, kk), a3 = a_at(i + 3, kk);
          const T* __restrict b = panel + (kk - k0) * ldp;
          for (int64_t j = 0; j < nb; ++j) {
            const T bj = b[j];
            c0[j] += a0 * bj;
            c1[j] += a1 * bj;
            c2[j] += a2 * bj;
            c3[j] += a3 * bj;
          }
        }
      }
      for (; i < i1; ++i) {
        T* __restrict c0 = C + i * n + jb;
        for (int64_t kk = k0; kk < k1; ++kk) {
          const T a0 = a_at(i, kk);
          const T* __restrict b = panel + (kk - k0) * ldp;
          for (int64_t j = 0; j < nb; ++j) c0[j] += a0 * b[j];
        }
      }
    }
  }
}

// How C is cut: contiguous row blocks (m >= n) or column blocks, at least
// kGemmGrain multiply-adds each.
struct Split {
  bool by_rows;
  int64_t len;
  int64_t grain;
};

Split plan_split(int64_t m, int64_t n, int64_t k) {
  Split s;
  s.by_rows = m >= n;
  s.len = s.by_rows ? m : n;
  const int64_t per = std::max<int64_t>(1, (s.by_rows ? n : m) * std::max<int64_t>(k, 1));
  s.grain = std::max<int64_t>(1, (kGemmGrain + per - 1) / per);
  return s;
}

// Runs block(part, i0, i1, j0, j1) over the parts of the split.
template <class F>
void split_output(ThreadPool& pool, const Split& s, int64_t m, int64_t n, F&& block) {
  pool.parallel_for(s.len, s.grain, [&](int part, int64_t b, int64_t e) {
    if (s.by_rows) block(part, b, e, int64_t{0}, n);
    else block(part, int64_t{0}, m, b, e);
  });
}

#ifdef SAD_HAVE_BLAS
inline CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }

inline void blas_gemm(bool ta, bool tb, int m, int n, int k, const double* A, int lda, const double* B, int ldb,
                      double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), m, n, k, 1.0, A, lda, B, ldb, 0.0, C, ldc);
}
inline void blas_gemm(bool ta, bool tb, int m, int n, int k, const float* A, int lda, const float* B, int ldb,
                      float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), m, n, k, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}
inline void blas_gemv(bool t, int rows, int cols, const double* A, int lda, const double* x, double* y) {
  cblas_dgemv(CblasRowMajor, tr(t), rows, cols, 1.0, A, lda, x, 1, 0.0, y, 1);
}
inline void blas_gemv(bool t, int rows, int cols, const float* A, int lda, const float* x, float* y) {
  cblas_sgemv(CblasRowMajor, tr(t), rows, cols, 1.0f, A, lda, x, 1, 0.0f, y, 1);
}
#endif

}  // namespace

template <class T>
void gemm_builtin_cpu(ThreadPool& pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                      const T* A, const T* B, T* C) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  const Split s = plan_split(m, n, k);
  // Per-part panel buffers, taken before the threads start (scratch() is not thread-safe).
  const int parts = pool.parts_for(s.len, s.grain);
  std::vector<T*> packed(parts, nullptr);
  if (trans_b)
    for (int p = 0; p < parts; ++p) packed[p] = static_cast<T*>(pool.scratch(p, sizeof(T) * kKb * kNb));
  split_output(pool, s, m, n, [&](int part, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    gemm_block<T>(trans_a, trans_b, m, n, k, A, B, C, packed[part], i0, i1, j0, j1);
  });
}

template <class T>
void gemm_cpu(ThreadPool& pool, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              const T* A, const T* B, T* C) {
#ifdef SAD_HAVE_BLAS
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(C, C + m * n, T(0));
    return;
  }
  const int lda = static_cast<int>(trans_a ? m : k);
  const int ldb = static_cast<int>(trans_b ? k : n);
  const int ik = static_cast<int>(k);
  if (n == 1) {
    // C[m] = op(A) b (b is contiguous either way): matrix-vector, cut by rows of C.
    pool.parallel_for(m, std::max<int64_t>(1, kGemmGrain / k), [&](int, int64_t r0, int64_t r1) {
      const int rows = static_cast<int>(r1 - r0);
      if (trans_a) blas_gemv(true, ik, rows, A + r0, lda, B, C + r0);
      else blas_gemv(false, rows, ik, A + r0 * k, lda, B, C + r0);
    });
    return;
  }
  if (m == 1) {
    // C[n] = op(B)ᵀ a: matrix-vector, cut by columns of C.
    pool.parallel_for(n, std::max<int64_t>(1, kGemmGrain / k), [&](int, int64_t c0, int64_t c1) {
      const int cols = static_cast<int>(c1 - c0);
      if (trans_b) blas_gemv(false, cols, ik, B + c0 * k, ldb, A, C + c0);
      else blas_gemv(true, ik, cols, B + c0, ldb, A, C + c0);
    });
    return;
  }
  split_output(pool, plan_split(m, n, k), m, n, [&](int, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    const T* a = trans_a ? A + i0 : A + i0 * k;
    const T* b = trans_b ? B + j0 * k : B + j0;
    blas_gemm(trans_a, trans_b, static_cast<int>(i1 - i0), static_cast<int>(j1 - j0), ik, a, lda, b, ldb,
              C + i0 * n + j0, static_cast<int>(n));
  });
#else
  gemm_builtin_cpu<T>(pool, trans_a, trans_b, m, n, k, A, B, C);
#endif
}

const char* gemm_backend() {
#ifdef SAD_HAVE_BLAS
  return "openblas";
#else
  return "builtin";
#endif
}

void gemm_init() {
#if defined(SAD_HAVE_BLAS) && defined(OPENBLAS_VERSION)
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

#define SAD_INSTANTIATE(T)                                                                              \
  template void gemm_cpu<T>(ThreadPool&, bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*); \
  template void gemm_builtin_cpu<T>(ThreadPool&, bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
