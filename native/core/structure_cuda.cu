// Structural kernels on the GPU (structure.h): the transpose structure, gather
// and scatter.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "structure.h"

namespace sad {

namespace {

using namespace cuda_detail;

__global__ void count_columns_kernel(int64_t nnz, const index_t* __restrict__ ix, index_t* counts) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < nnz; p += int64_t(gridDim.x) * blockDim.x)
    atomicAdd(&counts[ix[p]], 1);
}

// Each entry (i, j) takes the next free slot of row j of Aᵀ (in any order; the
// segmented sort below restores row order).
__global__ void place_kernel(index_t rows, int lanes, const index_t* __restrict__ ip, const index_t* __restrict__ ix,
                             index_t* cursor, index_t* keys, index_t* vals) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row >= rows) return;
  const index_t i = index_t(row);
  for (index_t p = ip[i] + int(gid % lanes); p < ip[i + 1]; p += lanes) {
    const index_t q = atomicAdd(&cursor[ix[p]], 1);
    keys[q] = i;
    vals[q] = p;
  }
}

__global__ void invert_kernel(int64_t nnz, const index_t* __restrict__ perm, index_t* __restrict__ inv) {
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < nnz; q += int64_t(gridDim.x) * blockDim.x)
    inv[perm[q]] = index_t(q);
}

template <class T>
__global__ void gather_kernel(int64_t n, const index_t* __restrict__ idx, const T* __restrict__ src,
                              T* __restrict__ out) {
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < n; q += int64_t(gridDim.x) * blockDim.x)
    out[q] = idx[q] < 0 ? T(0) : src[idx[q]];
}

template <class T>
__global__ void scatter_kernel(int64_t n, const index_t* __restrict__ idx, const T* __restrict__ src,
                               T* __restrict__ out) {
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < n; q += int64_t(gridDim.x) * blockDim.x)
    if (idx[q] >= 0) out[idx[q]] = src[q];
}

}  // namespace

void transpose_structure_cuda(index_t rows, index_t cols, int64_t nnz, const index_t* indptr, const index_t* indices,
                              index_t* t_indptr, index_t* t_indices, index_t* perm, index_t* inv) {
  // Row counts of Aᵀ, scanned into its indptr (cols + 1 entries, the last 0 before the scan).
  SAD_CUDA_CHECK(cudaMemsetAsync(t_indptr, 0, (size_t(cols) + 1) * sizeof(index_t), 0));
  if (nnz == 0) return;
  count_columns_kernel<<<blocks_for(nnz), kBlock>>>(nnz, indices, t_indptr);
  SAD_CUDA_LAUNCHED();
  exclusive_scan(t_indptr, int64_t(cols) + 1);
  Scratch<index_t> cursor(cols), keys(nnz), vals(nnz);
  SAD_CUDA_CHECK(cudaMemcpyAsync(cursor.get(), t_indptr, size_t(cols) * sizeof(index_t), cudaMemcpyDeviceToDevice, 0));
  const int lanes = body::row_lanes(rows, nnz);
  place_kernel<<<blocks_for(int64_t(rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
      rows, lanes, indptr, indices, cursor.get(), keys.get(), vals.get());
  SAD_CUDA_LAUNCHED();
  // Each row of Aᵀ sorted by A's row index (unique within it): t_indices, and perm alongside.
  segmented_sort_pairs(keys.get(), t_indices, vals.get(), perm, nnz, cols, t_indptr);
  if (inv) {
    invert_kernel<<<blocks_for(nnz), kBlock>>>(nnz, perm, inv);
    SAD_CUDA_LAUNCHED();
  }
}

template <class T>
void gather_cuda(int64_t n, const index_t* idx, const T* src, T* out) {
  if (n <= 0) return;
  gather_kernel<T><<<blocks_for(n), kBlock>>>(n, idx, src, out);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void scatter_cuda(int64_t n, const index_t* idx, const T* src, T* out) {
  if (n <= 0) return;
  scatter_kernel<T><<<blocks_for(n), kBlock>>>(n, idx, src, out);
  SAD_CUDA_LAUNCHED();
}

template void gather_cuda<float>(int64_t, const index_t*, const float*, float*);
template void gather_cuda<double>(int64_t, const index_t*, const double*, double*);
template void scatter_cuda<float>(int64_t, const index_t*, const float*, float*);
template void scatter_cuda<double>(int64_t, const index_t*, const double*, double*);

}  // namespace sad
