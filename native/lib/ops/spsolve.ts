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
//
// On the device ('cuda'), a documented hybrid (native/core/spsolve_hybrid.h):
// KLU factors A on the CPU, the factors move to the device, and every solve
// (forward, and the VJP's transposed one) runs there as two synchronisation-free
// triangular solves between a permuting gather and scatter. Singular matrices
// give the same errors as on the CPU.
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { isGradEnabled, record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { csrArg, sameArray, sameKind, tensorArg } from './check.js';
import { maskedOuterSum } from './sddmm.js';
import { empty, storage, type Storage } from './transfer.js';
import { cholSolve, type CholeskyOptions } from './cholesky.js';

type AnalyzeFn = (n: number, indptr: Int32Array, indices: Int32Array) => object;
type FactorFn = (rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray, analysis?: object) => object;
type SolveFn = (handle: object, transpose: boolean, b: FloatArray, x: FloatArray, k: number) => void;
type DisposeFn = (handle: object) => void;
type RefactorFn = (handle: object, rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray) => boolean;
type BytesFn = (handle: object) => number;

/**
 * The factors of one A on the device (bind_spsolve.cc's DeviceLU): KLU's L and U, pivots
 * and scaling in A's value type, made on the CPU from host arrays and held on
 * the device (or by the emulated device). Freed by dispose() or the collector.
 */
interface DeviceLU {
  readonly disposed: boolean;
  /** Device bytes held (counted in deviceMemory().liveBytes). */
  readonly bytes: number;
  /** x = A⁻¹ b (or A⁻ᵀ b), device arrays n × k row-major. */
  solve(transpose: boolean, b: Storage, x: Storage, k: number): void;
  dispose(): void;
}
type DeviceLUClass = new (op: string, rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray) => DeviceLU;

/**
 * The sparse LU factors of a square matrix A (made by splu(A)). solve() and
 * solveTranspose() are differentiable with respect to b and to the values of
 * the A given to splu, reusing these factors in the backward pass. The factors
 * are freed by the garbage collector, or at once by dispose(); a backward pass
 * through a solve needs them, so dispose only after backward().
 */
export class SparseLU {
  #matrix: CsrMatrix;
  /** KLU's factors (an addon handle) for a CPU matrix, a DeviceLU for a 'cuda' one. */
  #handle: object | null;
  #version = 0;

  /** @internal Use splu(A). */
  constructor(matrix: CsrMatrix, handle: object) {
    this.#matrix = matrix;
    this.#handle = handle;
  }

  /** The factored matrix (its values tensor receives the gradients of the solves). */
  get matrix(): CsrMatrix {
    return this.#matrix;
  }

  /** @internal Bumped by refactor(): a solve on the tape from before cannot use the new factors. */
  get version(): number {
    return this.#version;
  }

  /**
   * Factors A2, a matrix with the same pattern, reusing the symbolic analysis
   * and, where the pivots allow, the pivot order (KLU's refactor: no pivot
   * search). Returns true when that fast path sufficed, false when the values
   * needed fresh partial pivoting. Later solves use A2 and send gradients to
   * its values; run backward() through earlier solves before refactor().
   */
  refactor(A2: CsrMatrix): boolean {
    const op = 'SparseLU.refactor';
    const handle = this.#live(op);
    csrArg(op, 'A', A2);
    const A = this.#matrix;
    if (!A2.pattern.equals(A.pattern)) fail(op, `A2 must have the factored matrix's pattern (shape ${shapeStr(A.shape)}, nnz ${A.nnz}) but has shape ${shapeStr(A2.shape)}, nnz ${A2.nnz} or other positions`);
    if (A2.dtype !== A.dtype || A2.device !== A.device) fail(op, `A2 is ${A2.dtype} on ${A2.device} but the factors are for ${A.dtype} on ${A.device}`);
    if (A.device === 'cuda') fail(op, 'refactor is for CPU factors only so far (call splu(A2) on the device)');
    const { indptr, indices } = A2.pattern.raw;
    this.#version++;
    let fast: boolean;
    try {
      fast = kernel<RefactorFn>('spluRefactor')(handle, A2.rows, A2.cols, indptr, indices, A2.values.data);
    } catch (e) {
      fail(op, (e instanceof Error ? e.message : String(e)).replace(/^SparseLU\.refactor: /, ''));
    }
    this.#matrix = A2;
    return fast;
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
    if (this.#handle) {
      if (this.matrix.device === 'cuda') (this.#handle as DeviceLU).dispose();
      else kernel<DisposeFn>('spluDispose')(this.#handle);
    }
    this.#handle = null;
  }

  #live(op: string): object {
    if (!this.#handle) fail(op, 'the SparseLU was disposed (call dispose() only after the last solve and backward())');
    return this.#handle;
  }

  /** @internal Bytes the factors hold (0 once disposed; CPU factors only). */
  bytes(): number {
    return this.#handle && this.matrix.device === 'cpu' ? kernel<BytesFn>('spluBytes')(this.#handle) : 0;
  }

  /** @internal The factors, as solveWith takes them (throws once disposed). */
  factors(op: string): Factors {
    const handle = this.#live(op);
    if (this.matrix.device === 'cuda') return handle as DeviceLU;
    return { solve: (transpose, b, x, k) => kernel<SolveFn>('spluSolve')(handle, transpose, b as FloatArray, x as FloatArray, k) };
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

/**
 * Factors a square A (P Aᵀ Q = L U by KLU, in double precision) for repeated
 * solves. For A on 'cuda' the factors live on the device (the factorization
 * itself runs on the CPU) and solve() takes device right-hand sides.
 */
export function splu(A: CsrMatrix): SparseLU {
  const op = 'splu';
  squareArg(op, A);
  // KLU factors on the CPU: A's values come to the host once (nnz values).
  if (A.device === 'cuda') return new SparseLU(A, deviceLU(op, A, A.values.toArray()));
  return factor(op, A);
}

// The core names the op 'spsolve'; report its errors under the caller's name.
function rethrowAs(op: string, e: unknown, prefix = /^spsolve: /): never {
  const msg = e instanceof Error ? e.message : String(e);
  return fail(op, msg.replace(prefix, ''));
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
    rethrowAs(op, e);
  }
  return new SparseLU(A, handle);
}

// x = A⁻¹ b (or A⁻ᵀ b) with the factors of lu, recorded on the tape with
// inputs [A.values, b].
function luSolve(op: string, lu: SparseLU, b: Tensor, transpose: boolean): Tensor {
  rhsArg(op, lu.matrix, b);
  const version = lu.version;
  // The VJP asks for the factors again: they must still be the forward's.
  return solveWith(op, lu.matrix, b, transpose, () => {
    if (lu.version !== version) fail(op, 'the factors were refactored after this solve; run backward() before refactor()');
    return lu.factors(op);
  });
}

/** The factors of one A, whichever device: x = A⁻¹ b (or A⁻ᵀ b) for storage n × k row-major on A's device. */
interface Factors {
  solve(transpose: boolean, b: Storage, x: Storage, k: number): void;
}

// x = A⁻¹ b (or A⁻ᵀ b) with the factors `factors()` returns (asked for again
// by the VJP, which reuses them for the transposed solve), recorded on the
// tape with inputs [A.values, b]. One path for both devices.
function solveWith(op: string, A: CsrMatrix, b: Tensor, transpose: boolean, factors: () => Factors, afterBackward?: () => void): Tensor {
  const k = b.ndim === 1 ? 1 : b.shape[1]!;
  const x = empty(A.dtype, b.shape, A.device);
  try {
    factors().solve(transpose, storage(b), storage(x), k);
  } catch (e) {
    x.dispose();
    throw e;
  }
  // A x = b:  dA = −(A⁻ᵀ v) xᵀ ⊙ mask(A),  db = A⁻ᵀ v;   Aᵀ x = b:  dA = −x (A⁻¹ v)ᵀ ⊙ mask(A),  db = A⁻¹ v
  return record(op, x, [A.values, b], (v, needs) => {
    const w = empty(A.dtype, b.shape, A.device);
    factors().solve(!transpose, storage(v), storage(w), k);
    const dA = needs[0] ? (transpose ? maskedOuterSum(A, x, w, k, -1) : maskedOuterSum(A, w, x, k, -1)) : null;
    if (!needs[1]) w.dispose();
    afterBackward?.();
    return [dA, needs[1] ? w : null];
  });
}

export interface SpsolveOptions extends CholeskyOptions {
  /**
   * 'lu' (default): sparse LU with partial pivoting (KLU), any square A.
   * 'cholesky': sparse Cholesky (CHOLMOD) for a symmetric positive definite A,
   * with the symmetric VJP of ops/cholesky.ts (A stored as both triangles, or one).
   */
  method?: 'lu' | 'cholesky';
}

export function spsolve(A: CsrMatrix, b: Tensor, opts: SpsolveOptions = {}): Tensor {
  const op = 'spsolve';
  const method = opts.method ?? 'lu';
  if (method === 'cholesky') return cholSolve(A, b, opts);
  if (method !== 'lu') fail(op, `method must be 'lu' or 'cholesky' but is ${JSON.stringify(method)}`);
  // Validate arguments (all before the factorization)
  squareArg(op, A);
  rhsArg(op, A, b);
  if (A.device === 'cuda') return spsolveOnDevice(op, A, b);

  return spsolveOnCpu(op, A, b);
}

// ---------------------------------------------------------------------------
// On the CPU: reuse of the numeric factorization
//
// A training loop calls spsolve with the same pattern and new values every step.
// spsolve keeps the last factorization of each pattern (and dtype) and gives it
// the new values with KLU's refactor: the pivot order of the last factorization
// that chose its pivots, no pivot search. Where that order does not suit the new
// values (a vanished pivot, a tiny condition estimate, or pivot growth 1000×
// worse than pivoting gave: native/core/spsolve.h), SparseLU.refactor pivots
// afresh, and later steps refactor with the new order.
//
// Memory: one factorization per pattern and dtype, and at most
// spsolveCache.maxBytes of factors (default 256 MiB) over all patterns: the
// least recently used are freed first, and a factorization larger than the
// bound is not kept. maxBytes = 0 turns the reuse off (every call factors afresh
// and frees its factors as before). A cached factorization is also freed with
// its pattern (by the garbage collector).
//
// The VJP needs the factors of the forward's values. When a later spsolve on
// the pattern has refactored them (or the cache freed them) before backward()
// runs, it factors those values afresh: spsolve keeps a copy of them (nnz
// values) while a gradient may be asked for.

/** Bounds and counters of the factorizations spsolve keeps for reuse (CPU). */
export interface SpsolveCacheStats {
  /** Factorizations kept now, and the bytes they hold. */
  entries: number;
  bytes: number;
  maxBytes: number;
  /** spsolve calls that factored with pivot search (no kept factorization, or it was freed). */
  factorizations: number;
  /** spsolve calls that reused a kept factorization: by KLU's refactor, or pivoting afresh. */
  refactors: number;
  pivotedAfresh: number;
}

const NUMERIC_KEY = 'splu:numeric';
const kept: { lu: WeakRef<SparseLU>; bytes: number }[] = []; // least recently used first
const counts = { factorizations: 0, refactors: 0, pivotedAfresh: 0 };
let maxBytes = 256 * 2 ** 20;

export const spsolveCache = {
  /** The bound on the bytes of kept factorizations (0: no reuse). Lowering it frees the excess now. */
  get maxBytes(): number {
    return maxBytes;
  },
  set maxBytes(bytes: number) {
    if (!(Number.isFinite(bytes) && bytes >= 0)) fail('spsolveCache.maxBytes', `expected a number ≥ 0 but got ${String(bytes)}`);
    maxBytes = bytes;
    trim(0);
  },
  /** Frees every kept factorization and zeroes the counters. */
  clear(): void {
    trim(Infinity);
    counts.factorizations = counts.refactors = counts.pivotedAfresh = 0;
  },
  stats(): SpsolveCacheStats {
    const live = kept.filter((e) => isLive(e.lu.deref()));
    return { entries: live.length, bytes: live.reduce((t, e) => t + e.bytes, 0), maxBytes, ...counts };
  },
};

function isLive(lu: SparseLU | undefined): lu is SparseLU {
  return lu !== undefined && !lu.disposed;
}

// Frees kept factorizations, least recently used first, until `room` more bytes
// fit under maxBytes (Infinity: all of them).
function trim(room: number): void {
  let total = 0;
  for (let i = kept.length - 1; i >= 0; i--) {
    if (!isLive(kept[i]!.lu.deref())) kept.splice(i, 1);
    else total += kept[i]!.bytes;
  }
  while (kept.length > 0 && total + room > maxBytes) {
    const e = kept.shift()!;
    total -= e.bytes;
    e.lu.deref()?.dispose();
  }
}

function keep(lu: SparseLU): boolean {
  const bytes = lu.bytes();
  const at = kept.findIndex((e) => e.lu.deref() === lu);
  if (at >= 0) kept.splice(at, 1);
  if (bytes > maxBytes) return false;
  trim(bytes);
  kept.push({ lu: new WeakRef(lu), bytes });
  return true;
}

function spsolveOnCpu(op: string, A: CsrMatrix, b: Tensor): Tensor {
  const key = `${NUMERIC_KEY}:${A.dtype}`;
  let lu = A.pattern.cache.get(key) as SparseLU | undefined;
  if (isLive(lu)) {
    try {
      if (!lu.refactor(A)) counts.pivotedAfresh++;
    } catch (e) {
      lu.dispose();
      A.pattern.cache.delete(key);
      rethrowAs(op, e, /^SparseLU\.refactor: /);
    }
    counts.refactors++;
  } else {
    lu = factor(op, A);
    counts.factorizations++;
  }
  const cached = keep(lu);
  if (cached) A.pattern.cache.set(key, lu);
  else A.pattern.cache.delete(key);

  const shared = lu;
  const version = lu.version;
  // The forward's values, for a VJP that finds the shared factors moved on: a
  // copy in pooled memory that the enclosing scope() gives back (a fresh array
  // per step cost ≈ 0.85 ms per call over a training loop's first hundred steps
  // at N = 32768, in page faults, until glibc's mmap threshold adapted).
  const forward = cached && isGradEnabled() && (A.values.requiresGrad || b.requiresGrad) ? A.values.clone() : null;
  const x = solveWith(op, A, b, false, () => {
    if (!shared.disposed && shared.version === version) return shared.factors(op);
    if (forward!.isDisposed) {
      fail(op, 'the factors of this forward were replaced by a later spsolve on the same pattern, and the copy of its values was freed with the scope() that ran it: call backward() inside that scope');
    }
    const again = factor(op, A.withValues(forward!.data, { dtype: A.dtype }));
    return { solve: (t, bs, xs, k) => { try { again.factors(op).solve(t, bs, xs, k); } finally { again.dispose(); } } };
  }, cached ? undefined : () => shared.dispose());
  // Factors that are not kept are freed now when no tape entry needs them, else
  // once the VJP has used them (a second backward through this solve then
  // throws, as PyTorch's does without retain_graph), not left to the garbage
  // collector: at N = 32768 a pile of collected KLU handles made a training
  // step through spsolve ≈8× its forward (bench:ops --ratios).
  if (!cached && !x.gradFn) lu.dispose();
  return x;
}

// ---------------------------------------------------------------------------
// On the device

function deviceLU(op: string, A: CsrMatrix, values: FloatArray): DeviceLU {
  const { indptr, indices } = A.pattern.raw;
  try {
    return new (kernel<DeviceLUClass>('DeviceLU'))('spsolve', A.rows, A.cols, indptr, indices, values);
  } catch (e) {
    return rethrowAs(op, e);
  }
}

/** The factors spsolve made for one set of A's values (`host`, as factored). */
interface CachedFactors {
  readonly host: FloatArray;
  lu: DeviceLU;
}

// spsolve on the device keeps its factors for reuse: the VJP's transposed solve
// and later solves with the same values skip the factorization and the upload
// of the factors. The cache holds one entry per pattern and dtype, so a loop
// that changes A's values every step holds one set of factors, not one per
// step; a replaced entry is freed at once. (On the CPU, spsolve keeps one
// factorization per pattern too, refactored with new values: spsolveOnCpu.)
function cacheKey(A: CsrMatrix): string {
  return `splu:device:${A.dtype}`;
}

function cacheFactors(A: CsrMatrix, f: CachedFactors): void {
  const old = A.pattern.cache.get(cacheKey(A)) as CachedFactors | undefined;
  if (old && old !== f) old.lu.dispose();
  A.pattern.cache.set(cacheKey(A), f);
}

function spsolveOnDevice(op: string, A: CsrMatrix, b: Tensor): Tensor {
  // KLU factors on the CPU, so A's values come to the host: one download of nnz
  // values per call (the only transfer; b and x stay on the device). It is also
  // what tells whether the cached factors are still A's: the values tensor's
  // identity cannot, since optimizers update values in place.
  const host = A.values.toArray();
  let f = A.pattern.cache.get(cacheKey(A)) as CachedFactors | undefined;
  if (!f || f.lu.disposed || !sameArray(f.host, host)) {
    f = { host, lu: deviceLU(op, A, host) };
    cacheFactors(A, f);
  }
  const mine = f;
  // The VJP uses the factors of the forward's values: the cached ones, or when
  // another spsolve on this pattern has replaced them since, new ones made
  // from the values kept on the host (no download, and A may have changed).
  return solveWith(op, A, b, false, () => {
    if (mine.lu.disposed) {
      mine.lu = deviceLU(op, A, mine.host);
      cacheFactors(A, mine);
    }
    return mine.lu;
  });
}
