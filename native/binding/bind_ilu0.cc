// Binding for the ILU(0)/IC(0) factorization (see native/core/ilu0.h), the
// Krylov solvers' preconditioner setup; host arrays only (a sequential sweep).
//
// ilu0(n, indptr, indices, values, spd) -> [kind, row, pivot]
//     values (Float64Array, A's) are overwritten by L (unit lower) and U;
//     kind 0 = ok, 1 = row without a stored diagonal, 2 = pivot breakdown at row
#include "bindings.h"
#include "ilu0.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value Ilu0(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "ilu0";
  auto n = static_cast<index_t>(int_arg(env, info[0], op, "n"));
  const index_t* indptr = array_arg<int32_t>(env, info[1], n + 1, op, "indptr");
  if (indptr[0] != 0 || indptr[n] < 0) throw_js(env, std::string(op) + ": invalid indptr");
  const index_t* indices = array_arg<int32_t>(env, info[2], indptr[n], op, "indices");
  double* values = array_arg<double>(env, info[3], indptr[n], op, "values");
  Ilu0Check c = ilu0_factor_cpu(n, indptr, indices, values, bool_arg(info[4]));
  auto out = Napi::Array::New(env, 3);
  out.Set(uint32_t(0), Napi::Number::New(env, c.kind));
  out.Set(uint32_t(1), Napi::Number::New(env, c.row));
  out.Set(uint32_t(2), Napi::Number::New(env, c.pivot));
  return out;
}

}  // namespace

void register_ilu0(Napi::Env env, Napi::Object exports) {
  exports.Set("ilu0", Napi::Function::New(env, Ilu0));
}

}  // namespace sad::binding
