// Dropout and rand() on the CPU drawing from the engine's own generator stream
// (native/lib/random.ts: xoshiro128**), so that a seeded CPU run keeps the masks
// and uniform tensors it had when the draws were JavaScript loops.
// The device draws counter-based Philox masks instead (dense_bodies.h).
#pragma once

#include <cstdint>

namespace sad {

// Draws n numbers from state (advanced in place, as Generator.nextUint32 would):
// entry i is kept when its draw is at or above threshold (p · 2^32);
// out[i] = x[i] · scale in double, rounded once on store, where kept, else 0;
// keep[i] = 1 or 0.
template <class T>
void dropout_stream_cpu(uint32_t state[4], int64_t n, double threshold, double scale, const T* x, T* out,
                        uint8_t* keep);

// Fills out[0 .. n) as Generator.uniform does, entry by entry: two draws give a
// double u in [0, 1) with 53 random bits (27 from the first, 26 from the
// second); out[i] = low + (high − low) · u in double, rounded once on store.
template <class T>
void uniform_stream_cpu(uint32_t state[4], int64_t n, double low, double high, T* out);

// dx[i] = g[i] · scale (in double, rounded once) where keep[i], else 0.
template <class T>
void dropout_keep_backward_cpu(int64_t n, double scale, const uint8_t* keep, const T* g, T* dx);

}  // namespace sad
