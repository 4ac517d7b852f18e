// The sparse Cholesky on the GPU, as the hybrid spsolve does LU (spsolve_hybrid.h):
// CHOLMOD factors on the CPU, and the factor goes to the device as a SplitLU, so
// every solve (forward and the VJP's) runs there with the hybrid LU's kernels
// (two synchronisation-free triangular solves between a gather and a scatter).
//
// The split. CHOLMOD gives P S Pᵀ = L Lᵀ with perm (row k of L Lᵀ is row perm[k]
// of S). Write L = L̃ D with L̃ unit lower and D = diag(L). Then
//     L Lᵀ = L̃ · (D² L̃ᵀ) = L_lu U_lu,   L_lu = L̃ (unit lower),   U_lu = D Lᵀ (upper),
// an LU factorization of S[perm, perm] with no scaling. In SplitLU's terms
// (M = Sᵀ = S, L U [k, l] = M[P[k], Q[l]] / Rs[k]):
//     P = Q = perm,   Rs = 1,   Lᵀ_lu = L̃ᵀ (CSR: column j of L over L_jj, diagonal 1 first),
//     Uᵀ_lu = L D (CSR: row i of L, entry (i, j) times L_jj, diagonal L_ii² last).
// S is symmetric, so the plain and the transposed SplitLU solves both give S⁻¹ b.
#pragma once

#include "cholesky.h"
#include "spsolve_hybrid.h"

namespace sad {

// The factor of `chol` as a SplitLU (see above). Throws what lower_factor throws.
SplitLU split_cholesky(SparseCholesky& chol);

}  // namespace sad
