// Bindings for the dense kernels (see native/core/dense.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_dense(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
