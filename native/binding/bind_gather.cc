// Bindings for the gathers and scatters of values through index maps (the
// kernels in native/core/structure.h), on the host or the device (storage.h):
//   gatherValues(idx, src, out)    out[q] = idx[q] < 0 ? 0 : src[idx[q]]
//   scatterValues(idx, src, out)   out = 0, then out[idx[q]] = src[q] where idx[q] >= 0
// The index maps are made by kernels and cached in TypeScript (ops/gather.ts),
// never taken from users; their entries cannot be checked here in O(1), only
// their lengths.
#include <algorithm>

#include "bindings.h"
#include "dense_ops.h"
#include "storage.h"
#include "structure.h"

namespace sad::binding {
namespace {

Napi::Value GatherValues(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "gather";
  const Place at = place_of(info[0]);
  int64_t n = 0;
  const index_t* idx = buf_arg<int32_t>(env, at, info[0], -1, op, "idx", &n);
  by_float_type(env, at, info[1], op, "src", [&](auto tag) {
    using T = decltype(tag);
    const T* src = buf_arg<T>(env, at, info[1], -1, op, "src");
    T* out = buf_arg<T>(env, at, info[2], n, op, "out");
    run_at(env, at, op, [&] { gather_cuda<T>(n, idx, src, out); }, [&] { gather_cpu<T>(pool_of(env), n, idx, src, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value ScatterValues(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "scatter";
  const Place at = place_of(info[0]);
  int64_t n = 0;
  const index_t* idx = buf_arg<int32_t>(env, at, info[0], -1, op, "idx", &n);
  by_float_type(env, at, info[1], op, "src", [&](auto tag) {
    using T = decltype(tag);
    const T* src = buf_arg<T>(env, at, info[1], n, op, "src");
    int64_t len = 0;
    T* out = buf_arg<T>(env, at, info[2], -1, op, "out", &len);
    run_at(env, at, op,
           [&] {
             fill_cuda<T>(len, T(0), out);
             scatter_cuda<T>(n, idx, src, out);
           },
           [&] {
             std::fill(out, out + len, T(0));
             scatter_cpu<T>(pool_of(env), n, idx, src, out);
           });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_gather(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherValues", Napi::Function::New(env, GatherValues));
  exports.Set("scatterValues", Napi::Function::New(env, ScatterValues));
}

}  // namespace sad::binding
