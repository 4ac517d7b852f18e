// Device arrays and the calls that move data (device_array.h):
//   new DeviceArray(type, length)           an uninitialised array on the device
//   deviceUpload(dst, src)                  host typed array -> device array (same type and length)
//   deviceDownload(src, dst)                device array -> host typed array
//   deviceCopy(dst, src)                    device -> device
//   deviceFill(dst, value)                  every float entry = value
//   deviceMode()                            { mode: 'cuda' | 'emulated' | 'none', reason }
//   deviceMemory()                          { liveBytes, peakBytes, liveArrays, allocations, limitBytes }
//   deviceResetPeak()                       peakBytes = liveBytes
//   deviceSynchronize()                     waits for queued work; surfaces asynchronous errors
#include <cstdlib>
#include <cstring>

#include "bindings.h"
#include "cuda_device.h"
#include "dense_ops.h"
#include "device_array.h"

namespace sad::binding {

const char* elem_name(ElemType t) {
  switch (t) {
    case ElemType::f64: return "float64";
    case ElemType::f32: return "float32";
    case ElemType::i32: return "int32";
    case ElemType::u8: return "uint8";
  }
  return "?";
}

namespace {

constexpr const char* kEmulationVar = "SPARSE_AD_CUDA_EMULATION";
constexpr const char* kEmulationMemoryVar = "SPARSE_AD_CUDA_EMULATION_MEMORY";
constexpr int64_t kEmulatedCapacity = int64_t(8) << 30;  // what the emulated device reports and enforces

bool emulation_requested() {
  const char* v = std::getenv(kEmulationVar);
  return v && v[0] == '1' && v[1] == '\0';
}

int64_t emulated_capacity() {
  const char* v = std::getenv(kEmulationMemoryVar);
  if (!v || !*v) return kEmulatedCapacity;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? int64_t(n) : kEmulatedCapacity;
}

ElemType parse_type(const Napi::Env& env, const Napi::Value& v) {
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>();
    if (s == "float64") return ElemType::f64;
    if (s == "float32") return ElemType::f32;
    if (s == "int32") return ElemType::i32;
    if (s == "uint8") return ElemType::u8;
  }
  throw_js(env, "DeviceArray: type must be 'float64', 'float32', 'int32' or 'uint8'");
}

// The host typed array matching a device array's element type and length.
void* host_arg(const Napi::Env& env, const Napi::Value& v, const DeviceArray& d, const char* op, const char* name) {
  if (!v.IsTypedArray()) throw_js(env, std::string(op) + ": expected a typed array for " + name);
  auto a = v.As<Napi::TypedArray>();
  napi_typedarray_type want = napi_float64_array;
  switch (d.type()) {
    case ElemType::f64: want = napi_float64_array; break;
    case ElemType::f32: want = napi_float32_array; break;
    case ElemType::i32: want = napi_int32_array; break;
    case ElemType::u8: want = napi_uint8_array; break;
  }
  if (a.TypedArrayType() != want)
    throw_js(env, std::string(op) + ": " + name + " does not match the device array's type " + elem_name(d.type()));
  if (int64_t(a.ElementLength()) != d.length())
    throw_js(env, std::string(op) + ": " + name + " has " + std::to_string(a.ElementLength()) +
                      " entries but the device array has " + std::to_string(d.length()));
  return static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

}  // namespace

DeviceMode device_mode(const Napi::Env& env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data->device_mode != DeviceMode::unknown) return data->device_mode;
  if (emulation_requested()) {
    data->device_mode = DeviceMode::emulated;
    data->device_stats.limit_bytes = emulated_capacity();
  } else if (!built_with_cuda()) {
    data->device_mode = DeviceMode::none;
    data->device_reason = "built without CUDA (nvcc was not found, or SAD_WITH_CUDA=OFF)";
  } else if (cuda_devices().empty()) {
    data->device_mode = DeviceMode::none;
    data->device_reason = "no CUDA device found (no GPU, or no driver)";
  } else {
    data->device_mode = DeviceMode::cuda;
  }
  return data->device_mode;
}

DeviceMode require_device(const Napi::Env& env, const char* op) {
  const DeviceMode mode = device_mode(env);
  if (mode == DeviceMode::none)
    throw_js(env, std::string(op) + ": no CUDA device: " + env.GetInstanceData<AddonData>()->device_reason);
  return mode;
}

DeviceArray* device_array_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(data->device_array.Value()))
    throw_js(env, std::string(op) + ": expected a device array for " + name);
  DeviceArray* a = DeviceArray::Unwrap(v.As<Napi::Object>());
  if (a->disposed()) throw_js(env, std::string(op) + ": " + name + " was disposed");
  return a;
}

Napi::Function DeviceArray::Define(Napi::Env env) {
  return DefineClass(env, "DeviceArray",
                     {
                         InstanceMethod<&DeviceArray::Dispose>("dispose"),
                         InstanceAccessor<&DeviceArray::GetLength>("length"),
                         InstanceAccessor<&DeviceArray::GetType>("type"),
                         InstanceAccessor<&DeviceArray::GetDisposed>("disposed"),
                         InstanceAccessor<&DeviceArray::GetBytes>("bytes"),
                     });
}

DeviceArray::DeviceArray(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceArray>(info) {
  auto env = info.Env();
  const DeviceMode mode = require_device(env, "DeviceArray");
  type_ = parse_type(env, info[0]);
  if (!info[1].IsNumber()) throw_js(env, "DeviceArray: expected a number for length");
  const double len = info[1].As<Napi::Number>().DoubleValue();
  if (!(len >= 0) || len != double(int64_t(len)) || len > 9.0e15) throw_js(env, "DeviceArray: length must be a non-negative integer");
  length_ = int64_t(len);
  emulated_ = mode == DeviceMode::emulated;
  owner_ = env.GetInstanceData<AddonData>();
  DeviceStats& stats = owner_->device_stats;
  const size_t n = bytes();
  if (emulated_) {
    if (!stats.room_for(int64_t(n)))
      throw_js(env, "DeviceArray: out of memory on the emulated device: " + std::to_string(n) + " bytes requested, " +
                        std::to_string(stats.limit_bytes - stats.live_bytes) + " of " +
                        std::to_string(stats.limit_bytes) + " free");
    if (n > 0) {
      ptr_ = std::malloc(n);
      if (!ptr_) throw_js(env, "DeviceArray: out of host memory for the emulated device (" + std::to_string(n) + " bytes)");
      std::memset(ptr_, 0xFF, n);  // NaN for floats, -1 for ints: a kernel that skips an output shows
    }
  } else {
    ptr_ = guarded(env, [&] { return cuda::malloc_async(n); });  // checked: "... out of memory ..." with file and line
  }
  disposed_ = false;  // counted from here on: release() takes it off again
  stats.charge(int64_t(n));
  stats.live_arrays += 1;
  stats.allocations += 1;
  if (n > 0) Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(n));  // lets V8 collect forgotten arrays sooner
}

void DeviceArray::release() {
  if (disposed_) return;
  disposed_ = true;
  if (emulated_) std::free(ptr_);
  else cuda::free_async(ptr_);
  ptr_ = nullptr;
  DeviceStats& stats = owner_->device_stats;
  stats.refund(int64_t(bytes()));
  stats.live_arrays -= 1;
}

DeviceArray::~DeviceArray() {
  // Collected without dispose(): free it and take it off V8's external count.
  const int64_t n = disposed_ ? 0 : int64_t(bytes());
  release();
  int64_t ignored = 0;
  if (n > 0) napi_adjust_external_memory(Env(), -n, &ignored);
}

Napi::Value DeviceArray::Dispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!disposed_) {
    const int64_t n = int64_t(bytes());
    release();
    if (n > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -n);
  }
  return env.Undefined();
}

Napi::Value DeviceArray::GetLength(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(length_)); }
Napi::Value DeviceArray::GetType(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), elem_name(type_)); }
Napi::Value DeviceArray::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }
Napi::Value DeviceArray::GetBytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(bytes())); }

namespace {

Napi::Value DeviceUpload(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  DeviceArray* d = device_array_arg(env, info[0], "deviceUpload", "dst");
  void* src = host_arg(env, info[1], *d, "deviceUpload", "src");
  on_device(env, "deviceUpload", [&] { cuda::to_device(d->ptr(), src, d->bytes()); },
            [&] { if (d->bytes()) std::memcpy(d->ptr(), src, d->bytes()); });
  return env.Undefined();
}

Napi::Value DeviceDownload(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  DeviceArray* d = device_array_arg(env, info[0], "deviceDownload", "src");
  void* dst = host_arg(env, info[1], *d, "deviceDownload", "dst");
  on_device(env, "deviceDownload", [&] { cuda::to_host(dst, d->ptr(), d->bytes()); },
            [&] { if (d->bytes()) std::memcpy(dst, d->ptr(), d->bytes()); });
  return env.Undefined();
}

Napi::Value DeviceCopy(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  DeviceArray* dst = device_array_arg(env, info[0], "deviceCopy", "dst");
  DeviceArray* src = device_array_arg(env, info[1], "deviceCopy", "src");
  if (dst->type() != src->type() || dst->length() != src->length())
    throw_js(env, "deviceCopy: dst and src differ in type or length");
  on_device(env, "deviceCopy", [&] { cuda::copy(dst->ptr(), src->ptr(), src->bytes()); },
            [&] { if (src->bytes()) std::memmove(dst->ptr(), src->ptr(), src->bytes()); });
  return env.Undefined();
}

Napi::Value DeviceFill(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const double value = num_arg(env, info[1], "deviceFill", "value");
  by_device_dtype(env, info[0], "deviceFill", "dst", [&](auto tag) {
    using T = decltype(tag);
    DeviceArray* d = device_array_arg(env, info[0], "deviceFill", "dst");
    T* p = static_cast<T*>(d->ptr());
    const int64_t n = d->length();
    on_device(env, "deviceFill", [&] { fill_cuda<T>(n, T(value), p); },
              [&] { for (int64_t i = 0; i < n; ++i) p[i] = T(value); });
    return 0;
  });
  return env.Undefined();
}

// dAxpby(alpha, x, beta, y)   y = alpha x + beta y (same length and type)
Napi::Value DeviceModeJs(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const DeviceMode mode = device_mode(env);
  auto o = Napi::Object::New(env);
  o.Set("mode", mode == DeviceMode::cuda ? "cuda" : mode == DeviceMode::emulated ? "emulated" : "none");
  o.Set("reason", env.GetInstanceData<AddonData>()->device_reason);
  return o;
}

// Tests on machines without a GPU: switch 'cuda' to the emulated device (only
// while no GPU was found and no device array exists).
Napi::Value DeviceEmulate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  AddonData* data = env.GetInstanceData<AddonData>();
  const DeviceMode mode = device_mode(env);
  if (mode == DeviceMode::none && data->device_stats.allocations == 0) {
    data->device_mode = DeviceMode::emulated;
    data->device_reason.clear();
    data->device_stats.limit_bytes = emulated_capacity();
  }
  return Napi::Boolean::New(env, data->device_mode == DeviceMode::emulated);
}

Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const DeviceStats& s = env.GetInstanceData<AddonData>()->device_stats;
  auto o = Napi::Object::New(env);
  o.Set("liveBytes", double(s.live_bytes));
  o.Set("peakBytes", double(s.peak_bytes));
  o.Set("liveArrays", double(s.live_arrays));
  o.Set("allocations", double(s.allocations));
  o.Set("limitBytes", double(s.limit_bytes));
  return o;
}

Napi::Value DeviceResetPeak(const Napi::CallbackInfo& info) {
  DeviceStats& s = info.Env().GetInstanceData<AddonData>()->device_stats;
  s.peak_bytes = s.live_bytes;
  return info.Env().Undefined();
}

Napi::Value DeviceSynchronize(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  on_device(env, "deviceSynchronize", [] { cuda::synchronize(); }, [] {});
  return env.Undefined();
}

}  // namespace

void register_device(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DeviceArray::Define(env);
  env.GetInstanceData<AddonData>()->device_array = Napi::Persistent(ctor);
  exports.Set("DeviceArray", ctor);
  exports.Set("deviceUpload", Napi::Function::New(env, DeviceUpload));
  exports.Set("deviceDownload", Napi::Function::New(env, DeviceDownload));
  exports.Set("deviceCopy", Napi::Function::New(env, DeviceCopy));
  exports.Set("deviceFill", Napi::Function::New(env, DeviceFill));
  exports.Set("deviceMode", Napi::Function::New(env, DeviceModeJs));
  exports.Set("deviceEmulate", Napi::Function::New(env, DeviceEmulate));
  exports.Set("deviceMemory", Napi::Function::New(env, DeviceMemory));
  exports.Set("deviceResetPeak", Napi::Function::New(env, DeviceResetPeak));
  exports.Set("deviceSynchronize", Napi::Function::New(env, DeviceSynchronize));
}

}  // namespace sad::binding
