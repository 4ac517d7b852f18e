#include "spgemm.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace sad {

namespace {

constexpr int64_t kGrain = 1 << 14;  // multiply-adds per part below which threads do not pay
constexpr size_t kAlign = 64;

size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Runs fn(part, r0, r1, workspace) over the rows of A, cut into parts of about
// equal work, a row's work being its multiply-add count (the lengths of the rows
// of B that its entries select) plus one. The cut depends only on the operands
// and the thread count, so results are deterministic for a given thread count.
// Part 0 gets `part0_bytes` of scratch, the others `other_bytes`.
template <class T, class F>
void for_rows_by_work(ThreadPool& pool, const Csr<const T>& A, const index_t* b_indptr,
                      size_t part0_bytes, size_t other_bytes, F&& fn) {
  const index_t m = A.rows;
  if (m == 0) return;
  if (pool.threads() == 1) {
    fn(0, index_t{0}, m, pool.scratch(0, part0_bytes));
    return;
  }
  // The work prefix lives after part 0's workspace, in part 0's scratch.
  const size_t offset = aligned(part0_bytes);
  auto* base = static_cast<unsigned char*>(pool.scratch(0, offset + (static_cast<size_t>(m) + 1) * sizeof(int64_t)));
  auto* prefix = reinterpret_cast<int64_t*>(base + offset);
  const index_t* ip = A.indptr;
  const index_t* ix = A.indices;
  int64_t cum = 0;
  prefix[0] = 0;
  for (index_t i = 0; i < m; ++i) {
    for (index_t p = ip[i]; p < ip[i + 1]; ++p) cum += b_indptr[ix[p] + 1] - b_indptr[ix[p]];
    prefix[i + 1] = cum + i + 1;
  }
  const int64_t total = prefix[m];
  const int parts = pool.parts_for(total, kGrain);
  if (parts <= 1) {
    fn(0, index_t{0}, m, static_cast<void*>(base));
    return;
  }
  // Cut points: the first row whose cumulative work reaches p * total / parts.
  std::vector<index_t> cut(parts + 1, m);
  cut[0] = 0;
  for (int p = 1; p < parts; ++p) {
    const int64_t target = total * p / parts;
    cut[p] = static_cast<index_t>(std::lower_bound(prefix + cut[p - 1], prefix + m, target) - prefix);
  }
  // Scratch is handed out before the threads start (scratch() is not thread-safe).
  std::vector<void*> workspace(parts);
  workspace[0] = base;
  for (int p = 1; p < parts; ++p) workspace[p] = pool.scratch(p, other_bytes);
  pool.parallel_for(parts, 1, [&](int, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) fn(static_cast<int>(p), cut[p], cut[p + 1], workspace[p]);
  });
}

template <class T>
[[noreturn]] void fail_too_many(const Csr<const T>& A, const Csr<const T>& B) {
  fail("spgemm: the product of A [" + std::to_string(A.rows) + ", " + std::to_string(A.cols) + "] and B [" +
       std::to_string(B.rows) + ", " + std::to_string(B.cols) + "] has more than 2^31 - 1 nonzeros");
}

// Sorts a short run of column indices (rows of C are mostly short).
void sort_columns(index_t* cols, index_t count) {
  if (count <= 32) {
    for (index_t a = 1; a < count; ++a) {
      index_t x = cols[a];
      index_t b = a;
      for (; b > 0 && cols[b - 1] > x; --b) cols[b] = cols[b - 1];
      cols[b] = x;
    }
  } else {
    std::sort(cols, cols + count);
  }
}

}  // namespace

template <class T>
int64_t spgemm_symbolic_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                            index_t* c_indptr) {
  const index_t* __restrict aip = A.indptr;
  const index_t* __restrict aix = A.indices;
  const index_t* __restrict bip = B.indptr;
  const index_t* __restrict bix = B.indices;
  const index_t n = B.cols;
  const size_t bytes = static_cast<size_t>(n) * sizeof(index_t);
  c_indptr[0] = 0;
  for_rows_by_work(pool, A, bip, bytes, bytes, [&](int, index_t r0, index_t r1, void* ws) {
    if (r0 == r1) return;
    // mark[j] == i: column j already counted in row i.
    index_t* __restrict mark = static_cast<index_t*>(ws);
    std::fill(mark, mark + n, index_t{-1});
    for (index_t i = r0; i < r1; ++i) {
      index_t count = 0;
      const index_t p0 = aip[i], p1 = aip[i + 1];
      if (p1 - p0 == 1) {
        count = bip[aix[p0] + 1] - bip[aix[p0]];  // one row of B: its pattern, as is
      } else {
        for (index_t p = p0; p < p1; ++p) {
          const index_t k = aix[p];
          for (index_t q = bip[k]; q < bip[k + 1]; ++q) {
            const index_t j = bix[q];
            if (mark[j] != i) {
              mark[j] = i;
              ++count;
            }
          }
        }
      }
      c_indptr[i + 1] = count;
    }
  });
  int64_t total = 0;
  for (index_t i = 0; i < A.rows; ++i) {
    total += c_indptr[i + 1];
    if (total > std::numeric_limits<index_t>::max()) fail_too_many(A, B);
    c_indptr[i + 1] = static_cast<index_t>(total);
  }
  return total;
}

namespace {

// Row i of C = A B: writes its columns (sorted) and values to cols/vals and returns
// its length. acc and mark are the part's accumulator and marker over C's columns
// (mark[j] == i: column j already seen in row i).
template <class T>
index_t product_row(const Csr<const T>& A, const Csr<const T>& B, index_t i, T* __restrict acc,
                    index_t* __restrict mark, index_t* __restrict cols, T* __restrict vals) {
  const index_t* __restrict aix = A.indices;
  const T* __restrict av = A.values;
  const index_t* __restrict bip = B.indptr;
  const index_t* __restrict bix = B.indices;
  const T* __restrict bv = B.values;
  index_t count = 0;
  for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) {
    const index_t k = aix[p];
    const T a = av[p];
    for (index_t q = bip[k]; q < bip[k + 1]; ++q) {
      const index_t j = bix[q];
      if (mark[j] != i) {
        mark[j] = i;
        acc[j] = a * bv[q];
        cols[count++] = j;
      } else {
        acc[j] += a * bv[q];
      }
    }
  }
  if (count > 256 && static_cast<int64_t>(count) * 16 > B.cols) {
    // A nearly dense row: reading the markers in order beats sorting.
    index_t t = 0;
    for (index_t j = 0; j < B.cols; ++j)
      if (mark[j] == i) cols[t++] = j;
  } else {
    sort_columns(cols, count);
  }
  for (index_t t = 0; t < count; ++t) vals[t] = acc[cols[t]];
  return count;
}

// The one-part product in a single pass: a row's length is known only once it is
// computed, so rows are staged in growable scratch and copied out at the end
// (saving the symbolic pass, a third of the time for short rows). Scratch slots 1
// and 2 are free when one part runs.
template <class T>
void spgemm_staged(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B, index_t* c_indptr,
                   const std::function<CsrOut<T>(int64_t)>& allocate) {
  const index_t n = B.cols;
  const size_t acc_bytes = aligned(static_cast<size_t>(n) * sizeof(T));
  auto* ws = static_cast<unsigned char*>(pool.scratch(0, acc_bytes + static_cast<size_t>(n) * sizeof(index_t)));
  T* acc = reinterpret_cast<T*>(ws);
  index_t* mark = reinterpret_cast<index_t*>(ws + acc_bytes);
  std::fill(mark, mark + n, index_t{-1});
  int64_t cap = std::max<int64_t>(A.nnz() + B.nnz(), 1024);
  auto* cols = static_cast<index_t*>(pool.scratch(1, cap * sizeof(index_t)));
  auto* vals = static_cast<T*>(pool.scratch(2, cap * sizeof(T)));
  const index_t* bip = B.indptr;
  int64_t used = 0;
  c_indptr[0] = 0;
  for (index_t i = 0; i < A.rows; ++i) {
    // Room for the row's worst case: every product term a new column.
    int64_t need = 0;
    for (index_t p = A.indptr[i]; p < A.indptr[i + 1]; ++p) need += bip[A.indices[p] + 1] - bip[A.indices[p]];
    need = std::min<int64_t>(need, n);
    if (used + need > cap) {
      cap = std::max(2 * cap, used + need);
      cols = static_cast<index_t*>(pool.scratch(1, cap * sizeof(index_t)));  // keeps the staged rows
      vals = static_cast<T*>(pool.scratch(2, cap * sizeof(T)));
    }
    used += product_row(A, B, i, acc, mark, cols + used, vals + used);
    if (used > std::numeric_limits<index_t>::max()) fail_too_many(A, B);
    c_indptr[i + 1] = static_cast<index_t>(used);
  }
  CsrOut<T> out = allocate(used);
  std::copy(cols, cols + used, out.indices);
  std::copy(vals, vals + used, out.values);
}

}  // namespace

template <class T>
void spgemm_fill_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                     const index_t* c_indptr, index_t* c_indices, T* c_values) {
  const index_t n = B.cols;
  const size_t acc_bytes = aligned(static_cast<size_t>(n) * sizeof(T));
  const size_t bytes = acc_bytes + static_cast<size_t>(n) * sizeof(index_t);
  for_rows_by_work(pool, A, B.indptr, bytes, bytes, [&](int, index_t r0, index_t r1, void* ws) {
    if (r0 == r1) return;
    T* acc = static_cast<T*>(ws);
    index_t* mark = reinterpret_cast<index_t*>(static_cast<unsigned char*>(ws) + acc_bytes);
    std::fill(mark, mark + n, index_t{-1});
    for (index_t i = r0; i < r1; ++i)
      product_row(A, B, i, acc, mark, c_indices + c_indptr[i], c_values + c_indptr[i]);
  });
}

template <class T>
void spgemm_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B, index_t* c_indptr,
                const std::function<CsrOut<T>(int64_t)>& allocate) {
  if (pool.threads() == 1) {
    spgemm_staged(pool, A, B, c_indptr, allocate);
    return;
  }
  // Several parts: count the rows first, so each part writes its rows in place.
  CsrOut<T> out = allocate(spgemm_symbolic_cpu(pool, A, B, c_indptr));
  spgemm_fill_cpu(pool, A, B, c_indptr, out.indices, out.values);
}

template <class T>
void spgemm_numeric_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                        const index_t* c_indptr, const index_t* c_indices, T* c_values) {
  const index_t* __restrict aip = A.indptr;
  const index_t* __restrict aix = A.indices;
  const T* __restrict av = A.values;
  const index_t* __restrict bip = B.indptr;
  const index_t* __restrict bix = B.indices;
  const T* __restrict bv = B.values;
  const size_t bytes = static_cast<size_t>(B.cols) * sizeof(T);
  for_rows_by_work(pool, A, bip, bytes, bytes, [&](int, index_t r0, index_t r1, void* ws) {
    // Every product term of row i lands on one of C's columns in row i, so
    // clearing just those columns first makes the accumulator exact for the row.
    T* __restrict acc = static_cast<T*>(ws);
    for (index_t i = r0; i < r1; ++i) {
      const index_t t0 = c_indptr[i], t1 = c_indptr[i + 1];
      for (index_t t = t0; t < t1; ++t) acc[c_indices[t]] = 0;
      for (index_t p = aip[i]; p < aip[i + 1]; ++p) {
        const index_t k = aix[p];
        const T a = av[p];
        for (index_t q = bip[k]; q < bip[k + 1]; ++q) acc[bix[q]] += a * bv[q];
      }
      for (index_t t = t0; t < t1; ++t) c_values[t] = acc[c_indices[t]];
    }
  });
}

template <class T>
void spgemm_backward_cpu(ThreadPool& pool, const Csr<const T>& A, const Csr<const T>& B,
                         const index_t* c_indptr, const index_t* c_indices, const T* v, T* dA, T* dB) {
  if (!dA && !dB) return;
  const index_t* __restrict aip = A.indptr;
  const index_t* __restrict aix = A.indices;
  const T* __restrict av = A.values;
  const index_t* __restrict bip = B.indptr;
  const index_t* __restrict bix = B.indices;
  const T* __restrict bv = B.values;
  const int64_t nnz_b = B.nnz();
  const size_t acc_bytes = aligned(static_cast<size_t>(B.cols) * sizeof(T));
  // dB: part 0 accumulates straight into dB, the other parts into private partials
  // (after their accumulator) that are summed in part order below.
  const size_t other_bytes = acc_bytes + (dB ? static_cast<size_t>(nnz_b) * sizeof(T) : 0);
  std::vector<T*> partial(pool.threads(), nullptr);
  for_rows_by_work(pool, A, bip, acc_bytes, other_bytes, [&](int part, index_t r0, index_t r1, void* ws) {
    T* __restrict acc = static_cast<T*>(ws);
    T* __restrict out_b = nullptr;
    if (dB) {
      out_b = part == 0 ? dB : reinterpret_cast<T*>(static_cast<unsigned char*>(ws) + acc_bytes);
      std::fill(out_b, out_b + nnz_b, T{0});
      partial[part] = out_b;
    }
    for (index_t i = r0; i < r1; ++i) {
      // Row i of V, scattered over its columns: every B[k,j] with stored A[i,k]
      // has (i,j) in C's pattern, so only these entries are ever read for row i.
      for (index_t t = c_indptr[i]; t < c_indptr[i + 1]; ++t) acc[c_indices[t]] = v[t];
      for (index_t p = aip[i]; p < aip[i + 1]; ++p) {
        const index_t k = aix[p];
        const index_t q0 = bip[k], q1 = bip[k + 1];
        if (dA) {
          T s = 0;  // Σ_j V[i,j] B[k,j]
          for (index_t q = q0; q < q1; ++q) s += acc[bix[q]] * bv[q];
          dA[p] = s;
        }
        if (out_b) {
          const T a = av[p];  // dB[k,j] += A[i,k] V[i,j]
          for (index_t q = q0; q < q1; ++q) out_b[q] += a * acc[bix[q]];
        }
      }
    }
  });
  if (!dB) return;
  if (!partial[0]) {  // no part ran (A has no rows): dB = Aᵀ V is all zero
    std::fill(dB, dB + nnz_b, T{0});
    return;
  }
  int parts = 0;  // every part ran (possibly on no rows) and set its partial
  while (parts < static_cast<int>(partial.size()) && partial[parts]) ++parts;
  if (parts <= 1) return;
  pool.parallel_for(nnz_b, 1 << 15, [&](int, int64_t q0, int64_t q1) {
    for (int p = 1; p < parts; ++p) {
      const T* __restrict src = partial[p];
      for (int64_t q = q0; q < q1; ++q) dB[q] += src[q];
    }
  });
}

#define SAD_INSTANTIATE(T)                                                                                 \
  template int64_t spgemm_symbolic_cpu<T>(ThreadPool&, const Csr<const T>&, const Csr<const T>&, index_t*); \
  template void spgemm_fill_cpu<T>(ThreadPool&, const Csr<const T>&, const Csr<const T>&, const index_t*,  \
                                   index_t*, T*);                                                          \
  template void spgemm_cpu<T>(ThreadPool&, const Csr<const T>&, const Csr<const T>&, index_t*,             \
                              const std::function<CsrOut<T>(int64_t)>&);                                   \
  template void spgemm_numeric_cpu<T>(ThreadPool&, const Csr<const T>&, const Csr<const T>&,               \
                                      const index_t*, const index_t*, T*);                                 \
  template void spgemm_backward_cpu<T>(ThreadPool&, const Csr<const T>&, const Csr<const T>&,              \
                                       const index_t*, const index_t*, const T*, T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
