// Moving tensors between the CPU and the device, and the small helpers every
// device op uses: fresh device outputs and gradient accumulation.
import { record } from '../autograd.js';
import { kernel } from '../addon.js';
import type { FloatArray } from '../addon.js';
import { deviceAlloc, type DeviceArray, deviceMode, DeviceStorage, download, fillDevice, upload } from '../device.js';
import { type Device, type DType, uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { pooledArray } from '../pool.js';
import { hostData, Tensor } from '../tensor.js';

/** Throws "<op>: no CUDA device (why)" unless 'cuda' is usable (a GPU or the emulated device). */
function requireDevice(op: string): void {
  const m = deviceMode();
  if (m.mode === 'none') fail(op, `no CUDA device: ${m.reason}`);
}

/** A fresh device tensor (uninitialised: NaN on the emulated device). */
export function deviceEmpty(dtype: DType, shape: readonly number[]): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(new DeviceStorage(deviceAlloc(dtype, size)), shape);
}

/**
 * Constant CPU arrays handed out as gradients (the VJP of a sum is its one-entry
 * gradient at every position: for a loss's seed, the same value every step), the
 * last value per dtype and size, so a training loop fills no array per step.
 * Shared: nothing may write into them (autograd copies one before a leaf owns it).
 */
const constants = new Map<string, { value: number; data: FloatArray }>();
const sharedArrays = new WeakSet<object>();
const CONSTANT_SLOTS = 8;
/** Below this many entries a fresh array costs less than the lookup is worth. */
const CONSTANT_MIN_SIZE = 1024;

/** A CPU tensor of `shape` whose entries are all `value` (shared and read-only when large; see above). */
function constantOnHost(dtype: DType, shape: readonly number[], value: number): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  if (size < CONSTANT_MIN_SIZE) return fullOn('cpu', dtype, shape, value);
  const key = `${dtype}/${size}`;
  let e = constants.get(key);
  if (e === undefined || !Object.is(e.value, value)) {
    const data = uninit(dtype, size);
    kernel<(o: Storage, v: number) => void>('fill')(data, value);
    sharedArrays.add(data);
    constants.delete(key);
    if (constants.size >= CONSTANT_SLOTS) constants.delete(constants.keys().next().value!);
    constants.set(key, (e = { value, data }));
  }
  return new Tensor(e.data, shape);
}

/**
 * The same on the device: the last value per dtype and size, filled once, its
 * storage held by this cache (each tensor handed out holds a reference of its
 * own, so a scope that frees one leaves the constant alive). A seed of 1 for
 * backward() and a sum's VJP of it are then no allocation and no fill per step.
 */
const deviceConstants = new Map<string, { value: number; storage: DeviceStorage }>();
/** Above this many entries a device constant is filled per call instead (the cache holds at most 8 × 8 MiB). */
const DEVICE_CONSTANT_MAX_SIZE = 1 << 20;
const deviceConstantValues = new WeakMap<DeviceArray, number>();

/** A tensor of `shape` on `device` whose entries are all `value`: shared and read-only (see above), except small CPU ones. */
export function constantOn(dtype: DType, shape: readonly number[], value: number, device: Device = 'cpu'): Tensor {
  if (device === 'cpu') return constantOnHost(dtype, shape, value);
  let size = 1;
  for (const d of shape) size *= d;
  if (size > DEVICE_CONSTANT_MAX_SIZE) return deviceFull(dtype, shape, value); // not worth holding device memory for
  const key = `${dtype}/${size}`;
  let e = deviceConstants.get(key);
  if (e === undefined || !Object.is(e.value, value)) {
    const array = deviceAlloc(dtype, size);
    fillDevice(array, value);
    deviceConstantValues.set(array, value);
    e?.storage.release();
    deviceConstants.delete(key);
    if (deviceConstants.size >= CONSTANT_SLOTS) {
      const first = deviceConstants.keys().next().value!;
      deviceConstants.get(first)!.storage.release();
      deviceConstants.delete(first);
    }
    deviceConstants.set(key, (e = { value, storage: new DeviceStorage(array) }));
  }
  return new Tensor(e.storage.retain(), shape);
}

/** Whether t's storage is a shared constant (constantOn), which must not be written. */
export function isSharedConstant(t: Tensor): boolean {
  return t.device === 'cpu' ? sharedArrays.has(hostData(t)) : deviceConstantValues.has(t.buffer);
}

/**
 * Whether the host kernels may read t, a gradient, as a broadcast of one value:
 * a CPU shared constant (the seed of a sum() or mean() loss), whose entries are
 * all equal. SpMV, SpDMM and αA+βB take it so, with the bits of the full array.
 */
export function hostBroadcast(t: Tensor): boolean {
  return t.device === 'cpu' && isSharedConstant(t);
}

/** The value of every entry of a shared constant on the device (constantOn), read without a download; undefined for other tensors. */
export function deviceConstantValue(t: Tensor): number | undefined {
  return t.device === 'cpu' ? undefined : deviceConstantValues.get(t.buffer);
}

/** A tensor on `device` filled with `value`. */
export function fullOn(device: Device, dtype: DType, shape: readonly number[], value: number): Tensor {
  if (device === 'cuda') return deviceFull(dtype, shape, value);
  const t = empty(dtype, shape, device);
  t.data.fill(value);
  return t;
}

/** A device tensor filled with `value`. */
export function deviceFull(dtype: DType, shape: readonly number[], value: number): Tensor {
  const t = deviceEmpty(dtype, shape);
  fillDevice(t.buffer, value);
  return t;
}

/** A tensor's storage as the bindings take it: its typed array on the CPU, its DeviceArray on 'cuda'. */
export type Storage = FloatArray | DeviceArray;

/** x's storage (see Storage): the one argument an op passes whichever device x is on. */
export function storage(x: Tensor): Storage {
  return x.device === 'cpu' ? hostData(x) : x.buffer;
}

/** storage(x), or null for a missing tensor (an output nobody needs). */
export function storageOrNull(x: Tensor | null): Storage | null {
  return x === null ? null : storage(x);
}

/** A fresh tensor on `device` (uninitialised: never read before a kernel writes it). */
export function empty(dtype: DType, shape: readonly number[], device: Device): Tensor {
  if (device !== 'cpu') return deviceEmpty(dtype, shape);
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(pooledArray(dtype, size), shape); // memory a disposed tensor gave back, when there is some
}

/** A device tensor owning `array` (which must hold the shape's size of dtype entries). */
export function deviceTensor(array: DeviceArray, shape: readonly number[]): Tensor {
  return new Tensor(new DeviceStorage(array), shape);
}

/**
 * x on `device` (x itself when already there): an upload or a download,
 * differentiable (the gradient moves back to x's device).
 */
export function toDevice(x: Tensor, device: Device): Tensor {
  if (device !== 'cpu' && device !== 'cuda') fail('to', `unknown device '${String(device)}' (use 'cpu' or 'cuda')`);
  if (x.device === device) return x;
  if (device === 'cuda') requireDevice('to');
  const out = device === 'cuda' ? new Tensor(new DeviceStorage(upload(x.data)), x.shape) : new Tensor(download(x.buffer) as Tensor['data'], x.shape);
  // dx = g moved back to x's device
  return record('to', out, [x], (g) => [toDevice(g, x.device)]);
}

type AddKernel = (op: 'add', shape: readonly number[], a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], out: Storage) => void;

/** a + b for two tensors of one size, dtype and device (a fresh tensor in a's shape; the tape's gradient adder). */
export function addSame(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size || a.dtype !== b.dtype || b.device !== a.device) {
    fail('add', `cannot add ${shapeStr(a.shape)} ${a.dtype} on ${a.device} and ${shapeStr(b.shape)} ${b.dtype} on ${b.device}`);
  }
  const out = empty(a.dtype, a.shape, a.device);
  const flat = [a.size];
  kernel<AddKernel>('binary')('add', flat, storage(a), flat, storage(b), flat, storage(out)); // one pass
  return out;
}

/** a += b in place, for two tensors of one size, dtype and device (accumulating a gradient the leaf owns). */
export function addInPlace(a: Tensor, b: Tensor): void {
  const flat = [a.size];
  kernel<AddKernel>('binary')('add', flat, storage(a), flat, storage(b), flat, storage(a));
}

/** A CSR operand as the bindings take it, on either device: rows, cols, nnz, indptr, indices, values. */
export type CsrArgs = [rows: number, cols: number, nnz: number, indptr: Int32Array | DeviceArray, indices: Int32Array | DeviceArray, values: Storage];

/** A pattern's structure where a matrix on `device` needs it: its own arrays, or their device copy (uploaded once). */
export function structureOn(p: { raw: { indptr: Int32Array; indices: Int32Array }; deviceArrays(): { indptr: DeviceArray; indices: DeviceArray } }, device: Device): { indptr: Int32Array | DeviceArray; indices: Int32Array | DeviceArray } {
  return device === 'cpu' ? p.raw : p.deviceArrays();
}

/** The binding arguments of a CsrMatrix, wherever it is (its pattern's structure uploaded once for 'cuda'). */
export function csrArgs(A: { rows: number; cols: number; nnz: number; pattern: Parameters<typeof structureOn>[0]; values: Tensor }): CsrArgs {
  const s = structureOn(A.pattern, A.values.device);
  return [A.rows, A.cols, A.nnz, s.indptr, s.indices, storage(A.values)];
}
