#include <cuda_runtime.h>

#include "cuda_device.h"

namespace sad {

bool built_with_cuda() { return true; }

std::vector<CudaDevice> cuda_devices() {
  std::vector<CudaDevice> out;
  int count = 0;
  // No driver or no GPU: report none rather than fail.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    out.push_back({i, prop.name, prop.totalGlobalMem, prop.major, prop.minor});
  }
  return out;
}

}  // namespace sad
