// Bindings for the spsolve kernels (see native/core/spsolve.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_spsolve(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
