// SpMV and the masked products on the GPU (spmv.h, sptrsv.h's masked_outer_sum).
// Bodies in sparse_bodies.h; here only the launch shapes and the reductions.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spmv.h"
#include "sptrsv.h"

namespace sad {

namespace {

using namespace cuda_detail;

// Above this many columns the masked dots go a group per stored entry (the
// binary search for its row costs less than the long dot, and the groups of
// one row share its u row in the cache); up to it, a group per row. On an H100,
// 1-D Poisson, N = 16384: per row 0.012 / 0.039 / 0.27 ms at k = 64 / 256 / 1024,
// per entry 0.027 / 0.043 / 0.105 ms.
constexpr index_t kWideDot = 256;

// A group of L lanes per row (L = 1: the scalar kernel, no shuffles).
template <class T, int L>
__global__ void spmv_kernel(index_t rows, const index_t* __restrict__ ip, const index_t* __restrict__ ix,
                            const index_t* __restrict__ perm, const T* __restrict__ av, const T* __restrict__ x,
                            T* __restrict__ y) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / L;
  const int lane = int(gid % L);
  T acc = 0;
  if (row < rows) acc = body::spmv_row_partial(ip, ix, perm, av, x, index_t(row), lane, L);
  if constexpr (L > 1) acc = group_sum(acc, L);
  if (row < rows && lane == 0) y[row] = acc;
}

template <class T>
void launch_spmv(index_t rows, int64_t nnz, const index_t* ip, const index_t* ix, const index_t* perm, const T* av,
                 const T* x, T* y, int lanes) {
  if (rows == 0) return;
  if (lanes <= 0) lanes = body::spmv_lanes(rows, nnz);
  const unsigned grid = blocks_for(int64_t(rows) * lanes, kBlock, kMaxGrid);
  switch (lanes) {
    case 1: spmv_kernel<T, 1><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    case 2: spmv_kernel<T, 2><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    case 4: spmv_kernel<T, 4><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    case 8: spmv_kernel<T, 8><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    case 16: spmv_kernel<T, 16><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    case 32: spmv_kernel<T, 32><<<grid, kBlock>>>(rows, ip, ix, perm, av, x, y); break;
    default: fail("spmv: lanes must be 1, 2, 4, 8, 16 or 32, got " + std::to_string(lanes));
  }
  SAD_CUDA_LAUNCHED();
}

template <class T>
__global__ void backward_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                const index_t* __restrict__ ix, const T* __restrict__ av, const T* __restrict__ v,
                                const T* __restrict__ x, T* dA, T* dx) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row < rows) body::spmv_backward_row(ip, ix, av, v, x, index_t(row), int(gid % lanes), lanes, dA, dx);
}

// The VJPs through the transpose structure for short columns (both for at most
// 4 entries a column on average, dx alone for fewer than 32; NeedDA: dA too): a
// warp per 32 consecutive columns j0 … j0 + 31, whose entries of Aᵀ are one
// contiguous range. The warp walks that range in chunks of kChunk with
// consecutive lanes on consecutive entries q = (j, i), so the reads of tix, perm,
// A and v and the writes of dA are coalesced; the products A[p] v[i] go to
// shared memory, and lane j0 + l then sums its own column's. (A thread per
// column, with stride-3 accesses on the 1-D Poisson matrix, took 2.15× the
// forward on an H100 at 2^24 rows; this takes 1.87×.)
constexpr int kChunk = 128;
constexpr int kStreamWarps = kBlock / 32;

template <class T, bool NeedDA>
__global__ void backward_stream_kernel(index_t cols, const index_t* __restrict__ tip,
                                       const index_t* __restrict__ tix, const index_t* __restrict__ perm,
                                       const T* __restrict__ av, const T* __restrict__ v, const T* __restrict__ x,
                                       T* __restrict__ dA, T* __restrict__ dx) {
  __shared__ unsigned char owner[kStreamWarps][kChunk];  // the lane whose column holds entry q
  __shared__ T prod[kStreamWarps][kChunk];
  __shared__ T xs[kStreamWarps][32];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t j0 = (int64_t(blockIdx.x) * kStreamWarps + warp) * 32;
  if (j0 >= cols) return;  // whole warps leave together
  const int64_t j = j0 + lane;
  const bool mine = j < cols;
  const index_t s = mine ? tip[j] : tip[cols];
  const index_t e = mine ? tip[j + 1] : tip[cols];
  if constexpr (NeedDA) xs[warp][lane] = mine ? x[j] : T(0);
  const index_t qb = __shfl_sync(kFullMask, s, 0), qe = __shfl_sync(kFullMask, e, 31);
  T acc = 0;
  for (index_t c0 = qb; c0 < qe; c0 += kChunk) {
    const index_t c1 = c0 + kChunk < qe ? c0 + kChunk : qe;
    const index_t my0 = s > c0 ? s : c0, my1 = e < c1 ? e : c1;
    if constexpr (NeedDA)
      for (index_t q = my0; q < my1; ++q) owner[warp][q - c0] = static_cast<unsigned char>(lane);
    __syncwarp();
    for (index_t q = c0 + lane; q < c1; q += 32) {
      const index_t p = perm[q];
      const T vi = v[tix[q]];
      if constexpr (NeedDA) dA[p] = vi * xs[warp][owner[warp][q - c0]];
      prod[warp][q - c0] = av[p] * vi;
    }
    __syncwarp();
    for (index_t q = my0; q < my1; ++q) acc += prod[warp][q - c0];
    __syncwarp();  // the chunk's buffers are rewritten next
  }
  if (mine) dx[j] = acc;
}

// masked_outer_sum for k = 1 and short rows, out[p] = alpha u[i] x[j] for the
// entries p = (i, j): the same walk as backward_stream_kernel's over A's own
// rows, a warp per 32 consecutive rows with consecutive lanes on consecutive
// entries, so the writes of out are coalesced. (A thread per row writes with a
// stride of its row length; with that, the SpMV VJP on the 2-D Poisson matrix
// at 2^24 rows took 1.40 ms on an H200, and 0.92 ms with this kernel.)
template <class T>
__global__ void masked_outer_stream_kernel(index_t rows, const index_t* __restrict__ ip,
                                           const index_t* __restrict__ ix, const T* __restrict__ u,
                                           const T* __restrict__ x, T alpha, bool skip_diagonal,
                                           T* __restrict__ out) {
  __shared__ unsigned char owner[kStreamWarps][kChunk];  // the lane whose row holds entry p
  __shared__ T us[kStreamWarps][32];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t i0 = (int64_t(blockIdx.x) * kStreamWarps + warp) * 32;
  if (i0 >= rows) return;  // whole warps leave together
  const int64_t i = i0 + lane;
  const bool mine = i < rows;
  const index_t s = mine ? ip[i] : ip[rows];
  const index_t e = mine ? ip[i + 1] : ip[rows];
  us[warp][lane] = mine ? u[i] : T(0);
  const index_t pb = __shfl_sync(kFullMask, s, 0), pe = __shfl_sync(kFullMask, e, 31);
  for (index_t c0 = pb; c0 < pe; c0 += kChunk) {
    const index_t c1 = c0 + kChunk < pe ? c0 + kChunk : pe;
    const index_t my0 = s > c0 ? s : c0, my1 = e < c1 ? e : c1;
    for (index_t p = my0; p < my1; ++p) owner[warp][p - c0] = static_cast<unsigned char>(lane);
    __syncwarp();
    for (index_t p = c0 + lane; p < c1; p += 32) {
      const int r = owner[warp][p - c0];
      const index_t j = ix[p];
      out[p] = (skip_diagonal && i0 + r == j) ? T(0) : alpha * (us[warp][r] * x[j]);
    }
    __syncwarp();  // the chunk's owners are rewritten next
  }
}

// masked_outer_sum for wide k, a group of `lanes` threads per stored entry (its
// row found by binary search in indptr, a cost the long dot amortises), lanes
// over the k columns: the groups of one row run side by side, sharing its u row
// in the cache.
template <class T>
__global__ void masked_dot_entries_kernel(index_t rows, int64_t nnz, int lanes, const index_t* __restrict__ ip,
                                          const index_t* __restrict__ ix, const T* __restrict__ u,
                                          const T* __restrict__ x, index_t k, T alpha, bool skip_diagonal,
                                          T* __restrict__ out) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t p = gid / lanes;
  const int lane = int(gid % lanes);
  if (p >= nnz) return;  // whole groups leave together
  const index_t i = hd::row_of(p, ip, rows), j = ix[p];
  T acc = body::dot_partial(u + int64_t(i) * k, x + int64_t(j) * k, k, lane, lanes);
  acc = group_sum(acc, lanes);
  if (lane == 0) out[p] = (skip_diagonal && i == j) ? T(0) : alpha * acc;
}

// masked_outer_sum for 4 < k ≤ kWideDot, a group of `lanes` threads per row of
// the pattern; for each stored entry of the row, the lanes share the dot over
// the k columns.
template <class T>
__global__ void masked_dot_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                  const index_t* __restrict__ ix, const T* __restrict__ u, const T* __restrict__ x,
                                  index_t k, T alpha, bool skip_diagonal, T* __restrict__ out) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  const int lane = int(gid % lanes);
  if (row >= rows) return;  // whole groups leave together
  const index_t i = index_t(row);
  const T* ui = u + int64_t(i) * k;
  for (index_t p = ip[i]; p < ip[i + 1]; ++p) {
    const index_t j = ix[p];
    T acc = body::dot_partial(ui, x + int64_t(j) * k, k, lane, lanes);
    acc = group_sum(acc, lanes);
    if (lane == 0) out[p] = (skip_diagonal && i == j) ? T(0) : alpha * acc;
  }
}

// k <= 4: a thread per entry, rows handed out as for SpMV.
template <class T>
__global__ void masked_dot_rows_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                       const index_t* __restrict__ ix, const T* __restrict__ u,
                                       const T* __restrict__ x, index_t k, T alpha, bool skip_diagonal,
                                       T* __restrict__ out) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row >= rows) return;
  const index_t i = index_t(row);
  for (index_t p = ip[i] + int(gid % lanes); p < ip[i + 1]; p += lanes) {
    const index_t j = ix[p];
    out[p] = (skip_diagonal && i == j) ? T(0)
                                       : alpha * body::dot_partial(u + int64_t(i) * k, x + int64_t(j) * k, k, 0, 1);
  }
}

}  // namespace

template <class T>
void spmv_cuda(const DeviceCsr<const T>& A, const T* x, T* y, int lanes) {
  launch_spmv<T>(A.rows, A.nnz, A.indptr, A.indices, nullptr, A.values, x, y, lanes);
}

template <class T>
void spmv_transpose_cached_cuda(index_t cols, int64_t nnz, const index_t* t_indptr, const index_t* t_indices,
                                const index_t* perm, const T* values, const T* v, T* y, int lanes) {
  launch_spmv<T>(cols, nnz, t_indptr, t_indices, perm, values, v, y, lanes);
}

template <class T>
void spmv_backward_cuda(const DeviceCsr<const T>& A, const T* v, const T* x, T* dA, T* dx) {
  if (dx && A.cols > 0) SAD_CUDA_CHECK(cudaMemsetAsync(dx, 0, size_t(A.cols) * sizeof(T), 0));
  if (A.rows == 0 || A.nnz == 0 || (!dA && !dx)) return;
  const int lanes = body::row_lanes(A.rows, A.nnz);
  backward_kernel<T><<<blocks_for(int64_t(A.rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
      A.rows, lanes, A.indptr, A.indices, A.values, v, x, dA, dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void spmv_backward_transposed_cuda(const DeviceCsr<const T>& A, const index_t* t_indptr, const index_t* t_indices,
                                   const index_t* perm, const T* v, const T* x, T* dA, T* dx) {
  const index_t cols = A.cols;
  const int64_t nnz = A.nnz;
  if (cols == 0 || (!dA && !dx)) return;
  const unsigned stream_grid = blocks_for(int64_t(cols), kBlock, kMaxGrid);
  if (dA && dx && body::spmv_vjp_one_pass(cols, nnz)) {
    backward_stream_kernel<T, true><<<stream_grid, kBlock>>>(cols, t_indptr, t_indices, perm, A.values, v, x, dA, dx);
    SAD_CUDA_LAUNCHED();
    return;
  }
  // Otherwise two passes: dA in A's own order (coalesced writes, where the
  // fused pass scatters them through perm), then dx = Aᵀ v over the transpose.
  if (dA) masked_outer_sum_cuda<T>(A.rows, nnz, A.indptr, A.indices, v, x, 1, T(1), false, dA);
  if (!dx) return;
  const int lanes = body::spmv_lanes(cols, nnz);
  if (lanes > 4) {  // long columns: spmv_transpose_cached_cuda's lane groups
    launch_spmv<T>(cols, nnz, t_indptr, t_indices, perm, A.values, v, dx, lanes);
    return;
  }
  backward_stream_kernel<T, false><<<stream_grid, kBlock>>>(cols, t_indptr, t_indices, perm, A.values, v, x, nullptr,
                                                            dx);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void masked_outer_sum_cuda(index_t rows, int64_t nnz, const index_t* indptr, const index_t* indices, const T* u,
                           const T* x, index_t k, T alpha, bool skip_diagonal, T* out) {
  if (rows == 0 || nnz == 0) return;
  if (k <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, size_t(nnz) * sizeof(T), 0));
    return;
  }
  const int row_lanes = body::spmv_lanes(rows, nnz);
  if (k == 1 && row_lanes == 1) {
    masked_outer_stream_kernel<T><<<blocks_for(int64_t(rows), kBlock, kMaxGrid), kBlock>>>(
        rows, indptr, indices, u, x, alpha, skip_diagonal, out);
  } else if (k <= 4) {
    masked_dot_rows_kernel<T><<<blocks_for(int64_t(rows) * row_lanes, kBlock, kMaxGrid), kBlock>>>(
        rows, row_lanes, indptr, indices, u, x, k, alpha, skip_diagonal, out);
  } else if (k <= kWideDot) {
    const int lanes = body::dot_lanes(k);
    masked_dot_kernel<T><<<blocks_for(int64_t(rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
        rows, lanes, indptr, indices, u, x, k, alpha, skip_diagonal, out);
  } else {
    masked_dot_entries_kernel<T><<<blocks_for(nnz * 32, kBlock, kMaxGrid), kBlock>>>(
        rows, nnz, 32, indptr, indices, u, x, k, alpha, skip_diagonal, out);
  }
  SAD_CUDA_LAUNCHED();
}

#define SAD_INSTANTIATE(T)                                                                                      \
  template void spmv_cuda<T>(const DeviceCsr<const T>&, const T*, T*, int);                                     \
  template void spmv_transpose_cached_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const index_t*, \
                                              const T*, const T*, T*, int);                                     \
  template void spmv_backward_cuda<T>(const DeviceCsr<const T>&, const T*, const T*, T*, T*);                   \
  template void spmv_backward_transposed_cuda<T>(const DeviceCsr<const T>&, const index_t*, const index_t*,     \
                                                 const index_t*, const T*, const T*, T*, T*);                   \
  template void masked_outer_sum_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const T*, const T*,  \
                                         index_t, T, bool, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
