#include "sptrsv.h"

#include <vector>

namespace sad {

namespace {

constexpr int64_t kGrain = 1 << 15;  // multiply-adds per part below which threads do not pay

// Where row i's diagonal sits, and the range of its strictly off-diagonal
// entries. Columns are sorted, so for a lower triangle the diagonal is the last
// entry and for an upper one the first; with unit_diagonal it may be absent.
struct RowSplit {
  index_t begin, end;  // strict entries [begin, end)
  index_t diag;        // position of the diagonal, or -1
};

inline RowSplit split_row(const index_t* ip, const index_t* ix, index_t i, bool lower) {
  index_t b = ip[i], e = ip[i + 1];
  if (lower) {
    if (e > b && ix[e - 1] == i) return {b, e - 1, e - 1};
    return {b, e, -1};
  }
  if (e > b && ix[b] == i) return {b + 1, e, b};
  return {b, e, -1};
}

// The first row, in row order, whose stored diagonal is zero (or -1). Only run
// after a solve has met a zero pivot, so that upper solves (which sweep rows
// backwards) still report the first one.
template <class T>
index_t first_zero_diagonal(const Csr<const T>& L, bool lower) {
  for (index_t i = 0; i < L.rows; ++i) {
    RowSplit r = split_row(L.indptr, L.indices, i, lower);
    if (r.diag < 0 || L.values[r.diag] == T(0)) return i;
  }
  return -1;
}

// One right-hand side. `Forward` solves L x = b row by row (gathering from
// solved rows); otherwise Lᵀ w = v, scattering each solved row into the rows it
// feeds. The row-to-row dependency chain bounds the speed, so two things keep
// it short: the reciprocal of the diagonal does not depend on x (the CPU
// computes it ahead), and the coupling to the row solved just before — the
// usual critical dependency in banded matrices — travels in a register instead
// of through a store and a reload. The chain is then a multiply, a subtract
// and a multiply per row:  x_i = (base_i − a_near · x_prev) · (1 / d_i).
//
// The transposed sweep can also write dL = −w xᵀ ⊙ mask(L) as it goes (grad
// non-null, xf the forward solution): row i of dL needs only w[i], final as
// soon as row i is solved, so the masked outer product costs no extra pass.
template <class T, bool Forward>
index_t sweep_vector(const Csr<const T>& L, TriangularOptions opts, const T* b, T* x, const T* xf = nullptr,
                     T* grad = nullptr) {
  const index_t* __restrict ip = L.indptr;
  const index_t* __restrict ix = L.indices;
  const T* __restrict av = L.values;
  const index_t n = L.rows;
  const bool unit = opts.unit_diagonal;
  // Forward lower and transposed upper go up the rows; the other two go down.
  const bool ascending = Forward == opts.lower;
  const index_t step = ascending ? 1 : -1;
  // The transposed sweep scatters into rows it has not reached yet, so it
  // starts from a copy of v; the forward sweep reads b[i] as it goes.
  if (!Forward && b != x)
    for (index_t i = 0; i < n; ++i) x[i] = b[i];

  // The value solved in the previous step, and its contribution to this row:
  // exactly 0 when the two rows are not coupled (so that a NaN or Inf there
  // cannot leak in through 0 · prev).
  T prev = 0;
  T carry = 0;
  for (index_t t = 0; t < n; ++t) {
    const index_t i = ascending ? t : n - 1 - t;
    RowSplit r = split_row(ip, ix, i, opts.lower);
    T inv = 1;
    if (!unit) {
      if (r.diag < 0) return i;  // unchecked structure: never read outside the row
      const T d = av[r.diag];
      if (d == T(0)) return i;
      inv = T(1) / d;
    }
    if (Forward) {
      const index_t before = i - step;  // the row solved in the previous step
      T acc = 0;
      carry = 0;
      for (index_t q = r.begin; q < r.end; ++q) {
        const index_t j = ix[q];
        if (j == before) carry = av[q] * prev;
        else acc += av[q] * x[j];
      }
      prev = ((b[i] - acc) - carry) * inv;
      x[i] = prev;
    } else {
      prev = (x[i] - carry) * inv;
      x[i] = prev;
      const index_t after = i + step;  // the row solved in the next step
      carry = 0;
      if (grad) {
        const T g = -prev;
        for (index_t q = r.begin; q < r.end; ++q) {
          const index_t j = ix[q];
          grad[q] = g * xf[j];
          if (j == after) carry = av[q] * prev;
          else x[j] -= av[q] * prev;
        }
        if (r.diag >= 0) grad[r.diag] = unit ? T(0) : g * xf[i];  // an ignored diagonal has no gradient
      } else {
        for (index_t q = r.begin; q < r.end; ++q) {
          const index_t j = ix[q];
          if (j == after) carry = av[q] * prev;
          else x[j] -= av[q] * prev;
        }
      }
    }
  }
  return -1;
}

// Right-hand side columns [c0, c1) of a row-major n × k block, same sweeps.
template <class T, bool Forward>
index_t sweep_block(const Csr<const T>& L, TriangularOptions opts, const T* b, T* x, index_t k, index_t c0,
                    index_t c1) {
  const index_t* __restrict ip = L.indptr;
  const index_t* __restrict ix = L.indices;
  const T* __restrict av = L.values;
  const index_t n = L.rows;
  const bool unit = opts.unit_diagonal;
  const bool ascending = Forward == opts.lower;
  if (!Forward && b != x)
    for (index_t i = 0; i < n; ++i)
      for (index_t c = c0; c < c1; ++c) x[int64_t(i) * k + c] = b[int64_t(i) * k + c];

  for (index_t t = 0; t < n; ++t) {
    const index_t i = ascending ? t : n - 1 - t;
    RowSplit r = split_row(ip, ix, i, opts.lower);
    T inv = 1;
    if (!unit) {
      if (r.diag < 0) return i;
      const T d = av[r.diag];
      if (d == T(0)) return i;
      inv = T(1) / d;
    }
    T* xi = x + int64_t(i) * k;
    if (Forward) {
      const T* bi = b + int64_t(i) * k;
      for (index_t c = c0; c < c1; ++c) xi[c] = bi[c];
      for (index_t q = r.begin; q < r.end; ++q) {
        const T a = av[q];
        const T* __restrict xj = x + int64_t(ix[q]) * k;
        for (index_t c = c0; c < c1; ++c) xi[c] -= a * xj[c];
      }
      if (!unit)
        for (index_t c = c0; c < c1; ++c) xi[c] *= inv;
    } else {
      if (!unit)
        for (index_t c = c0; c < c1; ++c) xi[c] *= inv;
      for (index_t q = r.begin; q < r.end; ++q) {
        const T a = av[q];
        T* __restrict xj = x + int64_t(ix[q]) * k;
        for (index_t c = c0; c < c1; ++c) xj[c] -= a * xi[c];
      }
    }
  }
  return -1;
}

template <class T, bool Forward>
index_t solve(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* b, T* x, index_t k) {
  if (L.rows == 0 || k == 0) return -1;
  // Each right-hand side is an independent sweep: split them over threads.
  const int64_t per_column = L.nnz() + L.rows;
  const int64_t grain = per_column >= kGrain ? 1 : kGrain / per_column;
  const int parts = pool.parts_for(k, grain);
  index_t bad = -1;
  if (k == 1) {
    bad = sweep_vector<T, Forward>(L, opts, b, x);
  } else if (parts <= 1) {
    bad = sweep_block<T, Forward>(L, opts, b, x, k, 0, k);
  } else {
    std::vector<index_t> found(parts, -1);
    pool.parallel_for(k, grain, [&](int part, int64_t c0, int64_t c1) {
      found[part] = sweep_block<T, Forward>(L, opts, b, x, k, index_t(c0), index_t(c1));
    });
    for (index_t f : found)
      if (f >= 0) bad = f;
  }
  return bad < 0 ? -1 : first_zero_diagonal(L, opts.lower);
}

}  // namespace

TriangularCheck sptrsv_check_structure(const index_t* ip, const index_t* ix, index_t n, TriangularOptions opts) {
  for (index_t i = 0; i < n; ++i) {
    const index_t b = ip[i], e = ip[i + 1];
    if (e == b) {
      if (!opts.unit_diagonal) return {TriangularCheck::missing_diagonal, i, -1};
      continue;
    }
    if (opts.lower) {
      if (ix[e - 1] > i) {
        index_t q = b;
        while (ix[q] <= i) ++q;
        return {TriangularCheck::wrong_side, i, ix[q]};
      }
      if (!opts.unit_diagonal && ix[e - 1] != i) return {TriangularCheck::missing_diagonal, i, -1};
    } else {
      if (ix[b] < i) return {TriangularCheck::wrong_side, i, ix[b]};
      if (!opts.unit_diagonal && ix[b] != i) return {TriangularCheck::missing_diagonal, i, -1};
    }
  }
  return {};
}

template <class T>
index_t sptrsv_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* b, T* x, index_t k) {
  return solve<T, true>(pool, L, opts, b, x, k);
}

template <class T>
index_t sptrsv_transpose_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* v, T* w,
                             index_t k) {
  return solve<T, false>(pool, L, opts, v, w, k);
}

template <class T>
index_t sptrsv_backward_cpu(ThreadPool& pool, const Csr<const T>& L, TriangularOptions opts, const T* x, const T* v,
                            T* w, T* grad, index_t k) {
  if (k != 1 || grad == nullptr || L.rows == 0) {
    index_t bad = solve<T, false>(pool, L, opts, v, w, k);
    if (bad < 0 && grad)
      masked_outer_sum_cpu<T>(pool, L.rows, L.indptr, L.indices, w, x, k, T(-1), opts.unit_diagonal, grad);
    return bad;
  }
  if (sweep_vector<T, false>(L, opts, v, w, x, grad) < 0) return -1;
  return first_zero_diagonal(L, opts.lower);
}

#define SAD_INSTANTIATE(T)                                                                                   \
  template index_t sptrsv_cpu<T>(ThreadPool&, const Csr<const T>&, TriangularOptions, const T*, T*, index_t); \
  template index_t sptrsv_transpose_cpu<T>(ThreadPool&, const Csr<const T>&, TriangularOptions, const T*, T*, \
                                           index_t);                                                         \
  template index_t sptrsv_backward_cpu<T>(ThreadPool&, const Csr<const T>&, TriangularOptions, const T*,       \
                                          const T*, T*, T*, index_t);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
