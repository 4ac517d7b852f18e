// Host matrix construction (coo.h). The COO sort and the duplicate sum run on
// one thread: the sort's counting passes are serial by nature, and the sum
// must add in entry order. The index checks and the dense scan are split over
// the pool, whose parts each find the same entries a single pass would.
#include "coo.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>
#include <vector>

namespace sad {

namespace {
constexpr int64_t kGrain = 1 << 16;  // entries per part below which threads do not pay

template <class S>
bool index_ok(S v, int64_t bound) {
  if constexpr (std::is_floating_point_v<S>) {
    const double d = static_cast<double>(v);
    return d >= 0 && d < static_cast<double>(bound) && d == std::trunc(d);  // false for NaN
  } else if constexpr (std::is_signed_v<S>) {
    return v >= 0 && static_cast<int64_t>(v) < bound;
  } else {
    return static_cast<int64_t>(v) < bound;
  }
}

template <class S>
int64_t check_range(int64_t k0, int64_t k1, const S* idx, int64_t bound, int32_t* out) {
  for (int64_t k = k0; k < k1; ++k) {
    if (!index_ok(idx[k], bound)) return k;
    if (out) out[k] = static_cast<int32_t>(idx[k]);
  }
  return -1;
}
}  // namespace

template <class S>
int64_t coo_index_check_cpu(ThreadPool& pool, int64_t n, const S* idx, int64_t bound, int32_t* out) {
  if (n <= kGrain) return check_range(0, n, idx, bound, out);  // no pool scratch for small inputs
  const int parts = pool.parts_for(n, kGrain);
  std::vector<int64_t> first_bad(static_cast<size_t>(std::max(parts, 1)), -1);
  pool.parallel_for(n, kGrain, [&](int part, int64_t k0, int64_t k1) {
    first_bad[static_cast<size_t>(part)] = check_range(k0, k1, idx, bound, out);
  });
  // Parts cover ascending ranges: the first part with a bad entry holds the first.
  for (int64_t k : first_bad)
    if (k >= 0) return k;
  return -1;
}
template int64_t coo_index_check_cpu<int8_t>(ThreadPool&, int64_t, const int8_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<uint8_t>(ThreadPool&, int64_t, const uint8_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<int16_t>(ThreadPool&, int64_t, const int16_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<uint16_t>(ThreadPool&, int64_t, const uint16_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<int32_t>(ThreadPool&, int64_t, const int32_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<uint32_t>(ThreadPool&, int64_t, const uint32_t*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<float>(ThreadPool&, int64_t, const float*, int64_t, int32_t*);
template int64_t coo_index_check_cpu<double>(ThreadPool&, int64_t, const double*, int64_t, int32_t*);

int64_t coo_to_csr_cpu(index_t rows, index_t cols, int64_t n, const int32_t* r, const int32_t* c, int32_t* indptr,
                       int32_t* indices, int32_t* slot) {
  // Pass 1: bucket the entries by column (stable).
  std::vector<int32_t> next(static_cast<size_t>(std::max(rows, cols)) + 1, 0);
  for (int64_t k = 0; k < n; ++k) ++next[static_cast<size_t>(c[k]) + 1];
  for (index_t j = 0; j < cols; ++j) next[j + 1] += next[j];
  std::unique_ptr<int32_t[]> by_col(new int32_t[static_cast<size_t>(n)]);
  for (int64_t k = 0; k < n; ++k) by_col[next[c[k]]++] = static_cast<int32_t>(k);
  // Pass 2: bucket those by row (stable) => row-major, columns ascending in each row.
  for (index_t i = 0; i <= rows; ++i) indptr[i] = 0;
  for (int64_t k = 0; k < n; ++k) ++indptr[r[k] + 1];
  for (index_t i = 0; i < rows; ++i) indptr[i + 1] += indptr[i];
  std::copy(indptr, indptr + rows, next.begin());
  std::unique_ptr<int32_t[]> order(new int32_t[static_cast<size_t>(n)]);
  for (int64_t t = 0; t < n; ++t) {
    const int32_t k = by_col[t];
    order[next[r[k]]++] = k;
  }
  // Merge duplicates: equal columns are adjacent within a row. indptr is
  // rewritten in place (entry i + 1 is read as the row's end before it is
  // overwritten with the merged count).
  int32_t nnz = 0;
  int32_t begin = 0;
  for (index_t i = 0; i < rows; ++i) {
    const int32_t end = indptr[i + 1];
    int32_t last = -1;
    for (int32_t t = begin; t < end; ++t) {
      const int32_t k = order[t];
      const int32_t j = c[k];
      if (j != last) {
        indices[nnz++] = j;
        last = j;
      }
      slot[k] = nnz - 1;
    }
    indptr[i + 1] = nnz;
    begin = end;
  }
  return nnz;
}

template <class T>
bool coo_sum_duplicates_cpu(int64_t n, const int32_t* slot, const T* v, int64_t nnz, T* out) {
  std::fill(out, out + nnz, T(0));
  for (int64_t k = 0; k < n; ++k) {
    const int32_t s = slot[k];
    if (s < 0 || s >= nnz) return false;
    out[s] += v[k];
  }
  return true;
}
template bool coo_sum_duplicates_cpu<float>(int64_t, const int32_t*, const float*, int64_t, float*);
template bool coo_sum_duplicates_cpu<double>(int64_t, const int32_t*, const double*, int64_t, double*);

namespace {
// Rows per part so that a part scans about kGrain entries.
int64_t row_grain(index_t cols) { return std::max<int64_t>(1, kGrain / std::max<index_t>(cols, 1)); }
}  // namespace

template <class T>
int64_t dense_nonzeros_count_cpu(ThreadPool& pool, index_t rows, index_t cols, const T* D, bool keep_zeros,
                                 int32_t* indptr) {
  indptr[0] = 0;
  if (keep_zeros) {
    for (index_t i = 0; i < rows; ++i) indptr[i + 1] = (i + 1) * cols;
    return static_cast<int64_t>(rows) * cols;
  }
  // Each row's count first (in parallel), then their prefix sum.
  pool.parallel_for(rows, row_grain(cols), [&](int, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const T* row = D + i * cols;
      int32_t count = 0;
      for (index_t j = 0; j < cols; ++j) count += row[j] != T(0);  // true for NaN, false for -0
      indptr[i + 1] = count;
    }
  });
  for (index_t i = 0; i < rows; ++i) indptr[i + 1] += indptr[i];
  return indptr[rows];
}
template int64_t dense_nonzeros_count_cpu<float>(ThreadPool&, index_t, index_t, const float*, bool, int32_t*);
template int64_t dense_nonzeros_count_cpu<double>(ThreadPool&, index_t, index_t, const double*, bool, int32_t*);

template <class T>
void dense_nonzeros_fill_cpu(ThreadPool& pool, index_t rows, index_t cols, const T* D, bool keep_zeros,
                             const int32_t* indptr, int32_t* at, int32_t* indices) {
  pool.parallel_for(rows, row_grain(cols), [&](int, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const T* row = D + i * cols;
      const int32_t base = static_cast<int32_t>(i * cols);
      int32_t p = indptr[i];
      const int32_t end = indptr[i + 1];  // a bound, should D have changed since the count
      for (index_t j = 0; j < cols && p < end; ++j) {
        if (keep_zeros || row[j] != T(0)) {
          at[p] = base + j;
          indices[p] = j;
          ++p;
        }
      }
    }
  });
}
template void dense_nonzeros_fill_cpu<float>(ThreadPool&, index_t, index_t, const float*, bool, const int32_t*,
                                             int32_t*, int32_t*);
template void dense_nonzeros_fill_cpu<double>(ThreadPool&, index_t, index_t, const double*, bool, const int32_t*,
                                              int32_t*, int32_t*);

}  // namespace sad
