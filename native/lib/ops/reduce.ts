// Reductions: sum and mean (over everything or over axes, keepdims), dot of two
// vectors, and the 2-norm. Sums accumulate in float64 for either dtype. On
// 'cuda' tensors each runs on the device (deterministic sums in double; the
// result is a device tensor, 0-D for a full reduction, so loops stay there).
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { DeviceArray } from '../device.js';
import { allocate } from '../dtype.js';
import { expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { denseArg, deviceBinary, expandDevice, expandTo, indexMap, normAxis, sizeOf, sumAxesDevice } from './broadcast.js';
import { assertTensor, sameKind } from './check.js';
import { deviceEmpty } from './transfer.js';

type DDot = (a: DeviceArray, b: DeviceArray, out: DeviceArray) => void;
type DNorm = (x: DeviceArray, out: DeviceArray) => void;
type DNormBackward = (x: DeviceArray, nrm: DeviceArray, g: DeviceArray, dx: DeviceArray) => void;

export type Axis = number | readonly number[];

/** The axes to reduce (sorted, unique, non-negative), all when axis is undefined. */
function reduceAxes(op: string, axis: unknown, shape: readonly number[]): number[] {
  if (axis === undefined || axis === null) return shape.map((_, d) => d);
  const list = Array.isArray(axis) ? (axis as unknown[]) : [axis];
  const axes = list.map((a) => normAxis(op, a, shape));
  const seen = new Set<number>();
  for (const a of axes) {
    if (seen.has(a)) fail(op, `axis ${a} is repeated in ${JSON.stringify(axis)} for a tensor of shape ${shapeStr(shape)}`);
    seen.add(a);
  }
  return axes.sort((p, q) => p - q);
}

function reduceSum(op: string, x: Tensor, axis: unknown, keepdims: unknown, scaleByCount: boolean): Tensor {
  assertTensor(op, 'x', x);
  if (keepdims !== undefined && typeof keepdims !== 'boolean') expected(op, 'a boolean', 'keepdims', keepdims);
  const axes = reduceAxes(op, axis, x.shape);
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepdims ? keepShape : x.shape.filter((_, i) => !axes.includes(i));
  // The number of terms per output entry (the product of the summed axes).
  const count = axes.reduce((c, a) => c * x.shape[a]!, 1);
  const scale = scaleByCount ? 1 / count : 1; // mean over no entries is NaN, as PyTorch
  if (x.device === 'cuda') {
    const out = sumAxesDevice(x, keepShape, outShape, scale);
    // dx = broadcast of g back over the reduced axes (times 1/count for mean)
    return record(op, out, [x], (g) => [expandDevice(g, keepShape, x.shape, scale)]);
  }
  denseArg(op, 'x', x);
  const outSize = sizeOf(keepShape);
  const map = indexMap(keepShape, x.shape);
  const acc = new Float64Array(outSize);
  const xd = x.data;
  if (map === 'same') for (let i = 0; i < outSize; i++) acc[i] = xd[i]!;
  else if (map === 'scalar') {
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i]!;
    acc[0] = s;
  } else for (let i = 0; i < xd.length; i++) acc[map[i]!] += xd[i]!;
  const o = allocate(x.dtype, outSize);
  for (let i = 0; i < outSize; i++) o[i] = acc[i]! * scale;
  if (scaleByCount && outSize > 0 && count === 0) o.fill(NaN);
  const out = new Tensor(o, outShape);
  // dx = broadcast of g back over the reduced axes (times 1/count for mean)
  return record(op, out, [x], (g) => {
    const d = expandTo(g.data, map, x.size, x.dtype);
    if (scaleByCount) for (let i = 0; i < d.length; i++) d[i] = d[i]! * scale;
    return [new Tensor(d, x.shape)];
  });
}

/** Σ x over all entries (a 0-D result) or over `axis` (a number or a list; negative counts from the end). */
export function sum(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  return reduceSum('sum', x, axis, keepdims, false);
}

/** The mean over all entries or over `axis` (NaN over an empty set, as PyTorch). */
export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  return reduceSum('mean', x, axis, keepdims, true);
}

/** aᵀ b for two 1-D tensors of one length (a 0-D result). */
export function dot(a: Tensor, b: Tensor): Tensor {
  const op = 'dot';
  assertTensor(op, 'a', a);
  assertTensor(op, 'b', b);
  if (a.ndim !== 1 || b.ndim !== 1 || a.size !== b.size) {
    fail(op, `expected two 1-D tensors of one length but a has shape ${shapeStr(a.shape)} and b has shape ${shapeStr(b.shape)}`);
  }
  sameKind(op, ['a', a], ['b', b]);
  if (a.device === 'cuda') return dotDevice(a, b);
  const ad = a.data;
  const bd = b.data;
  let s = 0;
  for (let i = 0; i < ad.length; i++) s += ad[i]! * bd[i]!;
  const o = allocate(a.dtype, 1);
  o[0] = s;
  return record(op, new Tensor(o, []), [a, b], (g, needs) => {
    const gv = g.data[0]!;
    const scaled = (v: typeof ad): Tensor => {
      const d = allocate(a.dtype, v.length);
      for (let i = 0; i < d.length; i++) d[i] = gv * v[i]!;
      return new Tensor(d, a.shape);
    };
    // da = g b, db = g a
    return [needs[0] ? scaled(bd) : null, needs[1] ? scaled(ad) : null];
  });
}

/**
 * The 2-norm of all entries, √(Σ x²) (a 0-D result), computed with scaling so
 * it neither overflows nor underflows. Its gradient x/‖x‖ is taken as 0 at x = 0
 * (a subgradient; PyTorch does the same).
 */
export function norm(x: Tensor): Tensor {
  const op = 'norm';
  assertTensor(op, 'x', x);
  if (x.device === 'cuda') return normDevice(x);
  const xd = x.data;
  let amax = 0;
  for (let i = 0; i < xd.length; i++) {
    const v = Math.abs(xd[i]!);
    if (v > amax || v !== v) amax = v;
  }
  let r: number;
  if (amax === 0 || amax === Infinity || amax !== amax) r = amax;
  else {
    let s = 0;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i]! / amax;
      s += v * v;
    }
    r = amax * Math.sqrt(s);
  }
  const o = allocate(x.dtype, 1);
  o[0] = r;
  const nrm = o[0]!;
  return record(op, new Tensor(o, []), [x], (g) => {
    // dx = g x / ‖x‖ (0 when ‖x‖ = 0)
    const d = allocate(x.dtype, x.size);
    if (nrm !== 0) {
      const c = g.data[0]! / nrm;
      for (let i = 0; i < d.length; i++) d[i] = c * xd[i]!;
    }
    return [new Tensor(d, x.shape)];
  });
}

function dotDevice(a: Tensor, b: Tensor): Tensor {
  const out = deviceEmpty(a.dtype, []);
  kernel<DDot>('dDot')(a.buffer, b.buffer, out.buffer);
  // da = g b, db = g a (g a device scalar)
  return record('dot', out, [a, b], (g, needs) => [
    needs[0] ? deviceBinary('mul', g, b, b.shape, b.dtype) : null,
    needs[1] ? deviceBinary('mul', g, a, a.shape, a.dtype) : null,
  ]);
}

function normDevice(x: Tensor): Tensor {
  const out = deviceEmpty(x.dtype, []);
  kernel<DNorm>('dNorm')(x.buffer, out.buffer);
  return record('norm', out, [x], (g) => {
    // dx = g x / ‖x‖ (0 when ‖x‖ = 0)
    const dx = deviceEmpty(x.dtype, x.shape);
    kernel<DNormBackward>('dNormBackward')(x.buffer, out.buffer, g.buffer, dx.buffer);
    return [dx];
  });
}
