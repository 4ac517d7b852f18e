// Device memory for 'cuda' tensors, and explicit memory control.
//
// A device tensor's storage is a DeviceArray: one allocation on the GPU, owned
// by the addon (native/binding/device_array.h), reachable from JavaScript only
// through upload/download. Storage is reference-counted across the tensors that
// share it (views from reshape() and detach()); dispose() drops one tensor's
// reference and frees the memory with the last. Memory whose tensors were never
// disposed is freed when they are garbage-collected, but V8 does not see GPU
// memory pressure, so a loop should dispose its intermediates: scope(fn) does
// that for every tensor made inside fn that fn does not return.
//
// Without a GPU, SPARSE_AD_CUDA_EMULATION=1 (or enableDeviceEmulation() before
// the first device call) provides an emulated device whose arrays are host
// memory behind the same interface, so the device code path can be tested.
import { addon, type FloatArray } from './addon.js';
import type { DType } from './dtype.js';
import { SparseAdError } from './errors.js';
import { unpoolHost } from './pool.js';

export type ElemType = DType | 'int32' | 'uint8';
export type HostArray = FloatArray | Int32Array | Uint8Array;

/** One allocation on the device (an addon object). */
export interface DeviceArray {
  readonly length: number;
  readonly type: ElemType;
  readonly bytes: number;
  readonly disposed: boolean;
  dispose(): void;
}

interface DeviceAddon {
  DeviceArray: new (type: ElemType, length: number) => DeviceArray;
  deviceUpload(dst: DeviceArray, src: HostArray): void;
  deviceDownload(src: DeviceArray, dst: HostArray): void;
  deviceCopy(dst: DeviceArray, src: DeviceArray): void;
  deviceFill(dst: DeviceArray, value: number): void;
  deviceMode(): { mode: 'cuda' | 'emulated' | 'none'; reason: string };
  deviceEmulate(): boolean;
  deviceMemory(): DeviceMemory;
  deviceResetPeak(): void;
  deviceSynchronize(): void;
}

function dev(): DeviceAddon {
  return addon() as unknown as DeviceAddon;
}

/** Device memory held by this thread's arrays (bytes), counted by the addon. */
export interface DeviceMemory {
  liveBytes: number;
  peakBytes: number;
  liveArrays: number;
  /** Arrays ever allocated. */
  allocations: number;
  /** The emulated device's capacity; 0 on a GPU. */
  limitBytes: number;
}

/** What 'cuda' means in this process: a GPU, the emulated device, or none (with why). */
export function deviceMode(): { mode: 'cuda' | 'emulated' | 'none'; reason: string } {
  return dev().deviceMode();
}

/**
 * @internal For tests on machines without a GPU: makes 'cuda' the emulated
 * device. Only possible before any device array exists and when no GPU was found;
 * returns whether emulation is now on.
 */
export function enableDeviceEmulation(): boolean {
  return dev().deviceEmulate();
}

export function deviceMemory(): DeviceMemory {
  return dev().deviceMemory();
}

/** Starts a new peak: peakBytes becomes the current liveBytes. */
export function resetPeakDeviceMemory(): void {
  dev().deviceResetPeak();
}

/** Waits for all queued device work; an asynchronous kernel failure surfaces here. */
export function synchronize(): void {
  dev().deviceSynchronize();
}

/** An uninitialised device array (NaN-filled on the emulated device). */
export function deviceAlloc(type: ElemType, length: number): DeviceArray {
  const D = dev().DeviceArray;
  return new D(type, length);
}

function typeOfHost(a: HostArray): ElemType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** A device copy of a host array. */
export function upload(src: HostArray): DeviceArray {
  const d = deviceAlloc(typeOfHost(src), src.length);
  try {
    dev().deviceUpload(d, src);
  } catch (e) {
    d.dispose();
    throw e;
  }
  return d;
}

function allocHost(type: ElemType, length: number): HostArray {
  switch (type) {
    case 'float64': return new Float64Array(length);
    case 'float32': return new Float32Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8': return new Uint8Array(length);
  }
}

/** A host copy of a device array. */
export function download(src: DeviceArray): HostArray {
  const out = allocHost(src.type, src.length);
  dev().deviceDownload(src, out);
  return out;
}

export function copyDevice(src: DeviceArray): DeviceArray {
  const d = deviceAlloc(src.type, src.length);
  dev().deviceCopy(d, src);
  return d;
}

export function fillDevice(dst: DeviceArray, value: number): void {
  dev().deviceFill(dst, value);
}

/**
 * The storage of device tensors: one DeviceArray and the number of live tensors
 * that share it. The last release() frees the array.
 */
export class DeviceStorage {
  readonly array: DeviceArray;
  refs = 1;
  constructor(array: DeviceArray) {
    this.array = array;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) this.array.dispose();
  }
}

// ---------------------------------------------------------------------------
// Scopes

/** What scope() can dispose: tensors (and, through them, CsrMatrix values). */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** @internal Called for every new tensor: the innermost scope, if any, takes it. */
export function trackTensor(t: Disposable): void {
  const top = scopes.length;
  if (top > 0) scopes[top - 1]!.add(t);
}

/**
 * @internal Hands `release` to the open scope, as if it were a tensor made there:
 * device memory that is not a float tensor (a dropout mask, a private selection
 * pattern, a reference to cached indices) is then freed, once, with the scope's
 * intermediates.
 */
export function releaseWithScope(release: () => void): void {
  let done = false;
  trackTensor({
    dispose(): void {
      if (done) return;
      done = true;
      release();
    },
    get isDisposed(): boolean {
      return done;
    },
  });
}

/** @internal Takes t out of every open scope (it will not be disposed by them). */
export function untrackTensor(t: Disposable): void {
  for (const s of scopes) s.delete(t);
}

/** Walks a scope's result for what it returns: tensors, a CsrMatrix's values, in arrays, Maps and plain objects. */
function collectReturned(x: unknown, out: Set<unknown>, seen: Set<unknown>): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  if (ArrayBuffer.isView(x)) {
    unpoolHost(x); // a tensor's raw array leaves the scope: its buffer must outlive the tensor
    return;
  }
  seen.add(x);
  if (typeof (x as Disposable).dispose === 'function' && 'isDisposed' in (x as object)) {
    out.add(x);
    const values = (x as { values?: unknown }).values; // a CsrMatrix
    if (values && typeof values === 'object') out.add(values);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) collectReturned(v, out, seen);
  } else if (x instanceof Map) {
    for (const v of x.values()) collectReturned(v, out, seen);
  } else {
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) for (const v of Object.values(x as object)) collectReturned(v, out, seen);
  }
}

/**
 * Runs fn and then disposes every tensor created while it ran, except those in
 * its result (a Tensor, a CsrMatrix, or arrays / plain objects of them) and
 * those passed to keep(). What fn returns moves to the enclosing scope, if any.
 * Run backward() and the optimizer step inside the scope: the tape of a
 * disposed intermediate cannot be replayed. Gradients stored in `.grad` and
 * optimizer state are not disposed. fn must be synchronous. A disposed CPU
 * tensor's memory goes to the output pool (pool.ts) once no tensor over it is
 * left, so the next op's output reuses memory still in cache, as NumPy's do.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Disposable>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of mine) t.dispose();
    throw e;
  } finally {
    scopes.pop();
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    for (const t of mine) t.dispose();
    throw new SparseAdError('scope: fn returned a Promise; scopes are synchronous (await outside, or use one scope per step)');
  }
  if (result === null || typeof result !== 'object') {
    // Nothing returned that could hold a tensor (a training step's usual undefined).
    for (const t of mine) t.dispose();
    return result;
  }
  const returned = new Set<unknown>();
  collectReturned(result, returned, new Set());
  const outer = scopes[scopes.length - 1];
  for (const t of mine) {
    if (returned.has(t)) outer?.add(t);
    else t.dispose();
  }
  return result;
}

function keepOne(t: Disposable): void {
  for (let i = scopes.length - 1; i >= 0; i--) {
    if (scopes[i]!.delete(t)) {
      scopes[i - 1]?.add(t);
      return;
    }
  }
}

/**
 * Exempts x (a Tensor or CsrMatrix) from disposal by the innermost scope that
 * holds it, as if that scope had returned it: it moves to the enclosing scope
 * (or arena), if any. Returns x.
 */
export function keep<T extends Disposable | { values: Disposable }>(x: T): T {
  const values = (x as { values?: Disposable }).values;
  if (values && typeof values.dispose === 'function') keepOne(values);
  if (typeof (x as Disposable).dispose === 'function') keepOne(x as Disposable);
  return x;
}

/**
 * A scope that spans several synchronous segments (e.g. the steps of an async
 * loop): tensors made inside arena.run(fn) are held until arena.dispose().
 * scope() inside run() passes its results (and keep()s) up to the arena.
 */
export class TensorArena {
  readonly #held = new Set<Disposable>();

  run<T>(fn: () => T): T {
    scopes.push(this.#held);
    try {
      return fn();
    } finally {
      scopes.pop();
    }
  }

  dispose(): void {
    for (const t of this.#held) t.dispose();
    this.#held.clear();
  }
}
