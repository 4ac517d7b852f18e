// Bindings for the spgemm kernels (see native/core/spgemm.h). A and B are each
// passed as (rows, cols, indptr, indices, values); C's structure comes from
// spgemm (TypeScript never builds it by other means).
//
// spgemm(A, B, cIndptr) -> [cIndices, cValues]     C = A B (writes cIndptr)
// spgemmNumeric(A, B, cIndptr, cIndices, cValues)   C's values on a known pattern
// spgemmBackward(A, B, cIndptr, cIndices, v, dA|null, dB|null)
//   dA = (V Bᵀ) ⊙ mask(A), dB = (Aᵀ V) ⊙ mask(B)
#include "bindings.h"
#include "spgemm.h"
#include "util.h"

namespace sad::binding {
namespace {

template <class T>
struct Operands {
  Csr<const T> A, B;
};

template <class T>
Operands<T> operands(const Napi::Env& env, const Napi::CallbackInfo& info, const char* op) {
  Operands<T> o{csr_arg<T>(env, info, 0, op, "A"), csr_arg<T>(env, info, 5, op, "B")};
  if (o.A.cols != o.B.rows) {
    throw_js(env, std::string(op) + ": A has " + std::to_string(o.A.cols) + " columns but B has " +
                      std::to_string(o.B.rows) + " rows");
  }
  return o;
}

// C's row pointers (A.rows + 1 entries) and its nnz, re-checked.
const index_t* c_indptr_arg(const Napi::Env& env, const Napi::Value& v, index_t rows, const char* op) {
  const index_t* ip = array_arg<int32_t>(env, v, static_cast<int64_t>(rows) + 1, op, "cIndptr");
  if (ip[0] != 0 || ip[rows] < 0) throw_js(env, std::string(op) + ": cIndptr is invalid");
  return ip;
}

// A fresh V8-owned typed array whose contents are not initialised (it is written
// in full): a Node Buffer's memory, as Buffer.allocUnsafeSlow gives.
template <class T>
Napi::TypedArrayOf<T> uninit_array(const Napi::Env& env, int64_t len) {
  auto buf = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(len) * sizeof(T));
  return Napi::TypedArrayOf<T>::New(env, static_cast<size_t>(len), buf.ArrayBuffer(), buf.ByteOffset());
}

Napi::Value Spgemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemm";
  return by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto o = operands<T>(env, info, op);
    index_t* c_indptr = array_arg<int32_t>(env, info[10], static_cast<int64_t>(o.A.rows) + 1, op, "cIndptr");
    Napi::Int32Array indices;
    Napi::TypedArrayOf<T> values;
    auto allocate = [&](int64_t nnz) {
      // Runs on the calling (JS) thread: the kernel asks once, between its passes.
      indices = uninit_array<int32_t>(env, nnz);
      values = uninit_array<T>(env, nnz);
      return CsrOut<T>{indices.Data(), values.Data()};
    };
    guarded(env, [&] { spgemm_cpu<T>(pool_of(env), o.A, o.B, c_indptr, allocate); return 0; });
    auto result = Napi::Array::New(env, 2);
    result.Set(uint32_t{0}, indices);
    result.Set(uint32_t{1}, values);
    return result;
  });
}

Napi::Value Numeric(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemmNumeric";
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto o = operands<T>(env, info, op);
    const index_t* c_indptr = c_indptr_arg(env, info[10], o.A.rows, op);
    const int64_t nnz = c_indptr[o.A.rows];
    const index_t* c_indices = array_arg<int32_t>(env, info[11], nnz, op, "cIndices");
    T* c_values = array_arg<T>(env, info[12], nnz, op, "cValues");
    guarded(env, [&] { spgemm_numeric_cpu<T>(pool_of(env), o.A, o.B, c_indptr, c_indices, c_values); return 0; });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spgemmBackward";
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto o = operands<T>(env, info, op);
    const index_t* c_indptr = c_indptr_arg(env, info[10], o.A.rows, op);
    const int64_t nnz = c_indptr[o.A.rows];
    const index_t* c_indices = array_arg<int32_t>(env, info[11], nnz, op, "cIndices");
    const T* v = array_arg<T>(env, info[12], nnz, op, "v");
    T* dA = array_arg_or_null<T>(env, info[13], o.A.nnz(), op, "dA");
    T* dB = array_arg_or_null<T>(env, info[14], o.B.nnz(), op, "dB");
    guarded(env, [&] { spgemm_backward_cpu<T>(pool_of(env), o.A, o.B, c_indptr, c_indices, v, dA, dB); return 0; });
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
