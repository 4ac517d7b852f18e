// The bodies of the dense CUDA kernels (dense_cuda.cu): element-wise maps,
// row reductions for softmax / log-softmax / cross-entropy, a counter-based RNG
// for dropout, and the Adam step, as host/device functions (see hd.h) that the
// C++ tests also run on the CPU.
//
// Sums of many terms accumulate in double whatever T is (never in float for
// double, and float inputs gain accuracy for free on the GPU's FP64 units).
#pragma once

#include <cmath>
#include <cstdint>

#include "hd.h"

namespace sad {

enum class UnaryOp : int { neg, exp, log, tanh, sigmoid, relu, square, sqrt, abs };
enum class BinaryOp : int { add, sub, mul, div, maximum, minimum };

namespace body {

template <class T>
SAD_HD T apply_unary(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return std::exp(x);
    case UnaryOp::log: return std::log(x);
    case UnaryOp::tanh: return std::tanh(x);
    case UnaryOp::sigmoid: return x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
    case UnaryOp::relu: return x > T(0) ? x : (x != x ? x : T(0));
    case UnaryOp::square: return x * x;
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::abs: return std::fabs(x);
  }
  return x;
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
    case UnaryOp::abs: return x > T(0) ? g : (x < T(0) ? -g : T(0));
  }
  return g;
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
  }
  return a;
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
  for (int64_t j = lane; j < cols; j += lanes) s += std::exp(double(x[j]) - double(mx));
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

}  // namespace body
}  // namespace sad
