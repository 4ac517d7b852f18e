// SpDMM on the GPU (spdmm.h): C = A D with a thread per entry of C, and its VJP:
// for m ≤ 128 one fused pass over the transpose structure; wider, dD = Aᵀ V as
// the forward kernel on the transpose structure and dA by the masked dot products
// of sddmm.h's masked_outer_sum_cuda. Bodies in sparse_bodies.h.
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spdmm.h"
#include "sddmm.h"

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

// Both VJPs of C = A D through the transpose structure, for m ≤ 32·CPL: a group
// of G lanes per column j of A (a row of Aᵀ) keeps row j of D in registers (CPL
// columns per lane) and reads, for each entry q = (j, i) of Aᵀ, row i of V once:
//   dD[j, :] = Σ_q A[perm[q]] V[i, :]   (summed in registers, written once)
//   dA[perm[q]] = V[i, :] · D[j, :]     (a sum over the group)
// No atomics and no zeroing; each output is written by one group.
template <class T, int G, int CPL>
__global__ void backward_transposed_kernel(index_t cols, const index_t* __restrict__ tip,
                                           const index_t* __restrict__ tix, const index_t* __restrict__ perm,
                                           const T* __restrict__ av, const T* __restrict__ V,
                                           const T* __restrict__ D, int64_t m, T* __restrict__ dA,
                                           T* __restrict__ dD) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t j = gid / G;
  const int lane = int(gid % G);
  if (j >= cols) return;  // whole groups leave together
  T d[CPL], acc[CPL];
#pragma unroll
  for (int t = 0; t < CPL; ++t) {
    const int64_t c = lane + int64_t(t) * G;
    d[t] = (dA && c < m) ? D[j * m + c] : T(0);
    acc[t] = 0;
  }
  for (index_t q = tip[j]; q < tip[j + 1]; ++q) {
    const index_t p = perm[q];
    const T a = dD ? av[p] : T(0);
    const T* vi = V + int64_t(tix[q]) * m;
    T dot = 0;
#pragma unroll
    for (int t = 0; t < CPL; ++t) {
      const int64_t c = lane + int64_t(t) * G;
      if (c < m) {
        const T vc = vi[c];
        acc[t] += a * vc;
        dot += vc * d[t];
      }
    }
    if (dA) {
      if constexpr (G > 1) dot = group_sum(dot, G);
      if (lane == 0) dA[p] = dot;
    }
  }
  if (dD) {
#pragma unroll
    for (int t = 0; t < CPL; ++t) {
      const int64_t c = lane + int64_t(t) * G;
      if (c < m) dD[j * m + c] = acc[t];
    }
  }
}

// The fused kernel's shape for m columns: lanes per group and columns per lane
// (0: m too wide for registers, use the two-kernel path).
struct FusedShape {
  int lanes = 0, per_lane = 0;
};
FusedShape fused_shape(int64_t m) {
  if (m > 128) return {};
  if (m > 32) return {32, m > 64 ? 4 : 2};
  int g = 1;
  while (g < m) g *= 2;
  return {g, 1};
}

}  // namespace

template <class T>
void spdmm_cuda(const DeviceCsr<const T>& A, const T* D, int64_t m, T* C) {
  launch_spdmm<T>(A.rows, A.indptr, A.indices, nullptr, A.values, D, m, C);
}

template <class T>
void spdmm_backward_cuda(const DeviceCsr<const T>& A, const index_t* t_indptr, const index_t* t_indices,
                         const index_t* perm, const T* V, const T* D, int64_t m, T* dA, T* dD) {
  if (!dA && !dD) return;
  const FusedShape f = fused_shape(m);
  if (m > 0 && f.lanes > 0) {
    if (A.cols == 0) return;
    const unsigned grid = blocks_for(int64_t(A.cols) * f.lanes, kBlock, kMaxGrid);
#define SAD_LAUNCH(G, CPL)                                                                                  \
  backward_transposed_kernel<T, G, CPL><<<grid, kBlock>>>(A.cols, t_indptr, t_indices, perm, A.values, V, D, m, \
                                                           dA, dD);                                          \
  break
    switch (f.lanes * 8 + f.per_lane) {
      case 1 * 8 + 1: SAD_LAUNCH(1, 1);
      case 2 * 8 + 1: SAD_LAUNCH(2, 1);
      case 4 * 8 + 1: SAD_LAUNCH(4, 1);
      case 8 * 8 + 1: SAD_LAUNCH(8, 1);
      case 16 * 8 + 1: SAD_LAUNCH(16, 1);
      case 32 * 8 + 1: SAD_LAUNCH(32, 1);
      case 32 * 8 + 2: SAD_LAUNCH(32, 2);
      default: SAD_LAUNCH(32, 4);
    }
#undef SAD_LAUNCH
    SAD_CUDA_LAUNCHED();
    return;
  }
  // Wider m (or m = 0): two passes.
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
