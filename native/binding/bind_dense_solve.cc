// Bindings for the dense direct solves (see native/core/dense_solve.h).
// denseLuFactor(n, LU, piv)                          LU: A in, its factors out (row-major n × n); piv: Int32Array(n) out
// denseLuSolve(n, k, LU, piv, transpose, B)          B (n × k) := A⁻¹ B or A⁻ᵀ B, in place
// denseTriSolve(n, k, L, lower, unit, transpose, B)  B (n × k) := op(L)⁻¹ B, in place
#include <string>

#include "bindings.h"
#include "dense_solve.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value LuFactor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "denseLuFactor";
  const int64_t n = int_arg(env, info[0], op, "n");
  int32_t* piv = array_arg<int32_t>(env, info[2], n, op, "piv");
  by_dtype(env, info[1], op, [&](auto tag) {
    using T = decltype(tag);
    T* LU = array_arg<T>(env, info[1], n * n, op, "LU");
    guarded(env, [&] { lu_factor_cpu<T>(pool_of(env), n, LU, piv, "denseSolve"); return 0; });
    return 0;
  });
  return env.Undefined();
}

Napi::Value LuSolve(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "denseLuSolve";
  const int64_t n = int_arg(env, info[0], op, "n");
  const int64_t k = int_arg(env, info[1], op, "k");
  const int32_t* piv = array_arg<int32_t>(env, info[3], n, op, "piv");
  // The swaps must stay inside B (an O(n) check beside an O(n²) solve).
  for (int64_t j = 0; j < n; ++j)
    if (piv[j] < j || piv[j] >= n) throw_js(env, std::string(op) + ": piv[" + std::to_string(j) + "] is out of range");
  const bool transpose = bool_arg(info[4]);
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    const T* LU = array_arg<T>(env, info[2], n * n, op, "LU");
    T* B = array_arg<T>(env, info[5], n * k, op, "B");
    guarded(env, [&] { lu_solve_cpu<T>(pool_of(env), n, k, LU, piv, transpose, B); return 0; });
    return 0;
  });
  return env.Undefined();
}

Napi::Value TriSolve(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "denseTriSolve";
  const int64_t n = int_arg(env, info[0], op, "n");
  const int64_t k = int_arg(env, info[1], op, "k");
  const bool lower = bool_arg(info[3]);
  const bool unit = bool_arg(info[4]);
  const bool transpose = bool_arg(info[5]);
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    const T* L = array_arg<T>(env, info[2], n * n, op, "L");
    T* B = array_arg<T>(env, info[6], n * k, op, "B");
    guarded(env, [&] { tri_solve_cpu<T>(pool_of(env), n, k, L, lower, unit, transpose, B); return 0; });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_dense_solve(Napi::Env env, Napi::Object exports) {
  dense_solve_init();
  exports.Set("denseLuFactor", Napi::Function::New(env, LuFactor));
  exports.Set("denseLuSolve", Napi::Function::New(env, LuSolve));
  exports.Set("denseTriSolve", Napi::Function::New(env, TriSolve));
}

}  // namespace sad::binding
