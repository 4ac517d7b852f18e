// Bindings for the sptrsv kernels (see native/core/sptrsv.h).
//
// sptrsvCheck(n, indptr, indices, lower, unit) -> [kind, row, col]
//     kind 0 = ok, 1 = entry on the wrong side at (row, col), 2 = no diagonal in row
// sptrsv(rows, cols, indptr, indices, values, b, x, k, lower, unit) -> -1 | row with a zero diagonal
//     x = L⁻¹ b, b and x row-major rows × k
// sptrsvBackward(rows, cols, indptr, indices, values, x, v, w, k, lower, unit, grad | null) -> -1 | row
//     w = L⁻ᵀ v and grad = −w xᵀ ⊙ mask(L) (summed over the k columns) in one call
// (dL's masked product is bind_sddmm.cc's maskedOuterSum.)
#include "bindings.h"
#include "sptrsv.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value SptrsvCheck(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsvCheck";
  auto n = static_cast<index_t>(int_arg(env, info[0], op, "n"));
  const index_t* indptr = array_arg<int32_t>(env, info[1], n + 1, op, "indptr");
  if (indptr[0] != 0 || indptr[n] < 0) throw_js(env, std::string(op) + ": invalid indptr");
  const index_t* indices = array_arg<int32_t>(env, info[2], indptr[n], op, "indices");
  TriangularOptions opts{bool_arg(info[3]), bool_arg(info[4])};
  TriangularCheck c = sptrsv_check_structure(indptr, indices, n, opts);
  auto out = Napi::Array::New(env, 3);
  out.Set(uint32_t(0), Napi::Number::New(env, c.kind));
  out.Set(uint32_t(1), Napi::Number::New(env, c.row));
  out.Set(uint32_t(2), Napi::Number::New(env, c.col));
  return out;
}

Napi::Value Sptrsv(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsv";
  index_t bad = -1;
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto L = csr_arg<T>(env, info, 0, op, "L");
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    auto k = static_cast<index_t>(int_arg(env, info[7], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* b = array_arg<T>(env, info[5], len, op, "b");
    T* x = array_arg<T>(env, info[6], len, op, "x");
    TriangularOptions opts{bool_arg(info[8]), bool_arg(info[9])};
    bad = guarded(env, [&] { return sptrsv_cpu<T>(pool_of(env), L, opts, b, x, k); });
    return 0;
  });
  return Napi::Number::New(env, bad);
}

Napi::Value SptrsvBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsvBackward";
  index_t bad = -1;
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto L = csr_arg<T>(env, info, 0, op, "L");
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    auto k = static_cast<index_t>(int_arg(env, info[8], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* x = array_arg<T>(env, info[5], len, op, "x");
    const T* v = array_arg<T>(env, info[6], len, op, "v");
    T* w = array_arg<T>(env, info[7], len, op, "w");
    TriangularOptions opts{bool_arg(info[9]), bool_arg(info[10])};
    T* grad = array_arg_or_null<T>(env, info[11], L.nnz(), op, "grad");
    bad = guarded(env, [&] { return sptrsv_backward_cpu<T>(pool_of(env), L, opts, x, v, w, grad, k); });
    return 0;
  });
  return Napi::Number::New(env, bad);
}

}  // namespace

void register_sptrsv(Napi::Env env, Napi::Object exports) {
  exports.Set("sptrsvCheck", Napi::Function::New(env, SptrsvCheck));
  exports.Set("sptrsv", Napi::Function::New(env, Sptrsv));
  exports.Set("sptrsvBackward", Napi::Function::New(env, SptrsvBackward));
}

}  // namespace sad::binding
