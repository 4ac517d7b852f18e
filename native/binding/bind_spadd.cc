// Bindings for Sp+Sp, C = α A + β B (native/core/spadd.h), on the host or the
// device (storage.h). Maps may be null (the identity: C's pattern is that
// operand's own); C's structure and the maps come from spaddSymbolic and
// spaddStructure (TypeScript never builds them otherwise), so their entries
// cannot be checked here in O(1), only their lengths.
//
// spaddSymbolic(rows, aNnz, aIndptr, aIndices, bNnz, bIndptr, bIndices, cIndptr) -> nnz(C)
// spaddStructure(rows, aNnz, aIndptr, aIndices, bNnz, bIndptr, bIndices, cNnz, cIndptr, cIndices, mapA, mapB)
// spaddValues(rows, cNnz, cIndptr, aNnz, aIndptr, a, mapA|null, bNnz, bIndptr, b, mapB|null, alpha, beta, c)
//     c = α a + β b through the maps
// spaddBackward(v, cNnz, nA, mapA|null, a|null, alpha, dA|null, nB, mapB|null, b|null, beta, dB|null[, vBroadcast])
//     -> [⟨V, A⟩, ⟨V, B⟩]   (dA = α V ⊙ mask(A), dB = β V ⊙ mask(B); a null a/b skips its dot)
#include <algorithm>

#include "bindings.h"
#include "spadd.h"
#include "storage.h"

namespace sad::binding {
namespace {

// A pattern (nnz, indptr, indices) from info[at..at+2], lengths checked in O(1)
// (on the host also indptr's ends).
struct Pattern {
  int64_t nnz;
  const index_t* indptr;
  const index_t* indices;
};

Pattern pattern_at(const Napi::Env& env, Place place, const Napi::CallbackInfo& info, size_t at, index_t rows,
                   const char* op, const char* nnz_name, const char* indptr_name, const char* indices_name) {
  Pattern p;
  p.nnz = int_arg(env, info[at], op, nnz_name);
  p.indptr = buf_arg<int32_t>(env, place, info[at + 1], int64_t(rows) + 1, op, indptr_name);
  if (place == Place::host && (p.indptr[0] != 0 || p.indptr[rows] != p.nnz))
    throw_js(env, std::string(op) + ": " + indptr_name + " is invalid");
  p.indices = buf_arg<int32_t>(env, place, info[at + 2], p.nnz, op, indices_name);
  return p;
}

// Row pointers (rows + 1) that must end at nnz (checked on the host, where they can be read).
const index_t* indptr_at(const Napi::Env& env, Place place, const Napi::Value& v, index_t rows, int64_t nnz,
                         const char* op, const char* name) {
  const index_t* ip = buf_arg<int32_t>(env, place, v, int64_t(rows) + 1, op, name);
  if (place == Place::host && (ip[0] != 0 || ip[rows] != nnz)) throw_js(env, std::string(op) + ": " + name + " is invalid");
  return ip;
}

// A map argument: null is the identity (the operand's entries are C's, one for
// one, so it needs C's nnz). An empty map's data pointer may be null, so it
// gets a stand-in that is never read, to stay distinct from the identity.
const index_t* map_arg(const Napi::Env& env, Place place, const Napi::Value& v, int64_t n, int64_t c_nnz,
                       const char* op, const char* name) {
  static const index_t kNoEntries = 0;
  if (!given(v)) {
    if (n != c_nnz) throw_js(env, std::string(op) + ": an identity " + name + " needs the operand to have C's nnz");
    return nullptr;
  }
  const index_t* map = buf_arg<int32_t>(env, place, v, n, op, name);
  return map ? map : &kNoEntries;
}

Napi::Value Symbolic(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const Place at = place_of(info[2]);
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const Pattern a = pattern_at(env, at, info, 1, rows, op, "aNnz", "aIndptr", "aIndices");
  const Pattern b = pattern_at(env, at, info, 4, rows, op, "bNnz", "bIndptr", "bIndices");
  index_t* c_indptr = buf_arg<int32_t>(env, at, info[7], int64_t(rows) + 1, op, "cIndptr");
  int64_t nnz = 0;
  run_at(env, at, op, [&] { nnz = spadd_symbolic_cuda(rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr); },
         [&] { nnz = spadd_symbolic_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr); });
  return Napi::Number::New(env, double(nnz));
}

Napi::Value Structure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const Place at = place_of(info[2]);
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const Pattern a = pattern_at(env, at, info, 1, rows, op, "aNnz", "aIndptr", "aIndices");
  const Pattern b = pattern_at(env, at, info, 4, rows, op, "bNnz", "bIndptr", "bIndices");
  const int64_t c_nnz = int_arg(env, info[7], op, "cNnz");
  const index_t* c_indptr = indptr_at(env, at, info[8], rows, c_nnz, op, "cIndptr");
  index_t* c_indices = buf_arg<int32_t>(env, at, info[9], c_nnz, op, "cIndices");
  index_t* map_a = buf_arg<int32_t>(env, at, info[10], a.nnz, op, "mapA");
  index_t* map_b = buf_arg<int32_t>(env, at, info[11], b.nnz, op, "mapB");
  run_at(env, at, op,
         [&] { spadd_structure_cuda(rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr, c_indices, map_a, map_b); },
         [&] {
           spadd_structure_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr, c_indices, map_a,
                               map_b);
         });
  return env.Undefined();
}

Napi::Value Values(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const Place at = place_of(info[13]);
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const int64_t c_nnz = int_arg(env, info[1], op, "cNnz");
  const index_t* c_indptr = indptr_at(env, at, info[2], rows, c_nnz, op, "cIndptr");
  const int64_t a_nnz = int_arg(env, info[3], op, "aNnz");
  const index_t* a_indptr = indptr_at(env, at, info[4], rows, a_nnz, op, "aIndptr");
  const int64_t b_nnz = int_arg(env, info[7], op, "bNnz");
  const index_t* b_indptr = indptr_at(env, at, info[8], rows, b_nnz, op, "bIndptr");
  by_float_type(env, at, info[13], op, "c", [&](auto tag) {
    using T = decltype(tag);
    const T* a = buf_arg<T>(env, at, info[5], a_nnz, op, "a");
    const index_t* map_a = map_arg(env, at, info[6], a_nnz, c_nnz, op, "mapA");
    const T* b = buf_arg<T>(env, at, info[9], b_nnz, op, "b");
    const index_t* map_b = map_arg(env, at, info[10], b_nnz, c_nnz, op, "mapB");
    const T alpha = static_cast<T>(num_arg(env, info[11], op, "alpha"));
    const T beta = static_cast<T>(num_arg(env, info[12], op, "beta"));
    T* c = buf_arg<T>(env, at, info[13], c_nnz, op, "c");
    // The GPU goes by the maps alone; the CPU kernel walks the rows.
    run_at(env, at, op, [&] { spadd_values_cuda<T>(c_nnz, a_nnz, a, map_a, b_nnz, b, map_b, alpha, beta, c); },
           [&] { spadd_values_cpu<T>(pool_of(env), rows, c_indptr, a_indptr, a, map_a, b_indptr, b, map_b, alpha, beta, c); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spadd";
  const Place at = place_of(info[0]);
  return by_float_type(env, at, info[0], op, "v", [&](auto tag) -> Napi::Value {
    using T = decltype(tag);
    const int64_t c_nnz = int_arg(env, info[1], op, "cNnz");
    const bool v_broadcast = broadcast_flag(env, info, 12, at, op, "v");  // v's entries all v[0]
    const T* v = buf_arg<T>(env, at, info[0], v_broadcast ? std::min<int64_t>(c_nnz, 1) : c_nnz, op, "v");
    // One side from info[i..i+4]: n, map|null, x|null, scale, out|null.
    auto side = [&](size_t i, const char* n_name, const char* map_name) {
      SpaddGrad<T> g;
      g.n = int_arg(env, info[i], op, n_name);
      g.map = map_arg(env, at, info[i + 1], g.n, c_nnz, op, map_name);
      g.x = buf_arg_or_null<T>(env, at, info[i + 2], g.n, op, "x");
      g.scale = static_cast<T>(num_arg(env, info[i + 3], op, "scale"));
      g.out = buf_arg_or_null<T>(env, at, info[i + 4], g.n, op, "out");
      return g;
    };
    SpaddGrad<T> a = side(2, "nA", "mapA");
    SpaddGrad<T> b = side(7, "nB", "mapB");
    run_at(env, at, op, [&] { spadd_backward_cuda<T>(v, a, b); }, [&] { spadd_backward_cpu<T>(pool_of(env), v, a, b, v_broadcast); });
    auto dots = Napi::Array::New(env, 2);
    dots.Set(uint32_t{0}, Napi::Number::New(env, a.dot));
    dots.Set(uint32_t{1}, Napi::Number::New(env, b.dot));
    return dots;
  });
}

}  // namespace

void register_spadd(Napi::Env env, Napi::Object exports) {
  exports.Set("spaddSymbolic", Napi::Function::New(env, Symbolic));
  exports.Set("spaddStructure", Napi::Function::New(env, Structure));
  exports.Set("spaddValues", Napi::Function::New(env, Values));
  exports.Set("spaddBackward", Napi::Function::New(env, Backward));
}

}  // namespace sad::binding
