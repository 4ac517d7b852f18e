// Index-valued fills and index maps, in native code (bind_index_maps.cc):
// arange's values, where's picks, kron's entry pairs, selection structures. Only arange keeps a
// JavaScript loop, below ARANGE_JS_MAX entries, where the loop costs less than
// the call: `npm run bench:threshold` measures both at 1…4096 entries and prints
// where they cross (see the figures beside each constant).
import { type FloatArray, kernel } from './addon.js';

/**
 * At most this many entries, arange fills its array in JavaScript:
 * `npm run bench:threshold` (one pinned core, load average 12 on the 2-core VM)
 * timed the loop at 242 ns and the call at 412 ns for 128 entries, 506 / 483 ns
 * at 256, 1.9 µs / 864 ns at 1024. where's maps are always native: the loop won
 * below ≈1024 entries by at most 1–2 µs, in an op whose selections and products
 * cost several times that, so a second path would not pay for itself.
 */
export const ARANGE_JS_MAX = 128;

/** out[i] = i. */
export function iota(out: FloatArray): void {
  if (out.length <= ARANGE_JS_MAX) {
    for (let i = 0; i < out.length; i++) out[i] = i;
    return;
  }
  kernel<(o: FloatArray) => void>('iota')(out);
}

/**
 * where's picks over an output of `shape` (cond, a and b broadcast to it, checked
 * by the caller): pickA[i] is a's entry at position i where cond holds (−1
 * elsewhere), pickB[i] b's entry where it does not (−1 elsewhere). cond is 0/1
 * bytes or a tensor's values (nonzero = true).
 */
export function whereMaps(
  cond: Uint8Array | FloatArray, cShape: readonly number[], aShape: readonly number[], bShape: readonly number[], shape: readonly number[],
): { pickA: Int32Array; pickB: Int32Array } {
  let n = 1;
  for (const d of shape) n *= d;
  const pickA = new Int32Array(n);
  const pickB = new Int32Array(n);
  type WhereMaps = (c: Uint8Array | FloatArray, cs: readonly number[], as: readonly number[], bs: readonly number[], s: readonly number[], pa: Int32Array, pb: Int32Array) => void;
  kernel<WhereMaps>('whereMaps')(cond, cShape, aShape, bShape, shape, pickA, pickB);
  return { pickA, pickB };
}

/** kron(A, B)'s entry pairs (entry t is a[pa[t]] b[pb[t]]), in kron_structure_cpu's order. */
export function kronMaps(aRows: number, aIndptr: Int32Array, bRows: number, bIndptr: Int32Array): { pa: Int32Array; pb: Int32Array } {
  const nnz = aIndptr[aRows]! * bIndptr[bRows]!;
  const pa = new Int32Array(nnz);
  const pb = new Int32Array(nnz);
  kernel<(ar: number, ai: Int32Array, br: number, bi: Int32Array, pa: Int32Array, pb: Int32Array) => void>('kronMaps')(aRows, aIndptr, bRows, bIndptr, pa, pb);
  return { pa, pb };
}

/** A partial selection matrix's structure (ops/select.ts): row k holds column idx[k], or nothing where idx[k] = −1. */
export function selectionStructure(idx: Int32Array): { indptr: Int32Array; indices: Int32Array } {
  const indptr = new Int32Array(idx.length + 1);
  const indices = kernel<(i: Int32Array, p: Int32Array) => Int32Array>('selectionStructure')(idx, indptr);
  return { indptr, indices };
}
