// SpSolve: x = A⁻¹ b through a sparse LU with partial pivoting and a
// fill-reducing ordering (SuiteSparse KLU: BTF, then AMD on each block), and
// the solves its VJP needs with the same factors (Table 1):
//   db = A⁻ᵀ v                       (solve with transpose = true)
//   dA = −(A⁻ᵀ v) xᵀ ⊙ mask(A)       (masked_outer_sum_cpu in sddmm.h, alpha = −1)
//
// KLU reads compressed columns. The CSR arrays of A are the CSC arrays of Aᵀ,
// so SparseLU factors M = Aᵀ without copying the structure: A x = b is then
// Mᵀ x = b (klu_tsolve) and Aᵀ y = v is M y = v (klu_solve). KLU's reports are
// in M's numbering, where column j of M is row j of A.
#pragma once

#include <cstddef>
#include <memory>

#include "common.h"
#include "thread_pool.h"

namespace sad {

// Whether the build has KLU; without it SparseLU::factor throws
// "spsolve: built without SuiteSparse KLU".
bool have_klu();

// The factors of one square matrix (KLU symbolic + numeric objects and the
// klu_common they were made with: no state shared between factorizations, so
// factors may live in several threads at once, one thread per factor).
class SparseLU {
 public:
  // The symbolic analysis of a pattern (KLU's BTF and AMD orderings). It
  // depends on the structure only, so factorizations of matrices sharing a
  // pattern can share one (callers cache it per pattern).
  class Analysis {
   public:
    ~Analysis();
    Analysis(const Analysis&) = delete;
    Analysis& operator=(const Analysis&) = delete;
    index_t n() const;
    int64_t nnz() const;
    size_t bytes() const;

   private:
    friend class SparseLU;
    Analysis();
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // Analyzes a square pattern. Throws Error naming `op` when it is
  // structurally singular (with the structural rank, and an empty row or
  // column when there is one).
  static std::shared_ptr<Analysis> analyze(index_t n, const index_t* indptr, const index_t* indices,
                                           const char* op = "spsolve");

  // Factors A (square, valid CSR) with the analysis of its pattern (made here
  // when null). The factorization is in double whatever T
  // is (a float32 A is widened in the pool's scratch). Throws Error naming
  // `op` when A is numerically singular (with the row of A whose pivot
  // vanished), or structurally singular as analyze() does.
  template <class T>
  static std::unique_ptr<SparseLU> factor(ThreadPool& pool, const Csr<const T>& A,
                                          std::shared_ptr<Analysis> analysis, const char* op = "spsolve");

  // New values of the same pattern: a numeric refactorization with the pivot
  // order of the first factorization (klu_refactor, no search for pivots).
  // When that order no longer suits the values (a zero pivot, KLU's cheap
  // reciprocal condition estimate min|u_kk| / max|u_kk| below 1e-12, or a
  // reciprocal pivot growth below 1e-3 of the last freshly pivoted
  // factorization's), it falls back to a factorization with partial pivoting. Returns whether the fast
  // path sufficed. Throws as factor() does when A is singular.
  template <class T>
  bool refactor(ThreadPool& pool, const Csr<const T>& A, const char* op = "SparseLU.refactor");

  ~SparseLU();
  SparseLU(const SparseLU&) = delete;
  SparseLU& operator=(const SparseLU&) = delete;

  index_t n() const;
  // Bytes held by the numeric factors (for the garbage collector's accounting).
  size_t bytes() const;

  // x = A⁻¹ b (transpose = false) or x = A⁻ᵀ b, with b and x row-major n × k
  // (x may alias b). Uses the pool's scratch for the column-major double copy
  // KLU works on (none for a float64 vector solved in place).
  template <class T>
  void solve(ThreadPool& pool, bool transpose, const T* b, T* x, index_t k);

 private:
  SparseLU();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sad
