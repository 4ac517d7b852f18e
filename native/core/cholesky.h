// Sparse Cholesky of a symmetric positive definite matrix (SuiteSparse CHOLMOD:
// supernodal where it pays, simplicial otherwise; AMD, METIS or the best of
// several orderings), its log-determinant, and the VJPs of both:
//
//   x = S⁻¹ b:       db = S⁻¹ v,   dS = −(λ xᵀ + x λᵀ)/2 with λ = S⁻¹ v   (S is symmetric)
//   logdet S:        dS = S⁻¹ (on the pattern only: selected inversion)
//
// S is the symmetric matrix an input CSR matrix A stands for (the Storage):
//   full  : A holds both triangles and S = (A + Aᵀ)/2, so each stored entry is an
//           independent value and ∂f/∂A_ij = (∂f/∂S)_ij, as for a general A;
//   upper / lower : A holds one triangle (diagonal included) and S_ij = S_ji = A_ij,
//           so an off-diagonal entry counts twice: ∂f/∂A_ij = 2 (∂f/∂S)_ij.
//
// The gradient of logdet needs the entries of S⁻¹ on A's pattern only. They come
// from Takahashi's recurrences on the factor (P S Pᵀ = L Lᵀ, Z = (L Lᵀ)⁻¹):
//   Z_ij = −(1/L_jj) Σ_{k>j} Z_ik L_kj              (i > j, i ∈ struct(L_{:,j}))
//   Z_jj = 1/L_jj² − (1/L_jj) Σ_{k>j} Z_kj L_kj
// over j = n−1 … 0. Every Z_ik they read lies on L's pattern (struct(L_{:,j}) is
// a clique in the filled graph), so Z is stored on L's pattern: O(nnz(L)) memory,
// O(factorization flops) work — never a dense inverse and never n solves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common.h"
#include "thread_pool.h"

namespace sad {

bool have_cholmod();

enum class CholStorage { full, upper, lower };
enum class CholOrdering { best_default, amd, metis, nesdis, natural, best };

class SparseCholesky {
 public:
  // Per pattern: the map from A's stored entries to the upper triangle of S
  // (in CSR, which CHOLMOD reads as the lower triangle in CSC), and CHOLMOD's
  // symbolic factor (ordering, elimination tree, supernodes).
  class Analysis {
   public:
    ~Analysis();
    Analysis(const Analysis&) = delete;
    Analysis& operator=(const Analysis&) = delete;
    index_t n() const;
    int64_t nnz() const;
    CholStorage storage() const;
    size_t bytes() const;

   private:
    friend class SparseCholesky;
    Analysis();
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  static std::shared_ptr<Analysis> analyze(index_t n, const index_t* indptr, const index_t* indices,
                                           CholStorage storage, CholOrdering ordering, const char* op = "cholesky");

  // Numeric factorization (double whatever T is). Throws Error naming `op` and
  // the column of A where a pivot was not positive when S is not positive definite.
  template <class T>
  static std::unique_ptr<SparseCholesky> factor(const T* values, std::shared_ptr<Analysis> analysis,
                                                const char* op = "cholesky");

  ~SparseCholesky();
  SparseCholesky(const SparseCholesky&) = delete;
  SparseCholesky& operator=(const SparseCholesky&) = delete;

  // New values on the same pattern: numeric factorization only (the symbolic
  // analysis and the factor's storage are reused). Same errors as factor().
  template <class T>
  void refactor(const T* values, const char* op = "cholesky.refactor");

  index_t n() const;
  int64_t nnz() const;         // stored entries of A (values and gradients have this length)
  size_t bytes() const;        // the numeric factor's memory (CHOLMOD's count of L)
  int64_t nnz_factor() const;  // entries of L (supernodal: including its padding)
  bool supernodal() const;
  const char* ordering_name() const;
  double logdet() const;       // log det S = 2 Σ log L_jj

  // x = S⁻¹ b, b and x row-major n × k (x may alias b).
  template <class T>
  void solve(ThreadPool& pool, const T* b, T* x, index_t k);

  // dA_p = scale · ∂ logdet S / ∂A_p by selected inversion: block-wise with
  // dense BLAS on a supernodal factor (Z in L's supernodal layout), column-wise
  // on a simplicial one (a build without BLAS first turns a supernodal factor
  // simplicial; solves keep working on that form).
  template <class T>
  void logdet_grad(T scale, T* dA);

  // The factor as plain arrays, for the GPU's triangular solves (cholesky_hybrid.h):
  // L (P S Pᵀ = L Lᵀ) as a simplicial, packed CSC with sorted rows (diagonal first
  // in each column), and the permutation (row k of L Lᵀ is row perm[k] of S).
  // Copies: this factor is left as it is.
  void lower_factor(std::vector<index_t>& colptr, std::vector<index_t>& rowind, std::vector<double>& values,
                    std::vector<index_t>& perm);

  // Peak bytes held by logdet_grad's own buffers in its last call (Z on L's
  // pattern plus O(n) work), for the memory bar's accounting.
  size_t last_selinv_bytes() const;

 private:
  SparseCholesky();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sad
