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
// spluBytes(handle) -> number             the bytes the factors hold (for spsolve's cache bound)
//
// On the device ('cuda', device_array.h):
//   new DeviceLU(op, rows, cols, indptr, indices, values)
//       the hybrid spsolve (spsolve_hybrid.h): factors A by KLU on the CPU, from
//       HOST arrays (TypeScript downloads A's values for it), and keeps the factors
//       on the device (CudaSplitLU), or on the emulated device as the host SplitLU
//       that split_lu_solve_cpu solves with, so the hybrid's conventions are the
//       ones exercised either way. Throws the CPU spsolve's errors for a singular A.
//   new DeviceLU(op, cholHandle, dtype)
//       the GPU Cholesky (cholesky_hybrid.h): the factor of a cholFactor handle,
//       split as an LU (L̃ and D Lᵀ, P = Q = CHOLMOD's permutation), values in
//       dtype ('float64' or 'float32'); its solves are S⁻¹ b either way.
//   lu.solve(transpose, b, x, k)         x = A⁻¹ b (or A⁻ᵀ b), device arrays n × k
//   lu.dispose(), lu.disposed, lu.bytes, lu.type
// The factors count in deviceMemory().liveBytes (not in liveArrays) while alive.
#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>

#include "bindings.h"
#include "device_array.h"
#include "spsolve.h"
#include "cholesky_hybrid.h"
#include "spsolve_hybrid.h"
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

// spluBytes(handle) -> the bytes the factors hold (KLU's count), 0 once disposed.
Napi::Value SpluBytes(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const LuHandle& h = handle_arg(env, info[0], "spsolve");
  return Napi::Number::New(env, double(h.lu ? h.bytes : 0));
}

Napi::Value SpluDispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  release(env, handle_arg(env, info[0], "SparseLU.dispose"));
  return env.Undefined();
}

// The device bytes of the factors in value type T (what CudaSplitLU<T> holds).
template <class T>
int64_t factor_bytes(const SplitLU& f) {
  const size_t ints = f.lt_indptr.size() + f.lt_indices.size() + f.ut_indptr.size() + f.ut_indices.size() +
                      f.P.size() + f.Q.size();
  const size_t vals = f.lt_values.size() + f.ut_values.size() + f.Rs.size();
  return int64_t(ints * sizeof(index_t) + vals * sizeof(T));
}

class DeviceLU : public Napi::ObjectWrap<DeviceLU> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DeviceLU",
                       {
                           InstanceMethod<&DeviceLU::Solve>("solve"),
                           InstanceMethod<&DeviceLU::Dispose>("dispose"),
                           InstanceAccessor<&DeviceLU::GetDisposed>("disposed"),
                           InstanceAccessor<&DeviceLU::GetBytes>("bytes"),
                           InstanceAccessor<&DeviceLU::GetType>("type"),
                       });
  }

  // JS: new DeviceLU(op, rows, cols, indptr, indices, values), host arrays.
  explicit DeviceLU(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceLU>(info) {
    auto env = info.Env();
    if (!info[0].IsString()) throw_js(env, "DeviceLU: expected the op name");
    const std::string op_name = info[0].As<Napi::String>();
    const char* op = op_name.c_str();
    const DeviceMode mode = require_device(env, op);
    emulated_ = mode == DeviceMode::emulated;
    owner_ = env.GetInstanceData<AddonData>();
    if (info[1].IsExternal()) {
      // The Cholesky form: (op, cholHandle, dtype).
      SparseCholesky& chol = cholesky_arg(env, info[1], op);
      SplitLU f = guarded(env, [&] { return split_cholesky(chol); });
      const std::string dtype = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : std::string();
      if (dtype == "float64") adopt<double>(env, op, std::move(f));
      else if (dtype == "float32") adopt<float>(env, op, std::move(f));
      else throw_js(env, std::string(op) + ": expected the dtype 'float64' or 'float32'");
    } else {
      by_dtype(env, info[5], op, [&](auto tag) {
        using T = decltype(tag);
        const auto A = csr_arg<T>(env, info, 1, op, "A");
        if (A.rows != A.cols) throw_js(env, std::string(op) + ": A must be square");
        adopt<T>(env, op, guarded(env, [&] { return split_lu_factor<T>(pool_of(env), A, op); }));
        return 0;
      });
    }
    owner_->device_stats.charge(bytes_);
    if (bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, bytes_);  // V8 collects forgotten factors sooner
    live_ = true;
  }

  ~DeviceLU() override {
    const int64_t n = live_ ? bytes_ : 0;
    release();
    int64_t ignored = 0;
    if (n > 0) napi_adjust_external_memory(Env(), -n, &ignored);
  }

 private:
  // Holds the factors f in value type T: on the device, or as they are on the emulated one.
  template <class T>
  void adopt(const Napi::Env& env, const char* op, SplitLU f) {
    n_ = f.n;
    type_ = ElemOf<T>::type;
    const int64_t bytes = factor_bytes<T>(f);
    const DeviceStats& stats = owner_->device_stats;
    if (emulated_ && !stats.room_for(bytes))
      throw_js(env, std::string(op) + ": out of memory on the emulated device: the factors need " +
                        std::to_string(bytes) + " bytes, " + std::to_string(stats.limit_bytes - stats.live_bytes) +
                        " free");
    guarded(env, [&] {
      if (emulated_) host_ = std::make_unique<SplitLU>(std::move(f));
      else if constexpr (std::is_same_v<T, double>) f64_ = std::make_unique<CudaSplitLU<double>>(f);
      else f32_ = std::make_unique<CudaSplitLU<float>>(f);
      return 0;
    });
    bytes_ = bytes;
  }

  void release() {
    if (!live_) return;
    live_ = false;
    host_.reset();
    f64_.reset();
    f32_.reset();
    owner_->device_stats.refund(bytes_);
  }

  template <class T>
  void solve(const Napi::Env& env, bool transpose, const Napi::Value& bv, const Napi::Value& xv, index_t k) {
    const char* op = "spsolve";
    const int64_t len = int64_t(n_) * k;
    const T* b = dev_arg<T>(env, bv, len, op, "b");
    T* x = dev_arg<T>(env, xv, len, op, "x");
    guarded(env, [&] {
      if (emulated_) split_lu_solve_cpu<T>(pool_of(env), *host_, transpose, b, x, k);
      else if constexpr (std::is_same_v<T, double>) f64_->solve(transpose, b, x, k);
      else f32_->solve(transpose, b, x, k);
      return 0;
    });
  }

  Napi::Value Solve(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!live_) throw_js(env, "SparseLU: the factors were disposed (dispose() was called before this solve or backward)");
    const bool transpose = bool_arg(info[0]);
    const auto k = static_cast<index_t>(int_arg(env, info[3], "spsolve", "k"));
    if (type_ == ElemType::f64) solve<double>(env, transpose, info[1], info[2], k);
    else solve<float>(env, transpose, info[1], info[2], k);
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (live_) {
      const int64_t n = bytes_;
      release();
      if (n > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -n);
    }
    return env.Undefined();
  }

  Napi::Value GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !live_); }
  Napi::Value GetBytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(bytes_)); }
  Napi::Value GetType(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), elem_name(type_)); }

  index_t n_ = 0;
  ElemType type_ = ElemType::f64;
  bool emulated_ = false;
  bool live_ = false;
  int64_t bytes_ = 0;
  AddonData* owner_ = nullptr;
  std::unique_ptr<SplitLU> host_;                // the emulated device
  std::unique_ptr<CudaSplitLU<double>> f64_;     // a GPU, float64
  std::unique_ptr<CudaSplitLU<float>> f32_;      // a GPU, float32
};

}  // namespace

void register_spsolve(Napi::Env env, Napi::Object exports) {
  exports.Set("spluAnalyze", Napi::Function::New(env, SpluAnalyze));
  exports.Set("spluFactor", Napi::Function::New(env, SpluFactor));
  exports.Set("spluSolve", Napi::Function::New(env, SpluSolve));
  exports.Set("spluDispose", Napi::Function::New(env, SpluDispose));
  exports.Set("DeviceLU", DeviceLU::Define(env));
  exports.Set("spluRefactor", Napi::Function::New(env, SpluRefactor));
  exports.Set("spluBytes", Napi::Function::New(env, SpluBytes));
}

}  // namespace sad::binding
