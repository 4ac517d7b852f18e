// Device ('cuda') bindings of the sparse ops. Conventions (device_array.h):
// a CSR operand is six arguments (rows, cols, nnz, indptr, indices, values)
// with device arrays for the last three; outputs are device arrays the caller
// allocated; on_device() runs the CUDA kernel on a GPU and the CPU kernel on
// the emulated device.
//
//   dSpaddSymbolic(rows, aNnz, aIndptr, aIndices, bNnz, bIndptr, bIndices, cIndptr) -> nnz(C)
//   dSpaddStructure(rows, aNnz, aIndptr, aIndices, bNnz, bIndptr, bIndices, cNnz, cIndptr, cIndices, mapA, mapB)
//   dSpaddValues(rows, cNnz, cIndptr, aNnz, aIndptr, a, mapA|null, bNnz, bIndptr, b, mapB|null, alpha, beta, c)
//                                        c = α a + β b through the maps (null: the identity)
//   dSpaddBackward(v, cNnz, nA, mapA|null, a|null, alpha, dA|null, nB, mapB|null, b|null, beta, dB|null)
//                                        -> [⟨V, A⟩, ⟨V, B⟩]; dA = α V ⊙ mask(A), dB = β V ⊙ mask(B)
//   dTransposeStructure(rows, cols, nnz, indptr, indices, tIndptr, tIndices, perm, inv|null)
//
// Index arrays that the kernels follow (C's structure, the spadd maps, perm,
// gather/scatter indices) are made by kernels and cached in TypeScript, never
// taken from users; their entries cannot be checked here in O(1), only their
// lengths, and the nnz arguments are the ones of the patterns they came with.
#include <algorithm>
#include <vector>

#include "bindings.h"
#include "dense_ops.h"
#include "device_array.h"
#include "spadd.h"
#include "spdmm.h"
#include "spgemm.h"
#include "spmv.h"
#include "structure.h"

namespace sad::binding {
namespace {

// A pattern on the device from info[at..at+2]: nnz, indptr (rows + 1), indices (nnz).
struct DeviceStructure {
  int64_t nnz;
  const index_t* indptr;
  const index_t* indices;
};

DeviceStructure pattern_arg(const Napi::Env& env, const Napi::CallbackInfo& info, size_t at, index_t rows,
                            const char* op, const char* nnz_name, const char* indptr_name, const char* indices_name) {
  DeviceStructure p;
  p.nnz = int_arg(env, info[at], op, nnz_name);
  p.indptr = dev_arg<int32_t>(env, info[at + 1], int64_t(rows) + 1, op, indptr_name);
  p.indices = dev_arg<int32_t>(env, info[at + 2], p.nnz, op, indices_name);
  return p;
}

// ---------------------------------------------------------------------------
// Sparse + sparse

// A map argument: null is the identity (the operand's entries are C's, one for
// one, so it needs C's nnz). An empty map's device pointer is null, so it gets a
// stand-in that is never read, to stay distinct from the identity.
const index_t* map_arg(const Napi::Env& env, const Napi::Value& v, int64_t n, int64_t c_nnz, const char* op,
                       const char* name) {
  static const index_t kNoEntries = 0;
  if (!given(v)) {
    if (n != c_nnz) throw_js(env, std::string(op) + ": an identity " + name + " needs the operand to have C's nnz");
    return nullptr;
  }
  const index_t* map = dev_arg<int32_t>(env, v, n, op, name);
  return map ? map : &kNoEntries;
}

Napi::Value DSpaddSymbolic(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const DeviceStructure a = pattern_arg(env, info, 1, rows, op, "aNnz", "aIndptr", "aIndices");
  const DeviceStructure b = pattern_arg(env, info, 4, rows, op, "bNnz", "bIndptr", "bIndices");
  index_t* c_indptr = dev_arg<int32_t>(env, info[7], int64_t(rows) + 1, op, "cIndptr");
  int64_t nnz = 0;
  on_device(env, op, [&] { nnz = spadd_symbolic_cuda(rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr); },
            [&] { nnz = spadd_symbolic_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr); });
  return Napi::Number::New(env, double(nnz));
}

Napi::Value DSpaddStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const DeviceStructure a = pattern_arg(env, info, 1, rows, op, "aNnz", "aIndptr", "aIndices");
  const DeviceStructure b = pattern_arg(env, info, 4, rows, op, "bNnz", "bIndptr", "bIndices");
  const int64_t c_nnz = int_arg(env, info[7], op, "cNnz");
  const index_t* c_indptr = dev_arg<int32_t>(env, info[8], int64_t(rows) + 1, op, "cIndptr");
  index_t* c_indices = dev_arg<int32_t>(env, info[9], c_nnz, op, "cIndices");
  index_t* map_a = dev_arg<int32_t>(env, info[10], a.nnz, op, "mapA");
  index_t* map_b = dev_arg<int32_t>(env, info[11], b.nnz, op, "mapB");
  on_device(env, op,
            [&] { spadd_structure_cuda(rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr, c_indices, map_a, map_b); },
            [&] {
              spadd_structure_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr, c_indices,
                                  map_a, map_b);
            });
  return env.Undefined();
}

Napi::Value DSpaddValues(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const int64_t c_nnz = int_arg(env, info[1], op, "cNnz");
  const index_t* c_indptr = dev_arg<int32_t>(env, info[2], int64_t(rows) + 1, op, "cIndptr");
  const int64_t a_nnz = int_arg(env, info[3], op, "aNnz");
  const index_t* a_indptr = dev_arg<int32_t>(env, info[4], int64_t(rows) + 1, op, "aIndptr");
  const int64_t b_nnz = int_arg(env, info[7], op, "bNnz");
  const index_t* b_indptr = dev_arg<int32_t>(env, info[8], int64_t(rows) + 1, op, "bIndptr");
  by_device_dtype(env, info[13], op, "c", [&](auto tag) {
    using T = decltype(tag);
    const T* a = dev_arg<T>(env, info[5], a_nnz, op, "a");
    const index_t* map_a = map_arg(env, info[6], a_nnz, c_nnz, op, "mapA");
    const T* b = dev_arg<T>(env, info[9], b_nnz, op, "b");
    const index_t* map_b = map_arg(env, info[10], b_nnz, c_nnz, op, "mapB");
    const T alpha = static_cast<T>(num_arg(env, info[11], op, "alpha"));
    const T beta = static_cast<T>(num_arg(env, info[12], op, "beta"));
    T* c = dev_arg<T>(env, info[13], c_nnz, op, "c");
    on_device(env, op, [&] { spadd_values_cuda<T>(c_nnz, a_nnz, a, map_a, b_nnz, b, map_b, alpha, beta, c); },
              [&] {
                spadd_values_cpu<T>(pool_of(env), rows, c_indptr, a_indptr, a, map_a, b_indptr, b, map_b, alpha, beta, c);
              });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DSpaddBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  return by_device_dtype(env, info[0], op, "v", [&](auto tag) -> Napi::Value {
    using T = decltype(tag);
    const int64_t c_nnz = int_arg(env, info[1], op, "cNnz");
    const T* v = dev_arg<T>(env, info[0], c_nnz, op, "v");
    // One side from info[at..at+5]: n, map|null, x|null, scale, out|null.
    auto side = [&](size_t at, const char* n_name, const char* map_name) {
      SpaddGrad<T> g;
      g.n = int_arg(env, info[at], op, n_name);
      g.map = map_arg(env, info[at + 1], g.n, c_nnz, op, map_name);
      g.x = dev_arg_or_null<T>(env, info[at + 2], g.n, op, "x");
      g.scale = static_cast<T>(num_arg(env, info[at + 3], op, "scale"));
      g.out = dev_arg_or_null<T>(env, info[at + 4], g.n, op, "out");
      return g;
    };
    SpaddGrad<T> a = side(2, "nA", "mapA");
    SpaddGrad<T> b = side(7, "nB", "mapB");
    on_device(env, op, [&] { spadd_backward_cuda<T>(v, a, b); }, [&] { spadd_backward_cpu<T>(pool_of(env), v, a, b); });
    auto dots = Napi::Array::New(env, 2);
    dots.Set(uint32_t{0}, Napi::Number::New(env, a.dot));
    dots.Set(uint32_t{1}, Napi::Number::New(env, b.dot));
    return dots;
  });
}

// ---------------------------------------------------------------------------
// SpDMM

// ---------------------------------------------------------------------------
// Structure: transpose, and the gathers/scatters of the structural ops

Napi::Value DTransposeStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "transpose";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const auto cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  const int64_t nnz = int_arg(env, info[2], op, "nnz");
  const index_t* indptr = dev_arg<int32_t>(env, info[3], int64_t(rows) + 1, op, "indptr");
  const index_t* indices = dev_arg<int32_t>(env, info[4], nnz, op, "indices");
  index_t* t_indptr = dev_arg<int32_t>(env, info[5], int64_t(cols) + 1, op, "tIndptr");
  index_t* t_indices = dev_arg<int32_t>(env, info[6], nnz, op, "tIndices");
  index_t* perm = dev_arg<int32_t>(env, info[7], nnz, op, "perm");
  index_t* inv = dev_arg_or_null<int32_t>(env, info[8], nnz, op, "inv");
  on_device(env, op, [&] { transpose_structure_cuda(rows, cols, nnz, indptr, indices, t_indptr, t_indices, perm, inv); },
            [&] {
              // The CPU kernel always writes inv.
              std::vector<index_t> scratch(inv ? 0 : size_t(nnz));
              transpose_structure_cpu(rows, cols, indptr, indices, t_indptr, t_indices, perm, inv ? inv : scratch.data());
            });
  return env.Undefined();
}

}  // namespace

void register_d_sparse(Napi::Env env, Napi::Object exports) {
  exports.Set("dSpaddSymbolic", Napi::Function::New(env, DSpaddSymbolic));
  exports.Set("dSpaddStructure", Napi::Function::New(env, DSpaddStructure));
  exports.Set("dSpaddValues", Napi::Function::New(env, DSpaddValues));
  exports.Set("dSpaddBackward", Napi::Function::New(env, DSpaddBackward));
  exports.Set("dTransposeStructure", Napi::Function::New(env, DTransposeStructure));
}

}  // namespace sad::binding
