// Bindings for the MatrixMarket parser (see native/core/mtx.h).
#include "bindings.h"
#include "util.h"

namespace sad::binding {

void register_mtx(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace sad::binding
