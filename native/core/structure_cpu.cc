#include "structure.h"

#include <algorithm>

namespace sad {

namespace {
constexpr int64_t kGrain = 1 << 15;  // entries per part below which threads do not pay
}

void transpose_structure_cpu(index_t rows, index_t cols, const index_t* indptr, const index_t* indices,
                             index_t* t_indptr, index_t* t_indices, index_t* perm, index_t* inv) {
  const int64_t nnz = rows == 0 ? 0 : indptr[rows];
  // Count entries per column, then prefix-sum into row pointers of Aᵀ.
  for (int64_t j = 0; j <= cols; ++j) t_indptr[j] = 0;
  for (int64_t p = 0; p < nnz; ++p) ++t_indptr[indices[p] + 1];
  for (int64_t j = 0; j < cols; ++j) t_indptr[j + 1] += t_indptr[j];
  // Place entries row by row (stable: columns of Aᵀ = rows of A come out sorted).
  // t_indptr[j] serves as the fill cursor of column j and is shifted back after.
  for (index_t i = 0; i < rows; ++i) {
    for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      const index_t q = t_indptr[indices[p]]++;
      t_indices[q] = i;
      perm[q] = p;
      inv[p] = q;
    }
  }
  for (int64_t j = cols; j > 0; --j) t_indptr[j] = t_indptr[j - 1];
  t_indptr[0] = 0;
}

template <class T>
void gather_cpu(ThreadPool& pool, int64_t n, const index_t* idx, const T* src, T* out) {
  pool.parallel_for(n, kGrain, [&](int, int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) out[q] = idx[q] < 0 ? T(0) : src[idx[q]];
  });
}

template <class T>
void scatter_cpu(ThreadPool& pool, int64_t n, const index_t* idx, const T* src, T* out) {
  pool.parallel_for(n, kGrain, [&](int, int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q)
      if (idx[q] >= 0) out[idx[q]] = src[q];
  });
}

void diagonal_positions_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k,
                            index_t* pos, index_t len) {
  const int64_t row0 = k < 0 ? -k : 0;
  for (index_t t = 0; t < len; ++t) {
    const int64_t i = row0 + t;
    if (i >= rows) {  // the caller sizes len to fit; guard anyway
      pos[t] = -1;
      continue;
    }
    const int64_t j = i + k;
    const index_t* b = indices + indptr[i];
    const index_t* e = indices + indptr[i + 1];
    const index_t* at = std::lower_bound(b, e, static_cast<index_t>(j));
    pos[t] = (at != e && *at == j) ? static_cast<index_t>(at - indices) : -1;
  }
}

namespace {
// The kept range [first, last) of row i for tril(k) / triu(k).
inline void band_range(const index_t* indptr, const index_t* indices, index_t i, int64_t k, bool lower,
                       index_t& first, index_t& last) {
  const index_t* b = indices + indptr[i];
  const index_t* e = indices + indptr[i + 1];
  const int64_t bound = static_cast<int64_t>(i) + k;  // column of the k-th diagonal in row i
  if (lower) {
    // columns <= bound: the prefix before the first column > bound
    const index_t* cut = bound < 0 ? b : std::upper_bound(b, e, static_cast<index_t>(std::min<int64_t>(bound, INT32_MAX)));
    first = indptr[i];
    last = static_cast<index_t>(cut - indices);
  } else {
    // columns >= bound: the suffix from the first column >= bound
    const index_t* cut = bound <= 0 ? b : bound > INT32_MAX ? e : std::lower_bound(b, e, static_cast<index_t>(bound));
    first = static_cast<index_t>(cut - indices);
    last = indptr[i + 1];
  }
}
}  // namespace

void band_count_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k, bool lower,
                    index_t* out_indptr) {
  out_indptr[0] = 0;
  for (index_t i = 0; i < rows; ++i) {
    index_t first, last;
    band_range(indptr, indices, i, k, lower, first, last);
    out_indptr[i + 1] = out_indptr[i] + (last - first);
  }
}

void band_fill_cpu(index_t rows, const index_t* indptr, const index_t* indices, int64_t k, bool lower,
                   const index_t* out_indptr, index_t* out_indices, index_t* keep) {
  for (index_t i = 0; i < rows; ++i) {
    index_t first, last;
    band_range(indptr, indices, i, k, lower, first, last);
    index_t q = out_indptr[i];
    for (index_t p = first; p < last; ++p, ++q) {
      out_indices[q] = indices[p];
      keep[q] = p;
    }
  }
}

namespace {
// Where the block of (row ia of A) × (row ib of B) starts in kron(A, B).
inline int64_t kron_start(const Pattern& A, const Pattern& B, index_t ia, index_t ib) {
  const int64_t lenA = A.indptr[ia + 1] - A.indptr[ia];
  return static_cast<int64_t>(A.indptr[ia]) * B.nnz() + lenA * B.indptr[ib];
}
}  // namespace

void kron_structure_cpu(const Pattern& A, const Pattern& B, index_t* indptr, index_t* indices) {
  indptr[0] = 0;
  for (index_t ia = 0; ia < A.rows; ++ia) {
    for (index_t ib = 0; ib < B.rows; ++ib) {
      int64_t q = kron_start(A, B, ia, ib);
      for (index_t p = A.indptr[ia]; p < A.indptr[ia + 1]; ++p) {
        const int64_t base = static_cast<int64_t>(A.indices[p]) * B.cols;
        for (index_t s = B.indptr[ib]; s < B.indptr[ib + 1]; ++s) indices[q++] = static_cast<index_t>(base + B.indices[s]);
      }
      indptr[static_cast<int64_t>(ia) * B.rows + ib + 1] = static_cast<index_t>(q);
    }
  }
}

#define SAD_INSTANTIATE(T)                                                                              \
  template void gather_cpu<T>(ThreadPool&, int64_t, const index_t*, const T*, T*);                      \
  template void scatter_cpu<T>(ThreadPool&, int64_t, const index_t*, const T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
