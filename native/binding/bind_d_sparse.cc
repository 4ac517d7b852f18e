// Device ('cuda') bindings of the sparse ops. Conventions (device_array.h):
// a CSR operand is six arguments (rows, cols, nnz, indptr, indices, values)
// with device arrays for the last three; outputs are device arrays the caller
// allocated; on_device() runs the CUDA kernel on a GPU and the CPU kernel on
// the emulated device.
//
//   dSpmv(A..., x, y)                    y = A x
//   dSpmvBackward(A..., v, x, dA|null, dx|null)
//                                        dA = (v xᵀ) ⊙ mask(A), dx = Aᵀ v (atomics on the GPU)
#include "bindings.h"
#include "device_array.h"
#include "spmv.h"

namespace sad::binding {
namespace {

Napi::Value DSpmv(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spmv";
  by_device_dtype(env, info[5], op, [&](auto tag) {
    using T = decltype(tag);
    const auto A = dcsr_arg<T>(env, info, 0, op);
    const T* x = dev_arg<T>(env, info[6], A.cols, op, "x");
    T* y = dev_arg<T>(env, info[7], A.rows, op, "y");
    on_device(env, op, [&] { spmv_cuda<T>(A, x, y); }, [&] { spmv_cpu<T>(pool_of(env), host_view(A), x, y); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DSpmvBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spmv";
  by_device_dtype(env, info[5], op, [&](auto tag) {
    using T = decltype(tag);
    const auto A = dcsr_arg<T>(env, info, 0, op);
    const T* v = dev_arg<T>(env, info[6], A.rows, op, "v");
    const T* x = dev_arg<T>(env, info[7], A.cols, op, "x");
    T* dA = dev_arg_or_null<T>(env, info[8], A.nnz, op, "dA");
    T* dx = dev_arg_or_null<T>(env, info[9], A.cols, op, "dx");
    on_device(env, op, [&] { spmv_backward_cuda<T>(A, v, x, dA, dx); },
              [&] { spmv_backward_cpu<T>(pool_of(env), host_view(A), v, x, dA, dx); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_d_sparse(Napi::Env env, Napi::Object exports) {
  exports.Set("dSpmv", Napi::Function::New(env, DSpmv));
  exports.Set("dSpmvBackward", Napi::Function::New(env, DSpmvBackward));
}

}  // namespace sad::binding
