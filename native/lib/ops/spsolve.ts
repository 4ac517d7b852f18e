// Sparse direct solve: x = A⁻¹ b for a square CsrMatrix A and a vector b (length
// n) or a dense matrix of right-hand sides (n × k), through a sparse LU with
// partial pivoting and a fill-reducing ordering (SuiteSparse KLU: BTF + AMD,
// pivot tolerance 0.001 as KLU's default).
// The VJP reuses the factors for the transposed solve; A is never densified.
//
// splu(A) exposes the factorization for reuse: many solves (and their
// gradients, with respect to b and to A's values) for one factorization.
//
// Singular A is an error: "structurally singular" when no values could make
// the pattern invertible (an empty row or column, or no perfect matching of rows
// to columns), "numerically singular" with the row of A whose pivot vanished
// otherwise (e.g. a row of stored zeros, or a row equal to another). As in
// SuperLU, KLU and LAPACK, "vanished" means exactly zero: a singular matrix whose
// zero pivot rounding turns into a tiny one is not detected (x is then huge, or
// one of many solutions of a consistent system).
// NaN/Inf: nothing is checked up front, and they propagate. A NaN or Inf in b
// reaches every entry of x coupled to it. NaN or Inf values in A are factored
// without complaint, and x comes out NaN in the entries they reach (KLU accepts
// a NaN pivot: a row of A holding only NaN is not reported as singular).
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, sameKind, tensorArg } from './check.js';
import { maskedOuterSum } from './sptrsv.js';

type AnalyzeFn = (n: number, indptr: Int32Array, indices: Int32Array) => object;
type FactorFn = (rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray, analysis?: object) => object;
type SolveFn = (handle: object, transpose: boolean, b: FloatArray, x: FloatArray, k: number) => void;
type DisposeFn = (handle: object) => void;

/**
 * The sparse LU factors of a square matrix A (made by splu(A)). solve() and
 * solveTranspose() are differentiable with respect to b and to the values of
 * the A given to splu, reusing these factors in the backward pass. The factors
 * are freed by the garbage collector, or at once by dispose(); a backward pass
 * through a solve needs them, so dispose only after backward().
 */
export class SparseLU {
  /** The factored matrix (its values tensor receives the gradients of the solves). */
  readonly matrix: CsrMatrix;
  #handle: object | null;

  /** @internal Use splu(A). */
  constructor(matrix: CsrMatrix, handle: object) {
    this.matrix = matrix;
    this.#handle = handle;
  }

  get shape(): [number, number] {
    return this.matrix.shape;
  }

  get dtype(): CsrMatrix['dtype'] {
    return this.matrix.dtype;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** x = A⁻¹ b, for b of shape [n] or [n, k]. */
  solve(b: Tensor): Tensor {
    return luSolve('SparseLU.solve', this, b, false);
  }

  /** x = A⁻ᵀ b, for b of shape [n] or [n, k]. */
  solveTranspose(b: Tensor): Tensor {
    return luSolve('SparseLU.solveTranspose', this, b, true);
  }

  /** Frees the factors now. Later solves (and backward passes that need them) throw. */
  dispose(): void {
    if (this.#handle) kernel<DisposeFn>('spluDispose')(this.#handle);
    this.#handle = null;
  }

  /** @internal Raw solve into out (n × k row-major), no tape. */
  solveInto(op: string, transpose: boolean, b: FloatArray, out: FloatArray, k: number): void {
    if (!this.#handle) fail(op, 'the SparseLU was disposed (call dispose() only after the last solve and backward())');
    kernel<SolveFn>('spluSolve')(this.#handle, transpose, b, out, k);
  }
}

function squareArg(op: string, A: CsrMatrix): void {
  csrArg(op, 'A', A);
  if (A.rows !== A.cols) fail(op, `A must be square but has shape ${shapeStr(A.shape)}`);
}

function rhsArg(op: string, A: CsrMatrix, b: Tensor): void {
  tensorArg(op, 'b', b, [1, 2]);
  if (b.shape[0] !== A.rows) fail(op, `A has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${A.rows} rows)`);
  sameKind(op, ['A', A], ['b', b]);
}

/** Factors a square A (P Aᵀ Q = L U by KLU, in double precision) for repeated solves. */
export function splu(A: CsrMatrix): SparseLU {
  const op = 'splu';
  squareArg(op, A);
  if (A.device !== 'cpu') fail(op, `A is on ${A.device}; the sparse LU runs on the CPU`);
  return factor(op, A);
}

// The symbolic analysis (BTF + AMD orderings) depends on the pattern only, so
// it is made once per pattern and kept in the pattern's cache: repeated solves
// with new values (a training loop) pay only the numeric factorization.
const ANALYSIS_KEY = 'splu:analysis';

function factor(op: string, A: CsrMatrix): SparseLU {
  const { indptr, indices } = A.pattern.raw;
  let handle: object;
  try {
    let analysis = A.pattern.cache.get(ANALYSIS_KEY) as object | undefined;
    if (!analysis) {
      analysis = kernel<AnalyzeFn>('spluAnalyze')(A.rows, indptr, indices);
      A.pattern.cache.set(ANALYSIS_KEY, analysis);
    }
    handle = kernel<FactorFn>('spluFactor')(A.rows, A.cols, indptr, indices, A.values.data, analysis);
  } catch (e) {
    // The core names the op 'spsolve'; report it under the caller's name.
    const msg = e instanceof Error ? e.message : String(e);
    fail(op, msg.replace(/^spsolve: /, ''));
  }
  return new SparseLU(A, handle);
}

// x = A⁻¹ b (or A⁻ᵀ b) with the factors of lu, recorded on the tape with
// inputs [A.values, b].
function luSolve(op: string, lu: SparseLU, b: Tensor, transpose: boolean): Tensor {
  const A = lu.matrix;
  rhsArg(op, A, b);
  const n = A.rows;
  const k = b.ndim === 1 ? 1 : b.shape[1]!;
  const x = uninit(A.dtype, n * k);
  lu.solveInto(op, transpose, b.data, x, k);
  const out = new Tensor(x, b.shape);

  return record(op, out, [A.values, b], (v, needs) => {
    const w = uninit(A.dtype, n * k);
    lu.solveInto(op, !transpose, v.data, w, k);
    let dA: Tensor | null = null;
    if (needs[0]) {
      // A x = b:  dA = −(A⁻ᵀ v) xᵀ ⊙ mask(A);   Aᵀ x = b:  dA = −x (A⁻¹ v)ᵀ ⊙ mask(A)
      dA = transpose ? maskedOuterSum(A, x, w, k, -1) : maskedOuterSum(A, w, x, k, -1);
    }
    // A x = b:  db = A⁻ᵀ v;   Aᵀ x = b:  db = A⁻¹ v
    return [dA, needs[1] ? new Tensor(w, b.shape) : null];
  });
}

export function spsolve(A: CsrMatrix, b: Tensor): Tensor {
  const op = 'spsolve';
  // Validate arguments (all before the factorization)
  squareArg(op, A);
  rhsArg(op, A, b);
  if (A.device !== 'cpu') fail(op, `A is on ${A.device}; the sparse LU runs on the CPU`);

  const lu = factor(op, A);
  const x = luSolve(op, lu, b, false);
  // Without a tape entry nothing will need the factors again: free them now
  // instead of waiting for the garbage collector. With one, the backward
  // closure holds lu (and the collector frees it with the tape).
  if (!x.gradFn) lu.dispose();
  return x;
}
