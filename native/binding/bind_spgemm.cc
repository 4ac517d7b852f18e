// Bindings for SpGEMM (native/core/spgemm.h), on the host or the device
// (storage.h). A... and B... are each (rows, cols, nnz, indptr, indices, values);
// C's structure comes from spgemm (TypeScript never builds it by other means).
//
// spgemm(A..., B..., cIndptr) -> [cIndices, cValues]
//     C = A B in full (writes cIndptr; C's arrays are allocated here, typed
//     arrays on the host, DeviceArrays on the device)
// spgemmNumeric(A..., B..., cNnz, cIndptr, cIndices, cValues)   C's values on a known pattern
// spgemmBackward(A..., B..., cNnz, cIndptr, cIndices, v, dA|null, dB|null)
//     dA = (V Bᵀ) ⊙ mask(A), dB = (Aᵀ V) ⊙ mask(B)
#include "bindings.h"
#include "spgemm.h"
#include "storage.h"

namespace sad::binding {
namespace {

template <class T>
struct Operands {
  CsrArg<T> A, B;
};

template <class T>
Operands<T> operands(const Napi::Env& env, Place at, const Napi::CallbackInfo& info, const char* op) {
  Operands<T> o{csr_at<T>(env, at, info, 0, op, "A"), csr_at<T>(env, at, info, 6, op, "B")};
  if (o.A.cols != o.B.rows) {
    throw_js(env, std::string(op) + ": A has " + std::to_string(o.A.cols) + " columns but B has " +
                      std::to_string(o.B.rows) + " rows");
  }
  return o;
}

// C's structure (cNnz, cIndptr, cIndices) from info[at..at+2], re-checked in O(1).
struct Structure {
  int64_t nnz;
  const index_t* indptr;
  const index_t* indices;
};

Structure c_structure(const Napi::Env& env, Place at, const Napi::CallbackInfo& info, size_t i, index_t rows,
                      const char* op) {
  Structure c;
  c.nnz = int_arg(env, info[i], op, "cNnz");
  c.indptr = buf_arg<int32_t>(env, at, info[i + 1], int64_t(rows) + 1, op, "cIndptr");
  if (at == Place::host && (c.indptr[0] != 0 || c.indptr[rows] != c.nnz)) throw_js(env, std::string(op) + ": cIndptr is invalid");
  c.indices = buf_arg<int32_t>(env, at, info[i + 2], c.nnz, op, "cIndices");
  return c;
}

// A fresh V8-owned typed array whose contents are not initialised (it is written
// in full): a Node Buffer's memory, as Buffer.allocUnsafeSlow gives.
template <class T>
Napi::TypedArrayOf<T> uninit_array(const Napi::Env& env, int64_t len) {
  auto buf = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(len) * sizeof(T));
  return Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(len), buf.ArrayBuffer(), buf.ByteOffset());
}

// A fresh DeviceArray of n T's, made through the JS class so it is owned and
// counted like every other (its pointer valid while the returned handle lives).
template <class T>
Napi::Object new_device_array(const Napi::Env& env, int64_t n, T** ptr) {
  Napi::Object o = env.GetInstanceData<AddonData>()->device_array.Value().New(
      {Napi::String::New(env, ElemOf<T>::name), Napi::Number::New(env, double(n))});
  *ptr = static_cast<T*>(DeviceArray::Unwrap(o)->ptr());
  return o;
}

Napi::Value Spgemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemm";
  const Place at = place_of(info[5]);
  return by_float_type(env, at, info[5], op, "values", [&](auto tag) -> Napi::Value {
    using T = decltype(tag);
    const auto o = operands<T>(env, at, info, op);
    index_t* c_indptr = buf_arg<int32_t>(env, at, info[12], int64_t(o.A.rows) + 1, op, "cIndptr");
    Napi::Object indices, values;
    // Called once, on this (JS) thread, when nnz(C) is known (between the kernel's passes).
    auto allocate = [&](int64_t nnz) {
      CsrOut<T> out;
      if (at == Place::device) {
        indices = new_device_array<index_t>(env, nnz, &out.indices);
        values = new_device_array<T>(env, nnz, &out.values);
      } else {
        auto ix = uninit_array<int32_t>(env, nnz);
        auto vs = uninit_array<T>(env, nnz);
        out = CsrOut<T>{ix.Data(), vs.Data()};
        indices = ix;
        values = vs;
      }
      return out;
    };
    run_at(env, at, op, [&] { spgemm_cuda<T>(o.A.device(), o.B.device(), c_indptr, allocate); },
           [&] { spgemm_cpu<T>(pool_of(env), o.A.host(), o.B.host(), c_indptr, allocate); });
    auto result = Napi::Array::New(env, 2);
    result.Set(uint32_t{0}, indices);
    result.Set(uint32_t{1}, values);
    return result;
  });
}

Napi::Value Numeric(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemm";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto o = operands<T>(env, at, info, op);
    const Structure c = c_structure(env, at, info, 12, o.A.rows, op);
    T* c_values = buf_arg<T>(env, at, info[15], c.nnz, op, "cValues");
    run_at(env, at, op, [&] { spgemm_numeric_cuda<T>(o.A.device(), o.B.device(), c.indptr, c.indices, c_values); },
           [&] { spgemm_numeric_cpu<T>(pool_of(env), o.A.host(), o.B.host(), c.indptr, c.indices, c_values); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemm";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto o = operands<T>(env, at, info, op);
    const Structure c = c_structure(env, at, info, 12, o.A.rows, op);
    const T* v = buf_arg<T>(env, at, info[15], c.nnz, op, "v");
    T* dA = buf_arg_or_null<T>(env, at, info[16], o.A.nnz, op, "dA");
    T* dB = buf_arg_or_null<T>(env, at, info[17], o.B.nnz, op, "dB");
    run_at(env, at, op, [&] { spgemm_backward_cuda<T>(o.A.device(), o.B.device(), c.indptr, c.indices, v, dA, dB); },
           [&] { spgemm_backward_cpu<T>(pool_of(env), o.A.host(), o.B.host(), c.indptr, c.indices, v, dA, dB); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_spgemm(Napi::Env env, Napi::Object exports) {
  exports.Set("spgemm", Napi::Function::New(env, Spgemm));
  exports.Set("spgemmNumeric", Napi::Function::New(env, Numeric));
  exports.Set("spgemmBackward", Napi::Function::New(env, Backward));
}

}  // namespace sad::binding
