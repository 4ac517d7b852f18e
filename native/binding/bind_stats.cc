// Bindings for the matrix statistics (native/core/stats.h), host only:
//   matrixStats(rows, cols, indptr, indices, values, pattern, choleskyMaxFlops, out)
//       fills out (a Float64Array of STATS_SLOTS, the layout below) for
//       native/lib/stats.ts, which builds the MatrixStats object and its texts
//   spyBins(rows, cols, indptr, indices, width, height, counts) -> max
//       counts: an Int32Array view of the Uint32Array of width·height zeros
//   transposeArrays(rows, cols, indptr, indices, values, tIndptr, tIndices, tValues)
//       tValues a Float64Array whatever values' type
// Plain numbers through one typed array rather than an object of twenty
// properties: the object is built once, in TypeScript.
#include <cmath>
#include <string>

#include "bindings.h"
#include "stats.h"
#include "util.h"

namespace sad::binding {
namespace {

// out's slots; stats.ts reads them by the same numbers (STATS_SLOTS there).
enum Slot : int {
  kNnz, kExplicitZeros, kDensity, kSquare, kPatternSymmetric, kNumericSymmetric, kPatternSymmetry,
  kNumericSymmetry, kDiagonalNnz, kZeroDiagonals, kLower, kUpper, kMinRow, kMeanRow, kMaxRow, kEmptyRows,
  kSpdCase, kSpdRow, kSpdValue, kEnvelope, kSlots
};

Napi::Value MatrixStats(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "matrixStats";
  const bool pattern = bool_arg(info[5]);
  const double max_flops = num_arg(env, info[6], op, "choleskyMaxFlops");
  if (!(max_flops >= 0)) throw_js(env, std::string(op) + ": choleskyMaxFlops must be a non-negative number");
  double* out = array_arg<double>(env, info[7], kSlots, op, "out");
  const MatrixStatsResult r = by_dtype(env, info[4], op, [&](auto t) {
    using T = decltype(t);
    const Csr<const T> A = csr_arg<T>(env, info, 0, op, "matrix");
    return guarded(env, [&] { return matrix_stats_cpu<T>(A, pattern, max_flops); });
  });
  out[kNnz] = static_cast<double>(r.nnz);
  out[kExplicitZeros] = static_cast<double>(r.explicit_zeros);
  out[kDensity] = r.density;
  out[kSquare] = r.square;
  out[kPatternSymmetric] = r.pattern_symmetric;
  out[kNumericSymmetric] = r.numeric_symmetric;
  out[kPatternSymmetry] = r.pattern_symmetry;
  out[kNumericSymmetry] = r.numeric_symmetry;
  out[kDiagonalNnz] = static_cast<double>(r.diagonal_nnz);
  out[kZeroDiagonals] = static_cast<double>(r.zero_diagonals);
  out[kLower] = static_cast<double>(r.lower);
  out[kUpper] = static_cast<double>(r.upper);
  out[kMinRow] = static_cast<double>(r.min_row);
  out[kMeanRow] = r.mean_row;
  out[kMaxRow] = static_cast<double>(r.max_row);
  out[kEmptyRows] = static_cast<double>(r.empty_rows);
  out[kSpdCase] = static_cast<double>(static_cast<int>(r.spd));
  out[kSpdRow] = static_cast<double>(r.spd_row);
  out[kSpdValue] = r.spd_value;
  out[kEnvelope] = r.envelope;
  return env.Undefined();
}

Napi::Value SpyBins(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "spyBins";
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const auto cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  const index_t* indptr = array_arg<int32_t>(env, info[2], int64_t(rows) + 1, op, "indptr");
  const int64_t nnz = indptr[rows];
  if (indptr[0] != 0 || nnz < 0) throw_js(env, std::string(op) + ": matrix has an invalid indptr");
  const index_t* indices = array_arg<int32_t>(env, info[3], nnz, op, "indices");
  const int64_t w = int_arg(env, info[4], op, "width");
  const int64_t h = int_arg(env, info[5], op, "height");
  // The bins must lie inside counts: the clamped grid stats.ts computes.
  if (w < 1 || h < 1 || (cols > 0 && w > cols) || (rows > 0 && h > rows) || (cols == 0 && w != 1) ||
      (rows == 0 && h != 1))
    throw_js(env, std::string(op) + ": the grid is not clamped to the matrix");
  auto* counts = reinterpret_cast<uint32_t*>(array_arg<int32_t>(env, info[6], w * h, op, "counts"));
  return Napi::Number::New(env, static_cast<double>(spy_bins_cpu(rows, cols, indptr, indices, w, h, counts)));
}

Napi::Value TransposeArrays(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "transposeArrays";
  by_dtype(env, info[4], op, [&](auto t) {
    using T = decltype(t);
    const Csr<const T> A = csr_arg<T>(env, info, 0, op, "matrix");
    const int64_t nnz = A.indptr[A.rows];
    index_t* tp = array_arg<int32_t>(env, info[5], int64_t(A.cols) + 1, op, "tIndptr");
    index_t* ti = array_arg<int32_t>(env, info[6], nnz, op, "tIndices");
    double* tv = array_arg<double>(env, info[7], nnz, op, "tValues");
    return guarded(env, [&] {
      transpose_arrays_cpu<T, double>(op, A.rows, A.cols, A.indptr, A.indices, A.values, tp, ti, tv);
      return 0;
    });
  });
  return env.Undefined();
}

}  // namespace

void register_stats(Napi::Env env, Napi::Object exports) {
  exports.Set("matrixStats", Napi::Function::New(env, MatrixStats));
  exports.Set("spyBins", Napi::Function::New(env, SpyBins));
  exports.Set("transposeArrays", Napi::Function::New(env, TransposeArrays));
}

}  // namespace sad::binding
