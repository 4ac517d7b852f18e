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

/** Machine epsilon of a dtype (for tolerances). */
export function epsOf(dtype: DType): number {
  return dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}
