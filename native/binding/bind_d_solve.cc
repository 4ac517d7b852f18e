// Device ('cuda') bindings: solve ops. See device_array.h for the conventions.
// The triangular structure of L was checked in TypeScript (once per pattern):
// the synchronisation-free solves wait on every row a row depends on, so they
// must only ever see a valid triangle with (unless unit) its diagonal stored.
//
//   dSptrsv(L..., b, x, k, lower, unit) -> -1 | the first row with a zero diagonal
//                                        x = L⁻¹ b, b and x rows × k row-major
//   dSptrsvBackward(L..., x, v, w, grad | null, k, lower, unit) -> -1 | row
//                                        w = L⁻ᵀ v, grad = −w xᵀ ⊙ mask(L) (summed over the k columns)
//
//   new DeviceLU(op, rows, cols, indptr, indices, values)
//       the hybrid spsolve (spsolve_hybrid.h): factors A by KLU on the CPU, from
//       HOST arrays (TypeScript downloads A's values for it), and keeps the factors
//       on the device (CudaSplitLU), or on the emulated device as the host SplitLU
//       that split_lu_solve_cpu solves with, so the hybrid's conventions are the
//       ones exercised either way. Throws the CPU spsolve's errors for a singular A.
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
#include "spsolve_hybrid.h"
#include "sptrsv.h"

namespace sad::binding {
namespace {

Napi::Value DSptrsv(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsv";
  index_t bad = -1;
  by_device_dtype(env, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto L = dcsr_arg<T>(env, info, 0, op);
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    const auto k = static_cast<index_t>(int_arg(env, info[8], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* b = dev_arg<T>(env, info[6], len, op, "b");
    T* x = dev_arg<T>(env, info[7], len, op, "x");
    const TriangularOptions opts{bool_arg(info[9]), bool_arg(info[10])};
    on_device(env, op, [&] { bad = sptrsv_cuda<T>(L, opts, b, x, k); },
              [&] { bad = sptrsv_cpu<T>(pool_of(env), host_view(L), opts, b, x, k); });
    return 0;
  });
  return Napi::Number::New(env, bad);
}

Napi::Value DSptrsvBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sptrsv";
  index_t bad = -1;
  by_device_dtype(env, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto L = dcsr_arg<T>(env, info, 0, op);
    if (L.rows != L.cols) throw_js(env, std::string(op) + ": L must be square");
    const auto k = static_cast<index_t>(int_arg(env, info[10], op, "k"));
    const int64_t len = int64_t(L.rows) * k;
    const T* x = dev_arg<T>(env, info[6], len, op, "x");
    const T* v = dev_arg<T>(env, info[7], len, op, "v");
    T* w = dev_arg<T>(env, info[8], len, op, "w");
    T* grad = dev_arg_or_null<T>(env, info[9], L.nnz, op, "grad");
    const TriangularOptions opts{bool_arg(info[11]), bool_arg(info[12])};
    on_device(env, op, [&] { bad = sptrsv_backward_cuda<T>(L, opts, x, v, w, grad, k); },
              [&] { bad = sptrsv_backward_cpu<T>(pool_of(env), host_view(L), opts, x, v, w, grad, k); });
    return 0;
  });
  return Napi::Number::New(env, bad);
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
    by_dtype(env, info[5], op, [&](auto tag) {
      using T = decltype(tag);
      const auto A = csr_arg<T>(env, info, 1, op, "A");
      if (A.rows != A.cols) throw_js(env, std::string(op) + ": A must be square");
      SplitLU f = guarded(env, [&] { return split_lu_factor<T>(pool_of(env), A, op); });
      n_ = f.n;
      type_ = ElemOf<T>::type;
      const int64_t bytes = factor_bytes<T>(f);
      const DeviceStats& stats = owner_->device_stats;
      if (emulated_ && !stats.room_for(bytes))
        throw_js(env, std::string(op) + ": out of memory on the emulated device: the LU factors need " +
                          std::to_string(bytes) + " bytes, " + std::to_string(stats.limit_bytes - stats.live_bytes) +
                          " free");
      guarded(env, [&] {
        if (emulated_) host_ = std::make_unique<SplitLU>(std::move(f));
        else if constexpr (std::is_same_v<T, double>) f64_ = std::make_unique<CudaSplitLU<double>>(f);
        else f32_ = std::make_unique<CudaSplitLU<float>>(f);
        return 0;
      });
      bytes_ = bytes;
      return 0;
    });
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

void register_d_solve(Napi::Env env, Napi::Object exports) {
  exports.Set("dSptrsv", Napi::Function::New(env, DSptrsv));
  exports.Set("dSptrsvBackward", Napi::Function::New(env, DSptrsvBackward));
  exports.Set("DeviceLU", DeviceLU::Define(env));
}

}  // namespace sad::binding
