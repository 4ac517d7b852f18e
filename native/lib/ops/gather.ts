// Gathers and scatters of values through int32 index maps, on either device:
// the primitive under the structural ops (transpose, diagonal, tril/triu,
// toDense), whose forward is a gather and whose VJP the matching scatter (or a
// gather through the inverse map). An index map is made once per pattern and
// cached on it (mapOn), on the host and, for 'cuda' matrices, on the device.
import { kernel } from '../addon.js';
import { type DeviceArray, upload } from '../device.js';
import type { Device } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { empty, storage, type Storage } from './transfer.js';

/** What mapOn needs of a CsrPattern (its cache), named structurally: csr.ts imports this module. */
interface PatternCache {
  readonly cache: Map<string, unknown>;
}

/** An index map on the host (Int32Array) or on the device (an int32 DeviceArray). */
export type IndexMap = Int32Array | DeviceArray;

type Move = (idx: IndexMap, src: Storage, out: Storage) => void;

/** out[q] = idx[q] < 0 ? 0 : src[idx[q]], a 1-D tensor of idx's length on src's device. */
export function gather(idx: IndexMap, src: Tensor): Tensor {
  const out = empty(src.dtype, [idx.length], src.device);
  kernel<Move>('gatherValues')(idx, storage(src), storage(out));
  return out;
}

/** A zero tensor of `shape` on src's device with out[idx[q]] = src[q] where idx[q] ≥ 0 (the binding zeroes it first). */
export function scatter(idx: IndexMap, src: Tensor, shape: readonly number[]): Tensor {
  const out = empty(src.dtype, shape, src.device);
  kernel<Move>('scatterValues')(idx, storage(src), storage(out));
  return out;
}

/**
 * An index map of p's for a matrix on `device`: make()'s host array (the
 * caller caches it), or its device copy, uploaded once and cached on p under
 * 'device:<key>' (released with the pattern's device structure).
 */
export function mapOn(p: PatternCache, key: string, device: Device, make: () => Int32Array): IndexMap {
  if (device === 'cpu') return make();
  const have = p.cache.get(`device:${key}`) as DeviceArray | undefined;
  if (have && !have.disposed) return have;
  const d = upload(make());
  p.cache.set(`device:${key}`, d);
  return d;
}
