// Device ('cuda') bindings: dense ops. See device_array.h for the conventions.
#include "bindings.h"
#include "device_array.h"

namespace sad::binding {

void register_d_dense(Napi::Env, Napi::Object) {}

}  // namespace sad::binding
