// Host index maps (index_maps.h). One pass each, no thread pool: they are made
// once per cond array / pattern pair and cached by the TypeScript callers, and
// their cost is a write of the map.
#include "index_maps.h"

namespace sad {

template <class T>
void iota_cpu(int64_t n, T* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(i);
}
template void iota_cpu<float>(int64_t, float*);
template void iota_cpu<double>(int64_t, double*);

std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  const size_t nd = out.size();
  std::vector<int64_t> s(nd, 0);
  int64_t stride = 1;
  for (size_t d = nd; d-- > 0;) {
    const int64_t k = static_cast<int64_t>(d) - static_cast<int64_t>(nd - in.size());
    const int64_t dim = k >= 0 ? in[static_cast<size_t>(k)] : 1;
    s[d] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
  return s;
}

template <class C>
void where_maps_cpu(const std::vector<int64_t>& shape, const C* cond, const std::vector<int64_t>& cs,
                    const std::vector<int64_t>& as, const std::vector<int64_t>& bs, int32_t* pick_a,
                    int32_t* pick_b) {
  const size_t nd = shape.size();
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (n == 0) return;
  if (nd == 0) {
    const bool t = cond[0] != C(0);
    pick_a[0] = t ? 0 : -1;
    pick_b[0] = t ? -1 : 0;
    return;
  }
  const int64_t last = shape[nd - 1];
  const int64_t lc = cs[nd - 1], la = as[nd - 1], lb = bs[nd - 1];
  // An odometer over the leading axes; the last axis is the inner loop.
  std::vector<int64_t> counter(nd, 0);
  int64_t bc = 0, ba = 0, bb = 0;
  for (int64_t pos = 0; pos < n; pos += last) {
    for (int64_t j = 0; j < last; ++j) {
      const bool t = cond[bc + j * lc] != C(0);
      pick_a[pos + j] = t ? static_cast<int32_t>(ba + j * la) : -1;
      pick_b[pos + j] = t ? -1 : static_cast<int32_t>(bb + j * lb);
    }
    for (size_t d = nd - 1; d-- > 0;) {
      ++counter[d];
      bc += cs[d];
      ba += as[d];
      bb += bs[d];
      if (counter[d] < shape[d]) break;
      bc -= cs[d] * counter[d];
      ba -= as[d] * counter[d];
      bb -= bs[d] * counter[d];
      counter[d] = 0;
    }
  }
}
template void where_maps_cpu<uint8_t>(const std::vector<int64_t>&, const uint8_t*, const std::vector<int64_t>&,
                                      const std::vector<int64_t>&, const std::vector<int64_t>&, int32_t*, int32_t*);
template void where_maps_cpu<float>(const std::vector<int64_t>&, const float*, const std::vector<int64_t>&,
                                    const std::vector<int64_t>&, const std::vector<int64_t>&, int32_t*, int32_t*);
template void where_maps_cpu<double>(const std::vector<int64_t>&, const double*, const std::vector<int64_t>&,
                                     const std::vector<int64_t>&, const std::vector<int64_t>&, int32_t*, int32_t*);

void kron_maps_cpu(index_t a_rows, const index_t* a_indptr, index_t b_rows, const index_t* b_indptr, int32_t* pa,
                   int32_t* pb) {
  int64_t t = 0;
  for (index_t ia = 0; ia < a_rows; ++ia)
    for (index_t ib = 0; ib < b_rows; ++ib)
      for (index_t p = a_indptr[ia]; p < a_indptr[ia + 1]; ++p)
        for (index_t q = b_indptr[ib]; q < b_indptr[ib + 1]; ++q) {
          pa[t] = p;
          pb[t] = q;
          ++t;
        }
}

int64_t selection_structure_cpu(int64_t n, const int32_t* idx, int32_t* indptr, int32_t* indices) {
  int32_t nnz = 0;
  indptr[0] = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (idx[k] >= 0) {
      if (indices) indices[nnz] = idx[k];
      ++nnz;
    }
    indptr[k + 1] = nnz;
  }
  return nnz;
}

}  // namespace sad
