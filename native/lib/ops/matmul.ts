// matmul: one entry point dispatching on operand kinds. (Being written.)
import type { CsrMatrix } from '../csr.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function matmul(a: Tensor | CsrMatrix, b: Tensor | CsrMatrix): Tensor | CsrMatrix {
  void a; void b;
  return fail('matmul', 'not implemented yet');
}
