// denseSolve / denseTriangularSolve: forward against residuals and hand-worked
// cases, VJPs against float64 central differences, blocked paths (n above the
// block sizes), threads, float32, and the error messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseSolve, denseTriangularSolve, gradcheck, randn, setThreads, tensor, type Tensor } from '../../native/lib/index.js';
import { assertClose } from './../helpers.js';

/** A x computed here (row-major A n×n, x of n×k). */
function apply(A: Tensor, x: Tensor, part: 'full' | 'lower' | 'upper' = 'full', unit = false): number[] {
  const n = A.shape[0]!;
  const k = x.ndim === 1 ? 1 : x.shape[1]!;
  const out = new Array<number>(n * k).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (part === 'lower' && j > i) continue;
      if (part === 'upper' && j < i) continue;
      const a = unit && i === j ? 1 : A.data[i * n + j]!;
      for (let c = 0; c < k; c++) out[i * k + c] += a * x.data[j * k + c]!;
    }
  }
  return out;
}

/** A random n×n matrix with a weak diagonal, so partial pivoting must swap rows. */
function pivotingMatrix(n: number, seed: number, dtype: 'float64' | 'float32' = 'float64'): Tensor {
  const A = randn([n, n], { seed, dtype });
  for (let i = 0; i < n; i++) A.data[i * n + i]! *= 1e-3;
  return A;
}

function triangular(n: number, seed: number, dtype: 'float64' | 'float32' = 'float64'): Tensor {
  // Well conditioned: |diagonal| ≥ 1 + the row's off-diagonal scale.
  const L = randn([n, n], { seed, dtype });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) L.data[i * n + j]! /= Math.sqrt(n);
    L.data[i * n + i] = 2 + Math.abs(L.data[i * n + i]!);
  }
  return L;
}

test('denseSolve: hand-worked 2x2 that needs a row swap, and its VJPs', () => {
  // A = [[0, 1], [2, 3]], b = [1, 8] → x = [2.5, 1]
  const A = tensor([[0, 1], [2, 3]], { requiresGrad: true });
  const b = tensor([1, 8], { requiresGrad: true });
  const x = denseSolve(A, b);
  assertClose(x.toArray(), [2.5, 1]);
  x.backward(tensor([1, 0]));
  // g = A⁻ᵀ [1, 0]: Aᵀ = [[0, 2], [1, 3]] → g = [-1.5, 0.5]; dA = −g xᵀ
  assertClose(b.grad!.toArray(), [-1.5, 0.5]);
  assertClose(A.grad!.toArray(), [3.75, 1.5, -1.25, -0.5]);
});

test('denseSolve: residual of blocked LU (n = 200 > block 64), vector and matrix right-hand sides, 1 and 2 threads', () => {
  const n = 200;
  const A = pivotingMatrix(n, 3);
  const b = randn([n], { seed: 4 });
  const B = randn([n, 3], { seed: 5 });
  try {
    for (const threads of [1, 2]) {
      setThreads(threads);
      const x = denseSolve(A, b);
      assertClose(apply(A, x), b.data, { rtol: 1e-8, atol: 1e-8, msg: `A x = b, ${threads} thread(s)` });
      const X = denseSolve(A, B);
      assert.deepEqual(X.shape, [n, 3]);
      assertClose(apply(A, X), B.data, { rtol: 1e-8, atol: 1e-8, msg: `A X = B, ${threads} thread(s)` });
      assert.deepEqual([...denseSolve(A, b).toArray()], [...x.toArray()], 'deterministic for a given thread count');
    }
  } finally {
    setThreads(0);
  }
});

test('denseSolve: VJPs match central differences (vector and matrix b, with pivoting)', () => {
  for (const [n, k] of [[1, 0], [5, 0], [6, 3]] as const) {
    const A = pivotingMatrix(n, 10 + n);
    for (let i = 0; i < n; i++) A.data[i * n + i]! += 0.5; // keep it well conditioned for differences
    const b = k === 0 ? randn([n], { seed: 7 }) : randn([n, k], { seed: 7 });
    const r = gradcheck((a, bb) => denseSolve(a as Tensor, bb as Tensor), [A, b]);
    assert.ok(r.ok, `n=${n} k=${k}: ${JSON.stringify(r.failures.slice(0, 3))}`);
  }
});

test('denseSolve: the transposed solve of the backward pass at n = 150 (blocked)', () => {
  const n = 150;
  const A = pivotingMatrix(n, 21).requiresGrad_();
  const b = randn([n], { seed: 22 }).requiresGrad_();
  const v = randn([n], { seed: 23 });
  denseSolve(A, b).backward(v);
  // db = A⁻ᵀ v  ⇔  Aᵀ db = v
  const At = tensor(new Float64Array(n * n).map((_, p) => A.data[(p % n) * n + Math.floor(p / n)]!), { shape: [n, n] });
  assertClose(apply(At, b.grad!), v.data, { rtol: 1e-8, atol: 1e-8 });
});

test('denseSolve: float32 agrees with float64 within float32 tolerance', () => {
  const n = 70;
  const A64 = pivotingMatrix(n, 31);
  for (let i = 0; i < n; i++) A64.data[i * n + i]! += 8;
  const A32 = tensor(Float32Array.from(A64.data), { shape: [n, n] });
  const b64 = randn([n], { seed: 32 });
  const b32 = tensor(Float32Array.from(b64.data));
  const x32 = denseSolve(A32, b32);
  assert.equal(x32.dtype, 'float32');
  assertClose(x32.toArray(), denseSolve(A64, b64).toArray(), { rtol: 1e-3, atol: 1e-4 });
});

test('denseSolve: empty system, and the error messages', () => {
  assert.equal(denseSolve(tensor([], { shape: [0, 0] }), tensor([])).size, 0);
  assert.throws(() => denseSolve(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2])), { message: 'denseSolve: A must be square but has shape [2, 3]' });
  assert.throws(() => denseSolve(tensor([[1, 0], [0, 1]]), tensor([1, 2, 3])), { message: 'denseSolve: A has shape [2, 2] but b has shape [3] (needs 2 rows)' });
  assert.throws(() => denseSolve(tensor([1, 2]), tensor([1, 2])), { message: 'denseSolve: A must be 2-D but has shape [2]' });
  assert.throws(() => denseSolve(tensor([[1, 2], [2, 4]]), tensor([1, 2])), { message: 'denseSolve: the matrix is singular (zero pivot in column 1)' });
  assert.throws(() => denseSolve(tensor([[0, 1], [0, 3]]), tensor([1, 2])), { message: 'denseSolve: the matrix is singular (zero pivot in column 0)' });
  assert.throws(() => denseSolve(tensor([[1, 0], [0, 1]], { dtype: 'float32' }), tensor([1, 2])), {
    message: 'denseSolve: mixed dtypes: A is float32 but b is float64 (convert one with .to())',
  });
  assert.throws(() => denseSolve([[1]] as unknown as Tensor, tensor([1])), { message: 'denseSolve: expected a Tensor for A but received array of length 1' });
});

test('denseTriangularSolve: hand-worked lower and upper cases', () => {
  // L = [[2, 9], [1, 4]]: lower reads [[2, ·], [1, 4]]; b = [2, 5] → x = [1, 1]
  const L = tensor([[2, 9], [1, 4]]);
  assertClose(denseTriangularSolve(L, tensor([2, 5])).toArray(), [1, 1]);
  // upper reads [[2, 9], [·, 4]]; b = [11, 4] → x = [1, 1]
  assertClose(denseTriangularSolve(L, tensor([11, 4]), { lower: false }).toArray(), [1, 1]);
  // unit lower reads [[1, ·], [1, 1]]; b = [1, 3] → x = [1, 2]
  assertClose(denseTriangularSolve(L, tensor([1, 3]), { unitDiagonal: true }).toArray(), [1, 2]);
});

test('denseTriangularSolve: residuals at n = 300 (blocked, 1 and 2 threads), every side and diagonal kind', () => {
  const n = 300;
  const L = triangular(n, 41);
  const B = randn([n, 2], { seed: 42 });
  try {
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const lower of [true, false]) {
        for (const unit of [false, true]) {
          const X = denseTriangularSolve(L, B, { lower, unitDiagonal: unit });
          assertClose(apply(L, X, lower ? 'lower' : 'upper', unit), B.data, { rtol: 1e-9, atol: 1e-9, msg: `lower=${lower} unit=${unit} threads=${threads}` });
        }
      }
    }
  } finally {
    setThreads(0);
  }
});

test('denseTriangularSolve: VJPs match central differences; the gradient lives on the triangle', () => {
  for (const lower of [true, false]) {
    for (const unit of [false, true]) {
      for (const k of [0, 2]) {
        const L = triangular(6, 50);
        const b = k === 0 ? randn([6], { seed: 51 }) : randn([6, k], { seed: 51 });
        const r = gradcheck((l, bb) => denseTriangularSolve(l as Tensor, bb as Tensor, { lower, unitDiagonal: unit }), [L, b]);
        assert.ok(r.ok, `lower=${lower} unit=${unit} k=${k}: ${JSON.stringify(r.failures.slice(0, 3))}`);
        L.requiresGrad_();
        denseTriangularSolve(L, b, { lower, unitDiagonal: unit }).sum().backward();
        const g = L.grad!.data;
        for (let i = 0; i < 6; i++) {
          for (let j = 0; j < 6; j++) {
            const outside = lower ? j > i : j < i;
            if (outside || (unit && i === j)) assert.equal(g[i * 6 + j], 0, `dL[${i},${j}] outside the triangle`);
          }
        }
      }
    }
  }
});

test('denseTriangularSolve: float32, and the error messages', () => {
  const L64 = triangular(40, 60);
  const b64 = randn([40], { seed: 61 });
  const x32 = denseTriangularSolve(tensor(Float32Array.from(L64.data), { shape: [40, 40] }), tensor(Float32Array.from(b64.data)));
  assertClose(x32.toArray(), denseTriangularSolve(L64, b64).toArray(), { rtol: 1e-4, atol: 1e-5 });
  assert.throws(() => denseTriangularSolve(tensor([[1, 0], [1, 0]]), tensor([1, 2])), {
    message: 'denseTriangularSolve: L has a zero on the diagonal in row 1 (the triangular system is singular)',
  });
  // A zero diagonal is fine with unitDiagonal (it is not read).
  assertClose(denseTriangularSolve(tensor([[0, 0], [1, 0]]), tensor([1, 2]), { unitDiagonal: true }).toArray(), [1, 1]);
  assert.throws(() => denseTriangularSolve(tensor([[1, 0]]), tensor([1])), { message: 'denseTriangularSolve: L must be square but has shape [1, 2]' });
  assert.throws(() => denseTriangularSolve(tensor([[1]]), tensor([1]), { lower: 'yes' as unknown as boolean }), {
    message: 'denseTriangularSolve: expected a boolean for lower but received string "yes"',
  });
});
