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
// One path for both devices. CHOLMOD always factors on the CPU (on 'cuda' A's
// values come to the host once per factorization); a SolveFactor then solves
// where A lives: CHOLMOD's own solve on the host, or, on 'cuda', the factor
// uploaded split as an LU (bind_spsolve.cc's DeviceLU, native/core/cholesky_hybrid.h)
// solving as two triangular solves there. The solve's VJP is one formula over
// maskedOuterSum, which runs on either device. logdet's VJP (selected inversion)
// is a sequential sweep over L's supernodes from the last: it runs on the host
// factor and is copied to the device, with nothing for a GPU to gain at the
// sizes where the factorization itself stays on the CPU.
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import type { DType } from '../dtype.js';
import { fail, shapeStr, SparseAdError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind, tensorArg } from './check.js';
import { maskedOuterSum } from './sddmm.js';
import { addSame, empty, storage, toDevice, type Storage } from './transfer.js';

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

/** x = S⁻¹ b for row-major n × k arrays on the factor's device (S is symmetric: no transpose). */
interface SolveFactor {
  solve(b: Storage, x: Storage, k: number): void;
  dispose(): void;
}

/** The CHOLMOD factor behind `handle` solving where a matrix on `device` lives. */
function solveFactor(op: string, handle: object, device: CsrMatrix['device'], dtype: DType): SolveFactor {
  if (device === 'cpu') {
    // CHOLMOD's solve on the host; the handle is freed by CholeskyFactor.dispose().
    return {
      solve: (b, x, k) => kernel<SolveFn>('cholSolve')(handle, b as FloatArray, x as FloatArray, k),
      dispose: () => {},
    };
  }
  type DeviceLU = { solve(transpose: boolean, b: Storage, x: Storage, k: number): void; dispose(): void };
  const lu = native(() => new (kernel<new (op: string, cholHandle: object, dtype: DType) => DeviceLU>('DeviceLU'))(op, handle, dtype));
  return {
    solve: (b, x, k) => lu.solve(false, b, x, k),
    dispose: () => lu.dispose(),
  };
}

/** The host copy of A's values that CHOLMOD factors (A's own array on the CPU). */
function hostValues(A: CsrMatrix): FloatArray {
  return A.device === 'cpu' ? A.values.data : A.values.toArray();
}

// dA_p for the solve from dS = −(λ xᵀ + x λᵀ)/2. Full storage: dA_ij = dS_ij.
// One triangle: an off-diagonal entry stands for S_ij and S_ji, so
// −(λ_i x_j + x_i λ_j); a diagonal one −λ_i x_i (the second SDDMM skips the diagonal).
function symmetricOuter(A: CsrMatrix, full: boolean, lambda: Tensor, x: Tensor, k: number): Tensor {
  const alpha = full ? -0.5 : -1;
  const a = maskedOuterSum(A, lambda, x, k, alpha);
  const b = maskedOuterSum(A, x, lambda, k, alpha, !full);
  const g = addSame(a, b);
  a.dispose();
  b.dispose();
  return g;
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
  // Solves where A lives (made from #handle, remade by refactor).
  #solver: SolveFactor | null;
  // Bumped by refactor(): a tape entry made before it cannot use the new factor.
  #version = 0;

  /** @internal Use cholesky(A). */
  constructor(matrix: CsrMatrix, storage: 'full' | 'upper' | 'lower', ordering: CholeskyOrdering, handle: object) {
    this.#matrix = matrix;
    this.storage = storage;
    this.ordering = ordering;
    this.#handle = handle;
    this.#solver = solveFactor('cholesky', handle, matrix.device, matrix.dtype);
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
    this.#live(op);
    tensorArg(op, 'b', b, [1, 2]);
    if (b.shape[0] !== A.rows) fail(op, `A has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${A.rows} rows)`);
    sameKind(op, ['A', A], ['b', b]);
    const version = this.#version;
    const solver = this.#solver!;
    const k = b.ndim === 1 ? 1 : b.shape[1]!;
    const x = empty(A.dtype, b.shape, A.device);
    try {
      native(() => solver.solve(storage(b), storage(x), k));
    } catch (e) {
      x.dispose();
      throw e;
    }
    return record(op, x, [A.values, b], (v, needs) => {
      this.#current(op, version);
      // λ = S⁻¹ v;  db = λ;  dA from dS = −(λ xᵀ + x λᵀ)/2 on A's pattern
      const lambda = empty(A.dtype, b.shape, A.device);
      solver.solve(storage(v), storage(lambda), k);
      const dA = needs[0] ? symmetricOuter(A, this.storage === 'full', lambda, x, k) : null;
      if (!needs[1]) lambda.dispose();
      return [dA, needs[1] ? lambda : null];
    });
  }

  /** log det S as a 0-d tensor, differentiable w.r.t. A's values. */
  logdet(): Tensor {
    const op = 'logdet';
    const A = this.#matrix;
    const handle = this.#live(op);
    const value = kernel<LogdetFn>('cholLogdet')(handle);
    const out = toDevice(new Tensor(A.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), []), A.device);
    const version = this.#version;
    return record(op, out, [A.values], (v) => {
      const h = this.#current(op, version);
      // d logdet S / dS = S⁻¹ on A's pattern: selected inversion on the host factor, moved to A's device
      const g = new Tensor(A.dtype === 'float64' ? new Float64Array(A.nnz) : new Float32Array(A.nnz), [A.nnz]);
      kernel<LogdetGradFn>('cholLogdetGrad')(h, v.item(), g.data);
      return [toDevice(g, A.device)];
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
    this.#solver?.dispose();
    this.#solver = solveFactor(op, handle, A2.device, A2.dtype);
    return this;
  }

  /** Frees the factor now. Later solves (and backward passes that need it) throw. */
  dispose(): void {
    if (this.#handle) kernel<DisposeFn>('cholDispose')(this.#handle);
    this.#solver?.dispose();
    this.#handle = null;
    this.#solver = null;
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
