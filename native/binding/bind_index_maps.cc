// Bindings for the host index maps (native/core/index_maps.h):
//   iota(out)                                          out[i] = i (Float32Array or Float64Array)
//   whereMaps(cond, cShape, aShape, bShape, shape, pickA, pickB)
//       where's picks; cond a Uint8Array, Float32Array or Float64Array (nonzero = true)
//   kronMaps(aRows, aIndptr, bRows, bIndptr, pa, pb)   kron's entry pairs
//   selectionStructure(idx, indptr) -> indices          a partial selection's structure
// TypeScript checks the shapes broadcast; here the shapes are re-checked against
// the arrays' lengths, so no map can point outside them.
#include <string>
#include <vector>

#include "bindings.h"
#include "index_maps.h"
#include "util.h"

namespace sad::binding {
namespace {

std::vector<int64_t> dims_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  if (!v.IsArray()) throw_js(env, std::string(op) + ": expected an array of dimensions for " + name);
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> s(a.Length());
  for (uint32_t d = 0; d < a.Length(); ++d) s[d] = int_arg(env, a.Get(d), op, name);
  return s;
}

int64_t count(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// in right-aligned to out broadcasts (each axis equal or 1, no more axes than out).
void check_broadcasts(const Napi::Env& env, const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                      const char* op, const char* name) {
  bool ok = in.size() <= out.size();
  for (size_t k = 0; ok && k < in.size(); ++k) {
    const int64_t d = in[in.size() - 1 - k];
    ok = d == 1 || d == out[out.size() - 1 - k];
  }
  if (!ok) throw_js(env, std::string(op) + ": " + name + "'s shape does not broadcast to the output's");
}

Napi::Value Iota(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "arange";
  if (dtype_of(env, info[0], op, "out") == DType::f64) {
    iota_cpu<double>(array_len<double>(info[0]), array_arg<double>(env, info[0], -1, op, "out"));
  } else {
    iota_cpu<float>(array_len<float>(info[0]), array_arg<float>(env, info[0], -1, op, "out"));
  }
  return env.Undefined();
}

Napi::Value WhereMaps(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "where";
  const auto cs = dims_arg(env, info[1], op, "cShape");
  const auto as = dims_arg(env, info[2], op, "aShape");
  const auto bs = dims_arg(env, info[3], op, "bShape");
  const auto shape = dims_arg(env, info[4], op, "shape");
  check_broadcasts(env, cs, shape, op, "cond");
  check_broadcasts(env, as, shape, op, "a");
  check_broadcasts(env, bs, shape, op, "b");
  const int64_t n = count(shape);
  if (n > 2147483647) throw_js(env, std::string(op) + ": the result has more than 2^31 - 1 entries");
  int32_t* pick_a = array_arg<int32_t>(env, info[5], n, op, "pickA");
  int32_t* pick_b = array_arg<int32_t>(env, info[6], n, op, "pickB");
  const auto sc = broadcast_strides(cs, shape);
  const auto sa = broadcast_strides(as, shape);
  const auto sb = broadcast_strides(bs, shape);
  const int64_t nc = count(cs);
  if (!info[0].IsTypedArray()) throw_js(env, std::string(op) + ": expected a Uint8Array, Float32Array or Float64Array for cond");
  switch (info[0].As<Napi::TypedArray>().TypedArrayType()) {
    case napi_uint8_array: where_maps_cpu(shape, array_arg<uint8_t>(env, info[0], nc, op, "cond"), sc, sa, sb, pick_a, pick_b); break;
    case napi_float32_array: where_maps_cpu(shape, array_arg<float>(env, info[0], nc, op, "cond"), sc, sa, sb, pick_a, pick_b); break;
    case napi_float64_array: where_maps_cpu(shape, array_arg<double>(env, info[0], nc, op, "cond"), sc, sa, sb, pick_a, pick_b); break;
    default: throw_js(env, std::string(op) + ": expected a Uint8Array, Float32Array or Float64Array for cond");
  }
  return env.Undefined();
}

Napi::Value KronMaps(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "kron";
  const auto a_rows = static_cast<index_t>(int_arg(env, info[0], op, "aRows"));
  const index_t* a_indptr = array_arg<int32_t>(env, info[1], a_rows + 1, op, "aIndptr");
  const auto b_rows = static_cast<index_t>(int_arg(env, info[2], op, "bRows"));
  const index_t* b_indptr = array_arg<int32_t>(env, info[3], b_rows + 1, op, "bIndptr");
  const int64_t nnz = static_cast<int64_t>(a_indptr[a_rows]) * b_indptr[b_rows];
  int32_t* pa = array_arg<int32_t>(env, info[4], nnz, op, "pa");
  int32_t* pb = array_arg<int32_t>(env, info[5], nnz, op, "pb");
  kron_maps_cpu(a_rows, a_indptr, b_rows, b_indptr, pa, pb);
  return env.Undefined();
}

Napi::Value SelectionStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "selection";
  const int32_t* idx = array_arg<int32_t>(env, info[0], -1, op, "idx");
  const int64_t n = array_len<int32_t>(info[0]);
  int32_t* indptr = array_arg<int32_t>(env, info[1], n + 1, op, "indptr");
  const int64_t nnz = selection_structure_cpu(n, idx, indptr, nullptr);
  auto indices = new_array<int32_t>(env, nnz);
  selection_structure_cpu(n, idx, indptr, indices.Data());
  return indices;
}

}  // namespace

void register_index_maps(Napi::Env env, Napi::Object exports) {
  exports.Set("iota", Napi::Function::New(env, Iota));
  exports.Set("whereMaps", Napi::Function::New(env, WhereMaps));
  exports.Set("kronMaps", Napi::Function::New(env, KronMaps));
  exports.Set("selectionStructure", Napi::Function::New(env, SelectionStructure));
}

}  // namespace sad::binding
