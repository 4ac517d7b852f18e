// SpDMM: C = A D for a CsrMatrix A (n×k) and a dense 2-D Tensor D (k×m), on either device.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, csrArg, sameKind } from './check.js';
import type { IndexMap } from './gather.js';
import { type CsrArgs, csrArgs, empty, hostBroadcast, storage, type Storage, storageOrNull, structureOn } from './transfer.js';
import { transposeOn } from './transpose_cache.js';

type Spdmm = (...a: [...CsrArgs, D: Storage, m: number, C: Storage]) => void;
type SpdmmBackward = (
  ...a: [
    ...CsrArgs, tIndptr: IndexMap, tIndices: IndexMap, perm: IndexMap, V: Storage, D: Storage, m: number, dA: Storage | null, dD: Storage | null,
    vBroadcast: boolean,
  ]
) => void;

export function spdmm(A: CsrMatrix, D: Tensor): Tensor {
  const op = 'spdmm';
  csrArg(op, 'A', A);
  assertTensor(op, 'D', D);
  if (D.ndim === 1) fail(op, `D must be a 2-D matrix but has shape ${shapeStr(D.shape)}; for a matrix-vector product use spmv(A, x)`);
  if (D.ndim !== 2) fail(op, `D must be a 2-D matrix but has shape ${shapeStr(D.shape)}`);
  const [k, m] = D.shape as [number, number];
  if (k !== A.cols) fail(op, `A has shape ${shapeStr(A.shape)} but D has shape ${shapeStr(D.shape)} (D needs ${A.cols} rows)`);
  sameKind(op, ['A', A], ['D', D]);

  const C = empty(A.dtype, [A.rows, m], A.device);
  kernel<Spdmm>('spdmm')(...csrArgs(A), storage(D), m, storage(C));

  // dA = (V Dᵀ) ⊙ mask(A);  dD = Aᵀ V
  return record(op, C, [A.values, D], (V, needs) => {
    // Both in one pass over the rows of Aᵀ (its structure cached on A's pattern, on A's device): no atomics.
    const dA = needs[0] ? empty(A.dtype, [A.nnz], A.device) : null;
    const dD = needs[1] ? empty(A.dtype, [A.cols, m], A.device) : null;
    const t = transposeOn(A.pattern, A.device);
    const ts = structureOn(t.pattern, A.device);
    // A V whose entries are all one value (the shared constant a sum() or mean()
    // loss seeds) is read as a broadcast view: its first row for every row, so
    // the backward streams D and dD only, with the bits of the materialised V.
    const broadcast = hostBroadcast(V);
    kernel<SpdmmBackward>('spdmmBackward')(
      ...csrArgs(A), ts.indptr, ts.indices, t.perm, storage(V), storage(D), m, storageOrNull(dA), storageOrNull(dD), broadcast,
    );
    return [dA, dD];
  });
}
