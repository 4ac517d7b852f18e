// SpSolve on the GPU, as a documented hybrid: the sparse LU is factored on the
// CPU by KLU, and the factors are moved to the GPU, where every solve (forward
// and the VJP's transposed one) is two synchronisation-free triangular solves
// (sptrsv_cuda) between a permuting gather and scatter. The factorization is
// sequential and pivoting is data-dependent, so the CPU does it once per matrix
// value change; the solves, which a training loop repeats, stay on the device.
//
// The factors. KLU reads compressed columns and A's CSR arrays are the CSC
// arrays of M = Aᵀ, so KLU factors M with BTF off (one block, no off-diagonal
// part F), its default row scaling, a fill-reducing column order Q and pivot
// rows P. Its scale factors come out in pivot order (Rs[k] belongs to row P[k],
// as klu_solve reads them):
//     L U [k, l] = M[P[k], Q[l]] / Rs[k].
// KLU returns L and U column-compressed: the CSC arrays of L are the CSR arrays
// of Lᵀ (upper, unit diagonal) and those of U the CSR arrays of Uᵀ (lower).
// Then, with x, b (and y, v) n × k row-major:
//   A x = b  (Mᵀ x = b):   s[l] = b[Q[l]];  Uᵀ w = s;  Lᵀ u = w;  x[P[k]] = u[k] / Rs[k]
//   Aᵀ y = v (M y = v):    r[k] = v[P[k]] / Rs[k];  L t = r;  U z = t;  y[Q[l]] = z[l]
// where L t = r and U z = t are the transposed solves on the CSR of Lᵀ and Uᵀ.
#pragma once

#include <memory>
#include <vector>

#include "common.h"
#include "device.h"
#include "sptrsv.h"
#include "thread_pool.h"

namespace sad {

// The factors of one square A, on the host.
struct SplitLU {
  index_t n = 0;
  std::vector<index_t> lt_indptr, lt_indices;  // Lᵀ (upper, unit diagonal stored first in each row)
  std::vector<double> lt_values;
  std::vector<index_t> ut_indptr, ut_indices;  // Uᵀ (lower, diagonal last in each row)
  std::vector<double> ut_values;
  std::vector<index_t> P, Q;  // pivot rows and column order of M = Aᵀ
  std::vector<double> Rs;     // row scale factors of M in pivot order (Rs[k] divides row P[k])
};

// Factors A (square, valid CSR) by KLU as above. Throws Error naming `op` for a
// structurally or numerically singular A, with the message the CPU's spsolve
// gives (a failed factorization is explained by factoring A as SparseLU does:
// its BTF analysis names an empty row or column, and its pivot order the row),
// and "<op>: built without SuiteSparse KLU" in a build without it.
template <class T>
SplitLU split_lu_factor(ThreadPool& pool, const Csr<const T>& A, const char* op = "spsolve");

// The solves of the header comment on the host (sptrsv_cpu / sptrsv_transpose_cpu):
// the reference the device path is checked against, and a check of the factors.
template <class T>
void split_lu_solve_cpu(ThreadPool& pool, const SplitLU& f, bool transpose, const T* b, T* x, index_t k);

// The factors on the device, values in T.
template <class T>
class CudaSplitLU {
 public:
  explicit CudaSplitLU(const SplitLU& f);
  index_t n() const { return n_; }
  // x = A⁻¹ b (transpose = false) or A⁻ᵀ b, device pointers n × k (x may alias b).
  // Synchronises (the triangular solves read their pivot checks back).
  void solve(bool transpose, const T* b, T* x, index_t k) const;

 private:
  index_t n_ = 0;
  int64_t lt_nnz_ = 0, ut_nnz_ = 0;
  cuda::Buffer<index_t> lt_indptr_, lt_indices_, ut_indptr_, ut_indices_, P_, Q_;
  cuda::Buffer<T> lt_values_, ut_values_, Rs_;
};

}  // namespace sad
