#include "cholesky.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#ifdef SAD_HAVE_CHOLMOD
#include <cholmod.h>
#endif
#ifdef SAD_HAVE_BLAS
#include <cblas.h>
#endif

namespace sad {

bool have_cholmod() {
#ifdef SAD_HAVE_CHOLMOD
  return true;
#else
  return false;
#endif
}

#ifdef SAD_HAVE_CHOLMOD

namespace {

// CHOLMOD's own printing is off: every failure becomes an Error naming the op.
void quiet_start(cholmod_common* c) {
  cholmod_start(c);
  c->print = 0;
  c->error_handler = nullptr;
}

[[noreturn]] void cholmod_failed(const char* op, const char* during, int status) {
  const char* what = status == CHOLMOD_OUT_OF_MEMORY ? "out of memory"
                     : status == CHOLMOD_TOO_LARGE   ? "integer overflow (matrix too large)"
                     : status == CHOLMOD_INVALID     ? "invalid input"
                     : status == CHOLMOD_NOT_INSTALLED ? "method not installed"
                                                     : "unknown error";
  fail(std::string(op) + ": CHOLMOD " + during + " failed with status " + std::to_string(status) + " (" + what + ")");
}

const char* ordering_str(int ordering) {
  switch (ordering) {
    case CHOLMOD_NATURAL: return "natural";
    case CHOLMOD_GIVEN: return "given";
    case CHOLMOD_AMD: return "amd";
    case CHOLMOD_METIS: return "metis";
    case CHOLMOD_NESDIS: return "nesdis";
    case CHOLMOD_COLAMD: return "colamd";
    case CHOLMOD_POSTORDERED: return "postordered";
    default: return "unknown";
  }
}

// Bytes of a numeric factor, counted from its arrays as CHOLMOD allocates them.
size_t factor_bytes(const cholmod_factor* L) {
  const size_t n = L->n;
  size_t b = n * sizeof(int) * 2;  // Perm, ColCount
  if (L->is_super) {
    b += (L->nsuper + 1) * sizeof(int) * 3 + L->ssize * sizeof(int) + L->xsize * sizeof(double);
  } else {
    b += (n + 1) * sizeof(int) + n * sizeof(int) * 3 + (n + 2) * sizeof(int) * 2 +
         L->nzmax * (sizeof(int) + sizeof(double));
  }
  return b;
}

#ifdef SAD_HAVE_BLAS
extern "C" void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);

// Reused between factorizations of one factor.
struct SupernodalWork {
  std::vector<int> map;        // row index -> its position in the current supernode's rows
  std::vector<int> col2super;  // column -> the supernode holding it
  std::vector<int> head, next; // per supernode s: the descendants whose next update goes to s
  std::vector<int> pos;        // per descendant: its first row not yet used for an update
  std::vector<double> C;       // one update, m2 x m1
};

// Left-looking supernodal Cholesky into the supernodal layout of CHOLMOD's
// symbolic factor L (super, pi, px, s; L->x of L->xsize doubles), from the
// lower triangle of P S Pᵀ in CSC (Cp, Ci, Cx). Supernode s gathers its columns
// of C, subtracts the update L_d L_dᵀ of every earlier supernode d with rows in
// its columns (one dsyrk and one dgemm each, then a scatter through map), and
// factors itself (dpotrf, dtrsm); d then waits for the supernode of its next
// row. The same BLAS calls in the same order as cholmod_super_numeric (logdet
// and solves agree to the last digit), without its OpenMP regions: CHOLMOD 3
// runs each clear, scatter and assembly loop over 64 rows as one, a fork and
// join of a fixed 4 threads (or, serialized, still a futex call) around a few
// microseconds of work, ~43 000 per factorization of poisson2d(256, 256) with
// AMD. Measured there (2-core VM, median refactor): cholmod_super_numeric
// 159 ms (95 ms with its regions serialized), this 27 ms. Returns -1, or the
// column of L whose pivot was not positive.
long supernodal_numeric(const index_t* Cp, const index_t* Ci, const double* Cx, cholmod_factor* L,
                        SupernodalWork& w) {
  const int n = int(L->n), nsuper = int(L->nsuper);
  const int* super = static_cast<const int*>(L->super);
  const int* pi = static_cast<const int*>(L->pi);
  const int* px = static_cast<const int*>(L->px);
  const int* Ls = static_cast<const int*>(L->s);
  double* Lx = static_cast<double*>(L->x);
  w.map.resize(size_t(n));
  w.col2super.resize(size_t(n));
  for (int sn = 0; sn < nsuper; ++sn)
    for (int c = super[sn]; c < super[sn + 1]; ++c) w.col2super[c] = sn;
  w.head.assign(size_t(nsuper), -1);
  w.next.resize(size_t(nsuper));
  w.pos.resize(size_t(nsuper));
  if (w.C.size() < L->maxcsize) w.C.resize(L->maxcsize);
  int* map = w.map.data();
  for (int sn = 0; sn < nsuper; ++sn) {
    const int k1 = super[sn], k2 = super[sn + 1], nscol = k2 - k1;
    const int psi = pi[sn], nsrow = pi[sn + 1] - psi;
    const int* rows = Ls + psi;
    double* Xs = Lx + px[sn];  // nsrow x nscol, column-major
    for (int t = 0; t < nsrow; ++t) map[rows[t]] = t;
    std::fill(Xs, Xs + size_t(nsrow) * nscol, 0.0);
    for (int j = k1; j < k2; ++j) {
      double* xj = Xs + size_t(j - k1) * nsrow;
      for (index_t p = Cp[j]; p < Cp[j + 1]; ++p) xj[map[Ci[p]]] = Cx[p];
    }
    for (int d = w.head[sn]; d >= 0;) {
      const int dnext = w.next[d];
      const int dnscol = super[d + 1] - super[d], dnsrow = pi[d + 1] - pi[d], p0 = w.pos[d];
      const int* drows = Ls + pi[d];
      int p1 = p0;
      while (p1 < dnsrow && drows[p1] < k2) ++p1;
      const int m1 = p1 - p0, m2 = dnsrow - p0;  // d's rows in s's columns; all its rows from there on
      const double* Ld = Lx + px[d] + p0;        // leading dimension dnsrow
      if (w.C.size() < size_t(m1) * m2) w.C.resize(size_t(m1) * m2);
      double* Cw = w.C.data();
      // C = L_d[p0:, :] L_d[p0:p1, :]ᵀ (the top m1 x m1 block's lower triangle, then the rows below)
      cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, m1, dnscol, 1.0, Ld, dnsrow, 0.0, Cw, m2);
      if (m2 > m1)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m2 - m1, m1, dnscol, 1.0, Ld + m1, dnsrow, Ld, dnsrow,
                    0.0, Cw + m1, m2);
      for (int jj = 0; jj < m1; ++jj) {
        double* xc = Xs + size_t(map[drows[p0 + jj]]) * nsrow;
        const double* cc = Cw + size_t(jj) * m2;
        for (int ii = jj; ii < m2; ++ii) xc[map[drows[p0 + ii]]] -= cc[ii];
      }
      if (p1 < dnsrow) {
        const int s2 = w.col2super[drows[p1]];
        w.pos[d] = p1;
        w.next[d] = w.head[s2];
        w.head[s2] = d;
      }
      d = dnext;
    }
    int info = 0;
    dpotrf_("L", &nscol, Xs, &nsrow, &info);
    if (info > 0) return k1 + info - 1;
    if (nsrow > nscol) {
      cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, nsrow - nscol, nscol, 1.0, Xs, nsrow,
                  Xs + nscol, nsrow);
      const int s2 = w.col2super[rows[nscol]];
      w.pos[sn] = nscol;
      w.next[sn] = w.head[s2];
      w.head[s2] = sn;
    }
  }
  return -1;
}
#endif

}  // namespace

// A cholmod_common for one call: CHOLMOD's workspace lives in the common, so a
// short-lived one frees it when the call is done (an analysis keeps no workspace).
struct ScopedCommon {
  cholmod_common c;
  ScopedCommon() { quiet_start(&c); }
  ~ScopedCommon() { cholmod_finish(&c); }
};

struct SparseCholesky::Analysis::Impl {
  cholmod_factor* symbolic = nullptr;  // CHOLMOD's symbolic factor (ordering, etree, supernodes)
  index_t n = 0;
  int64_t nnz = 0;
  CholStorage storage = CholStorage::full;
  std::vector<index_t> Ap, Aj;  // A's pattern (for the gradients)
  // The matrix CHOLMOD's numeric factorization reads, already permuted (P S Pᵀ)
  // and in the triangle it wants: the lower one in CSC for the supernodal
  // factorization, the upper one for the simplicial (cholmod_rowfac). Entry p of
  // A adds weight(p) · A_p to Cx[cpos[p]], so a (re)factorization is one scatter
  // and one call, without the one or two permuted copies of the matrix that
  // cholmod_factorize makes on every call.
  std::vector<index_t> Cp, Ci, cpos;
  int cstype = -1;
  size_t bytes = 0;
  ~Impl() {
    if (symbolic) {
      ScopedCommon sc;
      cholmod_free_factor(&symbolic, &sc.c);
    }
  }
};

struct SparseCholesky::Impl {
  cholmod_common common;  // kept: its workspace serves every refactor and solve
  std::shared_ptr<Analysis> analysis;
  cholmod_factor* L = nullptr;
  std::vector<double> Cx;
#ifdef SAD_HAVE_BLAS
  SupernodalWork work;
#endif
  cholmod_dense *X = nullptr, *Y = nullptr, *E = nullptr;  // cholmod_solve2's, reused
  bool valid = false;
  size_t selinv_bytes = 0;
  Impl() { quiet_start(&common); }
  ~Impl() {
    if (L) cholmod_free_factor(&L, &common);
    cholmod_free_dense(&X, &common);
    cholmod_free_dense(&Y, &common);
    cholmod_free_dense(&E, &common);
    cholmod_finish(&common);
  }

  // P S Pᵀ's values in the analysis's layout: S = (A + Aᵀ)/2 for full storage,
  // the stored triangle otherwise.
  template <class T>
  void assemble(const T* values) {
    const Analysis::Impl& a = *analysis->impl_;
    Cx.assign(a.Ci.size(), 0.0);
    const bool full = a.storage == CholStorage::full;
    for (index_t i = 0; i < a.n; ++i)
      for (index_t p = a.Ap[i]; p < a.Ap[i + 1]; ++p)
        Cx[a.cpos[p]] += (full && a.Aj[p] != i ? 0.5 : 1.0) * double(values[p]);
  }

  // Numeric factorization into L (a fresh copy of the symbolic factor when L is
  // absent or was turned simplicial by a selected inversion); L's storage is
  // reused by every later one.
  void numeric(const char* op) {
    Analysis::Impl& a = *analysis->impl_;
    valid = false;
    if (L && L->is_super != a.symbolic->is_super) cholmod_free_factor(&L, &common);
    if (!L) {
      L = cholmod_copy_factor(a.symbolic, &common);
      if (!L) cholmod_failed(op, "copy of the symbolic factor", common.status);
    }
    cholmod_sparse C;
    std::memset(&C, 0, sizeof C);
    C.nrow = C.ncol = a.n;
    C.nzmax = a.Ci.size();
    C.p = a.Cp.data();
    C.i = a.Ci.data();
    C.x = Cx.data();
    C.stype = a.cstype;
    C.itype = CHOLMOD_INT;
    C.xtype = CHOLMOD_REAL;
    C.dtype = CHOLMOD_DOUBLE;
    C.sorted = 1;
    C.packed = 1;
    double zero[2] = {0, 0};
    common.status = CHOLMOD_OK;
    if (L->is_super) {
#ifdef SAD_HAVE_BLAS
      if (L->xtype == CHOLMOD_PATTERN) {
        L->x = cholmod_malloc(L->xsize, sizeof(double), &common);
        if (!L->x) cholmod_failed(op, "allocation of the factor", common.status);
        L->xtype = CHOLMOD_REAL;
        L->dtype = CHOLMOD_DOUBLE;
      }
      L->is_ll = 1;
      const long k = supernodal_numeric(a.Cp.data(), a.Ci.data(), Cx.data(), L, work);
      L->minor = k < 0 ? L->n : size_t(k);
      if (k >= 0) common.status = CHOLMOD_NOT_POSDEF;
#else
      cholmod_super_numeric(&C, nullptr, zero, L, &common);
#endif
    } else {
      // L Lᵀ directly (not CHOLMOD's default LDLᵀ): a pivot that is not positive stops it.
      L->is_ll = 1;
      const size_t grow2 = common.grow2;
      if (L->xtype == CHOLMOD_PATTERN) common.grow2 = 0;  // exactly the space L needs
      cholmod_rowfac(&C, nullptr, zero, 0, a.n, L, &common);
      common.grow2 = grow2;
      // Packed, as cholmod_factorize leaves it (the selected inversion reads columns as Lp[j]..Lp[j+1]).
      if (common.status == CHOLMOD_OK && !cholmod_change_factor(CHOLMOD_REAL, 1, 0, 1, 1, L, &common))
        cholmod_failed(op, "packing of the factor", common.status);
    }
    if (common.status == CHOLMOD_NOT_POSDEF) {
      const int* perm = static_cast<const int*>(L->Perm);
      const size_t k = L->minor;
      const std::string msg = std::string(op) + ": A is not positive definite: the factorization failed at column " +
                              std::to_string(perm[k]) + " of A (pivot " + std::to_string(k) + " of " +
                              std::to_string(a.n) + " in the " + ordering_str(L->ordering) + " ordering)";
      cholmod_free_factor(&L, &common);  // the next factorization starts from the symbolic factor
      fail(msg);
    }
    if (common.status < CHOLMOD_OK) cholmod_failed(op, "factorization", common.status);
    valid = true;
  }
};

std::shared_ptr<SparseCholesky::Analysis> SparseCholesky::analyze(index_t n, const index_t* indptr,
                                                                  const index_t* indices, CholStorage storage,
                                                                  CholOrdering ordering, const char* op) {
  std::shared_ptr<Analysis> an(new Analysis());
  Analysis::Impl& a = *an->impl_;
  a.n = n;
  a.nnz = indptr[n];
  a.storage = storage;
  a.Ap.assign(indptr, indptr + n + 1);
  a.Aj.assign(indices, indices + a.nnz);
  // Each stored (i, j) goes to (min, max) of the upper triangle; the two
  // entries of a symmetric pair share one slot.
  std::vector<index_t> count(size_t(n) + 1, 0);
  for (index_t i = 0; i < n; ++i)
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const index_t j = indices[p];
      if (storage == CholStorage::upper && j < i)
        fail(std::string(op) + ": storage 'upper' but A has entry (" + std::to_string(i) + ", " + std::to_string(j) +
             ") below the diagonal");
      if (storage == CholStorage::lower && j > i)
        fail(std::string(op) + ": storage 'lower' but A has entry (" + std::to_string(i) + ", " + std::to_string(j) +
             ") above the diagonal");
      count[std::min(i, j)]++;
    }
  std::vector<std::pair<index_t, index_t>> items(a.nnz);  // (column of S's upper row, entry p), per row
  std::vector<index_t> start(size_t(n) + 1, 0);
  for (index_t r = 0; r < n; ++r) start[r + 1] = start[r] + count[r];
  std::vector<index_t> fill(start.begin(), start.end() - 1);
  for (index_t i = 0; i < n; ++i)
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const index_t j = indices[p];
      items[fill[std::min(i, j)]++] = {std::max(i, j), p};
    }
  std::vector<index_t> slot(a.nnz), Sp(size_t(n) + 1, 0), Si;
  Si.reserve(a.nnz);
  for (index_t r = 0; r < n; ++r) {
    std::sort(items.begin() + start[r], items.begin() + start[r + 1]);
    for (index_t t = start[r]; t < start[r + 1]; ++t) {
      if (t == start[r] || items[t].first != items[t - 1].first) Si.push_back(items[t].first);
      slot[items[t].second] = index_t(Si.size()) - 1;
    }
    Sp[r + 1] = index_t(Si.size());
  }

  ScopedCommon sc;
  cholmod_common& c = sc.c;
  switch (ordering) {
    case CholOrdering::best_default: break;  // AMD, and METIS too when AMD's fill is high
    case CholOrdering::best: c.nmethods = CHOLMOD_MAXMETHODS; break;  // every method, the least fill wins
    default:
      c.nmethods = 1;
      c.method[0].ordering = ordering == CholOrdering::amd      ? CHOLMOD_AMD
                             : ordering == CholOrdering::metis  ? CHOLMOD_METIS
                             : ordering == CholOrdering::nesdis ? CHOLMOD_NESDIS
                                                                : CHOLMOD_NATURAL;
      c.postorder = 1;
  }
  // Relaxed supernodal amalgamation is left at CHOLMOD's default (nrelax
  // 4/16/48, zrelax 0.8/0.1): larger supernodes pad L with zeros to make fewer,
  // larger BLAS calls, which paid while cholmod_super_numeric spent a fork and
  // join per supernode and update; supernodal_numeric does not. Measured
  // (2-core VM, median refactor / logdet VJP, entries of L), 4/16/48 vs 8/32/96
  // vs 16/64/160:
  //   poisson2d(256, 256): 25 / 146 ms, 3.39 M; 24 / 168 ms, 4.48 M; 28 / 241 ms, 6.67 M
  //   poisson2d(512, 512): 136 / 724 ms, 15.8 M; 135 / 807 ms, 20.3 M; 161 / 1155 ms, 29.2 M
  //   poisson2d(1000, 1000): 768 ms / 4.9 s, 67.8 M; 1040 ms / 5.5 s, 84.8 M
  cholmod_sparse S;
  std::memset(&S, 0, sizeof S);
  S.nrow = S.ncol = n;
  S.nzmax = Si.size();
  S.p = Sp.data();
  S.i = Si.data();
  S.stype = -1;
  S.itype = CHOLMOD_INT;
  S.xtype = CHOLMOD_PATTERN;
  S.dtype = CHOLMOD_DOUBLE;
  S.sorted = 1;
  S.packed = 1;
  a.symbolic = cholmod_analyze(&S, &c);
  if (!a.symbolic) cholmod_failed(op, "analysis", c.status);

  // The numeric factorization's input, made as cholmod_factorize makes it (the
  // permuted transposes), once: the values carried through are S's slot
  // numbers, so each entry of the result names the slot it came from.
  std::vector<double> ids(Si.size());
  for (size_t t = 0; t < ids.size(); ++t) ids[t] = double(t);
  S.xtype = CHOLMOD_REAL;
  S.x = ids.data();
  cholmod_sparse* upper = cholmod_ptranspose(&S, 2, static_cast<int*>(a.symbolic->Perm), nullptr, 0, &c);  // triu(P S Pᵀ)
  if (!upper) cholmod_failed(op, "permutation of the matrix", c.status);
  cholmod_sparse* C = upper;
  if (a.symbolic->is_super) {
    C = cholmod_ptranspose(upper, 2, nullptr, nullptr, 0, &c);  // tril(P S Pᵀ)
    cholmod_free_sparse(&upper, &c);
    if (!C) cholmod_failed(op, "permutation of the matrix", c.status);
  }
  const int* Cp = static_cast<const int*>(C->p);
  const size_t nzC = size_t(Cp[n]);
  a.Cp.assign(Cp, Cp + n + 1);
  a.Ci.assign(static_cast<const int*>(C->i), static_cast<const int*>(C->i) + nzC);
  a.cstype = C->stype;
  std::vector<index_t> at(Si.size());
  const double* Cx = static_cast<const double*>(C->x);
  for (size_t t = 0; t < nzC; ++t) at[size_t(Cx[t])] = index_t(t);
  cholmod_free_sparse(&C, &c);
  a.cpos.resize(a.nnz);
  for (int64_t p = 0; p < a.nnz; ++p) a.cpos[p] = at[slot[p]];
  a.bytes = (a.Ap.size() + a.Aj.size() + a.Cp.size() + a.Ci.size() + a.cpos.size()) * sizeof(index_t) +
            factor_bytes(a.symbolic);
  return an;
}

template <class T>
std::unique_ptr<SparseCholesky> SparseCholesky::factor(const T* values, std::shared_ptr<Analysis> analysis,
                                                       const char* op) {
  std::unique_ptr<SparseCholesky> f(new SparseCholesky());
  f->impl_->analysis = std::move(analysis);
  f->refactor(values, op);
  return f;
}

template <class T>
void SparseCholesky::refactor(const T* values, const char* op) {
  impl_->assemble(values);
  impl_->numeric(op);
}

index_t SparseCholesky::n() const { return impl_->analysis->impl_->n; }
int64_t SparseCholesky::nnz() const { return impl_->analysis->impl_->nnz; }
size_t SparseCholesky::bytes() const { return impl_->L ? factor_bytes(impl_->L) : 0; }
int64_t SparseCholesky::nnz_factor() const {
  const cholmod_factor* L = impl_->L;
  if (!L) return 0;
  return L->is_super ? int64_t(L->xsize) : int64_t(static_cast<const int*>(L->p)[L->n]);
}
bool SparseCholesky::supernodal() const { return impl_->L && impl_->L->is_super; }
const char* SparseCholesky::ordering_name() const { return impl_->L ? ordering_str(impl_->L->ordering) : "none"; }
size_t SparseCholesky::last_selinv_bytes() const { return impl_->selinv_bytes; }

double SparseCholesky::logdet() const {
  const cholmod_factor* L = impl_->L;
  if (!impl_->valid) fail("cholesky: the factor is not valid (its last factorization failed)");
  const double* Lx = static_cast<const double*>(L->x);
  double s = 0;
  if (L->is_super) {
    const int* super = static_cast<const int*>(L->super);
    const int* pi = static_cast<const int*>(L->pi);
    const int* px = static_cast<const int*>(L->px);
    for (size_t sn = 0; sn < L->nsuper; ++sn) {
      const int nscol = super[sn + 1] - super[sn], nsrow = pi[sn + 1] - pi[sn];
      for (int jj = 0; jj < nscol; ++jj) s += std::log(Lx[px[sn] + size_t(jj) * nsrow + jj]);
    }
  } else {
    const int* Lp = static_cast<const int*>(L->p);
    for (size_t j = 0; j < L->n; ++j) s += std::log(Lx[Lp[j]]);
  }
  return 2 * s;
}

template <class T>
void SparseCholesky::solve(ThreadPool& pool, const T* b, T* x, index_t k) {
  Impl& m = *impl_;
  if (!m.valid) fail("cholesky: the factor is not valid (its last factorization failed)");
  const index_t n = m.analysis->impl_->n;
  if (n == 0 || k == 0) return;
  // CHOLMOD wants column-major doubles; ours are row-major n × k in T (a
  // float64 vector is read where it is).
  double* B;
  if (std::is_same_v<T, double> && k == 1) {
    B = const_cast<double*>(reinterpret_cast<const double*>(b));
  } else {
    B = static_cast<double*>(pool.scratch(0, size_t(n) * size_t(k) * sizeof(double)));
    for (index_t i = 0; i < n; ++i)
      for (index_t c = 0; c < k; ++c) B[int64_t(c) * n + i] = double(b[int64_t(i) * k + c]);
  }
  cholmod_dense Bd;
  std::memset(&Bd, 0, sizeof Bd);
  Bd.nrow = n;
  Bd.ncol = k;
  Bd.nzmax = size_t(n) * k;
  Bd.d = n;
  Bd.x = B;
  Bd.xtype = CHOLMOD_REAL;
  Bd.dtype = CHOLMOD_DOUBLE;
  // cholmod_solve2 keeps X and its workspace (Y, E) between calls of one size.
  if (!cholmod_solve2(CHOLMOD_A, m.L, &Bd, nullptr, &m.X, nullptr, &m.Y, &m.E, &m.common))
    cholmod_failed("cholesky", "solve", m.common.status);
  const double* Xx = static_cast<const double*>(m.X->x);
  for (index_t i = 0; i < n; ++i)
    for (index_t c = 0; c < k; ++c) x[int64_t(i) * k + c] = static_cast<T>(Xx[int64_t(c) * n + i]);
}

#ifdef SAD_HAVE_BLAS
// Selected inversion on a supernodal factor, supernode by supernode from the
// last: for supernode J (columns) with below-diagonal rows R,
//   Z_RJ = −Z_RR L_RJ L_JJ⁻¹,    Z_JJ = (L_JJ⁻ᵀ − Z_RJᵀ L_RJ) L_JJ⁻¹
// (the block form of Takahashi's recurrences, from Z L = L⁻ᵀ). Z_RR is gathered
// from later supernodes (R is a clique of the filled graph, so every entry is
// on L's pattern); the products are dense BLAS. Z has L's supernodal layout.
// Writes dA as logdet_grad does; returns the bytes of its own buffers.
template <class T>
size_t supernodal_selinv(const cholmod_factor* L, const index_t* Ap, const index_t* Aj, index_t n, bool full,
                         T scale, T* dA) {
  const int* super = static_cast<const int*>(L->super);
  const int* pi = static_cast<const int*>(L->pi);
  const int* px = static_cast<const int*>(L->px);
  const int* Ls = static_cast<const int*>(L->s);
  const double* Lx = static_cast<const double*>(L->x);
  const int* perm = static_cast<const int*>(L->Perm);
  const int nsuper = int(L->nsuper);
  std::vector<double> Z(L->xsize, 0.0);
  std::vector<int> col2super(size_t(n), 0), map(size_t(n), -1);
  size_t maxm = 0, maxc = 0;
  for (int sn = 0; sn < nsuper; ++sn) {
    for (int c = super[sn]; c < super[sn + 1]; ++c) col2super[c] = sn;
    const size_t nscol = size_t(super[sn + 1] - super[sn]), nsrow = size_t(pi[sn + 1] - pi[sn]);
    maxm = std::max(maxm, nsrow - nscol);
    maxc = std::max(maxc, nscol);
  }
  std::vector<double> Zrr(maxm * maxm), Y(maxm * maxc), B(maxc * maxc);
  const size_t bytes = (Z.size() + Zrr.size() + Y.size() + B.size()) * sizeof(double) + 2 * size_t(n) * sizeof(int);
  for (int sn = nsuper - 1; sn >= 0; --sn) {
    const int k1 = super[sn], nscol = super[sn + 1] - k1, nsrow = pi[sn + 1] - pi[sn], m = nsrow - nscol;
    const int* R = Ls + pi[sn] + nscol;
    const double* Ljj = Lx + px[sn];
    const double* Lrj = Ljj + nscol;  // leading dimension nsrow
    double* Zs = Z.data() + px[sn];
    if (m > 0) {
      for (int t = 0; t < m; ++t) map[R[t]] = t;
      // Z_RR (m × m, both triangles) from the columns c ∈ R of later supernodes.
      for (int t = 0; t < m; ++t) {
        const int c = R[t], s2 = col2super[c];
        const int cc = c - super[s2], nsrow2 = pi[s2 + 1] - pi[s2];
        const int* rows2 = Ls + pi[s2];
        const double* zc = Z.data() + px[s2] + size_t(cc) * nsrow2;
        for (int q = cc; q < nsrow2; ++q) {
          const int u = map[rows2[q]];
          if (u < 0) continue;
          Zrr[size_t(t) * m + u] = zc[q];
          Zrr[size_t(u) * m + t] = zc[q];
        }
      }
      for (int t = 0; t < m; ++t) map[R[t]] = -1;
      // Y = Z_RR L_RJ, then Z_RJ = −Y L_JJ⁻¹ (written into Z's block)
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, nscol, m, 1.0, Zrr.data(), m, Lrj, nsrow, 0.0,
                  Y.data(), m);
      cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, m, nscol, -1.0, Ljj, nsrow,
                  Y.data(), m);
      for (int cj = 0; cj < nscol; ++cj)
        std::memcpy(Zs + size_t(cj) * nsrow + nscol, Y.data() + size_t(cj) * m, size_t(m) * sizeof(double));
    }
    // B = L_JJ⁻ᵀ − Z_RJᵀ L_RJ, then Z_JJ = B L_JJ⁻¹
    std::fill(B.begin(), B.begin() + size_t(nscol) * nscol, 0.0);
    for (int i = 0; i < nscol; ++i) B[size_t(i) * nscol + i] = 1.0;
    // B := L_JJ⁻ᵀ (solve L_JJᵀ B = I)
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, nscol, nscol, 1.0, Ljj, nsrow,
                B.data(), nscol);
    if (m > 0)
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, nscol, nscol, m, -1.0, Zs + nscol, nsrow, Lrj, nsrow, 1.0,
                  B.data(), nscol);
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, nscol, nscol, 1.0, Ljj, nsrow,
                B.data(), nscol);
    for (int cj = 0; cj < nscol; ++cj)
      for (int i = cj; i < nscol; ++i) Zs[size_t(cj) * nsrow + i] = 0.5 * (B[size_t(cj) * nscol + i] + B[size_t(i) * nscol + cj]);
  }
  // (S⁻¹)_ij = Z at (max, min) of (pinv i, pinv j), in the supernode of the smaller.
  std::vector<int>& pinv = map;
  for (index_t t = 0; t < n; ++t) pinv[perm[t]] = t;
  for (index_t i = 0; i < n; ++i)
    for (index_t p = Ap[i]; p < Ap[i + 1]; ++p) {
      const index_t j = Aj[p];
      const int r = std::max(pinv[i], pinv[j]), c = std::min(pinv[i], pinv[j]);
      const int s2 = col2super[c], cc = c - super[s2], nsrow2 = pi[s2 + 1] - pi[s2];
      const int* lo = Ls + pi[s2];
      const int* f = std::lower_bound(lo + cc, lo + nsrow2, r);
      if (f == lo + nsrow2 || *f != r) fail("logdet: internal error: entry of A outside the factor's pattern");
      const double z = Z[size_t(px[s2]) + size_t(cc) * nsrow2 + size_t(f - lo)];
      dA[p] = static_cast<T>(double(scale) * ((full || i == j) ? z : 2 * z));
    }
  return bytes;
}
#endif

template <class T>
void SparseCholesky::logdet_grad(T scale, T* dA) {
  Impl& m = *impl_;
  if (!m.valid) fail("logdet: the factor is not valid (its last factorization failed)");
  const Analysis::Impl& a = *m.analysis->impl_;
  const index_t n = a.n;
#ifdef SAD_HAVE_BLAS
  if (m.L->is_super) {
    m.selinv_bytes = supernodal_selinv<T>(m.L, a.Ap.data(), a.Aj.data(), n, a.storage == CholStorage::full, scale, dA);
    return;
  }
#endif
  if (m.L->is_super && !cholmod_change_factor(CHOLMOD_REAL, 1, 0, 1, 1, m.L, &m.common))
    cholmod_failed("logdet", "conversion to a simplicial factor", m.common.status);
  const cholmod_factor* L = m.L;
  const int* Lp = static_cast<const int*>(L->p);
  const int* Li = static_cast<const int*>(L->i);
  const double* Lx = static_cast<const double*>(L->x);
  const int* perm = static_cast<const int*>(L->Perm);
  const int64_t nnzL = Lp[n];
  // Z = (L Lᵀ)⁻¹ on L's pattern (Takahashi, columns from last to first).
  std::vector<double> Z(size_t(nnzL), 0.0), y(size_t(n), 0.0);
  std::vector<index_t> pos(size_t(n), -1);
  m.selinv_bytes = Z.size() * sizeof(double) + y.size() * sizeof(double) + pos.size() * sizeof(index_t);
  bool sorted = true;
  for (index_t j = 0; j < n; ++j) {
    if (Li[Lp[j]] != j) fail("logdet: internal error: the factor's diagonal is not first in column " + std::to_string(j));
    for (int p = Lp[j] + 2; p < Lp[j + 1]; ++p)
      if (Li[p] <= Li[p - 1]) sorted = false;
  }
  for (index_t j = n - 1; j >= 0; --j) {
    const int p0 = Lp[j] + 1, p1 = Lp[j + 1];
    const double d = Lx[Lp[j]];
    for (int p = p0; p < p1; ++p) pos[Li[p]] = p - p0;
    for (int t = p0; t < p1; ++t) {
      // Column k = Li[t] of Z (k > j) meets struct(L_{:,j}) in rows i > k:
      // y_i += Z_ik L_kj and, by symmetry, y_k += Z_ik L_ij.
      const index_t k = Li[t];
      const double lkj = Lx[t];
      double yk = Z[Lp[k]] * lkj;
      for (int q = Lp[k] + 1; q < Lp[k + 1]; ++q) {
        const index_t u = pos[Li[q]];
        if (u < 0) continue;
        y[u] += Z[q] * lkj;
        yk += Z[q] * Lx[p0 + u];
      }
      y[t - p0] += yk;
    }
    double zjj = 1 / (d * d);
    for (int t = p0; t < p1; ++t) {
      const double zij = -y[t - p0] / d;
      Z[t] = zij;
      zjj -= Lx[t] * zij / d;
      y[t - p0] = 0;
      pos[Li[t]] = -1;
    }
    Z[Lp[j]] = zjj;
  }
  // (S⁻¹)_ij = Z_{pinv i, pinv j}, read from column min(a, b) at row max(a, b).
  std::vector<index_t>& pinv = pos;
  for (index_t t = 0; t < n; ++t) pinv[perm[t]] = t;
  const bool full = a.storage == CholStorage::full;
  for (index_t i = 0; i < n; ++i)
    for (index_t p = a.Ap[i]; p < a.Ap[i + 1]; ++p) {
      const index_t j = a.Aj[p];
      const index_t r = std::max(pinv[i], pinv[j]), c = std::min(pinv[i], pinv[j]);
      int at = -1;
      if (sorted) {
        const int* lo = Li + Lp[c];
        const int* hi = Li + Lp[c + 1];
        const int* f = std::lower_bound(lo, hi, r);
        if (f != hi && *f == r) at = int(f - Li);
      } else {
        for (int q = Lp[c]; q < Lp[c + 1]; ++q)
          if (Li[q] == r) at = q;
      }
      if (at < 0) fail("logdet: internal error: entry of A outside the factor's pattern");
      // ∂ logdet S / ∂S = S⁻¹; an off-diagonal entry of a one-triangle A counts twice.
      const double g = (full || i == j) ? Z[at] : 2 * Z[at];
      dA[p] = static_cast<T>(double(scale) * g);
    }
}

void SparseCholesky::lower_factor(std::vector<index_t>& colptr, std::vector<index_t>& rowind,
                                  std::vector<double>& values, std::vector<index_t>& perm) {
  Impl& m = *impl_;
  if (!m.valid) fail("cholesky: the factor is not valid (its last factorization failed)");
  cholmod_factor* L = cholmod_copy_factor(m.L, &m.common);
  if (!L) cholmod_failed("cholesky", "copy of the factor", m.common.status);
  // Simplicial L Lᵀ, packed and in column order.
  if (!cholmod_change_factor(CHOLMOD_REAL, 1, 0, 1, 1, L, &m.common)) {
    cholmod_free_factor(&L, &m.common);
    cholmod_failed("cholesky", "conversion to a simplicial factor", m.common.status);
  }
  const index_t n = index_t(L->n);
  const int* Lp = static_cast<const int*>(L->p);
  const int* Li = static_cast<const int*>(L->i);
  const double* Lx = static_cast<const double*>(L->x);
  colptr.assign(size_t(n) + 1, 0);
  for (index_t j = 0; j < n; ++j) colptr[j + 1] = colptr[j] + (Lp[j + 1] - Lp[j]);
  rowind.resize(size_t(colptr[n]));
  values.resize(size_t(colptr[n]));
  std::vector<std::pair<index_t, double>> col;
  for (index_t j = 0; j < n; ++j) {
    col.clear();
    for (int q = Lp[j]; q < Lp[j + 1]; ++q) col.emplace_back(Li[q], Lx[q]);
    std::sort(col.begin(), col.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t q = 0; q < col.size(); ++q) {
      rowind[size_t(colptr[j]) + q] = col[q].first;
      values[size_t(colptr[j]) + q] = col[q].second;
    }
  }
  const int* P = static_cast<const int*>(L->Perm);
  perm.assign(P, P + n);
  cholmod_free_factor(&L, &m.common);
}

#else  // no CHOLMOD

struct SparseCholesky::Analysis::Impl {
  index_t n = 0;
  int64_t nnz = 0;
  CholStorage storage = CholStorage::full;
  size_t bytes = 0;
};
struct SparseCholesky::Impl {
  std::shared_ptr<Analysis> analysis;
  size_t selinv_bytes = 0;
};

std::shared_ptr<SparseCholesky::Analysis> SparseCholesky::analyze(index_t, const index_t*, const index_t*,
                                                                  CholStorage, CholOrdering, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse CHOLMOD");
}
template <class T>
std::unique_ptr<SparseCholesky> SparseCholesky::factor(const T*, std::shared_ptr<Analysis>, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse CHOLMOD");
}
template <class T>
void SparseCholesky::refactor(const T*, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse CHOLMOD");
}
index_t SparseCholesky::n() const { return 0; }
int64_t SparseCholesky::nnz() const { return 0; }
size_t SparseCholesky::bytes() const { return 0; }
int64_t SparseCholesky::nnz_factor() const { return 0; }
bool SparseCholesky::supernodal() const { return false; }
const char* SparseCholesky::ordering_name() const { return "none"; }
size_t SparseCholesky::last_selinv_bytes() const { return 0; }
double SparseCholesky::logdet() const { fail("cholesky: built without SuiteSparse CHOLMOD"); }
void SparseCholesky::lower_factor(std::vector<index_t>&, std::vector<index_t>&, std::vector<double>&,
                                  std::vector<index_t>&) {
  fail("cholesky: built without SuiteSparse CHOLMOD");
}
template <class T>
void SparseCholesky::solve(ThreadPool&, const T*, T*, index_t) {
  fail("cholesky: built without SuiteSparse CHOLMOD");
}
template <class T>
void SparseCholesky::logdet_grad(T, T*) {
  fail("logdet: built without SuiteSparse CHOLMOD");
}

#endif

SparseCholesky::Analysis::Analysis() : impl_(new Impl()) {}
SparseCholesky::Analysis::~Analysis() = default;
index_t SparseCholesky::Analysis::n() const { return impl_->n; }
int64_t SparseCholesky::Analysis::nnz() const { return impl_->nnz; }
CholStorage SparseCholesky::Analysis::storage() const { return impl_->storage; }
size_t SparseCholesky::Analysis::bytes() const { return impl_->bytes; }

SparseCholesky::SparseCholesky() : impl_(new Impl()) {}
SparseCholesky::~SparseCholesky() = default;

#define SAD_INSTANTIATE(T)                                                                                       \
  template std::unique_ptr<SparseCholesky> SparseCholesky::factor<T>(const T*, std::shared_ptr<Analysis>,        \
                                                                     const char*);                               \
  template void SparseCholesky::refactor<T>(const T*, const char*);                                              \
  template void SparseCholesky::solve<T>(ThreadPool&, const T*, T*, index_t);                                    \
  template void SparseCholesky::logdet_grad<T>(T, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
