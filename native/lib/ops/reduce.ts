// Reductions: sum and mean (over everything or over axes, keepdims), dot of two
// vectors, and the 2-norm. Sums accumulate in float64 for either dtype
// (a float32 sum of 4097 to 2^21 terms adds groups of 4 in float first: dense_ops_cpu.cc). One path
// for either device: native kernels (bind_dense_ops.cc); a full reduction gives a
// 0-D tensor on the input's device, so device loops stay there.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import { expected, fail, shapeStr } from '../errors.js';
import { hostData, Tensor } from '../tensor.js';
import { binaryKernel, expand, normAxis, sumAxes } from './broadcast.js';
import { assertTensor, sameKind } from './check.js';
import { constantOn, deviceConstantValue, empty, type Storage, storage } from './transfer.js';

type SumAllKernel = (x: Storage, n: number, scale: number, out: Storage) => void;
type DotKernel = (a: Storage, b: Storage, out: Storage) => void;
type NormKernel = (x: Storage, out: Storage) => void;
type NormBackward = (x: Storage, nrm: Storage, g: Storage, dx: Storage) => void;

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

/** The 0-D shape of a full reduction's output (frozen: tensors share it). */
const SCALAR: readonly number[] = Object.freeze([]);

function reduceSum(op: string, x: Tensor, axis: unknown, keepdims: unknown, scaleByCount: boolean): Tensor {
  assertTensor(op, 'x', x);
  if (keepdims !== undefined && typeof keepdims !== 'boolean') expected(op, 'a boolean', 'keepdims', keepdims);
  // Over every entry to a 0-D result (a sum() or mean() loss, once per training
  // step): the sumAll binding, with no axis lists built and no shapes passed.
  const all = (axis === undefined || axis === null) && keepdims !== true && x.size <= 0x7fffffff;
  const axes = all ? null : reduceAxes(op, axis, x.shape);
  // x's shape with 1 on the summed axes.
  const keepShape = (): number[] => x.shape.map((d, i) => (axes === null || axes.includes(i) ? 1 : d));
  // The number of terms per output entry (the product of the summed axes).
  const count = axes === null ? x.size : axes.reduce((c, a) => c * x.shape[a]!, 1);
  const scale = scaleByCount ? 1 / count : 1; // mean over no entries is NaN, as PyTorch
  let out: Tensor;
  if (axes === null) {
    out = empty(x.dtype, SCALAR, x.device);
    kernel<SumAllKernel>('sumAll')(storage(x), count, scale, storage(out));
  } else {
    const keep = keepShape();
    out = sumAxes(x, keep, keepdims ? keep : x.shape.filter((_, i) => !axes.includes(i)), scale);
  }
  if (scaleByCount && count === 0 && out.size > 0) {
    kernel<(o: Storage, v: number) => void>('fill')(storage(out), NaN);
  }
  return record(op, out, [x], (g) => {
    // dx = broadcast of g back over the reduced axes (times 1/count for mean).
    // A one-entry g on the CPU (a loss's seed) gives a shared constant tensor:
    // no array filled per call (transfer.ts constantOn).
    // On the device, a seed that is itself a shared constant (backward()'s 1) gives one
    // too, its value known without a download.
    if (g.size === 1 && g.device === 'cpu') return [constantOn(x.dtype, x.shape, hostData(g)[0]! * scale)];
    const c = g.size === 1 ? deviceConstantValue(g) : undefined;
    if (c !== undefined) return [constantOn(x.dtype, x.shape, c * scale, g.device)];
    return [expand(g, keepShape(), x.shape, scale)];
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
  const out = empty(a.dtype, [], a.device);
  kernel<DotKernel>('dot')(storage(a), storage(b), storage(out));
  // da = g b, db = g a (g a one-entry tensor on the operands' device)
  return record(op, out, [a, b], (g, needs) => [
    needs[0] ? binaryKernel('mul', g, b, b.shape, b.dtype) : null,
    needs[1] ? binaryKernel('mul', g, a, a.shape, a.dtype) : null,
  ]);
}

/**
 * The 2-norm of all entries, √(Σ x²) (a 0-D result), computed with scaling so
 * it neither overflows nor underflows. Its gradient x/‖x‖ is taken as 0 at x = 0
 * (a subgradient; PyTorch does the same).
 */
export function norm(x: Tensor): Tensor {
  const op = 'norm';
  assertTensor(op, 'x', x);
  const out = empty(x.dtype, [], x.device);
  kernel<NormKernel>('norm')(storage(x), storage(out));
  return record(op, out, [x], (g) => {
    // dx = g x / ‖x‖ (0 when ‖x‖ = 0)
    const dx = empty(x.dtype, x.shape, x.device);
    kernel<NormBackward>('normBackward')(storage(x), storage(out), storage(g), storage(dx));
    return [dx];
  });
}
