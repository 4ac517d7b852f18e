// Dense direct solves, the dense counterparts of spsolve and sptrsv (the paper's
// "dense solve" and DTRSV): x = A⁻¹ b for a square dense Tensor A, and x = L⁻¹ b
// for the lower (or upper) triangle of a dense Tensor L; b a vector (length n)
// or a matrix of right-hand sides (n × k). Kernels: native/core/dense_solve.h
// (blocked LU with partial pivoting, blocked triangular solves, on the engine's
// threads; OpenBLAS GEMM/GEMV for the updates when built in).
//
// Singular A is an error naming the column whose pivot vanished; a zero on the
// triangle's diagonal is an error naming the row. NaN/Inf are not checked: they
// propagate into x (a column of A holding only NaN below the diagonal reports NaN).
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import { allocate } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { optionsArg, sameKind, tensorArg } from './check.js';

export interface DenseTriangularSolveOptions {
  /** Solve with the lower triangle (default true); false for the upper one. */
  lower?: boolean;
  /** Treat the diagonal as ones: it is not read (and gets a zero gradient). */
  unitDiagonal?: boolean;
}

type LuFactorFn = (n: number, LU: FloatArray, piv: Int32Array) => void;
type LuSolveFn = (n: number, k: number, LU: FloatArray, piv: Int32Array, transpose: boolean, B: FloatArray) => void;
type TriSolveFn = (n: number, k: number, L: FloatArray, lower: boolean, unit: boolean, transpose: boolean, B: FloatArray) => void;
type NegateFn = (op: 'mul', shape: number[], a: FloatArray, aShape: number[], b: number, bShape: [], out: FloatArray) => void;
type GemmFn = (ta: boolean, tb: boolean, m: number, n: number, k: number, A: FloatArray, B: FloatArray, C: FloatArray) => void;

function checkSystem(op: string, name: string, Ain: unknown, bin: unknown): { n: number; k: number } {
  const A = tensorArg(op, name, Ain, 2);
  const b = tensorArg(op, 'b', bin, [1, 2]);
  const [rows, cols] = A.shape as [number, number];
  if (rows !== cols) fail(op, `${name} must be square but has shape ${shapeStr(A.shape)}`);
  if (b.shape[0] !== rows) fail(op, `${name} has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${rows} rows)`);
  sameKind(op, [name, A], ['b', b]);
  // The dense solves are the timing study's dense baseline: CPU only.
  if (A.device !== 'cpu') fail(op, `${name} is on ${A.device}; the dense solves run on cpu tensors only (move them with .to('cpu'))`);
  return { n: rows, k: b.ndim === 1 ? 1 : b.shape[1]! };
}

/** out = −G Xᵀ (n × n) for G, X of shape n × k: the dense part of dA in both solves. */
function negOuter(dtype: Tensor['dtype'], n: number, k: number, G: FloatArray, X: FloatArray): FloatArray {
  const negG = allocate(dtype, n * k);
  kernel<NegateFn>('binary')('mul', [n * k], G, [n * k], -1, [], negG);
  const out = allocate(dtype, n * n);
  kernel<GemmFn>('gemm')(false, true, n, n, k, negG, X, out);
  return out;
}

/** x = A⁻¹ b for a square dense A (LU with partial pivoting); the VJP reuses the factors. */
export function denseSolve(A: Tensor, b: Tensor): Tensor {
  const op = 'denseSolve';
  const { n, k } = checkSystem(op, 'A', A, b);

  const LU = allocate(A.dtype, n * n);
  LU.set(A.data);
  const piv = new Int32Array(n);
  kernel<LuFactorFn>('denseLuFactor')(n, LU, piv);
  const x = allocate(A.dtype, n * k);
  x.set(b.data);
  kernel<LuSolveFn>('denseLuSolve')(n, k, LU, piv, false, x);
  const out = new Tensor(x, b.shape);

  return record(op, out, [A, b], (v, needs) => {
    // g = A⁻ᵀ v
    const g = allocate(A.dtype, n * k);
    g.set(v.data);
    kernel<LuSolveFn>('denseLuSolve')(n, k, LU, piv, true, g);
    // dA = −g xᵀ
    const dA = needs[0] ? new Tensor(negOuter(A.dtype, n, k, g, x), [n, n]) : null;
    // db = g
    const db = needs[1] ? new Tensor(g, b.shape) : null;
    return [dA, db];
  });
}

/** x = L⁻¹ b for the lower (default) or upper triangle of a square dense L; entries outside it are not read. */
export function denseTriangularSolve(L: Tensor, b: Tensor, opts: DenseTriangularSolveOptions = {}): Tensor {
  const op = 'denseTriangularSolve';
  const { n, k } = checkSystem(op, 'L', L, b);
  const o = optionsArg<DenseTriangularSolveOptions>(op, opts);
  const lower = o.lower ?? true;
  const unit = o.unitDiagonal ?? false;
  if (typeof lower !== 'boolean') expected(op, 'a boolean', 'lower', lower);
  if (typeof unit !== 'boolean') expected(op, 'a boolean', 'unitDiagonal', unit);
  if (!unit) {
    for (let i = 0; i < n; i++) {
      if (L.data[i * n + i] === 0) fail(op, `L has a zero on the diagonal in row ${i} (the triangular system is singular)`);
    }
  }

  const x = allocate(L.dtype, n * k);
  x.set(b.data);
  kernel<TriSolveFn>('denseTriSolve')(n, k, L.data, lower, unit, false, x);
  const out = new Tensor(x, b.shape);

  return record(op, out, [L, b], (v, needs) => {
    // g = L⁻ᵀ v
    const g = allocate(L.dtype, n * k);
    g.set(v.data);
    kernel<TriSolveFn>('denseTriSolve')(n, k, L.data, lower, unit, true, g);
    let dL: Tensor | null = null;
    if (needs[0]) {
      // dL = −tril(g xᵀ) (triu when upper; the diagonal too unless it is unit)
      const full = negOuter(L.dtype, n, k, g, x);
      for (let i = 0; i < n; i++) {
        const row = i * n;
        if (lower) full.fill(0, row + (unit ? i : i + 1), row + n);
        else full.fill(0, row, row + (unit ? i + 1 : i));
      }
      dL = new Tensor(full, [n, n]);
    }
    // db = g
    const db = needs[1] ? new Tensor(g, b.shape) : null;
    return [dL, db];
  });
}
