// Bindings for the spadd kernels (see native/core/spadd.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_spadd(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
