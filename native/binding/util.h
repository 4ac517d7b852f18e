// Thin glue between Node-API values and the core's plain structs.
//
// TypeScript validates every argument before calling in; these helpers re-check
// cheaply (types, lengths) so that no input a user can build makes a kernel read
// or write out of bounds, and turn core errors into JS exceptions.
#pragma once

#include <napi.h>

#include <algorithm>
#include <string>

#include "common.h"
#include "thread_pool.h"

namespace sad::binding {

// Where device ('cuda') arrays live for this addon instance, decided on first use
// (device.h): a CUDA GPU, the emulated device (host memory, for tests on
// machines without a GPU), or none.
enum class DeviceMode { unknown, none, cuda, emulated };

struct DeviceStats {
  int64_t live_bytes = 0;   // bytes held by live (not disposed, not collected) DeviceArrays
  int64_t peak_bytes = 0;   // the most live_bytes has been
  int64_t live_arrays = 0;
  int64_t allocations = 0;  // DeviceArrays ever made
  int64_t limit_bytes = 0;  // the emulated device's capacity (0: none)

  // Whether n more bytes fit the emulated device's capacity (always, without one).
  bool room_for(int64_t n) const { return limit_bytes <= 0 || live_bytes + n <= limit_bytes; }
  // n bytes now held (an array or LU factors), and given back.
  void charge(int64_t n) {
    live_bytes += n;
    peak_bytes = std::max(peak_bytes, live_bytes);
  }
  void refund(int64_t n) { live_bytes -= n; }
};

// Per-addon-instance state (one per JS thread that loads the addon): no statics.
struct AddonData {
  ThreadPool pool;
  Napi::FunctionReference device_array;  // the DeviceArray class (device.h)
  DeviceMode device_mode = DeviceMode::unknown;
  std::string device_reason;              // why there is no device, when mode is none
  DeviceStats device_stats;
};

inline ThreadPool& pool_of(const Napi::Env& env) { return env.GetInstanceData<AddonData>()->pool; }

[[noreturn]] inline void throw_js(const Napi::Env& env, const std::string& msg) {
  throw Napi::Error::New(env, msg);
}

enum class DType { f32, f64 };

inline DType dtype_of(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  napi_typedarray_type t;  // one napi call (see array_arg); fails for a non-typed-array
  if (napi_get_typedarray_info(env, v, &t, nullptr, nullptr, nullptr, nullptr) == napi_ok) {
    if (t == napi_float64_array) return DType::f64;
    if (t == napi_float32_array) return DType::f32;
  }
  throw_js(env, std::string(op) + ": expected Float64Array or Float32Array for " + name);
}

// A typed array's data pointer, checked for element type and (when min_len >= 0)
// minimum length.
template <class T>
struct TypedArrayTraits;
template <> struct TypedArrayTraits<double> { static constexpr napi_typedarray_type type = napi_float64_array; static constexpr const char* name = "Float64Array"; };
template <> struct TypedArrayTraits<float> { static constexpr napi_typedarray_type type = napi_float32_array; static constexpr const char* name = "Float32Array"; };
template <> struct TypedArrayTraits<int32_t> { static constexpr napi_typedarray_type type = napi_int32_array; static constexpr const char* name = "Int32Array"; };
template <> struct TypedArrayTraits<uint8_t> { static constexpr napi_typedarray_type type = napi_uint8_array; static constexpr const char* name = "Uint8Array"; };

template <class T>
T* array_arg(const Napi::Env& env, const Napi::Value& v, int64_t min_len, const char* op, const char* name) {
  // One napi call for the type, length and data (IsTypedArray, As<TypedArray> and
  // As<TypedArrayOf<T>> made three, a measurable part of a small op's cost); it
  // fails with napi_invalid_arg, and no pending exception, for a non-typed-array.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != TypedArrayTraits<T>::type)
    throw_js(env, std::string(op) + ": expected " + TypedArrayTraits<T>::name + " for " + name);
  if (min_len >= 0 && static_cast<int64_t>(length) < min_len)
    throw_js(env, std::string(op) + ": " + name + " has " + std::to_string(length) + " entries, needs " +
                      std::to_string(min_len));
  return static_cast<T*>(data);
}

// An optional argument that was passed (not null or undefined).
inline bool given(const Napi::Value& v) { return !v.IsNull() && !v.IsUndefined(); }

// array_arg, or nullptr for a JS null (an output nobody needs).
template <class T>
T* array_arg_or_null(const Napi::Env& env, const Napi::Value& v, int64_t min_len, const char* op, const char* name) {
  return given(v) ? array_arg<T>(env, v, min_len, op, name) : nullptr;
}

template <class T>
int64_t array_len(const Napi::Value& v) {
  return static_cast<int64_t>(v.As<Napi::TypedArrayOf<T>>().ElementLength());
}

inline int64_t int_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  if (!v.IsNumber()) throw_js(env, std::string(op) + ": expected a number for " + name);
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < 0 || d > 2147483647.0)
    throw_js(env, std::string(op) + ": " + name + " must be a non-negative 32-bit integer");
  return static_cast<int64_t>(d);
}

inline double num_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  if (!v.IsNumber()) throw_js(env, std::string(op) + ": expected a number for " + name);
  return v.As<Napi::Number>().DoubleValue();
}

inline bool bool_arg(const Napi::Value& v) { return v.IsBoolean() && v.As<Napi::Boolean>().Value(); }

// A CSR view from JS arguments (rows, cols, indptr, indices, values), with the
// bounds the kernels rely on re-checked: indptr length, monotone ends, nnz
// fitting the arrays. (Full structure validation happens in TypeScript once per
// matrix; this is the cheap O(1) guard on every call.)
template <class T>
Csr<const T> csr_arg(const Napi::Env& env, const Napi::CallbackInfo& info, size_t at, const char* op,
                     const char* name) {
  Csr<const T> A;
  A.rows = static_cast<index_t>(int_arg(env, info[at], op, "rows"));
  A.cols = static_cast<index_t>(int_arg(env, info[at + 1], op, "cols"));
  A.indptr = array_arg<int32_t>(env, info[at + 2], A.rows + 1, op, "indptr");
  int64_t nnz = A.indptr[A.rows];
  if (A.indptr[0] != 0 || nnz < 0) throw_js(env, std::string(op) + ": " + name + " has an invalid indptr");
  A.indices = array_arg<int32_t>(env, info[at + 3], nnz, op, "indices");
  A.values = array_arg<T>(env, info[at + 4], nnz, op, "values");
  return A;
}

// Runs fn, converting core errors into JS exceptions.
template <class F>
auto guarded(const Napi::Env& env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// Dispatches on the dtype of a values array: fn(double{}) or fn(float{}).
template <class F>
auto by_dtype(const Napi::Env& env, const Napi::Value& values, const char* op, F&& fn) {
  return dtype_of(env, values, op, "values") == DType::f64 ? fn(double{}) : fn(float{});
}

// A fresh V8-owned typed array (never an external buffer: Electron's memory cage forbids them).
template <class T>
Napi::TypedArrayOf<T> new_array(const Napi::Env& env, int64_t len) {
  return Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(len));
}

}  // namespace sad::binding

// Each op's binding file defines one of these; addon.cc calls them all.
#define SAD_BINDING(name) void name(Napi::Env env, Napi::Object exports)
