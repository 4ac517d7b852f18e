// Bindings for the spdmm kernels (see native/core/spdmm.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_spdmm(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
