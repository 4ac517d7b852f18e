// Shape and layout ops: reshape (a view), 2-D transpose (a copy), row gather,
// concatenation, and the float32 ↔ float64 cast. All also run on 'cuda'
// tensors: gatherRows and concat as products with 0/1 selection matrices
// (select.ts), whose VJPs (Sᵀ G) are the scatter-adds and slices.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { DeviceArray } from '../device.js';
import { allocate, type DType, isDType } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { denseArg, indexArg, normAxis, sizeOf } from './broadcast.js';
import { assertTensor, sameKind } from './check.js';
import { add } from './elementwise.js';
import { int32Indexable, partialSelectionMatrix, selectionMatrix } from './select.js';
import { spdmm } from './spdmm.js';
import { deviceEmpty } from './transfer.js';
import { reshape } from './reshape.js';

// reshape is a view, below every other op (elementwise ops reshape too): it has its own module.
export { reshape };

type DTranspose = (rows: number, cols: number, x: DeviceArray, out: DeviceArray) => void;
type DCast = (x: DeviceArray, out: DeviceArray) => void;

/** Copies the [m, n] entries of x into a new [n, m] tensor. */
function transposeData(x: Tensor, m: number, n: number): Tensor['data'] {
  const src = x.data;
  const out = allocate(x.dtype, m * n);
  // Tiles keep both the reads and the writes within a few cache lines.
  const B = 32;
  for (let i0 = 0; i0 < m; i0 += B) {
    const i1 = Math.min(m, i0 + B);
    for (let j0 = 0; j0 < n; j0 += B) {
      const j1 = Math.min(n, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * m + i] = src[i * n + j]!;
    }
  }
  return out;
}

/** The transpose of a 2-D tensor, as a new contiguous tensor (also `x.T`, `x.transpose()`). */
export function denseTranspose(x: Tensor): Tensor {
  const op = 'transpose';
  assertTensor(op, 'x', x);
  if (x.ndim !== 2) fail(op, `expected a 2-D tensor but x has shape ${shapeStr(x.shape)}`);
  const [m, n] = x.shape as [number, number];
  if (x.device === 'cuda') {
    // dx = gᵀ
    return record(op, transposeDevice(x, m, n), [x], (g) => [transposeDevice(g, n, m)]);
  }
  denseArg(op, 'x', x);
  // dx = gᵀ
  return record(op, new Tensor(transposeData(x, m, n), [n, m]), [x], (g) => [new Tensor(transposeData(g, n, m), [m, n])]);
}

/** The [n, m] transpose of a device tensor read as [m, n]. */
function transposeDevice(x: Tensor, m: number, n: number): Tensor {
  const out = deviceEmpty(x.dtype, [n, m]);
  kernel<DTranspose>('dTranspose')(m, n, x.buffer, out.buffer);
  return out;
}

/**
 * Rows of x (along its first axis) at `indices`, in that order; repeats allowed.
 * The VJP scatter-adds back, so repeated rows accumulate.
 */
export function gatherRows(x: Tensor, indices: Int32Array | readonly number[]): Tensor {
  const op = 'gatherRows';
  assertTensor(op, 'x', x);
  if (x.ndim === 0) fail(op, `expected a tensor with at least one axis but x has shape ${shapeStr(x.shape)}`);
  const rows = x.shape[0]!;
  const idx = indexArg(op, 'indices', indices, rows, `rows of x (shape ${shapeStr(x.shape)})`);
  if (x.device === 'cuda') return gatherRowsDevice(x, indices);
  denseArg(op, 'x', x);
  const w = rows === 0 ? 0 : x.size / rows;
  const k = idx.length;
  const xd = x.data;
  const o = allocate(x.dtype, k * w);
  for (let r = 0; r < k; r++) o.set(xd.subarray(idx[r]! * w, idx[r]! * w + w), r * w);
  const outShape = [k, ...x.shape.slice(1)];
  return record(op, new Tensor(o, outShape), [x], (g) => {
    // dx[indices[r]] += g[r]
    const d = allocate(x.dtype, x.size);
    const gd = g.data;
    for (let r = 0; r < k; r++) {
      const dst = idx[r]! * w;
      const src = r * w;
      for (let j = 0; j < w; j++) d[dst + j] = d[dst + j]! + gd[src + j]!;
    }
    return [new Tensor(d, x.shape)];
  });
}

/** Joins tensors of one dtype along `axis` (default 0); all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors as unknown)) expected(op, 'an array of Tensors', 'tensors', tensors);
  if (tensors.length === 0) fail(op, 'expected at least one tensor');
  tensors.forEach((t, i) => {
    assertTensor(op, `tensors[${i}]`, t);
  });
  const first = tensors[0]!;
  if (first.ndim === 0) fail(op, `cannot concatenate 0-D tensors (tensors[0] has shape ${shapeStr(first.shape)})`);
  const ax = normAxis(op, axis, first.shape);
  tensors.forEach((t, i) => {
    sameKind(op, ['tensors[0]', first], [`tensors[${i}]`, t]);
    const ok = t.ndim === first.ndim && t.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!ok) fail(op, `tensors[${i}] has shape ${shapeStr(t.shape)} but tensors[0] has shape ${shapeStr(first.shape)} (only axis ${ax} may differ)`);
  });
  const outShape = [...first.shape];
  outShape[ax] = tensors.reduce((s, t) => s + t.shape[ax]!, 0);
  if (first.device === 'cuda') return concatDevice(tensors, ax, outShape);
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const chunks = tensors.map((t) => t.shape[ax]! * inner);
  const total = chunks.reduce((s, c) => s + c, 0);
  const o = allocate(first.dtype, outer * total);
  let off = 0;
  tensors.forEach((t, i) => {
    const c = chunks[i]!;
    for (let r = 0; r < outer; r++) o.set(t.data.subarray(r * c, r * c + c), r * total + off);
    off += c;
  });
  return record(op, new Tensor(o, outShape), tensors, (g, needs) => {
    // dtensors[i] = the slice of g that tensors[i] filled
    let at = 0;
    return tensors.map((t, i) => {
      const c = chunks[i]!;
      const start = at;
      at += c;
      if (!needs[i]) return null;
      const d = allocate(t.dtype, t.size);
      for (let r = 0; r < outer; r++) d.set(g.data.subarray(r * total + start, r * total + start + c), r * c);
      return new Tensor(d, t.shape);
    });
  });
}

/**
 * gatherRows on the device: x read as [rows, w], then S X with the selection
 * S[r, indices[r]] = 1 (cached per indices array), so dX = Sᵀ G adds the
 * gradients of repeated rows (SpDMM's VJP over Sᵀ's rows: no atomics, the
 * same bits every run). A 1-D x is one column. A −0 entry comes out as +0
 * (each sum starts at 0).
 */
function gatherRowsDevice(x: Tensor, indices: Int32Array | readonly number[]): Tensor {
  const rows = x.shape[0]!;
  const w = sizeOf(x.shape.slice(1));
  // Keyed by the caller's array, so a loop over one index list builds S once
  // (gatherRows has validated its contents).
  const S = selectionMatrix('gatherRows', indices, rows, x.dtype, 'cuda');
  return reshape(spdmm(S, reshape(x, [rows, w])), [indices.length, ...x.shape.slice(1)]);
}

/**
 * Where rows of each input go in a concatenation, per (outer, counts): the
 * output as [outer · total, inner] rows, input i as [outer · counts[i], inner];
 * maps[i][r] is the row of input i that lands in output row r, −1 for rows
 * other inputs fill. Built once per shape signature.
 */
const placements = new Map<string, Int32Array[]>();
const MAX_PLACEMENTS = 64;

function placementMaps(outer: number, counts: readonly number[]): Int32Array[] {
  const key = `${outer}:${counts.join(',')}`;
  let maps = placements.get(key);
  if (maps) return maps;
  const total = counts.reduce((s, c) => s + c, 0);
  int32Indexable('concat', 'the number of rows of the result, read as [rows, inner]', outer * total);
  let off = 0;
  maps = counts.map((c) => {
    const m = new Int32Array(outer * total).fill(-1);
    for (let o = 0; o < outer; o++) for (let j = 0; j < c; j++) m[o * total + off + j] = o * c + j;
    off += c;
    return m;
  });
  if (placements.size >= MAX_PLACEMENTS) placements.delete(placements.keys().next().value!);
  placements.set(key, maps);
  return maps;
}

/**
 * concat on the device: out = Σᵢ Pᵢ Xᵢ, Pᵢ placing the rows of input i (read
 * as [outer · nᵢ, inner]) at their offset along the axis; empty rows of Pᵢ give
 * exact zeros, read nothing, so a NaN or Inf stays in its own slice. The VJP of
 * each product, Pᵢᵀ G, is exactly input i's slice of G. A −0 entry comes out
 * as +0 (each sum starts at 0).
 */
function concatDevice(tensors: readonly Tensor[], ax: number, outShape: readonly number[]): Tensor {
  const first = tensors[0]!;
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const counts = tensors.map((t) => t.shape[ax]!);
  const maps = placementMaps(outer, counts);
  const placed = (i: number): Tensor => {
    const P = partialSelectionMatrix(maps[i]!, outer * counts[i]!, first.dtype, 'cuda');
    return spdmm(P, reshape(tensors[i]!, [outer * counts[i]!, inner]));
  };
  let out = placed(0);
  for (let i = 1; i < tensors.length; i++) {
    const y = placed(i);
    const sum = add(out, y);
    // Neither add's VJP nor spdmm's reads these outputs: free them now, so
    // the peak is a few outputs' worth, not 2k − 1.
    out.dispose();
    y.dispose();
    out = sum;
  }
  return reshape(out, outShape);
}

/** x converted to `dtype` (differentiable: the gradient is converted back). x itself when it already has that dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  const op = 'to';
  assertTensor(op, 'x', x);
  if (!isDType(dtype)) expected(op, "'float64', 'float32', 'cpu' or 'cuda'", 'target', dtype);
  if (x.dtype === dtype) return x;
  if (x.device === 'cuda') {
    // dx = g converted back to x's dtype
    return record(op, castDevice(x, dtype), [x], (g) => [castDevice(g, x.dtype)]);
  }
  denseArg(op, 'x', x);
  const o = allocate(dtype, x.size);
  o.set(x.data);
  // dx = g converted back to x's dtype
  return record(op, new Tensor(o, x.shape), [x], (g) => {
    const d = allocate(x.dtype, g.size);
    d.set(g.data);
    return [new Tensor(d, x.shape)];
  });
}

/** x converted to dtype on the device (rounding to nearest, as Float32Array.set). */
function castDevice(x: Tensor, dtype: DType): Tensor {
  const out = deviceEmpty(dtype, x.shape);
  kernel<DCast>('dCast')(x.buffer, out.buffer);
  return out;
}
