// The dense ops on the CPU (dense_ops.h): the per-element bodies of
// dense_bodies.h — the ones the CUDA kernels run — in loops the compiler
// vectorizes, split over the engine's thread pool.
//
// - Each loop is a template on the op (a functor over the body with the op a
//   compile-time constant), so there is no switch per element, and is compiled
//   for AVX-512, AVX2 and plain x86-64, picked at load time (target_clones).
// - Work is cut into static ranges (thread_pool.h). Element-wise results do not
//   depend on the cut; sums are taken over fixed blocks of kSumBlock entries
//   whose partial sums are added in order, so every sum is bitwise the same for
//   any thread count, not only for a given one.
// - Sums accumulate in double whatever T is, as the device's (a float32 sum
//   over more than one block and up to 2^21 entries adds groups of 4 entries
//   in float first: sum_lanes_f32).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "dense_ops.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SAD_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SAD_SIMD_CLONES
#endif

namespace sad {
namespace {

// Entries per part below which a second thread does not pay for its wake-up
// (≈5–10 µs on these VMs): an add over 2^15 floats takes ≈5 µs on one core.
// Measured with bench:dense (2^22 entries: 2 threads ≈ 1.9× one).
constexpr int64_t kGrain = int64_t{1} << 15;
// The fixed blocks of a sum (see the header).
constexpr int64_t kSumBlock = int64_t{1} << 12;

// ---------------------------------------------------------------------------
// Loops

// out[i] = f(i) over [b, e): the body of every element-wise map.
template <class F>
SAD_SIMD_CLONES void map_range(int64_t b, int64_t e, F f) {
  for (int64_t i = b; i < e; ++i) f(i);
}

template <class F>
void parallel_map(ThreadPool& pool, int64_t n, F f) {
  if (n <= kGrain) {
    map_range(0, n, f);
    return;
  }
  pool.parallel_for(n, kGrain, [&](int, int64_t b, int64_t e) { map_range(b, e, f); });
}

// Σ f(i) over [b, e) in double, one accumulator in index order: the order of
// the TypeScript loops these kernels replaced, so that a sum of up to kSumBlock
// entries (a dot, a norm, a loss, a broadcast gradient) is bitwise the one it
// was, and unrolled-solver training curves pinned to those loops
// (test/experiments/fixtures/v1-curves.json: PCG under Adam is chaotic enough
// that 8 interleaved partial sums moved its loss by 35%) still hold. Latency-
// bound rather than vectorized; parallel_sum still spreads blocks over threads.
template <class F>
double sum_range(int64_t b, int64_t e, F f) {
  double acc = 0;
  for (int64_t i = b; i < e; ++i) acc += f(i);
  return acc;
}

// The sum of the len ≤ kSumBlock entries of one block from `base` on, vectorized:
// entry base + i, for i below the last whole round of kSumLanes, goes to lane
// i mod kSumLanes, each lane one accumulator in index order; the lanes are added
// in a fixed tree, then the last len mod kSumLanes entries in index order. Sums
// over more than one block use it for every block, the last (short) one too (a
// sum of up to kSumBlock entries keeps sum_range's index order, see above); the
// bits depend on n only, not on the thread count or on which instruction set's
// clone runs (the same adds, in the same order, per lane; -ffp-contract=off).
// Here (one core) 2^19 float32 entries went 76 → 30 µs and float64 84 → 45 µs
// against the eight interleaved index-order blocks this replaced.
constexpr int kSumLanes = 32;

template <class F>
SAD_SIMD_CLONES double sum_lanes(int64_t base, int64_t len, F f) {
  double acc[kSumLanes] = {};
  const int64_t rounds = len - len % kSumLanes;
  for (int64_t i = 0; i < rounds; i += kSumLanes) {
#pragma GCC unroll 32
    for (int j = 0; j < kSumLanes; ++j) acc[j] += f(base + i + j);
  }
  for (int w = kSumLanes / 2; w > 0; w /= 2) {
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  }
  double s = acc[0];
  for (int64_t i = rounds; i < len; ++i) s += f(base + i);
  return s;
}
static_assert(kSumBlock % kSumLanes == 0, "whole blocks are whole rounds of the lanes");

// The same for float32 entries, with one step more: a lane first adds the
// entries of kF32Group consecutive rounds in float, in index order, and then
// that partial to its double accumulator. On float32, sum_lanes is bound by the
// conversions to double (one per entry, on the pipes the adds use); here there
// is one per group. Each group's partial carries at most kF32Group − 1 float
// roundings, each within 2^-24 of the partial, before the double sum (NumPy's
// float32 pairwise sum carries ~log2(n) of them). Like sum_lanes, the bits do
// not depend on the thread count or the instruction set. Here (one core, 98304
// entries in cache) 4.7 → 2.4 µs; a sum() loss over αA+βB's float32 values is
// ~10% of a training step.
constexpr int kF32Group = 4;

SAD_SIMD_CLONES double sum_lanes_f32(const float* x, int64_t len) {
  double acc[kSumLanes] = {};
  const int64_t span = int64_t{kSumLanes} * kF32Group;
  const int64_t grouped = len - len % span;
  for (int64_t i = 0; i < grouped; i += span) {
    const float* q = x + i;
#pragma GCC unroll 32
    for (int j = 0; j < kSumLanes; ++j) {
      float p = q[j];
#pragma GCC unroll 4
      for (int g = 1; g < kF32Group; ++g) p += q[g * kSumLanes + j];
      acc[j] += double(p);
    }
  }
  const int64_t rounds = len - len % kSumLanes;
  for (int64_t i = grouped; i < rounds; i += kSumLanes) {
#pragma GCC unroll 32
    for (int j = 0; j < kSumLanes; ++j) acc[j] += double(x[i + j]);
  }
  for (int w = kSumLanes / 2; w > 0; w /= 2) {
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  }
  double s = acc[0];
  for (int64_t i = rounds; i < len; ++i) s += double(x[i]);
  return s;
}
static_assert(kSumBlock % (kSumLanes * kF32Group) == 0, "whole blocks are whole groups of the lanes");

// Σ f(i) over [0, n): the sums of blocks of kSumBlock (in parallel, each by
// lanes(base, len)), added in order; up to one block, sum_range's index order.
template <class F, class Lanes>
double blocked_sum(ThreadPool& pool, int64_t n, F f, Lanes lanes) {
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  if (blocks <= 1) return n > 0 ? sum_range(0, n, f) : 0.0;
  std::vector<double> part(size_t(blocks), 0.0);
  pool.parallel_for(blocks, std::max<int64_t>(1, kGrain / kSumBlock), [&](int, int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) part[size_t(k)] = lanes(k * kSumBlock, std::min(kSumBlock, n - k * kSumBlock));
  });
  double s = 0;
  for (double v : part) s += v;
  return s;
}

template <class F>
double parallel_sum(ThreadPool& pool, int64_t n, F f) {
  return blocked_sum(pool, n, f, [&](int64_t base, int64_t len) { return sum_lanes(base, len, f); });
}

// Σ x[i] over [0, n) for a contiguous array (float32 up to kF32GroupMax
// entries: sum_lanes_f32's groups). Beyond that the sum streams from memory,
// where the groups measured no faster on one thread and slower on two (2^22
// entries: 196–221 against 154–175 µs), so it keeps one double add per term.
constexpr int64_t kF32GroupMax = int64_t{1} << 21;

template <class T>
double parallel_sum_of(ThreadPool& pool, const T* x, int64_t n) {
  auto f = [=](int64_t i) { return double(x[i]); };
  if constexpr (std::is_same_v<T, float>) {
    if (n <= kF32GroupMax)
      return blocked_sum(pool, n, f, [=](int64_t base, int64_t len) { return sum_lanes_f32(x + base, len); });
  }
  return parallel_sum(pool, n, f);
}

// The largest |f(i)| (NaN wins), over [b, e).
template <class F>
SAD_SIMD_CLONES double max_abs_range(int64_t b, int64_t e, F f) {
  double m = 0;
  bool nan = false;
  for (int64_t i = b; i < e; ++i) {
    const double v = std::fabs(f(i));
    nan |= v != v;
    m = v > m ? v : m;
  }
  return nan ? NAN : m;
}

// ---------------------------------------------------------------------------
// Functors: the bodies with the op fixed at compile time.

template <class T, UnaryOp OP>
struct Unary {
  static T f(T x) { return body::apply_unary(OP, x); }
  static T grad(T x, T y, T g) { return body::unary_grad(OP, x, y, g); }
};

template <class T, BinaryOp OP>
struct Binary {
  static T f(T a, T b) { return body::apply_binary(OP, a, b); }
  static T grad(int which, T g, T a, T b, T y) { return body::binary_grad(OP, which, g, a, b, y); }
};

// Calls fn(std::integral_constant<UnaryOp, op>) for the runtime op.
template <class Fn>
void dispatch_unary(UnaryOp op, Fn&& fn) {
  switch (op) {
#define SAD_CASE(name) \
  case UnaryOp::name: return fn(std::integral_constant<UnaryOp, UnaryOp::name>{});
    SAD_CASE(neg) SAD_CASE(exp) SAD_CASE(log) SAD_CASE(tanh) SAD_CASE(sigmoid) SAD_CASE(relu) SAD_CASE(square)
    SAD_CASE(sqrt) SAD_CASE(abs) SAD_CASE(sin) SAD_CASE(cos)
#undef SAD_CASE
  }
}

template <class Fn>
void dispatch_binary(BinaryOp op, Fn&& fn) {
  switch (op) {
#define SAD_CASE(name) \
  case BinaryOp::name: return fn(std::integral_constant<BinaryOp, BinaryOp::name>{});
    SAD_CASE(add) SAD_CASE(sub) SAD_CASE(mul) SAD_CASE(div) SAD_CASE(maximum) SAD_CASE(minimum) SAD_CASE(pow)
#undef SAD_CASE
  }
}

// ---------------------------------------------------------------------------
// Broadcasting: the output is walked as rows of its innermost axis (s.shape[ndim−1]
// entries), along which each operand steps by 0 or 1 (or another stride, after
// merging, in rare layouts). A constant operand is read at offset 0 of a copy.

template <class T>
struct Reader {
  const T* data;
  int64_t inner;  // the operand's step along the innermost axis
};

template <class T>
Reader<T> reader(const Operand<T>& o, const T* constant, const Broadcast& s, int k) {
  return {o.data ? o.data : constant, o.data ? s.stride[k][s.ndim - 1] : 0};
}

// Calls row(i0, ia, ib, len) for each run of the innermost axis in output
// positions [b, e): i0 the output offset, ia / ib the operands' offsets there.
template <class Row>
void for_rows(const Broadcast& s, int64_t b, int64_t e, Row&& row) {
  const int64_t inner = s.shape[s.ndim - 1];
  int64_t i = b;
  while (i < e) {
    int64_t ia, ib;
    body::broadcast_offsets(s, i, ia, ib);
    const int64_t len = std::min(e, (i / inner + 1) * inner) - i;
    row(i, ia, ib, len);
    i += len;
  }
}

// out[i0 + t] = F(a[ia + t·SA], b[ib + t·SB]) for t < len, SA, SB ∈ {0, 1}.
template <class T, class F, int SA, int SB>
SAD_SIMD_CLONES void binary_row(const T* a, const T* b, T* out, int64_t len) {
  for (int64_t t = 0; t < len; ++t) out[t] = F::f(a[t * SA], b[t * SB]);
}

template <class T, class F>
void binary_rows(const Reader<T>& ra, const Reader<T>& rb, const Broadcast& s, int64_t b, int64_t e, T* out) {
  for_rows(s, b, e, [&](int64_t i0, int64_t ia, int64_t ib, int64_t len) {
    const T* pa = ra.data + ia;  // a constant has every stride 0 (ia = 0)
    const T* pb = rb.data + ib;
    if (ra.inner == 1 && rb.inner == 1) binary_row<T, F, 1, 1>(pa, pb, out + i0, len);
    else if (ra.inner == 1 && rb.inner == 0) binary_row<T, F, 1, 0>(pa, pb, out + i0, len);
    else if (ra.inner == 0 && rb.inner == 1) binary_row<T, F, 0, 1>(pa, pb, out + i0, len);
    else if (ra.inner == 0 && rb.inner == 0) binary_row<T, F, 0, 0>(pa, pb, out + i0, len);
    else
      for (int64_t t = 0; t < len; ++t) out[i0 + t] = F::f(pa[t * ra.inner], pb[t * rb.inner]);
  });
}

// The grain in output entries: whole rows of the innermost axis when rows are
// shorter than kGrain; longer rows are cut at kGrain (for_rows takes a part that
// starts or ends inside a row, and no entry's value depends on the cut). Rounding
// a long row up made a 1-D operand one part: a 2^22 add ran on one thread only.
int64_t row_grain(const Broadcast& s) {
  const int64_t inner = std::max<int64_t>(1, s.shape[s.ndim - 1]);
  return inner >= kGrain ? kGrain : (kGrain + inner - 1) / inner * inner;
}

template <class T>
void sum_to_impl(ThreadPool& pool, const Reduction& r, const T* x, double scale, T* out);

}  // namespace

// ---------------------------------------------------------------------------
// Element-wise maps

template <class T>
void unary_cpu(ThreadPool& pool, UnaryOp op, int64_t n, const T* x, T* out) {
  dispatch_unary(op, [&](auto c) {
    using F = Unary<T, decltype(c)::value>;
    parallel_map(pool, n, [=](int64_t i) { out[i] = F::f(x[i]); });
  });
}

template <class T>
void unary_backward_cpu(ThreadPool& pool, UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx) {
  dispatch_unary(op, [&](auto c) {
    using F = Unary<T, decltype(c)::value>;
    const int reads = body::unary_grad_reads(decltype(c)::value);
    if (reads == 2) parallel_map(pool, n, [=](int64_t i) { dx[i] = F::grad(T(0), y[i], g[i]); });
    else if (reads == 1) parallel_map(pool, n, [=](int64_t i) { dx[i] = F::grad(x[i], T(0), g[i]); });
    else parallel_map(pool, n, [=](int64_t i) { dx[i] = F::grad(T(0), T(0), g[i]); });
  });
}

template <class T>
void binary_broadcast_cpu(ThreadPool& pool, BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, T* out) {
  if (s.size <= 0) return;
  const Reader<T> ra = reader(a, &a.value, s, 0), rb = reader(b, &b.value, s, 1);
  dispatch_binary(op, [&](auto c) {
    using F = Binary<T, decltype(c)::value>;
    if (s.size <= kGrain) return binary_rows<T, F>(ra, rb, s, 0, s.size, out);
    pool.parallel_for(s.size, row_grain(s), [&](int, int64_t b0, int64_t e0) { binary_rows<T, F>(ra, rb, s, b0, e0, out); });
  });
}

template <class T>
void binary_backward_cpu(ThreadPool& pool, BinaryOp op, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b,
                         const T* y, T* da, T* db) {
  const Reader<T> ra = reader(a, &a.value, s, 0), rb = reader(b, &b.value, s, 1);
  std::vector<T> local;
  for (int which = 0; which < 2; ++which) {
    T* out = which == 0 ? da : db;
    if (!out) continue;
    const Reduction r = reduction_of("binary", s, which);
    const int sign = body::binary_grad_sign(op, which);
    if (sign != 0) {  // ±g, summed over the broadcast axes
      sum_to_impl(pool, r, g, double(sign), out);
      continue;
    }
    // The gradient at every output position (into out itself when nothing is summed).
    T* dst = out;
    if (r.nred != 0) {
      local.resize(size_t(s.size));
      dst = local.data();
    }
    dispatch_binary(op, [&](auto c) {
      using F = Binary<T, decltype(c)::value>;
      auto rows = [&](int64_t b0, int64_t e0) {
        for_rows(s, b0, e0, [&](int64_t i0, int64_t ia, int64_t ib, int64_t len) {
          const T* pa = ra.data + ia;  // a constant has every stride 0 (ia = 0)
          const T* pb = rb.data + ib;
          const T* pg = g + i0;
          const T* py = y ? y + i0 : nullptr;
          T* o = dst + i0;
          const int64_t sa = ra.inner, sb = rb.inner;
          if (sa == 1 && sb == 1 && !py)
            map_range(0, len, [=](int64_t t) { o[t] = F::grad(which, pg[t], pa[t], pb[t], T(0)); });
          else
            for (int64_t t = 0; t < len; ++t) o[t] = F::grad(which, pg[t], pa[t * sa], pb[t * sb], py ? py[t] : T(0));
        });
      };
      if (s.size <= kGrain) rows(0, s.size);
      else pool.parallel_for(s.size, row_grain(s), [&](int, int64_t b0, int64_t e0) { rows(b0, e0); });
    });
    if (r.nred != 0) sum_to_impl(pool, r, local.data(), 1.0, out);
  }
}

namespace {

// ---------------------------------------------------------------------------
// Sums over axes (Reduction, dense_bodies.h): kept axes keep_shape (outer to
// inner), summed axes red_shape, each with x's strides.

// The offset in x of the kept position j.
int64_t keep_offset(const Reduction& r, int64_t j) {
  int64_t base = 0;
  for (int d = r.nkeep - 1; d >= 0; --d) {
    const int64_t q = j / r.keep_shape[d];
    base += (j - q * r.keep_shape[d]) * r.keep_stride[d];
    j = q;
  }
  return base;
}

// Calls fn(offset) for the offset of every summed position but the innermost
// axis, in increasing order of x's positions.
template <class Fn>
void for_outer_summed(const Reduction& r, Fn&& fn) {
  int64_t ctr[kMaxDims] = {};
  const int inner = r.nred - 1;
  for (int64_t off = 0;;) {
    fn(off);
    int d = inner - 1;
    for (; d >= 0; --d) {
      off += r.red_stride[d];
      if (++ctr[d] < r.red_shape[d]) break;
      off -= r.red_stride[d] * r.red_shape[d];
      ctr[d] = 0;
    }
    if (d < 0) return;
  }
}

template <class T>
void sum_to_impl(ThreadPool& pool, const Reduction& r, const T* x, double scale, T* out) {
  if (r.out_size <= 0) return;
  if (r.nred == 0 || r.count == 0) {  // nothing summed (a copy), or an empty sum
    const bool empty = r.count == 0;
    parallel_map(pool, r.out_size, [=](int64_t j) { out[j] = empty ? T(0) : T(double(x[keep_offset(r, j)]) * scale); });
    return;
  }
  if (r.nkeep == 0 && r.nred == 1 && r.red_stride[0] == 1) {  // everything: one contiguous sum
    *out = T(parallel_sum_of(pool, x, r.count) * scale);
    return;
  }
  const int inner = r.nred - 1;
  if (r.red_stride[inner] == 1) {
    // The innermost summed axis is contiguous: one blocked sum per run, per output entry.
    const int64_t len = r.red_shape[inner];
    auto one = [&](int64_t j) {
      const T* xj = x + keep_offset(r, j);
      double acc = 0;
      for_outer_summed(r, [&](int64_t off) {
        const T* p = xj + off;
        for (int64_t b = 0; b < len; b += kSumBlock)
          acc += sum_range(b, std::min(len, b + kSumBlock), [=](int64_t i) { return double(p[i]); });
      });
      out[j] = T(acc * scale);
    };
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r.count));
    pool.parallel_for(r.out_size, grain, [&](int, int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) one(j);
    });
    return;
  }
  if (r.keep_stride[r.nkeep - 1] == 1) {
    // The innermost kept axis is contiguous (e.g. column sums): add whole runs of
    // it into double accumulators, one summed position after another.
    const int64_t run = r.keep_shape[r.nkeep - 1];
    Reduction outer = r;  // the kept axes but the innermost
    outer.nkeep = r.nkeep - 1;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r.count));
    pool.parallel_for(r.out_size, grain, [&](int, int64_t b, int64_t e) {
      std::vector<double> acc;
      for (int64_t j = b; j < e;) {
        const int64_t q = j / run, c0 = j - q * run, c1 = std::min(run, c0 + (e - j));
        const T* xq = x + keep_offset(outer, q) + c0;
        const int64_t w = c1 - c0;
        acc.assign(size_t(w), 0.0);
        double* a = acc.data();
        for_outer_summed(r, [&](int64_t off) {
          for (int64_t t = 0; t < r.red_shape[inner]; ++t) {
            const T* p = xq + off + t * r.red_stride[inner];
            map_range(0, w, [=](int64_t c) { a[c] += double(p[c]); });
          }
        });
        for (int64_t c = 0; c < w; ++c) out[q * run + c0 + c] = T(a[c] * scale);
        j += w;
      }
    });
    return;
  }
  // Any other pattern: the device's per-entry body.
  pool.parallel_for(r.out_size, 1, [&](int, int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) out[j] = T(body::reduce_sum_at(r, x, j) * scale);
  });
}

}  // namespace

template <class T>
void sum_to_cpu(ThreadPool& pool, const Reduction& r, const T* x, double scale, T* out) {
  sum_to_impl(pool, r, x, scale, out);
}

template <class T>
void clamp_cpu(ThreadPool& pool, int64_t n, double lo, double hi, const T* x, T* out) {
  parallel_map(pool, n, [=](int64_t i) { out[i] = body::clamp_value(x[i], lo, hi); });
}

template <class T>
void clamp_backward_cpu(ThreadPool& pool, int64_t n, double lo, double hi, const T* x, const T* g, T* dx) {
  parallel_map(pool, n, [=](int64_t i) { dx[i] = body::clamp_grad(x[i], lo, hi, g[i]); });
}

template <class S, class D>
void cast_cpu(ThreadPool& pool, int64_t n, const S* x, D* out) {
  parallel_map(pool, n, [=](int64_t i) { out[i] = D(x[i]); });
}

template <class T>
void fill_cpu(ThreadPool& pool, int64_t n, T value, T* out) {
  parallel_map(pool, n, [=](int64_t i) { out[i] = value; });
}

template <class T>
void axpby_cpu(ThreadPool& pool, int64_t n, T alpha, const T* x, T beta, T* y) {
  parallel_map(pool, n, [=](int64_t i) { y[i] = alpha * x[i] + beta * y[i]; });
}

template <class T>
void dot_cpu(ThreadPool& pool, int64_t n, const T* x, const T* y, T* out) {
  *out = T(parallel_sum(pool, n, [=](int64_t i) { return double(x[i]) * double(y[i]); }));
}

template <class T>
void norm_cpu(ThreadPool& pool, int64_t n, const T* x, T* out) {
  // amax · √(Σ (x / amax)²) (body::norm_finish): the max over fixed blocks too.
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> part(size_t(std::max<int64_t>(blocks, 1)), 0.0);
  pool.parallel_for(blocks, std::max<int64_t>(1, kGrain / kSumBlock), [&](int, int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      part[size_t(k)] = max_abs_range(k * kSumBlock, std::min(n, (k + 1) * kSumBlock), [=](int64_t i) { return double(x[i]); });
  });
  double amax = 0;
  for (double v : part) amax = body::max_nan(amax, v);
  if (body::norm_is_amax(amax)) {
    *out = T(amax);
    return;
  }
  const double sumsq = parallel_sum(pool, n, [=](int64_t i) {
    const double v = double(x[i]) / amax;
    return v * v;
  });
  *out = T(body::norm_finish(amax, sumsq));
}

template <class T>
void norm_backward_cpu(ThreadPool& pool, int64_t n, const T* x, T nrm, T g, T* dx) {
  parallel_map(pool, n, [=](int64_t i) { dx[i] = body::norm_grad(x[i], g, nrm); });
}

// ---------------------------------------------------------------------------
// Rows: softmax, log-softmax, cross-entropy

namespace {

template <class T>
SAD_SIMD_CLONES T row_max(const T* x, int64_t cols) {
  T m = -INFINITY;
  bool nan = false;
  for (int64_t j = 0; j < cols; ++j) {
    nan |= x[j] != x[j];
    m = x[j] > m ? x[j] : m;
  }
  return nan ? T(NAN) : m;
}

// log Σ exp over one row (body::log_sum_exp: −∞ for an all −∞ row; +∞ / NaN pass through).
// The exps go through a small buffer: computed in a vectorized map, then added
// in index order. Inside the in-order sum the exps ran one at a time (a
// [16384, 32] float32 log-softmax took 5.3 ms against NumPy's 1.9 ms).
template <class T>
double row_lse(const T* x, int64_t cols) {
  const T mx = row_max(x, cols);
  if (mx == -INFINITY || mx == INFINITY || mx != mx) return double(mx);
  const double m = double(mx);
  constexpr int64_t kChunk = 256;
  double e[kChunk];
  double s = 0;
  for (int64_t j0 = 0; j0 < cols; j0 += kChunk) {
    const int64_t len = std::min(kChunk, cols - j0);
    const T* xj = x + j0;
    map_range(0, len, [=, &e](int64_t j) { e[j] = vm::exp(double(xj[j]) - m); });
    for (int64_t j = 0; j < len; ++j) s += e[j];
  }
  return body::log_sum_exp(mx, s);
}

template <class F>
void parallel_rows(ThreadPool& pool, int64_t rows, int64_t cols, F&& f) {
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, cols));
  if (rows <= grain) {
    for (int64_t r = 0; r < rows; ++r) f(r);
    return;
  }
  pool.parallel_for(rows, grain, [&](int, int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) f(r);
  });
}

}  // namespace

template <class T>
void log_softmax_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* x, T* y, bool exp_out) {
  if (cols == 0) return;
  parallel_rows(pool, rows, cols, [&](int64_t r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const double lse = row_lse(xr, cols);
    if (exp_out) map_range(0, cols, [=](int64_t j) { yr[j] = T(vm::exp(double(xr[j]) - lse)); });
    else map_range(0, cols, [=](int64_t j) { yr[j] = T(double(xr[j]) - lse); });
  });
}

template <class T>
void log_softmax_backward_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* y, const T* g, T* dx) {
  parallel_rows(pool, rows, cols, [&](int64_t r) {
    const T *yr = y + r * cols, *gr = g + r * cols;
    T* d = dx + r * cols;
    const double s = sum_range(0, cols, [=](int64_t j) { return double(gr[j]); });
    map_range(0, cols, [=](int64_t j) { d[j] = T(double(gr[j]) - vm::exp(double(yr[j])) * s); });
  });
}

template <class T>
void softmax_backward_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* y, const T* g, T* dx) {
  parallel_rows(pool, rows, cols, [&](int64_t r) {
    const T *yr = y + r * cols, *gr = g + r * cols;
    T* d = dx + r * cols;
    const double s = sum_range(0, cols, [=](int64_t j) { return double(gr[j]) * double(yr[j]); });
    map_range(0, cols, [=](int64_t j) { d[j] = T(double(yr[j]) * (double(gr[j]) - s)); });
  });
}

template <class T>
void cross_entropy_cpu(ThreadPool& pool, int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt,
                       T* lse, T* loss) {
  std::vector<double> terms(static_cast<size_t>(R));
  parallel_rows(pool, R, C, [&](int64_t k) {
    const T* xr = x + int64_t(sel[k]) * C;
    const double l = row_lse(xr, C);
    lse[k] = T(l);
    terms[size_t(k)] = l - double(xr[tgt[k]]);
  });
  double s = 0;
  for (double t : terms) s += t;  // in order: the same for any thread count
  *loss = T(s / double(R));
}

template <class T>
void cross_entropy_backward_cpu(ThreadPool& pool, int64_t N, int64_t C, int64_t R, const T* x, const int32_t* sel,
                                const int32_t* tgt, const T* lse, T g, T* dx) {
  fill_cpu(pool, N * C, T(0), dx);
  const double c = double(g) / double(R);
  // In order of k: a row selected twice adds up (no thread may race on it).
  for (int64_t k = 0; k < R; ++k) {
    const T* xr = x + int64_t(sel[k]) * C;
    T* d = dx + int64_t(sel[k]) * C;
    const double l = double(lse[k]);
    map_range(0, C, [=](int64_t j) { d[j] = T(double(d[j]) + c * vm::exp(double(xr[j]) - l)); });
    d[tgt[k]] = T(double(d[tgt[k]]) - c);
  }
}

// ---------------------------------------------------------------------------
// Dropout and the optimizer steps

template <class T>
void dropout_cpu(ThreadPool& pool, int64_t n, double p, uint64_t seed, uint64_t offset, const T* x, T* out,
                 uint8_t* keep) {
  const T scale = p >= 1 ? T(0) : T(1.0 / (1.0 - p));
  parallel_map(pool, n, [=](int64_t i) {
    const bool k = body::dropout_keep(seed, offset, uint64_t(i), p);
    keep[i] = k;
    out[i] = k ? x[i] * scale : T(0);
  });
}

template <class T>
void dropout_backward_cpu(ThreadPool& pool, int64_t n, T scale, const uint8_t* keep, const T* g, T* dx) {
  parallel_map(pool, n, [=](int64_t i) { dx[i] = keep[i] ? g[i] * scale : T(0); });
}

template <class T>
void adam_step_cpu(ThreadPool& pool, const body::AdamStep& step, int64_t n, T* p, const T* g, T* m, T* v, T* vmax) {
  const double step_size = step.step_size != 0 ? step.step_size : step.lr / (1 - std::pow(step.beta1, double(step.step)));
  const double bc2_sqrt = step.bc2_sqrt != 0 ? step.bc2_sqrt : std::sqrt(1 - std::pow(step.beta2, double(step.step)));
  const body::AdamStep s = step;
  if (vmax)
    parallel_map(pool, n, [=](int64_t i) { body::adam_element(s, step_size, bc2_sqrt, p[i], g[i], m[i], v[i], vmax + i); });
  else
    parallel_map(pool, n, [=](int64_t i) { body::adam_element(s, step_size, bc2_sqrt, p[i], g[i], m[i], v[i], (T*)nullptr); });
}

template <class T>
void sgd_step_cpu(ThreadPool& pool, const body::SgdStep& step, int64_t n, T* p, const T* g, T* buf) {
  const body::SgdStep s = step;
  if (buf) parallel_map(pool, n, [=](int64_t i) { body::sgd_element(s, p[i], g[i], buf + i); });
  else parallel_map(pool, n, [=](int64_t i) { body::sgd_element(s, p[i], g[i], (T*)nullptr); });
}

#define SAD_INSTANTIATE(T)                                                                                          \
  template void unary_cpu<T>(ThreadPool&, UnaryOp, int64_t, const T*, T*);                                          \
  template void unary_backward_cpu<T>(ThreadPool&, UnaryOp, int64_t, const T*, const T*, const T*, T*);             \
  template void binary_broadcast_cpu<T>(ThreadPool&, BinaryOp, const Broadcast&, Operand<T>, Operand<T>, T*);       \
  template void binary_backward_cpu<T>(ThreadPool&, BinaryOp, const Broadcast&, const T*, Operand<T>, Operand<T>,   \
                                       const T*, T*, T*);                                                           \
  template void sum_to_cpu<T>(ThreadPool&, const Reduction&, const T*, double, T*);                                 \
  template void clamp_cpu<T>(ThreadPool&, int64_t, double, double, const T*, T*);                                   \
  template void clamp_backward_cpu<T>(ThreadPool&, int64_t, double, double, const T*, const T*, T*);                \
  template void fill_cpu<T>(ThreadPool&, int64_t, T, T*);                                                           \
  template void axpby_cpu<T>(ThreadPool&, int64_t, T, const T*, T, T*);                                             \
  template void dot_cpu<T>(ThreadPool&, int64_t, const T*, const T*, T*);                                           \
  template void norm_cpu<T>(ThreadPool&, int64_t, const T*, T*);                                                    \
  template void norm_backward_cpu<T>(ThreadPool&, int64_t, const T*, T, T, T*);                                     \
  template void log_softmax_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, T*, bool);                              \
  template void log_softmax_backward_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, const T*, T*);                 \
  template void softmax_backward_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, const T*, T*);                     \
  template void cross_entropy_cpu<T>(ThreadPool&, int64_t, int64_t, const T*, const int32_t*, const int32_t*, T*,   \
                                     T*);                                                                           \
  template void cross_entropy_backward_cpu<T>(ThreadPool&, int64_t, int64_t, int64_t, const T*, const int32_t*,     \
                                              const int32_t*, const T*, T, T*);                                     \
  template void dropout_cpu<T>(ThreadPool&, int64_t, double, uint64_t, uint64_t, const T*, T*, uint8_t*);           \
  template void dropout_backward_cpu<T>(ThreadPool&, int64_t, T, const uint8_t*, const T*, T*);                     \
  template void adam_step_cpu<T>(ThreadPool&, const body::AdamStep&, int64_t, T*, const T*, T*, T*, T*);            \
  template void sgd_step_cpu<T>(ThreadPool&, const body::SgdStep&, int64_t, T*, const T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE
template void cast_cpu<float, double>(ThreadPool&, int64_t, const float*, double*);
template void cast_cpu<double, float>(ThreadPool&, int64_t, const double*, float*);

}  // namespace sad
