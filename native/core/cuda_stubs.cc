// Linked in place of the CUDA kernels until they exist (and in CPU-only builds):
// every CUDA entry point throws "<op>: built without CUDA".
#include "spmv.h"

namespace sad {

template <class T>
void spmv_cuda(const Csr<const T>&, const T*, T*) { no_cuda("spmv"); }
template void spmv_cuda<float>(const Csr<const float>&, const float*, float*);
template void spmv_cuda<double>(const Csr<const double>&, const double*, double*);

}  // namespace sad
