// The bodies of the dense CUDA kernels (dense_cuda.cu): element-wise maps
// (broadcasting, with their VJPs), the sums that undo broadcasting, clamp, the
// 2-norm, row reductions for softmax / log-softmax / cross-entropy, a
// counter-based RNG for dropout, and the Adam step, as host/device functions
// (see hd.h) that the C++ tests also run on the CPU; and those bodies in host
// loops (on_host::), which the emulated device runs.
//
// Sums of many terms accumulate in double whatever T is (never in float for
// double, and float inputs gain accuracy for free on the GPU's FP64 units).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "hd.h"
#include "vmath.h"

namespace sad {

enum class UnaryOp : int { neg, exp, log, tanh, sigmoid, relu, square, sqrt, abs, sin, cos };
enum class BinaryOp : int { add, sub, mul, div, maximum, minimum, pow };

// ---------------------------------------------------------------------------
// Broadcasting (NumPy rules) on contiguous row-major tensors.
//
// A Broadcast describes how two operands are read along an output: its axes
// (size-1 axes dropped, adjacent axes merged where both operands step through
// them contiguously, so [N, H] + [H] has two axes and same shapes one), and
// each operand's stride along each (0 where it is broadcast). A Reduction
// describes the transpose: a sum of a contiguous tensor over some axes (those
// where the summed-to shape has 1), with kept and summed axes merged likewise.

constexpr int kMaxDims = 8;  // axes after merging; more is refused with a message

struct Broadcast {
  int ndim = 1;
  int64_t size = 1;  // output entries
  int64_t shape[kMaxDims] = {1};
  int64_t stride[2][kMaxDims] = {};  // stride[k][d]: operand k's step along axis d
};

struct Reduction {
  int nkeep = 0, nred = 0;
  int64_t out_size = 1;  // Π kept axes: the output's entries
  int64_t count = 1;     // Π summed axes: the terms per output entry
  int64_t keep_shape[kMaxDims] = {}, keep_stride[kMaxDims] = {};
  int64_t red_shape[kMaxDims] = {}, red_stride[kMaxDims] = {};
};

// An operand of an element-wise op: a (device) array, or a constant where data is null.
template <class T>
struct Operand {
  const T* data = nullptr;
  T value = T(0);
  SAD_HD T at(int64_t k) const { return data ? data[k] : value; }
};

namespace detail {

inline std::string shape_str(int ndim, const int64_t* s) {
  std::string r = "[";
  for (int d = 0; d < ndim; ++d) r += (d ? ", " : "") + std::to_string(s[d]);
  return r + "]";
}

}  // namespace detail

// The broadcast of operands a and b (shapes right-aligned to the output's
// `ndim` axes, 1 where absent) to `out`. Fails "<op>: ..." when a shape does
// not broadcast to out or more than kMaxDims axes remain after merging.
inline Broadcast make_broadcast(const char* op, int ndim, const int64_t* out, const int64_t* a, const int64_t* b) {
  std::vector<int64_t> sh, st0, st1;
  const int64_t* in[2] = {a, b};
  int64_t run[2] = {1, 1};
  // Walk from the innermost axis, collecting the non-1 output axes (reversed).
  for (int d = ndim - 1; d >= 0; --d) {
    int64_t s[2];
    for (int o = 0; o < 2; ++o) {
      if (in[o][d] != out[d] && in[o][d] != 1)
        fail(std::string(op) + ": an operand of shape " + detail::shape_str(ndim, in[o]) +
             " does not broadcast to " + detail::shape_str(ndim, out));
      s[o] = in[o][d] == 1 ? 0 : run[o];
      run[o] *= in[o][d];
    }
    if (out[d] == 1) continue;
    sh.push_back(out[d]);
    st0.push_back(s[0]);
    st1.push_back(s[1]);
  }
  Broadcast r;
  r.size = 1;
  for (int d = 0; d < ndim; ++d) r.size *= out[d];
  const int n = int(sh.size());
  if (n == 0) return r;  // one entry: ndim 1, shape {1}, strides 0
  // Outer to inner, merging an axis into the one outside it where both operands allow.
  std::vector<int64_t> msh, ms0, ms1;
  for (int d = n - 1; d >= 0; --d) {
    if (!msh.empty() && ms0.back() == st0[d] * sh[d] && ms1.back() == st1[d] * sh[d]) {
      msh.back() *= sh[d];
      ms0.back() = st0[d];
      ms1.back() = st1[d];
    } else {
      msh.push_back(sh[d]);
      ms0.push_back(st0[d]);
      ms1.push_back(st1[d]);
    }
  }
  if (int(msh.size()) > kMaxDims)
    fail(std::string(op) + ": the broadcast has " + std::to_string(msh.size()) + " axes after merging; at most " +
         std::to_string(kMaxDims) + " are supported on cuda");
  r.ndim = int(msh.size());
  for (int d = 0; d < r.ndim; ++d) {
    r.shape[d] = msh[d];
    r.stride[0][d] = ms0[d];
    r.stride[1][d] = ms1[d];
  }
  return r;
}

// The sum over the axes where operand `which` of s is broadcast (stride 0):
// the VJP of reading that operand along s's output.
inline Reduction reduction_of(const char* op, const Broadcast& s, int which) {
  Reduction r;
  int64_t run = 1;
  int64_t cstride[kMaxDims];
  for (int d = s.ndim - 1; d >= 0; --d) {
    cstride[d] = run;  // the output's (contiguous) stride
    run *= s.shape[d];
  }
  // Kept axes: the operand steps along them; summed: stride 0 on a non-1 axis.
  int cls_prev = -1;
  for (int d = 0; d < s.ndim; ++d) {
    if (s.shape[d] == 1) continue;
    const int cls = s.stride[which][d] != 0 ? 0 : 1;
    int64_t* shp = cls == 0 ? r.keep_shape : r.red_shape;
    int64_t* str = cls == 0 ? r.keep_stride : r.red_stride;
    int& n = cls == 0 ? r.nkeep : r.nred;
    if (cls == cls_prev) {  // adjacent axes of one kind merge (the output is contiguous)
      shp[n - 1] *= s.shape[d];
      str[n - 1] = cstride[d];
    } else {
      if (n == kMaxDims) fail(std::string(op) + ": too many axes to reduce on cuda");
      shp[n] = s.shape[d];
      str[n] = cstride[d];
      ++n;
    }
    cls_prev = cls;
  }
  for (int d = 0; d < r.nkeep; ++d) r.out_size *= r.keep_shape[d];
  for (int d = 0; d < r.nred; ++d) r.count *= r.red_shape[d];
  return r;
}

// The sum of a contiguous tensor of `shape` to `to` (right-aligned to ndim
// axes; each 1 or the same as shape): the axes where `to` has 1 are summed.
inline Reduction make_reduction(const char* op, int ndim, const int64_t* shape, const int64_t* to) {
  for (int d = 0; d < ndim; ++d)
    if (to[d] != 1 && to[d] != shape[d])
      fail(std::string(op) + ": cannot sum a tensor of shape " + detail::shape_str(ndim, shape) + " to " +
           detail::shape_str(ndim, to));
  return reduction_of(op, make_broadcast(op, ndim, shape, to, to), 0);
}

namespace body {

template <class T>
SAD_HD T apply_unary(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return vm::exp(x);
    case UnaryOp::log: return std::log(x);
    case UnaryOp::tanh: return vm::tanh(x);
    case UnaryOp::sigmoid: {  // e^−|x| never overflows
      const T e = vm::exp(-std::fabs(x));
      return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
    }
    case UnaryOp::relu: return x > T(0) ? x : (x != x ? x : T(0));
    case UnaryOp::square: return x * x;
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::abs: return std::fabs(x);
    case UnaryOp::sin: return std::sin(x);
    case UnaryOp::cos: return std::cos(x);
  }
  return x;
}

// What unary_grad reads besides g: 1 = x, 2 = y (the bindings check it is given).
SAD_HD int unary_grad_reads(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg: return 0;
    case UnaryOp::exp: case UnaryOp::tanh: case UnaryOp::sigmoid: case UnaryOp::sqrt: return 2;
    default: return 1;
  }
}

// dx = g f'(x), given x and y = f(x) (whichever the derivative reads more cheaply).
template <class T>
SAD_HD T unary_grad(UnaryOp op, T x, T y, T g) {
  switch (op) {
    case UnaryOp::neg: return -g;
    case UnaryOp::exp: return g * y;
    case UnaryOp::log: return g / x;
    case UnaryOp::tanh: return g * (T(1) - y * y);
    case UnaryOp::sigmoid: return g * y * (T(1) - y);
    case UnaryOp::relu: return x > T(0) ? g : T(0);
    case UnaryOp::square: return g * T(2) * x;
    case UnaryOp::sqrt: return g / (T(2) * y);
    case UnaryOp::abs: return x > T(0) ? g : (x < T(0) ? -g : (x == T(0) ? T(0) : x));  // NaN at NaN, as the CPU
    case UnaryOp::sin: return g * std::cos(x);
    case UnaryOp::cos: return -g * std::sin(x);
  }
  return g;
}

// aᵇ with JavaScript's Math.pow where it differs from C's pow (the CPU ops use
// Math.pow): a NaN exponent gives NaN, and (±1)^±∞ is NaN.
template <class T>
SAD_HD T js_pow(T a, T b) {
  if (b != b) return b;
  if ((a == T(1) || a == T(-1)) && (b == T(INFINITY) || b == T(-INFINITY))) return T(NAN);
  return std::pow(a, b);
}

template <class T>
SAD_HD T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::maximum: return (a > b || a != a) ? a : b;
    case BinaryOp::minimum: return (a < b || a != a) ? a : b;
    case BinaryOp::pow: return js_pow(a, b);
  }
  return a;
}

// The VJP of out = a ∘ b at one position: the gradient of operand `which`
// (0: a, 1: b) from the output's gradient g, the operands and the output y.
// As the CPU ops (native/lib/ops/elementwise.ts), ties of maximum / minimum
// split g evenly, and pow follows PyTorch at b = 0 and a = 0.
template <class T>
SAD_HD T binary_grad(BinaryOp op, int which, T g, T a, T b, T y) {
  switch (op) {
    case BinaryOp::add: return g;                                      // da = g, db = g
    case BinaryOp::sub: return which == 0 ? g : -g;                    // da = g, db = −g
    case BinaryOp::mul: return which == 0 ? g * b : g * a;             // da = g b, db = g a
    case BinaryOp::div: return which == 0 ? g / b : (-g * a) / (b * b);  // da = g / b, db = −g a / b²
    case BinaryOp::maximum:  // da = g [a > b] + g/2 [a = b], db = g [b > a] + g/2 [a = b]
      return (which == 0 ? a > b : b > a) ? g : (a == b ? g / T(2) : T(0));
    case BinaryOp::minimum:  // da = g [a < b] + g/2 [a = b], db = g [b < a] + g/2 [a = b]
      return (which == 0 ? a < b : b < a) ? g : (a == b ? g / T(2) : T(0));
    case BinaryOp::pow:  // da = g b a^(b−1) (0 at b = 0), db = g y log a (0 at a = 0, b ≥ 0)
      if (which == 0) return b == T(0) ? T(0) : g * b * js_pow(a, b - T(1));
      return (a == T(0) && b >= T(0)) ? T(0) : g * y * std::log(a);
  }
  return g;
}

// +1 or −1 where binary_grad(op, which, …) is just ±g (no operand read), else 0.
SAD_HD int binary_grad_sign(BinaryOp op, int which) {
  if (op == BinaryOp::add) return 1;
  if (op == BinaryOp::sub) return which == 0 ? 1 : -1;
  return 0;
}

// ---------------------------------------------------------------------------
// Broadcast element-wise ops, the sums that undo broadcasting, clamp, cast,
// transpose, and the 2-norm.

// The offsets of output position i in operands 0 and 1.
SAD_HD void broadcast_offsets(const Broadcast& s, int64_t i, int64_t& o0, int64_t& o1) {
  o0 = 0;
  o1 = 0;
  for (int d = s.ndim - 1; d > 0; --d) {
    const int64_t q = i / s.shape[d], k = i - q * s.shape[d];
    o0 += k * s.stride[0][d];
    o1 += k * s.stride[1][d];
    i = q;
  }
  o0 += i * s.stride[0][0];
  o1 += i * s.stride[1][0];
}

// out[i] = a ∘ b at output position i.
template <class T>
SAD_HD T broadcast_binary_at(BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, int64_t i) {
  int64_t ia, ib;
  broadcast_offsets(s, i, ia, ib);
  return apply_binary(op, a.at(ia), b.at(ib));
}

// The gradient of operand `which` at output position i (before summing over
// its broadcast axes); y (the forward output) is read only by pow.
template <class T>
SAD_HD T binary_grad_at(BinaryOp op, int which, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b,
                        const T* y, int64_t i) {
  int64_t ia, ib;
  broadcast_offsets(s, i, ia, ib);
  return binary_grad(op, which, g[i], a.at(ia), b.at(ib), y ? y[i] : T(0));
}

// Σ x over the summed axes at output position j, in double, in increasing
// order of x's positions (the CPU's order).
template <class T>
SAD_HD double reduce_sum_at(const Reduction& r, const T* x, int64_t j) {
  int64_t base = 0;
  for (int d = r.nkeep - 1; d >= 0; --d) {
    const int64_t q = j / r.keep_shape[d];
    base += (j - q * r.keep_shape[d]) * r.keep_stride[d];
    j = q;
  }
  if (r.count == 0) return 0;
  if (r.nred == 0) return double(x[base]);
  // An odometer over the outer summed axes; the innermost one is a plain loop.
  const int inner = r.nred - 1;
  const int64_t n_in = r.red_shape[inner], s_in = r.red_stride[inner];
  int64_t ctr[kMaxDims] = {};
  double acc = 0;
  for (int64_t off = base;;) {
    for (int64_t t = 0; t < n_in; ++t) acc += double(x[off + t * s_in]);
    int d = inner - 1;
    for (; d >= 0; --d) {
      off += r.red_stride[d];
      if (++ctr[d] < r.red_shape[d]) break;
      off -= r.red_stride[d] * r.red_shape[d];
      ctr[d] = 0;
    }
    if (d < 0) return acc;
  }
}

// clamp to [lo, hi] (±∞ for an absent bound), compared in double as the CPU
// does; NaN stays NaN. Its VJP passes g where lo ≤ x ≤ hi (0 at NaN).
template <class T>
SAD_HD T clamp_value(T x, double lo, double hi) {
  const double v = double(x);
  return v < lo ? T(lo) : (v > hi ? T(hi) : x);
}

template <class T>
SAD_HD T clamp_grad(T x, double lo, double hi, T g) {
  const double v = double(x);
  return (v >= lo && v <= hi) ? g : T(0);
}

// The 2-norm as the CPU computes it: amax · √(Σ (x / amax)²), which neither
// overflows nor underflows; amax itself when it is 0, ∞ or NaN.
template <class T>
SAD_HD double max_abs_partial(const T* x, int64_t n, int64_t lane, int64_t lanes) {
  double m = 0;
  for (int64_t i = lane; i < n; i += lanes) {
    const double v = std::fabs(double(x[i]));
    if (v > m || v != v) m = v;
  }
  return m;
}

SAD_HD double max_nan(double a, double b) { return (b > a || b != b) ? b : a; }

template <class T>
SAD_HD double scaled_sumsq_partial(const T* x, int64_t n, double amax, int64_t lane, int64_t lanes) {
  double s = 0;
  for (int64_t i = lane; i < n; i += lanes) {
    const double v = double(x[i]) / amax;
    s += v * v;
  }
  return s;
}

SAD_HD bool norm_is_amax(double amax) { return amax == 0 || amax == INFINITY || amax != amax; }

SAD_HD double norm_finish(double amax, double sumsq) { return norm_is_amax(amax) ? amax : amax * std::sqrt(sumsq); }

// dx = g x / ‖x‖ (0 where ‖x‖ = 0).
template <class T>
SAD_HD T norm_grad(T x, T g, T nrm) {
  return nrm == T(0) ? T(0) : (g / nrm) * x;
}

// ---------------------------------------------------------------------------
// Row reductions over `cols` entries; lane l of `lanes` takes l, l + lanes, …

template <class T>
SAD_HD T row_max_partial(const T* x, int64_t cols, int lane, int lanes) {
  T m = -INFINITY;
  for (int64_t j = lane; j < cols; j += lanes) {
    const T v = x[j];
    if (v > m || v != v) m = v;
  }
  return m;
}

// Σ exp(x − mx) over the lane's entries.
template <class T>
SAD_HD double row_sumexp_partial(const T* x, int64_t cols, T mx, int lane, int lanes) {
  double s = 0;
  for (int64_t j = lane; j < cols; j += lanes) s += vm::exp(double(x[j]) - double(mx));
  return s;
}

// log Σ exp from the row's max and the sum of exp(x − max): as the CPU's
// logSumExp, an all −∞ row gives −∞ and a +∞ or NaN entry passes through.
template <class T>
SAD_HD double log_sum_exp(T mx, double sumexp) {
  if (mx == -INFINITY || mx == INFINITY || mx != mx) return double(mx);
  return double(mx) + std::log(sumexp);
}

// Σ g (and Σ g y) over the lane's entries: the softmax VJPs' row sums.
template <class T>
SAD_HD double row_sum_partial(const T* g, int64_t cols, int lane, int lanes) {
  double s = 0;
  for (int64_t j = lane; j < cols; j += lanes) s += double(g[j]);
  return s;
}

template <class T>
SAD_HD double row_dot_partial(const T* g, const T* y, int64_t cols, int lane, int lanes) {
  double s = 0;
  for (int64_t j = lane; j < cols; j += lanes) s += double(g[j]) * double(y[j]);
  return s;
}

// ---------------------------------------------------------------------------
// Philox4x32-10 (Salmon et al. 2011, Random123): a counter-based generator, so
// the random number for element i is a pure function of (seed, offset, i) and
// every thread draws its own without shared state. Checked against Random123's
// known-answer vectors in the tests.

struct Philox4 {
  uint32_t v[4];
};

SAD_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

SAD_HD Philox4 philox4x32_10(Philox4 ctr, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, ctr.v[0], hi0, lo0);
    mulhilo32(0xCD9E8D57u, ctr.v[2], hi1, lo1);
    ctr = Philox4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

// Uniform in [0, 1) with 53 random bits, for element i of the draw (seed, offset).
SAD_HD double philox_uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  const Philox4 r = philox4x32_10(Philox4{{uint32_t(i), uint32_t(i >> 32), uint32_t(offset), uint32_t(offset >> 32)}},
                                  uint32_t(seed), uint32_t(seed >> 32));
  const uint64_t bits = (uint64_t(r.v[0] >> 5) << 26) | uint64_t(r.v[1] >> 6);  // 27 + 26 bits
  return double(bits) * (1.0 / 9007199254740992.0);
}

// Inverted dropout keeps element i when its uniform draw is >= p.
SAD_HD bool dropout_keep(uint64_t seed, uint64_t offset, uint64_t i, double p) {
  return philox_uniform(seed, offset, i) >= p;
}

// ---------------------------------------------------------------------------
// Adam / AdamW, as native/lib/optim.ts (and torch.optim): one element.
//   Adam:  g ← g + λ p            AdamW: p ← p (1 − lr λ)
//   m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  (amsgrad: v̂ ← max(v̂, v))
//   p ← p − (lr / (1 − β₁ᵗ)) m / (√v / √(1 − β₂ᵗ) + ε)
// Arithmetic in double; m, v, p are stored in T and re-read as stored, as the
// TypeScript optimizer does with its typed arrays.

struct AdamStep {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW
  bool amsgrad = false;
  int64_t step = 1;  // t, counted from 1 (after this step's increment)
  // lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ) when the caller computed them (0: from std::pow).
  // The TypeScript optimizer passes its Math.pow values, which can differ from
  // glibc's pow in the last bit: the CPU step then matches it bit for bit.
  double step_size = 0, bc2_sqrt = 0;
};

template <class T>
SAD_HD void adam_element(const AdamStep& s, double step_size, double bc2_sqrt, T& p, T g, T& m, T& v, T* vmax) {
  const double p0 = double(p);
  const double pj = s.decoupled ? p0 * (1 - s.lr * s.weight_decay) : p0;
  const double gj = s.decoupled ? double(g) : double(g) + s.weight_decay * p0;
  m = T(s.beta1 * double(m) + (1 - s.beta1) * gj);
  v = T(s.beta2 * double(v) + (1 - s.beta2) * gj * gj);
  double vj = double(v);
  if (vmax) {
    if (v > *vmax) *vmax = v;
    vj = double(*vmax);
  }
  p = T(pj - (step_size * double(m)) / (std::sqrt(vj) / bc2_sqrt + s.eps));
}

// SGD, as native/lib/optim.ts (and torch.optim.SGD): one element.
//   d ← g + λ p;  b ← μ b + (1 − τ) d (b ← d at the first step);  d ← d + μ b (Nesterov) or b;  p ← p − lr d
// without momentum (μ = 0) there is no b. Arithmetic in double; b, p stored in T.
struct SgdStep {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  bool first = true;  // the first step with this momentum buffer
};

template <class T>
SAD_HD void sgd_element(const SgdStep& s, T& p, T g, T* buf) {
  double d = double(g) + s.weight_decay * double(p);
  if (buf) {
    *buf = s.first ? T(d) : T(s.momentum * double(*buf) + (1 - s.dampening) * d);
    d = s.nesterov ? d + s.momentum * double(*buf) : double(*buf);
  }
  p = T(double(p) - s.lr * d);
}

}  // namespace body

// ---------------------------------------------------------------------------
// The bodies in host loops, sequential: what the emulated device runs (the
// device bindings without a GPU) and what the tests hold the CUDA kernels to.

namespace on_host {

template <class T>
void unary(UnaryOp op, int64_t n, const T* x, T* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = body::apply_unary(op, x[i]);
}

template <class T>
void unary_backward(UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = body::unary_grad(op, x ? x[i] : T(0), y ? y[i] : T(0), g[i]);
}

template <class T>
void binary_broadcast(BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, T* out) {
  for (int64_t i = 0; i < s.size; ++i) out[i] = body::broadcast_binary_at(op, s, a, b, i);
}

template <class T>
void sum_to(const Reduction& r, const T* x, double scale, T* out) {
  for (int64_t j = 0; j < r.out_size; ++j) out[j] = T(body::reduce_sum_at(r, x, j) * scale);
}

template <class T>
void binary_backward(BinaryOp op, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b, const T* y, T* da,
                     T* db) {
  for (int which = 0; which < 2; ++which) {
    T* out = which == 0 ? da : db;
    if (!out) continue;
    const Reduction r = reduction_of("binary", s, which);
    const int sign = body::binary_grad_sign(op, which);
    if (r.nred == 0) {  // not broadcast: one gradient entry per output entry
      for (int64_t i = 0; i < s.size; ++i)
        out[i] = sign > 0 ? g[i] : sign < 0 ? -g[i] : body::binary_grad_at(op, which, s, g, a, b, y, i);
    } else if (sign != 0) {
      sum_to(r, g, double(sign), out);
    } else {
      std::vector<T> local(size_t(s.size));
      for (int64_t i = 0; i < s.size; ++i) local[i] = body::binary_grad_at(op, which, s, g, a, b, y, i);
      sum_to(r, local.data(), 1.0, out);
    }
  }
}

template <class T>
void clamp(int64_t n, double lo, double hi, const T* x, T* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = body::clamp_value(x[i], lo, hi);
}

template <class T>
void clamp_backward(int64_t n, double lo, double hi, const T* x, const T* g, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = body::clamp_grad(x[i], lo, hi, g[i]);
}

template <class S, class D>
void cast(int64_t n, const S* x, D* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = D(x[i]);
}

// out [cols, rows] = xᵀ for x [rows, cols].
template <class T>
void transpose(int64_t rows, int64_t cols, const T* x, T* out) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[j * rows + i] = x[i * cols + j];
}

template <class T>
void dot(int64_t n, const T* x, const T* y, T* out) {
  *out = T(body::row_dot_partial(x, y, n, 0, 1));  // Σ x y in double
}

template <class T>
void norm(int64_t n, const T* x, T* out) {
  const double amax = body::max_abs_partial(x, n, 0, 1);
  *out = T(body::norm_finish(amax, body::norm_is_amax(amax) ? 0.0 : body::scaled_sumsq_partial(x, n, amax, 0, 1)));
}

template <class T>
void norm_backward(int64_t n, const T* x, const T* nrm, const T* g, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = body::norm_grad(x[i], *g, *nrm);
}

}  // namespace on_host
}  // namespace sad
