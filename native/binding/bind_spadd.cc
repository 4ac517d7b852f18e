// Bindings for the spadd kernels (see native/core/spadd.h). Maps may be null
// (the identity: C's pattern is that operand's own); C's structure and the maps
// come from spaddSymbolic/spaddStructure (TypeScript never builds them otherwise).
//
// spaddSymbolic(rows, aIndptr, aIndices, bIndptr, bIndices, cIndptr) -> nnz(C)
// spaddStructure(rows, aIndptr, aIndices, bIndptr, bIndices, cIndptr, cIndices, mapA, mapB)
// spaddValues(rows, cIndptr, aIndptr, a, mapA|null, bIndptr, b, mapB|null, alpha, beta, c)
// spaddBackward(v, nA, mapA|null, a|null, alpha, dA|null, nB, mapB|null, b|null, beta, dB|null)
//   -> [⟨V, A⟩, ⟨V, B⟩]   (dA = α V ⊙ mask(A), dB = β V ⊙ mask(B); a null a/b skips its dot)
#include <algorithm>

#include "bindings.h"
#include "spadd.h"
#include "util.h"

namespace sad::binding {
namespace {

struct Pattern {
  const index_t* indptr;
  const index_t* indices;
  int64_t nnz;
};

Pattern pattern_arg(const Napi::Env& env, const Napi::Value& ip, const Napi::Value& ix, index_t rows,
                    const char* op, const char* indptr_name, const char* indices_name) {
  Pattern p;
  p.indptr = array_arg<int32_t>(env, ip, static_cast<int64_t>(rows) + 1, op, indptr_name);
  p.nnz = p.indptr[rows];
  if (p.indptr[0] != 0 || p.nnz < 0) throw_js(env, std::string(op) + ": " + indptr_name + " is invalid");
  p.indices = array_arg<int32_t>(env, ix, p.nnz, op, indices_name);
  return p;
}

// A map argument: null (from JS) is the identity; an empty array must stay
// distinguishable from it, but its data pointer may be null, so it gets a
// stand-in that is never read.
const index_t* map_arg(const Napi::Env& env, const Napi::Value& v, int64_t len, const char* op, const char* name) {
  static const index_t kNoEntries = 0;
  if (!given(v)) return nullptr;
  const index_t* map = array_arg<int32_t>(env, v, len, op, name);
  return map ? map : &kNoEntries;
}

Napi::Value Symbolic(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spaddSymbolic";
  auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  Pattern a = pattern_arg(env, info[1], info[2], rows, op, "aIndptr", "aIndices");
  Pattern b = pattern_arg(env, info[3], info[4], rows, op, "bIndptr", "bIndices");
  index_t* c_indptr = array_arg<int32_t>(env, info[5], static_cast<int64_t>(rows) + 1, op, "cIndptr");
  int64_t nnz = guarded(env, [&] {
    return spadd_symbolic_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr);
  });
  return Napi::Number::New(env, static_cast<double>(nnz));
}

Napi::Value Structure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spaddStructure";
  auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  Pattern a = pattern_arg(env, info[1], info[2], rows, op, "aIndptr", "aIndices");
  Pattern b = pattern_arg(env, info[3], info[4], rows, op, "bIndptr", "bIndices");
  const index_t* c_indptr = array_arg<int32_t>(env, info[5], static_cast<int64_t>(rows) + 1, op, "cIndptr");
  const int64_t nnz = c_indptr[rows];
  if (c_indptr[0] != 0 || nnz < 0) throw_js(env, std::string(op) + ": cIndptr is invalid");
  index_t* c_indices = array_arg<int32_t>(env, info[6], nnz, op, "cIndices");
  index_t* map_a = array_arg<int32_t>(env, info[7], a.nnz, op, "mapA");
  index_t* map_b = array_arg<int32_t>(env, info[8], b.nnz, op, "mapB");
  guarded(env, [&] {
    spadd_structure_cpu(pool_of(env), rows, a.indptr, a.indices, b.indptr, b.indices, c_indptr, c_indices, map_a, map_b);
    return 0;
  });
  return env.Undefined();
}

Napi::Value Values(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spaddValues";
  auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const index_t* c_indptr = array_arg<int32_t>(env, info[1], static_cast<int64_t>(rows) + 1, op, "cIndptr");
  const index_t* a_indptr = array_arg<int32_t>(env, info[2], static_cast<int64_t>(rows) + 1, op, "aIndptr");
  const index_t* b_indptr = array_arg<int32_t>(env, info[5], static_cast<int64_t>(rows) + 1, op, "bIndptr");
  const int64_t nnz_c = c_indptr[rows], nnz_a = a_indptr[rows], nnz_b = b_indptr[rows];
  if (c_indptr[0] != 0 || a_indptr[0] != 0 || b_indptr[0] != 0 || nnz_c < 0 || nnz_a < 0 || nnz_b < 0)
    throw_js(env, std::string(op) + ": invalid indptr");
  // A null map means the operand's entries are C's entries, one for one.
  if ((!given(info[4]) && nnz_a != nnz_c) || (!given(info[7]) && nnz_b != nnz_c))
    throw_js(env, std::string(op) + ": an identity map needs the operand to have C's nnz");
  by_dtype(env, info[3], op, [&](auto tag) {
    using T = decltype(tag);
    const T* a = array_arg<T>(env, info[3], nnz_a, op, "a");
    const index_t* map_a = map_arg(env, info[4], nnz_a, op, "mapA");
    const T* b = array_arg<T>(env, info[6], nnz_b, op, "b");
    const index_t* map_b = map_arg(env, info[7], nnz_b, op, "mapB");
    const T alpha = static_cast<T>(num_arg(env, info[8], op, "alpha"));
    const T beta = static_cast<T>(num_arg(env, info[9], op, "beta"));
    T* c = array_arg<T>(env, info[10], nnz_c, op, "c");
    guarded(env, [&] {
      spadd_values_cpu<T>(pool_of(env), rows, c_indptr, a_indptr, a, map_a, b_indptr, b, map_b, alpha, beta, c);
      return 0;
    });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spaddBackward";
  return by_dtype(env, info[0], op, [&](auto tag) {
    using T = decltype(tag);
    // One side from info[at..at+4]: n, map|null, x|null, scale, out|null.
    auto side = [&](size_t at, const char* name) {
      SpaddGrad<T> g;
      g.n = int_arg(env, info[at], op, name);
      g.map = map_arg(env, info[at + 1], g.n, op, "map");
      g.x = array_arg_or_null<T>(env, info[at + 2], g.n, op, "x");
      g.scale = static_cast<T>(num_arg(env, info[at + 3], op, "scale"));
      g.out = array_arg_or_null<T>(env, info[at + 4], g.n, op, "out");
      return g;
    };
    SpaddGrad<T> a = side(1, "nA");
    SpaddGrad<T> b = side(6, "nB");
    // v has C's nnz entries; an identity map reads v[0, n).
    const int64_t v_len = std::max(a.map ? 0 : a.n, b.map ? 0 : b.n);
    const T* v = array_arg<T>(env, info[0], v_len, op, "v");
    guarded(env, [&] { spadd_backward_cpu<T>(pool_of(env), v, a, b); return 0; });
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
