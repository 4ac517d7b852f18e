import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, randn, spmv, tensor, type DType, type Tensor } from '../../native/lib/index.js';
import { assertClose, randomCsr } from '../helpers.js';

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

test('spmv: through a sum() or mean() loss (the seed read as a broadcast) the gradients are the hand-worked ones, bit for bit those of a materialised seed', () => {
  // 3000 rows, so the loss's seed is a shared constant (transfer.ts); x needs grad or not.
  for (const dtype of ['float64', 'float32'] as DType[]) {
    const A0 = randomCsr(3000, 2000, { density: 0.002, seed: 31, dtype });
    const x0 = randn([2000], { dtype, seed: 32 });
    for (const [loss, scale] of [['sum', 1], ['mean', 1 / 3000]] as const) {
      for (const xNeedsGrad of [true, false]) {
        const run = (seed: Tensor | null): { dA: number[]; dx: number[] | null } => {
          const A = A0.withValues(A0.values.detach(), { requiresGrad: true });
          const x = xNeedsGrad ? x0.detach().requiresGrad_() : x0;
          const y = spmv(A, x);
          if (seed) y.backward(seed);
          else (loss === 'sum' ? y.sum() : y.mean()).backward();
          return { dA: Array.from(A.values.grad!.data), dx: xNeedsGrad ? Array.from(x.grad!.data) : null };
        };
        const viaLoss = run(null);
        const explicit = run(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(3000).fill(scale)));
        assert.deepEqual(viaLoss, explicit, `${dtype} ${loss}`);
        // By hand: dA[p] = scale x[j];  dx[j] = scale Σ_i A[i, j].
        const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
        assertClose(viaLoss.dA, Array.from(A0.indices, (j) => scale * x0.data[j]!), { ...tol, msg: `${dtype} ${loss}: dA` });
        if (xNeedsGrad) {
          const colSum = new Array<number>(2000).fill(0);
          for (let p = 0; p < A0.nnz; p++) colSum[A0.indices[p]!]! += A0.values.data[p]!;
          assertClose(viaLoss.dx!, colSum.map((c) => scale * c), { ...tol, msg: `${dtype} ${loss}: dx` });
        }
      }
    }
  }
});
