// Bindings for host matrix construction (native/core/coo.h), used by
// CsrMatrix.fromCoo and fromDense (native/lib/csr.ts). TypeScript allocates
// every output (an array made here costs several times one made in JavaScript,
// which matters for the many tiny matrices the lab builds):
//   cooToCsr(rows, cols, rowIdx, colIdx, indptr, slot, indices) -> nnz | -1 - bad
//       rowIdx, colIdx: typed arrays of one length n, of any element type but
//       the BigInt ones (an Int32Array is read in place, others converted);
//       fills indptr (rows + 1), slot (n) and the first nnz of indices (n),
//       the merged columns. When an index is not an integer in range it
//       returns -1 - bad, bad = 2k (row) or 2k + 1 (column) for the first bad
//       entry k, rows before columns; TypeScript words the error from the
//       caller's own arrays.
//   cooSumDuplicates(slot, v, out)          out[slot[k]] += v[k], k ascending (out zeroed first)
//   denseNonzerosCount(rows, cols, D, keepZeros, indptr) -> nnz
//   denseNonzerosFill(rows, cols, D, keepZeros, indptr, at, indices)   at, indices: nnz entries
#include <memory>
#include <string>

#include "bindings.h"
#include "coo.h"
#include "util.h"

namespace sad::binding {
namespace {

// An index array as int32, with the first bad entry (-1 if none).
struct IndexArg {
  const int32_t* data = nullptr;
  std::unique_ptr<int32_t[]> copy;
  int64_t bad = -1;
};

template <class S>
void convert(ThreadPool& pool, IndexArg& a, int64_t n, const void* data, int64_t bound) {
  a.copy.reset(new int32_t[static_cast<size_t>(n > 0 ? n : 1)]);
  a.bad = coo_index_check_cpu<S>(pool, n, static_cast<const S*>(data), bound, a.copy.get());
  a.data = a.copy.get();
}

IndexArg index_arg(const Napi::Env& env, const Napi::Value& v, int64_t n, int64_t bound, const char* op,
                   const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok)
    throw_js(env, std::string(op) + ": expected a typed array for " + name);
  if (static_cast<int64_t>(length) != n)
    throw_js(env, std::string(op) + ": " + name + " has " + std::to_string(length) + " entries, needs " + std::to_string(n));
  ThreadPool& pool = pool_of(env);
  IndexArg a;
  switch (type) {
    case napi_int32_array:
      a.bad = coo_index_check_cpu<int32_t>(pool, n, static_cast<const int32_t*>(data), bound, nullptr);
      a.data = static_cast<const int32_t*>(data);
      break;
    case napi_uint32_array: convert<uint32_t>(pool, a, n, data, bound); break;
    case napi_float64_array: convert<double>(pool, a, n, data, bound); break;
    case napi_float32_array: convert<float>(pool, a, n, data, bound); break;
    case napi_int16_array: convert<int16_t>(pool, a, n, data, bound); break;
    case napi_uint16_array: convert<uint16_t>(pool, a, n, data, bound); break;
    case napi_int8_array: convert<int8_t>(pool, a, n, data, bound); break;
    case napi_uint8_array:
    case napi_uint8_clamped_array: convert<uint8_t>(pool, a, n, data, bound); break;
    default: throw_js(env, std::string(op) + ": expected an integer or float typed array for " + name);
  }
  return a;
}

Napi::Value CooToCsr(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "CsrMatrix.fromCoo";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const auto cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  if (!info[2].IsTypedArray()) throw_js(env, std::string(op) + ": expected a typed array for rows");
  const int64_t n = static_cast<int64_t>(info[2].As<Napi::TypedArray>().ElementLength());
  if (n > 2147483647) throw_js(env, std::string(op) + ": more than 2^31 - 1 entries");
  int32_t* indptr = array_arg<int32_t>(env, info[4], rows + 1, op, "indptr");
  int32_t* slot = array_arg<int32_t>(env, info[5], n, op, "slot");
  int32_t* indices = array_arg<int32_t>(env, info[6], n, op, "indices");
  const IndexArg r = index_arg(env, info[2], n, rows, op, "rows");
  const IndexArg c = index_arg(env, info[3], n, cols, op, "cols");
  // The first bad entry, its row checked before its column (as fromCoo's loop did).
  if (r.bad >= 0 && (c.bad < 0 || r.bad <= c.bad)) return Napi::Number::New(env, -1.0 - 2.0 * static_cast<double>(r.bad));
  if (c.bad >= 0) return Napi::Number::New(env, -2.0 - 2.0 * static_cast<double>(c.bad));
  return Napi::Number::New(env, static_cast<double>(coo_to_csr_cpu(rows, cols, n, r.data, c.data, indptr, indices, slot)));
}

Napi::Value CooSumDuplicates(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "CsrMatrix.fromCoo";
  const int64_t n = array_len<int32_t>(info[0]);
  const int32_t* slot = array_arg<int32_t>(env, info[0], n, op, "slot");
  by_dtype(env, info[1], op, [&](auto tag) {
    using T = decltype(tag);
    const T* v = array_arg<T>(env, info[1], n, op, "values");
    T* out = array_arg<T>(env, info[2], -1, op, "out");
    if (!coo_sum_duplicates_cpu<T>(n, slot, v, array_len<T>(info[2]), out))
      throw_js(env, std::string(op) + ": a slot is outside the output");
    return 0;
  });
  return env.Undefined();
}

// rows, cols, D and keepZeros, the arguments both dense calls start with.
struct DenseArgs {
  index_t rows, cols;
  bool keep_zeros;
  int32_t* indptr;
};

DenseArgs dense_args(const Napi::Env& env, const Napi::CallbackInfo& info, const char* op) {
  DenseArgs a;
  a.rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  a.cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  if (static_cast<int64_t>(a.rows) * a.cols > 2147483647) throw_js(env, std::string(op) + ": more than 2^31 - 1 entries");
  a.keep_zeros = bool_arg(info[3]);
  a.indptr = array_arg<int32_t>(env, info[4], a.rows + 1, op, "indptr");
  return a;
}

Napi::Value DenseNonzerosCount(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "CsrMatrix.fromDense";
  const DenseArgs a = dense_args(env, info, op);
  const int64_t nnz = by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    const T* D = array_arg<T>(env, info[2], static_cast<int64_t>(a.rows) * a.cols, op, "D");
    return dense_nonzeros_count_cpu<T>(pool_of(env), a.rows, a.cols, D, a.keep_zeros, a.indptr);
  });
  return Napi::Number::New(env, static_cast<double>(nnz));
}

Napi::Value DenseNonzerosFill(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "CsrMatrix.fromDense";
  const DenseArgs a = dense_args(env, info, op);
  // indptr comes from the count call, but is the caller's array: re-check it.
  for (index_t i = 0; i < a.rows; ++i)
    if (a.indptr[i] < 0 || a.indptr[i] > a.indptr[i + 1]) throw_js(env, std::string(op) + ": invalid indptr");
  const int64_t nnz = a.indptr[a.rows];
  int32_t* at = array_arg<int32_t>(env, info[5], nnz, op, "at");
  int32_t* indices = array_arg<int32_t>(env, info[6], nnz, op, "indices");
  by_dtype(env, info[2], op, [&](auto tag) {
    using T = decltype(tag);
    const T* D = array_arg<T>(env, info[2], static_cast<int64_t>(a.rows) * a.cols, op, "D");
    dense_nonzeros_fill_cpu<T>(pool_of(env), a.rows, a.cols, D, a.keep_zeros, a.indptr, at, indices);
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_coo(Napi::Env env, Napi::Object exports) {
  exports.Set("cooToCsr", Napi::Function::New(env, CooToCsr));
  exports.Set("cooSumDuplicates", Napi::Function::New(env, CooSumDuplicates));
  exports.Set("denseNonzerosCount", Napi::Function::New(env, DenseNonzerosCount));
  exports.Set("denseNonzerosFill", Napi::Function::New(env, DenseNonzerosFill));
}

}  // namespace sad::binding
