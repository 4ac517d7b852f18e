#include "cuda_device.h"

namespace sad {
bool built_with_cuda() { return false; }
std::vector<CudaDevice> cuda_devices() { return {}; }
}  // namespace sad
