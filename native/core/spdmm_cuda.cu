// SpDMM on the GPU (spdmm.h): C = A D with a thread per entry of C, and its VJP
// (dD = Aᵀ V as the same kernel on the transpose structure, dA by the masked
// dot products of sptrsv.h's masked_outer_sum_cuda). Bodies in sparse_bodies.h.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spdmm.h"
#include "sptrsv.h"

namespace sad {

namespace {

using namespace cuda_detail;

// threadIdx.x runs over columns of C (consecutive threads read consecutive
// entries of a row of D), threadIdx.y over rows; grid.y strides over column tiles.
template <class T>
__global__ void spdmm_kernel(index_t rows, const index_t* __restrict__ ip, const index_t* __restrict__ ix,
                             const index_t* __restrict__ perm, const T* __restrict__ av, const T* __restrict__ D,
                             int64_t m, T* __restrict__ C) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  if (i >= rows) return;
  for (int64_t c = int64_t(blockIdx.y) * blockDim.x + threadIdx.x; c < m; c += int64_t(gridDim.y) * blockDim.x)
    C[i * m + c] = body::spdmm_entry(ip, ix, perm, av, D, m, index_t(i), c);
}

template <class T>
void launch_spdmm(index_t rows, const index_t* ip, const index_t* ix, const index_t* perm, const T* av, const T* D,
                  int64_t m, T* C) {
  if (rows == 0 || m == 0) return;
  int tx = 1;
  while (tx < 32 && tx < m) tx *= 2;
  const int ty = kBlock / tx;
  const int64_t tiles = (m + tx - 1) / tx;
  const dim3 block(tx, ty);
  const dim3 grid(unsigned((rows + ty - 1) / ty), unsigned(tiles < 65535 ? tiles : 65535));
  spdmm_kernel<T><<<grid, block>>>(rows, ip, ix, perm, av, D, m, C);
  SAD_CUDA_LAUNCHED();
}

}  // namespace

template <class T>
void spdmm_cuda(const DeviceCsr<const T>& A, const T* D, int64_t m, T* C) {
  launch_spdmm<T>(A.rows, A.indptr, A.indices, nullptr, A.values, D, m, C);
}

template <class T>
void spdmm_backward_cuda(const DeviceCsr<const T>& A, const index_t* t_indptr, const index_t* t_indices,
                         const index_t* perm, const T* V, const T* D, int64_t m, T* dA, T* dD) {
  // dA = (V Dᵀ) ⊙ mask(A)
  if (dA) masked_outer_sum_cuda<T>(A.rows, A.nnz, A.indptr, A.indices, V, D, index_t(m), T(1), false, dA);
  // dD = Aᵀ V: rows of Aᵀ, values through perm
  if (dD) launch_spdmm<T>(A.cols, t_indptr, t_indices, perm, A.values, V, m, dD);
}

#define SAD_INSTANTIATE(T)                                                                                     \
  template void spdmm_cuda<T>(const DeviceCsr<const T>&, const T*, int64_t, T*);                               \
  template void spdmm_backward_cuda<T>(const DeviceCsr<const T>&, const index_t*, const index_t*, const index_t*, \
                                       const T*, const T*, int64_t, T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
