// Arguments that are host storage (a typed array: a 'cpu' tensor's data) or
// device storage (a DeviceArray: a 'cuda' tensor's), so one binding serves an
// op on either device. All the arrays of one call must be on one side; the
// call then runs the CPU kernel (on the engine's thread pool) for host storage,
// or, for device storage, the CUDA kernel on a GPU and the per-element bodies
// in host loops (on_host::) on the emulated device (device_array.h).
#pragma once

#include <string>

#include "device_array.h"
#include "util.h"

namespace sad::binding {

template <class T>
struct HostTraits;
template <> struct HostTraits<double> { static constexpr napi_typedarray_type type = napi_float64_array; static constexpr const char* name = "Float64Array"; };
template <> struct HostTraits<float> { static constexpr napi_typedarray_type type = napi_float32_array; static constexpr const char* name = "Float32Array"; };
template <> struct HostTraits<int32_t> { static constexpr napi_typedarray_type type = napi_int32_array; static constexpr const char* name = "Int32Array"; };
template <> struct HostTraits<uint8_t> { static constexpr napi_typedarray_type type = napi_uint8_array; static constexpr const char* name = "Uint8Array"; };

// Where one call's arrays live, fixed by the first array argument read.
struct Place {
  const char* op;
  int side = -1;  // 0 host, 1 device
  const char* first = nullptr;
  bool device() const { return side == 1; }
};

inline void place_check(const Napi::Env& env, Place& pl, int side, const char* name) {
  if (pl.side < 0) {
    pl.side = side;
    pl.first = name;
  } else if (pl.side != side) {
    throw_js(env, std::string(pl.op) + ": " + name + " is on " + (side ? "cuda" : "cpu") + " but " + pl.first + " is on " +
                      (pl.side ? "cuda" : "cpu"));
  }
}

// The data of a typed array (host) or DeviceArray (device) of element type T,
// at least min_len long when min_len >= 0; its length in *len when given.
template <class T>
T* data_arg(const Napi::Env& env, Place& pl, const Napi::Value& v, int64_t min_len, const char* name,
            int64_t* len = nullptr) {
  if (v.IsTypedArray()) {
    place_check(env, pl, 0, name);
    if (v.As<Napi::TypedArray>().TypedArrayType() != HostTraits<T>::type)
      throw_js(env, std::string(pl.op) + ": expected " + HostTraits<T>::name + " for " + name);
    auto a = v.As<Napi::TypedArrayOf<T>>();
    const int64_t n = int64_t(a.ElementLength());
    if (len) *len = n;
    if (min_len >= 0 && n < min_len)
      throw_js(env, std::string(pl.op) + ": " + name + " has " + std::to_string(n) + " entries, needs " +
                        std::to_string(min_len));
    return a.Data();
  }
  place_check(env, pl, 1, name);
  return dev_arg<T>(env, v, min_len, pl.op, name, len);
}

// data_arg, or nullptr for a JS null / undefined.
template <class T>
T* data_arg_or_null(const Napi::Env& env, Place& pl, const Napi::Value& v, int64_t min_len, const char* name) {
  return given(v) ? data_arg<T>(env, pl, v, min_len, name) : nullptr;
}

// Dispatches on the float type of a typed array or DeviceArray: fn(double{}) or fn(float{}).
template <class F>
auto by_float_type(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name, F&& fn) {
  if (v.IsTypedArray()) {
    const auto t = v.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_float64_array) return fn(double{});
    if (t == napi_float32_array) return fn(float{});
    throw_js(env, std::string(op) + ": expected Float64Array or Float32Array for " + name);
  }
  return by_device_dtype(env, v, op, name, fn);
}

// Runs on_cpu() for host storage; on a device, on_gpu() or (emulated) on_host().
template <class C, class G, class H>
void run_on(const Napi::Env& env, const Place& pl, C&& on_cpu, G&& on_gpu, H&& on_host) {
  if (pl.device()) {
    on_device(env, pl.op, on_gpu, on_host);
    return;
  }
  guarded(env, [&] {
    on_cpu();
    return 0;
  });
}

}  // namespace sad::binding
