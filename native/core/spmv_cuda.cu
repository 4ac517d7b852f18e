// SpMV on the GPU (spmv.h); its VJP's dA is sddmm.h's masked_outer_sum.
// Bodies in sparse_bodies.h; here only the launch shapes and the reductions.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spmv.h"
#include "sddmm.h"

namespace sad {

namespace {

using namespace cuda_detail;

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

#define SAD_INSTANTIATE(T)                                                                                      \
  template void spmv_cuda<T>(const DeviceCsr<const T>&, const T*, T*, int);                                     \
  template void spmv_transpose_cached_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const index_t*, \
                                              const T*, const T*, T*, int);                                     \
  template void spmv_backward_cuda<T>(const DeviceCsr<const T>&, const T*, const T*, T*, T*);                   \
  template void spmv_backward_transposed_cuda<T>(const DeviceCsr<const T>&, const index_t*, const index_t*,     \
                                                 const index_t*, const T*, const T*, T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
