// Dense tensors: contiguous row-major storage of float64 (default) or float32.
import type { FloatArray } from './addon.js';
import { allocate, type Device, type DType, dtypeOfArray, isDType } from './dtype.js';
import { describe, expected, fail, shapeStr } from './errors.js';
import { type Generator, resolveGenerator } from './random.js';
import { iota } from './index_maps.js';
import { copyDevice, type DeviceArray, DeviceStorage, download, trackTensor } from './device.js';
import { escapeHost, pooledArray, releaseHost, retainHost } from './pool.js';

export type { DType, Device } from './dtype.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Shape for flat input data; inferred from nested arrays otherwise. */
  shape?: readonly number[];
}

export type NestedArray = number | readonly NestedArray[];

/** One gradient slot per input of a tape node (null where none is needed or it is zero). */
export type Grads = readonly (Tensor | null | undefined)[];

/**
 * A node of the tape (autograd.record makes them): the op's name, its inputs
 * and its VJP. Declared here, beside the Tensor that holds it, because the two
 * types refer to each other; autograd.ts, which walks the tape, imports both.
 */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Returns one gradient per input (null where none is needed or it is zero). */
  backward(grad: Tensor, needs: readonly boolean[]): Grads;
}

let hostDataOf: (t: Tensor) => FloatArray;

/**
 * @internal A CPU tensor's array for a kernel call or a copy, which the caller
 * does not keep past the tensor's life. Unlike .data it leaves the buffer free
 * to go back to the pool without being detached (pool.ts).
 */
export function hostData(t: Tensor): FloatArray {
  return hostDataOf(t);
}

// The ops' methods (x.add, x.sum, x.to, …) and backward() are installed by
// methods.ts, above autograd and the ops: this module imports none of them.
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device;
  #data: FloatArray | null;
  #storage: DeviceStorage | null;
  #size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** @internal Set by autograd.record(); null for leaves. */
  gradFn: GradFn | null = null;

  /**
   * @internal Use tensor(), zeros(), … — this constructor does not copy or check.
   * A DeviceStorage makes a 'cuda' tensor (taking one reference: pass
   * storage.retain() to share it).
   */
  constructor(data: FloatArray | DeviceStorage, shape: readonly number[]) {
    // Ops pass another tensor's shape (frozen already) as often as a fresh array:
    // the frozen one is shared rather than copied and frozen again.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    if (data instanceof DeviceStorage) {
      this.#data = null;
      this.#storage = data;
      this.device = 'cuda';
      this.dtype = data.array.type as DType;
      this.#size = data.array.length;
    } else {
      this.#data = data;
      this.#storage = null;
      this.device = 'cpu';
      this.dtype = dtypeOfArray(data);
      this.#size = data.length;
      retainHost(data);
    }
    trackTensor(this);
  }

  /**
   * The storage (row-major, contiguous) of a CPU tensor. Shared with views made
   * by detach() and reshape(); writing to it behind autograd's back gives wrong
   * gradients. A 'cuda' tensor has none here: read it with toArray() or .to('cpu').
   */
  get data(): FloatArray {
    const d = this.#data;
    if (d === null) this.#noHostData();
    if (!this.#escaped) {
      // The array may now outlive this tensor in the caller's hands: when its
      // pooled buffer goes back to the pool it is detached, not handed on (pool.ts).
      this.#escaped = true;
      escapeHost(d!);
    }
    return d!;
  }

  #escaped = false;

  static {
    hostDataOf = (t) => {
      const d = t.#data;
      if (d === null) t.#noHostData();
      return d!;
    };
  }

  #noHostData(): never {
    if (this.isDisposed) fail('Tensor', `this ${shapeStr(this.shape)} tensor was disposed`);
    fail('Tensor.data', `the tensor is on ${this.device}; read it with toArray() / item(), or move it with .to('cpu')`);
  }

  /** @internal The device array of a 'cuda' tensor (throws for CPU or disposed tensors). */
  get buffer(): DeviceArray {
    return this.#liveStorage().array;
  }

  #liveStorage(): DeviceStorage {
    if (this.#disposedFlag) fail('Tensor', `this ${shapeStr(this.shape)} tensor was disposed`);
    if (this.#storage === null) fail('Tensor.buffer', 'the tensor is on cpu');
    return this.#storage;
  }

  #disposedFlag = false;

  /** Whether dispose() was called on this tensor (views sharing its storage have their own). */
  get isDisposed(): boolean {
    return this.#disposedFlag;
  }

  /**
   * Frees this tensor's memory now (device memory, once no other view shares
   * it) instead of when it is garbage-collected. Using it afterwards throws.
   * Calling it twice is harmless.
   */
  dispose(): void {
    if (this.#disposedFlag) return;
    this.#disposedFlag = true;
    if (this.#data !== null) releaseHost(this.#data); // the last tensor over a pooled buffer gives it back (pool.ts)
    this.#data = null;
    this.#storage?.release();
  }

  get size(): number {
    return this.#size;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Whether this tensor was produced by an op (false for leaves). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** A copy of the storage as a flat typed array (downloaded from the device for 'cuda'). */
  toArray(): FloatArray {
    if (this.device !== 'cpu') return download(this.buffer) as FloatArray;
    return hostDataOf(this).slice();
  }

  /** Nested plain arrays (a number for a 0-D tensor). */
  toList(): NestedArray {
    const data = this.device === 'cpu' ? this.data : this.toArray();
    if (this.shape.length === 0) return data[0]!;
    const build = (dim: number, offset: number): NestedArray => {
      const n = this.shape[dim]!;
      if (dim === this.shape.length - 1) return Array.from(data.subarray(offset, offset + n)); // the last axis in one native copy
      let stride = 1;
      for (let d = dim + 1; d < this.shape.length; d++) stride *= this.shape[d]!;
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) fail('item', `expected a tensor with one element but it has shape ${shapeStr(this.shape)}`);
    return this.device === 'cpu' ? hostDataOf(this)[0]! : this.toArray()[0]!;
  }

  /** The same storage, cut from the tape (requiresGrad false). */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /** @internal A tensor sharing this one's storage under `shape` (same size), off the tape. */
  view(shape: readonly number[]): Tensor {
    if (this.device === 'cpu') return new Tensor(hostDataOf(this), shape);
    return new Tensor(this.#liveStorage().retain(), shape);
  }

  /** A copy of the storage, cut from the tape (on the CPU into memory a disposed tensor gave back, when there is some). */
  clone(): Tensor {
    if (this.device === 'cpu') {
      const data = hostDataOf(this);
      const copy = pooledArray(this.dtype, data.length);
      copy.set(data);
      return new Tensor(copy, this.shape);
    }
    return new Tensor(new DeviceStorage(copyDevice(this.buffer)), this.shape);
  }

  /** Sets requiresGrad on a leaf and returns this (for chaining). */
  requiresGrad_(flag = true): this {
    if (!flag && this.gradFn) fail('requiresGrad_', 'cannot turn off requiresGrad on a tensor produced by an op; use detach()');
    this.requiresGrad = flag;
    return this;
  }

  /** Clears the accumulated gradient (a device gradient's memory is freed now). */
  zeroGrad(): void {
    if (this.grad?.device === 'cuda') this.grad.dispose();
    this.grad = null;
  }

  toString(): string {
    if (this.isDisposed) return `Tensor(disposed, shape=${shapeStr(this.shape)}, dtype=${this.dtype}, device=${this.device})`;
    const dev = this.device === 'cpu' ? '' : `, device=${this.device}`;
    return `Tensor(${JSON.stringify(this.toList())}, dtype=${this.dtype}${dev}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

// ---------------------------------------------------------------------------
// Factories

function checkShape(op: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) expected(op, 'an array of dimensions', 'shape', shape);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) fail(op, `shape [${shape.join(', ')}] must hold non-negative integers`);
    size *= d;
  }
  return size;
}

function dtypeOpt(op: string, dtype: unknown, fallback: DType): DType {
  if (dtype === undefined) return fallback;
  if (!isDType(dtype)) expected(op, "'float64' or 'float32'", 'dtype', dtype);
  return dtype;
}

function finish(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  if (!Array.isArray(data) && typeof data !== 'number') expected(op, 'a number, an array or a typed array', 'data', data);
  return shape;
}

function flatten(op: string, data: NestedArray, shape: readonly number[], out: FloatArray): void {
  let k = 0;
  const walk = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') fail(op, `ragged or non-numeric nested array (found ${describe(v)} where a number belongs)`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      fail(op, `ragged nested array: expected length ${shape[dim]} at depth ${dim} but received ${describe(v)}`);
    }
    for (const item of v) walk(item, dim + 1);
  };
  walk(data, 0);
}

/**
 * A tensor from a number, nested arrays, or a (typed) flat array with
 * `shape`. Typed arrays are copied; a Float32Array gives float32 unless
 * `dtype` says otherwise.
 */
export function tensor(data: NestedArray | ArrayLike<number>, opts: TensorOptions = {}): Tensor {
  const op = 'tensor';
  if (opts === null || typeof opts !== 'object') expected(op, 'an options object', 'opts', opts);
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
      expected(op, 'a numeric typed array', 'data', data);
    }
    const arr = data as unknown as ArrayLike<number>;
    const dtype = dtypeOpt(op, opts.dtype, data instanceof Float32Array ? 'float32' : 'float64');
    const shape = opts.shape ?? [arr.length];
    const size = checkShape(op, shape);
    if (size !== arr.length) fail(op, `shape ${shapeStr(shape)} needs ${size} values but data has ${arr.length}`);
    const out = allocate(dtype, size);
    out.set(arr);
    return finish(new Tensor(out, shape), opts);
  }
  const dtype = dtypeOpt(op, opts.dtype, 'float64');
  const nested = data as NestedArray;
  const inferred = inferShape(op, nested);
  if (opts.shape) {
    const size = checkShape(op, opts.shape);
    if (inferred.length > 1) fail(op, 'give either nested arrays or flat data with a shape, not both');
    const flat = typeof nested === 'number' ? [nested] : (nested as readonly number[]);
    if (flat.length !== size) fail(op, `shape ${shapeStr(opts.shape)} needs ${size} values but data has ${flat.length}`);
    const out = allocate(dtype, size);
    flatten(op, flat, [size], out);
    return finish(new Tensor(out, opts.shape), opts);
  }
  const size = checkShape(op, inferred);
  const out = allocate(dtype, size);
  flatten(op, nested, inferred, out);
  return finish(new Tensor(out, inferred), opts);
}

export function full(shape: readonly number[], value: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  const size = checkShape('full', shape);
  const out = allocate(dtypeOpt('full', opts.dtype, 'float64'), size);
  if (value !== 0) out.fill(value);
  return finish(new Tensor(out, shape), opts);
}

export function zeros(shape: readonly number[], opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor): Tensor {
  return new Tensor(allocate(t.dtype, t.size), t.shape);
}

export function onesLike(t: Tensor): Tensor {
  return new Tensor(allocate(t.dtype, t.size).fill(1), t.shape);
}

export function arange(n: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  const out = allocate(dtypeOpt('arange', opts.dtype, 'float64'), checkShape('arange', [n]));
  iota(out);
  return finish(new Tensor(out, [n]), opts);
}

export interface RandomOptions extends Omit<TensorOptions, 'shape'> {
  seed?: number;
  generator?: Generator;
}

/** Standard normal entries (seeded: same seed, same numbers). */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  const size = checkShape('randn', shape);
  const gen = resolveGenerator(opts);
  const out = allocate(dtypeOpt('randn', opts.dtype, 'float64'), size);
  for (let i = 0; i < size; i++) out[i] = gen.normal();
  return finish(new Tensor(out, shape), opts);
}

/** Uniform entries in [low, high) (default [0, 1)). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const size = checkShape('rand', shape);
  const gen = resolveGenerator(opts);
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  const out = allocate(dtypeOpt('rand', opts.dtype, 'float64'), size);
  gen.fillUniform(out, low, high);
  return finish(new Tensor(out, shape), opts);
}
