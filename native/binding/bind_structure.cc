// Bindings for the structure kernels (see native/core/structure.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_structure(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
