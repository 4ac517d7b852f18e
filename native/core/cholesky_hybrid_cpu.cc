// The host half of the GPU Cholesky: CHOLMOD's factor as a SplitLU (cholesky_hybrid.h).
#include "cholesky_hybrid.h"

#include <vector>

namespace sad {

SplitLU split_cholesky(SparseCholesky& chol) {
  std::vector<index_t> Lp, Li, perm;
  std::vector<double> Lx;
  chol.lower_factor(Lp, Li, Lx, perm);
  const index_t n = index_t(perm.size());
  const size_t nnz = Li.size();
  SplitLU f;
  f.n = n;
  // Lᵀ_lu = L̃ᵀ: row j is column j of L (diagonal first) over L_jj.
  f.lt_indptr = Lp;
  f.lt_indices = Li;
  f.lt_values.resize(nnz);
  for (index_t j = 0; j < n; ++j) {
    const double d = Lx[size_t(Lp[j])];
    f.lt_values[size_t(Lp[j])] = 1.0;
    for (index_t q = Lp[j] + 1; q < Lp[j + 1]; ++q) f.lt_values[size_t(q)] = Lx[size_t(q)] / d;
  }
  // Uᵀ_lu = L D: L's rows (its CSC transposed by counting), entry (i, j) times L_jj.
  // Columns are visited in increasing j, so each row comes out sorted, diagonal last.
  f.ut_indptr.assign(size_t(n) + 1, 0);
  for (size_t q = 0; q < nnz; ++q) f.ut_indptr[size_t(Li[q]) + 1]++;
  for (index_t i = 0; i < n; ++i) f.ut_indptr[i + 1] += f.ut_indptr[i];
  f.ut_indices.resize(nnz);
  f.ut_values.resize(nnz);
  std::vector<index_t> next(f.ut_indptr.begin(), f.ut_indptr.end() - 1);
  for (index_t j = 0; j < n; ++j) {
    const double d = Lx[size_t(Lp[j])];
    for (index_t q = Lp[j]; q < Lp[j + 1]; ++q) {
      const index_t at = next[size_t(Li[q])]++;
      f.ut_indices[size_t(at)] = j;
      f.ut_values[size_t(at)] = Lx[size_t(q)] * d;
    }
  }
  f.P = perm;
  f.Q = perm;
  f.Rs.assign(size_t(n), 1.0);
  return f;
}

}  // namespace sad
