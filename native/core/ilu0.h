// ILU(0) on A's own pattern (IKJ order, Saad's Algorithm 10.4): the factors L
// (unit lower, diagonal not stored) and U (upper) overwrite a copy of A's
// values in place, so the preconditioner M = L U has A's pattern. For a
// symmetric positive definite A this is IC(0) too: U = D Lᵀ, so
// M = (L D^½)(L D^½)ᵀ, the incomplete Cholesky factor's product; `spd` then
// asks for every pivot to be positive.
//
// A sequential setup (row i needs the finished rows k < i it references), done
// once per solve; the solves that apply M are sptrsv.h's. Column indices must
// be sorted within each row (a CsrMatrix's are).
#pragma once

#include <cmath>
#include <vector>

#include "common.h"

namespace sad {

struct Ilu0Check {
  enum Kind { ok, missing_diagonal, breakdown } kind = ok;
  index_t row = -1;
  double pivot = 0;  // for breakdown
};

// f holds A's values on entry and the factors on return (up to the failing row).
inline Ilu0Check ilu0_factor_cpu(index_t n, const index_t* indptr, const index_t* indices, double* f, bool spd) {
  std::vector<index_t> diag(static_cast<size_t>(n), -1);
  std::vector<index_t> where(static_cast<size_t>(n), -1);  // column -> position in row i, or −1
  for (index_t i = 0; i < n; i++) {
    for (index_t p = indptr[i]; p < indptr[i + 1]; p++) where[indices[p]] = p;
    // a_ij −= l_ik u_kj for k < i in row i's pattern, j in both rows' patterns
    for (index_t p = indptr[i]; p < indptr[i + 1]; p++) {
      const index_t k = indices[p];
      if (k >= i) break;
      const double l = (f[p] /= f[diag[k]]);
      for (index_t q = diag[k] + 1; q < indptr[k + 1]; q++) {
        const index_t at = where[indices[q]];
        if (at >= 0) f[at] -= l * f[q];
      }
    }
    for (index_t p = indptr[i]; p < indptr[i + 1]; p++) {
      if (indices[p] == i) diag[i] = p;
      where[indices[p]] = -1;
    }
    if (diag[i] < 0) return {Ilu0Check::missing_diagonal, i, 0};
    const double d = f[diag[i]];
    if (spd ? !(d > 0) : (d == 0 || !std::isfinite(d))) return {Ilu0Check::breakdown, i, d};
  }
  return {};
}

}  // namespace sad
