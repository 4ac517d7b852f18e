// Sparse Cholesky of a symmetric positive definite CsrMatrix (SuiteSparse
// CHOLMOD: supernodal where it pays, AMD / METIS / best-of-several ordering),
// its log-determinant, and their VJPs w.r.t. b and A's stored values.
//
// Which symmetric S an A stands for (`storage`, detected when 'auto'):
//   'full'  : both triangles stored; S = (A + Aᵀ)/2. Each stored entry is an
//             independent value, as in our other ops: ∂f/∂A_ij = (∂f/∂S)_ij, so
//             the gradient of logdet is S⁻¹ ⊙ mask(A) (= A⁻ᵀ ⊙ mask(A) for a symmetric A).
//   'upper' / 'lower' : one triangle stored (diagonal included); S_ij = S_ji = A_ij,
//             so an off-diagonal entry stands for two: ∂f/∂A_ij = 2 (∂f/∂S)_ij.
//
//   x = S⁻¹ b:   db = S⁻¹ v = λ,   dS = −(λ xᵀ + x λᵀ)/2     (the same factor solves for λ)
//   logdet S:    dS = S⁻¹ on A's pattern, by selected inversion (Takahashi's
//                recurrences on L's pattern: O(nnz(L)) memory, never a dense
//                inverse, never n solves; native/core/cholesky.h).
//
// Not positive definite is an error naming the column of A where a pivot was
// not positive.
//
// On the device ('cuda'), the same API as a hybrid (ops/cholesky_device.ts): CHOLMOD
// factors on the CPU, the solves and the solve's VJP run on the device, and
// logdet's VJP (selected inversion) runs on the CPU with the result copied there.
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr, SparseAdError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind, tensorArg } from './check.js';
import { type DeviceFactor, deviceFactor, hostValues, logdetOnDevice, solveOnDevice } from './cholesky_device.js';

export type CholeskyOrdering = 'default' | 'amd' | 'metis' | 'nesdis' | 'natural' | 'best';
export type SymmetricStorage = 'auto' | 'full' | 'upper' | 'lower';

export interface CholeskyOptions {
  /**
   * Fill-reducing ordering: 'default' (CHOLMOD's: AMD, and METIS too when AMD's
   * fill is high, keeping the better), 'amd', 'metis', 'nesdis' (CHOLMOD's
   * nested dissection), 'natural', or 'best' (every method, least fill wins).
   */
  ordering?: CholeskyOrdering;
  /** Which triangles A stores (see the top of this file). Default 'auto'. */
  storage?: SymmetricStorage;
}

export interface CholeskyInfo {
  /** Bytes of the numeric factor L. */
  bytes: number;
  /** Entries of L (a supernodal L counts its dense blocks' padding). */
  nnzL: number;
  supernodal: boolean;
  /** The ordering CHOLMOD used ('amd', 'metis', …). */
  ordering: string;
  /** Bytes of the last selected inversion's own buffers (Z on L's pattern + O(n)). */
  selinvBytes: number;
}

type AnalyzeFn = (n: number, indptr: Int32Array, indices: Int32Array, storage: string, ordering: string) => object;
type FactorFn = (values: FloatArray, analysis: object, op: string) => object;
type RefactorFn = (handle: object, values: FloatArray, op: string) => void;
type SolveFn = (handle: object, b: FloatArray, x: FloatArray, k: number) => void;
type SolveGradFn = (handle: object, x: FloatArray, lambda: FloatArray, k: number, alpha: number, dA: FloatArray) => void;
type LogdetFn = (handle: object) => number;
type LogdetGradFn = (handle: object, scale: number, dA: FloatArray) => void;
type InfoFn = (handle: object) => CholeskyInfo;
type DisposeFn = (handle: object) => void;

// The core's errors already name the op; make them the engine's error type.
function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SparseAdError) throw e;
    throw new SparseAdError(e instanceof Error ? e.message : String(e));
  }
}

const ORDERINGS: readonly CholeskyOrdering[] = ['default', 'amd', 'metis', 'nesdis', 'natural', 'best'];
const STORAGES: readonly SymmetricStorage[] = ['auto', 'full', 'upper', 'lower'];

/** 'upper' when every stored entry has j ≥ i, 'lower' when every one has j ≤ i, else 'full'. */
export function detectStorage(A: CsrMatrix): 'full' | 'upper' | 'lower' {
  const { indptr, indices } = A.pattern.raw;
  let upper = true;
  let lower = true;
  for (let i = 0; i < A.rows && (upper || lower); i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = indices[p]!;
      if (j < i) upper = false;
      else if (j > i) lower = false;
    }
  }
  // A diagonal matrix is all three; 'full' and a triangle mean the same for it.
  return upper === lower ? 'full' : upper ? 'upper' : 'lower';
}

function optionsOf(op: string, opts: unknown): { ordering: CholeskyOrdering; storage: SymmetricStorage } {
  const o = optionsArg<CholeskyOptions>(op, opts);
  const ordering = o.ordering ?? 'default';
  const storage = o.storage ?? 'auto';
  if (!ORDERINGS.includes(ordering)) fail(op, `ordering must be one of ${ORDERINGS.map((s) => `'${s}'`).join(', ')} but is ${JSON.stringify(ordering)}`);
  if (!STORAGES.includes(storage)) fail(op, `storage must be one of ${STORAGES.map((s) => `'${s}'`).join(', ')} but is ${JSON.stringify(storage)}`);
  return { ordering, storage };
}

function squareArg(op: string, A: CsrMatrix): void {
  csrArg(op, 'A', A);
  if (A.rows !== A.cols) fail(op, `A must be square (symmetric positive definite) but has shape ${shapeStr(A.shape)}`);
}

/**
 * The Cholesky factor of a symmetric positive definite A (made by cholesky(A)).
 * solve() and logdet() are differentiable w.r.t. b and the values of the
 * matrix last factored (cholesky's A, or refactor's). Freed by the garbage
 * collector, or at once by dispose() (only after the last backward that needs it).
 */
export class CholeskyFactor {
  #matrix: CsrMatrix;
  readonly storage: 'full' | 'upper' | 'lower';
  readonly ordering: CholeskyOrdering;
  #handle: object | null;
  // For A on 'cuda': the factor on the device (made from #handle, remade by refactor).
  #device: DeviceFactor | null = null;
  // Bumped by refactor(): a tape entry made before it cannot use the new factor.
  #version = 0;

  /** @internal Use cholesky(A). */
  constructor(matrix: CsrMatrix, storage: 'full' | 'upper' | 'lower', ordering: CholeskyOrdering, handle: object) {
    this.#matrix = matrix;
    this.storage = storage;
    this.ordering = ordering;
    this.#handle = handle;
    if (matrix.device === 'cuda') this.#device = native(() => deviceFactor('cholesky', handle, matrix.dtype));
  }

  /** The matrix whose values the factor holds (its values receive the gradients). */
  get matrix(): CsrMatrix {
    return this.#matrix;
  }

  get shape(): [number, number] {
    return this.#matrix.shape;
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  get info(): CholeskyInfo {
    return kernel<InfoFn>('cholInfo')(this.#live('CholeskyFactor.info'));
  }

  /** x = S⁻¹ b for b of shape [n] or [n, k]. */
  solve(b: Tensor): Tensor {
    const op = 'CholeskyFactor.solve';
    const A = this.#matrix;
    const handle = this.#live(op);
    tensorArg(op, 'b', b, [1, 2]);
    if (b.shape[0] !== A.rows) fail(op, `A has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${A.rows} rows)`);
    sameKind(op, ['A', A], ['b', b]);
    const version = this.#version;
    if (A.device === 'cuda') {
      return solveOnDevice(op, A, this.storage === 'full', b, () => {
        this.#current(op, version);
        return this.#device!;
      });
    }
    const n = A.rows;
    const k = b.ndim === 1 ? 1 : b.shape[1]!;
    const x = uninit(A.dtype, n * k);
    native(() => kernel<SolveFn>('cholSolve')(handle, b.data, x, k));
    return record(op, new Tensor(x, b.shape), [A.values, b], (v, needs) => {
      const h = this.#current(op, version);
      // λ = S⁻¹ v;  db = λ;  dA from dS = −(λ xᵀ + x λᵀ)/2 on A's pattern
      const lambda = uninit(A.dtype, n * k);
      kernel<SolveFn>('cholSolve')(h, v.data, lambda, k);
      let dA: Tensor | null = null;
      if (needs[0]) {
        const g = uninit(A.dtype, A.nnz);
        kernel<SolveGradFn>('cholSolveGrad')(h, x, lambda, k, 1, g);
        dA = new Tensor(g, [A.nnz]);
      }
      return [dA, needs[1] ? new Tensor(lambda, b.shape) : null];
    });
  }

  /** log det S as a 0-d tensor, differentiable w.r.t. A's values. */
  logdet(): Tensor {
    const op = 'logdet';
    const A = this.#matrix;
    const handle = this.#live(op);
    if (A.device === 'cuda') {
      const version = this.#version;
      return logdetOnDevice(A, kernel<LogdetFn>('cholLogdet')(handle), (scale, g) => {
        kernel<LogdetGradFn>('cholLogdetGrad')(this.#current(op, version), scale, g);
      });
    }
    const out = new Tensor(A.dtype === 'float64' ? Float64Array.of(0) : Float32Array.of(0), []);
    out.data[0] = kernel<LogdetFn>('cholLogdet')(handle);
    const version = this.#version;
    return record(op, out, [A.values], (v) => {
      const h = this.#current(op, version);
      // d logdet S / dS = S⁻¹, on A's pattern by selected inversion
      const g = uninit(A.dtype, A.nnz);
      kernel<LogdetGradFn>('cholLogdetGrad')(h, v.data[0]!, g);
      return [new Tensor(g, [A.nnz])];
    });
  }

  /**
   * Factors A2 (same pattern as the factored matrix) reusing the symbolic
   * analysis and the factor's storage: a numeric factorization only. Later
   * solves and logdets use A2 (and send their gradients to A2's values). A
   * backward pass through an earlier solve must run before refactor().
   */
  refactor(A2: CsrMatrix): this {
    const op = 'CholeskyFactor.refactor';
    const handle = this.#live(op);
    csrArg(op, 'A', A2);
    const A = this.#matrix;
    if (!A2.pattern.equals(A.pattern)) {
      fail(op, `A2 must have the factored matrix's pattern (shape ${shapeStr(A.shape)}, nnz ${A.nnz}) but has shape ${shapeStr(A2.shape)}, nnz ${A2.nnz} or other positions`);
    }
    if (A2.dtype !== A.dtype || A2.device !== A.device) fail(op, `A2 is ${A2.dtype} on ${A2.device} but the factor is for ${A.dtype} on ${A.device}`);
    this.#version++;
    native(() => kernel<RefactorFn>('cholRefactor')(handle, hostValues(A2), op));
    this.#matrix = A2;
    if (this.#device) {
      this.#device.dispose();
      this.#device = native(() => deviceFactor(op, handle, A2.dtype));
    }
    return this;
  }

  /** Frees the factor now. Later solves (and backward passes that need it) throw. */
  dispose(): void {
    if (this.#handle) kernel<DisposeFn>('cholDispose')(this.#handle);
    this.#device?.dispose();
    this.#handle = null;
    this.#device = null;
  }

  #live(op: string): object {
    if (!this.#handle) fail(op, 'the CholeskyFactor was disposed (call dispose() only after the last solve and backward())');
    return this.#handle;
  }

  #current(op: string, version: number): object {
    const h = this.#live(op);
    if (version !== this.#version) fail(op, 'the factor was refactored after this result was computed; run backward() before refactor()');
    return h;
  }
}

const ANALYSIS_KEY = 'cholesky:analysis';

/**
 * Factors a symmetric positive definite A: P S Pᵀ = L Lᵀ (see the top of this
 * file for S). The symbolic analysis is cached on A's pattern, so a later
 * cholesky() of a matrix with the same pattern pays the numeric factorization only.
 */
export function cholesky(A: CsrMatrix, opts: CholeskyOptions = {}): CholeskyFactor {
  return factorOf('cholesky', A, opts);
}

function factorOf(op: string, A: CsrMatrix, opts: unknown): CholeskyFactor {
  squareArg(op, A);
  const { ordering, storage: asked } = optionsOf(op, opts);
  const storage = asked === 'auto' ? detectStorage(A) : asked;
  const key = `${ANALYSIS_KEY}:${storage}:${ordering}`;
  let analysis = A.pattern.cache.get(key) as object | undefined;
  if (!analysis) {
    const { indptr, indices } = A.pattern.raw;
    analysis = native(() => kernel<AnalyzeFn>('cholAnalyze')(A.rows, indptr, indices, storage, ordering));
    A.pattern.cache.set(key, analysis);
  }
  // On 'cuda' CHOLMOD factors a host copy of A's values (one download of nnz values).
  const handle = native(() => kernel<FactorFn>('cholFactor')(hostValues(A), analysis, op));
  return new CholeskyFactor(A, storage, ordering, handle);
}

/**
 * log det S of a symmetric positive definite A (a 0-d tensor) through a sparse
 * Cholesky; its gradient is S⁻¹ ⊙ mask(A) by selected inversion.
 */
export function logdet(A: CsrMatrix, opts: CholeskyOptions = {}): Tensor {
  const f = factorOf('logdet', A, opts);
  const out = f.logdet();
  if (!out.gradFn) f.dispose();
  return out;
}

/** x = S⁻¹ b through a sparse Cholesky (spsolve's method 'cholesky'). */
export function cholSolve(A: CsrMatrix, b: Tensor, opts: CholeskyOptions = {}): Tensor {
  const op = 'spsolve';
  squareArg(op, A);
  tensorArg(op, 'b', b, [1, 2]);
  if (b.shape[0] !== A.rows) fail(op, `A has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${A.rows} rows)`);
  sameKind(op, ['A', A], ['b', b]);
  const f = factorOf(op, A, opts);
  const x = f.solve(b);
  if (!x.gradFn) f.dispose();
  return x;
}
