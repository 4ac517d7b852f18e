// Arguments that live on the host or on the device. Each op has one binding,
// which TypeScript calls with a tensor's storage wherever the tensor is: its
// typed array on the CPU, its DeviceArray on 'cuda'. The place of a call is
// read from one argument (place_of) and every other array must be there too
// (buf_arg names the one that is not). On the host the CPU kernel runs; on the
// device the CUDA kernel, or the CPU kernel on the emulated device (on_device).
#pragma once

#include <napi.h>

#include <string>

#include "device_array.h"
#include "util.h"

namespace sad::binding {

enum class Place { host, device };

inline Place place_of(const Napi::Value& v) { return v.IsTypedArray() ? Place::host : Place::device; }

// An array argument at `place` of element type T, at least min_len long (when
// min_len >= 0); its length in *len when len is given.
template <class T>
T* buf_arg(const Napi::Env& env, Place place, const Napi::Value& v, int64_t min_len, const char* op, const char* name,
           int64_t* len = nullptr) {
  if (place == Place::device) return dev_arg<T>(env, v, min_len, op, name, len);
  T* p = array_arg<T>(env, v, min_len, op, name);
  if (len) *len = array_len<T>(v);
  return p;
}

// buf_arg, or nullptr for a JS null (an output nobody needs).
template <class T>
T* buf_arg_or_null(const Napi::Env& env, Place place, const Napi::Value& v, int64_t min_len, const char* op,
                   const char* name) {
  return given(v) ? buf_arg<T>(env, place, v, min_len, op, name) : nullptr;
}

// An optional trailing flag at info[i]: the gradient argument `name` holds one
// value for all its entries (a shared-constant seed: ops/transfer.ts
// hostBroadcast), which the host kernels read as a broadcast. Host only.
inline bool broadcast_flag(const Napi::Env& env, const Napi::CallbackInfo& info, size_t i, Place place, const char* op,
                           const char* name) {
  const bool on = info.Length() > i && info[i].IsBoolean() && info[i].As<Napi::Boolean>().Value();
  if (on && place != Place::host) throw_js(env, std::string(op) + ": a broadcast " + name + " is read on the host only");
  return on;
}

// Dispatches on the element type of a float array argument at `place`: fn(double{}) or fn(float{}).
template <class F>
auto by_float_type(const Napi::Env& env, Place place, const Napi::Value& v, const char* op, const char* name, F&& fn) {
  if (place == Place::device) return by_device_dtype(env, v, op, name, fn);
  return dtype_of(env, v, op, name) == DType::f64 ? fn(double{}) : fn(float{});
}

// A CSR operand at `place` from (rows, cols, nnz, indptr, indices, values)
// starting at `at`, lengths checked in O(1) (on the host also indptr's ends);
// the structure itself was validated in TypeScript when its pattern was made.
// Read through .host() or .device(), whichever the kernel takes.
template <class T>
struct CsrArg {
  index_t rows = 0;
  index_t cols = 0;
  int64_t nnz = 0;
  const index_t* indptr = nullptr;
  const index_t* indices = nullptr;
  const T* values = nullptr;
  Csr<const T> host() const { return Csr<const T>{rows, cols, indptr, indices, values}; }
  DeviceCsr<const T> device() const { return DeviceCsr<const T>{rows, cols, nnz, indptr, indices, values}; }
};

template <class T>
CsrArg<T> csr_at(const Napi::Env& env, Place place, const Napi::CallbackInfo& info, size_t at, const char* op,
                 const char* name) {
  CsrArg<T> A;
  A.rows = static_cast<index_t>(int_arg(env, info[at], op, "rows"));
  A.cols = static_cast<index_t>(int_arg(env, info[at + 1], op, "cols"));
  A.nnz = int_arg(env, info[at + 2], op, "nnz");
  A.indptr = buf_arg<int32_t>(env, place, info[at + 3], int64_t(A.rows) + 1, op, "indptr");
  if (place == Place::host && (A.indptr[0] != 0 || A.indptr[A.rows] != A.nnz))
    throw_js(env, std::string(op) + ": " + name + " has an invalid indptr");
  A.indices = buf_arg<int32_t>(env, place, info[at + 4], A.nnz, op, "indices");
  A.values = buf_arg<T>(env, place, info[at + 5], A.nnz, op, "values");
  return A;
}

// Runs on_host() for host arguments, and for device ones on_gpu() on a CUDA
// device or on_host() on the emulated one (whose arrays are host memory);
// core errors become JS exceptions.
template <class G, class H>
void run_at(const Napi::Env& env, Place place, const char* op, G&& on_gpu, H&& on_host) {
  if (place == Place::device) {
    on_device(env, op, on_gpu, on_host);
    return;
  }
  guarded(env, [&] {
    on_host();
    return 0;
  });
}

// One call's arrays, read through data_arg: the first array read fixes the call's
// place, and an array elsewhere is an error naming both (the dense ops'
// bindings, bind_dense_ops.cc, take every operand this way).
struct CallPlace {
  const char* op;
  int side = -1;  // 0 host, 1 device; -1 until the first array is read
  const char* first = nullptr;
  bool device() const { return side == 1; }
};

inline void place_check(const Napi::Env& env, CallPlace& pl, Place place, const char* name) {
  const int side = place == Place::device ? 1 : 0;
  if (pl.side < 0) {
    pl.side = side;
    pl.first = name;
  } else if (pl.side != side) {
    throw_js(env, std::string(pl.op) + ": " + name + " is on " + (side ? "cuda" : "cpu") + " but " + pl.first + " is on " +
                      (pl.side ? "cuda" : "cpu"));
  }
}

// buf_arg at the call's place (fixed by the first array read, checked for the rest).
template <class T>
T* data_arg(const Napi::Env& env, CallPlace& pl, const Napi::Value& v, int64_t min_len, const char* name,
            int64_t* len = nullptr) {
  const Place place = place_of(v);
  place_check(env, pl, place, name);
  return buf_arg<T>(env, place, v, min_len, pl.op, name, len);
}

// data_arg, or nullptr for a JS null / undefined.
template <class T>
T* data_arg_or_null(const Napi::Env& env, CallPlace& pl, const Napi::Value& v, int64_t min_len, const char* name) {
  return given(v) ? data_arg<T>(env, pl, v, min_len, name) : nullptr;
}

// by_float_type at v's own place.
template <class F>
auto by_float_type(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name, F&& fn) {
  return by_float_type(env, place_of(v), v, op, name, fn);
}

// run_at with a separate host kernel: on_cpu() for host arrays (the CPU kernel on
// the pool); on a device on_gpu(), or on_host() on the emulated one.
template <class C, class G, class H>
void run_on(const Napi::Env& env, const CallPlace& pl, C&& on_cpu, G&& on_gpu, H&& on_host) {
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

