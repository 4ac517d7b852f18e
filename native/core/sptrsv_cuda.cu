// Sparse triangular solves on the GPU (sptrsv.h): synchronisation-free, a
// thread per row, warps taking chunks of 32 rows in solve order (see
// sparse_bodies.h for the scheme and the bodies).
#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "sptrsv.h"

namespace sad {

namespace {

using namespace cuda_detail;

constexpr int kWarpsPerBlock = 4;
constexpr int kNoPivotProblem = 0x7f7f7f7f;  // what a 0x7f byte fill leaves in `bad`

// Claims the next chunk of 32 rows in solve order for the calling warp.
__device__ inline int64_t claim_chunk(int* next) {
  int chunk = 0;
  if ((threadIdx.x & 31) == 0) chunk = atomicAdd(next, 1);
  return int64_t(__shfl_sync(kFullMask, chunk, 0)) * body::kChunk;
}

template <class T>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    forward_kernel(index_t n, const index_t* __restrict__ ip, const index_t* __restrict__ ix,
                   const T* __restrict__ av, bool lower, bool unit, const T* b, T* x, index_t k, index_t c, int* done,
                   int* next, int* bad) {
  __shared__ T sx_all[kWarpsPerBlock][body::kChunk];
  const int lane = threadIdx.x & 31;
  T* sx = sx_all[threadIdx.x >> 5];
  body::TrsvGather<T> g;
  g.n = n;
  g.ascending = lower;
  g.base = claim_chunk(next);
  g.sx = sx;
  g.done = done;
  g.x = x;
  g.k = k;
  g.c = c;
  const int64_t t = g.base + lane;
  bool finished = t >= n;
  body::TrsvRow r;
  T acc = 0;
  if (!finished) r = body::trsv_row(ip, ix, index_t(lower ? t : n - 1 - t), lower);
  unsigned solved = __ballot_sync(kFullMask, finished);
  while (solved != kFullMask) {
    if (!finished) finished = body::trsv_forward_step(ix, av, unit, b, x, done, bad, g, r, acc, &sx[lane]);
    __syncwarp();  // this iteration's sx writes are seen by the warp from here on
    solved = __ballot_sync(kFullMask, finished);
    g.solved = solved;
  }
}

__global__ void indegree_kernel(index_t n, const index_t* __restrict__ ip, const index_t* __restrict__ ix, bool lower,
                                int* indegree) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    body::trsv_count_row(ix, body::trsv_row(ip, ix, index_t(i), lower), indegree);
}

template <class T>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    transpose_kernel(index_t n, const index_t* __restrict__ ip, const index_t* __restrict__ ix,
                     const T* __restrict__ av, bool lower, bool unit, const T* v, T* w, index_t k, index_t c,
                     const int* __restrict__ indegree, T* left, int* got, int* next, int* bad) {
  __shared__ T left_all[kWarpsPerBlock][body::kChunk];
  __shared__ int got_all[kWarpsPerBlock][body::kChunk];
  const int lane = threadIdx.x & 31;
  T* left_s = left_all[threadIdx.x >> 5];
  int* got_s = got_all[threadIdx.x >> 5];
  left_s[lane] = 0;
  got_s[lane] = 0;
  body::TrsvScatter<T> s;
  s.n = n;
  s.ascending = !lower;  // Lᵀ of a lower L is upper: solved from the last row up
  s.base = claim_chunk(next);
  s.left_s = left_s;
  s.got_s = got_s;
  s.left = left;
  s.got = got;
  const int64_t t = s.base + lane;
  bool finished = t >= n;
  body::TrsvRow r;
  int need = 0;
  if (!finished) {
    r = body::trsv_row(ip, ix, index_t(s.ascending ? t : n - 1 - t), lower);
    need = indegree[r.i];
  }
  __syncwarp();
  int got_snap = 0;
  T left_snap = 0;
  unsigned all = __ballot_sync(kFullMask, finished);
  while (all != kFullMask) {
    if (!finished)
      finished = body::trsv_transpose_step(ix, av, unit, v, w, bad, k, c, s, r, need, got_snap, left_snap);
    __syncwarp();  // the chunk's shared-memory sends of this iteration are complete
    got_snap = static_cast<volatile int*>(got_s)[lane];
    left_snap = static_cast<volatile T*>(left_s)[lane];
    all = __ballot_sync(kFullMask, finished);
  }
}

unsigned trsv_blocks(index_t n) {
  const int64_t warps = (int64_t(n) + body::kChunk - 1) / body::kChunk;
  return unsigned((warps + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

index_t pivot_result(const int* bad) {
  const int b = read_back(bad);
  return b == kNoPivotProblem ? -1 : index_t(b);
}

}  // namespace

template <class T>
index_t sptrsv_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* b, T* x, index_t k) {
  const index_t n = L.rows;
  if (n == 0 || k == 0) return -1;
  Scratch<int> done(n), control(2);  // control: next chunk, bad pivot row
  SAD_CUDA_CHECK(cudaMemsetAsync(control.get() + 1, 0x7f, sizeof(int), 0));
  for (index_t c = 0; c < k; ++c) {
    SAD_CUDA_CHECK(cudaMemsetAsync(done.get(), 0, size_t(n) * sizeof(int), 0));
    SAD_CUDA_CHECK(cudaMemsetAsync(control.get(), 0, sizeof(int), 0));
    forward_kernel<T><<<trsv_blocks(n), kWarpsPerBlock * 32>>>(n, L.indptr, L.indices, L.values, opts.lower,
                                                               opts.unit_diagonal, b, x, k, c, done.get(),
                                                               control.get(), control.get() + 1);
    SAD_CUDA_LAUNCHED();
  }
  return pivot_result(control.get() + 1);
}

template <class T>
index_t sptrsv_transpose_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* v, T* w, index_t k) {
  const index_t n = L.rows;
  if (n == 0 || k == 0) return -1;
  Scratch<int> indegree(n), got(n), control(2);
  Scratch<T> left(n);
  SAD_CUDA_CHECK(cudaMemsetAsync(indegree.get(), 0, size_t(n) * sizeof(int), 0));
  SAD_CUDA_CHECK(cudaMemsetAsync(control.get() + 1, 0x7f, sizeof(int), 0));
  indegree_kernel<<<blocks_for(n), kBlock>>>(n, L.indptr, L.indices, opts.lower, indegree.get());
  SAD_CUDA_LAUNCHED();
  for (index_t c = 0; c < k; ++c) {
    SAD_CUDA_CHECK(cudaMemsetAsync(got.get(), 0, size_t(n) * sizeof(int), 0));
    SAD_CUDA_CHECK(cudaMemsetAsync(left.get(), 0, size_t(n) * sizeof(T), 0));
    SAD_CUDA_CHECK(cudaMemsetAsync(control.get(), 0, sizeof(int), 0));
    transpose_kernel<T><<<trsv_blocks(n), kWarpsPerBlock * 32>>>(
        n, L.indptr, L.indices, L.values, opts.lower, opts.unit_diagonal, v, w, k, c, indegree.get(), left.get(),
        got.get(), control.get(), control.get() + 1);
    SAD_CUDA_LAUNCHED();
  }
  return pivot_result(control.get() + 1);
}

template <class T>
index_t sptrsv_backward_cuda(const DeviceCsr<const T>& L, TriangularOptions opts, const T* x, const T* v, T* w,
                             T* grad, index_t k) {
  const index_t bad = sptrsv_transpose_cuda(L, opts, v, w, k);
  // dL = −w xᵀ ⊙ mask(L), summed over the right-hand sides (0 on an ignored unit diagonal)
  if (bad < 0 && grad)
    masked_outer_sum_cuda<T>(L.rows, L.nnz, L.indptr, L.indices, w, x, k, T(-1), opts.unit_diagonal, grad);
  return bad;
}

#define SAD_INSTANTIATE(T)                                                                                    \
  template index_t sptrsv_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, T*, index_t);       \
  template index_t sptrsv_transpose_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, T*, index_t); \
  template index_t sptrsv_backward_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, const T*, T*, \
                                           T*, index_t);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
