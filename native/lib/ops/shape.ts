// Shape and layout ops: reshape (a view), 2-D transpose (a copy), row gather,
// concatenation, and the float32 ↔ float64 cast. One path for either device:
// transpose and cast are native kernels (bind_dense_ops.cc); gatherRows and
// concat are products with 0/1 selection matrices (select.ts), whose VJPs
// (Sᵀ G) are the scatter-adds and slices.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import { type DType, isDType } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { denseArg, indexArg, normAxis, sizeOf } from './broadcast.js';
import { assertTensor, sameKind } from './check.js';
import { add } from './elementwise.js';
import { int32Indexable, partialSelectionMatrix, selectionMatrix } from './select.js';
import { spdmm } from './spdmm.js';
import { empty, type Storage, storage } from './transfer.js';
import { reshape } from './reshape.js';

// reshape is a view, below every other op (elementwise ops reshape too): it has its own module.
export { reshape };

type TransposeKernel = (rows: number, cols: number, x: Storage, out: Storage) => void;
type CastKernel = (x: Storage, out: Storage) => void;

/** The transpose of a 2-D tensor, as a new contiguous tensor (also `x.T`, `x.transpose()`). */
export function denseTranspose(x: Tensor): Tensor {
  const op = 'transpose';
  assertTensor(op, 'x', x);
  if (x.ndim !== 2) fail(op, `expected a 2-D tensor but x has shape ${shapeStr(x.shape)}`);
  const [m, n] = x.shape as [number, number];
  // dx = gᵀ
  return record(op, transposeOf(x, m, n), [x], (g) => [transposeOf(g, n, m)]);
}

/** The [n, m] transpose of x read as [m, n], on x's device. */
function transposeOf(x: Tensor, m: number, n: number): Tensor {
  const out = empty(x.dtype, [n, m], x.device);
  kernel<TransposeKernel>('transpose')(m, n, storage(x), storage(out));
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
  indexArg(op, 'indices', indices, rows, `rows of x (shape ${shapeStr(x.shape)})`);
  return gatherRowsSelect(x, indices);
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
  return concatSelect(tensors, ax, outShape);
}

/**
 * gatherRows on either device: x read as [rows, w], then S X with the selection
 * S[r, indices[r]] = 1 (cached per indices array), so dX = Sᵀ G adds the
 * gradients of repeated rows (SpDMM's VJP over Sᵀ's rows: no atomics, the
 * same bits every run). A 1-D x is one column. A −0 entry comes out as +0
 * (each sum starts at 0).
 */
function gatherRowsSelect(x: Tensor, indices: Int32Array | readonly number[]): Tensor {
  const rows = x.shape[0]!;
  const w = sizeOf(x.shape.slice(1));
  // Keyed by the caller's array, so a loop over one index list builds S once
  // (gatherRows has validated its contents).
  const S = selectionMatrix('gatherRows', indices, rows, x.dtype, x.device);
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
 * concat on either device: out = Σᵢ Pᵢ Xᵢ, Pᵢ placing the rows of input i (read
 * as [outer · nᵢ, inner]) at their offset along the axis; empty rows of Pᵢ give
 * exact zeros, read nothing, so a NaN or Inf stays in its own slice. The VJP of
 * each product, Pᵢᵀ G, is exactly input i's slice of G. A −0 entry comes out
 * as +0 (each sum starts at 0).
 */
function concatSelect(tensors: readonly Tensor[], ax: number, outShape: readonly number[]): Tensor {
  const first = tensors[0]!;
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const counts = tensors.map((t) => t.shape[ax]!);
  const maps = placementMaps(outer, counts);
  const placed = (i: number): Tensor => {
    const P = partialSelectionMatrix(maps[i]!, outer * counts[i]!, first.dtype, first.device);
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
  // dx = g converted back to x's dtype
  return record(op, castOf(x, dtype), [x], (g) => [castOf(g, x.dtype)]);
}

/** x converted to dtype on its device (rounding to nearest, as Float32Array.set). */
function castOf(x: Tensor, dtype: DType): Tensor {
  const out = empty(dtype, x.shape, x.device);
  kernel<CastKernel>('cast')(storage(x), storage(out));
  return out;
}
