// Device arrays for 'cuda' tensors, and the glue every device binding shares.
//
// A DeviceArray is a JS object owning one allocation on the device: CUDA memory
// (cudaMalloc) on a GPU, or host memory on the emulated device. The emulated
// device (SPARSE_AD_CUDA_EMULATION=1) exists so that the TypeScript device path
// (storage, copies, dispose, scopes, autograd, optimizers) is tested on machines
// without a GPU: its arrays are host memory that TypeScript can only reach
// through the same upload/download calls, fresh arrays are filled with NaN (as
// unset CUDA memory holds garbage), and each device binding runs the CPU kernel
// (or the per-element body the CUDA kernel runs) where a GPU would run the CUDA
// kernel. Argument checks and buffer handling are the same code in both modes.
//
// Memory is freed by dispose() or, failing that, when the object is collected;
// the live and peak bytes are counted per addon instance (deviceMemory()).
#pragma once

#include <napi.h>

#include <string>

#include "device.h"  // the core's DeviceCsr and cuda:: memory calls
#include "util.h"

namespace sad::binding {

enum class ElemType { f64, f32, i32, u8 };

inline size_t elem_size(ElemType t) {
  switch (t) {
    case ElemType::f64: return 8;
    case ElemType::f32: case ElemType::i32: return 4;
    case ElemType::u8: return 1;
  }
  return 1;
}

template <class T> struct ElemOf;
template <> struct ElemOf<double> { static constexpr ElemType type = ElemType::f64; static constexpr const char* name = "float64"; };
template <> struct ElemOf<float> { static constexpr ElemType type = ElemType::f32; static constexpr const char* name = "float32"; };
template <> struct ElemOf<int32_t> { static constexpr ElemType type = ElemType::i32; static constexpr const char* name = "int32"; };
template <> struct ElemOf<uint8_t> { static constexpr ElemType type = ElemType::u8; static constexpr const char* name = "uint8"; };

const char* elem_name(ElemType t);

class DeviceArray : public Napi::ObjectWrap<DeviceArray> {
 public:
  static Napi::Function Define(Napi::Env env);
  // JS: new DeviceArray(type: 'float64' | 'float32' | 'int32' | 'uint8', length)
  explicit DeviceArray(const Napi::CallbackInfo& info);
  ~DeviceArray() override;

  void* ptr() const { return ptr_; }
  ElemType type() const { return type_; }
  int64_t length() const { return length_; }
  bool disposed() const { return disposed_; }
  bool emulated() const { return emulated_; }
  size_t bytes() const { return size_t(length_) * elem_size(type_); }

 private:
  void release();
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetLength(const Napi::CallbackInfo& info);
  Napi::Value GetType(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value GetBytes(const Napi::CallbackInfo& info);

  void* ptr_ = nullptr;
  int64_t length_ = 0;
  ElemType type_ = ElemType::f64;
  bool emulated_ = false;
  bool disposed_ = true;  // until the allocation has succeeded and been counted
  AddonData* owner_ = nullptr;
};

// The device mode of this instance, resolved on first use. `op` names the
// caller in the error thrown when there is no device.
DeviceMode device_mode(const Napi::Env& env);
DeviceMode require_device(const Napi::Env& env, const char* op);

// A DeviceArray argument: checked to be one, live, of element type T and (when
// min_len >= 0) at least min_len long. Returns its pointer (device, or host on
// the emulated device), and its length in *len when len is given.
DeviceArray* device_array_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name);

template <class T>
T* dev_arg(const Napi::Env& env, const Napi::Value& v, int64_t min_len, const char* op, const char* name,
           int64_t* len = nullptr) {
  DeviceArray* a = device_array_arg(env, v, op, name);
  if (len) *len = a->length();
  if (a->type() != ElemOf<T>::type)
    throw_js(env, std::string(op) + ": " + name + " is a " + elem_name(a->type()) + " device array, expected " +
                      ElemOf<T>::name);
  if (min_len >= 0 && a->length() < min_len)
    throw_js(env, std::string(op) + ": " + name + " has " + std::to_string(a->length()) + " entries, needs " +
                      std::to_string(min_len));
  return static_cast<T*>(a->ptr());
}

// dev_arg, or nullptr for a JS null.
template <class T>
T* dev_arg_or_null(const Napi::Env& env, const Napi::Value& v, int64_t min_len, const char* op, const char* name) {
  return given(v) ? dev_arg<T>(env, v, min_len, op, name) : nullptr;
}

// Dispatches on the element type of a float DeviceArray (the argument `name`):
// fn(double{}) or fn(float{}).
template <class F>
auto by_device_dtype(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name, F&& fn) {
  DeviceArray* a = device_array_arg(env, v, op, name);
  if (a->type() == ElemType::f64) return fn(double{});
  if (a->type() == ElemType::f32) return fn(float{});
  throw_js(env, std::string(op) + ": " + name + " is a " + elem_name(a->type()) +
                    " device array, expected float32 or float64");
}

// A CSR view on device arrays from JS arguments (rows, cols, nnz, indptr,
// indices, values) starting at `at`; lengths checked in O(1). The structure
// itself was validated in TypeScript when its pattern was made.
template <class T>
DeviceCsr<const T> dcsr_arg(const Napi::Env& env, const Napi::CallbackInfo& info, size_t at, const char* op) {
  DeviceCsr<const T> A;
  A.rows = static_cast<index_t>(int_arg(env, info[at], op, "rows"));
  A.cols = static_cast<index_t>(int_arg(env, info[at + 1], op, "cols"));
  A.nnz = int_arg(env, info[at + 2], op, "nnz");
  A.indptr = dev_arg<int32_t>(env, info[at + 3], int64_t(A.rows) + 1, op, "indptr");
  A.indices = dev_arg<int32_t>(env, info[at + 4], A.nnz, op, "indices");
  A.values = dev_arg<T>(env, info[at + 5], A.nnz, op, "values");
  return A;
}

// The host CSR view of a DeviceCsr on the emulated device (where "device"
// pointers are host pointers).
template <class T>
Csr<const T> host_view(const DeviceCsr<const T>& A) {
  return Csr<const T>{A.rows, A.cols, A.indptr, A.indices, A.values};
}

// Runs on_gpu() on a CUDA device, on_host() on the emulated one (converting
// core errors into JS exceptions); throws "<op>: no CUDA device (...)" without one.
template <class G, class H>
void on_device(const Napi::Env& env, const char* op, G&& on_gpu, H&& on_host) {
  const DeviceMode mode = require_device(env, op);
  guarded(env, [&] {
    if (mode == DeviceMode::emulated) on_host();
    else on_gpu();
    return 0;
  });
}

}  // namespace sad::binding
