import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, getThreads, gradcheck, randn, setThreads, spdmm, tensor, type DType, type Tensor } from '../../native/lib/index.js';
import { assertClose, denseMatmul, denseOf, randomCsr } from '../helpers.js';

/** Row-major nested rows of a 2-D tensor. */
function rowsOf(t: Tensor): number[][] {
  const [n, m] = t.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * m, (i + 1) * m)));
}

function transposeDense(a: number[][], cols: number): number[][] {
  return Array.from({ length: cols }, (_, j) => a.map((row) => row[j]!));
}

/** dA[p] = Σ_c V[i, c] D[j, c] for the stored entries, in CSR order. */
function maskedVDt(A: CsrMatrix, V: number[][], D: number[][]): number[] {
  const out: number[] = [];
  const ip = A.indptr;
  const ix = A.indices;
  for (let i = 0; i < A.rows; i++) {
    for (let p = ip[i]!; p < ip[i + 1]!; p++) {
      let s = 0;
      for (let c = 0; c < (V[i]?.length ?? 0); c++) s += V[i]![c]! * D[ix[p]!]![c]!;
      out.push(s);
    }
  }
  return out;
}

test('spdmm: hand-worked 2x3 times 3x2, forward and both VJPs', () => {
  // A = [[1, 0, 2], [0, 3, 0]], D = [[1, 2], [3, 4], [5, 6]]
  const A = CsrMatrix.fromCoo([0, 0, 1], [0, 2, 1], [1, 2, 3], [2, 3], { requiresGrad: true });
  const D = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
  const C = spdmm(A, D);
  assert.deepEqual(C.shape, [2, 2]);
  assert.deepEqual(C.toList(), [[11, 14], [9, 12]]);
  const V = tensor([[1, 0], [0, 10]]);
  C.backward(V);
  // dA = (V Dᵀ) ⊙ mask(A): (0,0) = V[0]·D[0] = 1, (0,2) = V[0]·D[2] = 5, (1,1) = V[1]·D[1] = 40
  assert.deepEqual([...A.values.grad!.toArray()], [1, 5, 40]);
  // dD = Aᵀ V = [[1, 0], [0, 30], [2, 0]]
  assert.deepEqual(D.grad!.toList(), [[1, 0], [0, 30], [2, 0]]);
});

const shapes: { name: string; rows: number; cols: number; m: number; emptyRows?: number[]; density?: number }[] = [
  { name: 'square', rows: 7, cols: 7, m: 3 },
  { name: 'rectangular wide', rows: 4, cols: 9, m: 5 },
  { name: 'rectangular tall', rows: 9, cols: 4, m: 2 },
  { name: 'empty rows', rows: 8, cols: 6, m: 4, emptyRows: [0, 3, 7] },
  { name: 'zero nnz', rows: 5, cols: 4, m: 3, density: 0 },
  { name: '1x1', rows: 1, cols: 1, m: 1, density: 1 },
  { name: 'one column of D', rows: 6, cols: 6, m: 1 },
  // Column counts that exercise the vector tiles, the leftover vectors and the scalar tail
  // of every instruction set (2, 4, 8 or 16 lanes, tiles of 4 vectors).
  { name: 'm = 37', rows: 6, cols: 5, m: 37 },
  { name: 'm = 70', rows: 5, cols: 6, m: 70 },
  { name: 'm = 64', rows: 4, cols: 4, m: 64 },
];

for (const s of shapes) {
  test(`spdmm: ${s.name} (${s.rows}x${s.cols} times ${s.cols}x${s.m}) matches the dense product and its VJPs`, () => {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const A = randomCsr(s.rows, s.cols, { dtype, seed: 3, density: s.density ?? 0.4, emptyRows: s.emptyRows, requiresGrad: true });
      const D = randn([s.cols, s.m], { dtype, seed: 4, requiresGrad: true });
      const V = randn([s.rows, s.m], { dtype, seed: 5 });
      const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
      const C = spdmm(A, D);
      assert.deepEqual(C.shape, [s.rows, s.m]);
      assertClose(C.toArray(), denseMatmul(denseOf(A), rowsOf(D)), { ...tol, msg: `${dtype} forward` });
      C.backward(V);
      assertClose(A.values.grad!.toArray(), maskedVDt(A, rowsOf(V), rowsOf(D)), { ...tol, msg: `${dtype} dA` });
      const dD = denseMatmul(transposeDense(denseOf(A), s.cols), rowsOf(V));
      assertClose(D.grad!.toArray(), dD, { ...tol, msg: `${dtype} dD` });
    }
  });
}

test('spdmm: gradcheck w.r.t. A and D (float64)', () => {
  for (const [rows, cols, m, emptyRows] of [[6, 5, 3, [2]], [3, 8, 7, []], [1, 1, 1, []], [5, 5, 18, [0, 4]]] as const) {
    const A = randomCsr(rows, cols, { seed: 11, density: 0.5, emptyRows: [...emptyRows] });
    const D = randn([cols, m], { seed: 12 });
    const r = gradcheck((a, d) => spdmm(a as CsrMatrix, d as Tensor), [A, D]);
    assert.ok(r.ok, `gradcheck ${rows}x${cols}x${m}: ${JSON.stringify(r.failures.slice(0, 3))}`);
  }
});

test('spdmm: only the gradients that are needed (A alone, D alone)', () => {
  const A = randomCsr(4, 5, { seed: 2, requiresGrad: true });
  const D = randn([5, 3], { seed: 3 });
  spdmm(A, D).backward(randn([4, 3], { seed: 4 }));
  assert.ok(A.values.grad);
  assert.equal(D.grad, null);

  const B = randomCsr(4, 5, { seed: 2 });
  const E = randn([5, 3], { seed: 3, requiresGrad: true });
  const V = randn([4, 3], { seed: 4 });
  spdmm(B, E).backward(V);
  assert.equal(B.values.grad, null);
  assertClose(E.grad!.toArray(), denseMatmul(transposeDense(denseOf(B), 5), rowsOf(V)));
});

test('spdmm: float32 agrees with float64 within float32 tolerance', () => {
  const A64 = randomCsr(30, 20, { seed: 8, density: 0.2 });
  const D64 = randn([20, 33], { seed: 9 });
  const A32 = A64.astype('float32');
  const D32 = tensor(Float32Array.from(D64.data), { shape: D64.shape });
  const C64 = spdmm(A64, D64).toArray();
  const C32 = spdmm(A32, D32);
  assert.equal(C32.dtype, 'float32');
  assertClose(C32.toArray(), C64, { rtol: 1e-5, atol: 1e-5 });
});

test('spdmm: results are identical for 1 and 2 threads, and repeatable', () => {
  const before = getThreads();
  try {
    const n = 6000;
    const A = CsrMatrix.poisson1d(n);
    const D = randn([n, 32], { seed: 1 });
    const V = randn([n, 32], { seed: 2 });
    const run = (threads: number): [Float64Array, Float64Array, Float64Array] => {
      setThreads(threads);
      const Ag = A.withValues(A.values.detach(), { requiresGrad: true });
      const Dg = D.detach().requiresGrad_();
      const C = spdmm(Ag, Dg);
      C.backward(V);
      return [C.toArray() as Float64Array, Ag.values.grad!.toArray() as Float64Array, Dg.grad!.toArray() as Float64Array];
    };
    const one = run(1);
    const two = run(2);
    const again = run(2);
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(two[k], one[k]);
      assert.deepEqual(again[k], two[k]);
    }
  } finally {
    setThreads(before);
  }
});

test('spdmm: through a sum() or mean() loss (the seed read as a broadcast row) the gradients are the hand-worked ones, bit for bit those of a materialised seed', () => {
  // 400×300 times 300×m, so C has ≥ 2800 entries and the loss's seed is a shared
  // constant (see transfer.ts); m = 7, 39, 71 take the scalar tail alone, vector
  // tiles and the tail, and several column tiles (on AVX-512, AVX2 and SSE2 alike).
  for (const dtype of ['float64', 'float32'] as DType[]) {
    const A0 = randomCsr(400, 300, { density: 0.03, seed: 21, dtype });
    for (const m of [7, 39, 71]) {
      const D0 = randn([300, m], { dtype, seed: 22 });
      for (const [loss, scale] of [['sum', 1], ['mean', 1 / (400 * m)]] as const) {
        const viaLoss = { A: A0.withValues(A0.values.detach(), { requiresGrad: true }), D: D0.detach().requiresGrad_() };
        const C = spdmm(viaLoss.A, viaLoss.D);
        (loss === 'sum' ? C.sum() : C.mean()).backward();
        const explicit = { A: A0.withValues(A0.values.detach(), { requiresGrad: true }), D: D0.detach().requiresGrad_() };
        spdmm(explicit.A, explicit.D).backward(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(400 * m).fill(scale), { shape: [400, m] }));
        const at = `${dtype} m=${m} ${loss}`;
        assert.deepEqual(Array.from(viaLoss.A.values.grad!.data), Array.from(explicit.A.values.grad!.data), `${at}: dA`);
        assert.deepEqual(Array.from(viaLoss.D.grad!.data), Array.from(explicit.D.grad!.data), `${at}: dD`);
        // By hand: dA[p] = scale Σ_c D[j, c];  dD[j, :] = scale Σ_i A[i, j] (every column).
        const D = rowsOf(D0);
        const colSum = new Array<number>(300).fill(0);
        for (let i = 0; i < 400; i++) for (let p = A0.indptr[i]!; p < A0.indptr[i + 1]!; p++) colSum[A0.indices[p]!]! += A0.values.data[p]!;
        const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
        assertClose(Array.from(viaLoss.A.values.grad!.data), Array.from(A0.indices, (j) => scale * D[j]!.reduce((a, b) => a + b, 0)), { ...tol, msg: `${at}: dA by hand` });
        assertClose(Array.from(viaLoss.D.grad!.data), colSum.flatMap((c) => new Array<number>(m).fill(scale * c)), { ...tol, msg: `${at}: dD by hand` });
      }
    }
  }
});

test('spdmm: the transpose structure used by the backward is cached on the pattern', () => {
  const A = randomCsr(5, 4, { seed: 1, requiresGrad: true });
  const D = randn([4, 2], { seed: 2, requiresGrad: true });
  spdmm(A, D).backward(randn([5, 2], { seed: 3 }));
  const cached = A.pattern.cache.get('transpose');
  assert.ok(cached);
  spdmm(A, D).backward(randn([5, 2], { seed: 3 }));
  assert.equal(A.pattern.cache.get('transpose'), cached);
});

test('spdmm: clear errors', () => {
  const A = CsrMatrix.fromCoo([0, 1, 2], [0, 1, 3], [1, 2, 3], [3, 4]);
  assert.throws(() => spdmm(A, randn([5, 2])), { message: 'spdmm: A has shape [3, 4] but D has shape [5, 2] (D needs 4 rows)' });
  assert.throws(() => spdmm(A, randn([4])), {
    message: 'spdmm: D must be a 2-D matrix but has shape [4]; for a matrix-vector product use spmv(A, x)',
  });
  assert.throws(() => spdmm(A, randn([4, 2, 1])), { message: 'spdmm: D must be a 2-D matrix but has shape [4, 2, 1]' });
  assert.throws(() => spdmm(A, randn([4, 2], { dtype: 'float32' })), {
    message: 'spdmm: mixed dtypes: A is float64 but D is float32 (convert one with .to())',
  });
  assert.throws(() => spdmm(randn([3, 4]) as unknown as CsrMatrix, randn([4, 2])), {
    message: 'spdmm: expected a CsrMatrix for A but received Tensor of shape [3, 4] (float64)',
  });
  assert.throws(() => spdmm(A, [[1, 2]] as unknown as Tensor), { message: 'spdmm: expected a Tensor for D but received array of length 1' });
});
