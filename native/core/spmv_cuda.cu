// SpMV and the masked products on the GPU (spmv.h, sptrsv.h's masked_outer_sum).
// Bodies in sparse_bodies.h; here only the launch shapes and the reductions.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spmv.h"
#include "sptrsv.h"

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
  if (lanes <= 0) lanes = body::row_lanes(rows, nnz);
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

// Row-parallel scatters with `lanes` lanes per row (no reduction needed).
template <class T>
__global__ void transpose_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                 const index_t* __restrict__ ix, const T* __restrict__ av, const T* __restrict__ v,
                                 T* y) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row < rows) body::spmv_transpose_row(ip, ix, av, v, index_t(row), int(gid % lanes), lanes, y);
}

template <class T>
__global__ void masked_outer_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                    const index_t* __restrict__ ix, const T* __restrict__ v, const T* __restrict__ x,
                                    T* __restrict__ out) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row < rows) body::masked_outer_row(ip, ix, v, x, index_t(row), int(gid % lanes), lanes, out);
}

template <class T>
__global__ void backward_kernel(index_t rows, int lanes, const index_t* __restrict__ ip,
                                const index_t* __restrict__ ix, const T* __restrict__ av, const T* __restrict__ v,
                                const T* __restrict__ x, T* dA, T* dx) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t row = gid / lanes;
  if (row < rows) body::spmv_backward_row(ip, ix, av, v, x, index_t(row), int(gid % lanes), lanes, dA, dx);
}

// masked_outer_sum, a group of `lanes` threads per stored entry (its row found
// by binary search in indptr), lanes over the k columns.
template <class T>
__global__ void masked_dot_kernel(index_t rows, int64_t nnz, int lanes, const index_t* __restrict__ ip,
                                  const index_t* __restrict__ ix, const T* __restrict__ u, const T* __restrict__ x,
                                  index_t k, T alpha, bool skip_diagonal, T* __restrict__ out) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t p = gid / lanes;
  const int lane = int(gid % lanes);
  T acc = 0;
  index_t i = 0, j = 0;
  if (p < nnz) {
    i = hd::row_of(p, ip, rows);
    j = ix[p];
    acc = body::dot_partial(u + int64_t(i) * k, x + int64_t(j) * k, k, lane, lanes);
  }
  acc = group_sum(acc, lanes);
  if (p < nnz && lane == 0) out[p] = (skip_diagonal && i == j) ? T(0) : alpha * acc;
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
void spmv_transpose_cuda(const DeviceCsr<const T>& A, const T* v, T* y, int lanes) {
  if (A.cols > 0) SAD_CUDA_CHECK(cudaMemsetAsync(y, 0, size_t(A.cols) * sizeof(T), 0));
  if (A.rows == 0 || A.nnz == 0) return;
  if (lanes <= 0) lanes = body::row_lanes(A.rows, A.nnz);
  transpose_kernel<T><<<blocks_for(int64_t(A.rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
      A.rows, lanes, A.indptr, A.indices, A.values, v, y);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void masked_outer_cuda(index_t rows, int64_t nnz, const index_t* indptr, const index_t* indices, const T* v,
                       const T* x, T* out) {
  if (rows == 0 || nnz == 0) return;
  const int lanes = body::row_lanes(rows, nnz);
  masked_outer_kernel<T><<<blocks_for(int64_t(rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
      rows, lanes, indptr, indices, v, x, out);
  SAD_CUDA_LAUNCHED();
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
void masked_outer_sum_cuda(index_t rows, int64_t nnz, const index_t* indptr, const index_t* indices, const T* u,
                           const T* x, index_t k, T alpha, bool skip_diagonal, T* out) {
  if (rows == 0 || nnz == 0) return;
  if (k <= 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(out, 0, size_t(nnz) * sizeof(T), 0));
    return;
  }
  if (k <= 4) {
    const int lanes = body::row_lanes(rows, nnz);
    masked_dot_rows_kernel<T><<<blocks_for(int64_t(rows) * lanes, kBlock, kMaxGrid), kBlock>>>(
        rows, lanes, indptr, indices, u, x, k, alpha, skip_diagonal, out);
  } else {
    const int lanes = body::dot_lanes(k);
    masked_dot_kernel<T><<<blocks_for(nnz * lanes, kBlock, kMaxGrid), kBlock>>>(
        rows, nnz, lanes, indptr, indices, u, x, k, alpha, skip_diagonal, out);
  }
  SAD_CUDA_LAUNCHED();
}

#define SAD_INSTANTIATE(T)                                                                                      \
  template void spmv_cuda<T>(const DeviceCsr<const T>&, const T*, T*, int);                                     \
  template void spmv_transpose_cuda<T>(const DeviceCsr<const T>&, const T*, T*, int);                           \
  template void spmv_transpose_cached_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const index_t*, \
                                              const T*, const T*, T*, int);                                     \
  template void masked_outer_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const T*, const T*, T*); \
  template void spmv_backward_cuda<T>(const DeviceCsr<const T>&, const T*, const T*, T*, T*);                   \
  template void masked_outer_sum_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const T*, const T*,  \
                                         index_t, T, bool, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
