// streamReadSum(Float64Array, reps): a single-threaded streaming read, for
// measuring this machine's read bandwidth beside the kernel benchmarks.
#include "bench.h"
#include "bindings.h"
#include "util.h"

namespace sad::binding {
namespace {

Napi::Value StreamReadSum(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const double* a = array_arg<double>(env, info[0], -1, "streamReadSum", "data");
  int64_t n = array_len<double>(info[0]);
  int reps = static_cast<int>(int_arg(env, info[1], "streamReadSum", "reps"));
  return Napi::Number::New(env, stream_read_sum(a, n, reps));
}

}  // namespace

void register_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("streamReadSum", Napi::Function::New(env, StreamReadSum));
}

}  // namespace sad::binding
