// Structural sparse ops and generators: transpose, diagonal, tril/triu, kron,
// eye, diags, poisson1d/poisson2d, and the dtype cast of a CsrMatrix.
//
// A structural op derives a new pattern from its input's pattern plus an index
// map into the input's entries; both are computed once per pattern by a native
// kernel and cached on CsrPattern.cache, so applying the op again to any matrix
// with that pattern is an O(nnz) gather. The forward gathers values through the
// map and the VJP scatters the gradient back (or gathers through the inverse).
//
// The gathers and scatters are ops/gather.ts's, on the matrix's device; for
// 'cuda' matrices the maps live in device memory too, cached per pattern under
// 'device:' keys (the transpose's in ops/transpose_cache.ts). The transpose structure is computed by the device kernel (and downloaded once, so
// that Aᵀ's pattern is the same object on both devices); band and diagonal
// selections have no device kernel, so their maps (from the pattern's host
// arrays, which every pattern keeps) are uploaded once per pattern. kron and
// diags take one path on either device: their patterns and index maps are made
// on the host by native kernels, and their values are SpMVs through cached 0/1
// matrices (ops/select.ts) combined by elementwise ops, whose VJPs give theirs.
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { noGrad, record } from '../autograd.js';
import { CsrMatrix, CsrPattern, type CsrOptions, checkMatrixShape } from '../csr.js';
import { allocate, type Device, type DType, isDType, uninit } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind } from './check.js';
import { toDevice } from './transfer.js';
import { gather, mapOn, scatter } from './gather.js';
import { transposeOn } from './transpose_cache.js';
import { cast, reshape } from './shape.js';
import { add, mul } from './elementwise.js';
import { partialSelectionMatrix } from './select.js';
import { spmv } from './spmv.js';
import { spadd } from './spadd.js';
import { kronMaps } from '../index_maps.js';

const INDEX_MAX = 2147483647;

// ---------------------------------------------------------------------------
// Kernels (native/core/structure.h)

type PatternArgs = [rows: number, cols: number, indptr: Int32Array, indices: Int32Array];

function patternArgs(p: CsrPattern): PatternArgs {
  const { indptr, indices } = p.raw;
  return [p.rows, p.cols, indptr, indices];
}

function cached<T>(p: CsrPattern, key: string, make: () => T): T {
  let v = p.cache.get(key) as T | undefined;
  if (v === undefined) {
    v = make();
    p.cache.set(key, v);
  }
  return v;
}

function intArg(op: string, name: string, k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k)) expected(op, 'an integer', name, k);
  return k;
}

function sizeArg(op: string, name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > INDEX_MAX) expected(op, 'a non-negative 32-bit integer', name, n);
  return n;
}

function dtypeOption(op: string, opts: CsrOptions): DType | undefined {
  if (opts.dtype !== undefined && !isDType(opts.dtype)) expected(op, "'float64' or 'float32'", 'dtype', opts.dtype);
  return opts.dtype;
}

/** A generator's result: a leaf that requires grad when asked (and nothing recorded it already). */
function generated(pattern: CsrPattern, values: Tensor, opts: CsrOptions): CsrMatrix {
  if (opts.requiresGrad && !values.gradFn) values.requiresGrad = true;
  return new CsrMatrix(pattern, values);
}

// ---------------------------------------------------------------------------
// transpose

/** Aᵀ (differentiable w.r.t. A's values). Transposing twice returns A's own pattern. */
export function transpose(A: CsrMatrix): CsrMatrix {
  const op = 'transpose';
  csrArg(op, 'A', A);
  const t = transposeOn(A.pattern, A.device);
  const values = gather(t.perm, A.values);
  // dA[p] = G[inv[p]]  (the gradient gathered back through the inverse permutation)
  record(op, values, [A.values], (g) => [gather(t.inv, g)]);
  return new CsrMatrix(t.pattern, values);
}

// ---------------------------------------------------------------------------
// diagonal

/** The number of entries on the k-th diagonal of a rows × cols matrix (0 when it lies outside). */
function diagonalLength(rows: number, cols: number, k: number): number {
  return Math.max(0, k >= 0 ? Math.min(rows, cols - k) : Math.min(rows + k, cols));
}

/**
 * The k-th diagonal of A (k > 0 above, k < 0 below the main one) as a dense
 * 1-D Tensor of its full length (min(rows, cols) for k = 0), zero where no
 * entry is stored. Differentiable: the gradient lands on the stored diagonal entries.
 */
export function diagonal(A: CsrMatrix, k = 0): Tensor {
  const op = 'diagonal';
  csrArg(op, 'A', A);
  intArg(op, 'k', k);
  const len = diagonalLength(A.rows, A.cols, k);
  const positions = (): Int32Array => cached(A.pattern, `diagonal:${k}`, () =>
    kernel<(...a: [...PatternArgs, number, number]) => Int32Array>('diagonalPositions')(...patternArgs(A.pattern), k, len),
  );
  const pos = mapOn(A.pattern, `diagonal:${k}`, A.device, positions);
  // dA[p] = g[t] for the stored entry p at position t of the diagonal, 0 elsewhere
  return record(op, gather(pos, A.values), [A.values], (g) => [scatter(pos, g, [A.nnz])]);
}

// ---------------------------------------------------------------------------
// tril / triu

function band(op: 'tril' | 'triu', A: CsrMatrix, k: number): CsrMatrix {
  csrArg(op, 'A', A);
  intArg(op, 'k', k);
  const info = cached(A.pattern, `${op}:${k}`, () => {
    type Result = { indptr: Int32Array; indices: Int32Array; keep: Int32Array };
    const r = kernel<(...a: [...PatternArgs, number, boolean]) => Result>('bandStructure')(...patternArgs(A.pattern), k, op === 'tril');
    return { pattern: new CsrPattern(A.rows, A.cols, r.indptr, r.indices), keep: r.keep };
  });
  const keep = mapOn(A.pattern, `${op}:${k}`, A.device, () => info.keep);
  const values = gather(keep, A.values);
  // dA[keep[q]] = G[q], 0 on the entries dropped
  record(op, values, [A.values], (g) => [scatter(keep, g, [A.nnz])]);
  return new CsrMatrix(info.pattern, values);
}

/** The entries of A on and below the k-th diagonal (column − row ≤ k), differentiable. */
export function tril(A: CsrMatrix, k = 0): CsrMatrix {
  return band('tril', A, k);
}

/** The entries of A on and above the k-th diagonal (column − row ≥ k), differentiable. */
export function triu(A: CsrMatrix, k = 0): CsrMatrix {
  return band('triu', A, k);
}

// ---------------------------------------------------------------------------
// kron

/** @internal kron(A, B)'s pattern, cached on A's pattern by B's pattern (it depends on the two patterns only). */
interface KronStructure {
  pattern: CsrPattern;
  /** pa[t], pb[t] are the entries of A and of B whose product is entry t (made on first use). */
  maps?: { pa: Int32Array; pb: Int32Array };
}

function kronStructure(A: CsrPattern, B: CsrPattern): KronStructure {
  let byB = A.cache.get('kron') as WeakMap<CsrPattern, KronStructure> | undefined;
  if (!byB) {
    byB = new WeakMap();
    A.cache.set('kron', byB);
  }
  let s = byB.get(B);
  if (!s) {
    type Result = { indptr: Int32Array; indices: Int32Array };
    const r = kernel<(...a: [...PatternArgs, ...PatternArgs]) => Result>('kronStructure')(...patternArgs(A), ...patternArgs(B));
    s = { pattern: new CsrPattern(A.rows * B.rows, A.cols * B.cols, r.indptr, r.indices) };
    byB.set(B, s);
  }
  return s;
}

/** The index maps of kron(A, B) (index_maps.ts), made once per pair of patterns. */
function kronPairs(A: CsrPattern, B: CsrPattern, s: KronStructure): { pa: Int32Array; pb: Int32Array } {
  s.maps ??= kronMaps(A.rows, A.raw.indptr, B.rows, B.raw.indptr);
  return s.maps;
}

/**
 * The Kronecker product A ⊗ B: the block (i, j) is A[i, j] B. Its values are
 * a_p b_q, differentiable w.r.t. both:
 *   dA[p] = Σ_q G[(p, q)] b_q,   dB[q] = Σ_p G[(p, q)] a_p.
 * The pattern is cached per pair of patterns (on A's, by B's), so a second
 * product of the same patterns shares it, on either device.
 */
export function kron(A: CsrMatrix, B: CsrMatrix): CsrMatrix {
  const op = 'kron';
  csrArg(op, 'A', A);
  csrArg(op, 'B', B);
  sameKind(op, ['A', A], ['B', B]);
  const rows = A.rows * B.rows;
  const cols = A.cols * B.cols;
  const nnz = A.nnz * B.nnz;
  if (rows > INDEX_MAX || cols > INDEX_MAX || nnz > INDEX_MAX) {
    fail(op, `A ${shapeStr(A.shape)} (nnz ${A.nnz}) ⊗ B ${shapeStr(B.shape)} (nnz ${B.nnz}) would have shape [${rows}, ${cols}] and ${nnz} nonzeros, beyond 32-bit indices`);
  }
  const s = kronStructure(A.pattern, B.pattern);
  // Two gathers through 0/1 selection matrices (cached per map) and a product, on either device:
  // values[t] = a[pa[t]] b[pb[t]];  their VJPs give dA = S_aᵀ (G ⊙ b[pb]), dB = S_bᵀ (G ⊙ a[pa]).
  const { pa, pb } = kronPairs(A.pattern, B.pattern, s);
  const a = spmv(partialSelectionMatrix(pa, A.nnz, A.dtype, A.device), A.values); // maps in range by construction
  const b = spmv(partialSelectionMatrix(pb, B.nnz, B.dtype, A.device), B.values);
  return new CsrMatrix(s.pattern, mul(a, b));
}

// ---------------------------------------------------------------------------
// Generators: eye, diags, poisson1d, poisson2d

/** The n × n identity. */
export function eye(n: number, opts: CsrOptions = {}): CsrMatrix {
  const op = 'CsrMatrix.eye';
  sizeArg(op, 'n', n);
  opts = optionsArg<CsrOptions>(op, opts);
  const dtype = dtypeOption(op, opts) ?? 'float64';
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    indptr[i + 1] = i + 1;
    indices[i] = i;
  }
  return generated(new CsrPattern(n, n, indptr, indices), new Tensor(allocate(dtype, n).fill(1), [n]), opts);
}

/** A diagonal's values for diags: one number (broadcast), numbers, or a 1-D (or one-element) Tensor. */
export type DiagonalValues = number | ArrayLike<number> | Tensor;

/**
 * A sparse matrix from diagonals, as scipy.sparse.diags: diagonal d holds the
 * entries (i, i + offsets[d]); its t-th value sits at row t − min(k, 0). Each
 * diagonal is a number or one-element array/Tensor (broadcast along it) or
 * exactly as many values as that diagonal has. Entries are stored even where a
 * value is 0, so the pattern does not depend on the values. With Tensor
 * diagonals the result is differentiable w.r.t. them.
 *
 * shape defaults (as SciPy) to the square matrix that fits the first diagonal.
 *
 * The result is on the device ('cuda') when the Tensor diagonals are (all of
 * them: "mixed devices" otherwise); numbers and arrays join them there. There
 * is no device option: with no Tensor diagonal the result is on the CPU (move
 * it with .to('cuda')). Results of one shape and offsets share one pattern,
 * on either device.
 */
export function diags(
  diagonals: readonly DiagonalValues[],
  offsets: readonly number[],
  shape?: readonly [number, number],
  opts: CsrOptions = {},
): CsrMatrix {
  const op = 'CsrMatrix.diags';
  // Validate arguments
  if (!Array.isArray(diagonals)) expected(op, 'an array of diagonals (numbers, arrays or Tensors)', 'diagonals', diagonals);
  if (!Array.isArray(offsets)) expected(op, 'an array of integer offsets', 'offsets', offsets);
  if (offsets.length !== diagonals.length) fail(op, `${diagonals.length} diagonals but ${offsets.length} offsets (give one offset per diagonal)`);
  opts = optionsArg<CsrOptions>(op, opts);
  const seen = new Set<number>();
  for (const [d, k] of offsets.entries()) {
    intArg(op, `offsets[${d}]`, k);
    if (seen.has(k)) fail(op, `offset ${k} is repeated (offsets[${d}])`);
    seen.add(k);
  }
  const tensors: Tensor[] = [];
  const slots: number[] = []; // slots[n]: the diagonal that tensors[n] gives
  for (const [d, v] of diagonals.entries()) {
    if (v instanceof Tensor) {
      if (v.ndim > 1) fail(op, `diagonal ${d} must be a 1-D tensor but has shape ${shapeStr(v.shape)}`);
      tensors.push(v);
      slots.push(d);
    } else if (typeof v !== 'number' && !((ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v))) {
      expected(op, 'a number, an array of numbers or a Tensor', `diagonal ${d}`, v);
    } else if (typeof v !== 'number') {
      const arr = v as ArrayLike<unknown>;
      for (let t = 0; t < arr.length; t++) {
        if (typeof arr[t] !== 'number') fail(op, `diagonal ${d} holds a non-number at index ${t} (${describe(arr[t])})`);
      }
    }
  }
  // Interpret options: the dtype comes from opts, else from the Tensors, else float64.
  let dtype = dtypeOption(op, opts);
  for (const t of tensors) {
    dtype ??= t.dtype;
    if (t.dtype !== dtype) {
      fail(op, opts.dtype ? `a diagonal is ${t.dtype} but dtype ${opts.dtype} was asked for` : `mixed dtypes among the diagonals (${tensors[0]!.dtype} and ${t.dtype})`);
    }
  }
  dtype ??= 'float64';
  let rows: number;
  let cols: number;
  if (shape === undefined) {
    const first = diagonals[0];
    if (first === undefined || typeof first === 'number') fail(op, 'shape is needed when the first diagonal is a number (or there is none)');
    const len = first instanceof Tensor ? first.size : first.length;
    rows = cols = len + Math.abs(offsets[0]!);
    if (rows > INDEX_MAX) fail(op, `the inferred shape [${rows}, ${cols}] is beyond 32-bit indices`);
  } else {
    [rows, cols] = checkMatrixShape(op, shape);
  }
  const lengths = offsets.map((k, d) => {
    if (k > cols || k < -rows) fail(op, `offset ${k} (offsets[${d}]) is outside a matrix of shape ${shapeStr([rows, cols])} (offsets must lie in [${-rows}, ${cols}])`);
    const len = diagonalLength(rows, cols, k);
    const v = diagonals[d]!;
    const given = typeof v === 'number' ? 1 : v instanceof Tensor ? v.size : v.length;
    if (given !== len && given !== 1) {
      fail(op, `diagonal ${d} (offset ${k}) has ${given} values but that diagonal of a ${shapeStr([rows, cols])} matrix has ${len} (give ${len}, or one to broadcast)`);
    }
    return len;
  });
  const nnz = lengths.reduce((a, b) => a + b, 0);
  if (nnz > INDEX_MAX) fail(op, `the result would have ${nnz} nonzeros, beyond 32-bit indices`);

  // Every Tensor diagonal on one device (their dtypes agree by now); the result joins them there.
  if (tensors.length > 1) sameKind(op, ...tensors.map((t, n): [string, Tensor] => [`diagonal ${slots[n]}`, t]));
  return diagsOn(tensors[0]?.device ?? 'cpu', diagonals, offsets, rows, cols, lengths, dtype, opts);
}

/**
 * The structure of diags(·, offsets, [rows, cols]) given each diagonal's
 * length, and pos[d][t]: where the t-th value of diagonal d is stored.
 */
function diagsStructure(
  rows: number, cols: number, offsets: readonly number[], lengths: readonly number[],
): { indptr: Int32Array; indices: Int32Array; pos: Int32Array[] } {
  // Rows are filled offset by offset in increasing order, so columns come out sorted.
  const order = [...offsets.keys()].sort((a, b) => offsets[a]! - offsets[b]!);
  const indptr = new Int32Array(rows + 1);
  for (const [d, k] of offsets.entries()) {
    if (lengths[d] === 0) continue;
    const first = Math.max(0, -k);
    indptr[first + 1] += 1;
    if (first + lengths[d]! + 1 <= rows) indptr[first + lengths[d]! + 1] -= 1;
  }
  // indptr now holds differences of per-row counts: two prefix sums give the row pointers.
  for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i]!;
  for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i]!;
  const indices = new Int32Array(indptr[rows]!);
  const cursor = indptr.slice(0, rows);
  const pos: Int32Array[] = offsets.map((_, d) => new Int32Array(lengths[d]!));
  for (const d of order) {
    const k = offsets[d]!;
    const first = Math.max(0, -k);
    const p = pos[d]!;
    for (let t = 0; t < p.length; t++) {
      const i = first + t;
      const q = cursor[i]!++;
      indices[q] = i + k;
      p[t] = q;
    }
  }
  return { indptr, indices, pos };
}

/** vals[p[t]] = src[t], or src (or its one value) broadcast along the diagonal. */
function placeDiagonal(vals: FloatArray, p: Int32Array, src: ArrayLike<number> | number): void {
  const broadcast = typeof src === 'number' || src.length === 1;
  const c = typeof src === 'number' ? src : src[0]!;
  for (let t = 0; t < p.length; t++) vals[p[t]!] = broadcast ? c : (src as ArrayLike<number>)[t]!;
}

// diags' pattern depends on the shape and offsets only, so it is made on the
// host once per (shape, offsets) and shared by every diags with them, on either
// device, while some matrix still holds it (a weak cache: a training
// loop that rebuilds its matrix each step reuses the pattern, its device
// structure and the placement matrices below).
const diagsPatterns = new Map<string, WeakRef<CsrPattern>>();
const forgetDiagsPattern = new FinalizationRegistry<string>((key) => {
  if (diagsPatterns.get(key)?.deref() === undefined) diagsPatterns.delete(key);
});

/** The pattern of diags(·, offsets, [rows, cols]) and its pos maps (see diagsStructure), cached weakly. */
function diagsPattern(rows: number, cols: number, offsets: readonly number[], lengths: readonly number[]): { pattern: CsrPattern; pos: Int32Array[] } {
  const key = `${rows},${cols}:${offsets.join(',')}`;
  const have = diagsPatterns.get(key)?.deref();
  if (have) return { pattern: have, pos: have.cache.get('diags:pos') as Int32Array[] };
  const s = diagsStructure(rows, cols, offsets, lengths);
  const pattern = new CsrPattern(rows, cols, s.indptr, s.indices);
  pattern.cache.set('diags:pos', s.pos);
  diagsPatterns.set(key, new WeakRef(pattern));
  forgetDiagsPattern.register(pattern, key);
  return { pattern, pos: s.pos };
}

/**
 * The [nnz, n] 0/1 matrix P (on `device`) that puts a diagonal's values at its
 * positions p: P[p[t], t] = 1 (n = p.length), or P[p[t], 0] = 1 (n = 1) when one
 * value is broadcast along it; other rows are empty. So spmv(P, x) holds x on
 * the diagonal and exact zeros elsewhere (nothing else is read), and its VJP
 * Pᵀ G gathers the gradient along the diagonal (sums it, when broadcast).
 * A partial selection (ops/select.ts) whose index map is kept on the result's
 * pattern per diagonal.
 */
function placementMatrix(pattern: CsrPattern, d: number, p: Int32Array, broadcast: boolean, dtype: DType, device: Device): CsrMatrix {
  const key = `diags:${d}:${broadcast ? 'broadcast' : 'values'}`;
  let idx = pattern.cache.get(key) as Int32Array | undefined;
  if (!idx) {
    idx = new Int32Array(pattern.nnz).fill(-1);
    for (let t = 0; t < p.length; t++) idx[p[t]!] = broadcast ? 0 : t;
    pattern.cache.set(key, idx);
  }
  return partialSelectionMatrix(idx, broadcast ? 1 : p.length, dtype, device);
}

/**
 * diags on `device` (the Tensor diagonals', checked by diags): the values are
 * Σ_d P_d x_d over the Tensor diagonals (SpMVs through placementMatrix, summed
 * by adds; the supports are disjoint, so each value is x_d's exactly), plus the
 * number and array diagonals placed in one host array (moved once to a device).
 * Differentiable w.r.t. each Tensor diagonal: d x_d = P_dᵀ G.
 */
function diagsOn(
  device: Device, diagonals: readonly DiagonalValues[], offsets: readonly number[], rows: number, cols: number,
  lengths: readonly number[], dtype: DType, opts: CsrOptions,
): CsrMatrix {
  const { pattern, pos } = diagsPattern(rows, cols, offsets, lengths);
  const parts: Tensor[] = [];
  let constants: FloatArray | null = null;
  diagonals.forEach((v, d) => {
    const p = pos[d]!;
    if (v instanceof Tensor) {
      const x = v.ndim === 1 ? v : reshape(v, [1]);
      parts.push(spmv(placementMatrix(pattern, d, p, v.size === 1 && p.length !== 1, dtype, device), x));
    } else {
      constants ??= allocate(dtype, pattern.nnz);
      placeDiagonal(constants, p, v);
    }
  });
  if (constants) parts.push(toDevice(new Tensor(constants, [pattern.nnz]), device));
  const values = parts.length > 0 ? parts.reduce((sum, x) => add(sum, x)) : new Tensor(allocate(dtype, 0), [0]);
  return generated(pattern, values, opts);
}

/** The 1-D Poisson matrix (n × n): 2 on the diagonal, −1 on the first off-diagonals. */
export function poisson1d(n: number, opts: CsrOptions = {}): CsrMatrix {
  const op = 'CsrMatrix.poisson1d';
  sizeArg(op, 'n', n);
  opts = optionsArg<CsrOptions>(op, opts);
  return diags(n > 1 ? [-1, 2, -1] : [2], n > 1 ? [-1, 0, 1] : [0], [n, n], { dtype: dtypeOption(op, opts), requiresGrad: opts.requiresGrad });
}

/**
 * The 2-D Poisson matrix on an nx × ny grid (the 5-point Laplacian with
 * Dirichlet boundaries, unknown (x, y) at row y·nx + x), as the Kronecker sum
 * kron(I_ny, T_nx) + kron(T_ny, I_nx) with T the 1-D Poisson matrix:
 * 4 on the diagonal, −1 for each grid neighbour.
 */
export function poisson2d(nx: number, ny: number, opts: CsrOptions = {}): CsrMatrix {
  const op = 'CsrMatrix.poisson2d';
  sizeArg(op, 'nx', nx);
  sizeArg(op, 'ny', ny);
  opts = optionsArg<CsrOptions>(op, opts);
  const dtype = dtypeOption(op, opts) ?? 'float64';
  if (nx * ny > INDEX_MAX || 5 * nx * ny > INDEX_MAX) fail(op, `a ${nx} × ${ny} grid is beyond 32-bit indices`);
  const along = kron(eye(ny, { dtype }), poisson1d(nx, { dtype }));
  const across = kron(poisson1d(ny, { dtype }), eye(nx, { dtype }));
  const sum = noGrad(() => spadd(along, across)); // the union of the patterns by the native merge
  return generated(sum.pattern, sum.values, opts);
}

// ---------------------------------------------------------------------------
// dtype cast

/** A with its values converted to `dtype` (differentiable: the gradient is converted back). A itself when it has that dtype. */
export function astype(A: CsrMatrix, dtype: DType): CsrMatrix {
  const op = 'astype';
  csrArg(op, 'A', A);
  if (!isDType(dtype)) expected(op, "'float64' or 'float32'", 'dtype', dtype);
  if (A.dtype === dtype) return A;
  // On the device: the Tensor cast (differentiable: dA = G cast back).
  if (A.device === 'cuda') return new CsrMatrix(A.pattern, cast(A.values, dtype));
  const vals = allocate(dtype, A.nnz);
  vals.set(A.values.data);
  const values = new Tensor(vals, [A.nnz]);
  // dA = G converted back to A's dtype
  record(op, values, [A.values], (g) => {
    const d = allocate(A.dtype, A.nnz);
    d.set(g.data);
    return [new Tensor(d, [A.nnz])];
  });
  return new CsrMatrix(A.pattern, values);
}

// ---------------------------------------------------------------------------
// dense copy (CsrMatrix.toDense)

/**
 * A dense rows × cols copy of A: zeros with each value scattered to i·cols + j
 * (the positions made once per pattern, and uploaded once for the device).
 */
export function toDense(A: CsrMatrix): Tensor {
  const op = 'toDense';
  csrArg(op, 'A', A);
  const size = A.rows * A.cols;
  if (size > INDEX_MAX) fail(op, `a ${shapeStr(A.shape)} matrix has ${size} entries, more than the scatter's 32-bit positions reach`);
  const positions = (): Int32Array => cached(A.pattern, 'dense', () => {
    const { indptr, indices } = A.pattern.raw;
    const out = new Int32Array(A.nnz);
    for (let i = 0; i < A.rows; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) out[p] = i * A.cols + indices[p]!;
    return out;
  });
  const pos = mapOn(A.pattern, 'dense', A.device, positions);
  // dA[p] = G[i, j] for p = (i, j)
  return record(op, scatter(pos, A.values, [A.rows, A.cols]), [A.values], (g) => [gather(pos, g)]);
}
