// Bindings for the sptrsv kernels (see native/core/sptrsv.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_sptrsv(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
