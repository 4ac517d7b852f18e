// exp and tanh that the host compiler can vectorize (no libm call, no branch),
// for the dense kernels' bodies (dense_bodies.h). On the GPU they are CUDA's
// own exp / tanh; on the host a call to glibc's scalar exp (≈5 ns) made exp and
// tanh over 2^19 entries 5–10× slower than NumPy's SIMD loops, so the host gets
// these instead (measured in experiments/bench/bench-dense.ts).
//
// Both reduce x = k ln2 + r (Cody–Waite: ln2 split in two so k·ln2_hi is exact),
// |r| ≤ ln2/2, and evaluate eʳ − 1 = r + r² g(r) with g a polynomial fitted to
// (eʳ − 1 − r)/r² (Chebyshev interpolation, experiments/bench/vmath_fit.py), in
// Horner steps by fma (see horner). Float is computed in float (16 lanes per
// AVX-512 vector instead of 8, and a float division). The fitted polynomials
// (degree 12 in all for double, 7 for float exp, 6 for float tanh) and the fma
// replaced Taylor series of degree 14 and 7 evaluated by multiply and add:
// 2^19 double exps went from ≈600 to ≈350 µs on one core here (NumPy ≈400),
// float tanhs from ≈157 to ≈110 µs (NumPy ≈98). Measured against long double
// (dense_cpu_tests.cc checks it, over every 1/4·10⁶ of [−104, 89] and the
// floats near 0): see the bounds there.
//   exp x   = 2ᵏ (1 + (eʳ − 1))
//   tanh x  = sign(x) · m / (m + 2),  m = e^{2|x|} − 1 = 2ᵏ (eʳ − 1) + (2ᵏ − 1)
// (no cancellation: for k ≥ 1 the first term is at least 0.7·2ᵏ − 1 > 0.4).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "hd.h"

namespace sad {
namespace vm {

#if !defined(__CUDA_ARCH__)
namespace detail {

inline int64_t bits(double x) {
  int64_t b;
  std::memcpy(&b, &x, 8);
  return b;
}

inline double from_bits(int64_t b) {
  double x;
  std::memcpy(&x, &b, 8);
  return x;
}

// c[0] + c[1] r + … + c[N−1] r^(N−1) by Horner steps in fma: one rounding a
// step, so the AVX2 / AVX-512 clones (vfmadd) and the default one (libm's fma)
// agree bit for bit under -ffp-contract=off.
template <class T, int N>
inline T horner(const T (&c)[N], T r) {
  T p = c[N - 1];
#if !defined(__CUDACC__)
#pragma GCC unroll 16
#endif
  for (int i = N - 2; i >= 0; --i) p = std::fma(p, r, c[i]);  // unrolled, or the caller's loop does not vectorize
  return p;
}

// eʳ − 1 for |r| ≤ 0.35 to double precision: r + r² g(r), g a degree-10 fit to
// (eʳ − 1 − r)/r² (Chebyshev interpolation on [−0.3466, 0.3466], in
// experiments/bench/vmath_fit.py: |error| ≤ 1.4e-18, ≤ 1.7e-19 after the factor
// r²; the Taylor series needed degree 14 for the same).
inline double expm1_reduced(double r) {
  constexpr double c[] = {0x1p-1,                0x1.5555555555557p-3,  0x1.5555555555556p-5,  0x1.11111111100dcp-7,
                          0x1.6c16c16c162d5p-10, 0x1.a01a01abe78f9p-13, 0x1.a01a01a6d84aap-16, 0x1.71de0232f4775p-19,
                          0x1.27e4db653346ep-22, 0x1.af4de6a36d4fcp-26, 0x1.1f7301a8efa5cp-29};
  return std::fma(r * r, horner(c, r), r);
}

// k = round(x / ln2) as a double and as an integer, and r = x − k ln2; |x| ≤ 2^50.
inline void reduce(double x, double& r, int64_t& k) {
  constexpr double shifter = 0x1.8p52;  // adding it rounds to an integer held in the low mantissa bits
  const double t = x * 1.4426950408889634 + shifter;
  const double kd = t - shifter;
  k = bits(t) - bits(shifter);
  r = (x - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33;
}

// 2ᵏ for −1022 ≤ k ≤ 1023.
inline double pow2(int64_t k) { return from_bits((k + 1023) << 52); }

// tanh |x| for 0 ≤ a ≤ 20 (tanh 20 rounds to 1 in double), per the header.
inline double tanh_abs(double a) {
  double r;
  int64_t k;
  reduce(2 * a, r, k);
  const double s = pow2(k);
  const double m = s * expm1_reduced(r) + (s - 1.0);
  return m / (m + 2.0);
}

// The same in float, for float exp and tanh.
inline int32_t bits(float x) {
  int32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

inline float from_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// eʳ − 1 for |r| ≤ 0.35 in float, as r + r² g(r) with g fitted as above:
// degree 5 for exp (|error of g| ≤ 1.4e-9, 0.003 ulp after r²), degree 4 for
// tanh (≤ 6.5e-8, 0.13 ulp after r²: tanh's m / (m + 2) is within 2.5 ulp with
// it, and one fma less is 5% of tanh's time).
inline float expm1_reduced(float r) {
  constexpr float c[] = {0x1p-1f, 0x1.555556p-3f, 0x1.5554eap-5f, 0x1.1110e0p-7f, 0x1.6d4320p-10f, 0x1.a124eep-13f};
  return std::fma(r * r, horner(c, r), r);
}

inline float expm1_reduced_tanh(float r) {
  constexpr float c[] = {0x1p-1f, 0x1.5554dcp-3f, 0x1.55551ap-5f, 0x1.120b6cp-7f, 0x1.6d1106p-10f};
  return std::fma(r * r, horner(c, r), r);
}

// k = round(x / ln2) and r = x − k ln2 for |x| ≤ 2^21: ln2_hi has 9 bits, so
// k·ln2_hi is exact for |k| < 2^15 and so is x − k·ln2_hi (Sterbenz).
inline void reduce(float x, float& r, int32_t& k) {
  constexpr float shifter = 0x1.8p23f;
  const float t = std::fma(x, 1.44269504f, shifter);
  const float kd = t - shifter;
  k = int32_t(uint32_t(bits(t)) - uint32_t(bits(shifter)));  // unsigned: a NaN's bits must not overflow
  r = std::fma(kd, 2.12194440e-4f, x - kd * 0x1.63p-1f);  // fma: one rounding less, one instruction less
}

// 2ᵏ for −126 ≤ k ≤ 127.
inline float pow2(int32_t k) { return from_bits(uint32_t(k + 127) << 23); }

}  // namespace detail
#endif

// eˣ (NaN stays NaN, +∞ → ∞, −∞ → 0).
SAD_HD double exp(double x) {
#if defined(__CUDA_ARCH__)
  return ::exp(x);
#else
  // Beyond [−745.2, 709.8] the result is 0 or ∞ anyway; the clamp keeps k in range.
  const double xc = x > 709.8 ? 709.8 : (x < -745.2 ? -745.2 : x);
  double r;
  int64_t k;
  detail::reduce(xc, r, k);
  // 2ᵏ as 2^k1 · 2^k2 (both normal), so a subnormal result is rounded once.
  const int64_t k1 = ((k + 2048) >> 1) - 1024, k2 = k - k1;
  return (1.0 + detail::expm1_reduced(r)) * detail::pow2(k1) * detail::pow2(k2);
#endif
}

SAD_HD float exp(float x) {
#if defined(__CUDA_ARCH__)
  return ::expf(x);
#else
  // exp(89) overflows float and exp(−104) underflows it: −150 ≤ k ≤ 128.
  const float xc = x > 89.0f ? 89.0f : (x < -104.0f ? -104.0f : x);
  float r;
  int32_t k;
  detail::reduce(xc, r, k);
  // 2ᵏ as 2^k1 · 2^k2 (both normal), so a subnormal result is rounded once.
  const int32_t k1 = k >> 1, k2 = k - k1;
  return (1.0f + detail::expm1_reduced(r)) * detail::pow2(k1) * detail::pow2(k2);
#endif
}

SAD_HD double tanh(double x) {
#if defined(__CUDA_ARCH__)
  return ::tanh(x);
#else
  const double a = std::fabs(x), t = detail::tanh_abs(a > 20.0 ? 20.0 : a);
  return std::copysign(t, x);  // NaN stays NaN
#endif
}

SAD_HD float tanh(float x) {
#if defined(__CUDA_ARCH__)
  return ::tanhf(x);
#else
  // tanh 10 rounds to 1 in float; k ≤ 29 below.
  const float a = std::fabs(x), ac = a > 10.0f ? 10.0f : a;
  float r;
  int32_t k;
  detail::reduce(2 * ac, r, k);
  const float s = detail::pow2(k);
  const float m = std::fma(s, detail::expm1_reduced_tanh(r), s - 1.0f);
  return std::copysign(m / (m + 2.0f), x);  // NaN stays NaN, −0 stays −0
#endif
}

}  // namespace vm
}  // namespace sad
