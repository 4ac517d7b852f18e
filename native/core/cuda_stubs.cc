// Linked in place of the CUDA kernels in a CPU-only build (no nvcc, or
// SAD_WITH_CUDA=OFF): every CUDA entry point throws "<op>: built without CUDA".
// The C++ tests reference every entry point, so a missing stub fails to link.
#include "dense.h"
#include "dense_ops.h"
#include "device.h"
#include "spadd.h"
#include "spdmm.h"
#include "spgemm.h"
#include "spmv.h"
#include "spsolve_hybrid.h"
#include "sptrsv.h"
#include "structure.h"

namespace sad {

namespace cuda {
void* malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  no_cuda("cuda.malloc");
}
void free(void*) noexcept {}
void* malloc_async(size_t bytes) {
  if (bytes == 0) return nullptr;
  no_cuda("cuda.malloc_async");
}
void free_async(void*) noexcept {}
void to_device(void*, const void*, size_t) { no_cuda("cuda.to_device"); }
void to_host(void*, const void*, size_t) { no_cuda("cuda.to_host"); }
void copy(void*, const void*, size_t) { no_cuda("cuda.copy"); }
void fill_bytes(void*, int, size_t) { no_cuda("cuda.fill_bytes"); }
void synchronize() { no_cuda("cuda.synchronize"); }
std::vector<double> time_ms(const std::function<void()>&, int, int) { no_cuda("cuda.time_ms"); }
}  // namespace cuda

int64_t spadd_symbolic_cuda(index_t, const index_t*, const index_t*, const index_t*, const index_t*, index_t*) {
  no_cuda("spadd");
}
void spadd_structure_cuda(index_t, const index_t*, const index_t*, const index_t*, const index_t*, const index_t*,
                          index_t*, index_t*, index_t*) {
  no_cuda("spadd");
}
void transpose_structure_cuda(index_t, index_t, int64_t, const index_t*, const index_t*, index_t*, index_t*, index_t*,
                              index_t*) {
  no_cuda("transpose");
}

template <class T>
CudaSplitLU<T>::CudaSplitLU(const SplitLU&) {
  no_cuda("spsolve");
}
template <class T>
void CudaSplitLU<T>::solve(bool, const T*, T*, index_t) const {
  no_cuda("spsolve");
}
template class CudaSplitLU<float>;
template class CudaSplitLU<double>;

#define SAD_STUBS(T)                                                                                                  \
  template <>                                                                                                        \
  void spmv_cuda<T>(const DeviceCsr<const T>&, const T*, T*, int) {                                                  \
    no_cuda("spmv");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spmv_transpose_cached_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const index_t*, const T*,     \
                                     const T*, T*, int) {                                                            \
    no_cuda("spmv");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spmv_backward_cuda<T>(const DeviceCsr<const T>&, const T*, const T*, T*, T*) {                                \
    no_cuda("spmv");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spmv_backward_transposed_cuda<T>(const DeviceCsr<const T>&, const index_t*, const index_t*, const index_t*,   \
                                        const T*, const T*, T*, T*) {                                                \
    no_cuda("spmv");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spdmm_cuda<T>(const DeviceCsr<const T>&, const T*, int64_t, T*) {                                             \
    no_cuda("spdmm");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spdmm_backward_cuda<T>(const DeviceCsr<const T>&, const index_t*, const index_t*, const index_t*, const T*,    \
                              const T*, int64_t, T*, T*) {                                                           \
    no_cuda("spdmm");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spgemm_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, index_t*,                                \
                      const std::function<CsrOut<T>(int64_t)>&) {                                                    \
    no_cuda("spgemm");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spgemm_numeric_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, const index_t*, const index_t*,  \
                              T*) {                                                                                  \
    no_cuda("spgemm");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spgemm_backward_cuda<T>(const DeviceCsr<const T>&, const DeviceCsr<const T>&, const index_t*, const index_t*, \
                               const T*, T*, T*) {                                                                   \
    no_cuda("spgemm");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spadd_values_cuda<T>(int64_t, int64_t, const T*, const index_t*, int64_t, const T*, const index_t*, T, T, T*) { \
    no_cuda("spadd");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void spadd_backward_cuda<T>(const T*, SpaddGrad<T>&, SpaddGrad<T>&) {                                              \
    no_cuda("spadd");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  index_t sptrsv_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, T*, index_t) {                      \
    no_cuda("sptrsv");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  index_t sptrsv_transpose_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, T*, index_t) {            \
    no_cuda("sptrsv");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  index_t sptrsv_backward_cuda<T>(const DeviceCsr<const T>&, TriangularOptions, const T*, const T*, T*, T*, index_t) { \
    no_cuda("sptrsv");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void masked_outer_sum_cuda<T>(index_t, int64_t, const index_t*, const index_t*, const T*, const T*, index_t, T,    \
                                bool, T*) {                                                                          \
    no_cuda("maskedOuter");                                                                                          \
  }                                                                                                                  \
  template <>                                                                                                        \
  void gather_cuda<T>(int64_t, const index_t*, const T*, T*) {                                                       \
    no_cuda("gather");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void scatter_cuda<T>(int64_t, const index_t*, const T*, T*) {                                                      \
    no_cuda("scatter");                                                                                              \
  }                                                                                                                  \
  template <>                                                                                                        \
  void gemm_cuda<T>(bool, bool, int64_t, int64_t, int64_t, const T*, const T*, T*) {                                 \
    no_cuda("gemm");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void unary_cuda<T>(UnaryOp, int64_t, const T*, T*) {                                                               \
    no_cuda("unary");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void unary_backward_cuda<T>(UnaryOp, int64_t, const T*, const T*, const T*, T*) {                                  \
    no_cuda("unary");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void binary_cuda<T>(BinaryOp, int64_t, const T*, const T*, T*) {                                                   \
    no_cuda("binary");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void axpby_cuda<T>(int64_t, T, const T*, T, T*) {                                                                  \
    no_cuda("axpby");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void fill_cuda<T>(int64_t, T, T*) {                                                                                \
    no_cuda("fill");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void dot_cuda<T>(int64_t, const T*, const T*, T*) {                                                                \
    no_cuda("dot");                                                                                                  \
  }                                                                                                                  \
  template <>                                                                                                        \
  void log_softmax_cuda<T>(int64_t, int64_t, const T*, T*, bool) {                                                   \
    no_cuda("logSoftmax");                                                                                           \
  }                                                                                                                  \
  template <>                                                                                                        \
  void log_softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*) {                                      \
    no_cuda("logSoftmax");                                                                                           \
  }                                                                                                                  \
  template <>                                                                                                        \
  void softmax_backward_cuda<T>(int64_t, int64_t, const T*, const T*, T*) {                                          \
    no_cuda("softmax");                                                                                              \
  }                                                                                                                  \
  template <>                                                                                                        \
  void cross_entropy_cuda<T>(int64_t, int64_t, const T*, const int32_t*, const int32_t*, T*, T*) {                   \
    no_cuda("crossEntropy");                                                                                         \
  }                                                                                                                  \
  template <>                                                                                                        \
  void cross_entropy_backward_cuda<T>(int64_t, int64_t, int64_t, const T*, const int32_t*, const int32_t*, const T*, \
                                      const T*, T*) {                                                                \
    no_cuda("crossEntropy");                                                                                         \
  }                                                                                                                  \
  template <>                                                                                                        \
  void dropout_cuda<T>(int64_t, double, uint64_t, uint64_t, const T*, T*, uint8_t*) {                                \
    no_cuda("dropout");                                                                                              \
  }                                                                                                                  \
  template <>                                                                                                        \
  void dropout_backward_cuda<T>(int64_t, T, const uint8_t*, const T*, T*) {                                          \
    no_cuda("dropout");                                                                                              \
  }                                                                                                                  \
  template <>                                                                                                        \
  void adam_step_cuda<T>(const body::AdamStep&, int64_t, T*, const T*, T*, T*, T*) {                                 \
    no_cuda("Adam");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void sgd_step_cuda<T>(const body::SgdStep&, int64_t, T*, const T*, T*) {                                           \
    no_cuda("SGD");                                                                                                  \
  }                                                                                                                  \
  template <>                                                                                                        \
  void binary_broadcast_cuda<T>(BinaryOp, const Broadcast&, Operand<T>, Operand<T>, T*) {                            \
    no_cuda("binary");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void binary_backward_cuda<T>(BinaryOp, const Broadcast&, const T*, Operand<T>, Operand<T>, const T*, T*, T*) {     \
    no_cuda("binary");                                                                                               \
  }                                                                                                                  \
  template <>                                                                                                        \
  void sum_to_cuda<T>(const Reduction&, const T*, double, T*) {                                                      \
    no_cuda("sum");                                                                                                  \
  }                                                                                                                  \
  template <>                                                                                                        \
  void clamp_cuda<T>(int64_t, double, double, const T*, T*) {                                                        \
    no_cuda("clamp");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void clamp_backward_cuda<T>(int64_t, double, double, const T*, const T*, T*) {                                     \
    no_cuda("clamp");                                                                                                \
  }                                                                                                                  \
  template <>                                                                                                        \
  void transpose_cuda<T>(int64_t, int64_t, const T*, T*) {                                                           \
    no_cuda("transpose");                                                                                            \
  }                                                                                                                  \
  template <>                                                                                                        \
  void norm_cuda<T>(int64_t, const T*, T*) {                                                                         \
    no_cuda("norm");                                                                                                 \
  }                                                                                                                  \
  template <>                                                                                                        \
  void norm_backward_cuda<T>(int64_t, const T*, const T*, const T*, T*) {                                            \
    no_cuda("norm");                                                                                                 \
  }
SAD_STUBS(float)
SAD_STUBS(double)
#undef SAD_STUBS

template <>
void cast_cuda<float, double>(int64_t, const float*, double*) {
  no_cuda("to");
}
template <>
void cast_cuda<double, float>(int64_t, const double*, float*) {
  no_cuda("to");
}

}  // namespace sad
