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
import { CsrMatrix, CsrPattern } from '../csr.js';
import { deviceAlloc, type DeviceArray, download } from '../device.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, sameKind } from './check.js';
import { type CsrArgs, csrArgs, deviceTensor, empty, storage, type Storage, storageOrNull, structureOn } from './transfer.js';

type Index = Int32Array | DeviceArray;
type Operands = [...CsrArgs, ...CsrArgs];
type CStructure = [cNnz: number, cIndptr: Index, cIndices: Index];
type Product = (...args: [...Operands, cIndptr: Index]) => [cIndices: Index, cValues: Storage];
type Numeric = (...args: [...Operands, ...CStructure, cValues: Storage]) => void;
type Backward = (...args: [...Operands, ...CStructure, v: Storage, dA: Storage | null, dB: Storage | null]) => void;

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

  // Forward: the full product (structure and values) only for a new pair of patterns.
  const device = A.device;
  const operands: Operands = [...csrArgs(A), ...csrArgs(B)];
  const cache = productCache(A.pattern);
  let pattern = cache.get(B.pattern);
  let values: Tensor;
  if (pattern) {
    const c = structureOn(pattern, device);
    values = empty(A.dtype, [pattern.nnz], device);
    kernel<Numeric>('spgemmNumeric')(...operands, pattern.nnz, c.indptr, c.indices, storage(values));
  } else if (device === 'cpu') {
    const indptr = new Int32Array(A.rows + 1);
    const [indices, vals] = kernel<Product>('spgemm')(...operands, indptr);
    pattern = new CsrPattern(A.rows, B.cols, indptr, indices as Int32Array);
    cache.set(B.pattern, pattern);
    values = new Tensor(vals as FloatArray, [pattern.nnz]);
  } else {
    const indptr = deviceAlloc('int32', A.rows + 1);
    let indices: Index;
    let vals: Storage;
    try {
      [indices, vals] = kernel<Product>('spgemm')(...operands, indptr);
    } catch (e) {
      indptr.dispose();
      throw e;
    }
    // C's pattern needs host arrays (every pattern has them): one download per pair of patterns.
    pattern = new CsrPattern(A.rows, B.cols, download(indptr) as Int32Array, download(indices as DeviceArray) as Int32Array);
    pattern.deviceArrays({ indptr, indices: indices as DeviceArray });
    cache.set(B.pattern, pattern);
    values = deviceTensor(vals as DeviceArray, [pattern.nnz]);
  }
  const C = new CsrMatrix(pattern, values);

  const c = pattern; // C's pattern, for the closure
  // dA = (V Bᵀ) ⊙ mask(A);  dB = (Aᵀ V) ⊙ mask(B)  (atomic adds on the GPU)
  record(op, values, [A.values, B.values], (v, needs) => {
    const dA = needs[0] ? empty(A.dtype, [A.nnz], device) : null;
    const dB = needs[1] ? empty(B.dtype, [B.nnz], device) : null;
    const cs = structureOn(c, device);
    kernel<Backward>('spgemmBackward')(...csrArgs(A), ...csrArgs(B), c.nnz, cs.indptr, cs.indices, storage(v), storageOrNull(dA), storageOrNull(dB));
    return [dA, dB];
  });
  return C;
}
