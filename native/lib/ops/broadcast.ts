// NumPy-style broadcasting for the dense ops, and the plumbing shared by them:
// operand checks, index maps from an output to a broadcast input, and the
// reduction of a gradient back to an input's shape (the VJP of broadcasting),
// on the CPU and on the device (where strides do what the index maps do:
// bind_d_dense.cc, dense_bodies.h).
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import type { DeviceArray } from '../device.js';
import { allocate, type Device, type DType } from '../dtype.js';
import { describe, expected, fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { sameKind, tensorArg } from './check.js';
import { deviceEmpty } from './transfer.js';

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

/**
 * How an input of shape `inShape` is read at each position of a broadcast
 * output of shape `outShape`: 'same' (position i reads entry i), 'scalar'
 * (always entry 0), or a map giving the input entry for each output position.
 */
export type IndexMap = 'same' | 'scalar' | Int32Array;

export function indexMap(inShape: readonly number[], outShape: readonly number[]): IndexMap {
  const inSize = sizeOf(inShape);
  const outSize = sizeOf(outShape);
  if (inSize === outSize) return 'same'; // broadcasting only adds size-1 axes here
  if (inSize === 1) return 'scalar';
  const nd = outShape.length;
  // The input's strides aligned to the output's axes, 0 on broadcast axes.
  const strides = new Array<number>(nd).fill(0);
  let stride = 1;
  for (let d = nd - 1; d >= 0; d--) {
    const k = d - (nd - inShape.length);
    const dim = k >= 0 ? inShape[k]! : 1;
    strides[d] = dim === 1 ? 0 : stride;
    stride *= dim;
  }
  const map = new Int32Array(outSize);
  if (outSize === 0) return map;
  const last = outShape[nd - 1]!;
  const ls = strides[nd - 1]!;
  const counter = new Array<number>(nd).fill(0);
  let base = 0;
  for (let pos = 0; pos < outSize; pos += last) {
    for (let j = 0; j < last; j++) map[pos + j] = base + j * ls;
    // Advance the multi-index over the leading axes.
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]!++;
      base += strides[d]!;
      if (counter[d]! < outShape[d]!) break;
      base -= strides[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return map;
}

/** Reads input entries at every output position: out[i] = data[map(i)]. */
export function expandTo(data: FloatArray, map: IndexMap, outSize: number, dtype: DType): FloatArray {
  if (map === 'same') return data.slice(0, outSize);
  const out = allocate(dtype, outSize);
  if (map === 'scalar') {
    if (outSize > 0) out.fill(data[0]!);
    return out;
  }
  for (let i = 0; i < outSize; i++) out[i] = data[map[i]!]!;
  return out;
}

/**
 * The VJP of broadcasting: sums g (the output's gradient) over the broadcast
 * axes back to `shape`. Sums accumulate in float64 for either dtype.
 */
export function reduceTo(g: FloatArray, map: IndexMap, shape: readonly number[], dtype: DType): Tensor {
  const n = sizeOf(shape);
  if (map === 'same') return new Tensor(g.length === n ? g : g.slice(0, n), shape);
  const out = allocate(dtype, n);
  if (map === 'scalar') {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i]!;
    if (n > 0) out[0] = s;
    return new Tensor(out, shape);
  }
  if (dtype === 'float64') {
    for (let i = 0; i < g.length; i++) out[map[i]!] += g[i]!;
  } else {
    const acc = new Float64Array(n);
    for (let i = 0; i < g.length; i++) acc[map[i]!] += g[i]!;
    out.set(acc);
  }
  return new Tensor(out, shape);
}

/** A dense CPU tensor argument. */
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

/**
 * Two operands of a binary op on the CPU, already checked by operandsDevice.
 * Returns both as Tensors and the number-ness of each (numbers get no gradient).
 */
export function binaryOperands(op: string, a: unknown, b: unknown): { x: Tensor; y: Tensor; xConst: boolean; yConst: boolean } {
  const aNum = typeof a === 'number';
  const bNum = typeof b === 'number';
  const x = aNum ? scalarTensor(a, (b as Tensor).dtype) : denseArg(op, 'a', a);
  const y = bNum ? scalarTensor(b, (a as Tensor).dtype) : denseArg(op, 'b', b);
  return { x, y, xConst: aNum, yConst: bNum };
}

// ---------------------------------------------------------------------------
// On the device: the output and the gradients are fresh device tensors.

/** A device operand as the bindings take it: an array, or a number (a constant). */
export type DeviceOperand = DeviceArray | number;
type DBinary = (op: string, shape: readonly number[], a: DeviceOperand, aShape: readonly number[], b: DeviceOperand, bShape: readonly number[], out: DeviceArray) => void;
type DSumTo = (x: DeviceArray, xShape: readonly number[], toShape: readonly number[], scale: number, out: DeviceArray) => void;

/** The device argument of an operand: its array, or the number itself. */
export function deviceOperand(x: Tensor | number): DeviceOperand {
  return typeof x === 'number' ? x : x.buffer;
}

/** a ∘ b on the device, broadcast to `shape` (op: add, sub, mul, div, pow, maximum, minimum). */
export function deviceBinary(op: string, a: Tensor | number, b: Tensor | number, shape: readonly number[], dtype: DType): Tensor {
  const out = deviceEmpty(dtype, shape);
  const aShape = typeof a === 'number' ? [] : a.shape;
  const bShape = typeof b === 'number' ? [] : b.shape;
  kernel<DBinary>('dBinary')(op, shape, deviceOperand(a), aShape, deviceOperand(b), bShape, out.buffer);
  return out;
}

/** `shape` right-aligned to ndim axes, 1 where absent. */
function alignedTo(shape: readonly number[], ndim: number): number[] {
  return [...new Array<number>(ndim - shape.length).fill(1), ...shape];
}

/**
 * The VJP of broadcasting on the device: scale · g (the gradient of an output
 * that `shape` was broadcast to) summed over the broadcast axes, in double, in
 * the CPU's order; g itself (a view) when nothing was broadcast and scale is 1.
 */
export function reduceToDevice(g: Tensor, shape: readonly number[], scale = 1): Tensor {
  if (sizeOf(shape) === g.size && scale === 1) return g.view(shape);
  const out = deviceEmpty(g.dtype, shape);
  kernel<DSumTo>('dSumTo')(g.buffer, g.shape, alignedTo(shape, g.ndim), scale, out.buffer);
  return out;
}

/**
 * scale · x summed over the axes where `keepShape` (x's shape with 1 on the
 * summed axes) has 1, on the device; the result has keepShape's entries.
 */
export function sumAxesDevice(x: Tensor, keepShape: readonly number[], outShape: readonly number[], scale: number): Tensor {
  const out = deviceEmpty(x.dtype, outShape);
  kernel<DSumTo>('dSumTo')(x.buffer, x.shape, keepShape, scale, out.buffer);
  return out;
}

/** scale · x (of shape `from`) read at every position of `shape` on the device: the VJP of a sum. */
export function expandDevice(x: Tensor, from: readonly number[], shape: readonly number[], scale: number): Tensor {
  const out = deviceEmpty(x.dtype, shape);
  kernel<DBinary>('dBinary')('mul', shape, x.buffer, from, scale, [], out.buffer);
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
