// Bindings for the dense kernels (see native/core/dense.h).
// gemm(transA, transB, m, n, k, A, B, C)          C = op(A) op(B): host arrays (OpenBLAS when built in)
//                                                 or device arrays (gemm_cuda; the CPU GEMM when emulated)
// gemmBuiltin(transA, transB, m, n, k, A, B, C)   the same with the engine's own loops
// gemmBackend()                                   "openblas" | "builtin"
#include "bindings.h"
#include "dense.h"
#include "storage.h"
#include "util.h"

namespace sad::binding {
namespace {

template <bool kBuiltin>
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = kBuiltin ? "gemmBuiltin" : "gemm";
  const bool ta = bool_arg(info[0]);
  const bool tb = bool_arg(info[1]);
  const int64_t m = int_arg(env, info[2], op, "m");
  const int64_t n = int_arg(env, info[3], op, "n");
  const int64_t k = int_arg(env, info[4], op, "k");
  CallPlace pl{op};
  by_float_type(env, info[5], op, "A", [&](auto tag) {
    using T = decltype(tag);
    const T* A = data_arg<T>(env, pl, info[5], m * k, "A");
    const T* B = data_arg<T>(env, pl, info[6], k * n, "B");
    T* C = data_arg<T>(env, pl, info[7], m * n, "C");
    auto cpu = [&] {
      if (kBuiltin) gemm_builtin_cpu<T>(pool_of(env), ta, tb, m, n, k, A, B, C);
      else gemm_cpu<T>(pool_of(env), ta, tb, m, n, k, A, B, C);
    };
    run_on(env, pl, cpu, [&] { gemm_cuda<T>(ta, tb, m, n, k, A, B, C); }, cpu);
    return 0;
  });
  return env.Undefined();
}

Napi::Value GemmBackend(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), gemm_backend());
}

}  // namespace

void register_dense(Napi::Env env, Napi::Object exports) {
  gemm_init();
  exports.Set("gemm", Napi::Function::New(env, Gemm<false>));
  exports.Set("gemmBuiltin", Napi::Function::New(env, Gemm<true>));
  exports.Set("gemmBackend", Napi::Function::New(env, GemmBackend));
}

}  // namespace sad::binding
