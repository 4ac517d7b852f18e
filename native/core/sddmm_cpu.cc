#include "sddmm.h"

namespace sad {

namespace {

constexpr int64_t kGrain = 1 << 15;  // multiply-adds per part below which threads do not pay

}  // namespace

template <class T>
void masked_outer_sum_cpu(ThreadPool& pool, index_t rows, const index_t* indptr, const index_t* indices, const T* u,
                          const T* x, index_t k, T alpha, bool skip_diagonal, T* out) {
  pool.parallel_rows(rows, indptr, kGrain / (k > 0 ? k : 1) + 1, [&](int, index_t r0, index_t r1) {
    if (k == 1 && !skip_diagonal) {
      for (index_t i = r0; i < r1; ++i) {
        const T ui = alpha * u[i];
        for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) out[p] = ui * x[indices[p]];
      }
      return;
    }
    for (index_t i = r0; i < r1; ++i) {
      const T* __restrict ui = u + int64_t(i) * k;
      for (index_t p = indptr[i]; p < indptr[i + 1]; ++p) {
        const index_t j = indices[p];
        if (skip_diagonal && j == i) {
          out[p] = 0;
          continue;
        }
        const T* __restrict xj = x + int64_t(j) * k;
        T acc = 0;
        for (index_t c = 0; c < k; ++c) acc += ui[c] * xj[c];
        out[p] = alpha * acc;
      }
    }
  });
}

#define SAD_INSTANTIATE(T)                                                                              \
  template void masked_outer_sum_cpu<T>(ThreadPool&, index_t, const index_t*, const index_t*, const T*, \
                                        const T*, index_t, T, bool, T*);
SAD_INSTANTIATE(float)
SAD_INSTANTIATE(double)
#undef SAD_INSTANTIATE

}  // namespace sad
