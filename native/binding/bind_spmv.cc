// Bindings for SpMV (native/core/spmv.h), on the host or the device (storage.h).
// A CSR operand A... is (rows, cols, nnz, indptr, indices, values).
//   spmv(A..., x, y)                                   y = A x
//   spmvBackward(A..., tIndptr, tIndices, perm, v, x, dA | null, dx | null[, vBroadcast])
//                                                      dA = (v xᵀ) ⊙ mask(A), dx = Aᵀ v, in one sweep
//                                                      over the transpose structure of A's pattern
// The transpose structure is the one ops/transpose_cache.ts computed and cached
// for this pattern (never user input: the public API cannot build one); the
// binding checks its sizes in O(1) (on the host also its ends), not its contents.
#include "bindings.h"
#include "spmv.h"
#include "storage.h"

namespace sad::binding {
namespace {

Napi::Value Spmv(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spmv";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto A = csr_at<T>(env, at, info, 0, op, "A");
    const T* x = buf_arg<T>(env, at, info[6], A.cols, op, "x");
    T* y = buf_arg<T>(env, at, info[7], A.rows, op, "y");
    run_at(env, at, op, [&] { spmv_cuda<T>(A.device(), x, y); }, [&] { spmv_cpu<T>(pool_of(env), A.host(), x, y); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value SpmvBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spmv";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto A = csr_at<T>(env, at, info, 0, op, "A");
    const index_t* t_indptr = buf_arg<int32_t>(env, at, info[6], int64_t(A.cols) + 1, op, "tIndptr");
    if (at == Place::host && (t_indptr[0] != 0 || t_indptr[A.cols] != A.nnz))
      throw_js(env, std::string(op) + ": transpose structure does not match A");
    const index_t* t_indices = buf_arg<int32_t>(env, at, info[7], A.nnz, op, "tIndices");
    const index_t* perm = buf_arg<int32_t>(env, at, info[8], A.nnz, op, "perm");
    const bool v_broadcast = broadcast_flag(env, info, 13, at, op, "v");  // v's entries all v[0]
    const T* v = buf_arg<T>(env, at, info[9], v_broadcast ? 1 : A.rows, op, "v");
    const T* x = buf_arg<T>(env, at, info[10], A.cols, op, "x");
    T* dA = buf_arg_or_null<T>(env, at, info[11], A.nnz, op, "dA");
    T* dx = buf_arg_or_null<T>(env, at, info[12], A.cols, op, "dx");
    run_at(
        env, at, op,
        [&] { spmv_backward_transposed_cuda<T>(A.device(), t_indptr, t_indices, perm, v, x, dA, dx); },
        [&] { spmv_backward_transposed_cpu<T>(pool_of(env), A.cols, t_indptr, t_indices, perm, A.values, v, x, dA, dx, v_broadcast); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_spmv(Napi::Env env, Napi::Object exports) {
  exports.Set("spmv", Napi::Function::New(env, Spmv));
  exports.Set("spmvBackward", Napi::Function::New(env, SpmvBackward));
}

}  // namespace sad::binding
