// SDDMM on the GPU (sddmm.h): out[p] = alpha Σ_c u[i, c] x[j, c] on a pattern.
// Bodies in sparse_bodies.h; here only the launch shapes. (Moved unchanged from
// spmv_cuda.cu, where the kernels were measured.)
#include "cuda_common.cuh"
#include "sddmm.h"
#include "sparse_bodies.h"

namespace sad {

namespace {

using namespace cuda_detail;

// The streaming walk's chunk shape, as spmv_cuda.cu's VJP kernel for short columns.
constexpr int kChunk = 128;
constexpr int kStreamWarps = kBlock / 32;

// Above this many columns the masked dots go a group per stored entry (the
// binary search for its row costs less than the long dot, and the groups of
// one row share its u row in the cache); up to it, a group per row. On an H100,
// 1-D Poisson, N = 16384: per row 0.012 / 0.039 / 0.27 ms at k = 64 / 256 / 1024,
// per entry 0.027 / 0.043 / 0.105 ms.
constexpr index_t kWideDot = 256;

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
  template void masked_outer_sum_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const T*, const T*,  \
                                         index_t, T, bool, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
