// Sparse direct solve: x = A⁻¹ b through a sparse LU. (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function spsolve(A: CsrMatrix, b: Tensor): Tensor {
  void A; void b;
  return fail('spsolve', 'not implemented yet');
}
