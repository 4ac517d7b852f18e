// Neural-network pieces: softmax and log-softmax over the last axis (stable),
// cross-entropy and NLL loss over selected rows, and seeded dropout. Each runs
// on the device ('cuda') too; the device versions are at the end.
import { type FloatArray, kernel } from '../addon.js';
import { isGradEnabled, record } from '../autograd.js';
import { deviceAlloc, type DeviceArray, DeviceStorage, releaseWithScope, upload } from '../device.js';
import { allocate } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { type Generator, resolveGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { denseArg, indexArg, isIntegerArray } from './broadcast.js';
import { neg } from './elementwise.js';
import { mean } from './reduce.js';
import { int32Indexable, partialSelectionMatrix } from './select.js';
import { reshape } from './shape.js';
import { spdmm } from './spdmm.js';
import { deviceEmpty } from './transfer.js';
import { assertTensor, sameArray } from './check.js';

/** Rows × columns of a tensor seen as a stack of vectors along its last axis. */
function lastAxis(op: string, x: Tensor): { rows: number; cols: number } {
  if (x.ndim === 0) fail(op, `expected a tensor with at least one axis but x has shape ${shapeStr(x.shape)}`);
  const cols = x.shape[x.ndim - 1]!;
  return { rows: cols === 0 ? 0 : x.size / cols, cols };
}

/** log Σ exp over one row, shifted by the row's max so nothing overflows. */
function logSumExp(d: FloatArray, start: number, cols: number): number {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) {
    const v = d[start + j]!;
    if (v > m || v !== v) m = v;
  }
  if (m === -Infinity || m === Infinity || m !== m) return m; // all −∞, or an +∞ / NaN entry
  let s = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(d[start + j]! - m);
  return m + Math.log(s);
}

/** x − log Σ exp x along the last axis (then exp'd for softmax), row by row. */
function rowLogSoftmax(op: string, x: Tensor, thenExp: boolean): { rows: number; cols: number; o: FloatArray } {
  denseArg(op, 'x', x);
  const { rows, cols } = lastAxis(op, x);
  const xd = x.data;
  const o = allocate(x.dtype, x.size);
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(xd, r * cols, cols);
    for (let j = 0; j < cols; j++) {
      const v = xd[r * cols + j]! - lse;
      o[r * cols + j] = thenExp ? Math.exp(v) : v;
    }
  }
  return { rows, cols, o };
}

/** log softmax over the last axis: y = x − log Σ exp x, row by row. */
export function logSoftmax(x: Tensor): Tensor {
  const op = 'logSoftmax';
  if (x instanceof Tensor && x.device === 'cuda') return rowSoftmaxDevice(op, x, false);
  const { rows, cols, o } = rowLogSoftmax(op, x, false);
  return record(op, new Tensor(o, x.shape), [x], (g) => {
    // dx = g − softmax(x) Σⱼ g  (row by row)
    const d = allocate(x.dtype, x.size);
    const gd = g.data;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += gd[r * cols + j]!;
      for (let j = 0; j < cols; j++) d[r * cols + j] = gd[r * cols + j]! - Math.exp(o[r * cols + j]!) * s;
    }
    return [new Tensor(d, x.shape)];
  });
}

/** softmax over the last axis (stable). */
export function softmax(x: Tensor): Tensor {
  const op = 'softmax';
  if (x instanceof Tensor && x.device === 'cuda') return rowSoftmaxDevice(op, x, true);
  const { rows, cols, o } = rowLogSoftmax(op, x, true);
  return record(op, new Tensor(o, x.shape), [x], (g) => {
    // dx = y ⊙ (g − Σⱼ g y)  (row by row)
    const d = allocate(x.dtype, x.size);
    const gd = g.data;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += gd[r * cols + j]! * o[r * cols + j]!;
      for (let j = 0; j < cols; j++) d[r * cols + j] = o[r * cols + j]! * (gd[r * cols + j]! - s);
    }
    return [new Tensor(d, x.shape)];
  });
}

/**
 * Shared checks of crossEntropy / nllLoss: x is [N, C]; `targets` holds one
 * class id per row of x; `rows` (default: all) lists the rows that count, in
 * any order, repeats counting repeatedly. Only the targets of counted rows are
 * checked, so rows left out may hold any integer (e.g. −1 for "unlabelled").
 */
function lossArgs(op: string, x: Tensor, targets: unknown, rows: unknown): { sel: Int32Array; tgt: Int32Array; C: number } {
  assertTensor(op, 'input', x);
  if (x.ndim !== 2) fail(op, `expected a 2-D input [rows, classes] but it has shape ${shapeStr(x.shape)}`);
  const [N, C] = x.shape as [number, number];
  const t = targetArray(op, targets);
  if (t.length !== N) fail(op, `targets has ${t.length} entries but the input has ${N} rows (give one class id per row; use rows to pick the rows that count)`);
  let sel: Int32Array;
  if (rows === undefined || rows === null) {
    sel = new Int32Array(N);
    for (let i = 0; i < N; i++) sel[i] = i;
  } else sel = indexArg(op, 'rows', rows, N, 'rows');
  if (sel.length === 0) fail(op, `no rows selected (the mean over zero rows is undefined); input has shape ${shapeStr(x.shape)}`);
  const tgt = new Int32Array(sel.length);
  for (let k = 0; k < sel.length; k++) {
    const v = t[sel[k]!]!;
    if (!Number.isInteger(v) || v < 0 || v >= C) fail(op, `targets[${sel[k]}] = ${v} is not a class id in [0, ${C})`);
    tgt[k] = v;
  }
  return { sel, tgt, C };
}

function targetArray(op: string, targets: unknown): ArrayLike<number> {
  if (!isIntegerArray(targets) && !Array.isArray(targets)) expected(op, 'an Int32Array or an array of integer class ids', 'targets', targets);
  const a = targets as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'number') fail(op, `targets[${i}] is ${describe(a[i])}; expected integer class ids`);
  }
  return a as ArrayLike<number>;
}

/**
 * Cross-entropy of logits [N, C] against class ids: the mean over the selected
 * rows of −log softmax(logits[r])[targets[r]] — PyTorch's
 * cross_entropy(logits[rows], targets[rows]). A 0-D result.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array | readonly number[], rows?: Int32Array | readonly number[]): Tensor {
  const op = 'crossEntropy';
  const { sel, tgt, C } = lossArgs(op, logits, targets, rows);
  if (logits.device === 'cuda') return crossEntropyDevice(logits, sel, tgt, deviceIndex(targets, rows, sel, tgt));
  const xd = logits.data;
  const R = sel.length;
  const lse = new Float64Array(R);
  let loss = 0;
  for (let k = 0; k < R; k++) {
    const base = sel[k]! * C;
    lse[k] = logSumExp(xd, base, C);
    loss += lse[k]! - xd[base + tgt[k]!]!;
  }
  const o = allocate(logits.dtype, 1);
  o[0] = loss / R;
  return record(op, new Tensor(o, []), [logits], (g) => {
    // dlogits[r] = (g / R) (softmax(logits[r]) − onehot(targets[r])) for each selected r
    const d = allocate(logits.dtype, logits.size);
    const c = g.data[0]! / R;
    for (let k = 0; k < R; k++) {
      const base = sel[k]! * C;
      for (let j = 0; j < C; j++) d[base + j] = d[base + j]! + c * Math.exp(xd[base + j]! - lse[k]!);
      d[base + tgt[k]!] = d[base + tgt[k]!]! - c;
    }
    return [new Tensor(d, logits.shape)];
  });
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (e.g. from logSoftmax):
 * the mean over the selected rows of −logProbs[r, targets[r]]. A 0-D result.
 */
export function nllLoss(logProbs: Tensor, targets: Int32Array | readonly number[], rows?: Int32Array | readonly number[]): Tensor {
  const op = 'nllLoss';
  const { sel, tgt, C } = lossArgs(op, logProbs, targets, rows);
  if (logProbs.device === 'cuda') return nllLossDevice(logProbs, targets, rows, sel, tgt);
  const xd = logProbs.data;
  const R = sel.length;
  let loss = 0;
  for (let k = 0; k < R; k++) loss -= xd[sel[k]! * C + tgt[k]!]!;
  const o = allocate(logProbs.dtype, 1);
  o[0] = loss / R;
  return record(op, new Tensor(o, []), [logProbs], (g) => {
    // dlogProbs[r, targets[r]] = −g / R for each selected r
    const d = allocate(logProbs.dtype, logProbs.size);
    const c = g.data[0]! / R;
    for (let k = 0; k < R; k++) d[sel[k]! * C + tgt[k]!] = d[sel[k]! * C + tgt[k]!]! - c;
    return [new Tensor(d, logProbs.shape)];
  });
}

export interface DropoutOptions {
  /** Off: dropout is the identity (returns x itself). Default true. */
  training?: boolean;
  /** Seed for a fresh generator (same seed, same mask). */
  seed?: number;
  /** A generator to draw the mask from (advanced by the call). Default: the global one (manualSeed). */
  generator?: Generator;
}

/**
 * Zeroes each entry with probability p and scales the rest by 1/(1−p)
 * (inverted dropout), so the expectation is unchanged. The identity (x itself)
 * when not training or p = 0; all zeros when p = 1.
 *
 * On the device the mask comes from a counter-based Philox stream keyed by four
 * 32-bit draws of the generator: the same seed gives the same mask on every run
 * (and the same mask on a GPU as on the emulated device), but a different mask
 * from the CPU's for that seed, and the generator advances by 4 draws rather
 * than by x.size.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  assertTensor(op, 'x', x);
  if (x.device !== 'cuda') denseArg(op, 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) expected(op, 'a probability in [0, 1]', 'p', p);
  if (opts === null || typeof opts !== 'object') expected(op, 'an options object', 'options', opts);
  if (opts.training !== undefined && typeof opts.training !== 'boolean') expected(op, 'a boolean', 'training', opts.training);
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) expected(op, 'a finite number', 'seed', opts.seed);
  if (opts.training === false || p === 0) return x;
  const gen = resolveGenerator(opts);
  if (x.device === 'cuda') return dropoutDevice(x, p, gen);
  const n = x.size;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const keep = new Uint8Array(n);
  const xd = x.data;
  const o = allocate(x.dtype, n);
  // One 32-bit draw per entry (a 53-bit uniform costs two and dominated GCN
  // training): an entry is kept when the draw is at or above p·2^32.
  const threshold = p * 4294967296;
  for (let i = 0; i < n; i++) {
    if (gen.nextUint32() >= threshold) {
      keep[i] = 1;
      o[i] = xd[i]! * scale;
    }
  }
  return record(op, new Tensor(o, x.shape), [x], (g) => {
    // dx = g ⊙ mask / (1 − p)
    const d = allocate(x.dtype, n);
    for (let i = 0; i < n; i++) if (keep[i]) d[i] = g.data[i]! * scale;
    return [new Tensor(d, x.shape)];
  });
}

// ---------------------------------------------------------------------------
// On the device (bind_d_nn.cc): the same ops on 'cuda' tensors, VJPs on the device.

type DLogSoftmax = (rows: number, cols: number, x: DeviceArray, y: DeviceArray, expOut: boolean) => void;
type DLogSoftmaxBackward = (rows: number, cols: number, y: DeviceArray, g: DeviceArray, dx: DeviceArray, softmax: boolean) => void;
type DCrossEntropy = (N: number, C: number, R: number, x: DeviceArray, idx: DeviceArray, lse: DeviceArray, loss: DeviceArray) => void;
type DCrossEntropyBackward = (N: number, C: number, R: number, x: DeviceArray, idx: DeviceArray, lse: DeviceArray, g: DeviceArray, dx: DeviceArray) => void;
type DDropout = (p: number, seedLo: number, seedHi: number, offsetLo: number, offsetHi: number, x: DeviceArray, out: DeviceArray, keep: DeviceArray) => void;
type DDropoutBackward = (p: number, keep: DeviceArray, g: DeviceArray, dx: DeviceArray) => void;

/** log softmax (softmax when `exp`) over the last axis of a device tensor. */
function rowSoftmaxDevice(op: string, x: Tensor, exp: boolean): Tensor {
  const { rows, cols } = lastAxis(op, x);
  const y = deviceEmpty(x.dtype, x.shape);
  kernel<DLogSoftmax>('dLogSoftmax')(rows, cols, x.buffer, y.buffer, exp);
  return record(op, y, [x], (g) => {
    // log-softmax: dx = g − exp(y) Σⱼ g;  softmax: dx = y ⊙ (g − Σⱼ g y)  (row by row)
    const dx = deviceEmpty(x.dtype, x.shape);
    kernel<DLogSoftmaxBackward>('dLogSoftmaxBackward')(rows, cols, y.buffer, g.buffer, dx.buffer, exp);
    return [dx];
  });
}

/** A device copy of crossEntropy's selected rows and their class ids, [sel | tgt], and the host arrays it was made from. */
interface DeviceIndex {
  sel: Int32Array;
  tgt: Int32Array;
  storage: DeviceStorage;
}

/**
 * Device copies of [sel | tgt] per (targets, rows) pair of objects, so a
 * training loop uploads its labels and row lists once. The host arrays are
 * validated on every call anyway; they are also compared with the cached copy,
 * so a targets or rows array changed in place is uploaded again.
 */
const deviceIndexCache = new WeakMap<object, WeakMap<object, DeviceIndex>>();

/** The device [sel | tgt] for this call (the cache holds one reference to its storage). */
function deviceIndex(targets: unknown, rows: unknown, sel: Int32Array, tgt: Int32Array): DeviceStorage {
  const key1 = targets as object; // lossArgs checked: an array or typed array
  const key2 = (rows ?? targets) as object;
  let byRows = deviceIndexCache.get(key1);
  if (byRows === undefined) deviceIndexCache.set(key1, (byRows = new WeakMap()));
  const hit = byRows.get(key2);
  if (hit !== undefined && sameArray(hit.sel, sel) && sameArray(hit.tgt, tgt)) return hit.storage;
  // Pending VJPs that use the old copy hold references of their own.
  hit?.storage.release();
  const both = new Int32Array(2 * sel.length);
  both.set(sel);
  both.set(tgt, sel.length);
  const storage = new DeviceStorage(upload(both));
  byRows.set(key2, { sel, tgt, storage });
  return storage;
}

function crossEntropyDevice(logits: Tensor, sel: Int32Array, tgt: Int32Array, idx: DeviceStorage): Tensor {
  const op = 'crossEntropy';
  const [N, C] = logits.shape as [number, number];
  const R = sel.length;
  const lse = deviceEmpty(logits.dtype, [R]);
  const loss = deviceEmpty(logits.dtype, []);
  kernel<DCrossEntropy>('dCrossEntropy')(N, C, R, logits.buffer, idx.array, lse.buffer, loss.buffer);
  if (!isGradEnabled() || !logits.requiresGrad) {
    lse.dispose();
    return loss;
  }
  // The VJP keeps the indices it was computed with, even if the cache moves on.
  idx.retain();
  releaseWithScope(() => idx.release());
  return record(op, loss, [logits], (g) => {
    // dlogits[r] = (g / R) (softmax(logits[r]) − onehot(targets[r])) for each selected r
    const dx = deviceEmpty(logits.dtype, logits.shape);
    kernel<DCrossEntropyBackward>('dCrossEntropyBackward')(N, C, R, logits.buffer, idx.array, lse.buffer, g.buffer, dx.buffer);
    return [dx];
  });
}

/** nllLoss's flat indices sel[k]·C + tgt[k] per (targets, rows) pair of objects, kept while their contents stay the same. */
const flatIndexCache = new WeakMap<object, WeakMap<object, Int32Array>>();

/** The flat indices into [N·C] for this call: the cached array when unchanged, so the selection is built once. */
function flatIndex(targets: unknown, rows: unknown, sel: Int32Array, tgt: Int32Array, C: number): Int32Array {
  const flat = new Int32Array(sel.length);
  for (let k = 0; k < sel.length; k++) flat[k] = sel[k]! * C + tgt[k]!;
  const key1 = targets as object; // lossArgs checked: an array or typed array
  const key2 = (rows ?? targets) as object;
  let byRows = flatIndexCache.get(key1);
  if (byRows === undefined) flatIndexCache.set(key1, (byRows = new WeakMap()));
  const hit = byRows.get(key2);
  if (hit !== undefined && sameArray(hit, flat)) return hit;
  byRows.set(key2, flat);
  return flat;
}

/**
 * nllLoss on the device: −mean(S x) over the flattened input, with the
 * selection S[k, sel[k]·C + tgt[k]] = 1; dx = −Sᵀ (g / R) adds up repeated
 * rows (SpDMM's VJP over Sᵀ's rows: no atomics).
 */
function nllLossDevice(logProbs: Tensor, targets: unknown, rows: unknown, sel: Int32Array, tgt: Int32Array): Tensor {
  const op = 'nllLoss';
  const [N, C] = logProbs.shape as [number, number];
  int32Indexable(op, 'the size of the input', N * C);
  // lossArgs checked sel and tgt, so the flat indices are in range; flatIndex keeps one array per unchanged input.
  const S = partialSelectionMatrix(flatIndex(targets, rows, sel, tgt, C), N * C, logProbs.dtype, 'cuda');
  return neg(mean(spdmm(S, reshape(logProbs, [N * C, 1]))));
}

function dropoutDevice(x: Tensor, p: number, gen: Generator): Tensor {
  const seedLo = gen.nextUint32();
  const seedHi = gen.nextUint32();
  const offsetLo = gen.nextUint32();
  const offsetHi = gen.nextUint32();
  const out = deviceEmpty(x.dtype, x.shape);
  const keep = deviceAlloc('uint8', x.size);
  try {
    kernel<DDropout>('dDropout')(p, seedLo, seedHi, offsetLo, offsetHi, x.buffer, out.buffer, keep);
  } catch (e) {
    keep.dispose();
    throw e;
  }
  if (!isGradEnabled() || !x.requiresGrad) {
    keep.dispose();
    return out;
  }
  releaseWithScope(() => keep.dispose());
  return record('dropout', out, [x], (g) => {
    // dx = g ⊙ mask / (1 − p)
    const dx = deviceEmpty(x.dtype, x.shape);
    kernel<DDropoutBackward>('dDropoutBackward')(p, keep, g.buffer, dx.buffer);
    return [dx];
  });
}
