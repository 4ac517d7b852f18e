// What CUDA devices this build can see. Works in every build: a CPU-only build,
// or a CUDA build on a machine without a GPU, reports none.
#pragma once

#include <string>
#include <vector>

namespace sad {

struct CudaDevice {
  int index = 0;
  std::string name;
  size_t total_memory = 0;
  int major = 0;
  int minor = 0;
};

bool built_with_cuda();
std::vector<CudaDevice> cuda_devices();

}  // namespace sad
