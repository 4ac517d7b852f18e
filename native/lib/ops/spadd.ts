// Sparse + sparse: C = αA + βB. (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface SpaddOptions {
  alpha?: number | Tensor;
  beta?: number | Tensor;
}

export function spadd(A: CsrMatrix, B: CsrMatrix, opts: SpaddOptions = {}): CsrMatrix {
  void A; void B; void opts;
  return fail('spadd', 'not implemented yet');
}
