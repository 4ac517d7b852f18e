import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, spmv, tensor } from '../../native/lib/index.js';

test('spmv: hand-worked 2x3 case, forward and both VJPs', () => {
  // A = [[1, 0, 2], [0, 3, 0]]
  const A = CsrMatrix.fromCoo([0, 0, 1], [0, 2, 1], [1, 2, 3], [2, 3], { requiresGrad: true });
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = spmv(A, x);
  assert.deepEqual([...y.toArray()], [7, 6]);
  const v = tensor([1, 10]);
  y.backward(v);
  // dA = (v xᵀ) ⊙ mask(A): entries (0,0)=1*1, (0,2)=1*3, (1,1)=10*2
  assert.deepEqual([...A.values.grad!.toArray()], [1, 3, 20]);
  // dx = Aᵀ v = [1, 30, 2]
  assert.deepEqual([...x.grad!.toArray()], [1, 30, 2]);
});
