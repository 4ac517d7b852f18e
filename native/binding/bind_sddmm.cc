// Binding for SDDMM (native/core/sddmm.h), on the host or the device (storage.h):
//   maskedOuterSum(rows, cols, nnz, indptr, indices, u, x, k, alpha, skipDiagonal, out)
//       out[p] = alpha Σ_c u[i, c] x[j, c] for p = (i, j); u is rows × k, x is cols × k (row-major)
#include "bindings.h"
#include "sddmm.h"
#include "storage.h"

namespace sad::binding {
namespace {

Napi::Value MaskedOuterSum(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "maskedOuterSum";
  const Place at = place_of(info[5]);
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const int64_t cols = int_arg(env, info[1], op, "cols");
  const int64_t nnz = int_arg(env, info[2], op, "nnz");
  const index_t* indptr = buf_arg<int32_t>(env, at, info[3], int64_t(rows) + 1, op, "indptr");
  if (at == Place::host && (indptr[0] != 0 || indptr[rows] != nnz)) throw_js(env, std::string(op) + ": invalid indptr");
  const index_t* indices = buf_arg<int32_t>(env, at, info[4], nnz, op, "indices");
  const auto k = static_cast<index_t>(int_arg(env, info[7], op, "k"));
  const double alpha = num_arg(env, info[8], op, "alpha");
  const bool skip_diagonal = bool_arg(info[9]);
  by_float_type(env, at, info[5], op, "u", [&](auto tag) {
    using T = decltype(tag);
    const T* u = buf_arg<T>(env, at, info[5], int64_t(rows) * k, op, "u");
    const T* x = buf_arg<T>(env, at, info[6], cols * k, op, "x");
    T* out = buf_arg<T>(env, at, info[10], nnz, op, "out");
    run_at(env, at, op,
           [&] { masked_outer_sum_cuda<T>(rows, nnz, indptr, indices, u, x, k, T(alpha), skip_diagonal, out); },
           [&] { masked_outer_sum_cpu<T>(pool_of(env), rows, indptr, indices, u, x, k, T(alpha), skip_diagonal, out); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_sddmm(Napi::Env env, Napi::Object exports) {
  exports.Set("maskedOuterSum", Napi::Function::New(env, MaskedOuterSum));
}

}  // namespace sad::binding
