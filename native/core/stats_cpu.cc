// Matrix statistics, spy bins and the array transpose (stats.h). Each loop keeps
// the order of operations of the JavaScript it replaced (native/lib/stats.ts
// before #15), so that every floating-point result has the same bits: values
// widened to double, sums accumulated left to right, nothing fused.
#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace sad {

template <class T, class U>
void transpose_arrays_cpu(const char* op, index_t rows, index_t cols, const index_t* indptr, const index_t* indices,
                          const T* values, index_t* t_indptr, index_t* t_indices, U* t_values) {
  if (indptr[0] != 0) fail(std::string(op) + ": indptr[0] is " + std::to_string(indptr[0]) + ", not 0");
  for (index_t i = 0; i < rows; ++i) {
    if (indptr[i + 1] < indptr[i]) fail(std::string(op) + ": indptr decreases at row " + std::to_string(i));
  }
  const int64_t nnz = indptr[rows];
  for (int64_t j = 0; j <= cols; ++j) t_indptr[j] = 0;
  for (int64_t p = 0; p < nnz; ++p) {
    const index_t j = indices[p];
    if (j < 0 || j >= cols) {
      fail(std::string(op) + ": entry " + std::to_string(p) + " has column " + std::to_string(j) + ", outside 0.." +
           std::to_string(cols - 1));
    }
    ++t_indptr[j + 1];
  }
  for (int64_t j = 0; j < cols; ++j) t_indptr[j + 1] += t_indptr[j];
  // Place entries row by row (stable: rows of A come out sorted in each row of
  // Aᵀ); t_indptr[j] is column j's fill cursor, shifted back after.
  for (index_t i = 0; i < rows; ++i) {
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const index_t q = t_indptr[indices[p]]++;
      t_indices[q] = i;
      t_values[q] = static_cast<U>(values[p]);
    }
  }
  for (int64_t j = cols; j > 0; --j) t_indptr[j] = t_indptr[j - 1];
  t_indptr[0] = 0;
}

namespace {

// Cholesky factorization restricted to the envelope (profile) of the lower
// triangle: row i of L can only be nonzero from its first stored column f_i to
// i, so no fill falls outside; a dense matrix is the case f_i = 0. Returns the
// failing row (a pivot at or below n·eps·max a_ii) or -1 when every pivot is
// positive. L[start[i] + k - f_i] holds L[i][k].
template <class T>
int64_t envelope_cholesky(const Csr<const T>& A, const std::vector<index_t>& first, const std::vector<double>& start) {
  const index_t n = A.rows;
  std::vector<double> L(static_cast<size_t>(start[n]), 0.0);
  std::vector<double> d(n, 0.0);  // the diagonal of L
  double max_diag = 0;
  for (index_t i = 0; i < n; ++i) {
    const int64_t si = static_cast<int64_t>(start[i]) - first[i];
    for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) {
      const index_t j = A.indices[p];
      const double v = A.values[p];
      if (j < i) L[si + j] = v;
      else if (j == i) max_diag = std::max(max_diag, std::fabs(v));  // no NaN: the diagonal is positive
    }
  }
  const double tol = static_cast<double>(n) * 2.220446049250313e-16 * max_diag;
  for (index_t i = 0; i < n; ++i) {
    const index_t fi = first[i];
    const int64_t si = static_cast<int64_t>(start[i]) - fi;
    for (index_t j = fi; j < i; ++j) {
      const index_t fj = first[j];
      const int64_t sj = static_cast<int64_t>(start[j]) - fj;
      double s = L[si + j];
      // One subtraction at a time in ascending k, as the JavaScript did (no
      // reassociation: the sum's bits decide a pivot at the tolerance).
      for (index_t k = std::max(fi, fj); k < j; ++k) s -= L[si + k] * L[sj + k];
      L[si + j] = s / d[j];
    }
    double dd = 0;
    for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) {
      if (A.indices[p] == i) dd = A.values[p];
    }
    for (index_t k = fi; k < i; ++k) dd -= L[si + k] * L[si + k];
    if (!(dd > tol)) return i;
    d[i] = std::sqrt(dd);
  }
  return -1;
}

// The SPD hint of a square matrix (see SpdCase); diag[i] = A[i, i] (0 when absent).
template <class T>
void spd_hint(const Csr<const T>& A, const std::vector<double>& diag, bool symmetric, bool pattern,
              double cholesky_max_flops, MatrixStatsResult& r) {
  const index_t n = A.rows;
  if (A.rows != A.cols) {
    r.spd = SpdCase::not_square;
    return;
  }
  if (pattern) {
    r.spd = SpdCase::pattern;
    return;
  }
  if (!symmetric) {
    r.spd = SpdCase::not_symmetric;
    return;
  }
  for (index_t i = 0; i < n; ++i) {
    if (!(diag[i] > 0)) {
      r.spd = SpdCase::diagonal_entry;
      r.spd_row = i;
      r.spd_value = diag[i];
      return;
    }
  }
  if (n == 0) {
    r.spd = SpdCase::empty;
    return;
  }
  // Gershgorin: a_ii > Σ_j≠i |a_ij| in every row puts every eigenvalue above 0.
  bool strict = true;
  bool weak = true;
  for (index_t i = 0; i < n; ++i) {
    double off = 0;
    for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) {
      if (A.indices[p] != i) off += std::fabs(static_cast<double>(A.values[p]));
    }
    if (!(diag[i] > off)) strict = false;
    if (!(diag[i] >= off)) weak = false;
  }
  if (strict) {
    r.spd = SpdCase::strict_dominance;
    return;
  }
  // The envelope: first[i] = first stored column of row i's lower part; its cost
  // Σ w_i²/2. start and flops in double, as in the JavaScript (exact below 2^53,
  // and far past the limits above it).
  std::vector<index_t> first(n);
  std::vector<double> start(static_cast<size_t>(n) + 1, 0.0);
  double flops = 0;
  for (index_t i = 0; i < n; ++i) {
    index_t f = i;
    for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) f = std::min(f, A.indices[p]);
    first[i] = f;
    const double w = static_cast<double>(i - f);
    start[i + 1] = start[i] + w;
    flops += (w * w) / 2 + w;
  }
  if (flops <= cholesky_max_flops && start[n] <= 4e6) {
    const int64_t failed_at = envelope_cholesky(A, first, start);
    r.envelope = start[n];
    r.spd = failed_at < 0 ? SpdCase::cholesky_ok : SpdCase::cholesky_failed;
    r.spd_row = failed_at;
    return;
  }
  r.spd = weak ? SpdCase::weak_dominance : SpdCase::too_large;
}

}  // namespace

template <class T>
MatrixStatsResult matrix_stats_cpu(const Csr<const T>& A, bool pattern, double cholesky_max_flops) {
  MatrixStatsResult r;
  const index_t rows = A.rows;
  const index_t cols = A.cols;
  const index_t* indptr = A.indptr;
  const index_t* indices = A.indices;
  const T* values = A.values;
  const int64_t nnz = indptr[rows];
  r.nnz = nnz;
  r.square = rows == cols;

  r.min_row = rows == 0 ? 0 : std::numeric_limits<int64_t>::max();
  const index_t ndiag = std::min(rows, cols);
  std::vector<double> diag(ndiag, 0.0);  // absent = 0
  for (index_t i = 0; i < rows; ++i) {
    const index_t s = indptr[i];
    const index_t e = indptr[i + 1];
    const int64_t len = e - s;
    r.min_row = std::min(r.min_row, len);
    r.max_row = std::max(r.max_row, len);
    if (len == 0) ++r.empty_rows;
    for (index_t p = s; p < e; ++p) {
      const index_t j = indices[p];
      const double v = values[p];
      if (v == 0) ++r.explicit_zeros;
      if (j == i) {
        ++r.diagonal_nnz;
        diag[i] = v;
      } else if (j < i) {
        r.lower = std::max<int64_t>(r.lower, i - j);
      } else {
        r.upper = std::max<int64_t>(r.upper, j - i);
      }
    }
  }
  for (index_t i = 0; i < ndiag; ++i) {
    if (diag[i] == 0) ++r.zero_diagonals;
  }

  // Symmetry. The JavaScript merged each row of A with the same row of Aᵀ; the
  // counts are per stored entry, so here each off-diagonal (i, j) looks up its
  // mirror (j, i) instead, without building Aᵀ (whose fresh 12·nnz bytes cost
  // more in page faults than the rest together): rows i come in ascending order,
  // so row j is asked for ascending columns and a cursor per row finds them in
  // O(nnz + rows). An entry with no mirror counts against numeric symmetry when
  // nonzero, as both of the merge's one-sided cases did.
  if (r.square) {
    std::vector<index_t> cursor(indptr, indptr + rows);
    int64_t offdiag = 0;
    int64_t matched = 0;
    int64_t matched_equal = 0;
    bool numeric = true;
    for (index_t i = 0; i < rows; ++i) {
      for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
        const index_t j = indices[p];
        if (j == i) continue;
        ++offdiag;
        index_t q = cursor[j];
        const index_t qe = indptr[j + 1];
        while (q < qe && indices[q] < i) ++q;
        cursor[j] = q;
        if (q < qe && indices[q] == i) {
          ++matched;
          if (values[p] == values[q]) ++matched_equal;  // floats compare as their widened doubles
          else numeric = false;
        } else if (values[p] != T(0)) {
          numeric = false;  // A[i, j] has no mirror
        }
      }
    }
    r.numeric_symmetric = numeric;
    r.pattern_symmetric = matched == offdiag;
    r.pattern_symmetry = offdiag == 0 ? 1 : static_cast<double>(matched) / static_cast<double>(offdiag);
    r.numeric_symmetry = offdiag == 0 ? 1 : static_cast<double>(matched_equal) / static_cast<double>(offdiag);
  }

  r.density = rows == 0 || cols == 0
                  ? 0
                  : static_cast<double>(nnz) / (static_cast<double>(rows) * static_cast<double>(cols));
  r.mean_row = rows == 0 ? 0 : static_cast<double>(nnz) / static_cast<double>(rows);
  spd_hint(A, diag, r.numeric_symmetric, pattern, cholesky_max_flops, r);
  return r;
}

int64_t spy_bins_cpu(index_t rows, index_t cols, const index_t* indptr, const index_t* indices, int64_t w, int64_t h,
                     uint32_t* counts) {
  uint32_t max = 0;
  const double dw = static_cast<double>(w);
  const double dcols = static_cast<double>(cols);
  for (index_t i = 0; i < rows; ++i) {
    // The JavaScript's double quotients and floors: i·h and j·w < 2^47 are exact,
    // and the quotient's rounding cannot cross an integer (w, h <= 2^16).
    const int64_t base = static_cast<int64_t>(std::floor(static_cast<double>(i) * static_cast<double>(h) / rows)) * w;
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const int64_t b = base + static_cast<int64_t>(std::floor(static_cast<double>(indices[p]) * dw / dcols));
      const uint32_t c = ++counts[b];
      if (c > max) max = c;
    }
  }
  return max;
}

template MatrixStatsResult matrix_stats_cpu<float>(const Csr<const float>&, bool, double);
template MatrixStatsResult matrix_stats_cpu<double>(const Csr<const double>&, bool, double);
template void transpose_arrays_cpu<float, double>(const char*, index_t, index_t, const index_t*, const index_t*,
                                                  const float*, index_t*, index_t*, double*);
template void transpose_arrays_cpu<double, double>(const char*, index_t, index_t, const index_t*, const index_t*,
                                                   const double*, index_t*, index_t*, double*);

}  // namespace sad
