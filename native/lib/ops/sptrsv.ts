// Sparse triangular solve: x = L⁻¹ b (or U⁻¹ b). (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

export interface SptrsvOptions {
  lower?: boolean;
  unitDiagonal?: boolean;
}

export function sptrsv(L: CsrMatrix, b: Tensor, opts: SptrsvOptions = {}): Tensor {
  void L; void b; void opts;
  return fail('sptrsv', 'not implemented yet');
}
