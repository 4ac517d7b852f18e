// SpMV: y = A x for a CsrMatrix A and a dense vector x.
import { record } from '../autograd.js';
import { addon, kernel, type FloatArray } from '../addon.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, sameKind, tensorArg } from './check.js';
import type { CsrMatrix } from '../csr.js';

type SpmvBackwardFn = (
  rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray,
  v: FloatArray, x: FloatArray, dA: FloatArray | null, dx: FloatArray | null,
) => void;

let spmvBackwardKernel: SpmvBackwardFn | undefined;
function spmvBackward(...args: Parameters<SpmvBackwardFn>): void {
  spmvBackwardKernel ??= kernel<SpmvBackwardFn>('spmvBackward');
  spmvBackwardKernel(...args);
}

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
    // dA = (v xᵀ) ⊙ mask(A);  dx = Aᵀ v  — one fused pass over A.
    const dA = needs[0] ? uninit(A.dtype, A.nnz) : null;
    const dx = needs[1] ? uninit(A.dtype, A.cols) : null;
    spmvBackward(A.rows, A.cols, indptr, indices, A.values.data, v.data, x.data, dA, dx);
    return [dA && new Tensor(dA, [A.nnz]), dx && new Tensor(dx, [A.cols])];
  });
}
