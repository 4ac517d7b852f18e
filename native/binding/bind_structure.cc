// Bindings for the structure kernels (see native/core/structure.h).
//   transposeStructure(rows, cols, nnz, indptr, indices, tIndptr, tIndices, perm, inv | null)
//       Aᵀ's structure and the maps, on the host or the device (storage.h)
//   diagonalPositions(rows, cols, indptr, indices, k, len)   -> Int32Array (entry or -1)
//   bandStructure(rows, cols, indptr, indices, k, lower)     -> { indptr, indices, keep }
//   kronStructure(A..., B...)                                -> { indptr, indices }
// where A... is (rows, cols, indptr, indices). Index maps (perm, keep, positions)
// are made by these kernels and cached in TypeScript, never taken from users.
// The gathers and scatters that move values through them are bind_gather.cc's.
#include <limits>
#include <vector>
#include <type_traits>

#include "bindings.h"
#include "structure.h"
#include "storage.h"
#include "util.h"

namespace sad::binding {
namespace {

Pattern pattern_at(const Napi::Env& env, const Napi::CallbackInfo& info, size_t at, const char* op) {
  Pattern P;
  P.rows = static_cast<index_t>(int_arg(env, info[at], op, "rows"));
  P.cols = static_cast<index_t>(int_arg(env, info[at + 1], op, "cols"));
  P.indptr = array_arg<int32_t>(env, info[at + 2], P.rows + 1, op, "indptr");
  if (P.indptr[0] != 0 || P.indptr[P.rows] < 0) throw_js(env, std::string(op) + ": invalid indptr");
  P.indices = array_arg<int32_t>(env, info[at + 3], P.nnz(), op, "indices");
  return P;
}

// A signed integer argument (diagonal offsets), clamped to ±2^32: beyond the
// matrix every offset selects the same (empty or full) band.
int64_t offset_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  double d = num_arg(env, v, op, name);
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw_js(env, std::string(op) + ": " + name + " must be an integer");
  constexpr double lim = 4294967296.0;
  return static_cast<int64_t>(d < -lim ? -lim : d > lim ? lim : d);
}

Napi::Int32Array new_index_array(const Napi::Env& env, int64_t len) { return new_array<int32_t>(env, len); }

// On the host or the device (storage.h): the structure of Aᵀ and the maps
// between the entries of A and Aᵀ, into arrays the caller allocated.
Napi::Value TransposeStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "transpose";
  const Place at = place_of(info[3]);
  const auto rows = static_cast<index_t>(int_arg(env, info[0], op, "rows"));
  const auto cols = static_cast<index_t>(int_arg(env, info[1], op, "cols"));
  const int64_t nnz = int_arg(env, info[2], op, "nnz");
  const index_t* indptr = buf_arg<int32_t>(env, at, info[3], int64_t(rows) + 1, op, "indptr");
  if (at == Place::host && (indptr[0] != 0 || indptr[rows] != nnz)) throw_js(env, std::string(op) + ": invalid indptr");
  const index_t* indices = buf_arg<int32_t>(env, at, info[4], nnz, op, "indices");
  index_t* t_indptr = buf_arg<int32_t>(env, at, info[5], int64_t(cols) + 1, op, "tIndptr");
  index_t* t_indices = buf_arg<int32_t>(env, at, info[6], nnz, op, "tIndices");
  index_t* perm = buf_arg<int32_t>(env, at, info[7], nnz, op, "perm");
  index_t* inv = buf_arg_or_null<int32_t>(env, at, info[8], nnz, op, "inv");
  run_at(env, at, op, [&] { transpose_structure_cuda(rows, cols, nnz, indptr, indices, t_indptr, t_indices, perm, inv); },
         [&] {
           // The CPU kernel always writes inv.
           std::vector<index_t> scratch(inv ? 0 : size_t(nnz));
           transpose_structure_cpu(rows, cols, indptr, indices, t_indptr, t_indices, perm, inv ? inv : scratch.data());
         });
  return env.Undefined();
}

Napi::Value DiagonalPositions(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "diagonalPositions";
  Pattern A = pattern_at(env, info, 0, op);
  int64_t k = offset_arg(env, info[4], op, "k");
  int64_t len = int_arg(env, info[5], op, "len");
  // The k-th diagonal has at most this many entries; len beyond it would read past the rows.
  int64_t most = k >= 0 ? std::min<int64_t>(A.rows, A.cols - k) : std::min<int64_t>(A.rows + k, A.cols);
  if (len > std::max<int64_t>(0, most)) throw_js(env, std::string(op) + ": len exceeds the diagonal's length");
  auto pos = new_index_array(env, len);
  guarded(env, [&] { diagonal_positions_cpu(A.rows, A.indptr, A.indices, k, pos.Data(), static_cast<index_t>(len)); return 0; });
  return pos;
}

Napi::Value BandStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "bandStructure";
  Pattern A = pattern_at(env, info, 0, op);
  int64_t k = offset_arg(env, info[4], op, "k");
  bool lower = bool_arg(info[5]);
  auto indptr = new_index_array(env, int64_t(A.rows) + 1);
  guarded(env, [&] { band_count_cpu(A.rows, A.indptr, A.indices, k, lower, indptr.Data()); return 0; });
  int64_t nnz = indptr[A.rows];
  auto indices = new_index_array(env, nnz);
  auto keep = new_index_array(env, nnz);
  guarded(env, [&] {
    band_fill_cpu(A.rows, A.indptr, A.indices, k, lower, indptr.Data(), indices.Data(), keep.Data());
    return 0;
  });
  auto o = Napi::Object::New(env);
  o.Set("indptr", indptr);
  o.Set("indices", indices);
  o.Set("keep", keep);
  return o;
}

// The result of kron must fit index_t in rows, columns and nonzeros.
void check_kron_size(const Napi::Env& env, const Pattern& A, const Pattern& B, const char* op) {
  constexpr int64_t most = std::numeric_limits<index_t>::max();
  if (int64_t(A.rows) * B.rows > most || int64_t(A.cols) * B.cols > most || A.nnz() * B.nnz() > most)
    throw_js(env, std::string(op) + ": the result does not fit 32-bit indices");
}

Napi::Value KronStructure(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "kronStructure";
  Pattern A = pattern_at(env, info, 0, op);
  Pattern B = pattern_at(env, info, 4, op);
  check_kron_size(env, A, B, op);
  auto indptr = new_index_array(env, int64_t(A.rows) * B.rows + 1);
  auto indices = new_index_array(env, A.nnz() * B.nnz());
  guarded(env, [&] { kron_structure_cpu(A, B, indptr.Data(), indices.Data()); return 0; });
  auto o = Napi::Object::New(env);
  o.Set("indptr", indptr);
  o.Set("indices", indices);
  return o;
}

}  // namespace

void register_structure(Napi::Env env, Napi::Object exports) {
  exports.Set("transposeStructure", Napi::Function::New(env, TransposeStructure));
  exports.Set("diagonalPositions", Napi::Function::New(env, DiagonalPositions));
  exports.Set("bandStructure", Napi::Function::New(env, BandStructure));
  exports.Set("kronStructure", Napi::Function::New(env, KronStructure));
}

}  // namespace sad::binding
