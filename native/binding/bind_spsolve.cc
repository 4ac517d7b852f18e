// Bindings for the spsolve kernels (see native/core/spsolve.h).
//
// spluAnalyze(n, indptr, indices) -> analysis
//     the symbolic analysis (orderings) of a square pattern; throws when it is
//     structurally singular. Callers cache it per pattern.
// spluFactor(rows, cols, indptr, indices, values, analysis?) -> handle
//     factors A (square) with the analysis of its pattern (made here when
//     undefined); throws on singular A.
// Both results are Externals whose finalizers free the KLU objects; their sizes
// are reported to V8 so that the garbage collector sees the memory they hold.
// spluSolve(handle, transpose, b, x, k)   x = A⁻¹ b (or A⁻ᵀ b), b and x row-major n × k
// spluDispose(handle)                     frees the factors now (later solves throw)
#include <memory>

#include "bindings.h"
#include "spsolve.h"
#include "util.h"

namespace sad::binding {
namespace {

struct LuHandle {
  std::unique_ptr<SparseLU> lu;
  int64_t bytes = 0;
};

struct AnalysisHandle {
  std::shared_ptr<SparseLU::Analysis> analysis;
  int64_t bytes = 0;
};

// Tags handles so that no other External can be mistaken for one.
constexpr napi_type_tag kLuTag = {0x6b1d2f3a9c4e4b57ULL, 0xa1f0c3d2e5b64789ULL};
constexpr napi_type_tag kAnalysisTag = {0x3c5e7a9b1d2f4e60ULL, 0x9d8c7b6a5f4e3d21ULL};

void adjust(napi_env env, int64_t delta) {
  int64_t ignored;
  napi_adjust_external_memory(env, delta, &ignored);  // no throwing here: finalizers call it
}

void release(napi_env env, LuHandle& h) {
  if (h.bytes) adjust(env, -h.bytes);
  h.bytes = 0;
  h.lu.reset();
}

LuHandle& handle_arg(const Napi::Env& env, const Napi::Value& v, const char* op) {
  if (!v.IsExternal() || !v.As<Napi::External<LuHandle>>().CheckTypeTag(&kLuTag))
    throw_js(env, std::string(op) + ": expected a SparseLU handle");
  return *v.As<Napi::External<LuHandle>>().Data();
}

Napi::Value SpluAnalyze(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spsolve";
  auto n = static_cast<index_t>(int_arg(env, info[0], op, "n"));
  const index_t* indptr = array_arg<int32_t>(env, info[1], n + 1, op, "indptr");
  if (indptr[0] != 0 || indptr[n] < 0) throw_js(env, std::string(op) + ": A has an invalid indptr");
  const index_t* indices = array_arg<int32_t>(env, info[2], indptr[n], op, "indices");
  auto analysis = guarded(env, [&] { return SparseLU::analyze(n, indptr, indices, op); });
  auto* h = new AnalysisHandle{std::move(analysis), 0};
  h->bytes = static_cast<int64_t>(h->analysis->bytes());
  auto ext = Napi::External<AnalysisHandle>::New(env, h, [](Napi::Env e, AnalysisHandle* p) {
    if (p->bytes) adjust(e, -p->bytes);
    delete p;
  });
  ext.TypeTag(&kAnalysisTag);
  if (h->bytes) adjust(env, h->bytes);
  return ext;
}

Napi::Value SpluFactor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spsolve";
  std::shared_ptr<SparseLU::Analysis> analysis;
  if (!info[5].IsUndefined()) {
    if (!info[5].IsExternal() || !info[5].As<Napi::External<AnalysisHandle>>().CheckTypeTag(&kAnalysisTag))
      throw_js(env, std::string(op) + ": expected a symbolic analysis handle");
    analysis = info[5].As<Napi::External<AnalysisHandle>>().Data()->analysis;
  }
  std::unique_ptr<SparseLU> lu;
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto A = csr_arg<T>(env, info, 0, op, "A");
    if (A.rows != A.cols) throw_js(env, std::string(op) + ": A must be square");
    lu = guarded(env, [&] { return SparseLU::factor<T>(pool_of(env), A, analysis, op); });
    return 0;
  });
  auto* h = new LuHandle{std::move(lu), 0};
  h->bytes = static_cast<int64_t>(h->lu->bytes());
  auto ext = Napi::External<LuHandle>::New(env, h, [](Napi::Env e, LuHandle* p) {
    release(e, *p);
    delete p;
  });
  ext.TypeTag(&kLuTag);
  if (h->bytes) adjust(env, h->bytes);
  return ext;
}

Napi::Value SpluSolve(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spsolve";
  LuHandle& h = handle_arg(env, info[0], op);
  if (!h.lu) throw_js(env, "SparseLU: the factors were disposed (dispose() was called before this solve or backward)");
  const bool transpose = bool_arg(info[1]);
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    auto k = static_cast<index_t>(int_arg(env, info[4], op, "k"));
    const int64_t len = int64_t(h.lu->n()) * k;
    const T* b = array_arg<T>(env, info[2], len, op, "b");
    T* x = array_arg<T>(env, info[3], len, op, "x");
    guarded(env, [&] { h.lu->solve<T>(pool_of(env), transpose, b, x, k); return 0; });
    return 0;
  });
  return env.Undefined();
}

// spluRefactor(handle, rows, cols, indptr, indices, values) -> true when KLU's
// refactor (same pivot order) sufficed, false when it pivoted afresh.
Napi::Value SpluRefactor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "SparseLU.refactor";
  LuHandle& h = handle_arg(env, info[0], op);
  if (!h.lu) throw_js(env, "SparseLU.refactor: the factors were disposed");
  bool fast = false;
  by_dtype(env, info[5], op, [&](auto tag) {
    using T = decltype(tag);
    auto A = csr_arg<T>(env, info, 1, op, "A");
    fast = guarded(env, [&] { return h.lu->refactor<T>(pool_of(env), A, op); });
    return 0;
  });
  const int64_t now = static_cast<int64_t>(h.lu->bytes());
  if (now != h.bytes) adjust(env, now - h.bytes);
  h.bytes = now;
  return Napi::Boolean::New(env, fast);
}

Napi::Value SpluDispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  release(env, handle_arg(env, info[0], "SparseLU.dispose"));
  return env.Undefined();
}

}  // namespace

void register_spsolve(Napi::Env env, Napi::Object exports) {
  exports.Set("spluAnalyze", Napi::Function::New(env, SpluAnalyze));
  exports.Set("spluFactor", Napi::Function::New(env, SpluFactor));
  exports.Set("spluSolve", Napi::Function::New(env, SpluSolve));
  exports.Set("spluDispose", Napi::Function::New(env, SpluDispose));
  exports.Set("spluRefactor", Napi::Function::New(env, SpluRefactor));
}

}  // namespace sad::binding
