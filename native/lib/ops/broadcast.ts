// NumPy-style broadcasting for the dense ops, and the plumbing shared by them:
// operand checks, and the element-wise kernel and the sum that undoes
// broadcasting (the VJP of broadcasting), through the native kernels on either
// device (bind_dense_ops.cc; the strides are worked out there, dense_bodies.h).
import { kernel } from '../addon.js';
import { allocate, type Device, type DType } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { sameKind, tensorArg } from './check.js';
import { empty, type Storage, storage } from './transfer.js';

/** A Tensor operand, or a plain number standing for a constant of the other operand's dtype. */
export type Operand = Tensor | number;

/** The broadcast shape of several shapes (NumPy rules), or a "<op>: ..." error naming all of them. */
export function broadcastShapes(op: string, shapes: readonly (readonly number[])[], names?: readonly string[]): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (let d = 0; d < nd; d++) {
    for (const s of shapes) {
      const k = d - (nd - s.length);
      if (k < 0) continue;
      const dim = s[k]!;
      if (dim === 1) continue;
      if (out[d] === 1) out[d] = dim;
      else if (out[d] !== dim) {
        const list = shapes.map((sh, i) => `${names ? `${names[i]} ` : ''}${shapeStr(sh)}`).join(' and ');
        fail(op, `shapes ${list} cannot be broadcast together (size ${out[d]} vs ${dim} in dimension ${d} of the result)`);
      }
    }
  }
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}





/** A dense CPU tensor argument (for the ops that run on cpu tensors only). */
export function denseArg(op: string, name: string, x: unknown): Tensor {
  const t = tensorArg(op, name, x);
  if (t.device !== 'cpu') fail(op, `${name} is on ${t.device}; this op runs on cpu tensors only`);
  return t;
}

/**
 * Checks the operands of a binary op: Tensors of one dtype and device, or one
 * Tensor and a number (a constant of the Tensor's dtype). Returns their device.
 */
export function operandsDevice(op: string, a: unknown, b: unknown): Device {
  const aNum = typeof a === 'number';
  const bNum = typeof b === 'number';
  if (!aNum && !(a instanceof Tensor)) expected(op, 'a Tensor or a number', 'a', a);
  if (!bNum && !(b instanceof Tensor)) expected(op, 'a Tensor or a number', 'b', b);
  if (aNum && bNum) fail(op, `at least one operand must be a Tensor (received ${describe(a)} and ${describe(b)})`);
  if (!aNum && !bNum) sameKind(op, ['a', a as Tensor], ['b', b as Tensor]);
  return (aNum ? (b as Tensor) : (a as Tensor)).device;
}


// ---------------------------------------------------------------------------
// Through the native kernels (bind_dense_ops.cc), on either device: the output
// and the gradients are fresh tensors on the operands' device.

/** A kernel operand: a tensor's storage (typed array or device array), or a number (a constant). */
export type KernelOperand = Storage | number;
type BinaryKernel = (op: string, shape: readonly number[], a: KernelOperand, aShape: readonly number[], b: KernelOperand, bShape: readonly number[], out: Storage) => void;
type SumToKernel = (x: Storage, xShape: readonly number[], toShape: readonly number[], scale: number, out: Storage) => void;

/** The kernel argument of an operand: its storage, or the number itself. */
export function kernelOperand(x: Tensor | number): KernelOperand {
  return typeof x === 'number' ? x : storage(x);
}

/** a ∘ b broadcast to `shape` (op: add, sub, mul, div, pow, maximum, minimum), on the operands' device. */
export function binaryKernel(op: string, a: Tensor | number, b: Tensor | number, shape: readonly number[], dtype: DType): Tensor {
  const device = (typeof a === 'number' ? (b as Tensor) : a).device;
  const out = empty(dtype, shape, device);
  const aShape = typeof a === 'number' ? [] : a.shape;
  const bShape = typeof b === 'number' ? [] : b.shape;
  kernel<BinaryKernel>('binary')(op, shape, kernelOperand(a), aShape, kernelOperand(b), bShape, storage(out));
  return out;
}

/** `shape` right-aligned to ndim axes, 1 where absent. */
function alignedTo(shape: readonly number[], ndim: number): number[] {
  return [...new Array<number>(ndim - shape.length).fill(1), ...shape];
}

/**
 * The VJP of broadcasting: scale · g (the gradient of an output that `shape`
 * was broadcast to) summed over the broadcast axes, in double; g itself (a
 * view) when nothing was broadcast and scale is 1.
 */
export function reduceTo(g: Tensor, shape: readonly number[], scale = 1): Tensor {
  if (sizeOf(shape) === g.size && scale === 1) return g.view(shape);
  const out = empty(g.dtype, shape, g.device);
  kernel<SumToKernel>('sumTo')(storage(g), g.shape, alignedTo(shape, g.ndim), scale, storage(out));
  return out;
}

/**
 * scale · x summed over the axes where `keepShape` (x's shape with 1 on the
 * summed axes) has 1; the result has keepShape's entries under `outShape`.
 */
export function sumAxes(x: Tensor, keepShape: readonly number[], outShape: readonly number[], scale: number): Tensor {
  const out = empty(x.dtype, outShape, x.device);
  kernel<SumToKernel>('sumTo')(storage(x), x.shape, keepShape, scale, storage(out));
  return out;
}

/** scale · x (of shape `from`) read at every position of `shape`: the VJP of a sum. */
export function expand(x: Tensor, from: readonly number[], shape: readonly number[], scale: number): Tensor {
  const out = empty(x.dtype, shape, x.device);
  kernel<BinaryKernel>('binary')('mul', shape, storage(x), from, scale, [], storage(out));
  return out;
}

export function scalarTensor(v: number, dtype: DType): Tensor {
  const d = allocate(dtype, 1);
  d[0] = v;
  return new Tensor(d, []);
}

/** Normalizes an axis (negative counts from the end) or fails naming the shape. */
export function normAxis(op: string, axis: unknown, shape: readonly number[]): number {
  const nd = shape.length;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) expected(op, 'an integer axis', 'axis', axis);
  if (axis < -nd || axis >= nd) fail(op, `axis ${axis} is out of range for a tensor of shape ${shapeStr(shape)}`);
  return axis < 0 ? axis + nd : axis;
}

/** An integer typed array (Int32Array and its narrower kin). */
export function isIntegerArray(a: unknown): a is ArrayLike<number> {
  return (
    a instanceof Int32Array || a instanceof Uint32Array || a instanceof Int16Array || a instanceof Uint16Array ||
    a instanceof Int8Array || a instanceof Uint8Array
  );
}

/** Validates integer indices in [0, bound): Int32Array (or other integer typed arrays) or number[]. */
export function indexArg(op: string, name: string, idx: unknown, bound: number, what: string): Int32Array {
  if (!isIntegerArray(idx) && !Array.isArray(idx)) expected(op, 'an Int32Array or an array of integers', name, idx);
  const src = idx as ArrayLike<unknown>;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(op, `${name}[${i}] = ${describe(v)} is not an integer`);
    if (v < 0 || v >= bound) fail(op, `${name}[${i}] = ${v} is out of range for ${bound} ${what}`);
    out[i] = v;
  }
  return out;
}
