// The bodies of the CUDA kernels (sparse_bodies.h, dense_bodies.h) run on the
// CPU from host loops shaped like the kernels' launches (lanes per row, the
// expand-sort-compress pipeline with a host sort in place of CUB's, the
// synchronisation-free triangular solves with warps interleaved at random), and
// compared with the CPU kernels and the naive references. This is the part of
// the GPU code a machine without a GPU can check.
#include <algorithm>
#include <climits>
#include <numeric>
#include <random>

#include "dense_bodies.h"
#include "refs.h"
#include "spadd.h"
#include "sparse_bodies.h"
#include "spdmm.h"
#include "spgemm.h"
#include "spmv.h"
#include "sptrsv.h"

using namespace sad_test;
using sad::ThreadPool;
namespace body = sad::body;

namespace {

const int kLanes[] = {1, 2, 4, 8, 16, 32};

// Runs fn(row, lane, lanes) for every row and lane, as a launch with `lanes` lanes per row would.
template <class F>
void for_rows(index_t rows, int lanes, F&& fn) {
  for (index_t i = 0; i < rows; ++i)
    for (int l = 0; l < lanes; ++l) fn(i, l, lanes);
}

template <class T>
void spmv_bodies(ThreadPool& pool, const HostCsr<T>& A) {
  const auto x = random_vector<T>(A.cols, 1), v = random_vector<T>(A.rows, 2);
  const Ref y = ref_spmv(A, x), yt = ref_spmv_t(A, v);
  std::vector<T> want_outer(A.nnz()), want_dx(A.cols);
  sad::masked_outer_cpu(pool, A.rows, A.ip.data(), A.ix.data(), v.data(), x.data(), want_outer.data());
  const TransposeStructure t = transpose_of(A);
  for (int lanes : kLanes) {
    const std::string at = A.name + " lanes=" + std::to_string(lanes);
    std::vector<T> got(A.rows, 0), got_perm(A.cols, 0);
    std::vector<T> dA = nan_vector<T>(A.nnz()), dx(A.cols, 0);
    for_rows(A.rows, lanes, [&](index_t i, int l, int n) {
      got[i] += body::spmv_row_partial<T>(A.ip.data(), A.ix.data(), nullptr, A.val.data(), x.data(), i, l, n);
      body::spmv_backward_row(A.ip.data(), A.ix.data(), A.val.data(), v.data(), x.data(), i, l, n, dA.data(),
                              dx.data());
    });
    // Aᵀ v as a gather through the transpose structure (the deterministic variant).
    for_rows(A.cols, lanes, [&](index_t j, int l, int n) {
      got_perm[j] += body::spmv_row_partial(t.ip.data(), t.ix.data(), t.perm.data(), A.val.data(), v.data(), j, l, n);
    });
    check_close("spmv_row_partial " + at, got, y.value, y.mag);
    check_close("spmv_row_partial(perm) " + at, got_perm, yt.value, yt.mag);
    check_equal("spmv_backward_row dA " + at, dA, want_outer);
    check_close("spmv_backward_row dx " + at, dx, yt.value, yt.mag);
  }
}

template <class T>
void masked_dot_bodies(ThreadPool& pool, const HostCsr<T>& A, index_t k) {
  const auto u = random_vector<T>(int64_t(A.rows) * k, 3), x = random_vector<T>(int64_t(A.cols) * k, 4);
  for (bool skip : {false, true}) {
    if (skip && A.rows != A.cols) continue;
    std::vector<T> want(A.nnz());
    sad::masked_outer_sum_cpu(pool, A.rows, A.ip.data(), A.ix.data(), u.data(), x.data(), k, T(-1), skip, want.data());
    const Ref r = ref_masked_outer(A, u, x, k, -1.0, skip);
    const int lanes = body::dot_lanes(k);
    std::vector<T> got = nan_vector<T>(A.nnz());
    for (int64_t p = 0; p < A.nnz(); ++p) {
      const index_t i = sad::hd::row_of(p, A.ip.data(), A.rows), j = A.ix[p];
      SAD_CHECK(i == A.row_of(p)) << A.name << " row_of(" << p << ")";
      T acc = 0;
      for (int l = 0; l < lanes; ++l)
        acc += body::dot_partial(u.data() + int64_t(i) * k, x.data() + int64_t(j) * k, k, l, lanes);
      got[p] = (skip && i == j) ? T(0) : T(-1) * acc;
    }
    check_close("dot_partial k=" + std::to_string(k) + " " + A.name, got, r.value, r.mag);
    check_close("masked_outer_sum_cpu k=" + std::to_string(k) + " " + A.name, want, r.value, r.mag);
  }
}

template <class T>
void spdmm_bodies(ThreadPool& pool, const HostCsr<T>& A, int64_t m) {
  const auto D = random_vector<T>(A.cols * m, 5), V = random_vector<T>(A.rows * m, 6);
  std::vector<T> want(A.rows * m), want_dD(A.cols * m);
  sad::spdmm_cpu(pool, A.view(), D.data(), m, want.data());
  const TransposeStructure t = transpose_of(A);
  sad::spdmm_backward_cpu(pool, A.cols, t.ip.data(), t.ix.data(), t.perm.data(), A.val.data(), V.data(), D.data(), m,
                          static_cast<T*>(nullptr), want_dD.data());
  const Ref C = ref_spdmm(A, D, m), dD = ref_spdmm_t(A, V, m);
  std::vector<T> got = nan_vector<T>(A.rows * m), got_dD = nan_vector<T>(A.cols * m);
  for (index_t i = 0; i < A.rows; ++i)
    for (int64_t c = 0; c < m; ++c)
      got[size_t(i * m + c)] = body::spdmm_entry<T>(A.ip.data(), A.ix.data(), nullptr, A.val.data(), D.data(), m, i, c);
  for (index_t j = 0; j < A.cols; ++j)
    for (int64_t c = 0; c < m; ++c)
      got_dD[size_t(j * m + c)] =
          body::spdmm_entry(t.ip.data(), t.ix.data(), t.perm.data(), A.val.data(), V.data(), m, j, c);
  const std::string at = A.name + " m=" + std::to_string(m);
  check_close("spdmm_entry " + at, got, C.value, C.mag);
  check_close("spdmm_entry(perm) " + at, got_dD, dD.value, dD.mag);
  check_close("spdmm_cpu " + at, want, C.value, C.mag);
}

// The GPU's row merge (rows of A with at most K entries): count, scan, fill,
// against the CPU kernel's pattern and values (the same sums in the same order).
template <int K, class T>
void spgemm_merge_bodies(const HostCsr<T>& A, const HostCsr<T>& B, const std::vector<index_t>& w_ip,
                         const std::vector<index_t>& w_ix, const std::vector<T>& w_val, const std::string& at) {
  const std::string what = "spgemm_row_merge<" + std::to_string(K) + "> " + at;
  const index_t rows = A.rows;
  std::vector<index_t> c_ip(size_t(rows) + 1, 0);
  for (index_t i = 0; i < rows; ++i)
    c_ip[i + 1] = c_ip[i] + body::spgemm_row_merge<K, false, T>(A.ip.data(), A.ix.data(), nullptr, B.ip.data(),
                                                                 B.ix.data(), nullptr, i, nullptr, nullptr);
  check_equal(what + " indptr", c_ip, w_ip);
  if (c_ip != w_ip) return;
  std::vector<index_t> c_ix(size_t(c_ip[rows]), -1);
  std::vector<T> c_val = nan_vector<T>(c_ip[rows]);
  for (index_t i = 0; i < rows; ++i)
    body::spgemm_row_merge<K, true>(A.ip.data(), A.ix.data(), A.val.data(), B.ip.data(), B.ix.data(), B.val.data(),
                                    i, c_ix.data() + c_ip[i], c_val.data() + c_ip[i]);
  check_equal(what + " indices", c_ix, w_ix);
  check_equal(what + " values (bitwise, vs CPU)", c_val, w_val);
}

// The GPU's expand-sort-compress, step by step on the host (std::stable_sort
// per row standing in for CUB's stable segmented sort).
template <class T>
void spgemm_bodies(ThreadPool& pool, const HostCsr<T>& A, const HostCsr<T>& B) {
  const std::string at = A.name + " * " + B.name;
  const index_t rows = A.rows;
  std::vector<int64_t> off(A.nnz() + 1, 0);
  for (int64_t p = 0; p < A.nnz(); ++p) off[p] = body::spgemm_entry_products(B.ip.data(), A.ix[p]);
  std::exclusive_scan(off.begin(), off.end(), off.begin(), int64_t(0));
  const int64_t total = off[A.nnz()];
  std::vector<index_t> seg(size_t(rows) + 1), keys(total, -1);
  std::vector<T> vals = nan_vector<T>(total);
  for (index_t i = 0; i <= rows; ++i) seg[i] = index_t(off[A.ip[i]]);
  const int lanes = body::row_lanes(B.rows, B.nnz());
  for (int64_t p = 0; p < A.nnz(); ++p)
    for (int l = 0; l < lanes; ++l)
      body::spgemm_expand_entry(A.ix[p], A.val[p], B.ip.data(), B.ix.data(), B.val.data(), off[p], l, lanes,
                                keys.data(), vals.data());
  std::vector<index_t> perm(total), sorted(total);
  std::iota(perm.begin(), perm.end(), 0);
  for (index_t i = 0; i < rows; ++i)
    std::stable_sort(perm.begin() + seg[i], perm.begin() + seg[i + 1],
                     [&](index_t a, index_t b) { return keys[a] < keys[b]; });
  for (int64_t t = 0; t < total; ++t) sorted[t] = keys[perm[t]];
  std::vector<index_t> pos(total + 1, 0);
  for (int64_t t = 0; t < total; ++t) pos[t] = body::spgemm_head(sorted.data(), t);
  for (index_t i = 0; i < rows; ++i)
    if (seg[i] < seg[i + 1]) pos[seg[i]] = 1;
  std::exclusive_scan(pos.begin(), pos.end(), pos.begin(), index_t(0));
  std::vector<index_t> c_ip(size_t(rows) + 1);
  for (index_t i = 0; i <= rows; ++i) c_ip[i] = pos[seg[i]];
  const int64_t nnz = pos[total];
  std::vector<index_t> c_ix(nnz, -1);
  std::vector<T> c_val = nan_vector<T>(nnz);
  for (int64_t t = 0; t < total; ++t)
    body::spgemm_compress(t, total, pos.data(), sorted.data(), perm.data(), vals.data(), c_ix.data(), c_val.data());
  // Against the CPU kernel.
  std::vector<index_t> w_ip(size_t(rows) + 1), w_ix;
  std::vector<T> w_val;
  sad::spgemm_cpu<T>(pool, A.view(), B.view(), w_ip.data(), [&](int64_t n) {
    w_ix.resize(n);
    w_val.resize(n);
    return sad::CsrOut<T>{w_ix.data(), w_val.data()};
  });
  index_t longest = 0;  // the GPU merges when A's rows are this short (K = 1, 2, 4 or 8 as it picks)
  for (index_t i = 0; i < rows; ++i) longest = std::max(longest, A.ip[i + 1] - A.ip[i]);
  if (longest <= 8) spgemm_merge_bodies<8>(A, B, w_ip, w_ix, w_val, at);
  if (longest <= 4) spgemm_merge_bodies<4>(A, B, w_ip, w_ix, w_val, at);
  if (longest <= 2) spgemm_merge_bodies<2>(A, B, w_ip, w_ix, w_val, at);
  if (longest <= 1) spgemm_merge_bodies<1>(A, B, w_ip, w_ix, w_val, at);
  check_equal("ESC indptr " + at, c_ip, w_ip);
  check_equal("ESC indices " + at, c_ix, w_ix);
  const SparseRef R = ref_spgemm(A, B);
  const Ref rv = R.values();
  check_close("ESC values " + at, c_val, rv.value, rv.mag);
  // Numeric pass on the known pattern, a thread per row.
  std::vector<T> n_val = nan_vector<T>(nnz);
  for (index_t i = 0; i < rows; ++i)
    body::spgemm_numeric_row(A.ip.data(), A.ix.data(), A.val.data(), B.ip.data(), B.ix.data(), B.val.data(),
                             c_ip.data(), c_ix.data(), i, n_val.data());
  check_close("spgemm_numeric_row " + at, n_val, rv.value, rv.mag);
  // VJP, a thread per entry of A.
  const auto V = random_vector<T>(nnz, 7);
  Ref dA, dB;
  ref_spgemm_backward(A, B, c_ip, c_ix, V, dA, dB);
  std::vector<T> gA = nan_vector<T>(A.nnz()), gB(B.nnz(), 0);
  for (int64_t p = 0; p < A.nnz(); ++p)
    gA[p] = body::spgemm_backward_entry(sad::hd::row_of(p, A.ip.data(), rows), A.ix[p], A.val[p], B.ip.data(),
                                        B.ix.data(), B.val.data(), c_ip.data(), c_ix.data(), V.data(), gB.data());
  check_close("spgemm_backward_entry dA " + at, gA, dA.value, dA.mag);
  check_close("spgemm_backward_entry dB " + at, gB, dB.value, dB.mag);
}

template <class T>
void spadd_bodies(ThreadPool& pool, const HostCsr<T>& A, const HostCsr<T>& B) {
  const index_t rows = A.rows;
  std::vector<index_t> want_ip(size_t(rows) + 1);
  const int64_t nnz =
      sad::spadd_symbolic_cpu(pool, rows, A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), want_ip.data());
  std::vector<index_t> want_ix(nnz), want_ma(A.nnz()), want_mb(B.nnz());
  sad::spadd_structure_cpu(pool, rows, A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), want_ip.data(),
                           want_ix.data(), want_ma.data(), want_mb.data());
  std::vector<index_t> c_ip(size_t(rows) + 1, 0);
  for (index_t i = 0; i < rows; ++i)
    c_ip[i + 1] = c_ip[i] + body::spadd_row_count(A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), i);
  check_equal("spadd_row_count " + B.name, c_ip, want_ip);
  std::vector<index_t> c_ix(nnz, -1), ma(A.nnz(), -1), mb(B.nnz(), -1);
  for (index_t i = 0; i < rows; ++i)
    body::spadd_row_fill(A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), c_ip.data(), i, c_ix.data(), ma.data(),
                         mb.data());
  check_equal("spadd_row_fill indices " + B.name, c_ix, want_ix);
  check_equal("spadd_row_fill map_a " + B.name, ma, want_ma);
  check_equal("spadd_row_fill map_b " + B.name, mb, want_mb);
}

// ---------------------------------------------------------------------------
// The synchronisation-free solves, simulated: `slots` warps resident at once,
// each claiming the next chunk of 32 rows when it starts; at every step one
// resident warp, picked at random, runs one iteration of its loop with its
// lanes in random order; the per-warp snapshot refreshes at the iteration's end
// (the kernels' __syncwarp). A stall (no warp progressing) fails the test.

constexpr int kNoPivot = 0x7f7f7f7f;

template <class T>
struct SimWarp {
  bool active = false;
  int64_t base = 0;
  bool fin[32] = {};
  body::TrsvRow r[32];
  T acc[32] = {};
  int need[32] = {};
  // forward: sx; transposed: left_s / got_s and their snapshots
  T sx[32] = {};
  T left_s[32] = {}, left_snap[32] = {};
  int got_s[32] = {}, got_snap[32] = {};
  unsigned solved = 0;
};

template <class T>
index_t simulate_trsv(const HostCsr<T>& L, bool lower, bool unit, bool transpose, const std::vector<T>& b,
                      std::vector<T>& x, index_t k, int slots, uint64_t seed, const std::string& at) {
  const index_t n = L.rows;
  const bool ascending = transpose ? !lower : lower;
  const int64_t chunks = (int64_t(n) + body::kChunk - 1) / body::kChunk;
  int bad = kNoPivot;
  std::vector<int> indegree(n, 0);
  if (transpose)
    for (index_t i = 0; i < n; ++i) body::trsv_count_row(L.ix.data(), body::trsv_row(L.ip.data(), L.ix.data(), i, lower), indegree.data());
  Rng rng(seed);
  for (index_t c = 0; c < k; ++c) {
    std::vector<int> done(n, 0), got(n, 0);
    std::vector<T> left(n, 0);
    int64_t next = 0;
    std::vector<SimWarp<T>> warp(slots);
    auto start = [&](SimWarp<T>& w) {
      w = SimWarp<T>();
      if (next >= chunks) return;
      w.active = true;
      w.base = next++ * body::kChunk;
      for (int l = 0; l < 32; ++l) {
        const int64_t t = w.base + l;
        w.fin[l] = t >= n;
        if (w.fin[l]) continue;
        const index_t i = index_t(ascending ? t : n - 1 - t);
        w.r[l] = body::trsv_row(L.ip.data(), L.ix.data(), i, lower);
        if (transpose) w.need[l] = indegree[i];
      }
      for (int l = 0; l < 32; ++l) w.solved |= unsigned(w.fin[l]) << l;
    };
    for (auto& w : warp) start(w);
    int64_t idle_steps = 0;
    int lane_order[32];
    std::iota(lane_order, lane_order + 32, 0);
    while (std::any_of(warp.begin(), warp.end(), [](const SimWarp<T>& w) { return w.active; })) {
      SimWarp<T>& w = warp[size_t(rng.below(slots))];
      if (!w.active) continue;
      std::shuffle(lane_order, lane_order + 32, std::mt19937(uint32_t(rng.next())));
      bool progressed = false;
      for (int l : lane_order) {
        if (w.fin[l]) continue;
        if (!transpose) {
          body::TrsvGather<T> g;
          g.n = n;
          g.ascending = ascending;
          g.base = w.base;
          g.solved = w.solved;
          g.sx = w.sx;
          g.done = done.data();
          g.x = x.data();
          g.k = k;
          g.c = c;
          const index_t q0 = w.r[l].q;
          w.fin[l] = body::trsv_forward_step(L.ix.data(), L.val.data(), unit, b.data(), x.data(), done.data(), &bad, g,
                                             w.r[l], w.acc[l], &w.sx[l]);
          progressed |= w.fin[l] || w.r[l].q != q0;
        } else {
          body::TrsvScatter<T> s;
          s.n = n;
          s.ascending = ascending;
          s.base = w.base;
          s.left_s = w.left_s;
          s.got_s = w.got_s;
          s.left = left.data();
          s.got = got.data();
          w.fin[l] = body::trsv_transpose_step(L.ix.data(), L.val.data(), unit, b.data(), x.data(), &bad, k, c, s,
                                               w.r[l], w.need[l], w.got_snap[l], w.left_snap[l]);
          progressed |= w.fin[l];
        }
      }
      // __syncwarp: the snapshot and the solved mask catch up.
      w.solved = 0;
      for (int l = 0; l < 32; ++l) {
        w.solved |= unsigned(w.fin[l]) << l;
        w.got_snap[l] = w.got_s[l];
        w.left_snap[l] = w.left_s[l];
      }
      if (w.solved == 0xffffffffu) start(w);
      idle_steps = progressed ? 0 : idle_steps + 1;
      if (idle_steps > 1000000) {
        SAD_CHECK(false) << at << ": the simulated solve stalled (a deadlock in the sync-free scheme)";
        return -2;
      }
    }
  }
  return bad == kNoPivot ? -1 : bad;
}

template <class T>
void trsv_bodies(ThreadPool& pool, const HostCsr<T>& A, bool lower, bool unit, index_t k, int slots) {
  const HostCsr<T> L = triangle_of(A, lower, unit);
  const std::string at = L.name + " k=" + std::to_string(k) + " warps=" + std::to_string(slots);
  const sad::TriangularOptions opts{lower, unit};
  const auto b = random_vector<T>(int64_t(L.rows) * k, 11);
  std::vector<T> want(b.size()), want_t(b.size());
  SAD_CHECK(sad::sptrsv_cpu(pool, L.view(), opts, b.data(), want.data(), k) == -1) << at;
  SAD_CHECK(sad::sptrsv_transpose_cpu(pool, L.view(), opts, b.data(), want_t.data(), k) == -1) << at;
  auto x = nan_vector<T>(int64_t(b.size())), w = nan_vector<T>(int64_t(b.size()));
  SAD_CHECK(simulate_trsv(L, lower, unit, false, b, x, k, slots, 21, at) == -1) << at;
  SAD_CHECK(simulate_trsv(L, lower, unit, true, b, w, k, slots, 22, at) == -1) << at;
  double scale = 1;
  for (T v : want) scale = std::max(scale, std::fabs(double(v)));
  for (T v : want_t) scale = std::max(scale, std::fabs(double(v)));
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-11;
  check_close("sync-free forward " + at, x, std::vector<double>(want.begin(), want.end()),
              std::vector<double>(want.size(), scale), tol);
  check_close("sync-free transpose " + at, w, std::vector<double>(want_t.begin(), want_t.end()),
              std::vector<double>(want_t.size(), scale), tol);
}

}  // namespace

SAD_TEST(bodies, lanes_heuristics) {
  SAD_CHECK(body::row_lanes(0, 0) == 1);
  SAD_CHECK(body::row_lanes(100, 300) == 1);    // 1-D Poisson: 3 per row, a thread per row
  SAD_CHECK(body::row_lanes(100, 500) == 4);    // 2-D Poisson: 5 per row
  SAD_CHECK(body::row_lanes(100, 1600) == 16);  // 16 per row
  SAD_CHECK(body::row_lanes(10, 100000) == 32);
  SAD_CHECK(body::spmv_lanes(0, 0) == 1 && body::spmv_lanes(5, 0) == 1);
  SAD_CHECK(body::spmv_lanes(100, 499) == 1);   // 2-D Poisson (5 a row, fewer on the border): a thread per row
  SAD_CHECK(body::spmv_lanes(100, 799) == 1);   // under 8 a row
  SAD_CHECK(body::spmv_lanes(100, 900) == 2);   // 9-point stencil
  SAD_CHECK(body::spmv_lanes(100, 2700) == 4);  // 27-point stencil
  SAD_CHECK(body::spmv_lanes(100, 3200) == 8);
  SAD_CHECK(body::spmv_lanes(10, 100000) == 32);
  SAD_CHECK(body::dot_lanes(1) == 1 && body::dot_lanes(5) == 8 && body::dot_lanes(16) == 16 && body::dot_lanes(1000) == 32);
  const index_t ip[] = {0, 0, 2, 2, 5, 5};  // empty rows 0, 2, 4
  for (int64_t p = 0; p < 5; ++p) SAD_CHECK(sad::hd::row_of(p, ip, 5) == (p < 2 ? 1 : 3)) << p;
  const index_t sorted[] = {1, 3, 3, 7};
  SAD_CHECK(sad::hd::lower_bound(sorted, 4, 3) == 1 && sad::hd::lower_bound(sorted, 4, 8) == 4 &&
            sad::hd::lower_bound(sorted, 4, 0) == 0);
}

SAD_TEST(bodies, spmv) {
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) spmv_bodies(pool, A);
  for (const auto& A : test_matrices<float>(false)) spmv_bodies(pool, A);
}

SAD_TEST(bodies, masked_products) {
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>())
    for (index_t k : {1, 3, 16, 40})
      if (A.nnz() * k <= 2000000) masked_dot_bodies(pool, A, k);
  for (const auto& A : test_matrices<float>(false)) masked_dot_bodies(pool, A, 5);
}

SAD_TEST(bodies, spdmm) {
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>())
    for (int64_t m : {1, 7, 33})
      if (A.nnz() * m <= 2000000) spdmm_bodies(pool, A, m);
}

SAD_TEST(bodies, spgemm_expand_sort_compress) {
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) {
    const auto At = transpose(A);
    if (spgemm_flops(A, At) <= 2000000) spgemm_bodies(pool, A, At);
    if (A.rows == A.cols && spgemm_flops(A, A) <= 2000000) spgemm_bodies(pool, A, A);
  }
  const auto P = poisson2d<float>(40);
  spgemm_bodies(pool, P, P);
  const auto W = rows_of_eight<double>();
  spgemm_bodies(pool, W, transpose(W));
}

SAD_TEST(bodies, spadd_union) {
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) {
    spadd_bodies(pool, A, random_csr<double>("random partner of " + A.name, A.rows, A.cols,
                                             std::min(0.01, 3.0 / std::max<index_t>(A.cols, 1)), 5));
    spadd_bodies(pool, A, A);
  }
}

SAD_TEST(bodies, sptrsv_sync_free) {
  ThreadPool pool(1);
  for (const auto& A : test_matrices<double>(true, true)) {
    if (A.rows > 20000) continue;  // the simulation is slow; poisson1d(1000) and the 2-D grid cover chains
    for (bool lower : {true, false})
      for (bool unit : {false, true}) trsv_bodies(pool, A, lower, unit, 1, 4);
    trsv_bodies(pool, A, true, false, 2, 1);  // one warp at a time: chunks strictly in order
  }
  // A long chain: the bidiagonal lower triangle of the 1-D Poisson matrix, many warps resident.
  trsv_bodies(pool, poisson1d<double>(3000), true, false, 1, 64);
  trsv_bodies(pool, poisson1d<float>(1000), false, false, 1, 8);
}

SAD_TEST(bodies, sptrsv_sync_free_zero_pivot) {
  // Rows 1 and 3 have zero pivots; the smallest is reported and nothing stalls.
  const auto L = from_coo<double>("L", 4, 4, {{0, 0, 1}, {1, 0, 1}, {1, 1, 0}, {2, 2, 2}, {3, 1, 1}, {3, 3, 0}});
  std::vector<double> b{1, 1, 1, 1}, x(4);
  SAD_CHECK(simulate_trsv(L, true, false, false, b, x, 1, 2, 1, "zero pivot") == 1);
  SAD_CHECK(simulate_trsv(L, true, false, true, b, x, 1, 2, 2, "zero pivot transposed") == 1);
  SAD_CHECK(simulate_trsv(L, true, true, false, b, x, 1, 2, 3, "unit") == -1);
}

// ---------------------------------------------------------------------------
// Dense bodies.

SAD_TEST(bodies, philox_known_answers) {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines (counter, key → result).
  struct Kat {
    uint32_t ctr[4], key[2], out[4];
  } kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const body::Philox4 r = body::philox4x32_10(body::Philox4{{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}}, k.key[0], k.key[1]);
    for (int w = 0; w < 4; ++w) SAD_CHECK(r.v[w] == k.out[w]) << "word " << w << ": " << std::hex << r.v[w];
  }
}

SAD_TEST(bodies, dropout_draws) {
  // Uniform draws in [0, 1): mean and keep fraction within 5 standard errors; a
  // different offset or seed gives a different mask; the same gives the same.
  const int64_t n = 200000;
  double mean = 0;
  int64_t kept = 0, same = 0, same_seed = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double u = body::philox_uniform(42, 7, uint64_t(i));
    SAD_CHECK(u >= 0 && u < 1);
    mean += u;
    const bool k = body::dropout_keep(42, 7, uint64_t(i), 0.3);
    kept += k;
    same += k == body::dropout_keep(42, 8, uint64_t(i), 0.3);
    same_seed += k == body::dropout_keep(42, 7, uint64_t(i), 0.3);
  }
  mean /= double(n);
  SAD_CHECK(std::fabs(mean - 0.5) < 5 * std::sqrt(1.0 / 12 / double(n))) << mean;
  const double frac = double(kept) / double(n);
  SAD_CHECK(std::fabs(frac - 0.7) < 5 * std::sqrt(0.21 / double(n))) << frac;
  SAD_CHECK(same < n * 0.62) << same;  // independent masks agree ~58% of the time
  SAD_CHECK(same_seed == n);
  SAD_CHECK(!body::dropout_keep(1, 2, 3, 1.0) && body::dropout_keep(1, 2, 3, 0.0));
}

SAD_TEST(bodies, unary_binary) {
  using sad::BinaryOp;
  using sad::UnaryOp;
  const UnaryOp ops[] = {UnaryOp::neg,    UnaryOp::exp,  UnaryOp::log, UnaryOp::tanh, UnaryOp::sigmoid, UnaryOp::relu,
                         UnaryOp::square, UnaryOp::sqrt, UnaryOp::abs, UnaryOp::sin,  UnaryOp::cos};
  for (double x : {-2.5, -0.3, 0.7, 3.0}) {
    const double want[] = {-x,           std::exp(x),  std::log(x),  std::tanh(x), 1 / (1 + std::exp(-x)), x > 0 ? x : 0,
                           x * x,        std::sqrt(x), std::fabs(x), std::sin(x),  std::cos(x)};
    for (int o = 0; o < 11; ++o) {
      const double y = body::apply_unary(ops[o], x);
      if (std::isnan(want[o])) {
        SAD_CHECK(std::isnan(y)) << "op " << o << " at " << x;
        continue;
      }
      SAD_CHECK(close(y, want[o], 0, 1e-14)) << "op " << o << " at " << x << ": " << y;
      // The VJP against a central difference (where f is smooth at x).
      const double h = 1e-6, fd = (body::apply_unary(ops[o], x + h) - body::apply_unary(ops[o], x - h)) / (2 * h);
      const double g = body::unary_grad(ops[o], x, y, 1.5);
      SAD_CHECK(close(g, 1.5 * fd, 0, 1e-6)) << "grad of op " << o << " at " << x << ": " << g << " vs " << 1.5 * fd;
    }
  }
  SAD_CHECK(body::apply_unary(UnaryOp::sigmoid, -1000.0) == 0.0 && body::apply_unary(UnaryOp::sigmoid, 1000.0) == 1.0);
  SAD_CHECK(std::isnan(body::apply_unary(UnaryOp::relu, std::nan(""))));
  SAD_CHECK(body::apply_binary(BinaryOp::sub, 5.0, 3.0) == 2.0 && body::apply_binary(BinaryOp::div, 3.0, 4.0) == 0.75);
  SAD_CHECK(body::apply_binary(BinaryOp::maximum, 1.0, 2.0) == 2.0 && body::apply_binary(BinaryOp::minimum, 1.0, 2.0) == 1.0);
  SAD_CHECK(std::isnan(body::apply_binary(BinaryOp::maximum, std::nan(""), 2.0)));
  SAD_CHECK(std::isnan(body::unary_grad(UnaryOp::abs, std::nan(""), std::nan(""), 1.0)));  // as the CPU's abs
  SAD_CHECK(body::unary_grad(UnaryOp::abs, 0.0, 0.0, 1.0) == 0.0);
  // pow as JavaScript's Math.pow (which the CPU ops use) where it differs from C's.
  SAD_CHECK(body::apply_binary(BinaryOp::pow, 2.0, 10.0) == 1024.0 && body::apply_binary(BinaryOp::pow, 9.0, 0.5) == 3.0);
  SAD_CHECK(std::isnan(body::apply_binary(BinaryOp::pow, 1.0, std::nan(""))));
  SAD_CHECK(std::isnan(body::apply_binary(BinaryOp::pow, 1.0, double(INFINITY))));
  SAD_CHECK(std::isnan(body::apply_binary(BinaryOp::pow, -1.0, -double(INFINITY))));
  SAD_CHECK(body::apply_binary(BinaryOp::pow, std::nan(""), 0.0) == 1.0);
  // Each binary VJP against central differences, at points where the op is smooth.
  const BinaryOp bops[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div,
                           BinaryOp::maximum, BinaryOp::minimum, BinaryOp::pow};
  for (BinaryOp op : bops)
    for (auto [a, b] : {std::pair{0.7, -1.3}, std::pair{1.5, 2.25}, std::pair{2.0, 0.5}}) {
      const double y = body::apply_binary(op, a, b), h = 1e-6;
      const double fa = (body::apply_binary(op, a + h, b) - body::apply_binary(op, a - h, b)) / (2 * h);
      const double fb = (body::apply_binary(op, a, b + h) - body::apply_binary(op, a, b - h)) / (2 * h);
      SAD_CHECK(close(body::binary_grad(op, 0, 1.5, a, b, y), 1.5 * fa, 1, 1e-6)) << "da of op " << int(op) << " at " << a << ", " << b;
      SAD_CHECK(close(body::binary_grad(op, 1, 1.5, a, b, y), 1.5 * fb, 1, 1e-6)) << "db of op " << int(op) << " at " << a << ", " << b;
      const int sign = body::binary_grad_sign(op, 1);
      if (sign != 0) SAD_CHECK(body::binary_grad(op, 1, 1.5, a, b, y) == sign * 1.5);
    }
  // Ties of maximum / minimum split the gradient; pow's conventions at b = 0 and a = 0.
  SAD_CHECK(body::binary_grad(BinaryOp::maximum, 0, 2.0, 1.0, 1.0, 1.0) == 1.0);
  SAD_CHECK(body::binary_grad(BinaryOp::minimum, 1, 2.0, 1.0, 1.0, 1.0) == 1.0);
  SAD_CHECK(body::binary_grad(BinaryOp::pow, 0, 2.0, 0.0, 0.0, 1.0) == 0.0);
  SAD_CHECK(body::binary_grad(BinaryOp::pow, 1, 2.0, 0.0, 3.0, 0.0) == 0.0);
}

// ---------------------------------------------------------------------------
// Broadcasting and the sums that undo it, clamp, cast, transpose, dot and the
// 2-norm: the on_host loops (what the emulated device runs) against loops over
// multi-indices that do not merge axes.

namespace {

// The entry of an operand of shape `in` (aligned to out) read at output position i.
int64_t naive_index(const Shape& out, const Shape& in, int64_t i) {
  int64_t idx = 0, stride = 1;
  for (int d = int(out.size()) - 1; d >= 0; --d) {
    const int64_t k = i % out[d];
    i /= out[d];
    if (in[d] != 1) idx += k * stride;
    stride *= in[d];
  }
  return idx;
}

double plain_binary(sad::BinaryOp op, double a, double b) {
  switch (op) {
    case sad::BinaryOp::add: return a + b;
    case sad::BinaryOp::sub: return a - b;
    case sad::BinaryOp::mul: return a * b;
    case sad::BinaryOp::div: return a / b;
    case sad::BinaryOp::maximum: return std::max(a, b);
    case sad::BinaryOp::minimum: return std::min(a, b);
    case sad::BinaryOp::pow: return std::pow(a, b);
  }
  return 0;
}

// d(a ∘ b)/da and d(a ∘ b)/db, written out (no ties in random data).
std::pair<double, double> plain_partials(sad::BinaryOp op, double a, double b) {
  switch (op) {
    case sad::BinaryOp::add: return {1, 1};
    case sad::BinaryOp::sub: return {1, -1};
    case sad::BinaryOp::mul: return {b, a};
    case sad::BinaryOp::div: return {1 / b, -a / (b * b)};
    case sad::BinaryOp::maximum: return {a > b ? 1 : 0, a > b ? 0 : 1};
    case sad::BinaryOp::minimum: return {a < b ? 1 : 0, a < b ? 0 : 1};
    case sad::BinaryOp::pow: return {b * std::pow(a, b - 1), std::pow(a, b) * std::log(a)};
  }
  return {0, 0};
}

const std::pair<Shape, Shape> kBroadcastCases[] = {
    {{4, 3}, {3}},          {{5, 1}, {1, 6}},       {{}, {7}},           {{7}, {}},
    {{}, {}},               {{2, 3, 4}, {3, 1}},    {{5, 1, 3}, {1, 4, 1}}, {{0, 3}, {3}},
    {{3}, {0, 3}},          {{6, 5}, {6, 5}},       {{1, 1, 6}, {6}},    {{37, 1}, {37, 64}},
    {{2, 1, 3, 1, 2}, {1, 4, 1, 5, 1}}, {{3, 1, 1}, {1, 1, 1}}, {{4, 1}, {4, 0}}};

const sad::BinaryOp kBinaryOps[] = {sad::BinaryOp::add,     sad::BinaryOp::sub,     sad::BinaryOp::mul, sad::BinaryOp::div,
                                    sad::BinaryOp::maximum, sad::BinaryOp::minimum, sad::BinaryOp::pow};

}  // namespace

SAD_TEST(bodies, broadcast_binary) {
  uint64_t seed = 70;
  for (const auto& [sa, sb] : kBroadcastCases) {
    const auto [a_al, b_al, out] = broadcasting(sa, sb);
    const int64_t n = size_of(out);
    const sad::Broadcast s = sad::make_broadcast("test", int(out.size()), out.data(), a_al.data(), b_al.data());
    SAD_CHECK(s.size == n) << s.size << " vs " << n;
    auto a = random_vector<double>(size_of(sa), ++seed), b = random_vector<double>(size_of(sb), ++seed);
    for (auto& v : a) v = 0.5 + std::fabs(v);  // a positive base for pow
    const std::string at = sad::detail::shape_str(int(sa.size()), sa.data()) + " with " +
                           sad::detail::shape_str(int(sb.size()), sb.data());
    for (sad::BinaryOp op : kBinaryOps) {
      std::vector<double> got = nan_vector<double>(n), want(n);
      sad::on_host::binary_broadcast<double>(op, s, {a.data()}, {b.data()}, got.data());
      for (int64_t i = 0; i < n; ++i)
        want[i] = plain_binary(op, a[naive_index(out, a_al, i)], b[naive_index(out, b_al, i)]);
      check_close("binary_broadcast op " + std::to_string(int(op)) + " " + at, got, want, {}, 1e-15);
      // A constant in place of b: the same as b broadcast from a single entry.
      if (sb.empty()) {
        std::vector<double> got_c = nan_vector<double>(n);
        sad::on_host::binary_broadcast<double>(op, s, {a.data()}, {nullptr, b[0]}, got_c.data());
        check_equal("binary_broadcast constant op " + std::to_string(int(op)) + " " + at, got_c, got);
      }
      // The VJP, summed over broadcast axes, against sums over the multi-indices.
      const auto g = random_vector<double>(n, ++seed);
      std::vector<double> da = nan_vector<double>(size_of(sa)), db = nan_vector<double>(size_of(sb));
      sad::on_host::binary_backward<double>(op, s, g.data(), {a.data()}, {b.data()}, got.data(), da.data(), db.data());
      Ref ra(a.size()), rb(b.size());
      for (int64_t i = 0; i < n; ++i) {
        const int64_t ia = naive_index(out, a_al, i), ib = naive_index(out, b_al, i);
        const auto [pa, pb] = plain_partials(op, a[ia], b[ib]);
        ra.value[ia] += g[i] * pa, ra.mag[ia] += std::fabs(g[i] * pa);
        rb.value[ib] += g[i] * pb, rb.mag[ib] += std::fabs(g[i] * pb);
      }
      check_close("binary_backward da op " + std::to_string(int(op)) + " " + at, da, ra.value, ra.mag, 1e-13);
      check_close("binary_backward db op " + std::to_string(int(op)) + " " + at, db, rb.value, rb.mag, 1e-13);
    }
  }
  // Axes merge: [N, H] + [H] reads along two axes, equal shapes along one.
  const int64_t nh[] = {10, 4}, h[] = {1, 4}, eq[] = {2, 3, 4}, one[] = {1, 1, 1};
  SAD_CHECK(sad::make_broadcast("t", 2, nh, nh, h).ndim == 2);
  SAD_CHECK(sad::make_broadcast("t", 3, eq, eq, eq).ndim == 1);
  const sad::Broadcast sc = sad::make_broadcast("t", 3, eq, eq, one);
  SAD_CHECK(sc.ndim == 1 && sc.stride[0][0] == 1 && sc.stride[1][0] == 0);
  const sad::Broadcast s0 = sad::make_broadcast("t", 0, nullptr, nullptr, nullptr);
  SAD_CHECK(s0.ndim == 1 && s0.size == 1 && s0.stride[0][0] == 0);
  // Errors name the op and the shapes.
  const int64_t out34[] = {3, 4}, in24[] = {2, 4};
  SAD_CHECK_THROWS(sad::make_broadcast("add", 2, out34, in24, h), "add: an operand of shape [2, 4] does not broadcast to [3, 4]");
  const int64_t many[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, odd[] = {2, 1, 2, 1, 2, 1, 2, 1, 2, 1},
                even[] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2};
  SAD_CHECK_THROWS(sad::make_broadcast("mul", 10, many, odd, even), "mul: the broadcast has 10 axes after merging; at most 8");
  SAD_CHECK_THROWS(sad::make_reduction("sum", 2, out34, in24), "sum: cannot sum a tensor of shape [3, 4] to [2, 4]");
}

SAD_TEST(bodies, sum_to) {
  // Every pattern of summed axes over shapes of up to 4 axes (sizes 0 to 4),
  // against a double accumulation in x's order: the same bits, as the CPU's
  // sums (native/lib/ops/reduce.ts, broadcast.ts reduceTo) add in that order.
  Rng r(80);
  for (int trial = 0; trial < 300; ++trial) {
    const int nd = int(r.below(5));
    Shape shape(nd), to(nd);
    for (int d = 0; d < nd; ++d) {
      shape[d] = r.below(8) == 0 ? 0 : 1 + r.below(4);
      to[d] = r.below(2) ? 1 : shape[d];
    }
    const int64_t n = size_of(shape), m = size_of(to);
    const auto x = random_vector<double>(n, 81 + trial);
    const auto xf = random_vector<float>(n, 81 + trial);
    const sad::Reduction red = sad::make_reduction("test", nd, shape.data(), to.data());
    SAD_CHECK(red.out_size == m && red.out_size * red.count == n) << red.out_size << " " << red.count;
    for (double scale : {1.0, 0.25}) {
      std::vector<double> want(m, 0.0), wantf(m, 0.0);
      for (int64_t i = 0; i < n; ++i) {
        want[naive_index(shape, to, i)] += x[i];
        wantf[naive_index(shape, to, i)] += double(xf[i]);
      }
      std::vector<double> got = nan_vector<double>(m);
      std::vector<float> gotf = nan_vector<float>(m);
      sad::on_host::sum_to(red, x.data(), scale, got.data());
      sad::on_host::sum_to(red, xf.data(), scale, gotf.data());
      for (int64_t j = 0; j < m; ++j) {
        SAD_CHECK(got[j] == want[j] * scale) << "trial " << trial << " entry " << j << ": " << got[j] << " vs " << want[j] * scale;
        SAD_CHECK(gotf[j] == float(wantf[j] * scale)) << "trial " << trial << " (float) entry " << j;
      }
    }
  }
  // The mean over no entries is NaN (scale 1/0), as the CPU's mean.
  const int64_t shape[] = {3, 0}, to[] = {3, 1};
  const sad::Reduction red = sad::make_reduction("mean", 2, shape, to);
  std::vector<double> out(3, 7.0);
  sad::on_host::sum_to(red, static_cast<const double*>(nullptr), 1.0 / 0.0, out.data());
  SAD_CHECK(std::isnan(out[0]) && std::isnan(out[2]));
  sad::on_host::sum_to(red, static_cast<const double*>(nullptr), 1.0, out.data());
  SAD_CHECK(out[0] == 0.0 && out[2] == 0.0);
}

SAD_TEST(bodies, clamp_cast_transpose) {
  const double nan = std::nan("");
  const std::vector<double> x{-3.0, -0.5, 0.0, 0.1, 0.25, 2.0, double(INFINITY), -double(INFINITY), nan};
  const std::vector<double> g(x.size(), 1.5);
  for (auto [lo, hi] : {std::pair{-1.0, 0.5}, std::pair{0.1, double(INFINITY)}, std::pair{-double(INFINITY), 0.0}}) {
    std::vector<double> y(x.size()), d(x.size());
    sad::on_host::clamp(int64_t(x.size()), lo, hi, x.data(), y.data());
    sad::on_host::clamp_backward(int64_t(x.size()), lo, hi, x.data(), g.data(), d.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::isnan(x[i]) ? nan : std::min(std::max(x[i], lo), hi);
      SAD_CHECK(close(y[i], want, 0, 0)) << "clamp " << x[i] << " to [" << lo << ", " << hi << "]: " << y[i];
      SAD_CHECK(d[i] == (x[i] >= lo && x[i] <= hi ? 1.5 : 0.0)) << "clamp grad at " << x[i];
    }
  }
  // float values compare with double bounds as the CPU does (0.1f > 0.1).
  const float xf[] = {0.1f, 0.099999994f};
  float yf[2];
  sad::on_host::clamp(2, 0.1, 1.0, xf, yf);
  SAD_CHECK(yf[0] == 0.1f && yf[1] == float(0.1));
  // Casts round to nearest; float → double is exact.
  const auto xd = random_vector<double>(1000, 90);
  std::vector<float> down(xd.size());
  std::vector<double> up(xd.size());
  sad::on_host::cast(int64_t(xd.size()), xd.data(), down.data());
  sad::on_host::cast(int64_t(xd.size()), down.data(), up.data());
  for (size_t i = 0; i < xd.size(); ++i) {
    SAD_CHECK(down[i] == static_cast<float>(xd[i]) && up[i] == double(down[i])) << i;
    SAD_CHECK(std::fabs(double(down[i]) - xd[i]) <= std::ldexp(std::fabs(xd[i]), -24)) << i;
  }
  // Transpose: entry (i, j) moves to (j, i).
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {33, 65}, {0, 4}, {4, 0}}) {
    const auto a = random_vector<double>(rows * cols, 91);
    std::vector<double> t = nan_vector<double>(rows * cols), back = nan_vector<double>(rows * cols);
    sad::on_host::transpose(rows, cols, a.data(), t.data());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) SAD_CHECK(t[j * rows + i] == a[i * cols + j]) << rows << "x" << cols;
    sad::on_host::transpose(cols, rows, t.data(), back.data());
    check_equal("transpose twice", back, a);
  }
}

SAD_TEST(bodies, dot_norm) {
  const double nan = std::nan("");
  for (int64_t n : {0, 1, 7, 1000}) {
    const auto x = random_vector<double>(n, 92), y = random_vector<double>(n, 93);
    ld dot = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) dot += ld(x[i]) * y[i], mag += std::fabs(ld(x[i]) * y[i]);
    double got = nan;
    sad::on_host::dot(n, x.data(), y.data(), &got);
    SAD_CHECK(close(got, double(dot), double(mag), 1e-15)) << n << ": " << got;
    // Norms of x scaled far past where Σ x² would overflow or underflow in double.
    for (double scale : {1.0, 1e200, 1e-200}) {
      std::vector<double> xs(x);
      for (auto& v : xs) v *= scale;
      ld ss = 0;
      for (double v : xs) ss += ld(v) * ld(v);
      const double want = double(std::sqrt(ss));
      double nrm = nan;
      sad::on_host::norm(n, xs.data(), &nrm);
      SAD_CHECK(close(nrm, want, 0, 1e-15)) << "norm n=" << n << " scale " << scale << ": " << nrm << " vs " << want;
      std::vector<double> dx = nan_vector<double>(n);
      const double gs = 2.5;
      sad::on_host::norm_backward(n, xs.data(), &nrm, &gs, dx.data());
      for (int64_t i = 0; i < n; ++i) SAD_CHECK(close(dx[i], 2.5 * xs[i] / want, 0, 1e-14)) << i;
    }
    std::vector<float> xf(x.begin(), x.end());
    ld ssf = 0;
    for (float v : xf) ssf += ld(v) * ld(v);
    float nf = 0;
    sad::on_host::norm(n, xf.data(), &nf);
    SAD_CHECK(close(nf, double(std::sqrt(ssf)), 0, 1e-7)) << n;
  }
  // 0, ∞ and NaN pass through; the gradient at 0 is 0.
  const double zeros[] = {0, 0, 0}, with_inf[] = {1, -double(INFINITY), 2}, with_nan[] = {1, nan, double(INFINITY)};
  double out = 1;
  sad::on_host::norm(3, zeros, &out);
  SAD_CHECK(out == 0);
  double dz[3] = {nan, nan, nan};
  const double one = 1;
  sad::on_host::norm_backward(3, zeros, &out, &one, dz);
  SAD_CHECK(dz[0] == 0 && dz[1] == 0 && dz[2] == 0);
  sad::on_host::norm(3, with_inf, &out);
  SAD_CHECK(out == double(INFINITY));
  sad::on_host::norm(3, with_nan, &out);
  SAD_CHECK(std::isnan(out));
}

SAD_TEST(bodies, softmax_rows) {
  Rng r(3);
  for (int64_t cols : {1, 5, 31, 32, 100}) {
    std::vector<double> x(cols);
    for (auto& v : x) v = 20 * r.symmetric();
    // Reference: log Σ exp in long double.
    long double mx = x[0];
    for (double v : x) mx = std::max<long double>(mx, v);
    long double se = 0;
    for (double v : x) se += std::exp(ld(v) - mx);
    const double want = double(mx + std::log(se));
    for (int lanes : {1, 4, 32}) {
      double m = -INFINITY, s = 0;
      for (int l = 0; l < lanes; ++l) m = std::max(m, body::row_max_partial(x.data(), cols, l, lanes));
      for (int l = 0; l < lanes; ++l) s += body::row_sumexp_partial(x.data(), cols, m, l, lanes);
      SAD_CHECK(close(body::log_sum_exp(m, s), want, 0, 1e-14)) << cols << " " << lanes;
    }
  }
  SAD_CHECK(body::log_sum_exp(-INFINITY, 0.0) == -INFINITY);
  SAD_CHECK(body::log_sum_exp(INFINITY, 1.0) == INFINITY);
  SAD_CHECK(std::isnan(body::log_sum_exp(std::nan(""), 1.0)));
  const double nan_row[] = {1.0, std::nan(""), 2.0};
  SAD_CHECK(std::isnan(body::row_max_partial(nan_row, 3, 0, 1)));
}

SAD_TEST(bodies, adam_step) {
  // First step from p = 1, g = 0.5 with the defaults: m = 0.05, v = 2.5e-4 and p
  // moves by lr · m̂ / (√v̂ + ε) = 1e-3 · 0.5 / (0.5 + 1e-8).
  body::AdamStep s;
  double p = 1, m = 0, v = 0;
  const double step_size = s.lr / (1 - s.beta1), bc2 = std::sqrt(1 - s.beta2);
  body::adam_element<double>(s, step_size, bc2, p, 0.5, m, v, nullptr);
  SAD_CHECK(close(m, 0.05, 0, 1e-15) && close(v, 2.5e-4, 0, 1e-15)) << m << " " << v;
  SAD_CHECK(close(p, 1 - 1e-3 * 0.5 / (0.5 + 1e-8), 0, 1e-15)) << p;
  // Ten steps of Adam, AdamW and amsgrad in float against the same formulas in long double.
  for (int variant = 0; variant < 3; ++variant) {
    body::AdamStep st;
    st.lr = 0.01;
    st.weight_decay = 0.1;
    st.decoupled = variant == 1;
    st.amsgrad = variant == 2;
    float pf = 0.8f, mf = 0, vf = 0, vmax = 0;
    ld pr = 0.8L, mr = 0, vr = 0, vmr = 0;
    for (int t = 1; t <= 10; ++t) {
      st.step = t;
      const double g = std::sin(double(t));
      const double ss = st.lr / (1 - std::pow(st.beta1, t)), b2 = std::sqrt(1 - std::pow(st.beta2, t));
      body::adam_element<float>(st, ss, b2, pf, float(g), mf, vf, st.amsgrad ? &vmax : nullptr);
      const ld gj = st.decoupled ? ld(g) : ld(g) + st.weight_decay * pr;
      const ld pj = st.decoupled ? pr * (1 - st.lr * st.weight_decay) : pr;
      mr = st.beta1 * mr + (1 - st.beta1) * gj;
      vr = st.beta2 * vr + (1 - st.beta2) * gj * gj;
      vmr = std::max(vmr, vr);
      pr = pj - ld(ss) * mr / (std::sqrt(st.amsgrad ? vmr : vr) / ld(b2) + st.eps);
    }
    SAD_CHECK(close(pf, double(pr), 0, 1e-5)) << "variant " << variant << ": " << pf << " vs " << double(pr);
  }
}
