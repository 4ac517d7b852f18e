// See host_random.h. The draws are one sequential stream; the loop is a single pass.
#include "host_random.h"

namespace sad {
namespace {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// Generator.nextUint32 (random.ts): xoshiro128**.
inline uint32_t next_uint32(uint32_t s[4]) {
  const uint32_t result = rotl(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

}  // namespace

template <class T>
void dropout_stream_cpu(uint32_t state[4], int64_t n, double threshold, double scale, const T* x, T* out,
                        uint8_t* keep) {
  uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  for (int64_t i = 0; i < n; ++i) {
    const bool k = static_cast<double>(next_uint32(s)) >= threshold;
    keep[i] = k ? 1 : 0;
    out[i] = k ? static_cast<T>(static_cast<double>(x[i]) * scale) : T(0);
  }
  for (int j = 0; j < 4; ++j) state[j] = s[j];
}

template <class T>
void uniform_stream_cpu(uint32_t state[4], int64_t n, double low, double high, T* out) {
  uint32_t s[4] = {state[0], state[1], state[2], state[3]};
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t hi = next_uint32(s) >> 5;  // 27 bits
    const uint32_t lo = next_uint32(s) >> 6;  // 26 bits
    const double u = (static_cast<double>(hi) * 67108864.0 + static_cast<double>(lo)) / 9007199254740992.0;
    out[i] = static_cast<T>(low + (high - low) * u);
  }
  for (int j = 0; j < 4; ++j) state[j] = s[j];
}

template <class T>
void dropout_keep_backward_cpu(int64_t n, double scale, const uint8_t* keep, const T* g, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = keep[i] ? static_cast<T>(static_cast<double>(g[i]) * scale) : T(0);
}

template void dropout_stream_cpu<float>(uint32_t[4], int64_t, double, double, const float*, float*, uint8_t*);
template void dropout_stream_cpu<double>(uint32_t[4], int64_t, double, double, const double*, double*, uint8_t*);
template void uniform_stream_cpu<float>(uint32_t[4], int64_t, double, double, float*);
template void uniform_stream_cpu<double>(uint32_t[4], int64_t, double, double, double*);
template void dropout_keep_backward_cpu<float>(int64_t, double, const uint8_t*, const float*, float*);
template void dropout_keep_backward_cpu<double>(int64_t, double, const uint8_t*, const double*, double*);

}  // namespace sad
