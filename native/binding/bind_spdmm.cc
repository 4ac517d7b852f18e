// Bindings for the spdmm kernels (see native/core/spdmm.h).
//   spdmm(rows, cols, indptr, indices, values, D, m, C)                  C = A D
//   spdmmBackward(t_rows, t_cols, t_indptr, t_indices, perm, values, V, D, m, dA | null, dD | null)
//       over the transpose structure of A (t_rows = A.cols):  dA = (V Dᵀ) ⊙ mask(A),  dD = Aᵀ V
// D, V, C and dD are row-major with m columns; lengths are re-checked here.
#include "bindings.h"
#include "spdmm.h"
#include "util.h"

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

// The pattern part of a CSR argument list (rows, cols, indptr, indices) with the
// O(1) guards csr_arg applies; returns nnz.
int64_t pattern_arg(const Napi::Env& env, const Napi::CallbackInfo& info, const char* op, index_t& rows,
                    index_t& cols, const index_t*& indptr, const index_t*& indices) {
  rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  indptr = array_arg<int32_t>(env, info[2], rows + 1, op, "indptr");
  int64_t nnz = indptr[rows];
  if (indptr[0] != 0 || nnz < 0) throw_js(env, std::string(op) + ": invalid indptr");
  indices = array_arg<int32_t>(env, info[3], nnz, op, "indices");
  return nnz;
}

Napi::Value Spdmm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spdmm";
  by_dtype(env, info[4], op, [&](auto tag) {
    using T = decltype(tag);
    auto A = csr_arg<T>(env, info, 0, op, "A");
    int64_t m = int_arg(env, info[6], op, "m");
    const T* D = array_arg<T>(env, info[5], int64_t(A.cols) * m, op, "D");
    T* C = array_arg<T>(env, info[7], int64_t(A.rows) * m, op, "C");
    prefer_huge_pages(C, int64_t(A.rows) * m * int64_t(sizeof(T)));
    guarded(env, [&] { spdmm_cpu<T>(pool_of(env), A, D, m, C); return 0; });
    return 0;
  });
  return env.Undefined();
}

Napi::Value SpdmmBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spdmmBackward";
  // The pattern is Aᵀ's: t_rows = A.cols, t_cols = A.rows.
  index_t t_rows, t_cols;
  const index_t *t_indptr, *t_indices;
  int64_t nnz = pattern_arg(env, info, op, t_rows, t_cols, t_indptr, t_indices);
  const index_t* perm = array_arg<int32_t>(env, info[4], nnz, op, "perm");
  by_dtype(env, info[5], op, [&](auto tag) {
    using T = decltype(tag);
    // perm is a permutation of [0, nnz) made by the transpose kernel, so values needs nnz entries.
    const T* values = array_arg<T>(env, info[5], nnz, op, "values");
    int64_t m = int_arg(env, info[8], op, "m");
    const T* V = array_arg<T>(env, info[6], int64_t(t_cols) * m, op, "V");
    const T* D = array_arg<T>(env, info[7], int64_t(t_rows) * m, op, "D");
    T* dA = array_arg_or_null<T>(env, info[9], nnz, op, "dA");
    T* dD = array_arg_or_null<T>(env, info[10], int64_t(t_rows) * m, op, "dD");
    if (dD) prefer_huge_pages(dD, int64_t(t_rows) * m * int64_t(sizeof(T)));
    guarded(env, [&] {
      spdmm_backward_cpu<T>(pool_of(env), t_rows, t_indptr, t_indices, perm, values, V, D, m, dA, dD);
      return 0;
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
