// The host half of the GPU spsolve: KLU's factors extracted as triangular CSR
// matrices (see spsolve_hybrid.h), and the same solves on the CPU.
#include "spsolve_hybrid.h"

#include <string>
#include <type_traits>

#include "spsolve.h"

#ifdef SAD_HAVE_KLU
#include <klu.h>
#endif

namespace sad {

#ifdef SAD_HAVE_KLU

namespace {

// Frees KLU's objects whatever happens.
struct KluObjects {
  klu_common common;
  klu_symbolic* symbolic = nullptr;
  klu_numeric* numeric = nullptr;
  ~KluObjects() {
    if (numeric) klu_free_numeric(&numeric, &common);
    if (symbolic) klu_free_symbolic(&symbolic, &common);
  }
};

}  // namespace

template <class T>
SplitLU split_factors(const Csr<const T>& A, const char* op) {
  const index_t n = A.rows;
  SplitLU f;
  f.n = n;
  if (n == 0) {
    f.lt_indptr = f.ut_indptr = {0};
    return f;
  }
  std::vector<double> Ax(A.values, A.values + A.nnz());
  KluObjects k;
  klu_defaults(&k.common);
  k.common.btf = 0;  // one block: L U is the whole factorization (no off-diagonal F)
  k.symbolic = klu_analyze(n, const_cast<int*>(A.indptr), const_cast<int*>(A.indices), &k.common);
  if (!k.symbolic) fail(std::string(op) + ": KLU analysis failed with status " + std::to_string(k.common.status));
  k.numeric = klu_factor(const_cast<int*>(A.indptr), const_cast<int*>(A.indices), Ax.data(), k.symbolic, &k.common);
  if (!k.numeric) {
    if (k.common.status == KLU_SINGULAR)
      fail(std::string(op) + ": A is singular: zero pivot for row " + std::to_string(k.common.singular_col) + " of A");
    fail(std::string(op) + ": KLU factorization failed with status " + std::to_string(k.common.status));
  }
  // Sorted row indices in each column of L and U: the triangular solves rely on
  // sorted rows (the diagonal first or last).
  if (!klu_sort(k.symbolic, k.numeric, &k.common)) fail(std::string(op) + ": KLU sort failed");
  const int64_t lnz = k.numeric->lnz, unz = k.numeric->unz;
  f.lt_indptr.resize(size_t(n) + 1);
  f.lt_indices.resize(size_t(lnz));
  f.lt_values.resize(size_t(lnz));
  f.ut_indptr.resize(size_t(n) + 1);
  f.ut_indices.resize(size_t(unz));
  f.ut_values.resize(size_t(unz));
  f.P.resize(n);
  f.Q.resize(n);
  f.Rs.resize(n);
  if (!klu_extract(k.numeric, k.symbolic, f.lt_indptr.data(), f.lt_indices.data(), f.lt_values.data(),
                   f.ut_indptr.data(), f.ut_indices.data(), f.ut_values.data(), nullptr, nullptr, nullptr,
                   f.P.data(), f.Q.data(), f.Rs.data(), nullptr, &k.common))
    fail(std::string(op) + ": KLU extract failed with status " + std::to_string(k.common.status));
  return f;
}

template <class T>
SplitLU split_lu_factor(ThreadPool& pool, const Csr<const T>& A, const char* op) {
  try {
    return split_factors(A, op);
  } catch (const Error&) {
    // Without BTF (one block, so L U is all of it) KLU cannot say why, and its
    // pivot order differs from the CPU's: factor as SparseLU does for the
    // CPU's message, and rethrow this one should that succeed.
    SparseLU::factor<T>(pool, A, nullptr, op);
    throw;
  }
}

#else

template <class T>
SplitLU split_lu_factor(ThreadPool&, const Csr<const T>&, const char* op) {
  fail(std::string(op) + ": built without SuiteSparse KLU");
}

#endif

template <class T>
void split_lu_solve_cpu(ThreadPool& pool, const SplitLU& f, bool transpose, const T* b, T* x, index_t k) {
  const index_t n = f.n;
  if (n == 0 || k == 0) return;
  const auto cast = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
  const std::vector<T> ltv = cast(f.lt_values), utv = cast(f.ut_values);
  const Csr<const T> Lt{n, n, f.lt_indptr.data(), f.lt_indices.data(), ltv.data()};
  const Csr<const T> Ut{n, n, f.ut_indptr.data(), f.ut_indices.data(), utv.data()};
  std::vector<T> s(size_t(n) * k), u(size_t(n) * k);
  index_t bad;
  if (!transpose) {
    for (index_t l = 0; l < n; ++l)
      for (index_t c = 0; c < k; ++c) s[size_t(l) * k + c] = b[size_t(f.Q[l]) * k + c];
    bad = sptrsv_cpu(pool, Ut, {true, false}, s.data(), u.data(), k);
    if (bad < 0) bad = sptrsv_cpu(pool, Lt, {false, true}, u.data(), s.data(), k);
    for (index_t r = 0; r < n; ++r)
      for (index_t c = 0; c < k; ++c) x[size_t(f.P[r]) * k + c] = s[size_t(r) * k + c] / T(f.Rs[r]);
  } else {
    for (index_t r = 0; r < n; ++r)
      for (index_t c = 0; c < k; ++c) s[size_t(r) * k + c] = b[size_t(f.P[r]) * k + c] / T(f.Rs[r]);
    bad = sptrsv_transpose_cpu(pool, Lt, {false, true}, s.data(), u.data(), k);
    if (bad < 0) bad = sptrsv_transpose_cpu(pool, Ut, {true, false}, u.data(), s.data(), k);
    for (index_t l = 0; l < n; ++l)
      for (index_t c = 0; c < k; ++c) x[size_t(f.Q[l]) * k + c] = s[size_t(l) * k + c];
  }
  if (bad >= 0) fail("spsolve: zero pivot in the triangular factors at step " + std::to_string(bad));
}

#define SAD_INSTANTIATE(T)                                                          \
  template SplitLU split_lu_factor<T>(ThreadPool&, const Csr<const T>&, const char*); \
  template void split_lu_solve_cpu<T>(ThreadPool&, const SplitLU&, bool, const T*, T*, index_t);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
