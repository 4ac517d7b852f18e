// SpGEMM: C = A B for CsrMatrix A, B. (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';

export function spgemm(A: CsrMatrix, B: CsrMatrix): CsrMatrix {
  void A; void B;
  return fail('spgemm', 'not implemented yet');
}
