// SpGEMM on the GPU (spgemm.h): C = A B by a row merge when A's rows are short,
// else by expand-sort-compress; a thread per row for the numeric pass on a
// known pattern, a thread per entry of A for the VJP. Bodies in sparse_bodies.h.
#include <climits>

#include "cuda_common.cuh"
#include "sparse_bodies.h"
#include "spgemm.h"

namespace sad {

namespace {

using namespace cuda_detail;

// The row merge's reach: rows of A up to 8 long (the merge's width, a template
// constant, so its cursors stay in registers) and rows of B up to 256 long (a
// row of C is then at most 2048 products, walked by one thread). A design
// bound, not a measured crossover.
constexpr index_t kMergeLongestB = 256;

// off[p] = the products A's entry p makes (the length of the row of B it selects).
__global__ void products_kernel(int64_t nnz, const index_t* __restrict__ a_ix, const index_t* __restrict__ b_ip,
                                int64_t* __restrict__ off) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < nnz; p += int64_t(gridDim.x) * blockDim.x)
    off[p] = body::spgemm_entry_products(b_ip, a_ix[p]);
}

// seg[i] = where row i's products start (rows + 1 entries).
__global__ void segments_kernel(index_t rows, const index_t* __restrict__ a_ip, const int64_t* __restrict__ off,
                                index_t* __restrict__ seg) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i <= rows; i += int64_t(gridDim.x) * blockDim.x)
    seg[i] = index_t(off[a_ip[i]]);
}

// A group of `lanes` threads per entry of A writes its products.
template <class T>
__global__ void expand_kernel(int64_t nnz, int lanes, const index_t* __restrict__ a_ix, const T* __restrict__ av,
                              const index_t* __restrict__ b_ip, const index_t* __restrict__ b_ix,
                              const T* __restrict__ bv, const int64_t* __restrict__ off, index_t* __restrict__ keys,
                              T* __restrict__ vals) {
  const int64_t gid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t p = gid / lanes;
  if (p < nnz) body::spgemm_expand_entry(a_ix[p], av[p], b_ip, b_ix, bv, off[p], int(gid % lanes), lanes, keys, vals);
}

__global__ void iota_kernel(int64_t n, index_t* __restrict__ out) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += int64_t(gridDim.x) * blockDim.x)
    out[t] = index_t(t);
}

// pos[t] = 1 where sorted product t starts a run (pos[total] = 0 for the scan).
__global__ void heads_kernel(int64_t total, const index_t* __restrict__ keys, index_t* __restrict__ pos) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t <= total; t += int64_t(gridDim.x) * blockDim.x)
    pos[t] = t < total ? body::spgemm_head(keys, t) : 0;
}

__global__ void row_heads_kernel(index_t rows, const index_t* __restrict__ seg, index_t* __restrict__ pos) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x)
    if (seg[i] < seg[i + 1]) pos[seg[i]] = 1;
}

// c_indptr[i] = the scanned head count where row i's products start.
__global__ void indptr_kernel(index_t rows, const index_t* __restrict__ seg, const index_t* __restrict__ pos,
                              index_t* __restrict__ c_ip) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i <= rows; i += int64_t(gridDim.x) * blockDim.x)
    c_ip[i] = pos[seg[i]];
}

template <class T>
__global__ void compress_kernel(int64_t total, const index_t* __restrict__ pos, const index_t* __restrict__ keys,
                                const index_t* __restrict__ perm, const T* __restrict__ vals, index_t* __restrict__ c_ix,
                                T* __restrict__ c_val) {
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x)
    body::spgemm_compress(t, total, pos, keys, perm, vals, c_ix, c_val);
}

// out[0] = the longest row of A, out[1] = the longest row of B (out zeroed before).
__global__ void longest_rows_kernel(index_t a_rows, const index_t* __restrict__ a_ip, index_t b_rows,
                                    const index_t* __restrict__ b_ip, index_t* out) {
  index_t la = 0, lb = 0;
  const int64_t n = a_rows > b_rows ? a_rows : b_rows;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if (i < a_rows) la = max(la, a_ip[i + 1] - a_ip[i]);
    if (i < b_rows) lb = max(lb, b_ip[i + 1] - b_ip[i]);
  }
  la = warp_max(la);
  lb = warp_max(lb);
  if ((threadIdx.x & 31) == 0) {
    atomicMax(out, la);
    atomicMax(out + 1, lb);
  }
}

// Row merge, a thread per row of C: its length (into c_ip[i], scanned after),
// then its columns and values.
template <int K>
__global__ void merge_count_kernel(index_t rows, const index_t* __restrict__ a_ip, const index_t* __restrict__ a_ix,
                                   const index_t* __restrict__ b_ip, const index_t* __restrict__ b_ix,
                                   index_t* __restrict__ c_ip) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x)
    c_ip[i] = body::spgemm_row_merge<K, false, float>(a_ip, a_ix, nullptr, b_ip, b_ix, nullptr, index_t(i), nullptr,
                                                      nullptr);
}

template <int K, class T>
__global__ void merge_fill_kernel(index_t rows, const index_t* __restrict__ a_ip, const index_t* __restrict__ a_ix,
                                  const T* __restrict__ av, const index_t* __restrict__ b_ip,
                                  const index_t* __restrict__ b_ix, const T* __restrict__ bv,
                                  const index_t* __restrict__ c_ip, index_t* __restrict__ c_ix,
                                  T* __restrict__ c_val) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x)
    body::spgemm_row_merge<K, true>(a_ip, a_ix, av, b_ip, b_ix, bv, index_t(i), c_ix + c_ip[i], c_val + c_ip[i]);
}

template <int K, class T>
void spgemm_merge(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, index_t* c_indptr,
                  const std::function<CsrOut<T>(int64_t nnz)>& allocate) {
  const index_t rows = A.rows;
  merge_count_kernel<K><<<blocks_for(rows), kBlock>>>(rows, A.indptr, A.indices, B.indptr, B.indices, c_indptr);
  SAD_CUDA_LAUNCHED();
  exclusive_scan(c_indptr, int64_t(rows) + 1);  // c_indptr[rows] was zeroed
  const CsrOut<T> out = allocate(read_back(c_indptr + rows));
  merge_fill_kernel<K, T><<<blocks_for(rows), kBlock>>>(rows, A.indptr, A.indices, A.values, B.indptr, B.indices,
                                                        B.values, c_indptr, out.indices, out.values);
  SAD_CUDA_LAUNCHED();
}

template <class T>
__global__ void numeric_kernel(index_t rows, const index_t* __restrict__ a_ip, const index_t* __restrict__ a_ix,
                               const T* __restrict__ av, const index_t* __restrict__ b_ip,
                               const index_t* __restrict__ b_ix, const T* __restrict__ bv,
                               const index_t* __restrict__ c_ip, const index_t* __restrict__ c_ix, T* c_val) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows; i += int64_t(gridDim.x) * blockDim.x)
    body::spgemm_numeric_row(a_ip, a_ix, av, b_ip, b_ix, bv, c_ip, c_ix, index_t(i), c_val);
}

template <class T>
__global__ void backward_kernel(index_t rows, int64_t nnz, const index_t* __restrict__ a_ip,
                                const index_t* __restrict__ a_ix, const T* __restrict__ av,
                                const index_t* __restrict__ b_ip, const index_t* __restrict__ b_ix,
                                const T* __restrict__ bv, const index_t* __restrict__ c_ip,
                                const index_t* __restrict__ c_ix, const T* __restrict__ v, T* dA, T* dB) {
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < nnz; p += int64_t(gridDim.x) * blockDim.x) {
    const index_t i = hd::row_of(p, a_ip, rows);
    const T g = body::spgemm_backward_entry(i, a_ix[p], av[p], b_ip, b_ix, bv, c_ip, c_ix, v, dB);
    if (dA) dA[p] = g;
  }
}

}  // namespace

template <class T>
void spgemm_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, index_t* c_indptr,
                 const std::function<CsrOut<T>(int64_t nnz)>& allocate) {
  const index_t rows = A.rows;
  SAD_CUDA_CHECK(cudaMemsetAsync(c_indptr, 0, (size_t(rows) + 1) * sizeof(index_t), 0));
  if (rows == 0 || A.nnz == 0 || B.nnz == 0) {
    allocate(0);
    return;
  }
  // Short rows of A (and rows of B that one thread can walk): C by a row merge,
  // no products written out and no sort. Otherwise expand-sort-compress, which
  // spreads long rows of C over many threads.
  {
    Scratch<index_t> longest(2);
    SAD_CUDA_CHECK(cudaMemsetAsync(longest.get(), 0, 2 * sizeof(index_t), 0));
    longest_rows_kernel<<<blocks_for(rows > B.rows ? rows : B.rows), kBlock>>>(rows, A.indptr, B.rows, B.indptr,
                                                                              longest.get());
    SAD_CUDA_LAUNCHED();
    index_t l[2];
    SAD_CUDA_CHECK(cudaMemcpy(l, longest.get(), sizeof l, cudaMemcpyDeviceToHost));
    // nnz(C) ≤ rows · l[0] · l[1]: below 2^31 the merge's int32 count scan cannot overflow.
    if (l[1] <= kMergeLongestB && int64_t(rows) * l[0] * l[1] < INT_MAX) {
      if (l[0] <= 1) return spgemm_merge<1, T>(A, B, c_indptr, allocate);
      if (l[0] <= 2) return spgemm_merge<2, T>(A, B, c_indptr, allocate);
      if (l[0] <= 4) return spgemm_merge<4, T>(A, B, c_indptr, allocate);
      if (l[0] <= 8) return spgemm_merge<8, T>(A, B, c_indptr, allocate);
    }
  }
  // Expand: each entry of A's products at its offset.
  Scratch<int64_t> off(A.nnz + 1);
  SAD_CUDA_CHECK(cudaMemsetAsync(off.get() + A.nnz, 0, sizeof(int64_t), 0));
  products_kernel<<<blocks_for(A.nnz), kBlock>>>(A.nnz, A.indices, B.indptr, off.get());
  SAD_CUDA_LAUNCHED();
  exclusive_scan(off.get(), A.nnz + 1);
  const int64_t total = read_back(off.get() + A.nnz);
  if (total == 0) {
    allocate(0);
    return;
  }
  if (total >= INT_MAX)
    fail("spgemm: A B has " + std::to_string(total) +
         " products, more than the GPU expand-sort-compress handles (2^31 - 1)");
  Scratch<index_t> seg(int64_t(rows) + 1), keys(total), sorted(total), idx(total), perm(total), pos(total + 1);
  Scratch<T> vals(total);
  segments_kernel<<<blocks_for(int64_t(rows) + 1), kBlock>>>(rows, A.indptr, off.get(), seg.get());
  SAD_CUDA_LAUNCHED();
  const int lanes = body::row_lanes(B.rows, B.nnz);
  expand_kernel<T><<<blocks_for(A.nnz * lanes, kBlock, kMaxGrid), kBlock>>>(
      A.nnz, lanes, A.indices, A.values, B.indptr, B.indices, B.values, off.get(), keys.get(), vals.get());
  SAD_CUDA_LAUNCHED();
  iota_kernel<<<blocks_for(total), kBlock>>>(total, idx.get());
  SAD_CUDA_LAUNCHED();
  // Sort: each row's products by column, stably.
  segmented_sort_pairs(keys.get(), sorted.get(), idx.get(), perm.get(), total, rows, seg.get());
  // Compress: heads of runs, scanned into C's positions.
  heads_kernel<<<blocks_for(total + 1), kBlock>>>(total, sorted.get(), pos.get());
  SAD_CUDA_LAUNCHED();
  row_heads_kernel<<<blocks_for(rows), kBlock>>>(rows, seg.get(), pos.get());
  SAD_CUDA_LAUNCHED();
  exclusive_scan(pos.get(), total + 1);
  indptr_kernel<<<blocks_for(int64_t(rows) + 1), kBlock>>>(rows, seg.get(), pos.get(), c_indptr);
  SAD_CUDA_LAUNCHED();
  const int64_t nnz = read_back(pos.get() + total);
  const CsrOut<T> out = allocate(nnz);
  compress_kernel<T><<<blocks_for(total), kBlock>>>(total, pos.get(), sorted.get(), perm.get(), vals.get(),
                                                    out.indices, out.values);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void spgemm_numeric_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, const index_t* c_indptr,
                         const index_t* c_indices, T* c_values) {
  if (A.rows == 0) return;
  numeric_kernel<T><<<blocks_for(A.rows), kBlock>>>(A.rows, A.indptr, A.indices, A.values, B.indptr, B.indices,
                                                    B.values, c_indptr, c_indices, c_values);
  SAD_CUDA_LAUNCHED();
}

template <class T>
void spgemm_backward_cuda(const DeviceCsr<const T>& A, const DeviceCsr<const T>& B, const index_t* c_indptr,
                          const index_t* c_indices, const T* v, T* dA, T* dB) {
  if (dB && B.nnz > 0) SAD_CUDA_CHECK(cudaMemsetAsync(dB, 0, size_t(B.nnz) * sizeof(T), 0));
  if (A.rows == 0 || A.nnz == 0 || (!dA && !dB)) return;
  backward_kernel<T><<<blocks_for(A.nnz), kBlock>>>(A.rows, A.nnz, A.indptr, A.indices, A.values, B.indptr,
                                                    B.indices, B.values, c_indptr, c_indices, v, dA, dB);
  SAD_CUDA_LAUNCHED();
}

#define SAD_INSTANTIATE(T)                                                                                   \
  template void spgemm_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, index_t*,                \
                               const std::function<CsrOut<T>(int64_t)>&);                                   \
  template void spgemm_numeric_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, const index_t*,   \
                                       const index_t*, T*);                                                 \
  template void spgemm_backward_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, const index_t*, \
                                        const index_t*, const T*, T*, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
