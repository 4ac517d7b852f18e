#include "spmv.h"

#include <algorithm>
#include <vector>

namespace sad {

namespace {
constexpr int64_t kGrain = 1 << 15;  // nonzeros per part below which threads do not pay
}

// The row loop as a function with restrict parameters: inside a lambda that
// captures pointers by reference the compiler must assume the store to y[i]
// may change them, and reloads them on every row.
template <class T>
void spmv_rows(const index_t* __restrict ip, const index_t* __restrict ix, const T* __restrict av,
               const T* __restrict x, T* __restrict y, index_t r0, index_t r1) {
  index_t p = ip[r0];
  for (index_t i = r0; i < r1; ++i) {
    const index_t end = ip[i + 1];
    T acc = 0;
    for (; p < end; ++p) acc += av[p] * x[ix[p]];
    y[i] = acc;
  }
}

template <class T>
void spmv_cpu(ThreadPool& pool, const Csr<const T>& A, const T* x, T* y) {
  pool.parallel_rows(A.rows, A.indptr, kGrain, [&](int, index_t r0, index_t r1) {
    spmv_rows(A.indptr, A.indices, A.values, x, y, r0, r1);
  });
}

template <class T>
void spmv_transpose_cpu(ThreadPool& pool, const Csr<const T>& A, const T* v, T* y) {
  spmv_backward_cpu<T>(pool, A, v, nullptr, nullptr, y);
}

template <class T>
void masked_outer_cpu(ThreadPool& pool, index_t rows, const index_t* indptr,
                      const index_t* indices, const T* v, const T* x, T* out) {
  pool.parallel_rows(rows, indptr, kGrain, [&](int, index_t r0, index_t r1) {
    for (index_t i = r0; i < r1; ++i) {
      const T vi = v[i];
      for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) out[p] = vi * x[indices[p]];
    }
  });
}

// Scatter formulation: each part sweeps its rows into its own output (part 0
// into dx, the others into the pool's reusable scratch), and the partials are
// added in part order, so the result is deterministic per thread count.
template <class T>
void spmv_backward_cpu(ThreadPool& pool, const Csr<const T>& A, const T* v, const T* x, T* dA, T* dx) {
  if (!dx) {
    if (dA) masked_outer_cpu(pool, A.rows, A.indptr, A.indices, v, x, dA);
    return;
  }
  const index_t* __restrict ip = A.indptr;
  const index_t* __restrict ix = A.indices;
  const T* __restrict av = A.values;
  const int64_t cols = A.cols;
  const int parts = std::max(1, pool.parts_for(A.nnz() + A.rows, kGrain));
  std::vector<T*> partial(parts, nullptr);
  for (int p = 1; p < parts; ++p) partial[p] = static_cast<T*>(pool.scratch(p, cols * sizeof(T)));
  pool.parallel_rows(A.rows, ip, kGrain, [&](int part, index_t r0, index_t r1) {
    T* __restrict out = part == 0 ? dx : partial[part];
    for (int64_t j = 0; j < cols; ++j) out[j] = 0;
    for (index_t i = r0; i < r1; ++i) {
      const T vi = v[i];
      for (index_t p = ip[i]; p < ip[i + 1]; ++p) {
        const index_t j = ix[p];
        if (dA) dA[p] = vi * x[j];
        out[j] += av[p] * vi;
      }
    }
  });
  if (A.rows == 0) for (int64_t j = 0; j < cols; ++j) dx[j] = 0;
  if (parts <= 1) return;
  pool.parallel_for(cols, 1 << 14, [&](int, int64_t c0, int64_t c1) {
    for (int p = 1; p < parts; ++p) {
      const T* part = partial[p];
      for (int64_t j = c0; j < c1; ++j) dx[j] += part[j];
    }
  });
}

namespace {

// The gather loops of spmv_backward_transposed_cpu for columns [j0, j1); with
// Broadcast, v's entries are all v[0] (a shared-constant seed), read as such.
template <class T, bool Broadcast>
void vjp_columns(index_t j0, index_t j1, const index_t* __restrict tp, const index_t* __restrict ti,
                 const index_t* __restrict pm, const T* __restrict av, const T* __restrict vv, const T* __restrict x,
                 T* __restrict da, T* __restrict out) {
  index_t q = tp[j0];
  const auto v_at = [&](index_t q) { return Broadcast ? vv[0] : vv[ti[q]]; };
  if (da && out) {
    for (index_t j = j0; j < j1; ++j) {
      const index_t end = tp[j + 1];
      const T xj = x[j];
      T acc = 0;
      for (; q < end; ++q) {
        const index_t p = pm[q];
        const T vi = v_at(q);
        acc += av[p] * vi;
        da[p] = vi * xj;
      }
      out[j] = acc;
    }
  } else if (out) {
    for (index_t j = j0; j < j1; ++j) {
      const index_t end = tp[j + 1];
      T acc = 0;
      for (; q < end; ++q) acc += av[pm[q]] * v_at(q);
      out[j] = acc;
    }
  } else if (da) {
    for (index_t j = j0; j < j1; ++j) {
      const index_t end = tp[j + 1];
      const T xj = x[j];
      for (; q < end; ++q) da[pm[q]] = v_at(q) * xj;
    }
  }
}

}  // namespace

template <class T>
void spmv_backward_transposed_cpu(ThreadPool& pool, index_t cols, const index_t* t_indptr,
                                  const index_t* t_indices, const index_t* perm, const T* values,
                                  const T* v, const T* x, T* dA, T* dx, bool v_broadcast) {
  pool.parallel_rows(cols, t_indptr, kGrain, [&](int, index_t j0, index_t j1) {
    if (v_broadcast) vjp_columns<T, true>(j0, j1, t_indptr, t_indices, perm, values, v, x, dA, dx);
    else vjp_columns<T, false>(j0, j1, t_indptr, t_indices, perm, values, v, x, dA, dx);
  });
}

#define SAD_INSTANTIATE(T)                                                                  \
  template void spmv_cpu<T>(ThreadPool&, const Csr<const T>&, const T*, T*);                \
  template void spmv_transpose_cpu<T>(ThreadPool&, const Csr<const T>&, const T*, T*);      \
  template void masked_outer_cpu<T>(ThreadPool&, index_t, const index_t*, const index_t*,   \
                                    const T*, const T*, T*);                               \
  template void spmv_backward_cpu<T>(ThreadPool&, const Csr<const T>&, const T*, const T*, T*, T*); \
  template void spmv_backward_transposed_cpu<T>(ThreadPool&, index_t, const index_t*,       \
                                                const index_t*, const index_t*, const T*, const T*,  \
                                                const T*, T*, T*, bool);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
