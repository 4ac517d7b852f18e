// One registration function per op's binding file (bind_<op>.cc).
#pragma once

#include <napi.h>

namespace sad {
class SparseCholesky;
}

namespace sad::binding {

// The CHOLMOD factor behind a cholFactor handle (bind_cholesky.cc); throws naming
// `op` for anything else or a disposed factor. For DeviceLU's Cholesky form.
SparseCholesky& cholesky_arg(const Napi::Env& env, const Napi::Value& v, const char* op);

void register_spmv(Napi::Env env, Napi::Object exports);
void register_spgemm(Napi::Env env, Napi::Object exports);
void register_spadd(Napi::Env env, Napi::Object exports);
void register_spdmm(Napi::Env env, Napi::Object exports);
void register_sptrsv(Napi::Env env, Napi::Object exports);
void register_spsolve(Napi::Env env, Napi::Object exports);
void register_cholesky(Napi::Env env, Napi::Object exports);
void register_dense(Napi::Env env, Napi::Object exports);
// The dense ops, each on host or device storage (bind_dense_ops.cc).
void register_dense_ops(Napi::Env env, Napi::Object exports);
void register_structure(Napi::Env env, Napi::Object exports);
void register_gather(Napi::Env env, Napi::Object exports);
void register_sddmm(Napi::Env env, Napi::Object exports);
void register_mtx(Napi::Env env, Napi::Object exports);
void register_bench(Napi::Env env, Napi::Object exports);
void register_dense_solve(Napi::Env env, Napi::Object exports);
void register_device(Napi::Env env, Napi::Object exports);
void register_ilu0(Napi::Env env, Napi::Object exports);

inline void register_all(Napi::Env env, Napi::Object exports) {
  register_spmv(env, exports);
  register_spgemm(env, exports);
  register_spadd(env, exports);
  register_spdmm(env, exports);
  register_sptrsv(env, exports);
  register_spsolve(env, exports);
  register_cholesky(env, exports);
  register_dense(env, exports);
  register_dense_ops(env, exports);
  register_structure(env, exports);
  register_gather(env, exports);
  register_sddmm(env, exports);
  register_mtx(env, exports);
  register_bench(env, exports);
  register_dense_solve(env, exports);
  register_device(env, exports);
  register_ilu0(env, exports);
}

}  // namespace sad::binding
