// Sparse triangular solve: x = L⁻¹ b for a lower (or upper) triangular CsrMatrix
// L and a vector b (length n) or a dense matrix of right-hand sides (n × k), on either device.
//
// NaN/Inf: no check is made on values. A NaN or Inf in b or in L propagates
// into the entries of x that depend on it (an infinite diagonal entry gives 0
// times the rest of its row, so it may also yield NaN); only an exact zero on
// the diagonal is an error.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { expected, fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind, tensorArg } from './check.js';
import { type CsrArgs, csrArgs, empty, storage, type Storage, storageOrNull } from './transfer.js';

export interface SptrsvOptions {
  /** Solve with the lower triangle (default true); false for an upper triangular L. */
  lower?: boolean;
  /** Treat the diagonal as ones: stored diagonal entries are ignored (and get a zero gradient). */
  unitDiagonal?: boolean;
}

type CheckFn = (n: number, indptr: Int32Array, indices: Int32Array, lower: boolean, unit: boolean) => [number, number, number];
type SolveFn = (...args: [...CsrArgs, b: Storage, x: Storage, k: number, lower: boolean, unit: boolean]) => number;
type BackwardFn = (
  ...args: [...CsrArgs, x: Storage, v: Storage, w: Storage, grad: Storage | null, k: number, lower: boolean, unit: boolean]
) => number;

// The structure check is O(rows) and the pattern immutable: run it once per
// pattern and side, and remember a pass.
function checkTriangle(op: string, L: CsrMatrix, lower: boolean, unit: boolean): void {
  const key = `sptrsv:${lower ? 'lower' : 'upper'}${unit ? ':unit' : ''}`;
  if (L.pattern.cache.get(key) === true) return;
  const { indptr, indices } = L.pattern.raw;
  const [kind, i, j] = kernel<CheckFn>('sptrsvCheck')(L.rows, indptr, indices, lower, unit);
  if (kind === 1) {
    if (lower) fail(op, `L has an entry above the diagonal at (${i}, ${j}) but lower: true; use tril() or pass lower: false`);
    fail(op, `L has an entry below the diagonal at (${i}, ${j}) but lower: false; use triu() or pass lower: true`);
  }
  if (kind === 2) fail(op, `L has no diagonal entry in row ${i}; store it, or pass unitDiagonal: true if it is implicitly 1`);
  L.pattern.cache.set(key, true);
}

function zeroDiagonal(op: string, row: number): never {
  return fail(op, `L has a zero on the diagonal in row ${row} (the triangular system is singular)`);
}

export function sptrsv(L: CsrMatrix, b: Tensor, opts: SptrsvOptions = {}): Tensor {
  const op = 'sptrsv';
  // Validate arguments
  csrArg(op, 'L', L);
  tensorArg(op, 'b', b, [1, 2]);
  const o = optionsArg<SptrsvOptions>(op, opts);
  // Interpret options
  const lower = o.lower ?? true;
  const unit = o.unitDiagonal ?? false;
  if (typeof lower !== 'boolean') expected(op, 'a boolean', 'lower', lower);
  if (typeof unit !== 'boolean') expected(op, 'a boolean', 'unitDiagonal', unit);
  const n = L.rows;
  if (L.cols !== n) fail(op, `L must be square but has shape ${shapeStr(L.shape)}`);
  if (b.shape[0] !== n) fail(op, `L has shape ${shapeStr(L.shape)} but b has shape ${shapeStr(b.shape)} (needs ${n} rows)`);
  sameKind(op, ['L', L], ['b', b]);
  checkTriangle(op, L, lower, unit);

  // Forward: substitution row by row on the CSR (on the device the
  // synchronisation-free solve, which reads the pivot check back, so each solve
  // synchronises).
  const k = b.ndim === 1 ? 1 : b.shape[1]!;
  const x = empty(L.dtype, b.shape, L.device);
  const bad = kernel<SolveFn>('sptrsv')(...csrArgs(L), storage(b), storage(x), k, lower, unit);
  if (bad >= 0) {
    x.dispose();
    zeroDiagonal(op, bad);
  }

  // db = L⁻ᵀ v;  dL = −(L⁻ᵀ v) xᵀ ⊙ mask(L)  (summed over the k right-hand sides; 0 on an ignored unit diagonal)
  return record(op, x, [L.values, b], (v, needs) => {
    // One native call, one sweep over L for a vector b (a transposed sweep on
    // the CSR of L for db: no Lᵀ is formed).
    const w = empty(L.dtype, b.shape, L.device);
    const dL = needs[0] ? empty(L.dtype, [L.nnz], L.device) : null;
    const bad = kernel<BackwardFn>('sptrsvBackward')(...csrArgs(L), storage(x), storage(v), storage(w), storageOrNull(dL), k, lower, unit);
    if (bad >= 0 || !needs[1]) w.dispose();
    if (bad >= 0) {
      dL?.dispose();
      zeroDiagonal(op, bad);
    }
    return [dL, needs[1] ? w : null];
  });
}
