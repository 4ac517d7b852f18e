// The addon's entry point: creates this instance's state (its own thread pool)
// and registers every op's bindings. Loaded once per JS thread; holds no statics.
#include <napi.h>

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "bindings.h"
#include "cuda_device.h"
#include "device_array.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  int64_t n = int_arg(env, info[0], "setThreads", "threads");
  guarded(env, [&] { pool_of(env).set_threads(static_cast<int>(n)); return 0; });
  return env.Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), pool_of(info.Env()).threads());
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("cuda", Napi::Boolean::New(env, built_with_cuda()));
#ifdef SAD_HAVE_BLAS
  o.Set("blas", Napi::String::New(env, "openblas"));
#else
  o.Set("blas", Napi::String::New(env, "builtin"));
#endif
#ifdef SAD_HAVE_KLU
  o.Set("klu", Napi::Boolean::New(env, true));
#else
  o.Set("klu", Napi::Boolean::New(env, false));
#endif
  o.Set("hardwareThreads", Napi::Number::New(env, ThreadPool::hardware_threads()));
  return o;
}

Napi::Value Devices(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (device_mode(env) == DeviceMode::emulated) {
    auto arr = Napi::Array::New(env, 1);
    auto o = Napi::Object::New(env);
    o.Set("index", 0);
    o.Set("name", "Emulated CUDA device (host memory, SPARSE_AD_CUDA_EMULATION=1)");
    o.Set("totalMemory", static_cast<double>(env.GetInstanceData<AddonData>()->device_stats.limit_bytes));
    o.Set("computeCapability", "emulated");
    o.Set("emulated", true);
    arr.Set(uint32_t(0), o);
    return arr;
  }
  auto list = cuda_devices();
  auto arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("index", list[i].index);
    o.Set("name", list[i].name);
    o.Set("totalMemory", static_cast<double>(list[i].total_memory));
    o.Set("computeCapability", std::to_string(list[i].major) + "." + std::to_string(list[i].minor));
    o.Set("emulated", false);
    arr.Set(i, o);
  }
  return arr;
}

}  // namespace

// Kernel outputs are fresh V8 ArrayBuffers, allocated through malloc. By default
// glibc serves every allocation over 128 KiB with its own mmap and returns freed
// heap tops to the OS, so each call pays first-touch page faults on its output
// (≈1.5 µs per 4 KiB page on these VMs: more than an SpMV at N=32768 computes).
// Keeping blocks up to 32 MiB in the heap and freed memory resident makes
// outputs reuse warm pages, as PyTorch's caching allocator does. It is a
// process-wide setting, so it is idempotent here; SPARSE_AD_DEFAULT_MALLOC=1
// leaves glibc's defaults alone.
void tune_malloc() {
#if defined(__GLIBC__)
  const char* keep = std::getenv("SPARSE_AD_DEFAULT_MALLOC");
  if (keep && keep[0] == '1') return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

// bind_index_maps.cc, bind_host_random.cc, bind_stats.cc and bind_coo.cc (declared here rather
// than in bindings.h, whose every includer would rebuild).
void register_index_maps(Napi::Env env, Napi::Object exports);
void register_host_random(Napi::Env env, Napi::Object exports);
void register_stats(Napi::Env env, Napi::Object exports);
void register_coo(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tune_malloc();
  env.SetInstanceData(new AddonData());
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("cudaDevices", Napi::Function::New(env, Devices));
  register_all(env, exports);
  register_index_maps(env, exports);
  register_host_random(env, exports);
  register_stats(env, exports);
  register_coo(env, exports);
  return exports;
}

}  // namespace sad::binding

static Napi::Object InitSparseAdLab(Napi::Env env, Napi::Object exports) {
  return sad::binding::Init(env, exports);
}

NODE_API_MODULE(sparse_ad_lab, InitSparseAdLab)
