// Sparse + sparse: C = αA + βB for CSR A, B of one shape, and its VJP (Table 1):
//   dA = α V ⊙ mask(A)   dA[p] = α V[map_a[p]]
//   dB = β V ⊙ mask(B)   dB[q] = β V[map_b[q]]
//   dα = ⟨V, A⟩ = Σ_p V[map_a[p]] A[p],   dβ = Σ_q V[map_b[q]] B[q]
// C's pattern is the union of the two patterns (row-wise sorted merge). map_a[p]
// is the position in C of A's p-th stored entry (map_b likewise); a null map
// stands for the identity (C's pattern is that operand's own).
//
// The structure (C's pattern and the maps) depends on the patterns only, so it is
// computed once (symbolic + structure) and the values pass reuses it.
#pragma once

#include "common.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// Pass 1: row counts of the union. Writes c_indptr (rows + 1 entries, a prefix
// sum) and returns nnz(C). Fails when nnz(C) does not fit a 32-bit index.
int64_t spadd_symbolic_cpu(ThreadPool& pool, index_t rows, const index_t* a_indptr, const index_t* a_indices,
                           const index_t* b_indptr, const index_t* b_indices, index_t* c_indptr);

// Pass 2: C's column indices and the two maps, given c_indptr from pass 1.
void spadd_structure_cpu(ThreadPool& pool, index_t rows, const index_t* a_indptr, const index_t* a_indices,
                         const index_t* b_indptr, const index_t* b_indices, const index_t* c_indptr,
                         index_t* c_indices, index_t* map_a, index_t* map_b);

// c[t] = α a[p] + β b[q] over C's entries (a missing term counts as 0); every
// entry of c is written.
template <class T>
void spadd_values_cpu(ThreadPool& pool, index_t rows, const index_t* c_indptr, const index_t* a_indptr,
                      const T* a, const index_t* map_a, const index_t* b_indptr, const T* b,
                      const index_t* map_b, T alpha, T beta, T* c);

// One operand's side of the VJP, over its n stored entries: out[p] = scale v[map[p]]
// (skipped when out is null) and dot = Σ_p v[map[p]] x[p] (skipped when x is null).
template <class T>
struct SpaddGrad {
  int64_t n = 0;
  const index_t* map = nullptr;  // null: the identity
  const T* x = nullptr;
  T scale = 1;
  T* out = nullptr;
  double dot = 0;  // written by spadd_backward_cpu, summed in double in a fixed order per thread count
};

// Both sides of the VJP from one gradient v on C's pattern; where both maps are
// the identity (one shared pattern) a single pass over v serves both.
// v_broadcast: every entry of v is v[0] (the shared-constant seed of a sum() or
// mean() loss; v may hold one entry), read as such, with the same bits.
template <class T>
void spadd_backward_cpu(ThreadPool& pool, const T* v, SpaddGrad<T>& a, SpaddGrad<T>& b, bool v_broadcast = false);

// CUDA (device pointers, see device.h), the same three passes. The symbolic
// pass reads nnz(C) back (synchronises).
int64_t spadd_symbolic_cuda(index_t rows, const index_t* a_indptr, const index_t* a_indices, const index_t* b_indptr,
                            const index_t* b_indices, index_t* c_indptr);
void spadd_structure_cuda(index_t rows, const index_t* a_indptr, const index_t* a_indices, const index_t* b_indptr,
                          const index_t* b_indices, const index_t* c_indptr, index_t* c_indices, index_t* map_a,
                          index_t* map_b);
// c = α a + β b over C's nnz_c entries, element-wise (a null map: the identity).
template <class T>
void spadd_values_cuda(int64_t nnz_c, int64_t nnz_a, const T* a, const index_t* map_a, int64_t nnz_b, const T* b,
                       const index_t* map_b, T alpha, T beta, T* c);
// The VJP with the SpaddGrad pointers on the device; each dot (when x is given)
// is summed in double on the device and read back into .dot (synchronises).
template <class T>
void spadd_backward_cuda(const T* v, SpaddGrad<T>& a, SpaddGrad<T>& b);

}  // namespace sad
