// SpDMM: C = A D for a CsrMatrix A (n×k) and a dense 2-D Tensor D (k×m).
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { DeviceArray } from '../device.js';
import { assertTensor, csrArg, sameKind } from './check.js';
import { deviceTransposeInfo, transposeInfo } from './transpose_cache.js';
import { deviceCsr, type DeviceCsrArgs, deviceEmpty } from './transfer.js';

type Pattern = [rows: number, cols: number, indptr: Int32Array, indices: Int32Array];
type Spdmm = (...a: [...Pattern, values: FloatArray, D: FloatArray, m: number, C: FloatArray]) => void;
type SpdmmBackward = (
  ...a: [...Pattern, perm: Int32Array, values: FloatArray, V: FloatArray, D: FloatArray, m: number, dA: FloatArray | null, dD: FloatArray | null]
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
  if (A.device === 'cuda') return spdmmDevice(A, D, m);

  const { rows, cols } = A;
  const { indptr, indices } = A.pattern.raw;
  const C = uninit(A.dtype, rows * m);
  kernel<Spdmm>('spdmm')(rows, cols, indptr, indices, A.values.data, D.data, m, C);
  const out = new Tensor(C, [rows, m]);

  return record(op, out, [A.values, D], (V, needs) => {
    // Both in one pass over the rows of Aᵀ (its structure cached on A's pattern):
    // dA = (V Dᵀ) ⊙ mask(A)
    const dA = needs[0] ? uninit(A.dtype, A.nnz) : null;
    // dD = Aᵀ V
    const dD = needs[1] ? uninit(A.dtype, cols * m) : null;
    const t = transposeInfo(A.pattern);
    const tr = t.pattern.raw;
    kernel<SpdmmBackward>('spdmmBackward')(cols, rows, tr.indptr, tr.indices, t.perm, A.values.data, V.data, D.data, m, dA, dD);
    return [dA && new Tensor(dA, [A.nnz]), dD && new Tensor(dD, [cols, m])];
  });
}

type DSpdmm = (...a: [...DeviceCsrArgs, D: DeviceArray, m: number, C: DeviceArray]) => void;
type DSpdmmBackward = (
  ...a: [...DeviceCsrArgs, tIndptr: DeviceArray, tIndices: DeviceArray, perm: DeviceArray, V: DeviceArray, D: DeviceArray, m: number, dA: DeviceArray | null, dD: DeviceArray | null]
) => void;

function spdmmDevice(A: CsrMatrix, D: Tensor, m: number): Tensor {
  const C = deviceEmpty(A.dtype, [A.rows, m]);
  kernel<DSpdmm>('dSpdmm')(...deviceCsr(A), D.buffer, m, C.buffer);
  return record('spdmm', C, [A.values, D], (V, needs) => {
    // dA = (V Dᵀ) ⊙ mask(A)
    const dA = needs[0] ? deviceEmpty(A.dtype, [A.nnz]) : null;
    // dD = Aᵀ V, over the rows of Aᵀ (its structure cached on A's pattern, on the device): no atomics
    const dD = needs[1] ? deviceEmpty(A.dtype, [A.cols, m]) : null;
    const t = deviceTransposeInfo(A.pattern);
    const td = t.pattern.deviceArrays();
    kernel<DSpdmmBackward>('dSpdmmBackward')(...deviceCsr(A), td.indptr, td.indices, t.perm, V.buffer, D.buffer, m, dA?.buffer ?? null, dD?.buffer ?? null);
    return [dA, dD];
  });
}
