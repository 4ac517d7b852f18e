// spmv(rows, cols, indptr, indices, values, x, y)   y = A x
// spmvBackwardTransposed(...)                        both VJPs (below)
#include "bindings.h"
#include "spmv.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value Spmv(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  by_dtype(env, info[4], "spmv", [&](auto tag) {
    using T = decltype(tag);
    auto A = csr_arg<T>(env, info, 0, "spmv", "A");
    const T* x = array_arg<T>(env, info[5], A.cols, "spmv", "x");
    T* y = array_arg<T>(env, info[6], A.rows, "spmv", "y");
    guarded(env, [&] { spmv_cpu<T>(pool_of(env), A, x, y); return 0; });
    return 0;
  });
  return env.Undefined();
}

// spmvBackwardTransposed(rows, cols, indptr, indices, values, tIndptr, tIndices, perm, v, x, dA | null, dx | null)
// The transpose structure is the one ops/structure.ts computed and cached for
// this pattern (never user input: the public API cannot build one); the binding
// checks its sizes in O(1), not its contents.
Napi::Value SpmvBackwardTransposed(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spmvBackwardTransposed";
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto A = csr_arg<T>(env, info, 0, op, "A");
    const int64_t nnz = A.nnz();
    const index_t* tp = array_arg<int32_t>(env, info[5], A.cols + 1, op, "tIndptr");
    if (tp[0] != 0 || tp[A.cols] != nnz) throw_js(env, std::string(op) + ": transpose structure does not match A");
    const index_t* ti = array_arg<int32_t>(env, info[6], nnz, op, "tIndices");
    const index_t* perm = array_arg<int32_t>(env, info[7], nnz, op, "perm");
    const T* v = array_arg<T>(env, info[8], A.rows, op, "v");
    const T* x = array_arg<T>(env, info[9], A.cols, op, "x");
    T* dA = array_arg_or_null<T>(env, info[10], nnz, op, "dA");
    T* dx = array_arg_or_null<T>(env, info[11], A.cols, op, "dx");
    guarded(env, [&] {
      spmv_backward_transposed_cpu<T>(pool_of(env), A.cols, tp, ti, perm, A.values, v, x, dA, dx);
      return 0;
    });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_spmv(Napi::Env env, Napi::Object exports) {
  exports.Set("spmv", Napi::Function::New(env, Spmv));
  exports.Set("spmvBackwardTransposed", Napi::Function::New(env, SpmvBackwardTransposed));
}

}  // namespace sad::binding
