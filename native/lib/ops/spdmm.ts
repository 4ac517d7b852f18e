// SpDMM: C = A D for a CsrMatrix A and a dense 2-D Tensor D. (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function spdmm(A: CsrMatrix, D: Tensor): Tensor {
  void A; void D;
  return fail('spdmm', 'not implemented yet');
}
