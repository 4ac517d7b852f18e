// One registration function per op's binding file (bind_<op>.cc).
#pragma once

#include <napi.h>

namespace sad::binding {

void register_spmv(Napi::Env env, Napi::Object exports);
// (other ops register here)

inline void register_all(Napi::Env env, Napi::Object exports) {
  register_spmv(env, exports);
}

}  // namespace sad::binding
