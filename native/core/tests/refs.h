// Naive references for every op the tests check: per-entry loops in long
// double, each returning the value and the magnitude Σ|term| it was summed from
// (for the tolerance, see check_close in reference.h).
#pragma once

#include <algorithm>
#include <map>
#include <vector>

#include "reference.h"
#include "structure.h"

namespace sad_test {

using ld = long double;

struct Ref {
  std::vector<double> value, mag;
  explicit Ref(size_t n = 0) : value(n, 0.0), mag(n, 0.0) {}
};

// y = A x
template <class T>
Ref ref_spmv(const HostCsr<T>& A, const std::vector<T>& x) {
  Ref r(A.rows);
  for (index_t i = 0; i < A.rows; ++i) {
    ld s = 0, m = 0;
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      s += ld(A.val[p]) * x[A.ix[p]];
      m += std::fabs(ld(A.val[p]) * x[A.ix[p]]);
    }
    r.value[i] = double(s);
    r.mag[i] = double(m);
  }
  return r;
}

// y = Aᵀ v
template <class T>
Ref ref_spmv_t(const HostCsr<T>& A, const std::vector<T>& v) {
  std::vector<ld> s(A.cols, 0), m(A.cols, 0);
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      s[A.ix[p]] += ld(A.val[p]) * v[i];
      m[A.ix[p]] += std::fabs(ld(A.val[p]) * v[i]);
    }
  Ref r(A.cols);
  for (index_t j = 0; j < A.cols; ++j) {
    r.value[j] = double(s[j]);
    r.mag[j] = double(m[j]);
  }
  return r;
}

// out[p] = alpha Σ_c u[i, c] x[j, c] on A's pattern (k columns), 0 on the diagonal when skip_diagonal
template <class T>
Ref ref_masked_outer(const HostCsr<T>& A, const std::vector<T>& u, const std::vector<T>& x, index_t k = 1,
                     double alpha = 1, bool skip_diagonal = false) {
  Ref r(A.nnz());
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      const index_t j = A.ix[p];
      if (skip_diagonal && i == j) continue;
      ld s = 0, m = 0;
      for (index_t c = 0; c < k; ++c) {
        s += ld(u[size_t(i) * k + c]) * x[size_t(j) * k + c];
        m += std::fabs(ld(u[size_t(i) * k + c]) * x[size_t(j) * k + c]);
      }
      r.value[p] = double(alpha * s);
      r.mag[p] = double(std::fabs(alpha) * m);
    }
  return r;
}

// C = A D, D row-major A.cols × m
template <class T>
Ref ref_spdmm(const HostCsr<T>& A, const std::vector<T>& D, int64_t m) {
  Ref r(size_t(A.rows) * m);
  for (index_t i = 0; i < A.rows; ++i)
    for (int64_t c = 0; c < m; ++c) {
      ld s = 0, g = 0;
      for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
        const ld t = ld(A.val[p]) * D[size_t(A.ix[p]) * m + c];
        s += t;
        g += std::fabs(t);
      }
      r.value[size_t(i) * m + c] = double(s);
      r.mag[size_t(i) * m + c] = double(g);
    }
  return r;
}

// dD = Aᵀ V (A.cols × m)
template <class T>
Ref ref_spdmm_t(const HostCsr<T>& A, const std::vector<T>& V, int64_t m) {
  std::vector<ld> s(size_t(A.cols) * m, 0), g(size_t(A.cols) * m, 0);
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p)
      for (int64_t c = 0; c < m; ++c) {
        const ld t = ld(A.val[p]) * V[size_t(i) * m + c];
        s[size_t(A.ix[p]) * m + c] += t;
        g[size_t(A.ix[p]) * m + c] += std::fabs(t);
      }
  Ref r(s.size());
  for (size_t q = 0; q < s.size(); ++q) {
    r.value[q] = double(s[q]);
    r.mag[q] = double(g[q]);
  }
  return r;
}

// C = A B as row maps (column → (value, magnitude)); the pattern is symbolic.
struct SparseRef {
  index_t rows = 0, cols = 0;
  std::vector<std::map<index_t, std::pair<ld, ld>>> row;
  std::vector<index_t> indptr() const {
    std::vector<index_t> ip(size_t(rows) + 1, 0);
    for (index_t i = 0; i < rows; ++i) ip[i + 1] = ip[i] + index_t(row[i].size());
    return ip;
  }
  std::vector<index_t> indices() const {
    std::vector<index_t> ix;
    for (const auto& r : row)
      for (const auto& e : r) ix.push_back(e.first);
    return ix;
  }
  Ref values() const {
    Ref r;
    for (const auto& rr : row)
      for (const auto& e : rr) {
        r.value.push_back(double(e.second.first));
        r.mag.push_back(double(e.second.second));
      }
    return r;
  }
};

// Σ over A's entries (i, k) of the length of B's row k: the multiply-adds of A B.
template <class T>
int64_t spgemm_flops(const HostCsr<T>& A, const HostCsr<T>& B) {
  int64_t f = 0;
  for (int64_t p = 0; p < A.nnz(); ++p) f += B.ip[A.ix[p] + 1] - B.ip[A.ix[p]];
  return f;
}

template <class T>
SparseRef ref_spgemm(const HostCsr<T>& A, const HostCsr<T>& B) {
  SparseRef C;
  C.rows = A.rows;
  C.cols = B.cols;
  C.row.resize(A.rows);
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      const index_t k = A.ix[p];
      for (index_t q = B.ip[k]; q < B.ip[k + 1]; ++q) {
        auto& e = C.row[i][B.ix[q]];
        const ld t = ld(A.val[p]) * B.val[q];
        e.first += t;
        e.second += std::fabs(t);
      }
    }
  return C;
}

// dA = (V Bᵀ) ⊙ mask(A), dB = (Aᵀ V) ⊙ mask(B), V on C's pattern (c_ip, c_ix)
template <class T>
void ref_spgemm_backward(const HostCsr<T>& A, const HostCsr<T>& B, const std::vector<index_t>& c_ip,
                         const std::vector<index_t>& c_ix, const std::vector<T>& V, Ref& dA, Ref& dB) {
  auto vat = [&](index_t i, index_t j) -> ld {
    auto b = c_ix.begin() + c_ip[i], e = c_ix.begin() + c_ip[i + 1];
    auto it = std::lower_bound(b, e, j);
    return (it != e && *it == j) ? ld(V[it - c_ix.begin()]) : 0;
  };
  dA = Ref(A.nnz());
  std::vector<ld> sb(B.nnz(), 0), gb(B.nnz(), 0);
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      const index_t k = A.ix[p];
      ld s = 0, g = 0;
      for (index_t q = B.ip[k]; q < B.ip[k + 1]; ++q) {
        const ld v = vat(i, B.ix[q]);
        s += v * B.val[q];
        g += std::fabs(v * B.val[q]);
        sb[q] += ld(A.val[p]) * v;
        gb[q] += std::fabs(ld(A.val[p]) * v);
      }
      dA.value[p] = double(s);
      dA.mag[p] = double(g);
    }
  dB = Ref(B.nnz());
  for (int64_t q = 0; q < B.nnz(); ++q) {
    dB.value[q] = double(sb[q]);
    dB.mag[q] = double(gb[q]);
  }
}

// x = L⁻¹ b (lower or upper, unit or not), one right-hand side column c of k
template <class T>
std::vector<double> ref_trisolve(const HostCsr<T>& L, bool lower, bool unit, bool transpose, const std::vector<T>& b,
                                 index_t k = 1, index_t c = 0) {
  const index_t n = L.rows;
  std::vector<ld> x(n);
  for (index_t i = 0; i < n; ++i) x[i] = b[size_t(i) * k + c];
  // op(L) lower ⇔ (lower != transpose): solve ascending, else descending.
  if (!transpose) {
    for (index_t t = 0; t < n; ++t) {
      const index_t i = lower ? t : n - 1 - t;
      ld s = x[i], d = 1;
      for (index_t p = L.ip[i]; p < L.ip[i + 1]; ++p) {
        const index_t j = L.ix[p];
        if (j == i) d = unit ? 1 : ld(L.val[p]);
        else s -= ld(L.val[p]) * x[j];
      }
      x[i] = s / d;
    }
  } else {
    // Lᵀ w = v: column sweep over rows of L in reverse solve order.
    for (index_t t = 0; t < n; ++t) {
      const index_t i = lower ? n - 1 - t : t;
      ld d = 1;
      for (index_t p = L.ip[i]; p < L.ip[i + 1]; ++p)
        if (L.ix[p] == i && !unit) d = L.val[p];
      x[i] /= d;
      for (index_t p = L.ip[i]; p < L.ip[i + 1]; ++p)
        if (L.ix[p] != i) x[L.ix[p]] -= ld(L.val[p]) * x[i];
    }
  }
  return std::vector<double>(x.begin(), x.end());
}

// The normwise backward error of a solve, ‖op(A) x − b‖∞ / (‖A‖∞ ‖x‖∞ + ‖b‖∞),
// column by column: small for any backward-stable solve, however ill-conditioned A is.
template <class T>
void check_residual(const std::string& what, const HostCsr<T>& A, bool transpose, const std::vector<T>& x,
                    const std::vector<T>& b, index_t k, double tolerance) {
  const HostCsr<T> M = transpose ? sad_test::transpose(A) : A;
  ld norm_a = 0;
  for (index_t i = 0; i < M.rows; ++i) {
    ld s = 0;
    for (index_t p = M.ip[i]; p < M.ip[i + 1]; ++p) s += std::fabs(ld(M.val[p]));
    norm_a = std::max(norm_a, s);
  }
  for (index_t c = 0; c < k; ++c) {
    ld r = 0, nx = 0, nb = 0;
    for (index_t i = 0; i < M.rows; ++i) {
      ld s = -ld(b[size_t(i) * k + c]);
      for (index_t p = M.ip[i]; p < M.ip[i + 1]; ++p) s += ld(M.val[p]) * x[size_t(M.ix[p]) * k + c];
      r = std::max(r, std::fabs(s));
      nx = std::max(nx, std::fabs(ld(x[size_t(i) * k + c])));
      nb = std::max(nb, std::fabs(ld(b[size_t(i) * k + c])));
    }
    const ld err = r / (norm_a * nx + nb);
    SAD_CHECK(err <= tolerance) << what << ": backward error " << double(err) << " in column " << c;
  }
}

// C = op(A) op(B), row-major
template <class T>
Ref ref_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const std::vector<T>& A, const std::vector<T>& B) {
  Ref r(size_t(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      ld s = 0, g = 0;
      for (int64_t l = 0; l < k; ++l) {
        const ld a = ta ? A[size_t(l * m + i)] : A[size_t(i * k + l)];
        const ld b = tb ? B[size_t(j * k + l)] : B[size_t(l * n + j)];
        s += a * b;
        g += std::fabs(a * b);
      }
      r.value[size_t(i * n + j)] = double(s);
      r.mag[size_t(i * n + j)] = double(g);
    }
  return r;
}

// Dense shapes for the broadcasting tests: the element count, and a shape
// right-aligned to ndim axes (1 where absent).
using Shape = std::vector<int64_t>;

inline int64_t size_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

inline Shape aligned(const Shape& s, size_t ndim) {
  Shape r(ndim - s.size(), 1);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

// a ∘ b broadcast: both shapes right-aligned to their common rank, and the output's.
struct Broadcasting {
  Shape a, b, out;
};

inline Broadcasting broadcasting(const Shape& sa, const Shape& sb) {
  const size_t nd = std::max(sa.size(), sb.size());
  Broadcasting r{aligned(sa, nd), aligned(sb, nd), Shape(nd)};
  for (size_t d = 0; d < nd; ++d) r.out[d] = r.a[d] == 1 ? r.b[d] : r.a[d];
  return r;
}

struct TransposeStructure {
  std::vector<index_t> ip, ix, perm, inv;
};

// The transpose structure as transpose_structure_cpu gives it.
template <class T>
TransposeStructure transpose_of(const HostCsr<T>& A) {
  TransposeStructure t;
  t.ip.assign(size_t(A.cols) + 1, -1);
  t.ix.assign(A.nnz(), -1);
  t.perm.assign(A.nnz(), -1);
  t.inv.assign(A.nnz(), -1);
  sad::transpose_structure_cpu(A.rows, A.cols, A.ip.data(), A.ix.data(), t.ip.data(), t.ix.data(), t.perm.data(),
                               t.inv.data());
  return t;
}

// The matrices every sparse test runs on: hand-sized edge cases, random ones
// larger than a thread block and than the CPU kernels' parallel grain, skewed
// row lengths, the Poisson matrices and (when present) the real matrices.
template <class T>
std::vector<HostCsr<T>> test_matrices(bool with_real = true, bool square_only = false) {
  std::vector<HostCsr<T>> s;
  s.push_back(from_coo<T>("3x3 hand", 3, 3, {{0, 0, 1}, {0, 2, 2}, {2, 1, 3}, {2, 2, 4}}));
  s.push_back(from_coo<T>("1x1", 1, 1, {{0, 0, 2.5}}));
  s.push_back(from_coo<T>("4x4 no entries", 4, 4, {}));
  if (!square_only) {
    s.push_back(from_coo<T>("5x7 no entries", 5, 7, {}));
    s.push_back(random_csr<T>("random 37x23", 37, 23, 0.2, 11));
    s.push_back(random_csr<T>("random 3000x2500", 3000, 2500, 0.005, 12));
    s.push_back(skewed_csr<T>("skewed 2000x1500", 2000, 1500, 13));
  }
  s.push_back(random_csr<T>("random 300x300", 300, 300, 0.05, 14));
  s.push_back(random_csr<T>("random 4000x4000", 4000, 4000, 0.004, 15));
  s.push_back(skewed_csr<T>("skewed 1500x1500", 1500, 1500, 16));
  s.push_back(poisson1d<T>(1));
  s.push_back(poisson1d<T>(1000));
  s.push_back(poisson1d<T>(40000));
  s.push_back(poisson2d<T>(3));
  s.push_back(poisson2d<T>(100));
  if (with_real)
    for (const auto& A : real_matrices())
      if (!square_only || A.rows == A.cols) s.push_back(A.template as<T>());
  return s;
}

}  // namespace sad_test
