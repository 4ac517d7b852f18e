// Dense matmul through the native GEMM (OpenBLAS when built in; gemm_cuda for
// 'cuda' tensors, one binding for either): 2-D × 2-D, 2-D × 1-D, 1-D × 2-D and 1-D × 1-D (a dot
// product), as torch.matmul.
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { assertTensor, sameKind } from './check.js';
import { dot } from './reduce.js';
import { empty, type Storage, storage } from './transfer.js';

/** C[m, n] = op(A) op(B), row-major; A is [m, k] (or [k, m] when transA), B is [k, n] (or [n, k]). */
type Gemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, A: Storage, B: Storage, C: Storage) => void;

export function denseMatmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  assertTensor(op, 'a', a);
  assertTensor(op, 'b', b);
  if (a.ndim < 1 || a.ndim > 2 || b.ndim < 1 || b.ndim > 2) {
    fail(op, `expected 1-D or 2-D tensors but a has shape ${shapeStr(a.shape)} and b has shape ${shapeStr(b.shape)}`);
  }
  sameKind(op, ['a', a], ['b', b]);
  // A 1-D a is a row [1, k]; a 1-D b is a column [k, 1]; those axes are dropped from the result.
  const [m, k] = a.ndim === 2 ? (a.shape as [number, number]) : [1, a.shape[0]!];
  const [kb, n] = b.ndim === 2 ? (b.shape as [number, number]) : [b.shape[0]!, 1];
  if (k !== kb) {
    fail(op, `a has shape ${shapeStr(a.shape)} but b has shape ${shapeStr(b.shape)}: the inner dimensions (${k} and ${kb}) differ`);
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  const outShape = a.ndim === 1 ? [n] : b.ndim === 1 ? [m] : [m, n];
  const gemm = kernel<Gemm>('gemm');
  const c = empty(a.dtype, outShape, a.device);
  gemm(false, false, m, n, k, storage(a), storage(b), storage(c));
  return record(op, c, [a, b], (v, needs) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      // dA = V Bᵀ
      da = empty(a.dtype, a.shape, a.device);
      gemm(false, true, m, k, n, storage(v), storage(b), storage(da));
    }
    if (needs[1]) {
      // dB = Aᵀ V
      db = empty(b.dtype, b.shape, b.device);
      gemm(true, false, k, n, m, storage(a), storage(v), storage(db));
    }
    return [da, db];
  });
}
