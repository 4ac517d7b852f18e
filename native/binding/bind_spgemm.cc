// Bindings for the spgemm kernels (see native/core/spgemm.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_spgemm(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
