// Gathers as sparse products, for the device ops that have no kernel of their
// own: S is the [n, cols] CsrMatrix with one entry per row, S[k, idx[k]] = 1,
// so that
//   spmv(S, x)  = x[idx]           (an element gather),  its VJP Sᵀ g a scatter-add,
//   spdmm(S, X) = X[idx, :]        (a row gather),       its VJP Sᵀ G,
// both through the SpMV / SpDMM kernels and their VJPs, which every device
// already has. Entries never selected are never read, so a NaN or Inf there
// does not leak into the result. S is built once per index array (and dtype,
// device) and cached; a changed array (checked on every call) is rebuilt.
import { allocate, type Device, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { CsrMatrix, CsrPattern } from '../csr.js';
import { Tensor } from '../tensor.js';
import { releaseWithScope, untrackTensor } from '../device.js';
import { releaseDeviceTranspose } from './transpose_cache.js';
import { deviceFull } from './transfer.js';
import { sameArray } from './check.js';
import { selectionStructure } from '../index_maps.js';

/** The checked copy of each caller's index array (rebuilt when its contents or the column count change). */
const checked = new WeakMap<object, { idx: Int32Array; cols: number }>();

/**
 * The selection matrix S (see above) for indices `idx` into `cols` columns.
 * Throws "<op>: index v at position k is out of range for n" for a bad index.
 */
export function selectionMatrix(op: string, idx: Int32Array | readonly number[], cols: number, dtype: DType, device: Device): CsrMatrix {
  let e = checked.get(idx);
  if (!e || e.cols !== cols || !sameArray(e.idx, idx)) {
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k]!;
      if (!(Number.isInteger(j) && j >= 0 && j < cols)) fail(op, `index ${j} at position ${k} is out of range for ${cols}`);
    }
    e = { idx: Int32Array.from(idx), cols };
    checked.set(idx, e);
  }
  return partialSelectionMatrix(e.idx, cols, dtype, device);
}

const partialCache = new WeakMap<Int32Array, { pattern: CsrPattern; matrices: Map<string, CsrMatrix> }>();

/**
 * The [idx.length, cols] 0/1 matrix with S[k, idx[k]] = 1 where idx[k] ≥ 0 and
 * an empty row where idx[k] = −1: a product is exactly 0 in that row and reads
 * nothing. For index maps an op computes itself (in range by construction, not
 * re-checked). owner 'cache': cached per idx array, which the caller owns and
 * never changes; 'scope': a fresh matrix whose device memory (values and
 * structure) the open scope frees with its other intermediates, for maps made
 * from data that changes every call (where's device cond).
 */
export function partialSelectionMatrix(idx: Int32Array, cols: number, dtype: DType, device: Device, owner: 'cache' | 'scope' = 'cache'): CsrMatrix {
  let e = owner === 'cache' ? partialCache.get(idx) : undefined;
  if (!e) {
    const { indptr, indices } = selectionStructure(idx);
    e = { pattern: new CsrPattern(idx.length, cols, indptr, indices), matrices: new Map() };
    if (owner === 'cache') partialCache.set(idx, e);
  }
  const key = `${dtype}/${device}`;
  let S = e.matrices.get(key);
  if (S && !S.isDisposed) return S;
  const { pattern } = e;
  let values: Tensor;
  if (device === 'cuda') {
    values = deviceFull(dtype, [pattern.nnz], 1);
  } else {
    values = new Tensor(allocate(dtype, pattern.nnz).fill(1), [pattern.nnz]);
  }
  S = new CsrMatrix(pattern, values);
  if (device === 'cuda') pattern.deviceArrays();
  if (owner === 'scope') {
    releaseWithScope(() => releasePrivatePattern(pattern));
  } else {
    untrackTensor(values); // a cache: no scope owns it
    e.matrices.set(key, S);
  }
  return S;
}

/**
 * Frees the device structure of a pattern no other matrix shares, now, with
 * what the VJPs derived from it (its device transpose): releaseDevice() alone
 * leaves that to the garbage collector, as other patterns might share it.
 */
function releasePrivatePattern(p: CsrPattern): void {
  releaseDeviceTranspose(p);
  p.releaseDevice();
}

/** Fails unless n (what it counts) fits the int32 indices of the selections above. */
export function int32Indexable(op: string, what: string, n: number): void {
  if (n > 2147483647) fail(op, `${what} (${n}) exceeds 2^31 − 1, the most that int32 indices reach on cuda`);
}
