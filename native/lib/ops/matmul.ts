// matmul: one entry point dispatching on operand kinds.
//   CsrMatrix × 1-D Tensor   → spmv
//   CsrMatrix × 2-D Tensor   → spdmm
//   CsrMatrix × CsrMatrix    → spgemm (a CsrMatrix)
//   Tensor × Tensor          → dense GEMM (denseMatmul)
//   Tensor × CsrMatrix       → D A = (Aᵀ Dᵀ)ᵀ, below: O(rows(D) · nnz(A)), never densifying A
// Each runs where its operands are (mixed devices are refused by name), through
// ops that take host or device storage alike.
import { CsrMatrix } from '../csr.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { sameKind } from './check.js';
import { denseMatmul } from './gemm.js';
import { denseTranspose } from './shape.js';
import { spdmm } from './spdmm.js';
import { spgemm } from './spgemm.js';
import { spmv } from './spmv.js';
import { transpose } from './structure.js';

export function matmul(a: CsrMatrix, b: CsrMatrix): CsrMatrix;
export function matmul(a: Tensor | CsrMatrix, b: Tensor): Tensor;
export function matmul(a: Tensor, b: CsrMatrix): Tensor;
export function matmul(a: Tensor | CsrMatrix, b: Tensor | CsrMatrix): Tensor | CsrMatrix;
export function matmul(a: Tensor | CsrMatrix, b: Tensor | CsrMatrix): Tensor | CsrMatrix {
  const op = 'matmul';
  if (!(a instanceof Tensor) && !(a instanceof CsrMatrix)) expected(op, 'a Tensor or a CsrMatrix', 'a', a);
  if (!(b instanceof Tensor) && !(b instanceof CsrMatrix)) expected(op, 'a Tensor or a CsrMatrix', 'b', b);
  if (a instanceof CsrMatrix) {
    if (b instanceof CsrMatrix) return spgemm(a, b);
    if (b.ndim === 1) return spmv(a, b);
    if (b.ndim === 2) return spdmm(a, b);
    return fail(op, `a is a CsrMatrix of shape ${shapeStr(a.shape)}, so b must be 1-D or 2-D but has shape ${shapeStr(b.shape)}`);
  }
  if (b instanceof CsrMatrix) return denseTimesCsr(a, b);
  return denseMatmul(a, b);
}

/**
 * C = D A for a dense D ([m, k], or a 1-D [k] giving [n]) and a CsrMatrix A
 * [k, n], on either device: D A = (Aᵀ Dᵀ)ᵀ with Aᵀ on the transpose of A's
 * pattern (cached), so SpMV / SpDMM do the work, differentiable through the
 * transpose's value gather: O(rows(D) · nnz(A)), never densifying A.
 */
function denseTimesCsr(D: Tensor, A: CsrMatrix): Tensor {
  const op = 'matmul';
  if (D.ndim !== 1 && D.ndim !== 2) fail(op, `b is a CsrMatrix of shape ${shapeStr(A.shape)}, so a must be 1-D or 2-D but has shape ${shapeStr(D.shape)}`);
  const k = D.shape[D.ndim - 1]!;
  if (k !== A.rows) fail(op, `a has shape ${shapeStr(D.shape)} but b has shape ${shapeStr(A.shape)}: the inner dimensions (${k} and ${A.rows}) differ`);
  sameKind(op, ['a', D], ['b', A]);
  const At = transpose(A);
  return D.ndim === 1 ? spmv(At, D) : denseTranspose(spdmm(At, denseTranspose(D)));
}
