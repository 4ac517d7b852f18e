// Dense operations on the GPU (dense_ops.h, and gemm_cuda of dense.h): grid-
// stride element-wise kernels (broadcasting through strides), deterministic
// reductions in double (two-stage over everything, chunked columns, a warp per
// row, or a thread per output for other patterns of axes), a warp per row for
// the softmax family, a tiled transpose and GEMM. Bodies in dense_bodies.h.
#include <algorithm>
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
__global__ void column_final_kernel(int64_t cols, int chunks, const double* __restrict__ partial, double scale,
                                    T* __restrict__ out) {
  SAD_GRID_STRIDE(j, cols) {
    double acc = 0;
    for (int c = 0; c < chunks; ++c) acc += partial[int64_t(c) * cols + j];
    out[j] = T(acc * scale);
  }
}

// A warp per row (rows handed out grid-stride by warp).
#define SAD_WARP_ROWS(r, rows)                                                               \
  const int lane = threadIdx.x & 31;                                                         \
  const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);                              \
  for (int64_t r = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5); r < (rows); r += warps)

template <class T>
__global__ void row_sum_kernel(int64_t rows, int64_t cols, const T* __restrict__ x, double scale,
                               T* __restrict__ out) {
  SAD_WARP_ROWS(r, rows) {
    const double s = warp_sum(body::row_sum_partial(x + r * cols, cols, lane, 32));
    if (lane == 0) out[r] = T(s * scale);
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

template <class T>
__global__ void sgd_kernel(body::SgdStep s, int64_t n, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ buf) {
  SAD_GRID_STRIDE(i, n) body::sgd_element(s, p[i], g[i], buf ? buf + i : nullptr);
}

template <class T>
__global__ void broadcast_binary_kernel(BinaryOp op, Broadcast s, Operand<T> a, Operand<T> b, T* out) {
  SAD_GRID_STRIDE(i, s.size) out[i] = body::broadcast_binary_at(op, s, a, b, i);
}

template <class T>
__global__ void binary_grad_kernel(BinaryOp op, int which, Broadcast s, const T* __restrict__ g, Operand<T> a,
                                   Operand<T> b, const T* __restrict__ y, T* __restrict__ out) {
  SAD_GRID_STRIDE(i, s.size) out[i] = body::binary_grad_at(op, which, s, g, a, b, y, i);
}

// A thread per output entry, summing its terms in x's order (any pattern of axes).
template <class T>
__global__ void reduce_sum_kernel(Reduction r, const T* __restrict__ x, double scale, T* __restrict__ out) {
  SAD_GRID_STRIDE(j, r.out_size) out[j] = T(body::reduce_sum_at(r, x, j) * scale);
}

template <class T>
__global__ void clamp_kernel(int64_t n, double lo, double hi, const T* __restrict__ x, T* __restrict__ out) {
  SAD_GRID_STRIDE(i, n) out[i] = body::clamp_value(x[i], lo, hi);
}

template <class T>
__global__ void clamp_backward_kernel(int64_t n, double lo, double hi, const T* __restrict__ x,
                                      const T* __restrict__ g, T* __restrict__ dx) {
  SAD_GRID_STRIDE(i, n) dx[i] = body::clamp_grad(x[i], lo, hi, g[i]);
}

template <class S, class D>
__global__ void cast_kernel(int64_t n, const S* __restrict__ x, D* __restrict__ out) {
  SAD_GRID_STRIDE(i, n) out[i] = D(x[i]);
}

// 32 × 32 tiles through shared memory (padded against bank conflicts), so that
// both the reads of x and the writes of xᵀ are coalesced; tile rows grid-stride
// in y (gridDim.y ≤ 65535).
constexpr int kTransposeTile = 32, kTransposeRows = 8;

template <class T>
__global__ void transpose_kernel(int64_t rows, int64_t cols, const T* __restrict__ x, T* __restrict__ out) {
  __shared__ T tile[kTransposeTile][kTransposeTile + 1];
  const int64_t tiles_y = (rows + kTransposeTile - 1) / kTransposeTile;
  const int64_t j0 = int64_t(blockIdx.x) * kTransposeTile;
  for (int64_t by = blockIdx.y; by < tiles_y; by += gridDim.y) {
    const int64_t i0 = by * kTransposeTile;
    for (int r = threadIdx.y; r < kTransposeTile; r += kTransposeRows) {
      const int64_t i = i0 + r, j = j0 + threadIdx.x;
      if (i < rows && j < cols) tile[r][threadIdx.x] = x[i * cols + j];
    }
    __syncthreads();
    for (int r = threadIdx.y; r < kTransposeTile; r += kTransposeRows) {
      const int64_t j = j0 + r, i = i0 + threadIdx.x;  // out[j, i] = x[i, j]
      if (j < cols && i < rows) out[j * rows + i] = tile[threadIdx.x][r];
    }
    __syncthreads();
  }
}

// The largest |x| over the block (NaN wins); thread 0 gets it.
__device__ double block_max(double v) {
  __shared__ double partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_max(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? partial[threadIdx.x] : 0.0;
  if (warp == 0) v = warp_max(v);
  __syncthreads();
  return v;
}

// The norm in two deterministic passes: amax, then Σ (x / amax)², each per
// block and then over the blocks in a fixed order.
template <class T>
__global__ void partial_max_abs_kernel(int64_t n, const T* __restrict__ x, double* __restrict__ partial) {
  const int64_t lane = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, lanes = int64_t(gridDim.x) * blockDim.x;
  const double m = block_max(body::max_abs_partial(x, n, lane, lanes));
  if (threadIdx.x == 0) partial[blockIdx.x] = m;
}

__global__ void final_max_kernel(int n, const double* __restrict__ partial, double* __restrict__ amax) {
  double m = 0;
  for (int b = threadIdx.x; b < n; b += blockDim.x) m = body::max_nan(m, partial[b]);
  m = block_max(m);
  if (threadIdx.x == 0) *amax = m;
}

template <class T>
__global__ void partial_scaled_sumsq_kernel(int64_t n, const T* __restrict__ x, const double* __restrict__ amax,
                                            double* __restrict__ partial) {
  const int64_t lane = int64_t(blockIdx.x) * blockDim.x + threadIdx.x, lanes = int64_t(gridDim.x) * blockDim.x;
  const double a = *amax;
  const double s = block_sum(body::norm_is_amax(a) ? 0.0 : body::scaled_sumsq_partial(x, n, a, lane, lanes));
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <class T>
__global__ void final_norm_kernel(int n, const double* __restrict__ partial, const double* __restrict__ amax,
                                  T* __restrict__ out) {
  double acc = 0;
  for (int b = threadIdx.x; b < n; b += blockDim.x) acc += partial[b];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *out = T(body::norm_finish(*amax, acc));
}

template <class T>
__global__ void norm_backward_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ nrm,
                                     const T* __restrict__ g, T* __restrict__ dx) {
  const T gv = *g, nv = *nrm;
  SAD_GRID_STRIDE(i, n) dx[i] = body::norm_grad(x[i], gv, nv);
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

// out[j] = scale Σ_i x[i, j]: chunks of rows summed per column, then the chunks in order.
template <class T>
void column_sums(int64_t rows, int64_t cols, const T* x, double scale, T* out) {
  if (cols <= 0) return;
  if (rows <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, size_t(cols) * sizeof(T), 0));
    return;
  }
  const int64_t per = std::max<int64_t>(256, (rows + 65534) / 65535);  // gridDim.y ≤ 65535
  const int chunks = int((rows + per - 1) / per);
  Scratch<double> partial(int64_t(chunks) * cols);
  const dim3 grid(unsigned((cols + kBlock - 1) / kBlock), unsigned(chunks));
  column_partial_kernel<T><<<grid, kBlock>>>(rows, cols, per, x, partial.get());
  SAD_CUDA_LAUNCHED();
  column_final_kernel<T><<<blocks_for(cols), kBlock>>>(cols, chunks, partial.get(), scale, out);
  SAD_CUDA_LAUNCHED();
}

// out[i] = scale Σ_j x[i, j], a warp per row.
template <class T>
void row_sums(int64_t rows, int64_t cols, const T* x, double scale, T* out) {
  if (rows <= 0) return;
  row_sum_kernel<T><<<warp_row_blocks(rows), kBlock>>>(rows, cols, x, scale, out);
  SAD_CUDA_LAUNCHED();
}

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
void dot_cuda(int64_t n, const T* x, const T* y, T* out) {
  reduce<T>(n, x, y, 1.0, out);
}

template <class T>
void binary_broadcast_cuda(BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, T* out) {
  if (s.size <= 0) return;
  if (s.ndim == 1 && a.data && b.data && s.stride[0][0] == 1 && s.stride[1][0] == 1) {
    binary_cuda(op, s.size, a.data, b.data, out);  // same shapes
    return;
  }
  broadcast_binary_kernel<T><<<blocks_for(s.size), kBlock>>>(op, s, a, b, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void sum_to_cuda(const Reduction& r, const T* x, double scale, T* out) {
  if (r.out_size <= 0) return;
  if (r.count == 0) {  // a sum of nothing (times scale: NaN for the mean of nothing)
    fill_cuda(r.out_size, T(0.0 * scale), out);
    return;
  }
  if (r.nkeep == 0) {  // everything: x is r.count contiguous entries
    reduce<T>(r.count, x, nullptr, scale, out);
    return;
  }
  if (r.nkeep == 1 && r.nred == 1) {
    if (r.keep_stride[0] == 1 && r.red_stride[0] == r.keep_shape[0]) {  // [summed, kept]: column sums
      column_sums(r.red_shape[0], r.keep_shape[0], x, scale, out);
      return;
    }
    if (r.red_stride[0] == 1 && r.red_shape[0] >= 32) {  // [kept, summed], rows long enough for a warp each
      row_sums(r.keep_shape[0], r.red_shape[0], x, scale, out);
      return;
    }
  }
  reduce_sum_kernel<T><<<blocks_for(r.out_size), kBlock>>>(r, x, scale, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void binary_backward_cuda(BinaryOp op, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b, const T* y, T* da,
                          T* db) {
  for (int which = 0; which < 2; ++which) {
    T* out = which == 0 ? da : db;
    if (!out) continue;
    const Reduction r = reduction_of("binary", s, which);
    const int sign = body::binary_grad_sign(op, which);
    if (r.nred == 0) {  // not broadcast: one gradient entry per output entry
      if (s.size <= 0) continue;
      if (sign > 0) {
        SAD_CUDA_CHECK(cudaMemcpyAsync(out, g, size_t(s.size) * sizeof(T), cudaMemcpyDeviceToDevice, 0));
      } else if (sign < 0) {
        unary_cuda(UnaryOp::neg, s.size, g, out);
      } else {
        binary_grad_kernel<T><<<blocks_for(s.size), kBlock>>>(op, which, s, g, a, b, y, out);
        SAD_CUDA_LAUNCHED();
      }
    } else if (sign != 0) {
      sum_to_cuda(r, g, double(sign), out);
    } else {
      Scratch<T> local(s.size);
      if (s.size > 0) {
        binary_grad_kernel<T><<<blocks_for(s.size), kBlock>>>(op, which, s, g, a, b, y, local.get());
        SAD_CUDA_LAUNCHED();
      }
      sum_to_cuda(r, local.get(), 1.0, out);
    }
  }
}

template <class T>
void clamp_cuda(int64_t n, double lo, double hi, const T* x, T* out) {
  if (n <= 0) return;
  clamp_kernel<T><<<blocks_for(n), kBlock>>>(n, lo, hi, x, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void clamp_backward_cuda(int64_t n, double lo, double hi, const T* x, const T* g, T* dx) {
  if (n <= 0) return;
  clamp_backward_kernel<T><<<blocks_for(n), kBlock>>>(n, lo, hi, x, g, dx);
  SAD_CUDA_LAUNCHED();
}

template <class S, class D>
void cast_cuda(int64_t n, const S* x, D* out) {
  if (n <= 0) return;
  cast_kernel<S, D><<<blocks_for(n), kBlock>>>(n, x, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void transpose_cuda(int64_t rows, int64_t cols, const T* x, T* out) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t gx = (cols + kTransposeTile - 1) / kTransposeTile, gy = (rows + kTransposeTile - 1) / kTransposeTile;
  if (gx > kMaxGrid) fail("transpose: more than 2^31 · 32 columns");
  const dim3 grid(unsigned(gx), unsigned(std::min<int64_t>(gy, 65535)));
  transpose_kernel<T><<<grid, dim3(kTransposeTile, kTransposeRows)>>>(rows, cols, x, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void norm_cuda(int64_t n, const T* x, T* out) {
  if (n <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(T), 0));
    return;
  }
  const unsigned grid = blocks_for(n, kBlock, kReduceBlocks);
  Scratch<double> partial(grid), amax(1);
  partial_max_abs_kernel<T><<<grid, kBlock>>>(n, x, partial.get());
  SAD_CUDA_LAUNCHED();
  final_max_kernel<<<1, 1024>>>(int(grid), partial.get(), amax.get());
  SAD_CUDA_LAUNCHED();
  partial_scaled_sumsq_kernel<T><<<grid, kBlock>>>(n, x, amax.get(), partial.get());
  SAD_CUDA_LAUNCHED();
  final_norm_kernel<T><<<1, 1024>>>(int(grid), partial.get(), amax.get(), out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void norm_backward_cuda(int64_t n, const T* x, const T* nrm, const T* g, T* dx) {
  if (n <= 0) return;
  norm_backward_kernel<T><<<blocks_for(n), kBlock>>>(n, x, nrm, g, dx);
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
void sgd_step_cuda(const body::SgdStep& step, int64_t n, T* p, const T* g, T* buf) {
  if (n <= 0) return;
  sgd_kernel<T><<<blocks_for(n), kBlock>>>(step, n, p, g, buf);
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
  template void dot_cuda<T>(int64_t, const T*, const T*, T*);                                                    \
  template void log_softmax_cuda<T>(int64_t, int64_t, const T*, T*, bool);                                       \
  template void log_softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*);                          \
  template void softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*);                              \
  template void cross_entropy_cuda<T>(int64_t, int64_t, const T*, const int32_t*, const int32_t*, T*, T*);       \
  template void cross_entropy_backward_cuda<T>(int64_t, int64_t, int64_t, const T*, const int32_t*,              \
                                               const int32_t*, const T*, const T*, T*);                          \
  template void dropout_cuda<T>(int64_t, double, uint64_t, uint64_t, const T*, T*, uint8_t*);                    \
  template void dropout_backward_cuda<T>(int64_t, T, const uint8_t*, const T*, T*);                              \
  template void adam_step_cuda<T>(const body::AdamStep&, int64_t, T*, const T*, T*, T*, T*);                     \
  template void sgd_step_cuda<T>(const body::SgdStep&, int64_t, T*, const T*, T*);                               \
  template void gemm_cuda<T>(bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*);                     \
  template void binary_broadcast_cuda<T>(BinaryOp, const Broadcast&, Operand<T>, Operand<T>, T*);                \
  template void binary_backward_cuda<T>(BinaryOp, const Broadcast&, const T*, Operand<T>, Operand<T>, const T*,  \
                                        T*, T*);                                                                 \
  template void sum_to_cuda<T>(const Reduction&, const T*, double, T*);                                          \
  template void clamp_cuda<T>(int64_t, double, double, const T*, T*);                                            \
  template void clamp_backward_cuda<T>(int64_t, double, double, const T*, const T*, T*);                         \
  template void transpose_cuda<T>(int64_t, int64_t, const T*, T*);                                               \
  template void norm_cuda<T>(int64_t, const T*, T*);                                                             \
  template void norm_backward_cuda<T>(int64_t, const T*, const T*, const T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE
template void cast_cuda<float, double>(int64_t, const float*, double*);
template void cast_cuda<double, float>(int64_t, const double*, float*);

}  // namespace sad
