// Neural-network pieces: softmax and log-softmax over the last axis (stable),
// cross-entropy and NLL loss over selected rows, and seeded dropout.
import type { FloatArray } from '../addon.js';
import { record } from '../autograd.js';
import { allocate } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { type Generator, resolveGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { denseArg, indexArg, isIntegerArray } from './broadcast.js';

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
  denseArg(op, 'input', x);
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
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  denseArg(op, 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) expected(op, 'a probability in [0, 1]', 'p', p);
  if (opts === null || typeof opts !== 'object') expected(op, 'an options object', 'options', opts);
  if (opts.training !== undefined && typeof opts.training !== 'boolean') expected(op, 'a boolean', 'training', opts.training);
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) expected(op, 'a finite number', 'seed', opts.seed);
  if (opts.training === false || p === 0) return x;
  const gen = resolveGenerator(opts);
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
