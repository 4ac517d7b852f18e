// matmul: one entry point dispatching on operand kinds.
//   CsrMatrix × 1-D Tensor   → spmv
//   CsrMatrix × 2-D Tensor   → spdmm
//   CsrMatrix × CsrMatrix    → spgemm (a CsrMatrix)
//   Tensor × Tensor          → dense GEMM (denseMatmul)
//   Tensor × CsrMatrix       → D A, below: O(rows(D) · nnz(A)), never densifying A
// Each runs where its operands are (mixed devices are refused by name): the
// sparse ops and denseMatmul branch to their device versions for 'cuda'
// operands, and D A on the device is (Aᵀ Dᵀ)ᵀ through those.
import { record } from '../autograd.js';
import { CsrMatrix } from '../csr.js';
import { allocate } from '../dtype.js';
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
 * [k, n]: row i of C is Σ_r D[i, r] A[r, :], a sparse row combination.
 */
function denseTimesCsr(D: Tensor, A: CsrMatrix): Tensor {
  const op = 'matmul';
  if (D.ndim !== 1 && D.ndim !== 2) fail(op, `b is a CsrMatrix of shape ${shapeStr(A.shape)}, so a must be 1-D or 2-D but has shape ${shapeStr(D.shape)}`);
  const k = D.shape[D.ndim - 1]!;
  if (k !== A.rows) fail(op, `a has shape ${shapeStr(D.shape)} but b has shape ${shapeStr(A.shape)}: the inner dimensions (${k} and ${A.rows}) differ`);
  sameKind(op, ['a', D], ['b', A]);
  if (D.device === 'cuda') {
    // D A = (Aᵀ Dᵀ)ᵀ with Aᵀ on the transpose of A's pattern (cached): SpMV / SpDMM
    // on the device, differentiable through the transpose's value gather.
    const At = transpose(A);
    return D.ndim === 1 ? spmv(At, D) : denseTranspose(spdmm(At, denseTranspose(D)));
  }
  const m = D.ndim === 2 ? D.shape[0]! : 1;
  const n = A.cols;
  const { indptr, indices } = A.pattern.raw;
  const vals = A.values.data;
  const dd = D.data;
  const c = allocate(D.dtype, m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let r = 0; r < k; r++) {
      const dir = dd[i * k + r]!;
      for (let p = indptr[r]!; p < indptr[r + 1]!; p++) row[indices[p]!] += dir * vals[p]!;
    }
    c.set(row, i * n);
  }
  const out = new Tensor(c, D.ndim === 2 ? [m, n] : [n]);
  return record(op, out, [D, A.values], (v, needs) => {
    const vd = v.data;
    let dD: Tensor | null = null;
    let dA: Tensor | null = null;
    if (needs[0]) {
      // dD = V Aᵀ: dD[i, r] = Σ_{p in row r} V[i, col p] A[p]
      const d = allocate(D.dtype, m * k);
      for (let i = 0; i < m; i++) {
        for (let r = 0; r < k; r++) {
          let s = 0;
          for (let p = indptr[r]!; p < indptr[r + 1]!; p++) s += vd[i * n + indices[p]!]! * vals[p]!;
          d[i * k + r] = s;
        }
      }
      dD = new Tensor(d, D.shape);
    }
    if (needs[1]) {
      // dA = (Dᵀ V) ⊙ mask(A): dA[p] = Σ_i D[i, r] V[i, col p] for p = (r, col p)
      const acc = new Float64Array(A.nnz);
      for (let i = 0; i < m; i++) {
        for (let r = 0; r < k; r++) {
          const dir = dd[i * k + r]!;
          for (let p = indptr[r]!; p < indptr[r + 1]!; p++) acc[p] += dir * vd[i * n + indices[p]!]!;
        }
      }
      const d = allocate(A.dtype, A.nnz);
      d.set(acc);
      dA = new Tensor(d, [A.nnz]);
    }
    return [dD, dA];
  });
}
