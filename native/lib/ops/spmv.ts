// SpMV: y = A x for a CsrMatrix A and a dense vector x.
import { record } from '../autograd.js';
import { addon } from '../addon.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, sameKind, tensorArg } from './check.js';
import type { CsrMatrix } from '../csr.js';

export function spmv(A: CsrMatrix, x: Tensor): Tensor {
  const op = 'spmv';
  csrArg(op, 'A', A);
  tensorArg(op, 'x', x, 1);
  if (x.shape[0] !== A.cols) fail(op, `A has shape ${shapeStr(A.shape)} but x has shape ${shapeStr(x.shape)} (needs length ${A.cols})`);
  sameKind(op, ['A', A], ['x', x]);

  const { indptr, indices } = A.pattern.raw;
  const y = uninit(A.dtype, A.rows);
  addon().spmv(A.rows, A.cols, indptr, indices, A.values.data, x.data, y);
  const out = new Tensor(y, [A.rows]);

  return record(op, out, [A.values, x], (v, needs) => {
    let dA: Tensor | null = null;
    let dx: Tensor | null = null;
    if (needs[0]) {
      // dA = (v xᵀ) ⊙ mask(A)
      const g = uninit(A.dtype, A.nnz);
      addon().maskedOuter(A.rows, indptr, indices, v.data, x.data, g);
      dA = new Tensor(g, [A.nnz]);
    }
    if (needs[1]) {
      // dx = Aᵀ v
      const g = uninit(A.dtype, A.cols);
      addon().spmvTranspose(A.rows, A.cols, indptr, indices, A.values.data, v.data, g);
      dx = new Tensor(g, [A.cols]);
    }
    return [dA, dx];
  });
}
