// The bodies of the sparse CUDA kernels: what one thread (or one lane of a
// group of threads sharing a row) computes, as host/device functions (hd.h).
// The *_cuda.cu files wrap them in kernels; the C++ tests call them from host
// loops and compare with the CPU kernels, so the arithmetic the GPU runs is
// checked on machines without one.
//
// "lane, lanes": a row (or entry) is handled by `lanes` threads; lane l takes
// the entries l, l + lanes, l + 2·lanes, … and the partial results are summed
// by the kernel (a shuffle reduction) or by the host loop.
#pragma once

#include "hd.h"

namespace sad {
namespace body {

// Lanes per row for the row-parallel kernels, from the average row length:
// 1 (a thread per row, the "scalar" kernel) for short rows, else a power of two
// up to 32 (part of a warp or a whole warp per row, the "vector" kernel) so that
// most lanes get an entry.
SAD_HD int row_lanes(int64_t rows, int64_t nnz) {
  if (rows <= 0 || nnz <= 4 * rows) return 1;
  int lanes = 4;
  while (lanes < 32 && int64_t(lanes) * 2 * rows <= nnz) lanes *= 2;
  return lanes;
}

// Lanes per row for SpMV and the k ≤ 4 masked products on the GPU: about 4 to 8
// entries a lane, so rows of fewer than 8 entries get a thread each (the scalar
// kernel: neighbouring threads read neighbouring rows, so a warp's loads still
// share cache lines). Measured on an H200 at 2^21 to 2^24 rows (float64): the
// 2-D 5-point and 3-D 7-point Poisson matrices ran fastest on 1 lane (0.36 and
// 0.50 ms at 2^24; 4 lanes 0.54 and 0.59 ms), 9 a row on 2 lanes (0.54 ms; 8
// lanes 0.97 ms), 16 and 27 a row on 4 lanes (16 lanes: 1.35× slower at 27).
SAD_HD int spmv_lanes(int64_t rows, int64_t nnz) {
  if (rows <= 0) return 1;
  const int64_t per_row = nnz / rows;
  int lanes = 1;
  while (lanes < 32 && int64_t(lanes) * 8 <= per_row) lanes *= 2;
  return lanes;
}

// Whether the GPU SpMV VJP takes dA and dx in one pass over Aᵀ (columns of at
// most 4 entries on average), rather than dA over A's rows and then dx.
SAD_HD bool spmv_vjp_one_pass(int64_t cols, int64_t nnz) { return nnz <= 4 * cols; }

// Lanes per stored entry for the masked products (a dot over k columns).
SAD_HD int dot_lanes(int64_t k) {
  int lanes = 1;
  while (lanes < 32 && lanes < k) lanes *= 2;
  return lanes;
}

// ---------------------------------------------------------------------------
// SpMV: y = A x; its VJP dx = Aᵀ v, dA = (v xᵀ) ⊙ mask(A)

// Σ over this lane's entries of row i of A[i, j] x[j] (perm: the value of entry
// q is av[perm[q]], for Aᵀ v through the transpose structure; null: av[q]).
template <class T>
SAD_HD T spmv_row_partial(const index_t* ip, const index_t* ix, const index_t* perm, const T* av, const T* x,
                          index_t i, int lane, int lanes) {
  T acc = 0;
  const index_t end = ip[i + 1];
  if (perm) {
    for (index_t p = ip[i] + lane; p < end; p += lanes) acc += av[perm[p]] * x[ix[p]];
  } else {
    for (index_t p = ip[i] + lane; p < end; p += lanes) acc += av[p] * x[ix[p]];
  }
  return acc;
}

// Both VJPs in one pass over row i: dA[p] = v[i] x[j] (dA non-null) and
// dx[j] += A[p] v[i] (dx non-null, zeroed before).
template <class T>
SAD_HD void spmv_backward_row(const index_t* ip, const index_t* ix, const T* av, const T* v, const T* x, index_t i,
                              int lane, int lanes, T* dA, T* dx) {
  const T vi = v[i];
  for (index_t p = ip[i] + lane; p < ip[i + 1]; p += lanes) {
    const index_t j = ix[p];
    if (dA) dA[p] = vi * x[j];
    if (dx) hd::atomic_add(&dx[j], av[p] * vi);
  }
}

// This lane's part of Σ_c u[c] x[c] over c < k (u, x: rows of row-major blocks).
template <class T>
SAD_HD T dot_partial(const T* u, const T* x, int64_t k, int lane, int lanes) {
  T acc = 0;
  for (int64_t c = lane; c < k; c += lanes) acc += u[c] * x[c];
  return acc;
}

// ---------------------------------------------------------------------------
// SpDMM: C = A D (D row-major, m columns); dD = Aᵀ V is the same product on the
// transpose structure with the values read through perm.

template <class T>
SAD_HD T spdmm_entry(const index_t* ip, const index_t* ix, const index_t* perm, const T* av, const T* D, int64_t m,
                     index_t i, int64_t c) {
  T acc = 0;
  for (index_t p = ip[i]; p < ip[i + 1]; ++p) acc += (perm ? av[perm[p]] : av[p]) * D[int64_t(ix[p]) * m + c];
  return acc;
}

// ---------------------------------------------------------------------------
// SpGEMM by expand-sort-compress (Dalton, Olson & Bell 2015, as the paper):
// every product A[i,k] B[k,j] is written out with its column j, the products of
// each row of C are sorted by column (stably, so equal columns keep A's order),
// and runs of equal columns are summed into one entry of C.

// The products entry (i, k) of A makes: the length of row k of B.
SAD_HD int64_t spgemm_entry_products(const index_t* b_ip, index_t k) { return b_ip[k + 1] - b_ip[k]; }

// Writes the products of A's entry p (column k, value a) at out_off, out_off + 1, …
template <class T>
SAD_HD void spgemm_expand_entry(index_t k, T a, const index_t* b_ip, const index_t* b_ix, const T* bv, int64_t out_off,
                                int lane, int lanes, index_t* keys, T* vals) {
  const index_t q0 = b_ip[k];
  for (index_t q = q0 + lane; q < b_ip[k + 1]; q += lanes) {
    keys[out_off + (q - q0)] = b_ix[q];
    vals[out_off + (q - q0)] = a * bv[q];
  }
}

// 1 where product t (in sorted order) starts a run of equal columns within its
// row (row starts are marked separately: every row's first product is a head).
SAD_HD int spgemm_head(const index_t* keys, int64_t t) { return (t == 0 || keys[t] != keys[t - 1]) ? 1 : 0; }

// The head at sorted position t writes one entry of C: its column and the sum of
// its run. pos is the exclusive prefix sum of the heads (total + 1 entries, so t
// is a head iff pos[t + 1] != pos[t]); perm[u] is where sorted product u was
// expanded, its value vals[perm[u]]. The sort is stable, so a run sums in
// expansion order, which is Gustavson's order (A's entries in turn).
template <class T>
SAD_HD void spgemm_compress(int64_t t, int64_t total, const index_t* pos, const index_t* keys, const index_t* perm,
                            const T* vals, index_t* c_ix, T* c_val) {
  if (pos[t + 1] == pos[t]) return;
  T acc = vals[perm[t]];
  for (int64_t u = t + 1; u < total && pos[u + 1] == pos[u]; ++u) acc += vals[perm[u]];
  c_ix[pos[t]] = keys[t];
  c_val[pos[t]] = acc;
}

// Row i of C = A B on a known pattern (c_ip, c_ix, sorted): c_val zeroed and
// accumulated in A's order, each product's slot found by binary search.
template <class T>
SAD_HD void spgemm_numeric_row(const index_t* a_ip, const index_t* a_ix, const T* av, const index_t* b_ip,
                               const index_t* b_ix, const T* bv, const index_t* c_ip, const index_t* c_ix, index_t i,
                               T* c_val) {
  const index_t c0 = c_ip[i], len = c_ip[i + 1] - c0;
  for (index_t t = c0; t < c0 + len; ++t) c_val[t] = 0;
  for (index_t p = a_ip[i]; p < a_ip[i + 1]; ++p) {
    const index_t k = a_ix[p];
    const T a = av[p];
    for (index_t q = b_ip[k]; q < b_ip[k + 1]; ++q)
      c_val[c0 + hd::lower_bound(c_ix + c0, len, b_ix[q])] += a * bv[q];
  }
}

// SpGEMM by a row merge, for A whose rows are short (at most K entries): row i
// of C is the union of the rows of B that row i of A selects, each sorted, so a
// K-way merge of them gives C's columns in order with no products written out
// and no sort. Count (Fill false: returns how many columns; av, bv, c_ix, c_val
// unused), then fill (c_ix, c_val: row i's place in C). A column's value sums
// its products in A's order, as Gustavson's and the expand-sort-compress do.
constexpr index_t kNoColumn = 0x7fffffff;  // above every column index (cols < 2^31)

template <int K, bool Fill, class T>
SAD_HD index_t spgemm_row_merge(const index_t* a_ip, const index_t* a_ix, const T* av, const index_t* b_ip,
                                const index_t* b_ix, const T* bv, index_t i, index_t* c_ix, T* c_val) {
  index_t cur[K], end[K], head[K];
  T a[K];
  const index_t p0 = a_ip[i], k = a_ip[i + 1] - p0;  // k ≤ K
SAD_UNROLL
  for (int t = 0; t < K; ++t) {
    cur[t] = end[t] = 0;
    a[t] = T(0);
    if (t < k) {
      const index_t r = a_ix[p0 + t];
      cur[t] = b_ip[r];
      end[t] = b_ip[r + 1];
      if (Fill) a[t] = av[p0 + t];
    }
    head[t] = cur[t] < end[t] ? b_ix[cur[t]] : kNoColumn;
  }
  index_t n = 0;
  for (;;) {
    index_t m = kNoColumn;
SAD_UNROLL
    for (int t = 0; t < K; ++t) m = head[t] < m ? head[t] : m;
    if (m == kNoColumn) return n;
    T acc = T(0);
    bool any = false;
SAD_UNROLL
    for (int t = 0; t < K; ++t) {
      if (head[t] != m) continue;
      if (Fill) {
        const T x = a[t] * bv[cur[t]];
        acc = any ? acc + x : x;
        any = true;
      }
      ++cur[t];
      head[t] = cur[t] < end[t] ? b_ix[cur[t]] : kNoColumn;
    }
    if (Fill) {
      c_ix[n] = m;
      c_val[n] = acc;
    }
    ++n;
  }
}

// The VJP at A's entry p = (i, k), V on C's pattern:
//   returns dA[p] = Σ_q V[i, j_q] B[k, j_q]           ((V Bᵀ) ⊙ mask(A))
//   and adds A[p] V[i, j_q] to dB[q] for q in row k  ((Aᵀ V) ⊙ mask(B), atomics; dB null: skipped)
// Row k of B's columns all appear in row i of C; found by a search that moves forward.
template <class T>
SAD_HD T spgemm_backward_entry(index_t i, index_t k, T a, const index_t* b_ip, const index_t* b_ix, const T* bv,
                               const index_t* c_ip, const index_t* c_ix, const T* v, T* dB) {
  T acc = 0;
  int64_t lo = c_ip[i];
  const int64_t hi = c_ip[i + 1];
  for (index_t q = b_ip[k]; q < b_ip[k + 1]; ++q) {
    lo += hd::lower_bound(c_ix + lo, hi - lo, b_ix[q]);
    const T vij = v[lo];
    acc += vij * bv[q];
    if (dB) hd::atomic_add(&dB[q], a * vij);
  }
  return acc;
}

// ---------------------------------------------------------------------------
// Sp + Sp: C = αA + βB, C's pattern the row-wise union of A's and B's.

SAD_HD index_t spadd_row_count(const index_t* a_ip, const index_t* a_ix, const index_t* b_ip, const index_t* b_ix,
                               index_t i) {
  index_t pa = a_ip[i], ea = a_ip[i + 1], pb = b_ip[i], eb = b_ip[i + 1], n = 0;
  while (pa < ea && pb < eb) {
    const index_t ja = a_ix[pa], jb = b_ix[pb];
    pa += ja <= jb;
    pb += jb <= ja;
    ++n;
  }
  return n + (ea - pa) + (eb - pb);
}

// Row i of C's columns and the maps (where each entry of A and B lands in C).
SAD_HD void spadd_row_fill(const index_t* a_ip, const index_t* a_ix, const index_t* b_ip, const index_t* b_ix,
                           const index_t* c_ip, index_t i, index_t* c_ix, index_t* map_a, index_t* map_b) {
  index_t pa = a_ip[i], ea = a_ip[i + 1], pb = b_ip[i], eb = b_ip[i + 1], t = c_ip[i];
  while (pa < ea && pb < eb) {
    const index_t ja = a_ix[pa], jb = b_ix[pb];
    if (ja <= jb) map_a[pa++] = t;
    if (jb <= ja) map_b[pb++] = t;
    c_ix[t++] = ja < jb ? ja : jb;
  }
  for (; pa < ea; ++pa, ++t) {
    map_a[pa] = t;
    c_ix[t] = a_ix[pa];
  }
  for (; pb < eb; ++pb, ++t) {
    map_b[pb] = t;
    c_ix[t] = b_ix[pb];
  }
}

// ---------------------------------------------------------------------------
// SpTRSV, synchronisation-free (Liu et al. 2016; Su et al. 2020, "Capellini",
// as the paper): one thread per row, warps claiming chunks of 32 consecutive
// rows in solve order from an atomic counter (so every row a warp waits on
// belongs to a warp that started earlier: no deadlock, whatever the scheduler).
// Each warp loops: every unsolved lane consumes as many of its dependencies as
// are ready, and solves its row once all are. Dependencies inside the warp's own
// chunk are read from a per-warp snapshot (shared memory, refreshed at each
// iteration's __syncwarp); older rows from global memory through
// acquire/release flags. A chain of rows inside a chunk thus costs one cheap
// iteration per row instead of a global-memory round trip.
//
// The forward solve L x = b gathers (CSR rows). The transposed solve Lᵀ w = v
// scatters: a solved row i adds L[i, j] w[i] into the pending sum of each row j
// it feeds and counts one arrival; row j is ready when all its in-degree arrived.

constexpr int kChunk = 32;

// Row i's strict (off-diagonal) entries [begin, end) and its diagonal's position
// (-1 when not stored): for a lower triangle the diagonal is the last entry, for
// an upper one the first (columns are sorted).
struct TrsvRow {
  index_t i = 0, q = 0, end = 0, diag = -1;
};

SAD_HD TrsvRow trsv_row(const index_t* ip, const index_t* ix, index_t i, bool lower) {
  TrsvRow r;
  r.i = i;
  index_t b = ip[i], e = ip[i + 1];
  if (lower) {
    if (e > b && ix[e - 1] == i) r.diag = --e;
  } else {
    if (e > b && ix[b] == i) r.diag = b++;
  }
  r.q = b;
  r.end = e;
  return r;
}

// Position of row j in solve order (ascending for a lower forward solve or an
// upper transposed one).
SAD_HD int64_t trsv_position(index_t n, bool ascending, index_t j) { return ascending ? j : int64_t(n) - 1 - j; }

// The divisor of row r: its diagonal (1 for a unit diagonal). A zero or missing
// pivot is recorded in *bad (the smallest such row) and the division goes ahead
// (x becomes ±Inf/NaN) so that no thread waits forever.
template <class T>
SAD_HD T trsv_pivot(const T* av, const TrsvRow& r, bool unit, int* bad) {
  if (unit) return T(1);
  const T d = r.diag >= 0 ? av[r.diag] : T(0);
  if (d == T(0)) hd::atomic_min(bad, r.i);
  return d;
}

// What a forward lane sees of the solved rows: its chunk's snapshot (positions
// [base, base + 32): bit t of `solved` set once the row at base + t is solved,
// its value in sx[t]) and, for older rows, the global flags and x.
template <class T>
struct TrsvGather {
  index_t n = 0;
  bool ascending = true;
  int64_t base = 0;
  unsigned solved = 0;
  const T* sx = nullptr;
  const int* done = nullptr;
  const T* x = nullptr;
  index_t k = 1, c = 0;  // x is row-major n × k; this solve is column c

  SAD_HD bool ready(index_t j) const {
    const int64_t t = trsv_position(n, ascending, j) - base;
    return t >= 0 ? ((solved >> t) & 1u) != 0 : hd::load_acquire(done + j) != 0;
  }
  SAD_HD T value(index_t j) const {
    const int64_t t = trsv_position(n, ascending, j) - base;
    return t >= 0 ? sx[t] : hd::load_fresh(x + int64_t(j) * k + c);
  }
};

// One forward lane's step: consumes ready dependencies into acc; once all are
// in, solves the row, writes x (and sx_out, the lane's snapshot slot), publishes
// the row's flag, and returns true.
template <class T>
SAD_HD bool trsv_forward_step(const index_t* ix, const T* av, bool unit, const T* b, T* x, int* done, int* bad,
                              const TrsvGather<T>& g, TrsvRow& r, T& acc, T* sx_out) {
  for (; r.q < r.end; ++r.q) {
    const index_t j = ix[r.q];
    if (!g.ready(j)) return false;
    acc += av[r.q] * g.value(j);
  }
  const int64_t at = int64_t(r.i) * g.k + g.c;
  const T xi = (b[at] - acc) / trsv_pivot(av, r, unit, bad);
  x[at] = xi;
  *sx_out = xi;
  hd::store_release(done + r.i, 1);
  return true;
}

// What a transposed lane sees and writes: pending sums and arrival counts of its
// chunk's rows in shared memory (left_s, got_s, indexed by position − base;
// read through a per-iteration snapshot), of other rows in global memory.
template <class T>
struct TrsvScatter {
  index_t n = 0;
  bool ascending = true;
  int64_t base = 0;
  T* left_s = nullptr;
  int* got_s = nullptr;
  T* left = nullptr;  // global pending sums (n; this column's)
  int* got = nullptr;  // global arrival counts (n)

  SAD_HD void send(index_t j, T contribution) const {
    const int64_t t = trsv_position(n, ascending, j) - base;
    if (t < kChunk) {  // a later row of this chunk
      hd::atomic_add_block(left_s + t, contribution);
      hd::atomic_add_block(got_s + t, 1);
    } else {
      hd::atomic_add(left + j, contribution);
      hd::add_release(got + j, 1);
    }
  }
};

// One transposed lane's step: once every row feeding row i has arrived
// (the global count plus the chunk's snapshot count reach its in-degree), solves
// w[i] = (v[i] − pending) / L[i, i] and sends L[i, j] w[i] to each row j it
// feeds. got_snap / left_snap: this lane's shared-memory slots as of the last
// __syncwarp.
template <class T>
SAD_HD bool trsv_transpose_step(const index_t* ix, const T* av, bool unit, const T* v, T* w, int* bad, index_t k,
                                index_t c, const TrsvScatter<T>& s, const TrsvRow& r, int indegree, int got_snap,
                                T left_snap) {
  if (got_snap + (indegree > got_snap ? hd::load_acquire(s.got + r.i) : 0) < indegree) return false;
  const T pending = left_snap + hd::load_fresh(s.left + r.i);
  const int64_t at = int64_t(r.i) * k + c;
  const T wi = (v[at] - pending) / trsv_pivot(av, r, unit, bad);
  w[at] = wi;
  for (index_t q = r.q; q < r.end; ++q) s.send(ix[q], av[q] * wi);
  return true;
}

// The in-degree of each row in the transposed solve: one arrival per strict entry (i, j) of L, at j.
SAD_HD void trsv_count_row(const index_t* ix, const TrsvRow& r, int* indegree) {
  for (index_t q = r.q; q < r.end; ++q) hd::atomic_add(indegree + ix[q], 1);
}

}  // namespace body
}  // namespace sad
