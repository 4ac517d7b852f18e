// SpGEMM: C = A B for CsrMatrix A, B (Gustavson's row-wise product).
//
// C's pattern is the symbolic product of the two patterns (entries that cancel
// numerically are kept as explicit zeros), so it depends on the patterns alone:
// it is computed once per pair of patterns and cached on A's pattern, keyed by
// B's pattern object; later products with the same patterns (a training loop)
// run the numeric pass only, and share C's pattern object.
//
// On the device the cache is the same: a pattern pair seen first on the device
// gets its product structure from the device kernel, downloaded once to build
// C's pattern, whose device arrays are the kernel's own.
import { record } from '../autograd.js';
import { kernel, type FloatArray } from '../addon.js';
import { uninit } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { CsrMatrix, CsrPattern } from '../csr.js';
import { deviceAlloc, type DeviceArray, download } from '../device.js';
import { csrArg, sameKind } from './check.js';
import { deviceCsr, type DeviceCsrArgs, deviceEmpty, deviceTensor } from './transfer.js';

type Operands = [
  aRows: number, aCols: number, aIndptr: Int32Array, aIndices: Int32Array, aValues: FloatArray,
  bRows: number, bCols: number, bIndptr: Int32Array, bIndices: Int32Array, bValues: FloatArray,
];
type Product = (...args: [...Operands, cIndptr: Int32Array]) => [cIndices: Int32Array, cValues: FloatArray];
type Numeric = (...args: [...Operands, cIndptr: Int32Array, cIndices: Int32Array, cValues: FloatArray]) => void;
type Backward = (...args: [...Operands, cIndptr: Int32Array, cIndices: Int32Array, v: FloatArray, dA: FloatArray | null, dB: FloatArray | null]) => void;

/** The product patterns computed with A's pattern as left operand, by right operand pattern. */
function productCache(A: CsrPattern): WeakMap<CsrPattern, CsrPattern> {
  let cache = A.cache.get('spgemm') as WeakMap<CsrPattern, CsrPattern> | undefined;
  if (!cache) {
    cache = new WeakMap();
    A.cache.set('spgemm', cache);
  }
  return cache;
}

export function spgemm(A: CsrMatrix, B: CsrMatrix): CsrMatrix {
  const op = 'spgemm';
  // Validate arguments
  csrArg(op, 'A', A);
  csrArg(op, 'B', B);
  if (A.cols !== B.rows) fail(op, `A has shape ${shapeStr(A.shape)} but B has shape ${shapeStr(B.shape)} (A.cols must equal B.rows)`);
  sameKind(op, ['A', A], ['B', B]);
  if (A.device === 'cuda') return spgemmDevice(A, B);

  // Forward: the full product (structure and values) only for a new pair of patterns.
  const a = A.pattern.raw;
  const b = B.pattern.raw;
  const operands: Operands = [A.rows, A.cols, a.indptr, a.indices, A.values.data, B.rows, B.cols, b.indptr, b.indices, B.values.data];
  const cache = productCache(A.pattern);
  let pattern = cache.get(B.pattern);
  let values: FloatArray;
  if (pattern) {
    const c = pattern.raw;
    values = uninit(A.dtype, pattern.nnz);
    kernel<Numeric>('spgemmNumeric')(...operands, c.indptr, c.indices, values);
  } else {
    const indptr = new Int32Array(A.rows + 1);
    let indices: Int32Array;
    [indices, values] = kernel<Product>('spgemm')(...operands, indptr);
    pattern = new CsrPattern(A.rows, B.cols, indptr, indices);
    cache.set(B.pattern, pattern);
  }
  const C = new CsrMatrix(pattern, new Tensor(values, [pattern.nnz]));

  const c = pattern.raw;
  record(op, C.values, [A.values, B.values], (v, needs) => {
    // dA = (V Bᵀ) ⊙ mask(A)
    const dA = needs[0] ? uninit(A.dtype, A.nnz) : null;
    // dB = (Aᵀ V) ⊙ mask(B)
    const dB = needs[1] ? uninit(B.dtype, B.nnz) : null;
    kernel<Backward>('spgemmBackward')(...operands, c.indptr, c.indices, v.data, dA, dB);
    return [dA && new Tensor(dA, [A.nnz]), dB && new Tensor(dB, [B.nnz])];
  });
  return C;
}

type DOperands = [...DeviceCsrArgs, ...DeviceCsrArgs];
type DCStructure = [cNnz: number, cIndptr: DeviceArray, cIndices: DeviceArray];
type DProduct = (...args: [...DOperands, cIndptr: DeviceArray]) => [cIndices: DeviceArray, cValues: DeviceArray];
type DNumeric = (...args: [...DOperands, ...DCStructure, cValues: DeviceArray]) => void;
type DBackward = (...args: [...DOperands, ...DCStructure, v: DeviceArray, dA: DeviceArray | null, dB: DeviceArray | null]) => void;

function spgemmDevice(A: CsrMatrix, B: CsrMatrix): CsrMatrix {
  const operands: DOperands = [...deviceCsr(A), ...deviceCsr(B)];
  const cache = productCache(A.pattern);
  let pattern = cache.get(B.pattern);
  let values: Tensor;
  if (pattern) {
    const c = pattern.deviceArrays();
    values = deviceEmpty(A.dtype, [pattern.nnz]);
    kernel<DNumeric>('dSpgemmNumeric')(...operands, pattern.nnz, c.indptr, c.indices, values.buffer);
  } else {
    const indptr = deviceAlloc('int32', A.rows + 1);
    let indices: DeviceArray;
    let vals: DeviceArray;
    try {
      [indices, vals] = kernel<DProduct>('dSpgemm')(...operands, indptr);
    } catch (e) {
      indptr.dispose();
      throw e;
    }
    // C's pattern needs host arrays (every pattern has them): one download per pair of patterns.
    pattern = new CsrPattern(A.rows, B.cols, download(indptr) as Int32Array, download(indices) as Int32Array);
    pattern.deviceArrays({ indptr, indices });
    cache.set(B.pattern, pattern);
    values = deviceTensor(vals, [pattern.nnz]);
  }
  const C = new CsrMatrix(pattern, values);

  const c = pattern; // C's pattern, for the closure
  record('spgemm', values, [A.values, B.values], (v, needs) => {
    // dA = (V Bᵀ) ⊙ mask(A)
    const dA = needs[0] ? deviceEmpty(A.dtype, [A.nnz]) : null;
    // dB = (Aᵀ V) ⊙ mask(B)  (atomic adds on the GPU)
    const dB = needs[1] ? deviceEmpty(B.dtype, [B.nnz]) : null;
    const cd = c.deviceArrays();
    kernel<DBackward>('dSpgemmBackward')(...deviceCsr(A), ...deviceCsr(B), c.nnz, cd.indptr, cd.indices, v.buffer, dA?.buffer ?? null, dB?.buffer ?? null);
    return [dA, dB];
  });
  return C;
}
