// CSR sparse matrices. A CsrMatrix is an immutable structure (CsrPattern:
// shape, indptr, indices — sorted, duplicate-free rows) plus `values`, a 1-D
// Tensor of length nnz. Autograd differentiates the values tensor, so the
// gradient with respect to a sparse matrix lives on its own pattern.
import { type FloatArray, kernel } from './addon.js';
import { record } from './autograd.js';
import { type DeviceArray, upload } from './device.js';
import { type DType, isDType } from './dtype.js';
import { describe, expected, fail, shapeStr } from './errors.js';
import { hostData, Tensor, type NestedArray, tensor } from './tensor.js';
import { gather, scatter } from './ops/gather.js';
import { empty, toDevice } from './ops/transfer.js';

export interface CsrOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/**
 * The structure of a CSR matrix. Immutable: its arrays are private, and the
 * public getters return copies, so no user code can break the invariants the
 * kernels rely on (sorted, unique, in-range indices). Caches derived structure
 * (e.g. the transpose permutation) shared by every matrix with this pattern.
 */
export class CsrPattern {
  readonly rows: number;
  readonly cols: number;
  readonly #indptr: Int32Array;
  readonly #indices: Int32Array;
  /** @internal Derived structure, computed on first use by the ops that need it. */
  readonly cache = new Map<string, unknown>();

  /** @internal Takes ownership of already-validated arrays. Use CsrPattern.create() to validate. */
  constructor(rows: number, cols: number, indptr: Int32Array, indices: Int32Array) {
    this.rows = rows;
    this.cols = cols;
    this.#indptr = indptr;
    this.#indices = indices;
  }

  get nnz(): number {
    return this.#indptr[this.rows]!;
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** A copy of the row pointers. */
  get indptr(): Int32Array {
    return this.#indptr.slice();
  }

  /** A copy of the column indices. */
  get indices(): Int32Array {
    return this.#indices.slice();
  }

  /** @internal The arrays themselves, for kernels. Never mutate them. */
  get raw(): { indptr: Int32Array; indices: Int32Array } {
    return { indptr: this.#indptr, indices: this.#indices };
  }

  /**
   * @internal The structure on the device (indptr, indices as int32 device
   * arrays), uploaded on first use and kept until releaseDevice() or until this
   * pattern is garbage-collected. `from` adopts arrays a device kernel computed.
   */
  deviceArrays(from?: { indptr: DeviceArray; indices: DeviceArray }): { indptr: DeviceArray; indices: DeviceArray } {
    let d = this.cache.get(DEVICE_KEY) as { indptr: DeviceArray; indices: DeviceArray } | undefined;
    if (d && !d.indptr.disposed && !d.indices.disposed) return d;
    d = from ?? { indptr: upload(this.#indptr), indices: upload(this.#indices) };
    this.cache.set(DEVICE_KEY, d);
    return d;
  }

  /**
   * Frees the device copy of this pattern's structure now (it is made again on
   * next use), and drops the device structure derived from it (transpose maps,
   * product patterns' maps…), which is freed once no other pattern refers to it.
   */
  releaseDevice(): void {
    const d = this.cache.get(DEVICE_KEY) as { indptr: DeviceArray; indices: DeviceArray } | undefined;
    if (d) {
      d.indptr.dispose();
      d.indices.dispose();
    }
    for (const key of [...this.cache.keys()]) if (key === DEVICE_KEY || key.startsWith(`${DEVICE_KEY}:`)) this.cache.delete(key);
  }

  /** Whether two patterns are the same object or hold identical structure. */
  equals(other: CsrPattern): boolean {
    if (this === other) return true;
    if (this.rows !== other.rows || this.cols !== other.cols || this.nnz !== other.nnz) return false;
    const a = this.raw;
    const b = other.raw;
    for (let i = 0; i <= this.rows; i++) if (a.indptr[i] !== b.indptr[i]) return false;
    for (let p = 0; p < this.nnz; p++) if (a.indices[p] !== b.indices[p]) return false;
    return true;
  }

  /** Validates user-given structure (copying it) and returns a pattern. */
  static create(op: string, shape: readonly [number, number], indptr: ArrayLike<number>, indices: ArrayLike<number>): CsrPattern {
    const [rows, cols] = checkMatrixShape(op, shape);
    if (!isIntArrayLike(indptr)) expected(op, 'an Int32Array or array of integers', 'indptr', indptr);
    if (!isIntArrayLike(indices)) expected(op, 'an Int32Array or array of integers', 'indices', indices);
    if (indptr.length !== rows + 1) fail(op, `indptr has ${indptr.length} entries but a matrix with ${rows} rows needs ${rows + 1}`);
    const ip = Int32Array.from(indptr);
    const ix = Int32Array.from(indices);
    if (ip[0] !== 0) fail(op, `indptr[0] must be 0 but is ${ip[0]}`);
    for (let i = 0; i < rows; i++) {
      if (ip[i + 1]! < ip[i]!) fail(op, `indptr must be non-decreasing but indptr[${i + 1}] = ${ip[i + 1]} < indptr[${i}] = ${ip[i]}`);
      if (!Number.isInteger(indptr[i + 1]) || indptr[i + 1]! !== ip[i + 1]) fail(op, `indptr[${i + 1}] = ${indptr[i + 1]} is not a 32-bit integer`);
    }
    if (ip[rows] !== ix.length) fail(op, `indptr[${rows}] = ${ip[rows]} but indices has ${ix.length} entries`);
    for (let i = 0; i < rows; i++) {
      let prev = -1;
      for (let p = ip[i]!; p < ip[i + 1]!; p++) {
        const j = ix[p]!;
        if (indices[p] !== j) fail(op, `indices[${p}] = ${indices[p]} is not a 32-bit integer`);
        if (j < 0 || j >= cols) fail(op, `column index ${j} at indices[${p}] (row ${i}) is out of range for ${cols} columns`);
        if (j === prev) fail(op, `duplicate column index ${j} in row ${i} (at indices[${p}]); use CsrMatrix.fromCoo to sum duplicates`);
        if (j < prev) fail(op, `column indices of row ${i} are not sorted (indices[${p}] = ${j} after ${prev}); use CsrMatrix.fromCoo to sort`);
        prev = j;
      }
    }
    return new CsrPattern(rows, cols, ip, ix);
  }
}

const DEVICE_KEY = 'device';

function isIntArrayLike(a: unknown): a is ArrayLike<number> {
  if (a instanceof Int32Array || a instanceof Uint32Array || a instanceof Int16Array || a instanceof Uint16Array || a instanceof Int8Array || a instanceof Uint8Array) return true;
  if (a instanceof Float64Array || a instanceof Float32Array) return true; // checked entry by entry
  return Array.isArray(a);
}

export function checkMatrixShape(op: string, shape: unknown): [number, number] {
  if (!Array.isArray(shape) || shape.length !== 2) expected(op, 'a shape [rows, cols]', 'shape', shape);
  const [rows, cols] = shape as [unknown, unknown];
  for (const d of [rows, cols]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2147483647) {
      fail(op, `shape [${String(rows)}, ${String(cols)}] must hold non-negative 32-bit integers`);
    }
  }
  return [rows as number, cols as number];
}

function valuesTensor(op: string, values: unknown, nnz: number, opts: CsrOptions): Tensor {
  if (opts.dtype !== undefined && !isDType(opts.dtype)) expected(op, "'float64' or 'float32'", 'dtype', opts.dtype);
  let t: Tensor;
  if (values instanceof Tensor) {
    if (values.ndim !== 1) fail(op, `values must be a 1-D tensor but has shape ${shapeStr(values.shape)}`);
    if (opts.dtype && opts.dtype !== values.dtype) fail(op, `values are ${values.dtype} but dtype ${opts.dtype} was asked for`);
    t = values;
  } else if (ArrayBuffer.isView(values) || Array.isArray(values)) {
    t = tensor(values as ArrayLike<number>, opts.dtype ? { dtype: opts.dtype } : {});
    if (t.ndim !== 1) fail(op, `values must be flat but have shape ${shapeStr(t.shape)}`);
  } else {
    expected(op, 'a Tensor, typed array or array of numbers', 'values', values);
  }
  if (t.size !== nnz) fail(op, `values has ${t.size} entries but the pattern has ${nnz} nonzeros`);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

// Its ops as methods (A.matmul, A.transpose, A.toDense, CsrMatrix.eye, …) are
// installed by methods.ts, above the ops: this module imports none of them.
export class CsrMatrix {
  readonly pattern: CsrPattern;
  /** The nonzero values, a differentiable 1-D Tensor of length nnz. */
  readonly values: Tensor;

  /** @internal Use the factories; no checks here. */
  constructor(pattern: CsrPattern, values: Tensor) {
    this.pattern = pattern;
    this.values = values;
  }

  get shape(): [number, number] {
    return [this.pattern.rows, this.pattern.cols];
  }
  get rows(): number {
    return this.pattern.rows;
  }
  get cols(): number {
    return this.pattern.cols;
  }
  get nnz(): number {
    return this.pattern.nnz;
  }
  get dtype(): DType {
    return this.values.dtype;
  }
  get device(): 'cpu' | 'cuda' {
    return this.values.device;
  }
  get requiresGrad(): boolean {
    return this.values.requiresGrad;
  }
  /** A copy of the row pointers. */
  get indptr(): Int32Array {
    return this.pattern.indptr;
  }
  /** A copy of the column indices. */
  get indices(): Int32Array {
    return this.pattern.indices;
  }
  /** The gradient of the values (on this matrix's pattern), if any. */
  get grad(): Tensor | null {
    return this.values.grad;
  }

  /** The same pattern with other values (a Tensor of length nnz, which may carry a tape). */
  withValues(values: Tensor | ArrayLike<number>, opts: CsrOptions = {}): CsrMatrix {
    return new CsrMatrix(this.pattern, valuesTensor('withValues', values, this.nnz, opts));
  }

  /** The same matrix cut from the tape (values detached). */
  detach(): CsrMatrix {
    return new CsrMatrix(this.pattern, this.values.detach());
  }

  /**
   * From CSR arrays. The structure is validated (sorted, duplicate-free,
   * in-range indices) and copied; `values` may be a Tensor (kept, so gradients
   * flow to it) or numbers (copied).
   */
  static fromCsr(
    indptr: ArrayLike<number>,
    indices: ArrayLike<number>,
    values: Tensor | ArrayLike<number>,
    shape: readonly [number, number],
    opts: CsrOptions = {},
  ): CsrMatrix {
    const pattern = CsrPattern.create('CsrMatrix.fromCsr', shape, indptr, indices);
    return new CsrMatrix(pattern, valuesTensor('CsrMatrix.fromCsr', values, pattern.nnz, opts));
  }

  /**
   * From coordinates: duplicates are summed and columns sorted. With `values`
   * a Tensor the result is differentiable with respect to it (each stored value
   * is the sum of its duplicates).
   */
  static fromCoo(
    rowIdx: ArrayLike<number>,
    colIdx: ArrayLike<number>,
    values: Tensor | ArrayLike<number>,
    shape: readonly [number, number],
    opts: CsrOptions = {},
  ): CsrMatrix {
    const op = 'CsrMatrix.fromCoo';
    const [rows, cols] = checkMatrixShape(op, shape);
    if (!isIntArrayLike(rowIdx)) expected(op, 'an integer array', 'rows', rowIdx);
    if (!isIntArrayLike(colIdx)) expected(op, 'an integer array', 'cols', colIdx);
    const n = rowIdx.length;
    if (colIdx.length !== n) fail(op, `rows has ${n} entries but cols has ${colIdx.length}`);
    const given = valuesTensor(op, values, n, { ...opts, requiresGrad: false });
    // Device values are placed and summed on the host and moved back: a
    // construction step, and both moves are differentiable (ops/transfer.ts).
    const vals = given.device === 'cpu' ? given : toDevice(given, 'cpu');
    const { pattern, slot } = cooToCsrPattern(rows, cols, rowIdx, colIdx, op);
    const nnz = pattern.nnz;
    let result: Tensor;
    if (nnz === n) {
      result = scatter(slot, vals, [nnz]); // no duplicates: slot is a permutation
    } else {
      // Duplicates are summed in entry order (a construction step, on the host).
      result = empty(vals.dtype, [nnz], 'cpu');
      if (n <= COO_JS_MAX) {
        const out = hostData(result).fill(0);
        const v = hostData(vals);
        for (let k = 0; k < n; k++) out[slot[k]!] += v[k]!;
      } else {
        kernel<SumDuplicates>('cooSumDuplicates')(slot, hostData(vals), hostData(result));
      }
    }
    // d(values_in)[k] = grad[slot[k]]
    record('fromCoo', result, [vals], (g) => [gather(slot, g)]);
    if (given.device !== 'cpu') result = toDevice(result, given.device);
    // A leaf when the values were plain numbers (or a tensor that needs no grad).
    if (opts.requiresGrad && !result.gradFn) result.requiresGrad = true;
    return new CsrMatrix(pattern, result);
  }

  /** From a dense 2-D Tensor or nested array: every nonzero becomes an entry (differentiable). */
  static fromDense(dense: Tensor | NestedArray, opts: CsrOptions & { keepZeros?: boolean } = {}): CsrMatrix {
    const op = 'CsrMatrix.fromDense';
    const D = dense instanceof Tensor ? dense : tensor(dense, opts.dtype ? { dtype: opts.dtype } : {});
    if (D.ndim !== 2) fail(op, `expected a 2-D tensor but received ${describe(D)}`);
    const [rows, cols] = D.shape as [number, number];
    // The values are gathered through 32-bit positions into D.
    if (rows * cols > 2147483647) fail(op, `a ${shapeStr(D.shape)} tensor has ${rows * cols} entries, more than the gather's 32-bit positions reach`);
    // Row by row, the positions i·cols + j with D[i, j] !== 0 (NaN kept, -0 dropped), or all of them.
    // A device tensor is scanned and gathered on the host, its values moved back (differentiably).
    const Dh = D.device === 'cpu' ? D : toDevice(D, 'cpu');
    const { indptr, at, indices } = denseNonzeros(rows, cols, hostData(Dh), opts.keepZeros === true);
    let values = gather(at, Dh);
    // dD = scatter of the values' gradient into the dense shape
    record('fromDense', values, [Dh], (g) => [scatter(at, g, [rows, cols])]);
    if (D.device !== 'cpu') values = toDevice(values, D.device);
    if (opts.requiresGrad && !values.gradFn) values.requiresGrad = true;
    return new CsrMatrix(new CsrPattern(rows, cols, indptr, indices), values);
  }

  /** Frees the values' memory now (see Tensor.dispose); the pattern stays (see CsrPattern.releaseDevice). */
  dispose(): void {
    this.values.dispose();
  }

  get isDisposed(): boolean {
    return this.values.isDisposed;
  }

  toString(): string {
    return `CsrMatrix(shape=${shapeStr(this.shape)}, nnz=${this.nnz}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

type IndexArray = Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Float64Array | Float32Array;
type CooToCsr = (rows: number, cols: number, r: IndexArray, c: IndexArray, indptr: Int32Array, slot: Int32Array, indices: Int32Array) => number;
type SumDuplicates = (slot: Int32Array, v: FloatArray, out: FloatArray) => void;
type DenseCount = (rows: number, cols: number, D: FloatArray, keepZeros: boolean, indptr: Int32Array) => number;
type DenseFill = (rows: number, cols: number, D: FloatArray, keepZeros: boolean, indptr: Int32Array, at: Int32Array, indices: Int32Array) => void;

/**
 * At most this much work, cooToCsrPattern sorts in JavaScript (entries + rows
 * + columns) and fromCoo sums duplicates there (entries): below it the addon
 * call costs more than the loops. Measured on one pinned core (load average ≈6
 * on the 2-core VM), the pattern of m entries in an m × 5 matrix, Int32Array
 * indices: 0.27 µs in JavaScript vs 1.0–1.2 µs native at m = 4, 0.35 vs 1.0 µs
 * at 8, 1.0 vs 1.2 µs at 16, 3.1 vs 1.4 µs at 32; number[] indices (copied to
 * float64 for the call): 0.35 vs 1.8 µs at 8, 1.0 vs 2.2 µs at 16. Each typed
 * array handed to the addon for the first time costs ≈0.25 µs there.
 */
export const COO_JS_MAX = 32;

/**
 * At most this many entries (rows·cols + rows), fromDense scans in JavaScript:
 * on the same core, a [m, 4] float64 tensor took 0.2 µs vs 1.5 µs native at
 * m = 1…8, 1.6 vs 2.3 µs at 16, 2.5 vs 2.5–3.5 µs at 64, 3.7 vs 3.2–3.9 µs at 128.
 */
export const DENSE_JS_MAX = 256;

/**
 * Sorts coordinates into CSR order (counting sort by column, then by row, both
 * stable) and merges duplicates, checking that every index is an integer in
 * range: in native code (coo_cpu.cc), or below COO_JS_MAX in the same loops in
 * JavaScript. slot[k] is where entry k lands.
 */
export function cooToCsrPattern(
  rows: number,
  cols: number,
  rowIdx: ArrayLike<number>,
  colIdx: ArrayLike<number>,
  op = 'cooToCsrPattern',
): { pattern: CsrPattern; slot: Int32Array } {
  const n = rowIdx.length;
  if (colIdx.length !== n) fail(op, `rows has ${n} entries but cols has ${colIdx.length}`);
  if (n + rows + cols <= COO_JS_MAX) return cooToCsrJs(rows, cols, rowIdx, colIdx, op);
  const slot = new Int32Array(n);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  // Typed arrays are read in place (an Int32Array without a copy); a number[]
  // is copied once to float64, which keeps non-integers and huge values for
  // the kernel to reject. Anything not a number (null, '1', true, a hole)
  // becomes NaN so that it is rejected too, as the JavaScript check did, and
  // not read as the number JavaScript would coerce it to (null as row 0).
  const r = (ArrayBuffer.isView(rowIdx) ? rowIdx : Float64Array.from(rowIdx, numberOrNaN)) as IndexArray;
  const c = (ArrayBuffer.isView(colIdx) ? colIdx : Float64Array.from(colIdx, numberOrNaN)) as IndexArray;
  const nnz = kernel<CooToCsr>('cooToCsr')(rows, cols, r, c, indptr, slot, indices);
  if (nnz < 0) {
    // -1 - bad for the first bad entry k: bad = 2k for its row index, 2k + 1 for its column index.
    const bad = -1 - nnz;
    const k = Math.floor(bad / 2);
    if (bad % 2 === 0) badRow(op, rows, rowIdx[k], k);
    badCol(op, cols, colIdx[k], k);
  }
  return { pattern: new CsrPattern(rows, cols, indptr, nnz === n ? indices : indices.slice(0, nnz)), slot };
}

function numberOrNaN(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

function badRow(op: string, rows: number, i: unknown, k: number): never {
  fail(op, `row index ${i} at entry ${k} is out of range for ${rows} rows`);
}

function badCol(op: string, cols: number, j: unknown, k: number): never {
  fail(op, `column index ${j} at entry ${k} is out of range for ${cols} columns`);
}

/** cooToCsrPattern for tiny inputs: coo_cpu.cc's checks and sorts, in JavaScript. */
function cooToCsrJs(rows: number, cols: number, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>, op: string): { pattern: CsrPattern; slot: Int32Array } {
  const n = rowIdx.length;
  for (let k = 0; k < n; k++) {
    const i = rowIdx[k]!;
    const j = colIdx[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= rows) badRow(op, rows, i, k);
    if (!Number.isInteger(j) || j < 0 || j >= cols) badCol(op, cols, j, k);
  }
  // Pass 1: bucket by column (stable), pass 2: bucket by row (stable) => row-major, columns sorted.
  const colCount = new Int32Array(cols + 1);
  for (let k = 0; k < n; k++) colCount[colIdx[k]! + 1]++;
  for (let j = 0; j < cols; j++) colCount[j + 1] += colCount[j]!;
  const byCol = new Int32Array(n);
  for (let k = 0; k < n; k++) byCol[colCount[colIdx[k]!]!++] = k;
  const rowCount = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) rowCount[rowIdx[k]! + 1]++;
  for (let i = 0; i < rows; i++) rowCount[i + 1] += rowCount[i]!;
  const order = new Int32Array(n);
  const next = rowCount.slice(0, rows);
  for (let t = 0; t < n; t++) {
    const k = byCol[t]!;
    order[next[rowIdx[k]!]!++] = k;
  }
  // Merge duplicates.
  const slot = new Int32Array(n);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  let nnz = 0;
  for (let i = 0; i < rows; i++) {
    let last = -1;
    for (let t = rowCount[i]!; t < rowCount[i + 1]!; t++) {
      const k = order[t]!;
      const j = colIdx[k]!;
      if (j !== last) {
        indices[nnz++] = j;
        last = j;
      }
      slot[k] = nnz - 1;
    }
    indptr[i + 1] = nnz;
  }
  return { pattern: new CsrPattern(rows, cols, indptr, nnz === n ? indices : indices.slice(0, nnz)), slot };
}

/**
 * A row-major rows × cols array's stored positions, row by row: at[p] =
 * i·cols + j where D[i, j] !== 0 (NaN kept, -0 dropped), or every position
 * with keepZeros; indices[p] = j. Native, or below DENSE_JS_MAX in JavaScript.
 */
function denseNonzeros(rows: number, cols: number, data: FloatArray, keepZeros: boolean): { indptr: Int32Array; at: Int32Array; indices: Int32Array } {
  const indptr = new Int32Array(rows + 1);
  if (rows * cols + rows <= DENSE_JS_MAX) {
    const picks: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (keepZeros || data[i * cols + j] !== 0) picks.push(i * cols + j);
      indptr[i + 1] = picks.length;
    }
    const at = Int32Array.from(picks);
    const indices = new Int32Array(at.length);
    for (let p = 0; p < at.length; p++) indices[p] = at[p]! % cols;
    return { indptr, at, indices };
  }
  const nnz = kernel<DenseCount>('denseNonzerosCount')(rows, cols, data, keepZeros, indptr);
  const at = new Int32Array(nnz);
  const indices = new Int32Array(nnz);
  kernel<DenseFill>('denseNonzerosFill')(rows, cols, data, keepZeros, indptr, at, indices);
  return { indptr, at, indices };
}
