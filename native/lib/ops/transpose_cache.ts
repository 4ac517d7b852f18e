// The transpose of a pattern, cached on it: Aᵀ's pattern and the index maps
// between the entries of A and Aᵀ, made once per pattern by a native kernel
// (on the host, or on the device for 'cuda' matrices) and shared by every op
// that needs Aᵀ: transpose itself, and the VJPs that read A by columns (spmv's
// dx = Aᵀ v, spdmm's dD = Aᵀ G) as a gather instead of a scatter with atomics.
import { kernel } from '../addon.js';
import { CsrPattern } from '../csr.js';
import { deviceAlloc, type DeviceArray, download, upload } from '../device.js';
import type { Device } from '../dtype.js';
import type { IndexMap } from './gather.js';

/** @internal The structure of Aᵀ and the maps between the entries of A and Aᵀ, cached per pattern. */
export interface TransposeInfo {
  /** The pattern of Aᵀ. */
  pattern: CsrPattern;
  /** perm[q]: the entry of A that is entry q of Aᵀ. */
  perm: Int32Array;
  /** inv[p]: the entry of Aᵀ that is entry p of A (perm⁻¹). */
  inv: Int32Array;
}

type TransposeArrays = { indptr: Int32Array; indices: Int32Array; perm: Int32Array; inv: Int32Array };

/** Caches the transpose of p made from `r` (and, on Aᵀ's pattern, the way back to p). */
function setTranspose(p: CsrPattern, r: TransposeArrays): TransposeInfo {
  const t = new CsrPattern(p.cols, p.rows, r.indptr, r.indices);
  // Transposing back gives p itself, through the inverse maps.
  t.cache.set('transpose', { pattern: p, perm: r.inv, inv: r.perm } satisfies TransposeInfo);
  const info = { pattern: t, perm: r.perm, inv: r.inv };
  p.cache.set('transpose', info);
  return info;
}

/** @internal */
export function transposeInfo(p: CsrPattern): TransposeInfo {
  const have = p.cache.get('transpose') as TransposeInfo | undefined;
  if (have) return have;
  const { indptr, indices } = p.raw;
  const t = { indptr: new Int32Array(p.cols + 1), indices: new Int32Array(p.nnz), perm: new Int32Array(p.nnz), inv: new Int32Array(p.nnz) };
  kernel<TransposeStructure>('transposeStructure')(p.rows, p.cols, p.nnz, indptr, indices, t.indptr, t.indices, t.perm, t.inv);
  return setTranspose(p, t);
}

/** @internal The transpose maps on the device; the pattern of Aᵀ is transposeInfo's. */
export interface DeviceTransposeInfo {
  pattern: CsrPattern;
  perm: DeviceArray;
  inv: DeviceArray;
}

type Index = Int32Array | DeviceArray;
type TransposeStructure = (
  rows: number, cols: number, nnz: number, indptr: Index, indices: Index,
  tIndptr: Index, tIndices: Index, perm: Index, inv: Index | null,
) => void;

/**
 * @internal transposeInfo on the device, cached on p. Made by the device kernel
 * unless the host maps exist already (then uploaded); the kernel's result is
 * downloaded once to give Aᵀ's pattern its host arrays, and its structure stays
 * on the device as that pattern's device arrays.
 */
export function deviceTransposeInfo(p: CsrPattern): DeviceTransposeInfo {
  const have = p.cache.get('device:transpose') as DeviceTransposeInfo | undefined;
  if (have && !have.perm.disposed && !have.inv.disposed) return have;
  let info: DeviceTransposeInfo;
  const host = p.cache.get('transpose') as TransposeInfo | undefined;
  if (host) {
    info = { pattern: host.pattern, perm: upload(host.perm), inv: upload(host.inv) };
  } else {
    const d = p.deviceArrays();
    const tIndptr = deviceAlloc('int32', p.cols + 1);
    const tIndices = deviceAlloc('int32', p.nnz);
    const perm = deviceAlloc('int32', p.nnz);
    const inv = deviceAlloc('int32', p.nnz);
    try {
      kernel<TransposeStructure>('transposeStructure')(p.rows, p.cols, p.nnz, d.indptr, d.indices, tIndptr, tIndices, perm, inv);
    } catch (e) {
      for (const a of [tIndptr, tIndices, perm, inv]) a.dispose();
      throw e;
    }
    const t = setTranspose(p, {
      indptr: download(tIndptr) as Int32Array,
      indices: download(tIndices) as Int32Array,
      perm: download(perm) as Int32Array,
      inv: download(inv) as Int32Array,
    });
    t.pattern.deviceArrays({ indptr: tIndptr, indices: tIndices });
    info = { pattern: t.pattern, perm, inv };
  }
  p.cache.set('device:transpose', info);
  info.pattern.cache.set('device:transpose', { pattern: p, perm: info.inv, inv: info.perm } satisfies DeviceTransposeInfo);
  return info;
}

/** Frees p's device transpose (the maps and Aᵀ's device structure) now, for a pattern no other matrix shares. */
export function releaseDeviceTranspose(p: CsrPattern): void {
  const t = p.cache.get('device:transpose') as DeviceTransposeInfo | undefined;
  if (!t) return;
  t.perm.dispose();
  t.inv.dispose();
  t.pattern.releaseDevice();
}

/** @internal The transpose of p for a matrix on `device`: Aᵀ's pattern and perm/inv as host or device maps. */
export function transposeOn(p: CsrPattern, device: Device): { pattern: CsrPattern; perm: IndexMap; inv: IndexMap } {
  return device === 'cpu' ? transposeInfo(p) : deviceTransposeInfo(p);
}
