// SDDMM, the sampled dense-dense product: out[p] = alpha Σ_c u[i, c] x[j, c]
// for each stored entry p = (i, j) of A's pattern. It is the dA of the VJPs of
// the form (u xᵀ) ⊙ mask(A) — the solves' −(A⁻ᵀ v) xᵀ (alpha = −1) — so it has
// its own module and kernels (native/core/sddmm.h), on either device.
import { kernel } from '../addon.js';
import type { CsrMatrix } from '../csr.js';
import type { Tensor } from '../tensor.js';
import { type CsrArgs, csrArgs, empty, storage, type Storage } from './transfer.js';

type PatternArgs = [rows: CsrArgs[0], cols: CsrArgs[1], nnz: CsrArgs[2], indptr: CsrArgs[3], indices: CsrArgs[4]];
type MaskedOuterSumFn = (...a: [...PatternArgs, u: Storage, x: Storage, k: number, alpha: number, skipDiagonal: boolean, out: Storage]) => void;

/**
 * @internal out[p] = alpha Σ_c u[i, c] x[j, c] on A's pattern, a tensor of A's
 * nnz on A's device, for u (rows × k) and x (cols × k) there too. With
 * skipDiagonal, 0 where i = j (the gradient of an ignored unit diagonal).
 */
export function maskedOuterSum(A: CsrMatrix, u: Tensor, x: Tensor, k: number, alpha: number, skipDiagonal = false): Tensor {
  const [rows, cols, nnz, indptr, indices] = csrArgs(A);
  const out = empty(A.dtype, [A.nnz], A.device);
  kernel<MaskedOuterSumFn>('maskedOuterSum')(rows, cols, nnz, indptr, indices, storage(u), storage(x), k, alpha, skipDiagonal, storage(out));
  return out;
}
