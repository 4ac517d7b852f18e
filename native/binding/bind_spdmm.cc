// Bindings for SpDMM (native/core/spdmm.h), on the host or the device (storage.h).
// A CSR operand A... is (rows, cols, nnz, indptr, indices, values).
//   spdmm(A..., D, m, C)                                         C = A D
//   spdmmBackward(A..., tIndptr, tIndices, perm, V, D, m, dA | null, dD | null[, vBroadcast])
//       over the transpose structure of A's pattern:  dA = (V Dᵀ) ⊙ mask(A),  dD = Aᵀ V
//       (vBroadcast: V's first row stands for all, host only)
// D, V, C and dD are row-major with m columns; lengths are re-checked here. The
// transpose structure is ops/transpose_cache.ts's for this pattern, never user input.
#include "bindings.h"
#include "spdmm.h"
#include "storage.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace sad::binding {
namespace {

// Outputs of spdmm are n×m dense blocks, often tens of MB and freshly allocated:
// faulting them in 4 KiB pages dominates the product itself on these VMs. Ask
// for transparent huge pages on the 2 MiB-aligned interior of a large output
// before the kernel first touches it (a hint: a no-op where THP is off or the
// pages already exist).
void prefer_huge_pages(void* data, int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t huge = uintptr_t(1) << 21;
  if (bytes < int64_t(2 * huge)) return;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + huge - 1) & ~(huge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + static_cast<uintptr_t>(bytes)) & ~(huge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

Napi::Value Spdmm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spdmm";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto A = csr_at<T>(env, at, info, 0, op, "A");
    const int64_t m = int_arg(env, info[7], op, "m");
    const T* D = buf_arg<T>(env, at, info[6], int64_t(A.cols) * m, op, "D");
    T* C = buf_arg<T>(env, at, info[8], int64_t(A.rows) * m, op, "C");
    if (at == Place::host) prefer_huge_pages(C, int64_t(A.rows) * m * int64_t(sizeof(T)));
    run_at(env, at, op, [&] { spdmm_cuda<T>(A.device(), D, m, C); }, [&] { spdmm_cpu<T>(pool_of(env), A.host(), D, m, C); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value SpdmmBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spdmm";
  const Place at = place_of(info[5]);
  by_float_type(env, at, info[5], op, "values", [&](auto tag) {
    using T = decltype(tag);
    const auto A = csr_at<T>(env, at, info, 0, op, "A");
    const index_t* t_indptr = buf_arg<int32_t>(env, at, info[6], int64_t(A.cols) + 1, op, "tIndptr");
    if (at == Place::host && (t_indptr[0] != 0 || t_indptr[A.cols] != A.nnz))
      throw_js(env, std::string(op) + ": transpose structure does not match A");
    const index_t* t_indices = buf_arg<int32_t>(env, at, info[7], A.nnz, op, "tIndices");
    const index_t* perm = buf_arg<int32_t>(env, at, info[8], A.nnz, op, "perm");
    const int64_t m = int_arg(env, info[11], op, "m");
    const bool v_broadcast = broadcast_flag(env, info, 14, at, op, "V");  // V's first row stands for every row
    const T* V = buf_arg<T>(env, at, info[9], v_broadcast ? m : int64_t(A.rows) * m, op, "V");
    const T* D = buf_arg<T>(env, at, info[10], int64_t(A.cols) * m, op, "D");
    T* dA = buf_arg_or_null<T>(env, at, info[12], A.nnz, op, "dA");
    T* dD = buf_arg_or_null<T>(env, at, info[13], int64_t(A.cols) * m, op, "dD");
    if (at == Place::host && dD) prefer_huge_pages(dD, int64_t(A.cols) * m * int64_t(sizeof(T)));
    run_at(env, at, op, [&] { spdmm_backward_cuda<T>(A.device(), t_indptr, t_indices, perm, V, D, m, dA, dD); },
           [&] {
             spdmm_backward_cpu<T>(pool_of(env), A.cols, t_indptr, t_indices, perm, A.values, V, D, m, dA, dD, v_broadcast ? 0 : m);
           });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_spdmm(Napi::Env env, Napi::Object exports) {
  exports.Set("spdmm", Napi::Function::New(env, Spdmm));
  exports.Set("spdmmBackward", Napi::Function::New(env, SpdmmBackward));
}

}  // namespace sad::binding
