#include "spdmm.h"

#include <algorithm>
#include <cstring>
#include <utility>

// The inner loops run over the m columns of D with explicit SIMD vectors (GCC/Clang
// vector extensions). The build targets baseline x86-64 (SSE2), so on x86-64 the
// row loops are also compiled for AVX2+FMA and AVX-512 and chosen at run time by
// the CPU's features: one machine always takes the same path, so results stay
// deterministic for a given thread count (FMA rounds differently from SSE2's
// separate multiply and add, within the usual floating-point tolerance).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define SAD_SPDMM_DISPATCH 1
#define SAD_TARGET(isa) __attribute__((target(isa)))
#else
#define SAD_TARGET(isa)
#endif
#define SAD_INLINE __attribute__((always_inline)) inline

namespace sad {

namespace {

// Work below which a call stays on the calling thread, in multiply-adds.
constexpr int64_t kWorkGrain = 1 << 16;

// parallel_rows weighs a part by nnz + rows; each unit costs about m multiply-adds.
int64_t row_grain(int64_t m) { return std::max<int64_t>(1, kWorkGrain / std::max<int64_t>(1, m)); }

// Columns are handled in tiles of up to K vectors of VB bytes: a tile's accumulators
// stay in registers while the nonzeros of a row stream through.
constexpr int K = 4;

// Vectors of VB bytes, read and written at any alignment through the may_alias type U.
// Helpers take and fill references rather than return vectors, which keeps them
// ABI-neutral across the instruction sets they are compiled for.
template <class T, int VB>
struct Simd {
  typedef T V __attribute__((vector_size(VB)));
  typedef T U __attribute__((vector_size(VB), aligned(sizeof(T)), may_alias));
  static constexpr int L = VB / sizeof(T);  // lanes
  static SAD_INLINE void load(V& v, const T* p) { v = *reinterpret_cast<const U*>(p); }
  static SAD_INLINE void store(T* p, const V& v) { *reinterpret_cast<U*>(p) = v; }
};

// ---------------------------------------------------------------------------
// Forward: C[i, :] = Σ_p a_p D[j_p, :]

// Crow[c0 : c0 + N·L] = Σ_p a_p D[j_p, c0 : c0 + N·L].
template <class T, int VB, int N>
SAD_INLINE void row_tile(index_t p0, index_t p1, const index_t* __restrict ix, const T* __restrict av,
                         const T* __restrict D, int64_t m, int64_t c0, T* __restrict Crow) {
  using S = Simd<T, VB>;
  typename S::V acc[N];
  for (int k = 0; k < N; ++k) acc[k] = typename S::V{};
  for (index_t p = p0; p < p1; ++p) {
    const T a = av[p];
    const T* d = D + static_cast<int64_t>(ix[p]) * m + c0;
    for (int k = 0; k < N; ++k) {
      typename S::V x;
      S::load(x, d + k * S::L);
      acc[k] += a * x;
    }
  }
  for (int k = 0; k < N; ++k) S::store(Crow + c0 + k * S::L, acc[k]);
}

// Rows [r0, r1): tiles of K vectors, one tile of the remaining whole vectors, then
// single columns.
template <class T, int VB>
SAD_INLINE void spdmm_rows(index_t r0, index_t r1, const index_t* __restrict ip, const index_t* __restrict ix,
                           const T* __restrict av, const T* __restrict D, int64_t m, T* __restrict C) {
  constexpr int L = Simd<T, VB>::L;
  const int64_t tiled = m - m % (K * L);
  const int rest = static_cast<int>((m - tiled) / L);  // whole vectors after the tiles, < K
  const int64_t vectored = tiled + int64_t(rest) * L;
  for (index_t i = r0; i < r1; ++i) {
    T* Crow = C + static_cast<int64_t>(i) * m;
    const index_t p0 = ip[i], p1 = ip[i + 1];
    for (int64_t c0 = 0; c0 < tiled; c0 += K * L) row_tile<T, VB, K>(p0, p1, ix, av, D, m, c0, Crow);
    switch (rest) {
      case 3: row_tile<T, VB, 3>(p0, p1, ix, av, D, m, tiled, Crow); break;
      case 2: row_tile<T, VB, 2>(p0, p1, ix, av, D, m, tiled, Crow); break;
      case 1: row_tile<T, VB, 1>(p0, p1, ix, av, D, m, tiled, Crow); break;
      default: break;
    }
    for (int64_t c = vectored; c < m; ++c) {
      T acc = 0;
      for (index_t p = p0; p < p1; ++p) acc += av[p] * D[static_cast<int64_t>(ix[p]) * m + c];
      Crow[c] = acc;
    }
  }
}
static_assert(K == 4, "the tile switches handle up to K - 1 = 3 leftover vectors");

// ---------------------------------------------------------------------------
// Backward, over the rows of Aᵀ: for row j of Aᵀ and each of its entries q (the
// entry p = perm[q] = (i, j) of A),
//   dD[j, :] += a_p V[i, :]          (dD = Aᵀ V: each row of dD has one owner)
//   dA[p]    += V[i, :] · D[j, :]    ((V Dᵀ) ⊙ mask(A): every p written once)
// so V[i, :] is read once for both, D[j, :] stays in registers, and the parts of
// a parallel run write disjoint outputs: the result does not depend on the
// thread count. Dot products are formed four at a time and their lanes summed
// together (a shuffle network), which costs far less than four separate
// horizontal sums.

// Index maps for __builtin_shufflevector, built at compile time.
// Merge: x and y each hold `groups` groups of w lanes; the result holds 2·groups
// groups of w/2 lanes: group g < groups is x's g-th group folded in half (its low
// half plus its high half), group groups + g is y's.
template <int L, int groups, bool high>
struct MergeIdx {
  static constexpr int at(int t) {
    constexpr int w = L / groups, w2 = w / 2;
    const int G = t / w2, o = t % w2;
    const int src = G < groups ? 0 : L;
    return src + (G % groups) * w + o + (high ? w2 : 0);
  }
};
// Fold: groups of stride s; lane t of each group's first w lanes gets lane t + w/2 added.
template <int L, int s, int w>
struct FoldIdx {
  static constexpr int at(int t) { return (t % s) < w / 2 ? t + w / 2 : t; }
};

template <class V, class Idx, std::size_t... I>
SAD_INLINE void shuffle(V& out, const V& x, const V& y, std::index_sequence<I...>) {
  out = __builtin_shufflevector(x, y, Idx::at(I)...);
}

template <class T, int VB, int groups>
SAD_INLINE void merge(typename Simd<T, VB>::V& out, const typename Simd<T, VB>::V& x,
                      const typename Simd<T, VB>::V& y) {
  constexpr int L = Simd<T, VB>::L;
  typename Simd<T, VB>::V lo, hi;
  shuffle<typename Simd<T, VB>::V, MergeIdx<L, groups, false>>(lo, x, y, std::make_index_sequence<L>{});
  shuffle<typename Simd<T, VB>::V, MergeIdx<L, groups, true>>(hi, x, y, std::make_index_sequence<L>{});
  out = lo + hi;
}

template <class T, int VB, int s, int w>
SAD_INLINE void fold(typename Simd<T, VB>::V& x) {
  if constexpr (w > 1) {
    constexpr int L = Simd<T, VB>::L;
    typename Simd<T, VB>::V y;
    shuffle<typename Simd<T, VB>::V, FoldIdx<L, s, w>>(y, x, x, std::make_index_sequence<L>{});
    x += y;
    fold<T, VB, s, w / 2>(x);
  }
}

// sums[g] = the sum of the lanes of d[g], for four vectors at once.
template <class T, int VB>
SAD_INLINE void sum4(const typename Simd<T, VB>::V* d, T* sums) {
  constexpr int L = Simd<T, VB>::L;
  typename Simd<T, VB>::V ab, cd;
  merge<T, VB, 1>(ab, d[0], d[1]);  // [a/2 | b/2]
  merge<T, VB, 1>(cd, d[2], d[3]);
  if constexpr (L == 2) {
    sums[0] = ab[0], sums[1] = ab[1], sums[2] = cd[0], sums[3] = cd[1];
  } else {
    typename Simd<T, VB>::V r;
    merge<T, VB, 2>(r, ab, cd);  // [a/4 | b/4 | c/4 | d/4]
    constexpr int s = L / 4;
    fold<T, VB, s, s>(r);
    for (int g = 0; g < 4; ++g) sums[g] = r[g * s];
  }
}

// G (≤ 4) consecutive entries q of a row of Aᵀ, columns [c0, c0 + N·L).
template <class T, int VB, int N, int G, bool NeedDA, bool NeedDD>
SAD_INLINE void backward_group(index_t q, const index_t* __restrict tix, const index_t* __restrict perm,
                               const T* __restrict av, const T* __restrict V, int64_t vs, int64_t c0, bool first,
                               const typename Simd<T, VB>::V* dj, typename Simd<T, VB>::V* acc, T* __restrict dA) {
  using S = Simd<T, VB>;
  using Vec = typename S::V;
  Vec dots[4];
  for (int g = 0; g < 4; ++g) dots[g] = Vec{};
  for (int g = 0; g < G; ++g) {
    const T* v = V + static_cast<int64_t>(tix[q + g]) * vs + c0;
    const T a = NeedDD ? av[perm[q + g]] : T(0);
    for (int k = 0; k < N; ++k) {
      Vec x;
      S::load(x, v + k * S::L);
      if (NeedDD) acc[k] += a * x;
      if (NeedDA) dots[g] += x * dj[k];
    }
  }
  if (NeedDA) {
    T sums[4];
    sum4<T, VB>(dots, sums);
    for (int g = 0; g < G; ++g) {
      const index_t p = perm[q + g];
      dA[p] = first ? sums[g] : dA[p] + sums[g];
    }
  }
}

// One row j of Aᵀ, columns [c0, c0 + N·L) of V, D and dD.
template <class T, int VB, int N, bool NeedDA, bool NeedDD>
SAD_INLINE void backward_tile(index_t q0, index_t q1, const index_t* __restrict tix, const index_t* __restrict perm,
                              const T* __restrict av, const T* __restrict V, int64_t vs, const T* __restrict Drow,
                              int64_t c0, bool first, T* __restrict dA, T* __restrict dDrow) {
  using S = Simd<T, VB>;
  using Vec = typename S::V;
  Vec dj[N], acc[N];
  for (int k = 0; k < N; ++k) {
    if (NeedDA) S::load(dj[k], Drow + c0 + k * S::L);
    acc[k] = Vec{};
  }
  index_t q = q0;
  if (!NeedDA && vs == 0 && q1 > q0) {
    // A broadcast V (every row V[0, :]) for dD alone (broadcast_rows forms dA):
    // its row is loaded once for all the entries of this row of Aᵀ.
    Vec x[N];
    for (int k = 0; k < N; ++k) S::load(x[k], V + c0 + k * S::L);
    for (; q < q1; ++q) {
      const T a = av[perm[q]];
      for (int k = 0; k < N; ++k) acc[k] += a * x[k];
    }
  }
  for (; q + 4 <= q1; q += 4) backward_group<T, VB, N, 4, NeedDA, NeedDD>(q, tix, perm, av, V, vs, c0, first, dj, acc, dA);
  switch (q1 - q) {
    case 3: backward_group<T, VB, N, 3, NeedDA, NeedDD>(q, tix, perm, av, V, vs, c0, first, dj, acc, dA); break;
    case 2: backward_group<T, VB, N, 2, NeedDA, NeedDD>(q, tix, perm, av, V, vs, c0, first, dj, acc, dA); break;
    case 1: backward_group<T, VB, N, 1, NeedDA, NeedDD>(q, tix, perm, av, V, vs, c0, first, dj, acc, dA); break;
    default: break;
  }
  if (NeedDD)
    for (int k = 0; k < N; ++k) S::store(dDrow + c0 + k * S::L, acc[k]);
}

// A broadcast V (every row V[0, :]) with dA: all the entries of a row j of Aᵀ get
// the one dot product V[0, :] · D[j, :]. Rows are short (a few entries), so
// reducing each row's dot alone (sum4 on four copies) is a latency-bound chain
// that costs more than the rest of the backward; instead G ≤ 4 consecutive rows
// go together, their dots reduced by one sum4 per tile, then their dD tiles
// summed (and, in the last tile, dA written in the same pass over the entries).
// sum4 gives each of its four lanes the tree the general path gives an entry,
// and tiles and tail combine as there (the first tile writes, later tiles add,
// then the tail): the same bits.

// Rows j0 .. j0 + G - 1, columns [c0, c0 + N·L): r[g] gets the tile's part of
// the dot, dD the tile's sums; the last tile (r complete) also writes dA.
template <class T, int VB, int N, int G, bool NeedDD>
SAD_INLINE void broadcast_tile(index_t j0, const index_t* __restrict tip, const index_t* __restrict perm,
                               const T* __restrict av, const T* __restrict V, const T* __restrict D, int64_t m,
                               int64_t c0, bool first, bool last, T* r, T* __restrict dA, T* __restrict dD) {
  using S = Simd<T, VB>;
  using Vec = typename S::V;
  Vec x[N], dots[4];
  for (int k = 0; k < N; ++k) S::load(x[k], V + c0 + k * S::L);
  for (int g = 0; g < 4; ++g) dots[g] = Vec{};
  for (int g = 0; g < G; ++g) {
    const T* d = D + static_cast<int64_t>(j0 + g) * m + c0;
    for (int k = 0; k < N; ++k) {
      Vec dj;
      S::load(dj, d + k * S::L);
      dots[g] += x[k] * dj;
    }
  }
  T sums[4];
  sum4<T, VB>(dots, sums);
  for (int g = 0; g < G; ++g) r[g] = first ? sums[g] : r[g] + sums[g];
  if (NeedDD) {
    for (int g = 0; g < G; ++g) {
      Vec acc[N];
      for (int k = 0; k < N; ++k) acc[k] = Vec{};
      for (index_t q = tip[j0 + g]; q < tip[j0 + g + 1]; ++q) {
        const index_t p = perm[q];
        const T a = av[p];
        for (int k = 0; k < N; ++k) acc[k] += a * x[k];
        if (last) dA[p] = r[g];
      }
      T* dDrow = dD + static_cast<int64_t>(j0 + g) * m + c0;
      for (int k = 0; k < N; ++k) S::store(dDrow + k * S::L, acc[k]);
    }
  }
}

// Rows j0 .. j0 + G - 1 of Aᵀ (empty ones too: their dD rows are written), all columns.
template <class T, int VB, int G, bool NeedDD>
SAD_INLINE void broadcast_group(index_t j0, const index_t* __restrict tip, const index_t* __restrict perm,
                                const T* __restrict av, const T* __restrict V, const T* __restrict D, int64_t m,
                                T* __restrict dA, T* __restrict dD) {
  constexpr int L = Simd<T, VB>::L;
  const int64_t tiled = m - m % (K * L);
  const int rest = static_cast<int>((m - tiled) / L);
  const int64_t vectored = tiled + int64_t(rest) * L;
  T r[G] = {};  // written by the first tile or the tail (the compiler cannot tell)
  bool first = true;
  // dA is written with dD by the last vector tile, unless a scalar tail (or no dD) follows.
  const bool tail = vectored < m, fused = NeedDD && !tail;
  for (int64_t c0 = 0; c0 < tiled; c0 += K * L, first = false) {
    const bool last = fused && rest == 0 && c0 + K * L == tiled;
    broadcast_tile<T, VB, K, G, NeedDD>(j0, tip, perm, av, V, D, m, c0, first, last, r, dA, dD);
  }
  switch (rest) {
    case 3: broadcast_tile<T, VB, 3, G, NeedDD>(j0, tip, perm, av, V, D, m, tiled, first, fused, r, dA, dD); break;
    case 2: broadcast_tile<T, VB, 2, G, NeedDD>(j0, tip, perm, av, V, D, m, tiled, first, fused, r, dA, dD); break;
    case 1: broadcast_tile<T, VB, 1, G, NeedDD>(j0, tip, perm, av, V, D, m, tiled, first, fused, r, dA, dD); break;
    default: break;
  }
  first = first && rest == 0;
  for (int g = 0; g < G; ++g) {
    const index_t j = j0 + g, q0 = tip[j], q1 = tip[j + 1];
    if (tail) {
      const T* Drow = D + static_cast<int64_t>(j) * m;
      T s = 0;
      for (int64_t c = vectored; c < m; ++c) s += V[c] * Drow[c];
      r[g] = first ? s : r[g] + s;
      if (NeedDD) {
        T* dDrow = dD + static_cast<int64_t>(j) * m;
        for (int64_t c = vectored; c < m; ++c) {
          T t = 0;
          for (index_t q = q0; q < q1; ++q) t += av[perm[q]] * V[c];
          dDrow[c] = t;
        }
      }
    }
    if (!fused)
      for (index_t q = q0; q < q1; ++q) dA[perm[q]] = r[g];
  }
}

template <class T, int VB, bool NeedDD>
SAD_INLINE void broadcast_rows(index_t r0, index_t r1, const index_t* __restrict tip, const index_t* __restrict perm,
                               const T* __restrict av, const T* __restrict V, const T* __restrict D, int64_t m,
                               T* __restrict dA, T* __restrict dD) {
  index_t j = r0;
  for (; j + 4 <= r1; j += 4) broadcast_group<T, VB, 4, NeedDD>(j, tip, perm, av, V, D, m, dA, dD);
  switch (r1 - j) {
    case 3: broadcast_group<T, VB, 3, NeedDD>(j, tip, perm, av, V, D, m, dA, dD); break;
    case 2: broadcast_group<T, VB, 2, NeedDD>(j, tip, perm, av, V, D, m, dA, dD); break;
    case 1: broadcast_group<T, VB, 1, NeedDD>(j, tip, perm, av, V, D, m, dA, dD); break;
    default: break;
  }
}

template <class T, int VB, bool NeedDA, bool NeedDD>
SAD_INLINE void backward_rows(index_t r0, index_t r1, const index_t* __restrict tip, const index_t* __restrict tix,
                              const index_t* __restrict perm, const T* __restrict av, const T* __restrict V,
                              const T* __restrict D, int64_t m, int64_t vs, T* __restrict dA, T* __restrict dD) {
  if constexpr (NeedDA) {
    if (vs == 0) return broadcast_rows<T, VB, NeedDD>(r0, r1, tip, perm, av, V, D, m, dA, dD);
  }
  constexpr int L = Simd<T, VB>::L;
  const int64_t tiled = m - m % (K * L);
  const int rest = static_cast<int>((m - tiled) / L);
  const int64_t vectored = tiled + int64_t(rest) * L;
  for (index_t j = r0; j < r1; ++j) {
    const index_t q0 = tip[j], q1 = tip[j + 1];
    const T* Drow = D + static_cast<int64_t>(j) * m;
    T* dDrow = NeedDD ? dD + static_cast<int64_t>(j) * m : nullptr;
    bool first = true;  // the first tile writes dA, later tiles add to it
    for (int64_t c0 = 0; c0 < tiled; c0 += K * L, first = false)
      backward_tile<T, VB, K, NeedDA, NeedDD>(q0, q1, tix, perm, av, V, vs, Drow, c0, first, dA, dDrow);
    switch (rest) {
      case 3: backward_tile<T, VB, 3, NeedDA, NeedDD>(q0, q1, tix, perm, av, V, vs, Drow, tiled, first, dA, dDrow); break;
      case 2: backward_tile<T, VB, 2, NeedDA, NeedDD>(q0, q1, tix, perm, av, V, vs, Drow, tiled, first, dA, dDrow); break;
      case 1: backward_tile<T, VB, 1, NeedDA, NeedDD>(q0, q1, tix, perm, av, V, vs, Drow, tiled, first, dA, dDrow); break;
      default: break;
    }
    first = first && rest == 0;
    if (vectored < m) {
      for (index_t q = q0; q < q1; ++q) {
        const index_t p = perm[q];
        const T* v = V + static_cast<int64_t>(tix[q]) * vs;
        if (NeedDA) {
          T s = 0;
          for (int64_t c = vectored; c < m; ++c) s += v[c] * Drow[c];
          dA[p] = first ? s : dA[p] + s;
        }
      }
      if (NeedDD) {
        for (int64_t c = vectored; c < m; ++c) {
          T s = 0;
          for (index_t q = q0; q < q1; ++q) s += av[perm[q]] * V[static_cast<int64_t>(tix[q]) * vs + c];
          dDrow[c] = s;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// One compiled copy of each row loop per instruction set, chosen at run time.

template <class T>
using ForwardFn = void (*)(index_t, index_t, const index_t*, const index_t*, const T*, const T*, int64_t, T*);
template <class T>
using BackwardFn = void (*)(index_t, index_t, const index_t*, const index_t*, const index_t*, const T*, const T*,
                            const T*, int64_t, int64_t, T*, T*);

#define SAD_SPDMM_VARIANTS(suffix, VB, isa)                                                                     \
  template <class T>                                                                                           \
  SAD_TARGET(isa)                                                                                              \
  void forward_##suffix(index_t r0, index_t r1, const index_t* ip, const index_t* ix, const T* av, const T* D, \
                        int64_t m, T* C) {                                                                      \
    spdmm_rows<T, VB>(r0, r1, ip, ix, av, D, m, C);                                                            \
  }                                                                                                            \
  template <class T, bool NeedDA, bool NeedDD>                                                                 \
  SAD_TARGET(isa)                                                                                              \
  void backward_##suffix(index_t r0, index_t r1, const index_t* tip, const index_t* tix, const index_t* perm,  \
                         const T* av, const T* V, const T* D, int64_t m, int64_t vs, T* dA, T* dD) {            \
    backward_rows<T, VB, NeedDA, NeedDD>(r0, r1, tip, tix, perm, av, V, D, m, vs, dA, dD);                     \
  }

SAD_SPDMM_VARIANTS(sse, 16, "sse2")
#ifdef SAD_SPDMM_DISPATCH
SAD_SPDMM_VARIANTS(avx2, 32, "avx2,fma")
SAD_SPDMM_VARIANTS(avx512, 64, "avx512f")
#endif
#undef SAD_SPDMM_VARIANTS

enum class Isa { sse, avx2, avx512 };

// SAD_SPDMM_MAX_ISA (0 = SSE2, 1 = AVX2, 2 = AVX-512; a compile-time define) caps
// the choice, so every path can be tested on one machine.
#ifndef SAD_SPDMM_MAX_ISA
#define SAD_SPDMM_MAX_ISA 2
#endif

Isa isa() {
#ifdef SAD_SPDMM_DISPATCH
  if (SAD_SPDMM_MAX_ISA >= 2 && __builtin_cpu_supports("avx512f")) return Isa::avx512;
  if (SAD_SPDMM_MAX_ISA >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::sse;
}

template <class T>
ForwardFn<T> forward_fn() {
  switch (isa()) {
#ifdef SAD_SPDMM_DISPATCH
    case Isa::avx512: return forward_avx512<T>;
    case Isa::avx2: return forward_avx2<T>;
#endif
    default: return forward_sse<T>;
  }
}

template <class T, bool NeedDA, bool NeedDD>
BackwardFn<T> backward_fn() {
  switch (isa()) {
#ifdef SAD_SPDMM_DISPATCH
    case Isa::avx512: return backward_avx512<T, NeedDA, NeedDD>;
    case Isa::avx2: return backward_avx2<T, NeedDA, NeedDD>;
#endif
    default: return backward_sse<T, NeedDA, NeedDD>;
  }
}

}  // namespace

template <class T>
void spdmm_cpu(ThreadPool& pool, const Csr<const T>& A, const T* D, int64_t m, T* C) {
  if (m == 0) return;
  const ForwardFn<T> fn = forward_fn<T>();
  pool.parallel_rows(A.rows, A.indptr, row_grain(m), [&](int, index_t r0, index_t r1) {
    fn(r0, r1, A.indptr, A.indices, A.values, D, m, C);
  });
}

template <class T>
void spdmm_backward_cpu(ThreadPool& pool, index_t t_rows, const index_t* t_indptr, const index_t* t_indices,
                        const index_t* perm, const T* values, const T* V, const T* D, int64_t m, T* dA, T* dD,
                        int64_t v_row_stride) {
  const int64_t vs = v_row_stride < 0 ? m : v_row_stride;
  const int64_t nnz = t_rows == 0 ? 0 : t_indptr[t_rows];
  if (m == 0) {  // empty products: dA = 0 (dD has no entries)
    if (dA) std::fill(dA, dA + nnz, T(0));
    return;
  }
  BackwardFn<T> fn = nullptr;
  if (dA && dD) fn = backward_fn<T, true, true>();
  else if (dA) fn = backward_fn<T, true, false>();
  else if (dD) fn = backward_fn<T, false, true>();
  else return;
  pool.parallel_rows(t_rows, t_indptr, row_grain(m), [&](int, index_t r0, index_t r1) {
    fn(r0, r1, t_indptr, t_indices, perm, values, V, D, m, vs, dA, dD);
  });
}

#define SAD_INSTANTIATE(T)                                                                                     \
  template void spdmm_cpu<T>(ThreadPool&, const Csr<const T>&, const T*, int64_t, T*);                         \
  template void spdmm_backward_cpu<T>(ThreadPool&, index_t, const index_t*, const index_t*, const index_t*,    \
                                      const T*, const T*, const T*, int64_t, T*, T*, int64_t);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
