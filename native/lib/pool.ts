// The pool of CPU output buffers that disposed tensors give back.
//
// NumPy frees a temporary the moment its last reference goes (refcounting), so
// its next output of that size lands in memory that is mapped and still in
// cache. V8 frees an ArrayBuffer only when the garbage collector runs, so
// without this every fresh 2–4 MiB output is memory nobody touched for many
// megabytes: page faults or cache misses on every write. Measured with
// experiments/bench/bench-dense.ts on this 2-core EPYC VM (2^19 float32 add,
// one core, load average 16): into a preallocated output 83 µs, into a fresh
// Buffer.allocUnsafeSlow 212–248 µs, into a zero-filled new Float32Array 223 µs.
//
// A CPU tensor's array goes back to the pool when every tensor over it (views
// included) has been disposed — by dispose() or at the end of the scope() that
// made it — and never otherwise: a tensor that is only garbage-collected frees
// its memory as before. The ArrayBuffer is transferred on the way in, so any
// typed array still pointing at it (an old .data read) is detached (length 0;
// the kernels refuse it) rather than silently sharing memory with the next
// output. Only buffers whose array was read through .data are detached: the
// ops reach theirs through hostData() (tensor.ts) for the length of a kernel
// call, so a buffer nobody else saw goes back as it is, and the detach (a
// structuredClone, ≈1.1 µs on Node 20: a tenth of a small op) is saved.
// Handing out is LIFO per byte length: the most recently freed buffer is the
// one most likely still in cache.
import type { FloatArray } from './addon.js';
import { type DType, uninit } from './dtype.js';

/** Smaller arrays come from malloc's free lists, already mapped and warm. */
const MIN_BYTES = 64 * 1024;
/** The pool holds at most this much; what does not fit is left to the GC. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/** Live tensors over each pool-owned buffer (a tensor's constructor adds one, dispose() takes it). */
const liveTensors = new WeakMap<ArrayBuffer, number>();
const free = new Map<number, ArrayBuffer[]>();
/** Pooled buffers some tensor's array was read from through .data (escapeHost). */
const escaped = new WeakSet<ArrayBuffer>();
let pooledBytes = 0;

/**
 * An uninitialised array of `length` entries for a new tensor's output: a freed
 * buffer of the same byte length when the pool has one, else fresh memory.
 * Owned by the pool's counting (see above) from the tensor made over it on.
 */
export function pooledArray(dtype: DType, length: number): FloatArray {
  const bytes = length * (dtype === 'float64' ? 8 : 4);
  if (bytes < MIN_BYTES) return uninit(dtype, length);
  const reused = free.get(bytes)?.pop();
  let buffer: ArrayBuffer;
  if (reused !== undefined) {
    pooledBytes -= bytes;
    buffer = reused;
  } else {
    buffer = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  }
  liveTensors.set(buffer, 0);
  return dtype === 'float64' ? new Float64Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
}

/** @internal A tensor now views `data` (called by the Tensor constructor). */
export function retainHost(data: FloatArray): void {
  if (data.byteLength < MIN_BYTES) return; // never a pooled buffer (those are viewed whole): no WeakMap probe, no .buffer materialised
  const n = liveTensors.get(data.buffer as ArrayBuffer);
  if (n !== undefined) liveTensors.set(data.buffer as ArrayBuffer, n + 1);
}

/** @internal `data`, a tensor's array, was handed out through .data: its buffer is detached on its way to the pool. */
export function escapeHost(data: FloatArray): void {
  if (data.byteLength < MIN_BYTES) return; // see retainHost
  const buffer = data.buffer as ArrayBuffer;
  if (liveTensors.has(buffer)) escaped.add(buffer);
}

/** @internal A tensor over `data` was disposed; the last one gives the buffer to the pool. */
export function releaseHost(data: FloatArray): void {
  if (data.byteLength < MIN_BYTES) return; // see retainHost
  const buffer = data.buffer as ArrayBuffer;
  const n = liveTensors.get(buffer);
  if (n === undefined) return;
  if (n > 1) {
    liveTensors.set(buffer, n - 1);
    return;
  }
  liveTensors.delete(buffer);
  const bytes = buffer.byteLength;
  if (bytes === 0) return; // detached already (transferred to a worker, say): nothing to give back
  if (pooledBytes + bytes > MAX_POOLED_BYTES) return;
  // An escaped buffer: every typed array over it is detached, the memory moving
  // to `moved` (no copy).
  const moved = escaped.has(buffer) ? structuredClone(buffer, { transfer: [buffer] }) : buffer;
  let list = free.get(bytes);
  if (list === undefined) free.set(bytes, (list = []));
  list.push(moved);
  pooledBytes += bytes;
}

/**
 * @internal `data` escapes the tensors (a scope returned the raw array): its
 * buffer is never given to the pool, whoever disposes the tensors over it.
 */
export function unpoolHost(data: ArrayBufferView): void {
  liveTensors.delete(data.buffer as ArrayBuffer);
}

/** Bytes the pool holds now, and its limit (for tests and benchmarks). */
export function poolStats(): { pooledBytes: number; maxBytes: number } {
  return { pooledBytes, maxBytes: MAX_POOLED_BYTES };
}

/** Lets the GC have every pooled buffer (e.g. after a large job). */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}
