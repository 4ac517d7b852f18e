// Device memory, copies and event timing (device.h), and the CUB scan the
// kernels share (cuda_common.cuh), instantiated once here to keep CUB's
// compile time in one file.
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_sort.cuh>

#include <algorithm>

#include "cuda_common.cuh"
#include "device.h"

namespace sad {
namespace cuda {

void* malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  SAD_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

void free(void* p) noexcept {
  if (p) cudaFree(p);  // unchecked: called from destructors, where there is nobody to tell
}

namespace {
// Keep freed pool memory instead of returning it to the driver at every
// synchronisation (the default threshold is 0), as a caching allocator does.
void keep_pool_memory() {
  static const bool done = [] {
    int device = 0;
    cudaMemPool_t pool;
    if (cudaGetDevice(&device) == cudaSuccess && cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
      uint64_t keep = UINT64_MAX;
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    cudaGetLastError();  // a device without pools reports at the allocation itself
    return true;
  }();
  (void)done;
}
}  // namespace

void* malloc_async(size_t bytes) {
  if (bytes == 0) return nullptr;
  keep_pool_memory();
  void* p = nullptr;
  SAD_CUDA_CHECK(cudaMallocAsync(&p, bytes, 0));
  return p;
}

void free_async(void* p) noexcept {
  if (p) cudaFreeAsync(p, 0);  // unchecked, as free()
}

void to_device(void* dst, const void* src, size_t bytes) {
  if (bytes) SAD_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}

void to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) SAD_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}

void copy(void* dst, const void* src, size_t bytes) {
  if (bytes) SAD_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}

void fill_bytes(void* dst, int byte, size_t bytes) {
  if (bytes) SAD_CUDA_CHECK(cudaMemset(dst, byte, bytes));
}

void synchronize() {
  SAD_CUDA_CHECK(cudaDeviceSynchronize());
  SAD_CUDA_CHECK(cudaGetLastError());
}

std::vector<double> time_ms(const std::function<void()>& fn, int warmup, int reps) {
  for (int r = 0; r < warmup; ++r) fn();
  SAD_CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start, stop;
  SAD_CUDA_CHECK(cudaEventCreate(&start));
  SAD_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> ms;
  try {
    for (int r = 0; r < reps; ++r) {
      SAD_CUDA_CHECK(cudaEventRecord(start, 0));
      fn();
      SAD_CUDA_CHECK(cudaEventRecord(stop, 0));
      SAD_CUDA_CHECK(cudaEventSynchronize(stop));
      float t = 0;
      SAD_CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
      ms.push_back(t);
    }
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  SAD_CUDA_CHECK(cudaEventDestroy(start));
  SAD_CUDA_CHECK(cudaEventDestroy(stop));
  return ms;
}

}  // namespace cuda

namespace cuda_detail {

template <class I>
void exclusive_scan(I* data, int64_t n) {
  if (n <= 0) return;
  size_t bytes = 0;
  SAD_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(nullptr, bytes, data, data, n, cudaStream_t(0)));
  Scratch<unsigned char> temp(int64_t(std::max<size_t>(bytes, 1)));
  SAD_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(temp.get(), bytes, data, data, n, cudaStream_t(0)));
}

template void exclusive_scan<int32_t>(int32_t*, int64_t);
template void exclusive_scan<int64_t>(int64_t*, int64_t);

void segmented_sort_pairs(const int32_t* keys_in, int32_t* keys_out, const int32_t* vals_in, int32_t* vals_out,
                          int64_t n, int64_t segments, const int32_t* offsets) {
  if (n <= 0 || segments <= 0) return;
  size_t bytes = 0;
  SAD_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(nullptr, bytes, keys_in, keys_out, vals_in, vals_out, n,
                                                           segments, offsets, offsets + 1, cudaStream_t(0)));
  Scratch<unsigned char> temp(int64_t(std::max<size_t>(bytes, 1)));
  SAD_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(temp.get(), bytes, keys_in, keys_out, vals_in, vals_out, n,
                                                           segments, offsets, offsets + 1, cudaStream_t(0)));
}

}  // namespace cuda_detail
}  // namespace sad
