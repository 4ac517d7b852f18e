// Neural-network pieces: softmax and log-softmax over the last axis (stable),
// cross-entropy and NLL loss over selected rows, and seeded dropout. One path
// for either device: native kernels (bind_dense_ops.cc, dense_bodies.h).
import { type FloatArray, kernel } from '../addon.js';
import { isGradEnabled, record } from '../autograd.js';
import { deviceAlloc, type DeviceArray, DeviceStorage, releaseWithScope, upload } from '../device.js';
import { allocate, type Device, uninit } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { type Generator, resolveGenerator } from '../random.js';
import { Tensor } from '../tensor.js';
import { indexArg, isIntegerArray } from './broadcast.js';
import { neg } from './elementwise.js';
import { mean } from './reduce.js';
import { int32Indexable, partialSelectionMatrix } from './select.js';
import { reshape } from './shape.js';
import { spdmm } from './spdmm.js';
import { empty, type Storage, storage } from './transfer.js';
import { assertTensor, sameArray } from './check.js';

/** Rows × columns of a tensor seen as a stack of vectors along its last axis. */
function lastAxis(op: string, x: Tensor): { rows: number; cols: number } {
  if (x.ndim === 0) fail(op, `expected a tensor with at least one axis but x has shape ${shapeStr(x.shape)}`);
  const cols = x.shape[x.ndim - 1]!;
  return { rows: cols === 0 ? 0 : x.size / cols, cols };
}

type LogSoftmaxKernel = (rows: number, cols: number, x: Storage, y: Storage, expOut: boolean) => void;
type LogSoftmaxBackward = (rows: number, cols: number, y: Storage, g: Storage, dx: Storage, softmax: boolean) => void;

/** log softmax (softmax when `exp`) over the last axis, on x's device. */
function rowSoftmax(op: string, x: Tensor, exp: boolean): Tensor {
  assertTensor(op, 'x', x);
  const { rows, cols } = lastAxis(op, x);
  const y = empty(x.dtype, x.shape, x.device);
  kernel<LogSoftmaxKernel>('logSoftmax')(rows, cols, storage(x), storage(y), exp);
  return record(op, y, [x], (g) => {
    // log-softmax: dx = g − exp(y) Σⱼ g;  softmax: dx = y ⊙ (g − Σⱼ g y)  (row by row)
    const dx = empty(x.dtype, x.shape, x.device);
    kernel<LogSoftmaxBackward>('logSoftmaxBackward')(rows, cols, storage(y), storage(g), storage(dx), exp);
    return [dx];
  });
}

/** log softmax over the last axis: y = x − log Σ exp x, row by row. */
export function logSoftmax(x: Tensor): Tensor {
  return rowSoftmax('logSoftmax', x, false);
}

/** softmax over the last axis (stable). */
export function softmax(x: Tensor): Tensor {
  return rowSoftmax('softmax', x, true);
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
  const { sel, tgt } = lossArgs(op, logits, targets, rows);
  return crossEntropyRows(logits, sel, tgt, indexOn(logits.device, targets, rows, sel, tgt));
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (e.g. from logSoftmax):
 * the mean over the selected rows of −logProbs[r, targets[r]]. A 0-D result.
 */
export function nllLoss(logProbs: Tensor, targets: Int32Array | readonly number[], rows?: Int32Array | readonly number[]): Tensor {
  const op = 'nllLoss';
  const { sel, tgt } = lossArgs(op, logProbs, targets, rows);
  return nllLossSelect(logProbs, targets, rows, sel, tgt);
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
 * On the CPU the mask is one 32-bit draw of the generator per entry (the
 * generator advances by x.size), so a seed gives the masks, and the training
 * curves, it always gave. On the device it comes from a counter-based Philox
 * stream keyed by four 32-bit draws of the generator (body::dropout_keep): the
 * same mask for a seed on the emulated device and a GPU (a different one from
 * the CPU's), and the generator advances by 4 draws whatever x's size.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  assertTensor(op, 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) expected(op, 'a probability in [0, 1]', 'p', p);
  if (opts === null || typeof opts !== 'object') expected(op, 'an options object', 'options', opts);
  if (opts.training !== undefined && typeof opts.training !== 'boolean') expected(op, 'a boolean', 'training', opts.training);
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) expected(op, 'a finite number', 'seed', opts.seed);
  if (opts.training === false || p === 0) return x;
  const gen = resolveGenerator(opts);
  return x.device === 'cpu' ? dropoutCpu(x, p, gen) : dropoutDevice(x, p, gen);
}

/**
 * Dropout on the CPU with the generator's own stream: entry i is kept when its
 * 32-bit draw is at or above p·2^32 (one draw per entry; a 53-bit uniform costs
 * two). Drawing is inherently sequential; a native kernel (host_random_cpu.cc)
 * runs Generator.nextUint32's xoshiro128** on the generator's state and hands
 * the advanced state back, so the masks are the ones the JavaScript loop drew.
 * The scaling is in float64, rounded once on store, exactly as the pinned
 * training curves (test/experiments/fixtures/v1-curves.json) were recorded.
 */
function dropoutCpu(x: Tensor, p: number, gen: Generator): Tensor {
  const n = x.size;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const keep = new Uint8Array(n);
  const o = uninit(x.dtype, n); // the kernel writes every entry
  const state = gen.streamState;
  kernel<(s: Int32Array, threshold: number, scale: number, x: FloatArray, o: FloatArray, keep: Uint8Array) => void>('dropoutStream')(
    state, p * 4294967296, scale, x.data, o, keep,
  );
  gen.streamState = state;
  return record('dropout', new Tensor(o, x.shape), [x], (g) => {
    // dx = g ⊙ mask / (1 − p)
    const d = uninit(x.dtype, n);
    kernel<(scale: number, keep: Uint8Array, g: FloatArray, dx: FloatArray) => void>('dropoutKeepBackward')(scale, keep, g.data, d);
    return [new Tensor(d, x.shape)];
  });
}

// ---------------------------------------------------------------------------
// The kernels behind the losses and dropout.

type CrossEntropyKernel = (N: number, C: number, R: number, x: Storage, idx: Int32Array | DeviceArray, lse: Storage, loss: Storage) => void;
type CrossEntropyBackward = (N: number, C: number, R: number, x: Storage, idx: Int32Array | DeviceArray, lse: Storage, g: Storage, dx: Storage) => void;
type DropoutKernel = (p: number, seedLo: number, seedHi: number, offsetLo: number, offsetHi: number, x: Storage, out: Storage, keep: DeviceArray) => void;
type DropoutBackward = (p: number, keep: DeviceArray, g: Storage, dx: Storage) => void;

/** crossEntropy's selected rows and their class ids, [sel | tgt] (a device copy on 'cuda'), and the host arrays it was made from. */
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

/** [sel | tgt] on `device`: a host array on the CPU, the cached device copy on 'cuda'. */
function indexOn(device: Device, targets: unknown, rows: unknown, sel: Int32Array, tgt: Int32Array): Int32Array | DeviceStorage {
  if (device === 'cuda') return deviceIndex(targets, rows, sel, tgt);
  const both = new Int32Array(2 * sel.length);
  both.set(sel);
  both.set(tgt, sel.length);
  return both;
}

function crossEntropyRows(logits: Tensor, sel: Int32Array, tgt: Int32Array, idx: Int32Array | DeviceStorage): Tensor {
  const op = 'crossEntropy';
  const [N, C] = logits.shape as [number, number];
  const R = sel.length;
  const idxArg = idx instanceof DeviceStorage ? idx.array : idx;
  const lse = empty(logits.dtype, [R], logits.device);
  const loss = empty(logits.dtype, [], logits.device);
  kernel<CrossEntropyKernel>('crossEntropy')(N, C, R, storage(logits), idxArg, storage(lse), storage(loss));
  if (!isGradEnabled() || !logits.requiresGrad) {
    lse.dispose();
    return loss;
  }
  if (idx instanceof DeviceStorage) {
    // The VJP keeps the indices it was computed with, even if the cache moves on.
    idx.retain();
    releaseWithScope(() => idx.release());
  }
  return record(op, loss, [logits], (g) => {
    // dlogits[r] = (g / R) (softmax(logits[r]) − onehot(targets[r])) for each selected r
    const dx = empty(logits.dtype, logits.shape, logits.device);
    kernel<CrossEntropyBackward>('crossEntropyBackward')(N, C, R, storage(logits), idxArg, storage(lse), storage(g), storage(dx));
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
 * nllLoss on either device: −mean(S x) over the flattened input, with the
 * selection S[k, sel[k]·C + tgt[k]] = 1; dx = −Sᵀ (g / R) adds up repeated
 * rows (SpDMM's VJP over Sᵀ's rows: no atomics).
 */
function nllLossSelect(logProbs: Tensor, targets: unknown, rows: unknown, sel: Int32Array, tgt: Int32Array): Tensor {
  const op = 'nllLoss';
  const [N, C] = logProbs.shape as [number, number];
  int32Indexable(op, 'the size of the input', N * C);
  // lossArgs checked sel and tgt, so the flat indices are in range; flatIndex keeps one array per unchanged input.
  const S = partialSelectionMatrix(flatIndex(targets, rows, sel, tgt, C), N * C, logProbs.dtype, logProbs.device);
  return neg(mean(spdmm(S, reshape(logProbs, [N * C, 1]))));
}

/**
 * Dropout on the device: the mask from the counter-based Philox stream keyed by
 * four 32-bit draws of the generator (body::dropout_keep), the same for a seed on
 * the emulated device and a GPU.
 */
function dropoutDevice(x: Tensor, p: number, gen: Generator): Tensor {
  const seedLo = gen.nextUint32();
  const seedHi = gen.nextUint32();
  const offsetLo = gen.nextUint32();
  const offsetHi = gen.nextUint32();
  const out = empty(x.dtype, x.shape, x.device);
  const keep = deviceAlloc('uint8', x.size);
  try {
    kernel<DropoutKernel>('dropout')(p, seedLo, seedHi, offsetLo, offsetHi, storage(x), storage(out), keep);
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
    const dx = empty(x.dtype, x.shape, x.device);
    kernel<DropoutBackward>('dropoutBackward')(p, keep, storage(g), storage(dx));
    return [dx];
  });
}
