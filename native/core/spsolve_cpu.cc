#include "spsolve.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#ifdef SAD_HAVE_KLU
#include <klu.h>
#endif

namespace sad {

bool have_klu() {
#ifdef SAD_HAVE_KLU
  return true;
#else
  return false;
#endif
}

#ifdef SAD_HAVE_KLU

struct SparseLU::Analysis::Impl {
  klu_common common;  // the one the symbolic object was made with (and is freed with)
  klu_symbolic* symbolic = nullptr;
  index_t n = 0;
  int64_t nnz = 0;
  size_t bytes = 0;
  ~Impl() {
    if (symbolic) klu_free_symbolic(&symbolic, &common);
  }
};

struct SparseLU::Impl {
  klu_common common;  // this factorization's own: KLU keeps no global state
  std::shared_ptr<Analysis> analysis;
  klu_numeric* numeric = nullptr;
  index_t n = 0;
  size_t bytes = 0;
  double rgrowth = 0;  // KLU's reciprocal pivot growth of the last factorization that chose its pivots
  std::vector<double> work;  // refactor_numeric's X
  ~Impl() {
    if (numeric) klu_free_numeric(&numeric, &common);
  }
};

namespace {

[[noreturn]] void klu_failed(const char* op, const char* during, int status) {
  const char* what = status == KLU_OUT_OF_MEMORY ? "out of memory"
                     : status == KLU_INVALID     ? "invalid input"
                     : status == KLU_TOO_LARGE   ? "integer overflow (matrix too large)"
                                                 : "unknown error";
  fail(std::string(op) + ": KLU " + during + " failed with status " + std::to_string(status) + " (" + what + ")");
}

// A structurally singular A: no assignment of rows to columns covers every row,
// so no values can make it invertible. Names an empty row or column when there
// is one (the common case), since that is what a user can act on.
[[noreturn]] void structurally_singular(const char* op, const index_t* ip, const index_t* ix, index_t n,
                                        int rank) {
  std::string msg = std::string(op) + ": A is structurally singular (structural rank " + std::to_string(rank) +
                    " of " + std::to_string(n) + "): ";
  for (index_t i = 0; i < n; ++i)
    if (ip[i + 1] == ip[i]) fail(msg + "row " + std::to_string(i) + " has no entries");
  std::vector<char> seen(n, 0);
  for (index_t p = 0; p < ip[n]; ++p) seen[ix[p]] = 1;
  for (index_t j = 0; j < n; ++j)
    if (!seen[j]) fail(msg + "column " + std::to_string(j) + " has no entries");
  fail(msg + "its pattern has no perfect matching of rows to columns");
}

// klu_refactor's numeric work, the same arithmetic in the same order (the
// factors are bitwise klu_refactor's), with the inner update unrolled: for
// each column k of each diagonal block, scatter the scaled column of A into X,
// subtract L(:, j) u_jk for each j in U(:, k)'s stored pattern, then divide the
// rest by the pivot for L(:, k); off-diagonal-block entries go to Offx in the
// order klu_factor laid them out. KLU's storage (klu.h): column j of L (or U)
// in block b is Llen[j] row indices, then as many values, at LUbx[b] + Lip[j],
// counted in doubles; Rs is kept in pivot order. poisson2d(256, 256), 5.2e8
// flops, interleaved pairs on a 2-core VM: klu_refactor 191–300 ms, this 158–242
// ms (17–20% less each time; the same loop without the unroll pragma, or
// klu_refactor.c rebuilt with -O3, gains nothing). False where a pivot is zero
// or KLU would not scale (the caller then pivots afresh).
[[maybe_unused]] bool refactor_numeric(int* Ap, int* Ai, double* Ax, const klu_symbolic* S, klu_numeric* N,
                                       klu_common* c, std::vector<double>& work) {
  const int n = S->n;
  if (c->scale <= 0 || !N->Rs || !klu_scale(c->scale, n, Ap, Ai, Ax, N->Rs, nullptr, c)) return false;
  const double* Rs = N->Rs;  // by row of A until the end
  const int* Q = S->Q;
  const int* R = S->R;
  const int* Pinv = N->Pinv;
  double* Udiag = static_cast<double*>(N->Udiag);
  double* Offx = static_cast<double*>(N->Offx);
  const auto values_at = [](int len) { return (size_t(len) * sizeof(int) + sizeof(double) - 1) / sizeof(double); };
  work.assign(size_t(std::max(n, S->maxblock)), 0.0);
  double* X = work.data();
  int poff = 0;
  for (int b = 0; b < S->nblocks; ++b) {
    const int k1 = R[b], nk = R[b + 1] - k1;
    if (nk == 1) {
      const int col = Q[k1];
      double u = 0;
      for (int p = Ap[col]; p < Ap[col + 1]; ++p) {
        const double v = Ax[p] / Rs[Ai[p]];
        if (Pinv[Ai[p]] < k1) Offx[poff++] = v;
        else u = v;
      }
      if (u == 0) return false;
      Udiag[k1] = u;
      continue;
    }
    double* LU = static_cast<double*>(N->LUbx[b]);
    const int *Lip = N->Lip + k1, *Uip = N->Uip + k1, *Llen = N->Llen + k1, *Ulen = N->Ulen + k1;
    for (int k = 0; k < nk; ++k) {
      const int col = Q[k1 + k];
      for (int p = Ap[col]; p < Ap[col + 1]; ++p) {
        const int r = Pinv[Ai[p]] - k1;
        const double v = Ax[p] / Rs[Ai[p]];
        if (r < 0) Offx[poff++] = v;
        else X[r] = v;
      }
      const int ulen = Ulen[k];
      const int* Ui = reinterpret_cast<const int*>(LU + Uip[k]);
      double* Ux = LU + Uip[k] + values_at(ulen);
      for (int up = 0; up < ulen; ++up) {
        const int j = Ui[up];
        const double ujk = X[j];
        X[j] = 0;
        Ux[up] = ujk;
        const int llen = Llen[j];
        const int* Li = reinterpret_cast<const int*>(LU + Lip[j]);
        const double* Lx = LU + Lip[j] + values_at(llen);
#pragma GCC unroll 4
        for (int p = 0; p < llen; ++p) X[Li[p]] -= Lx[p] * ujk;
      }
      const double ukk = X[k];
      X[k] = 0;
      const int llen = Llen[k];
      const int* Li = reinterpret_cast<const int*>(LU + Lip[k]);
      double* Lx = LU + Lip[k] + values_at(llen);
      if (ukk == 0) return false;
      Udiag[k1 + k] = ukk;
      for (int p = 0; p < llen; ++p) {
        Lx[p] = X[Li[p]] / ukk;
        X[Li[p]] = 0;
      }
    }
  }
  for (int k = 0; k < n; ++k) X[k] = Rs[N->Pnum[k]];
  std::copy(X, X + n, N->Rs);
  return true;
}

// refactor_numeric reads KLU's factor storage as KLU 1.x lays it out (klu.h of
// SuiteSparse 5, which this was written and checked against); another KLU gets
// klu_refactor itself, the same factors a little slower.
bool refactor_values(int* Ap, int* Ai, double* Ax, const klu_symbolic* S, klu_numeric* N, klu_common* c,
                     std::vector<double>& work) {
#if defined(KLU_MAIN_VERSION) && KLU_MAIN_VERSION == 1
  return refactor_numeric(Ap, Ai, Ax, S, N, c, work);
#else
  (void)work;
  return klu_refactor(Ap, Ai, Ax, const_cast<klu_symbolic*>(S), N, c);
#endif
}

}  // namespace

std::shared_ptr<SparseLU::Analysis> SparseLU::analyze(index_t n, const index_t* indptr, const index_t* indices,
                                                      const char* op) {
  std::shared_ptr<Analysis> a(new Analysis());
  Analysis::Impl& m = *a->impl_;
  m.n = n;
  m.nnz = indptr[n];
  if (n == 0) return a;
  klu_defaults(&m.common);  // BTF + AMD, partial pivoting with tol 0.001, max row scaling, halt if singular
  // KLU reads but never writes the structure; its prototypes just lack const.
  m.symbolic = klu_analyze(n, const_cast<int*>(indptr), const_cast<int*>(indices), &m.common);
  if (!m.symbolic) klu_failed(op, "analysis", m.common.status);
  // BTF's maximum matching gives the structural rank.
  if (m.common.structural_rank >= 0 && m.common.structural_rank < n)
    structurally_singular(op, indptr, indices, n, m.common.structural_rank);
  m.bytes = m.common.memusage;
  return a;
}

template <class T>
std::unique_ptr<SparseLU> SparseLU::factor(ThreadPool& pool, const Csr<const T>& A,
                                           std::shared_ptr<Analysis> analysis, const char* op) {
  const index_t n = A.rows;
  if (!analysis) analysis = analyze(n, A.indptr, A.indices, op);
  if (analysis->n() != n || analysis->nnz() != A.nnz())
    fail(std::string(op) + ": the symbolic analysis is for another pattern");
  std::unique_ptr<SparseLU> lu(new SparseLU());
  Impl& m = *lu->impl_;
  m.n = n;
  m.analysis = std::move(analysis);
  if (n == 0) return lu;
  klu_defaults(&m.common);
  double* Ax;
  if constexpr (std::is_same_v<T, double>) {
    Ax = const_cast<double*>(A.values);
  } else {
    const int64_t nnz = A.nnz();
    Ax = static_cast<double*>(pool.scratch(0, size_t(nnz) * sizeof(double)));
    for (int64_t p = 0; p < nnz; ++p) Ax[p] = A.values[p];
  }
  m.numeric = klu_factor(const_cast<int*>(A.indptr), const_cast<int*>(A.indices), Ax,
                         m.analysis->impl_->symbolic, &m.common);
  if (!m.numeric) {
    if (m.common.status != KLU_SINGULAR) klu_failed(op, "factorization", m.common.status);
    // KLU factors M = Aᵀ, so the column of M it names is a row of A: the row
    // that is (numerically) a combination of those eliminated before it.
    fail(std::string(op) + ": A is numerically singular: zero pivot for row " +
         std::to_string(m.common.singular_col) + " of A (elimination step " +
         std::to_string(m.common.numerical_rank) + " of " + std::to_string(n) + ")");
  }
  m.rgrowth = klu_rgrowth(const_cast<int*>(A.indptr), const_cast<int*>(A.indices), Ax, m.analysis->impl_->symbolic,
                          m.numeric, &m.common)
                  ? m.common.rgrowth
                  : 0;
  m.bytes = m.common.memusage;
  return lu;
}

template <class T>
bool SparseLU::refactor(ThreadPool& pool, const Csr<const T>& A, const char* op) {
  Impl& m = *impl_;
  const index_t n = m.n;
  if (A.rows != n || A.nnz() != m.analysis->nnz()) fail(std::string(op) + ": A has another pattern than the factored matrix");
  if (n == 0) return true;
  double* Ax;
  if constexpr (std::is_same_v<T, double>) {
    Ax = const_cast<double*>(A.values);
  } else {
    const int64_t nnz = A.nnz();
    Ax = static_cast<double*>(pool.scratch(0, size_t(nnz) * sizeof(double)));
    for (int64_t p = 0; p < nnz; ++p) Ax[p] = A.values[p];
  }
  klu_symbolic* symbolic = m.analysis->impl_->symbolic;
  int* Ap = const_cast<int*>(A.indptr);
  int* Ai = const_cast<int*>(A.indices);
  // The old pivot order suits the new values when no pivot vanished, KLU's
  // condition estimate min|u_kk| / max|u_kk| stays above 1e-12, and the
  // reciprocal pivot growth (min over columns of max|A_:j| / max|U_:j|) is at
  // least 1e-3 of the last freshly pivoted factorization's: the element growth
  // the old pivots allow is then within the 1/tol = 1000 that partial pivoting
  // with KLU's tolerance (0.001) itself accepts.
  if (m.numeric && refactor_values(Ap, Ai, Ax, symbolic, m.numeric, &m.common, m.work) &&
      klu_rcond(symbolic, m.numeric, &m.common) && m.common.rcond > 1e-12 &&
      klu_rgrowth(Ap, Ai, Ax, symbolic, m.numeric, &m.common) && m.common.rgrowth >= 1e-3 * m.rgrowth) {
    m.bytes = m.common.memusage;
    return true;
  }
  // The old pivot order does not suit the new values: pivot afresh.
  if (m.numeric) klu_free_numeric(&m.numeric, &m.common);
  m.numeric = klu_factor(Ap, Ai, Ax, symbolic, &m.common);
  if (!m.numeric) {
    if (m.common.status != KLU_SINGULAR) klu_failed(op, "factorization", m.common.status);
    fail(std::string(op) + ": A is numerically singular: zero pivot for row " +
         std::to_string(m.common.singular_col) + " of A (elimination step " +
         std::to_string(m.common.numerical_rank) + " of " + std::to_string(n) + ")");
  }
  m.rgrowth = klu_rgrowth(Ap, Ai, Ax, symbolic, m.numeric, &m.common) ? m.common.rgrowth : 0;
  m.bytes = m.common.memusage;
  return false;
}

template <class T>
void SparseLU::solve(ThreadPool& pool, bool transpose, const T* b, T* x, index_t k) {
  Impl& m = *impl_;
  const index_t n = m.n;
  if (n == 0 || k == 0) return;
  double* B;
  const bool in_place = std::is_same_v<T, double> && k == 1;
  if (in_place) {
    B = reinterpret_cast<double*>(x);
    if (static_cast<const void*>(b) != static_cast<void*>(x)) std::memcpy(B, b, size_t(n) * sizeof(double));
  } else {
    // KLU wants column-major doubles; ours are row-major n × k in T.
    B = static_cast<double*>(pool.scratch(0, size_t(n) * size_t(k) * sizeof(double)));
    for (index_t i = 0; i < n; ++i)
      for (index_t c = 0; c < k; ++c) B[int64_t(c) * n + i] = b[int64_t(i) * k + c];
  }
  // M = Aᵀ: A x = b is Mᵀ x = b (klu_tsolve); Aᵀ x = b is M x = b (klu_solve).
  klu_symbolic* symbolic = m.analysis->impl_->symbolic;
  const int ok = transpose ? klu_solve(symbolic, m.numeric, n, k, B, &m.common)
                           : klu_tsolve(symbolic, m.numeric, n, k, B, &m.common);
  if (!ok) klu_failed("spsolve", "solve", m.common.status);
  if (!in_place)
    for (index_t i = 0; i < n; ++i)
      for (index_t c = 0; c < k; ++c) x[int64_t(i) * k + c] = static_cast<T>(B[int64_t(c) * n + i]);
}

#else  // no KLU

struct SparseLU::Analysis::Impl {
  index_t n = 0;
  int64_t nnz = 0;
  size_t bytes = 0;
};

struct SparseLU::Impl {
  index_t n = 0;
  size_t bytes = 0;
};

std::shared_ptr<SparseLU::Analysis> SparseLU::analyze(index_t, const index_t*, const index_t*, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse KLU");
}

template <class T>
std::unique_ptr<SparseLU> SparseLU::factor(ThreadPool&, const Csr<const T>&, std::shared_ptr<Analysis>,
                                           const char* op) {
  fail(std::string(op) + ": built without SuiteSparse KLU");
}

template <class T>
void SparseLU::solve(ThreadPool&, bool, const T*, T*, index_t) {
  fail("spsolve: built without SuiteSparse KLU");
}

template <class T>
bool SparseLU::refactor(ThreadPool&, const Csr<const T>&, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse KLU");
}

#endif

SparseLU::Analysis::Analysis() : impl_(new Impl()) {}
SparseLU::Analysis::~Analysis() = default;
index_t SparseLU::Analysis::n() const { return impl_->n; }
int64_t SparseLU::Analysis::nnz() const { return impl_->nnz; }
size_t SparseLU::Analysis::bytes() const { return impl_->bytes; }

SparseLU::SparseLU() : impl_(new Impl()) {}
SparseLU::~SparseLU() = default;
index_t SparseLU::n() const { return impl_->n; }
size_t SparseLU::bytes() const { return impl_->bytes; }

#define SAD_INSTANTIATE(T)                                                                                   \
  template std::unique_ptr<SparseLU> SparseLU::factor<T>(ThreadPool&, const Csr<const T>&,                 \
                                                         std::shared_ptr<SparseLU::Analysis>, const char*); \
  template void SparseLU::solve<T>(ThreadPool&, bool, const T*, T*, index_t);                              \
  template bool SparseLU::refactor<T>(ThreadPool&, const Csr<const T>&, const char*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
