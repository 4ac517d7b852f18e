// Matrix construction on the host (CsrMatrix.fromCoo / fromDense in
// native/lib/csr.ts): COO indices checked and sorted into a CSR structure with
// duplicates merged, the duplicates' values summed, and a dense tensor's
// nonzeros found. Each result is fixed by its inputs alone (no thread count
// changes a bit), as the JavaScript loops these replace were.
#pragma once

#include <cstdint>

#include "common.h"
#include "thread_pool.h"

namespace sad {

// The first entry k of idx (n entries) that is not an integer in [0, bound), or
// -1 when all are. With out not null, out[k] = idx[k] for the entries before
// the first bad one (all of them when none is): S is any integer or floating
// type a JS typed array holds; NaN and non-integers are bad.
template <class S>
int64_t coo_index_check_cpu(ThreadPool& pool, int64_t n, const S* idx, int64_t bound, int32_t* out);

// Coordinates (r[k], c[k]) — in range, checked above — into CSR order by two
// stable counting sorts (by column, then by row) with duplicates merged:
// indptr (rows + 1), indices (the first nnz of its n entries, columns sorted
// in each row) and slot[k], the CSR position entry k lands on. Returns nnz.
int64_t coo_to_csr_cpu(index_t rows, index_t cols, int64_t n, const int32_t* r, const int32_t* c, int32_t* indptr,
                       int32_t* indices, int32_t* slot);

// out[s] = the sum of v[k] over the entries with slot[k] = s, added in entry
// order (k ascending) in T, one rounding per add: the bits of
// `for (k) out[slot[k]] += v[k]` on a zeroed Float32Array / Float64Array.
// Returns false, leaving out partly written, if a slot is outside [0, nnz).
template <class T>
bool coo_sum_duplicates_cpu(int64_t n, const int32_t* slot, const T* v, int64_t nnz, T* out);

// A row-major rows × cols tensor's stored entries: those with D[i, j] != 0
// (NaN kept, -0 dropped), or all of them with keep_zeros. dense_nonzeros_count
// fills indptr (rows + 1) and returns nnz; dense_nonzeros_fill then writes
// at[p] = i·cols + j (rows·cols < 2^31, checked by the caller) and
// indices[p] = j, row by row, never past indptr[i + 1] in row i.
template <class T>
int64_t dense_nonzeros_count_cpu(ThreadPool& pool, index_t rows, index_t cols, const T* D, bool keep_zeros,
                                 int32_t* indptr);
template <class T>
void dense_nonzeros_fill_cpu(ThreadPool& pool, index_t rows, index_t cols, const T* D, bool keep_zeros,
                             const int32_t* indptr, int32_t* at, int32_t* indices);

}  // namespace sad
