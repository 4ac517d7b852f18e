import type { FloatArray } from './addon.js';

export type DType = 'float64' | 'float32';
export type Device = 'cpu' | 'cuda';

export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

export function isDType(x: unknown): x is DType {
  return x === 'float64' || x === 'float32';
}

/**
 * An array whose contents are NOT initialised, for kernel outputs that are
 * written in full. Zero-filling a fresh large array costs more than a fast
 * kernel (an SpMV at N=32768 takes ≈40 µs; calloc + first touch of 256 KiB ≈25 µs
 * on these VMs), so outputs skip it. Small arrays use the zeroed path (cheaper).
 */
export function uninit(dtype: DType, length: number): FloatArray {
  const bytesPer = dtype === 'float64' ? 8 : 4;
  if (length * bytesPer < 4096) return allocate(dtype, length);
  const buf = Buffer.allocUnsafeSlow(length * bytesPer);
  return dtype === 'float64' ? new Float64Array(buf.buffer, buf.byteOffset, length) : new Float32Array(buf.buffer, buf.byteOffset, length);
}
