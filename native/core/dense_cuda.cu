// Dense operations on the GPU (dense_ops.h, and gemm_cuda of dense.h): grid-
// stride element-wise kernels, deterministic two-stage reductions in double, a
// warp per row for the softmax family, a tiled GEMM. Bodies in dense_bodies.h.
#include <cmath>

#include "cuda_common.cuh"
#include "dense.h"
#include "dense_bodies.h"
#include "dense_ops.h"

namespace sad {

namespace {

using namespace cuda_detail;

constexpr int kReduceBlocks = 1024;  // fixed, so a reduction's order depends on n only

#define SAD_GRID_STRIDE(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

template <class T>
__global__ void unary_kernel(UnaryOp op, int64_t n, const T* x, T* out) {
  SAD_GRID_STRIDE(i, n) out[i] = body::apply_unary(op, x[i]);
}

template <class T>
__global__ void unary_backward_kernel(UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx) {
  SAD_GRID_STRIDE(i, n) dx[i] = body::unary_grad(op, x ? x[i] : T(0), y ? y[i] : T(0), g[i]);
}

template <class T>
__global__ void binary_kernel(BinaryOp op, int64_t n, const T* a, const T* b, T* out) {
  SAD_GRID_STRIDE(i, n) out[i] = body::apply_binary(op, a[i], b[i]);
}

template <class T>
__global__ void axpby_kernel(int64_t n, T alpha, const T* __restrict__ x, T beta, T* __restrict__ y) {
  SAD_GRID_STRIDE(i, n) y[i] = alpha * x[i] + beta * y[i];
}

template <class T>
__global__ void fill_kernel(int64_t n, T value, T* __restrict__ out) {
  SAD_GRID_STRIDE(i, n) out[i] = value;
}

// Stage 1: per-block sums of x[i] (y null) or x[i] y[i], in double.
template <class T>
__global__ void partial_sum_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ y,
                                   double* __restrict__ partial) {
  double acc = 0;
  SAD_GRID_STRIDE(i, n) acc += y ? double(x[i]) * double(y[i]) : double(x[i]);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// Stage 2: one block sums the partials in a fixed order; out = scale · total.
template <class T>
__global__ void final_sum_kernel(int n, const double* __restrict__ partial, double scale, T* __restrict__ out) {
  double acc = 0;
  for (int b = threadIdx.x; b < n; b += blockDim.x) acc += partial[b];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *out = T(acc * scale);
}

template <class T>
void reduce(int64_t n, const T* x, const T* y, double scale, T* out) {
  if (n <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(T), 0));
    return;
  }
  const unsigned grid = blocks_for(n, kBlock, kReduceBlocks);
  Scratch<double> partial(grid);
  partial_sum_kernel<T><<<grid, kBlock>>>(n, x, y, partial.get());
  SAD_CUDA_LAUNCHED();
  final_sum_kernel<T><<<1, 1024>>>(int(grid), partial.get(), scale, out);
  SAD_CUDA_LAUNCHED();
}

// Column sums, stage 1: thread (chunk, j) sums rows [chunk·per, (chunk+1)·per) of column j.
template <class T>
__global__ void column_partial_kernel(int64_t rows, int64_t cols, int64_t per, const T* __restrict__ x,
                                      double* __restrict__ partial) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= cols) return;
  const int64_t r0 = int64_t(blockIdx.y) * per, r1 = r0 + per < rows ? r0 + per : rows;
  double acc = 0;
  for (int64_t r = r0; r < r1; ++r) acc += double(x[r * cols + j]);
  partial[int64_t(blockIdx.y) * cols + j] = acc;
}

template <class T>
__global__ void column_final_kernel(int64_t cols, int chunks, const double* __restrict__ partial, T* __restrict__ out) {
  SAD_GRID_STRIDE(j, cols) {
    double acc = 0;
    for (int c = 0; c < chunks; ++c) acc += partial[int64_t(c) * cols + j];
    out[j] = T(acc);
  }
}

// A warp per row (rows handed out grid-stride by warp).
#define SAD_WARP_ROWS(r, rows)                                                               \
  const int lane = threadIdx.x & 31;                                                         \
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);                              \
  for (int64_t r = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); r < (rows); r += warps)

template <class T>
__global__ void row_sum_kernel(int64_t rows, int64_t cols, const T* __restrict__ x, T* __restrict__ out) {
  SAD_WARP_ROWS(r, rows) {
    const double s = warp_sum(body::row_sum_partial(x + r * cols, cols, lane, 32));
    if (lane == 0) out[r] = T(s);
  }
}

template <class T>
__device__ double row_lse(const T* xr, int64_t cols, int lane) {
  const T mx = warp_max(body::row_max_partial(xr, cols, lane, 32));
  const double se = warp_sum(body::row_sumexp_partial(xr, cols, mx, lane, 32));
  return body::log_sum_exp(mx, se);
}

template <class T>
__global__ void log_softmax_kernel(int64_t rows, int64_t cols, const T* __restrict__ x, T* __restrict__ y,
                                   bool exp_out) {
  SAD_WARP_ROWS(r, rows) {
    const T* xr = x + r * cols;
    const double lse = row_lse(xr, cols, lane);
    for (int64_t j = lane; j < cols; j += 32) {
      const double v = double(xr[j]) - lse;
      y[r * cols + j] = T(exp_out ? std::exp(v) : v);
    }
  }
}

template <class T>
__global__ void log_softmax_backward_kernel(int64_t rows, int64_t cols, const T* __restrict__ y,
                                            const T* __restrict__ g, T* __restrict__ dx) {
  SAD_WARP_ROWS(r, rows) {
    const double s = warp_sum(body::row_sum_partial(g + r * cols, cols, lane, 32));
    for (int64_t j = lane; j < cols; j += 32)
      dx[r * cols + j] = T(double(g[r * cols + j]) - std::exp(double(y[r * cols + j])) * s);
  }
}

template <class T>
__global__ void softmax_backward_kernel(int64_t rows, int64_t cols, const T* __restrict__ y, const T* __restrict__ g,
                                        T* __restrict__ dx) {
  SAD_WARP_ROWS(r, rows) {
    const double s = warp_sum(body::row_dot_partial(g + r * cols, y + r * cols, cols, lane, 32));
    for (int64_t j = lane; j < cols; j += 32)
      dx[r * cols + j] = T(double(y[r * cols + j]) * (double(g[r * cols + j]) - s));
  }
}

// term[k] = lse − x[sel[k], tgt[k]] (double), lse kept for the VJP.
template <class T>
__global__ void cross_entropy_kernel(int64_t C, int64_t R, const T* __restrict__ x, const int32_t* __restrict__ sel,
                                     const int32_t* __restrict__ tgt, T* __restrict__ lse, double* __restrict__ term) {
  SAD_WARP_ROWS(k, R) {
    const T* xr = x + int64_t(sel[k]) * C;
    const double l = row_lse(xr, C, lane);
    if (lane == 0) {
      lse[k] = T(l);
      term[k] = l - double(xr[tgt[k]]);
    }
  }
}

template <class T>
__global__ void cross_entropy_backward_kernel(int64_t C, int64_t R, const T* __restrict__ x,
                                              const int32_t* __restrict__ sel, const int32_t* __restrict__ tgt,
                                              const T* __restrict__ lse, const T* __restrict__ g, T* dx) {
  const double c = double(*g) / double(R);
  SAD_WARP_ROWS(k, R) {
    const int64_t base = int64_t(sel[k]) * C;
    const double l = double(lse[k]);
    // Rows may repeat in sel: add, do not overwrite.
    for (int64_t j = lane; j < C; j += 32) atomicAdd(&dx[base + j], T(c * std::exp(double(x[base + j]) - l)));
    if (lane == 0) atomicAdd(&dx[base + tgt[k]], T(-c));
  }
}

template <class T>
__global__ void dropout_kernel(int64_t n, double p, T scale, uint64_t seed, uint64_t offset, const T* __restrict__ x,
                               T* __restrict__ out, uint8_t* __restrict__ keep) {
  SAD_GRID_STRIDE(i, n) {
    const bool k = body::dropout_keep(seed, offset, uint64_t(i), p);
    keep[i] = k;
    out[i] = k ? x[i] * scale : T(0);
  }
}

template <class T>
__global__ void dropout_backward_kernel(int64_t n, T scale, const uint8_t* __restrict__ keep, const T* __restrict__ g,
                                        T* __restrict__ dx) {
  SAD_GRID_STRIDE(i, n) dx[i] = keep[i] ? g[i] * scale : T(0);
}

template <class T>
__global__ void adam_kernel(body::AdamStep s, double step_size, double bc2_sqrt, int64_t n, T* __restrict__ p,
                            const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v, T* __restrict__ vmax) {
  SAD_GRID_STRIDE(i, n) body::adam_element(s, step_size, bc2_sqrt, p[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
}

// GEMM: 64 × 64 tiles of C, 16-deep slices of op(A) and op(B) staged in shared
// memory, 256 threads each computing a 4 × 4 block of results (rows ty + 16a,
// columns tx + 16b: conflict-free shared reads).
constexpr int kTile = 64, kDepth = 16;

template <class T>
__global__ void __launch_bounds__(256)
    gemm_kernel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* __restrict__ A, const T* __restrict__ B,
                T* __restrict__ C) {
  __shared__ T As[kDepth][kTile + 1];
  __shared__ T Bs[kDepth][kTile + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int64_t i0 = int64_t(blockIdx.y) * kTile, j0 = int64_t(blockIdx.x) * kTile;
  T acc[4][4] = {};
  for (int64_t k0 = 0; k0 < k; k0 += kDepth) {
    for (int e = tid; e < kTile * kDepth; e += 256) {
      // op(A)[i0 + r, k0 + d]: consecutive threads on consecutive addresses of the stored layout
      const int r = ta ? e % kTile : e / kDepth, d = ta ? e / kTile : e % kDepth;
      const int64_t gi = i0 + r, gk = k0 + d;
      As[d][r] = (gi < m && gk < k) ? (ta ? A[gk * m + gi] : A[gi * k + gk]) : T(0);
      // op(B)[k0 + d, j0 + c]
      const int c = tb ? e / kDepth : e % kTile, d2 = tb ? e % kDepth : e / kTile;
      const int64_t gj = j0 + c, gk2 = k0 + d2;
      Bs[d2][c] = (gj < n && gk2 < k) ? (tb ? B[gj * k + gk2] : B[gk2 * n + gj]) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int d = 0; d < kDepth; ++d) {
      T a[4], b[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        a[q] = As[d][ty + 16 * q];
        b[q] = Bs[d][tx + 16 * q];
      }
#pragma unroll
      for (int q = 0; q < 4; ++q)
#pragma unroll
        for (int s = 0; s < 4; ++s) acc[q][s] += a[q] * b[s];
    }
    __syncthreads();
  }
#pragma unroll
  for (int q = 0; q < 4; ++q)
#pragma unroll
    for (int s = 0; s < 4; ++s) {
      const int64_t i = i0 + ty + 16 * q, j = j0 + tx + 16 * s;
      if (i < m && j < n) C[i * n + j] = acc[q][s];
    }
}

unsigned warp_row_blocks(int64_t rows) { return blocks_for(rows * 32, kBlock, int64_t(1) << 20); }

}  // namespace

template <class T>
void unary_cuda(UnaryOp op, int64_t n, const T* x, T* out) {
  if (n <= 0) return;
  unary_kernel<T><<<blocks_for(n), kBlock>>>(op, n, x, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void unary_backward_cuda(UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx) {
  if (n <= 0) return;
  unary_backward_kernel<T><<<blocks_for(n), kBlock>>>(op, n, x, y, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void binary_cuda(BinaryOp op, int64_t n, const T* a, const T* b, T* out) {
  if (n <= 0) return;
  binary_kernel<T><<<blocks_for(n), kBlock>>>(op, n, a, b, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void axpby_cuda(int64_t n, T alpha, const T* x, T beta, T* y) {
  if (n <= 0) return;
  axpby_kernel<T><<<blocks_for(n), kBlock>>>(n, alpha, x, beta, y);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void fill_cuda(int64_t n, T value, T* out) {
  if (n <= 0) return;
  fill_kernel<T><<<blocks_for(n), kBlock>>>(n, value, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void sum_cuda(int64_t n, const T* x, T* out) {
  reduce<T>(n, x, nullptr, 1.0, out);
}

template <class T>
void dot_cuda(int64_t n, const T* x, const T* y, T* out) {
  reduce<T>(n, x, y, 1.0, out);
}

template <class T>
void sum_rows_cuda(int64_t rows, int64_t cols, const T* x, T* out) {
  if (cols <= 0) return;
  if (rows <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, size_t(cols) * sizeof(T), 0));
    return;
  }
  const int64_t per = 256;
  const int chunks = int((rows + per - 1) / per);
  if (chunks > 65535) fail("sum_rows: more than 65535 · 256 rows");
  Scratch<double> partial(int64_t(chunks) * cols);
  const dim3 grid(unsigned((cols + kBlock - 1) / kBlock), unsigned(chunks));
  column_partial_kernel<T><<<grid, kBlock>>>(rows, cols, per, x, partial.get());
  SAD_CUDA_LAUNCHED();
  column_final_kernel<T><<<blocks_for(cols), kBlock>>>(cols, chunks, partial.get(), out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void sum_cols_cuda(int64_t rows, int64_t cols, const T* x, T* out) {
  if (rows <= 0) return;
  row_sum_kernel<T><<<warp_row_blocks(rows), kBlock>>>(rows, cols, x, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void log_softmax_cuda(int64_t rows, int64_t cols, const T* x, T* y, bool exp_out) {
  if (rows <= 0 || cols <= 0) return;
  log_softmax_kernel<T><<<warp_row_blocks(rows), kBlock>>>(rows, cols, x, y, exp_out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void log_softmax_backward_cuda(int64_t rows, int64_t cols, const T* y, const T* g, T* dx) {
  if (rows <= 0 || cols <= 0) return;
  log_softmax_backward_kernel<T><<<warp_row_blocks(rows), kBlock>>>(rows, cols, y, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void softmax_backward_cuda(int64_t rows, int64_t cols, const T* y, const T* g, T* dx) {
  if (rows <= 0 || cols <= 0) return;
  softmax_backward_kernel<T><<<warp_row_blocks(rows), kBlock>>>(rows, cols, y, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void cross_entropy_cuda(int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt, T* lse, T* loss) {
  if (R <= 0) fail("crossEntropy: no rows selected");
  Scratch<double> term(R);
  cross_entropy_kernel<T><<<warp_row_blocks(R), kBlock>>>(C, R, x, sel, tgt, lse, term.get());
  SAD_CUDA_LAUNCHED();
  const unsigned grid = blocks_for(R, kBlock, kReduceBlocks);
  Scratch<double> partial(grid);
  partial_sum_kernel<double><<<grid, kBlock>>>(R, term.get(), nullptr, partial.get());
  SAD_CUDA_LAUNCHED();
  final_sum_kernel<T><<<1, 1024>>>(int(grid), partial.get(), 1.0 / double(R), loss);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void cross_entropy_backward_cuda(int64_t N, int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt,
                                 const T* lse, const T* g, T* dx) {
  if (N * C > 0) SAD_CUDA_CHECK(cudaMemsetAsync(dx, 0, size_t(N * C) * sizeof(T), 0));
  if (R <= 0) return;
  cross_entropy_backward_kernel<T><<<warp_row_blocks(R), kBlock>>>(C, R, x, sel, tgt, lse, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void dropout_cuda(int64_t n, double p, uint64_t seed, uint64_t offset, const T* x, T* out, uint8_t* keep) {
  if (n <= 0) return;
  const T scale = p >= 1 ? T(0) : T(1.0 / (1.0 - p));
  dropout_kernel<T><<<blocks_for(n), kBlock>>>(n, p, scale, seed, offset, x, out, keep);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void dropout_backward_cuda(int64_t n, T scale, const uint8_t* keep, const T* g, T* dx) {
  if (n <= 0) return;
  dropout_backward_kernel<T><<<blocks_for(n), kBlock>>>(n, scale, keep, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void adam_step_cuda(const body::AdamStep& step, int64_t n, T* p, const T* g, T* m, T* v, T* vmax) {
  if (n <= 0) return;
  const double step_size = step.lr / (1 - std::pow(step.beta1, double(step.step)));
  const double bc2_sqrt = std::sqrt(1 - std::pow(step.beta2, double(step.step)));
  adam_kernel<T><<<blocks_for(n), kBlock>>>(step, step_size, bc2_sqrt, n, p, g, m, v, vmax);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void gemm_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* A, const T* B, T* C) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(C, 0, size_t(m * n) * sizeof(T), 0));
    return;
  }
  const int64_t gx = (n + kTile - 1) / kTile, gy = (m + kTile - 1) / kTile;
  if (gy > 65535) fail("gemm: more than 65535 · 64 rows");
  gemm_kernel<T><<<dim3(unsigned(gx), unsigned(gy)), 256>>>(trans_a, trans_b, m, n, k, A, B, C);
  SAD_CUDA_LAUNCHED();
}

#define SAD_INSTANTIATE(T)                                                                                       \
  template void unary_cuda<T>(UnaryOp, int64_t, const T*, T*);                                                   \
  template void unary_backward_cuda<T>(UnaryOp, int64_t, const T*, const T*, const T*, T*);                      \
  template void binary_cuda<T>(BinaryOp, int64_t, const T*, const T*, T*);                                       \
  template void axpby_cuda<T>(int64_t, T, const T*, T, T*);                                                      \
  template void fill_cuda<T>(int64_t, T, T*);                                                                    \
  template void sum_cuda<T>(int64_t, const T*, T*);                                                              \
  template void dot_cuda<T>(int64_t, const T*, const T*, T*);                                                    \
  template void sum_rows_cuda<T>(int64_t, int64_t, const T*, T*);                                                \
  template void sum_cols_cuda<T>(int64_t, int64_t, const T*, T*);                                                \
  template void log_softmax_cuda<T>(int64_t, int64_t, const T*, T*, bool);                                       \
  template void log_softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*);                          \
  template void softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*);                              \
  template void cross_entropy_cuda<T>(int64_t, int64_t, const T*, const int32_t*, const int32_t*, T*, T*);       \
  template void cross_entropy_backward_cuda<T>(int64_t, int64_t, int64_t, const T*, const int32_t*,              \
                                               const int32_t*, const T*, const T*, T*);                          \
  template void dropout_cuda<T>(int64_t, double, uint64_t, uint64_t, const T*, T*, uint8_t*);                    \
  template void dropout_backward_cuda<T>(int64_t, T, const uint8_t*, const T*, T*);                              \
  template void adam_step_cuda<T>(const body::AdamStep&, int64_t, T*, const T*, T*, T*, T*);                     \
  template void gemm_cuda<T>(bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
