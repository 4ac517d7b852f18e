// SpMV: y = A x for a CsrMatrix A and a dense vector x.
import { record } from '../autograd.js';
import { addon, kernel, type FloatArray } from '../addon.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, sameKind, tensorArg } from './check.js';
import { deviceTransposeInfo, transposeInfo } from './structure.js';
import { deviceCsr, type DeviceCsrArgs, deviceEmpty } from './transfer.js';
import type { DeviceArray } from '../device.js';
import type { CsrMatrix } from '../csr.js';

type SpmvBackwardFn = (
  rows: number, cols: number, indptr: Int32Array, indices: Int32Array, values: FloatArray,
  tIndptr: Int32Array, tIndices: Int32Array, perm: Int32Array,
  v: FloatArray, x: FloatArray, dA: FloatArray | null, dx: FloatArray | null,
) => void;

export function spmv(A: CsrMatrix, x: Tensor): Tensor {
  const op = 'spmv';
  csrArg(op, 'A', A);
  tensorArg(op, 'x', x, 1);
  if (x.shape[0] !== A.cols) fail(op, `A has shape ${shapeStr(A.shape)} but x has shape ${shapeStr(x.shape)} (needs length ${A.cols})`);
  sameKind(op, ['A', A], ['x', x]);

  if (A.device === 'cuda') return spmvDevice(A, x);

  const { indptr, indices } = A.pattern.raw;
  const y = uninit(A.dtype, A.rows);
  addon().spmv(A.rows, A.cols, indptr, indices, A.values.data, x.data, y);
  const out = new Tensor(y, [A.rows]);

  return record(op, out, [A.values, x], (v, needs) => {
    // dA = (v xᵀ) ⊙ mask(A);  dx = Aᵀ v  — one sweep over the cached transpose
    // of A's pattern: a gather per column (no scatter, no atomics, no partials).
    const dA = needs[0] ? uninit(A.dtype, A.nnz) : null;
    const dx = needs[1] ? uninit(A.dtype, A.cols) : null;
    const t = transposeInfo(A.pattern);
    const tRaw = t.pattern.raw;
    kernel<SpmvBackwardFn>('spmvBackwardTransposed')(A.rows, A.cols, indptr, indices, A.values.data, tRaw.indptr, tRaw.indices, t.perm, v.data, x.data, dA, dx);
    return [dA && new Tensor(dA, [A.nnz]), dx && new Tensor(dx, [A.cols])];
  });
}

type DSpmv = (...args: [...DeviceCsrArgs, x: DeviceArray, y: DeviceArray]) => void;
type DSpmvBackward = (
  ...args: [...DeviceCsrArgs, tIndptr: DeviceArray, tIndices: DeviceArray, perm: DeviceArray, v: DeviceArray, x: DeviceArray, dA: DeviceArray | null, dx: DeviceArray | null]
) => void;

function spmvDevice(A: CsrMatrix, x: Tensor): Tensor {
  const a = deviceCsr(A);
  const y = deviceEmpty(A.dtype, [A.rows]);
  kernel<DSpmv>('dSpmv')(...a, x.buffer, y.buffer);
  return record('spmv', y, [A.values, x], (v, needs) => {
    // dA = (v xᵀ) ⊙ mask(A);  dx = Aᵀ v  — as on the CPU, one gather pass over the
    // transpose structure (cached on A's pattern, on the device): no atomics, deterministic
    const dA = needs[0] ? deviceEmpty(A.dtype, [A.nnz]) : null;
    const dx = needs[1] ? deviceEmpty(A.dtype, [A.cols]) : null;
    const t = deviceTransposeInfo(A.pattern);
    const td = t.pattern.deviceArrays();
    kernel<DSpmvBackward>('dSpmvBackward')(...deviceCsr(A), td.indptr, td.indices, t.perm, v.buffer, x.buffer, dA?.buffer ?? null, dx?.buffer ?? null);
    return [dA, dx];
  });
}
