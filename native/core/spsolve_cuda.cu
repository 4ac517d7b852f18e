// The device half of the hybrid spsolve (spsolve_hybrid.h): KLU's factors
// uploaded once, each solve two sync-free triangular solves between a
// permuting, scaling gather and scatter.
#include <vector>

#include "cuda_common.cuh"
#include "spsolve_hybrid.h"

namespace sad {

namespace {

using namespace cuda_detail;

// dst[r, :] = src[idx[r], :] / (scale ? scale[r] : 1)        (gather), or
// dst[idx[r], :] = src[r, :] / (scale ? scale[r] : 1)        (scatter)
template <class T, bool Gather>
__global__ void permute_kernel(index_t n, index_t k, const index_t* __restrict__ idx, const T* __restrict__ scale,
                               const T* __restrict__ src, T* __restrict__ dst) {
  const int64_t total = int64_t(n) * k;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = e / k, c = e % k;
    const index_t to = idx[r];
    const T s = scale ? scale[r] : T(1);
    if (Gather) dst[e] = src[int64_t(to) * k + c] / s;
    else dst[int64_t(to) * k + c] = src[e] / s;
  }
}

template <class T, bool Gather>
void permute(index_t n, index_t k, const index_t* idx, const T* scale, const T* src, T* dst) {
  permute_kernel<T, Gather><<<blocks_for(int64_t(n) * k), kBlock>>>(n, k, idx, scale, src, dst);
  SAD_CUDA_LAUNCHED();
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

}  // namespace

template <class T>
CudaSplitLU<T>::CudaSplitLU(const SplitLU& f)
    : n_(f.n),
      lt_nnz_(int64_t(f.lt_indices.size())),
      ut_nnz_(int64_t(f.ut_indices.size())),
      lt_indptr_(f.lt_indptr),
      lt_indices_(f.lt_indices),
      ut_indptr_(f.ut_indptr),
      ut_indices_(f.ut_indices),
      P_(f.P),
      Q_(f.Q),
      lt_values_(cast<T>(f.lt_values)),
      ut_values_(cast<T>(f.ut_values)),
      Rs_(cast<T>(f.Rs)) {}

template <class T>
void CudaSplitLU<T>::solve(bool transpose, const T* b, T* x, index_t k) const {
  const index_t n = n_;
  if (n == 0 || k == 0) return;
  const DeviceCsr<const T> Lt{n, n, lt_nnz_, lt_indptr_.get(), lt_indices_.get(), lt_values_.get()};
  const DeviceCsr<const T> Ut{n, n, ut_nnz_, ut_indptr_.get(), ut_indices_.get(), ut_values_.get()};
  Scratch<T> s(int64_t(n) * k), u(int64_t(n) * k);
  index_t bad;
  if (!transpose) {
    // s = b[Q];  Uᵀ w = s;  Lᵀ u = w;  x[P] = u / Rs
    permute<T, true>(n, k, Q_.get(), nullptr, b, s.get());
    bad = sptrsv_cuda<T>(Ut, {true, false}, s.get(), u.get(), k);
    if (bad < 0) bad = sptrsv_cuda<T>(Lt, {false, true}, u.get(), s.get(), k);
    permute<T, false>(n, k, P_.get(), Rs_.get(), s.get(), x);
  } else {
    // r = v[P] / Rs;  L t = r;  U z = t;  y[Q] = z
    permute<T, true>(n, k, P_.get(), Rs_.get(), b, s.get());
    bad = sptrsv_transpose_cuda<T>(Lt, {false, true}, s.get(), u.get(), k);
    if (bad < 0) bad = sptrsv_transpose_cuda<T>(Ut, {true, false}, u.get(), s.get(), k);
    permute<T, false>(n, k, Q_.get(), nullptr, s.get(), x);
  }
  if (bad >= 0) fail("spsolve: zero pivot in the triangular factors at step " + std::to_string(bad));
}

template class CudaSplitLU<float>;
template class CudaSplitLU<double>;

}  // namespace sad
