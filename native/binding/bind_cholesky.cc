// Bindings for the sparse Cholesky (see native/core/cholesky.h).
//
// cholAnalyze(n, indptr, indices, storage, ordering) -> analysis    per pattern (cached by callers)
// cholFactor(values, analysis, op) -> handle                        throws when not positive definite
// cholRefactor(handle, values, op)                                  new values, same pattern
// cholSolve(handle, b, x, k)                                        x = S⁻¹ b, row-major n × k
// cholLogdet(handle) -> number
// cholLogdetGrad(handle, scale, dA)                                 dA = scale · S⁻¹ on A's pattern (selected inversion)
// cholInfo(handle) -> { bytes, nnzL, supernodal, ordering, selinvBytes }
// cholDispose(handle)
// (The solve's dA is ops/cholesky.ts's, over maskedOuterSum on either device.)
// Handles are Externals whose finalizers free CHOLMOD's objects; their sizes are
// reported to V8 so that the garbage collector sees the memory they hold.
#include <memory>
#include <string>

#include "bindings.h"
#include "cholesky.h"
#include "util.h"

namespace sad::binding {
namespace {

struct CholHandle {
  std::unique_ptr<SparseCholesky> chol;
  int64_t bytes = 0;
};
struct CholAnalysisHandle {
  std::shared_ptr<SparseCholesky::Analysis> analysis;
  int64_t bytes = 0;
};

constexpr napi_type_tag kCholTag = {0x4f1e2d3c5b6a7988ULL, 0x1a2b3c4d5e6f7081ULL};
constexpr napi_type_tag kCholAnalysisTag = {0x7e6d5c4b3a291807ULL, 0x0f1e2d3c4b5a6978ULL};

void adjust(napi_env env, int64_t delta) {
  int64_t ignored;
  napi_adjust_external_memory(env, delta, &ignored);
}

// Keeps V8's count of the factor's memory in step after a (re)factorization or a
// selected inversion (which turns a supernodal factor simplicial).
void recount(napi_env env, CholHandle& h) {
  const int64_t now = h.chol ? static_cast<int64_t>(h.chol->bytes()) : 0;
  if (now != h.bytes) adjust(env, now - h.bytes);
  h.bytes = now;
}

CholHandle& handle_arg(const Napi::Env& env, const Napi::Value& v, const char* op) {
  if (!v.IsExternal() || !v.As<Napi::External<CholHandle>>().CheckTypeTag(&kCholTag))
    throw_js(env, std::string(op) + ": expected a Cholesky factor handle");
  auto& h = *v.As<Napi::External<CholHandle>>().Data();
  if (!h.chol) throw_js(env, std::string(op) + ": the Cholesky factor was disposed (dispose() was called before this use)");
  return h;
}

std::string str_arg(const Napi::Value& v) { return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(); }

Napi::Value CholAnalyze(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "cholesky";
  auto n = static_cast<index_t>(int_arg(env, info[0], op, "n"));
  const index_t* indptr = array_arg<int32_t>(env, info[1], n + 1, op, "indptr");
  if (indptr[0] != 0 || indptr[n] < 0) throw_js(env, std::string(op) + ": A has an invalid indptr");
  const index_t* indices = array_arg<int32_t>(env, info[2], indptr[n], op, "indices");
  const std::string s = str_arg(info[3]), o = str_arg(info[4]);
  const CholStorage storage = s == "upper" ? CholStorage::upper : s == "lower" ? CholStorage::lower : CholStorage::full;
  const CholOrdering ordering = o == "amd"      ? CholOrdering::amd
                                : o == "metis"  ? CholOrdering::metis
                                : o == "nesdis" ? CholOrdering::nesdis
                                : o == "natural" ? CholOrdering::natural
                                : o == "best"   ? CholOrdering::best
                                                : CholOrdering::best_default;
  auto analysis = guarded(env, [&] { return SparseCholesky::analyze(n, indptr, indices, storage, ordering, op); });
  auto* h = new CholAnalysisHandle{std::move(analysis), 0};
  h->bytes = static_cast<int64_t>(h->analysis->bytes());
  auto ext = Napi::External<CholAnalysisHandle>::New(env, h, [](Napi::Env e, CholAnalysisHandle* p) {
    if (p->bytes) adjust(e, -p->bytes);
    delete p;
  });
  ext.TypeTag(&kCholAnalysisTag);
  if (h->bytes) adjust(env, h->bytes);
  return ext;
}

Napi::Value CholFactor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string opname = str_arg(info[2]).empty() ? "cholesky" : str_arg(info[2]);
  const char* op = opname.c_str();
  if (!info[1].IsExternal() || !info[1].As<Napi::External<CholAnalysisHandle>>().CheckTypeTag(&kCholAnalysisTag))
    throw_js(env, std::string(op) + ": expected a Cholesky analysis handle");
  auto analysis = info[1].As<Napi::External<CholAnalysisHandle>>().Data()->analysis;
  std::unique_ptr<SparseCholesky> chol;
  by_dtype(env, info[0], op, [&](auto tag) {
    using T = decltype(tag);
    const T* values = array_arg<T>(env, info[0], analysis->nnz(), op, "values");
    chol = guarded(env, [&] { return SparseCholesky::factor<T>(values, analysis, op); });
    return 0;
  });
  auto* h = new CholHandle{std::move(chol), 0};
  auto ext = Napi::External<CholHandle>::New(env, h, [](Napi::Env e, CholHandle* p) {
    if (p->bytes) adjust(e, -p->bytes);
    delete p;
  });
  ext.TypeTag(&kCholTag);
  recount(env, *h);
  return ext;
}

Napi::Value CholRefactor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string opname = str_arg(info[2]).empty() ? "cholesky.refactor" : str_arg(info[2]);
  const char* op = opname.c_str();
  CholHandle& h = handle_arg(env, info[0], op);
  by_dtype(env, info[1], op, [&](auto tag) {
    using T = decltype(tag);
    const T* values = array_arg<T>(env, info[1], h.chol->nnz(), op, "values");
    guarded(env, [&] { h.chol->refactor<T>(values, op); return 0; });
    return 0;
  });
  recount(env, h);
  return env.Undefined();
}

Napi::Value CholSolve(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "cholesky.solve";
  CholHandle& h = handle_arg(env, info[0], op);
  by_dtype(env, info[1], op, [&](auto tag) {
    using T = decltype(tag);
    auto k = static_cast<index_t>(int_arg(env, info[3], op, "k"));
    const int64_t len = int64_t(h.chol->n()) * k;
    const T* b = array_arg<T>(env, info[1], len, op, "b");
    T* x = array_arg<T>(env, info[2], len, op, "x");
    guarded(env, [&] { h.chol->solve<T>(pool_of(env), b, x, k); return 0; });
    return 0;
  });
  return env.Undefined();
}

Napi::Value CholLogdet(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CholHandle& h = handle_arg(env, info[0], "logdet");
  return Napi::Number::New(env, guarded(env, [&] { return h.chol->logdet(); }));
}

Napi::Value CholLogdetGrad(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "logdet";
  CholHandle& h = handle_arg(env, info[0], op);
  const double scale = num_arg(env, info[1], op, "scale");
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    T* dA = array_arg<T>(env, info[2], h.chol->nnz(), op, "dA");
    guarded(env, [&] { h.chol->logdet_grad<T>(static_cast<T>(scale), dA); return 0; });
    return 0;
  });
  recount(env, h);
  return env.Undefined();
}

Napi::Value CholInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CholHandle& h = handle_arg(env, info[0], "cholesky");
  auto o = Napi::Object::New(env);
  o.Set("bytes", static_cast<double>(h.chol->bytes()));
  o.Set("nnzL", static_cast<double>(h.chol->nnz_factor()));
  o.Set("supernodal", h.chol->supernodal());
  o.Set("ordering", h.chol->ordering_name());
  o.Set("selinvBytes", static_cast<double>(h.chol->last_selinv_bytes()));
  return o;
}

Napi::Value CholDispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!info[0].IsExternal() || !info[0].As<Napi::External<CholHandle>>().CheckTypeTag(&kCholTag))
    throw_js(env, "cholesky.dispose: expected a Cholesky factor handle");
  auto& h = *info[0].As<Napi::External<CholHandle>>().Data();
  if (h.bytes) adjust(env, -h.bytes);
  h.bytes = 0;
  h.chol.reset();
  return env.Undefined();
}

}  // namespace

SparseCholesky& cholesky_arg(const Napi::Env& env, const Napi::Value& v, const char* op) {
  return *handle_arg(env, v, op).chol;
}

void register_cholesky(Napi::Env env, Napi::Object exports) {
  exports.Set("cholAnalyze", Napi::Function::New(env, CholAnalyze));
  exports.Set("cholFactor", Napi::Function::New(env, CholFactor));
  exports.Set("cholRefactor", Napi::Function::New(env, CholRefactor));
  exports.Set("cholSolve", Napi::Function::New(env, CholSolve));
  exports.Set("cholLogdet", Napi::Function::New(env, CholLogdet));
  exports.Set("cholLogdetGrad", Napi::Function::New(env, CholLogdetGrad));
  exports.Set("cholInfo", Napi::Function::New(env, CholInfo));
  exports.Set("cholDispose", Napi::Function::New(env, CholDispose));
}

}  // namespace sad::binding
