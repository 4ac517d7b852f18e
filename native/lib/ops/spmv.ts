// SpMV: y = A x for a CsrMatrix A and a dense vector x, on either device.
import { record } from '../autograd.js';
import { kernel } from '../addon.js';
import type { CsrMatrix } from '../csr.js';
import { fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { csrArg, sameKind, tensorArg } from './check.js';
import { type CsrArgs, csrArgs, empty, hostBroadcast, storage, type Storage, storageOrNull, structureOn } from './transfer.js';
import type { IndexMap } from './gather.js';
import { transposeOn } from './transpose_cache.js';

type SpmvFn = (...args: [...CsrArgs, x: Storage, y: Storage]) => void;
type SpmvBackwardFn = (
  ...args: [...CsrArgs, tIndptr: IndexMap, tIndices: IndexMap, perm: IndexMap, v: Storage, x: Storage, dA: Storage | null, dx: Storage | null, vBroadcast: boolean]
) => void;

export function spmv(A: CsrMatrix, x: Tensor): Tensor {
  const op = 'spmv';
  csrArg(op, 'A', A);
  tensorArg(op, 'x', x, 1);
  if (x.shape[0] !== A.cols) fail(op, `A has shape ${shapeStr(A.shape)} but x has shape ${shapeStr(x.shape)} (needs length ${A.cols})`);
  sameKind(op, ['A', A], ['x', x]);

  const y = empty(A.dtype, [A.rows], A.device);
  kernel<SpmvFn>('spmv')(...csrArgs(A), storage(x), storage(y));

  // dA = (v xᵀ) ⊙ mask(A);  dx = Aᵀ v
  return record(op, y, [A.values, x], (v, needs) => {
    // One sweep over the transpose of A's pattern (cached on it, on A's device):
    // a gather per column, no scatter, no atomics, no partials — deterministic.
    const dA = needs[0] ? empty(A.dtype, [A.nnz], A.device) : null;
    const dx = needs[1] ? empty(A.dtype, [A.cols], A.device) : null;
    const t = transposeOn(A.pattern, A.device);
    const ts = structureOn(t.pattern, A.device);
    // A v whose entries are all one value (the shared constant a sum() or mean()
    // loss seeds) is read as a broadcast: no gather through the row indices.
    const broadcast = hostBroadcast(v);
    kernel<SpmvBackwardFn>('spmvBackward')(
      ...csrArgs(A), ts.indptr, ts.indices, t.perm, storage(v), storage(x), storageOrNull(dA), storageOrNull(dx), broadcast,
    );
    return [dA, dx];
  });
}
