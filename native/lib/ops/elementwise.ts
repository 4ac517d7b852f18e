// Elementwise binary ops with NumPy-style broadcasting: add, sub, mul, div, pow,
// maximum, minimum; and neg, where, clamp. Numbers stand for constants of the
// other operand's dtype. One path for either device: the forward and the VJP
// are native kernels (bind_dense_ops.cc) over the per-position formulas of
// body::apply_binary / body::binary_grad (dense_bodies.h), each gradient summed
// over the axes its operand was broadcast along.
import { type FloatArray, kernel } from '../addon.js';
import { record } from '../autograd.js';
import { describe, expected, fail } from '../errors.js';
import { Tensor } from '../tensor.js';
import { binaryKernel, broadcastShapes, kernelOperand, type KernelOperand, type Operand, operandsDevice, reduceTo, sizeOf } from './broadcast.js';
import { int32Indexable, partialSelectionMatrix } from './select.js';
import { reshape } from './reshape.js';
import { spdmm } from './spdmm.js';
import { empty, fullOn, type Storage, storage } from './transfer.js';
import type { Device } from '../dtype.js';
import { unaryOp } from './unary.js';
import { assertTensor } from './check.js';
import { whereMaps } from '../index_maps.js';

type BinaryBackward = (
  op: string, shape: readonly number[], a: KernelOperand, aShape: readonly number[], b: KernelOperand, bShape: readonly number[],
  y: Storage | null, g: Storage, da: Storage | null, db: Storage | null,
) => void;

/**
 * A binary op (checked by operandsDevice): the forward and the VJP as kernels
 * on the operands' device, each gradient summed over its broadcast axes. The
 * per-position VJPs are written above each op below (body::binary_grad).
 */
function binary(op: string, a: Operand, b: Operand): Tensor {
  operandsDevice(op, a, b);
  const x = a instanceof Tensor ? a : null;
  const y = b instanceof Tensor ? b : null;
  const aShape = x?.shape ?? [];
  const bShape = y?.shape ?? [];
  const shape = broadcastShapes(op, [aShape, bShape], ['a', 'b']);
  const out = binaryKernel(op, a, b, shape, (x ?? y)!.dtype);
  return record(op, out, [x, y], (g, needs) => {
    if (op === 'add' || op === 'sub') {
      // da = g, db = ±g, summed to each operand's shape
      return [needs[0] ? reduceTo(g, aShape) : null, needs[1] ? reduceTo(g, bShape, op === 'sub' ? -1 : 1) : null];
    }
    const da = needs[0] ? empty(x!.dtype, aShape, x!.device) : null;
    const db = needs[1] ? empty(y!.dtype, bShape, y!.device) : null;
    kernel<BinaryBackward>('binaryBackward')(
      op, shape, kernelOperand(a), aShape, kernelOperand(b), bShape,
      op === 'pow' && db ? storage(out) : null, storage(g), da ? storage(da) : null, db ? storage(db) : null,
    );
    return [da, db];
  });
}

/** a + b (broadcasting; either may be a number). */
export function add(a: Operand, b: Operand): Tensor {
  // da = g, db = g (each summed over its broadcast axes)
  return binary('add', a, b);
}

/** a − b (broadcasting; either may be a number). */
export function sub(a: Operand, b: Operand): Tensor {
  // da = g, db = −g
  return binary('sub', a, b);
}

/** a ⊙ b (broadcasting; either may be a number). */
export function mul(a: Operand, b: Operand): Tensor {
  // da = g ⊙ b, db = g ⊙ a
  return binary('mul', a, b);
}

/** a / b (broadcasting; either may be a number). */
export function div(a: Operand, b: Operand): Tensor {
  // da = g / b, db = −g a / b²
  return binary('div', a, b);
}

/**
 * a ** b (broadcasting; usually b is a number), with JavaScript's Math.pow
 * where it differs from C's pow. As PyTorch: with a constant exponent 0 the
 * gradient is 0 everywhere; the gradient w.r.t. a tensor exponent is
 * g·aᵇ·log a, taken as 0 where a = 0 and b ≥ 0.
 */
export function pow(a: Operand, b: Operand): Tensor {
  // da = g b a^(b−1), db = g a^b log a
  return binary('pow', a, b);
}

/** The elementwise larger of a and b (NaN if either is); at ties the gradient is split evenly (as PyTorch). */
export function maximum(a: Operand, b: Operand): Tensor {
  // da = g [a > b] + g/2 [a = b], db = g [b > a] + g/2 [a = b]
  return binary('maximum', a, b);
}

/** The elementwise smaller of a and b (NaN if either is); at ties the gradient is split evenly (as PyTorch). */
export function minimum(a: Operand, b: Operand): Tensor {
  // da = g [a < b] + g/2 [a = b], db = g [b < a] + g/2 [a = b]
  return binary('minimum', a, b);
}

/** −x. */
export function neg(x: Tensor): Tensor {
  // dx = −g
  return unaryOp('neg', x);
}

type ClampKernel = (lo: number, hi: number, x: Storage, out: Storage) => void;
type ClampBackward = (lo: number, hi: number, x: Storage, g: Storage, dx: Storage) => void;

/**
 * Clamps x to [min, max] (either bound may be omitted). The gradient is g where
 * min ≤ x ≤ max and 0 outside (and at NaN entries), as PyTorch's clamp.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const op = 'clamp';
  assertTensor(op, 'x', x);
  if (min !== undefined && min !== null && typeof min !== 'number') expected(op, 'a number or undefined', 'min', min);
  if (max !== undefined && max !== null && typeof max !== 'number') expected(op, 'a number or undefined', 'max', max);
  const lo = typeof min === 'number' ? min : -Infinity;
  const hi = typeof max === 'number' ? max : Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) fail(op, `bounds must not be NaN (min ${String(min)}, max ${String(max)})`);
  const out = empty(x.dtype, x.shape, x.device);
  kernel<ClampKernel>('clamp')(lo, hi, storage(x), storage(out));
  return record(op, out, [x], (g) => {
    // dx = g [min ≤ x ≤ max]
    const dx = empty(x.dtype, x.shape, x.device);
    kernel<ClampBackward>('clampBackward')(lo, hi, storage(x), storage(g), storage(dx));
    return [dx];
  });
}

/**
 * cond as where's maps read it, and the shape it broadcasts by (see where): a
 * Tensor's own values (nonzero = true; a device cond downloaded once, as the maps
 * are made on the host), or an array's entries as 0/1 bytes.
 */
function condArg(op: string, cond: unknown, aShape: readonly number[], bShape: readonly number[]): { c: Uint8Array | FloatArray; cShape: readonly number[] } {
  if (cond instanceof Tensor) return { c: cond.device === 'cuda' ? cond.toArray() : cond.data, cShape: cond.shape };
  if (cond instanceof Uint8Array || Array.isArray(cond)) {
    let c: Uint8Array;
    if (cond instanceof Uint8Array) {
      c = cond.slice(); // nonzero = true, as the maps read it
    } else {
      // A user's JavaScript array: each entry checked, once per call.
      const src = cond as ArrayLike<unknown>;
      c = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (typeof v !== 'boolean' && typeof v !== 'number') fail(op, `cond[${i}] is ${describe(v)}; expected booleans`);
        c[i] = v ? 1 : 0;
      }
    }
    const abShape = broadcastShapes(op, [aShape, bShape], ['a', 'b']);
    return { c, cShape: c.length === sizeOf(abShape) ? abShape : [c.length] };
  }
  expected(op, 'a Tensor, boolean[] or Uint8Array', 'cond', cond);
}

/**
 * where(cond, a, b): a where cond holds, b elsewhere, broadcasting cond, a and b
 * together. cond is a Tensor (nonzero = true, broadcast by its shape; on the
 * operands' device), or a boolean[] / Uint8Array: with as many entries as the
 * result, read in the result's order; otherwise as a 1-D mask broadcast along
 * the last axis. The entry not picked is never read: a NaN there does not leak.
 */
export function where(cond: Tensor | readonly boolean[] | Uint8Array, a: Operand, b: Operand): Tensor {
  const op = 'where';
  const device = operandsDevice(op, a, b);
  if (cond instanceof Tensor && cond.device !== device) {
    fail(op, `mixed devices: cond is on ${cond.device} but ${a instanceof Tensor ? 'a' : 'b'} is on ${device}`);
  }
  const aShape = a instanceof Tensor ? a.shape : [];
  const bShape = b instanceof Tensor ? b.shape : [];
  const { c, cShape } = condArg(op, cond, aShape, bShape);
  const shape = broadcastShapes(op, [cShape, aShape, bShape], ['cond', 'a', 'b']);
  return whereSelect(device, cond, c, cShape, a, b, shape);
}

// where's index maps are made on the host by a native kernel (index_maps.ts), once per cond
// array (cached for host cond arrays).

/** where's index maps for one host cond array, reused while its contents and the shapes stay the same. */
interface WhereMaps {
  shapes: string;
  c: Uint8Array;
  pickA: Int32Array;
  pickB: Int32Array;
}
const whereCache = new WeakMap<object, WhereMaps>();

/**
 * where on either device: out = Sₐ a + S_b b with 0/1 selections (select.ts) that
 * pick a's entry where cond holds and b's elsewhere, each leaving the other
 * positions as empty rows (exact zeros that read nothing), so a NaN or Inf in
 * the branch not taken does not leak. The VJPs Sₐᵀ g and S_bᵀ g are
 * g [cond] and g [¬cond] summed over each operand's broadcast axes. A −0
 * entry comes out as +0 (each sum starts at 0).
 * The maps of a host cond array are cached on the array; those of a device
 * cond (made anew each step, as a rule) are built per call and freed with the
 * open scope.
 */
function whereSelect(device: Device, cond: unknown, c: Uint8Array | FloatArray, cShape: readonly number[], a: Operand, b: Operand, shape: readonly number[]): Tensor {
  const dtype = (a instanceof Tensor ? a : (b as Tensor)).dtype;
  const aT = a instanceof Tensor ? a : fullOn(device, dtype, [1], a); // a number operand as a [1] tensor
  const bT = b instanceof Tensor ? b : fullOn(device, dtype, [1], b);
  let maps: { pickA: Int32Array; pickB: Int32Array };
  const owner = cond instanceof Tensor ? 'scope' : 'cache';
  int32Indexable('where', 'the size of the result', sizeOf(shape));
  if (owner === 'scope') {
    maps = whereMaps(c, cShape, aT.shape, bT.shape, shape);
  } else {
    const shapes = [cShape, aT.shape, bT.shape, shape].map((s) => s.join(',')).join('|');
    let hit = whereCache.get(cond as object);
    // A host cond array is 0/1 bytes (condArg); Buffer.compare checks its contents natively.
    const bytes = c as Uint8Array;
    if (!hit || hit.shapes !== shapes || Buffer.compare(hit.c, bytes) !== 0) {
      hit = { shapes, c: bytes, ...whereMaps(bytes, cShape, aT.shape, bT.shape, shape) };
      whereCache.set(cond as object, hit);
    }
    maps = hit;
  }
  const pick = (map: Int32Array, x: Tensor): Tensor =>
    spdmm(partialSelectionMatrix(map, x.size, dtype, device, owner), reshape(x, [x.size, 1]));
  const ya = pick(maps.pickA, aT);
  const yb = pick(maps.pickB, bT);
  const out = add(ya, yb);
  // Neither add's VJP nor spdmm's reads these outputs.
  ya.dispose();
  yb.dispose();
  return reshape(out, shape);
}
