// Elementwise binary ops with NumPy-style broadcasting: add, sub, mul, div, pow,
// maximum, minimum; and neg, where, clamp. Numbers stand for constants of the
// other operand's dtype. The VJP of each input is summed over the axes it was
// broadcast along (reduceTo). All also run on 'cuda' tensors: the arithmetic
// in binaryDevice below (the same formulas in dense_bodies.h), where as two
// selections (whereDevice).
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { DeviceArray } from '../device.js';
import { allocate, uninit } from '../dtype.js';
import { describe, expected, fail } from '../errors.js';
import { Tensor } from '../tensor.js';
import {
  binaryOperands, broadcastShapes, denseArg, deviceBinary, type DeviceOperand, deviceOperand, type IndexMap, indexMap,
  type Operand, operandsDevice, reduceTo, reduceToDevice, sizeOf,
} from './broadcast.js';
import { int32Indexable, partialSelectionMatrix } from './select.js';
import { reshape } from './reshape.js';
import { spdmm } from './spdmm.js';
import { deviceEmpty, deviceFull } from './transfer.js';
import { unaryDevice } from './unary.js';
import { assertTensor, sameArray } from './check.js';

type Fn2 = (x: number, y: number) => number;
/** The gradient at one position from the output's gradient g, the operands x, y and the output o. */
type LocalVjp = (g: number, x: number, y: number, o: number) => number;

interface Binary {
  x: Tensor;
  y: Tensor;
  xConst: boolean;
  yConst: boolean;
  shape: number[];
  mx: IndexMap;
  my: IndexMap;
  out: Tensor;
}

/** A same-shape loop for one op (its own function literal, so V8 inlines the arithmetic). */
type SameLoop = (x: FloatArray, y: FloatArray, o: FloatArray, n: number) => void;
const SAME_LOOPS: Record<string, SameLoop> = {
  add: (x, y, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! + y[i]!; },
  sub: (x, y, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! - y[i]!; },
  mul: (x, y, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! * y[i]!; },
  div: (x, y, o, n) => { for (let i = 0; i < n; i++) o[i] = x[i]! / y[i]!; },
};

/** out[i] = f(x[mx(i)], y[my(i)]) over the broadcast shape. */
function forward(op: string, a: unknown, b: unknown, f: Fn2): Binary {
  const { x, y, xConst, yConst } = binaryOperands(op, a, b);
  const shape = broadcastShapes(op, [x.shape, y.shape], ['a', 'b']);
  const n = sizeOf(shape);
  const mx = indexMap(x.shape, shape);
  const my = indexMap(y.shape, shape);
  const o = uninit(x.dtype, n);
  const xd = x.data;
  const yd = y.data;
  const sameLoop = SAME_LOOPS[op];
  if (mx === 'same' && my === 'same' && sameLoop) {
    sameLoop(xd, yd, o, n);
  } else if (mx === 'same' && my === 'same') {
    for (let i = 0; i < n; i++) o[i] = f(xd[i]!, yd[i]!);
  } else if (mx === 'same' && my === 'scalar') {
    const s = yd[0]!;
    for (let i = 0; i < n; i++) o[i] = f(xd[i]!, s);
  } else if (mx === 'scalar' && my === 'same') {
    const s = xd[0]!;
    for (let i = 0; i < n; i++) o[i] = f(s, yd[i]!);
  } else {
    const ix = at(mx);
    const iy = at(my);
    for (let i = 0; i < n; i++) o[i] = f(xd[ix(i)]!, yd[iy(i)]!);
  }
  return { x, y, xConst, yConst, shape, mx, my, out: new Tensor(o, shape) };
}

function at(m: IndexMap): (i: number) => number {
  if (m === 'same') return (i) => i;
  if (m === 'scalar') return () => 0;
  return (i) => m[i]!;
}

/**
 * Records the VJP of a binary op: gx / gy give the per-position gradient of
 * each operand (null: g itself), then reduceTo sums it over broadcast axes.
 */
function recordBinary(op: string, r: Binary, gx: LocalVjp | null, gy: LocalVjp | null): Tensor {
  const { x, y, mx, my, out } = r;
  return record(op, out, [r.xConst ? null : x, r.yConst ? null : y], (g, needs) => {
    const n = out.size;
    const ix = at(mx);
    const iy = at(my);
    const local = (fn: LocalVjp): FloatArray => {
      const d = uninit(out.dtype, n);
      const gd = g.data;
      const xd = x.data;
      const yd = y.data;
      const od = out.data;
      for (let i = 0; i < n; i++) d[i] = fn(gd[i]!, xd[ix(i)]!, yd[iy(i)]!, od[i]!);
      return d;
    };
    const dx = needs[0] ? (gx === null ? reduceTo(g.data, mx, x.shape, x.dtype) : reduceTo(local(gx), mx, x.shape, x.dtype)) : null;
    const dy = needs[1] ? (gy === null ? reduceTo(g.data, my, y.shape, y.dtype) : reduceTo(local(gy), my, y.shape, y.dtype)) : null;
    return [dx, dy];
  });
}

type DBinaryBackward = (
  op: string, shape: readonly number[], a: DeviceOperand, aShape: readonly number[], b: DeviceOperand, bShape: readonly number[],
  y: DeviceArray | null, g: DeviceArray, da: DeviceArray | null, db: DeviceArray | null,
) => void;

/**
 * A binary op on 'cuda' operands (checked by operandsDevice): the forward and
 * the VJP on the device, each gradient summed over its broadcast axes there.
 * The per-position VJPs are those of the CPU ops below (body::binary_grad).
 */
function binaryDevice(op: string, a: Operand, b: Operand): Tensor {
  const x = a instanceof Tensor ? a : null;
  const y = b instanceof Tensor ? b : null;
  const aShape = x?.shape ?? [];
  const bShape = y?.shape ?? [];
  const shape = broadcastShapes(op, [aShape, bShape], ['a', 'b']);
  const out = deviceBinary(op, a, b, shape, (x ?? y)!.dtype);
  return record(op, out, [x, y], (g, needs) => {
    if (op === 'add' || op === 'sub') {
      // da = g, db = ±g, summed to each operand's shape
      return [needs[0] ? reduceToDevice(g, aShape) : null, needs[1] ? reduceToDevice(g, bShape, op === 'sub' ? -1 : 1) : null];
    }
    const da = needs[0] ? deviceEmpty(x!.dtype, aShape) : null;
    const db = needs[1] ? deviceEmpty(y!.dtype, bShape) : null;
    kernel<DBinaryBackward>('dBinaryBackward')(
      op, shape, deviceOperand(a), aShape, deviceOperand(b), bShape,
      op === 'pow' && db ? out.buffer : null, g.buffer, da?.buffer ?? null, db?.buffer ?? null,
    );
    return [da, db];
  });
}

/** A binary op: on the device for 'cuda' operands, else forward(f) and the per-position VJPs gx, gy. */
function binary(op: string, a: Operand, b: Operand, f: Fn2, gx: LocalVjp | null, gy: LocalVjp | null): Tensor {
  if (operandsDevice(op, a, b) === 'cuda') return binaryDevice(op, a, b);
  return recordBinary(op, forward(op, a, b, f), gx, gy);
}

/** a + b (broadcasting; either may be a number). */
export function add(a: Operand, b: Operand): Tensor {
  // da = g, db = g (each summed over its broadcast axes)
  return binary('add', a, b, (x, y) => x + y, null, null);
}

/** a − b (broadcasting; either may be a number). */
export function sub(a: Operand, b: Operand): Tensor {
  // da = g, db = −g
  return binary('sub', a, b, (x, y) => x - y, null, (g) => -g);
}

/** a ⊙ b (broadcasting; either may be a number). */
export function mul(a: Operand, b: Operand): Tensor {
  // da = g ⊙ b, db = g ⊙ a
  return binary('mul', a, b, (x, y) => x * y, (g, _x, y) => g * y, (g, x) => g * x);
}

/** a / b (broadcasting; either may be a number). */
export function div(a: Operand, b: Operand): Tensor {
  // da = g / b, db = −g a / b²
  return binary('div', a, b, (x, y) => x / y, (g, _x, y) => g / y, (g, x, y) => (-g * x) / (y * y));
}

/**
 * a ** b (broadcasting; usually b is a number). As PyTorch: with a constant
 * exponent 0 the gradient is 0 everywhere; the gradient w.r.t. a tensor
 * exponent is g·aᵇ·log a, taken as 0 where a = 0 and b ≥ 0.
 */
export function pow(a: Operand, b: Operand): Tensor {
  return binary(
    'pow',
    a,
    b,
    (x, y) => Math.pow(x, y),
    // da = g b a^(b−1)
    (g, x, y) => (y === 0 ? 0 : g * y * Math.pow(x, y - 1)),
    // db = g a^b log a
    (g, x, y, o) => (x === 0 && y >= 0 ? 0 : g * o * Math.log(x)),
  );
}

/** The elementwise larger of a and b; at ties the gradient is split evenly (as PyTorch). */
export function maximum(a: Operand, b: Operand): Tensor {
  // da = g [a > b] + g/2 [a = b], db = g [b > a] + g/2 [a = b]
  return binary(
    'maximum', a, b, (x, y) => (x !== x || y !== y ? NaN : x > y ? x : y),
    (g, x, y) => (x > y ? g : x === y ? g / 2 : 0), (g, x, y) => (y > x ? g : x === y ? g / 2 : 0),
  );
}

/** The elementwise smaller of a and b; at ties the gradient is split evenly (as PyTorch). */
export function minimum(a: Operand, b: Operand): Tensor {
  // da = g [a < b] + g/2 [a = b], db = g [b < a] + g/2 [a = b]
  return binary(
    'minimum', a, b, (x, y) => (x !== x || y !== y ? NaN : x < y ? x : y),
    (g, x, y) => (x < y ? g : x === y ? g / 2 : 0), (g, x, y) => (y < x ? g : x === y ? g / 2 : 0),
  );
}

/** −x. */
export function neg(x: Tensor): Tensor {
  if (x instanceof Tensor && x.device === 'cuda') return unaryDevice('neg', x);
  denseArg('neg', 'x', x);
  const o = allocate(x.dtype, x.size);
  const xd = x.data;
  for (let i = 0; i < o.length; i++) o[i] = -xd[i]!;
  // dx = −g
  return record('neg', new Tensor(o, x.shape), [x], (g) => {
    const d = allocate(g.dtype, g.size);
    for (let i = 0; i < d.length; i++) d[i] = -g.data[i]!;
    return [new Tensor(d, x.shape)];
  });
}

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
  if (x.device === 'cuda') return clampDevice(x, lo, hi);
  const xd = x.data;
  const o = allocate(x.dtype, x.size);
  for (let i = 0; i < o.length; i++) {
    const v = xd[i]!;
    o[i] = v < lo ? lo : v > hi ? hi : v;
  }
  // dx = g [min ≤ x ≤ max]
  return record(op, new Tensor(o, x.shape), [x], (g) => {
    const d = allocate(g.dtype, g.size);
    for (let i = 0; i < d.length; i++) {
      const v = xd[i]!;
      d[i] = v >= lo && v <= hi ? g.data[i]! : 0;
    }
    return [new Tensor(d, x.shape)];
  });
}

type DClamp = (lo: number, hi: number, x: DeviceArray, out: DeviceArray) => void;
type DClampBackward = (lo: number, hi: number, x: DeviceArray, g: DeviceArray, dx: DeviceArray) => void;

function clampDevice(x: Tensor, lo: number, hi: number): Tensor {
  const out = deviceEmpty(x.dtype, x.shape);
  kernel<DClamp>('dClamp')(lo, hi, x.buffer, out.buffer);
  return record('clamp', out, [x], (g) => {
    // dx = g [min ≤ x ≤ max]
    const dx = deviceEmpty(x.dtype, x.shape);
    kernel<DClampBackward>('dClampBackward')(lo, hi, x.buffer, g.buffer, dx.buffer);
    return [dx];
  });
}

/** cond as 0/1 per entry and the shape it broadcasts by (see where). */
function condArg(op: string, cond: unknown, aShape: readonly number[], bShape: readonly number[]): { c: Uint8Array; cShape: readonly number[] } {
  if (cond instanceof Tensor) {
    // A device cond is downloaded once: where's index maps are made on the host.
    const d = cond.device === 'cuda' ? cond.toArray() : cond.data;
    const c = new Uint8Array(cond.size);
    for (let i = 0; i < c.length; i++) c[i] = d[i] !== 0 ? 1 : 0;
    return { c, cShape: cond.shape };
  }
  if (cond instanceof Uint8Array || Array.isArray(cond)) {
    const src = cond as ArrayLike<unknown>;
    const c = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== 'boolean' && typeof v !== 'number') fail(op, `cond[${i}] is ${describe(v)}; expected booleans`);
      c[i] = v ? 1 : 0;
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
  if (device === 'cuda') return whereDevice(cond, c, cShape, a, b, shape);
  const { x, y, xConst, yConst } = binaryOperands(op, a, b);
  const n = sizeOf(shape);
  const ic = at(indexMap(cShape, shape));
  const mx = indexMap(x.shape, shape);
  const my = indexMap(y.shape, shape);
  const ix = at(mx);
  const iy = at(my);
  const mask = new Uint8Array(n);
  const o = allocate(x.dtype, n);
  for (let i = 0; i < n; i++) {
    const t = c[ic(i)]!;
    mask[i] = t;
    o[i] = t ? x.data[ix(i)]! : y.data[iy(i)]!;
  }
  const out = new Tensor(o, shape);
  return record(op, out, [xConst ? null : x, yConst ? null : y], (g, needs) => {
    const pick = (want: number): FloatArray => {
      const d = allocate(g.dtype, n);
      for (let i = 0; i < n; i++) d[i] = mask[i] === want ? g.data[i]! : 0;
      return d;
    };
    // da = g [cond], db = g [¬cond] (each summed over its broadcast axes)
    return [needs[0] ? reduceTo(pick(1), mx, x.shape, x.dtype) : null, needs[1] ? reduceTo(pick(0), my, y.shape, y.dtype) : null];
  });
}

/** where's index maps for one host cond array, reused while its contents and the shapes stay the same. */
interface WhereMaps {
  shapes: string;
  c: Uint8Array;
  pickA: Int32Array;
  pickB: Int32Array;
}
const whereCache = new WeakMap<object, WhereMaps>();

/**
 * Output position i reads a[pickA[i]] where cond holds (−1 elsewhere) and
 * b[pickB[i]] where it does not (−1 elsewhere), broadcasting as on the CPU.
 */
function whereMaps(
  c: Uint8Array, cShape: readonly number[], aShape: readonly number[], bShape: readonly number[], shape: readonly number[],
): { pickA: Int32Array; pickB: Int32Array } {
  const n = sizeOf(shape);
  int32Indexable('where', 'the size of the result', n);
  const ic = at(indexMap(cShape, shape));
  const ia = at(indexMap(aShape, shape));
  const ib = at(indexMap(bShape, shape));
  const pickA = new Int32Array(n);
  const pickB = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = c[ic(i)]!;
    pickA[i] = t ? ia(i) : -1;
    pickB[i] = t ? -1 : ib(i);
  }
  return { pickA, pickB };
}

/**
 * where on the device: out = Sₐ a + S_b b with 0/1 selections (select.ts) that
 * pick a's entry where cond holds and b's elsewhere, each leaving the other
 * positions as empty rows (exact zeros that read nothing), so a NaN or Inf in
 * the branch not taken does not leak. The VJPs Sₐᵀ g and S_bᵀ g are
 * g [cond] and g [¬cond] summed over each operand's broadcast axes. A −0
 * entry comes out as +0 (each sum starts at 0).
 * The maps of a host cond array are cached on the array; those of a device
 * cond (made anew each step, as a rule) are built per call and freed with the
 * open scope.
 */
function whereDevice(cond: unknown, c: Uint8Array, cShape: readonly number[], a: Operand, b: Operand, shape: readonly number[]): Tensor {
  const dtype = (a instanceof Tensor ? a : (b as Tensor)).dtype;
  const aT = a instanceof Tensor ? a : deviceFull(dtype, [1], a); // a number operand as a [1] tensor
  const bT = b instanceof Tensor ? b : deviceFull(dtype, [1], b);
  let maps: { pickA: Int32Array; pickB: Int32Array };
  const owner = cond instanceof Tensor ? 'scope' : 'cache';
  if (owner === 'scope') {
    maps = whereMaps(c, cShape, aT.shape, bT.shape, shape);
  } else {
    const shapes = [cShape, aT.shape, bT.shape, shape].map((s) => s.join(',')).join('|');
    let hit = whereCache.get(cond as object);
    if (!hit || hit.shapes !== shapes || !sameArray(hit.c, c)) {
      hit = { shapes, c, ...whereMaps(c, cShape, aT.shape, bT.shape, shape) };
      whereCache.set(cond as object, hit);
    }
    maps = hit;
  }
  const pick = (map: Int32Array, x: Tensor): Tensor =>
    spdmm(partialSelectionMatrix(map, x.size, dtype, 'cuda', owner), reshape(x, [x.size, 1]));
  const ya = pick(maps.pickA, aT);
  const yb = pick(maps.pickB, bT);
  const out = add(ya, yb);
  // Neither add's VJP nor spdmm's reads these outputs.
  ya.dispose();
  yb.dispose();
  return reshape(out, shape);
}
