// Sparse + sparse on the GPU (spadd.h): the row-wise union in two passes (count,
// then fill with the maps), the values element-wise through the maps, and the
// VJP's gathers and dots. Bodies in sparse_bodies.h.
#include <climits>
#include <vector>

#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spadd.h"

namespace sad {

namespace {

using namespace cuda_detail;

__global__ void count_kernel(index_t rows, const index_t* __restrict__ a_ip, const index_t* __restrict__ a_ix,
                             const index_t* __restrict__ b_ip, const index_t* __restrict__ b_ix,
                             index_t* __restrict__ c_ip) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i <= rows; i += int64_t(gridDim.x) * blockDim.x)
    c_ip[i] = i < rows ? body::spadd_row_count(a_ip, a_ix, b_ip, b_ix, index_t(i)) : 0;
}

__global__ void fill_kernel(index_t rows, const index_t* __restrict__ a_ip, const index_t* __restrict__ a_ix,
                            const index_t* __restrict__ b_ip, const index_t* __restrict__ b_ix,
                            const index_t* __restrict__ c_ip, index_t* __restrict__ c_ix, index_t* __restrict__ map_a,
                            index_t* __restrict__ map_b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x)
    body::spadd_row_fill(a_ip, a_ix, b_ip, b_ix, c_ip, index_t(i), c_ix, map_a, map_b);
}

// c[t] = s x[t] (map null: x has C's pattern), else c[t] = 0.
template <class T>
__global__ void init_kernel(int64_t n, const T* __restrict__ x, T s, T* __restrict__ c) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x)
    c[t] = x ? s * x[t] : T(0);
}

// c[map[p]] += s x[p] (a null map: the identity). Maps are injective, so no two threads meet.
template <class T>
__global__ void scatter_add_kernel(int64_t n, const T* __restrict__ x, const index_t* __restrict__ map, T s,
                                   T* __restrict__ c) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < n; p += int64_t(gridDim.x) * blockDim.x)
    c[map ? map[p] : p] += s * x[p];
}

// out[p] = s v[map[p]] (out non-null) and per-block partial sums of v[map[p]] x[p] in double.
template <class T>
__global__ void grad_kernel(int64_t n, const T* __restrict__ v, const index_t* __restrict__ map,
                            const T* __restrict__ x, T s, T* __restrict__ out, double* __restrict__ partial) {
  double acc = 0;
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < n; p += int64_t(gridDim.x) * blockDim.x) {
    const T g = v[map ? map[p] : p];
    if (out) out[p] = s * g;
    if (x) acc += double(g) * double(x[p]);
  }
  if (partial) {
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
  }
}

__global__ void sum_partials_kernel(int n, const double* __restrict__ partial, double* __restrict__ out) {
  double acc = 0;
  for (int b = threadIdx.x; b < n; b += blockDim.x) acc += partial[b];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *out = acc;
}

constexpr int kReduceBlocks = 1024;  // fixed, so the sums' order depends on n only

template <class T>
void grad_side(const T* v, SpaddGrad<T>& g) {
  g.dot = 0;
  if (g.n <= 0 || (!g.out && !g.x)) return;
  const unsigned grid = blocks_for(g.n, kBlock, kReduceBlocks);
  Scratch<double> partial(g.x ? int64_t(grid) + 1 : 0);
  grad_kernel<T><<<grid, kBlock>>>(g.n, v, g.map, g.x, g.scale, g.out, g.x ? partial.get() : nullptr);
  SAD_CUDA_LAUNCHED();
  if (g.x) {
    sum_partials_kernel<<<1, 1024>>>(int(grid), partial.get(), partial.get() + grid);
    SAD_CUDA_LAUNCHED();
    g.dot = read_back(partial.get() + grid);
  }
}

}  // namespace

int64_t spadd_symbolic_cuda(index_t rows, const index_t* a_indptr, const index_t* a_indices, const index_t* b_indptr,
                            const index_t* b_indices, index_t* c_indptr) {
  if (rows == 0) {
    SAD_CUDA_CHECK(cudaMemsetAsync(c_indptr, 0, sizeof(index_t), 0));
    return 0;
  }
  count_kernel<<<blocks_for(int64_t(rows) + 1), kBlock>>>(rows, a_indptr, a_indices, b_indptr, b_indices, c_indptr);
  SAD_CUDA_LAUNCHED();
  // The union has at most nnz(A) + nnz(B) entries; past 2^31 - 1 the 32-bit scan
  // could overflow, so the row counts are summed exactly on the host first.
  const int64_t bound = int64_t(read_back(a_indptr + rows)) + read_back(b_indptr + rows);
  if (bound > INT_MAX) {
    std::vector<index_t> counts(static_cast<size_t>(rows));
    SAD_CUDA_CHECK(cudaMemcpy(counts.data(), c_indptr, counts.size() * sizeof(index_t), cudaMemcpyDeviceToHost));
    int64_t total = 0;
    for (index_t c : counts) total += c;
    if (total > INT_MAX) fail("spadd: the sum has more than 2^31 - 1 nonzeros");
  }
  exclusive_scan(c_indptr, int64_t(rows) + 1);
  return read_back(c_indptr + rows);
}

void spadd_structure_cuda(index_t rows, const index_t* a_indptr, const index_t* a_indices, const index_t* b_indptr,
                          const index_t* b_indices, const index_t* c_indptr, index_t* c_indices, index_t* map_a,
                          index_t* map_b) {
  if (rows == 0) return;
  fill_kernel<<<blocks_for(rows), kBlock>>>(rows, a_indptr, a_indices, b_indptr, b_indices, c_indptr, c_indices,
                                            map_a, map_b);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void spadd_values_cuda(int64_t nnz_c, int64_t nnz_a, const T* a, const index_t* map_a, int64_t nnz_b, const T* b,
                       const index_t* map_b, T alpha, T beta, T* c) {
  if (nnz_c <= 0) return;
  // An operand with C's pattern (null map) initialises c, else c starts at 0;
  // the other operand(s) are added in through their maps.
  const T* init = !map_a ? a : !map_b ? b : nullptr;
  const T init_scale = !map_a ? alpha : beta;
  init_kernel<T><<<blocks_for(nnz_c), kBlock>>>(nnz_c, init, init_scale, c);
  SAD_CUDA_LAUNCHED();
  if (map_a && nnz_a > 0) {
    scatter_add_kernel<T><<<blocks_for(nnz_a), kBlock>>>(nnz_a, a, map_a, alpha, c);
    SAD_CUDA_LAUNCHED();
  }
  if ((map_b || !map_a) && nnz_b > 0) {  // b through its map, or (one shared pattern) element-wise
    scatter_add_kernel<T><<<blocks_for(nnz_b), kBlock>>>(nnz_b, b, map_b, beta, c);
    SAD_CUDA_LAUNCHED();
  }
}

template <class T>
void spadd_backward_cuda(const T* v, SpaddGrad<T>& a, SpaddGrad<T>& b) {
  grad_side(v, a);
  grad_side(v, b);
}

#define SAD_INSTANTIATE(T)                                                                                         \
  template void spadd_values_cuda<T>(int64_t, int64_t, const T*, const index_t*, int64_t, const T*, const index_t*, \
                                     T, T, T*);                                                                    \
  template void spadd_backward_cuda<T>(const T*, SpaddGrad<T>&, SpaddGrad<T>&);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
