// Matrix statistics, spy-plot bins and a transpose to CSR arrays, for the app's
// Matrices view and the CLI (native/lib/stats.ts). Every pass is O(nnz + rows +
// cols) except the envelope Cholesky the SPD hint may run within a work limit.
//
// The results are those of the JavaScript these replaced, bit for bit: values
// are read as doubles (a float32 matrix's values widened), and every sum,
// product and quotient is done in double in the JavaScript's order (the core is
// built with -ffp-contract=off, so nothing is fused). Single-threaded: the app
// calls these once per matrix it shows.
#pragma once

#include <cstdint>

#include "common.h"

namespace sad {

// How the SPD hint was reached, one case per reason text stats.ts writes.
enum class SpdCase : int {
  not_square = 0,
  pattern = 1,            // pattern matrix: unknown
  not_symmetric = 2,
  diagonal_entry = 3,     // diagonal entry spd_row is spd_value, not positive
  empty = 4,              // 0 x 0: SPD
  strict_dominance = 5,   // strictly diagonally dominant (Gershgorin)
  cholesky_ok = 6,        // envelope Cholesky succeeded
  cholesky_failed = 7,    // envelope Cholesky broke down at row spd_row
  weak_dominance = 8,     // weakly dominant, Cholesky beyond the limit: likely SPD
  too_large = 9,          // not dominant, Cholesky beyond the limit: unknown
};

struct MatrixStatsResult {
  int64_t nnz = 0;
  int64_t explicit_zeros = 0;
  double density = 0;
  bool square = false;
  bool pattern_symmetric = false;
  bool numeric_symmetric = false;
  double pattern_symmetry = 0;  // meaningful when square
  double numeric_symmetry = 0;
  int64_t diagonal_nnz = 0;
  int64_t zero_diagonals = 0;
  int64_t lower = 0;            // bandwidths
  int64_t upper = 0;
  int64_t min_row = 0;
  double mean_row = 0;
  int64_t max_row = 0;
  int64_t empty_rows = 0;
  SpdCase spd = SpdCase::not_square;
  int64_t spd_row = -1;         // diagonal_entry, cholesky_failed: the row (0-based)
  double spd_value = 0;         // diagonal_entry: the entry's value
  double envelope = 0;          // cholesky_*: entries in the lower envelope
};

// The statistics of A (structure valid: sorted, unique columns per row) and its
// SPD hint: `pattern` makes the hint unknown; the Cholesky is attempted only
// within cholesky_max_flops multiply-adds and 4e6 envelope entries.
template <class T>
MatrixStatsResult matrix_stats_cpu(const Csr<const T>& A, bool pattern, double cholesky_max_flops);

// Aᵀ as CSR arrays by a stable counting sort (columns come out sorted):
// t_indptr (cols + 1), t_indices and t_values (nnz). The arrays come from
// callers that need not hold a validated matrix, so the structure is checked
// first (indptr starts at 0 and never decreases, columns in [0, cols)) and a
// bad one fails naming `op`, before any entry is placed.
template <class T, class U>
void transpose_arrays_cpu(const char* op, index_t rows, index_t cols, const index_t* indptr, const index_t* indices,
                          const T* values, index_t* t_indptr, index_t* t_indices, U* t_values);

// Spy-plot bins: entry (i, j) counts in counts[floor(i·h/rows)·w + floor(j·w/cols)]
// (w ≤ cols, h ≤ rows, both ≥ 1, checked by the caller; counts holds w·h zeros).
// Returns the largest count.
int64_t spy_bins_cpu(index_t rows, index_t cols, const index_t* indptr, const index_t* indices, int64_t w, int64_t h,
                     uint32_t* counts);

}  // namespace sad
