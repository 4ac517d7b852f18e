// Bindings for CPU dropout on the generator's stream (native/core/host_random.h):
//   dropoutStream(state, threshold, scale, x, out, keep)   state: the generator's words, an Int32Array(4), advanced in place
//   dropoutKeepBackward(scale, keep, g, dx)
//   uniformStream(state, low, high, out)                     rand(): out = low + (high − low) · Generator.uniform(), per entry
// x, out, g, dx: Float32Array or Float64Array of one dtype; keep: Uint8Array.
#include <string>

#include "bindings.h"
#include "host_random.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value DropoutStream(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "dropout";
  uint32_t* state = reinterpret_cast<uint32_t*>(array_arg<int32_t>(env, info[0], 4, op, "state"));
  const double threshold = num_arg(env, info[1], op, "threshold");
  const double scale = num_arg(env, info[2], op, "scale");
  by_dtype(env, info[3], op, [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = array_len<T>(info[3]);
    const T* x = array_arg<T>(env, info[3], n, op, "x");
    T* out = array_arg<T>(env, info[4], n, op, "out");
    uint8_t* keep = array_arg<uint8_t>(env, info[5], n, op, "keep");
    dropout_stream_cpu<T>(state, n, threshold, scale, x, out, keep);
    return 0;
  });
  return env.Undefined();
}

Napi::Value DropoutKeepBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "dropout";
  const double scale = num_arg(env, info[0], op, "scale");
  const int64_t n = array_len<uint8_t>(info[1]);
  const uint8_t* keep = array_arg<uint8_t>(env, info[1], n, op, "keep");
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    const T* g = array_arg<T>(env, info[2], n, op, "g");
    T* dx = array_arg<T>(env, info[3], n, op, "dx");
    dropout_keep_backward_cpu<T>(n, scale, keep, g, dx);
    return 0;
  });
  return env.Undefined();
}

Napi::Value UniformStream(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "rand";
  uint32_t* state = reinterpret_cast<uint32_t*>(array_arg<int32_t>(env, info[0], 4, op, "state"));
  const double low = num_arg(env, info[1], op, "low");
  const double high = num_arg(env, info[2], op, "high");
  by_dtype(env, info[3], op, [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = array_len<T>(info[3]);
    uniform_stream_cpu<T>(state, n, low, high, array_arg<T>(env, info[3], n, op, "out"));
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_host_random(Napi::Env env, Napi::Object exports) {
  exports.Set("dropoutStream", Napi::Function::New(env, DropoutStream));
  exports.Set("dropoutKeepBackward", Napi::Function::New(env, DropoutKeepBackward));
  exports.Set("uniformStream", Napi::Function::New(env, UniformStream));
}

}  // namespace sad::binding
