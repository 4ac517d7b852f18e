// Bindings for the sptrsv kernels (see native/core/sptrsv.h). The solves take
// host or device storage (storage.h); L... is (rows, cols, nnz, indptr, indices, values).
//
// sptrsvCheck(n, indptr, indices, lower, unit) -> [kind, row, col]
//     kind 0 = ok, 1 = entry on the wrong side at (row, col), 2 = no diagonal in row
// sptrsv(L..., b, x, k, lower, unit) -> -1 | row with a zero diagonal
//     x = L⁻¹ b, b and x row-major rows × k
// sptrsvBackward(L..., x, v, w, grad | null, k, lower, unit) -> -1 | row
//     w = L⁻ᵀ v and grad = −w xᵀ ⊙ mask(L) (summed over the k columns) in one call
// The triangular structure of L was checked (sptrsvCheck, once per pattern)
// before any solve: the synchronisation-free device solves wait on every row a
// row depends on, so they must only ever see a valid triangle with (unless
// unit) its diagonal stored.
// (dL's masked product is bind_sddmm.cc's maskedOuterSum.)
#include "bindings.h"
#include "sptrsv.h"
#include "storage.h"

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
  const Place at = place_of(info[5]);
  index_t bad = -1;
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto L = csr_at<T>(env, at, info, 0, op, "L");
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    const auto k = static_cast<index_t>(int_arg(env, info[8], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* b = buf_arg<T>(env, at, info[6], len, op, "b");
    T* x = buf_arg<T>(env, at, info[7], len, op, "x");
    const TriangularOptions opts{bool_arg(info[9]), bool_arg(info[10])};
    run_at(env, at, op, [&] { bad = sptrsv_cuda<T>(L.device(), opts, b, x, k); },
           [&] { bad = sptrsv_cpu<T>(pool_of(env), L.host(), opts, b, x, k); });
    return 0;
  });
  return Napi::Number::New(env, bad);
}

Napi::Value SptrsvBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsv";
  const Place at = place_of(info[5]);
  index_t bad = -1;
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto L = csr_at<T>(env, at, info, 0, op, "L");
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    const auto k = static_cast<index_t>(int_arg(env, info[10], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* x = buf_arg<T>(env, at, info[6], len, op, "x");
    const T* v = buf_arg<T>(env, at, info[7], len, op, "v");
    T* w = buf_arg<T>(env, at, info[8], len, op, "w");
    T* grad = buf_arg_or_null<T>(env, at, info[9], L.nnz, op, "grad");
    const TriangularOptions opts{bool_arg(info[11]), bool_arg(info[12])};
    run_at(env, at, op, [&] { bad = sptrsv_backward_cuda<T>(L.device(), opts, x, v, w, grad, k); },
           [&] { bad = sptrsv_backward_cpu<T>(pool_of(env), L.host(), opts, x, v, w, grad, k); });
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
