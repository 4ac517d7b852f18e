import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, getThreads, gradcheck, noGrad, setThreads, spgemm, tensor } from '../../native/lib/index.js';
import { assertClose, denseMatmul, denseOf, randomCsr } from '../helpers.js';

type Shape = [number, number];

/** The symbolic product, from the patterns alone: (i, j) for every stored A[i,k] and B[k,j]. */
function symbolicPattern(A: CsrMatrix, B: CsrMatrix): { indptr: number[]; indices: number[] } {
  const a = { ip: A.indptr, ix: A.indices };
  const b = { ip: B.indptr, ix: B.indices };
  const indptr = [0];
  const indices: number[] = [];
  for (let i = 0; i < A.rows; i++) {
    const cols = new Set<number>();
    for (let p = a.ip[i]!; p < a.ip[i + 1]!; p++) {
      const k = a.ix[p]!;
      for (let q = b.ip[k]!; q < b.ip[k + 1]!; q++) cols.add(b.ix[q]!);
    }
    indices.push(...[...cols].sort((x, y) => x - y));
    indptr.push(indices.length);
  }
  return { indptr, indices };
}

/** Checks C = A B: pattern = symbolic product, values = dense product read on it. */
function checkProduct(A: CsrMatrix, B: CsrMatrix, C: CsrMatrix, tol: { rtol?: number; atol?: number } = {}): void {
  assert.deepEqual(C.shape, [A.rows, B.cols]);
  const sym = symbolicPattern(A, B);
  assert.deepEqual([...C.indptr], sym.indptr, 'indptr');
  assert.deepEqual([...C.indices], sym.indices, 'indices (sorted, unique)');
  assertClose(denseOf(C), denseMatmul(denseOf(A), denseOf(B)), { rtol: 1e-12, atol: 1e-12, ...tol, msg: 'values' });
}

function gradOk(A: CsrMatrix, B: CsrMatrix): void {
  const r = gradcheck((a, b) => spgemm(a as CsrMatrix, b as CsrMatrix).values, [A, B]);
  assert.ok(r.ok, `gradcheck failed: ${JSON.stringify(r.failures.slice(0, 3))}`);
}

test('spgemm: hand-worked 2x2, forward and both VJPs', () => {
  // A = [[1, 2], [0, 3]], B = [[4, 0], [5, 6]]  =>  A B = [[14, 12], [15, 18]]
  const A = CsrMatrix.fromCoo([0, 0, 1], [0, 1, 1], [1, 2, 3], [2, 2], { requiresGrad: true });
  const B = CsrMatrix.fromCoo([0, 1, 1], [0, 0, 1], [4, 5, 6], [2, 2], { requiresGrad: true });
  const C = spgemm(A, B);
  assert.deepEqual([...C.indptr], [0, 2, 4]);
  assert.deepEqual([...C.indices], [0, 1, 0, 1]);
  assert.deepEqual([...C.values.toArray()], [14, 12, 15, 18]);
  // V = [[1, 2], [3, 4]]
  C.values.backward(tensor([1, 2, 3, 4]));
  // dA = (V Bᵀ) ⊙ mask(A): V Bᵀ = [[4, 17], [12, 39]] read at (0,0), (0,1), (1,1)
  assert.deepEqual([...A.grad!.toArray()], [4, 17, 39]);
  // dB = (Aᵀ V) ⊙ mask(B): Aᵀ V = [[1, 2], [11, 16]] read at (0,0), (1,0), (1,1)
  assert.deepEqual([...B.grad!.toArray()], [1, 11, 16]);
});

test('spgemm: hand-worked rectangular product with a partial pattern', () => {
  // A = [[1, 0, 2], [0, 3, 0]] (2x3), B = [[0, 4], [5, 0], [6, 7]] (3x2)
  const A = CsrMatrix.fromCoo([0, 0, 1], [0, 2, 1], [1, 2, 3], [2, 3]);
  const B = CsrMatrix.fromCoo([0, 1, 2, 2], [1, 0, 0, 1], [4, 5, 6, 7], [3, 2]);
  const C = spgemm(A, B);
  // row 0: [1*0 + 2*6, 1*4 + 2*7] = [12, 18]; row 1: only B's row 1 (column 0) = [15]
  assert.deepEqual([...C.indptr], [0, 2, 3]);
  assert.deepEqual([...C.indices], [0, 1, 0]);
  assert.deepEqual([...C.values.toArray()], [12, 18, 15]);
});

const shapes: { name: string; a: Shape; b: Shape; density?: number; emptyA?: number[]; emptyB?: number[] }[] = [
  { name: 'square 6x6 . 6x6', a: [6, 6], b: [6, 6] },
  { name: 'rectangular 3x5 . 5x4', a: [3, 5], b: [5, 4] },
  { name: 'rectangular 7x2 . 2x9', a: [7, 2], b: [2, 9], density: 0.5 },
  { name: 'empty rows in A and B', a: [6, 5], b: [5, 7], emptyA: [0, 3], emptyB: [1, 4], density: 0.5 },
  { name: '1x1', a: [1, 1], b: [1, 1], density: 1 },
  { name: 'dense-ish 8x8', a: [8, 8], b: [8, 8], density: 0.8 },
];

for (const s of shapes) {
  test(`spgemm: ${s.name}: forward against the dense product, VJPs against gradcheck`, () => {
    const A = randomCsr(s.a[0], s.a[1], { seed: 3, density: s.density ?? 0.4, emptyRows: s.emptyA });
    const B = randomCsr(s.b[0], s.b[1], { seed: 4, density: s.density ?? 0.4, emptyRows: s.emptyB });
    checkProduct(A, B, spgemm(A, B));
    gradOk(A, B);
  });
}

test('spgemm: long, nearly dense rows of C (columns collected by a scan instead of a sort)', () => {
  const A = randomCsr(3, 40, { seed: 20, density: 0.5 });
  const B = randomCsr(40, 600, { seed: 21, density: 0.3 });
  const C = spgemm(A, B);
  assert.ok(C.nnz > 3 * 500, `rows of C should be long (nnz ${C.nnz})`);
  checkProduct(A, B, C);
  const r = gradcheck((a, b) => spgemm(a as CsrMatrix, b as CsrMatrix).values, [A, B], { maxEntries: 60 });
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 3)));
});

test('spgemm: operands with no nonzeros, and zero-sized dimensions', () => {
  const Z = CsrMatrix.fromCoo([], [], [], [3, 4]);
  const B = randomCsr(4, 2, { seed: 5, density: 0.6 });
  const C = spgemm(Z, B);
  assert.deepEqual(C.shape, [3, 2]);
  assert.equal(C.nnz, 0);
  assert.deepEqual([...C.indptr], [0, 0, 0, 0]);
  const A = randomCsr(2, 4, { seed: 6, density: 0.6 });
  assert.equal(spgemm(A, CsrMatrix.fromCoo([], [], [], [4, 5])).nnz, 0);
  // Inner dimension 0, and an empty result shape.
  const K0 = spgemm(CsrMatrix.fromCoo([], [], [], [2, 0]), CsrMatrix.fromCoo([], [], [], [0, 3]));
  assert.deepEqual(K0.shape, [2, 3]);
  assert.equal(K0.nnz, 0);
  assert.deepEqual(spgemm(CsrMatrix.fromCoo([], [], [], [0, 4]), B).shape, [0, 2]);
  // Gradients through an empty product are zero, never an error.
  const Ag = randomCsr(2, 4, { seed: 7, density: 0.6, requiresGrad: true });
  const Zg = CsrMatrix.fromCoo([], [], [], [4, 3], { requiresGrad: true });
  const E = spgemm(Ag, Zg);
  assert.equal(E.nnz, 0);
  E.values.backward(tensor(new Float64Array(0)));
  assert.deepEqual([...Ag.grad!.toArray()], new Array(Ag.nnz).fill(0));
  assert.equal(Zg.grad!.size, 0);
  gradOk(Ag.detach(), Zg.detach());
});

test('spgemm: structural cancellation keeps explicit zeros (the pattern is the symbolic product)', () => {
  // A = [[1, 1]], B = [[1], [-1]]: A B = [[0]], stored.
  const A = CsrMatrix.fromCoo([0, 0], [0, 1], [1, 1], [1, 2]);
  const B = CsrMatrix.fromCoo([0, 1], [0, 0], [1, -1], [2, 1]);
  const C = spgemm(A, B);
  assert.equal(C.nnz, 1);
  assert.deepEqual([...C.values.toArray()], [0]);
  gradOk(A, B);
  // A larger case: [[1, 1], [1, -1]] squared has a stored zero at (0, 1) and (1, 0).
  const M = CsrMatrix.fromCoo([0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, -1], [2, 2]);
  const M2 = spgemm(M, M);
  assert.deepEqual([...M2.indices], [0, 1, 0, 1]);
  assert.deepEqual([...M2.values.toArray()], [2, 0, 0, 2]);
});

test('spgemm: A times itself accumulates both VJPs into one gradient', () => {
  const A = randomCsr(5, 5, { seed: 8, density: 0.5 });
  const r = gradcheck((a) => spgemm(a as CsrMatrix, a as CsrMatrix).values, [A]);
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 3)));
});

test('spgemm: float32 agrees with float64', () => {
  const A64 = randomCsr(9, 7, { seed: 9, density: 0.4 });
  const B64 = randomCsr(7, 8, { seed: 10, density: 0.4 });
  const A32 = A64.withValues(Float32Array.from(A64.values.data), { dtype: 'float32' });
  const B32 = B64.withValues(Float32Array.from(B64.values.data), { dtype: 'float32' });
  const C64 = spgemm(A64, B64);
  const C32 = spgemm(A32, B32);
  assert.equal(C32.dtype, 'float32');
  assert.deepEqual([...C32.indices], [...C64.indices]);
  assertClose(C32.values.data, C64.values.data, { rtol: 1e-5, atol: 1e-5 });
  checkProduct(A32, B32, C32, { rtol: 1e-5, atol: 1e-5 });
  // Gradients, with the same seed in both precisions.
  const seed = Float64Array.from({ length: C64.nnz }, (_, k) => Math.sin(k + 1));
  const grads = (A: CsrMatrix, B: CsrMatrix, f32: boolean): [Float64Array, Float64Array] => {
    const a = A.withValues(A.values.detach(), { requiresGrad: true });
    const b = B.withValues(B.values.detach(), { requiresGrad: true });
    spgemm(a, b).values.backward(tensor(f32 ? Float32Array.from(seed) : seed));
    return [Float64Array.from(a.grad!.data), Float64Array.from(b.grad!.data)];
  };
  const [dA64, dB64] = grads(A64, B64, false);
  const [dA32, dB32] = grads(A32, B32, true);
  assertClose(dA32, dA64, { rtol: 1e-5, atol: 1e-5 });
  assertClose(dB32, dB64, { rtol: 1e-5, atol: 1e-5 });
});

test('spgemm: a repeated product reuses the cached pattern and follows new values', () => {
  const A = randomCsr(6, 6, { seed: 11, density: 0.4 });
  const B = randomCsr(6, 6, { seed: 12, density: 0.4 });
  const C1 = spgemm(A, B);
  const B2 = B.withValues(B.values.data.map((x) => 2 * x - 1));
  const C2 = spgemm(A, B2); // same patterns: same C pattern object, new values
  assert.equal(C2.pattern, C1.pattern);
  checkProduct(A, B2, C2);
  // A different pattern object with the same structure gets its own (equal) pattern.
  const B3 = CsrMatrix.fromCsr(B.indptr, B.indices, B.values.toArray(), [6, 6]);
  const C3 = spgemm(A, B3);
  assert.ok(C3.pattern.equals(C1.pattern));
  checkProduct(A, B3, C3);
});

test('spgemm: noGrad records nothing; only the inputs that need a gradient get one', () => {
  const A = randomCsr(4, 4, { seed: 13, requiresGrad: true });
  const B = randomCsr(4, 4, { seed: 14 });
  assert.equal(noGrad(() => spgemm(A, B)).requiresGrad, false);
  const C = spgemm(A, B);
  C.values.backward(tensor(new Float64Array(C.nnz).fill(1)));
  assert.ok(A.grad);
  assert.equal(B.grad, null);
});

test('spgemm: results do not depend on the thread count beyond rounding (forward bitwise)', () => {
  const before = getThreads();
  const A = randomCsr(300, 200, { seed: 15, density: 0.06, emptyRows: [0, 1, 150] });
  const B = randomCsr(200, 250, { seed: 16, density: 0.06 });
  const run = (threads: number): { c: Float64Array; dA: Float64Array; dB: Float64Array; indices: Int32Array } => {
    setThreads(threads);
    const a = A.withValues(A.values.detach(), { requiresGrad: true });
    const b = B.withValues(B.values.detach(), { requiresGrad: true });
    const C = spgemm(a, b);
    C.values.backward(tensor(Float64Array.from({ length: C.nnz }, (_, k) => Math.cos(k))));
    return { c: C.values.toArray() as Float64Array, dA: a.grad!.toArray() as Float64Array, dB: b.grad!.toArray() as Float64Array, indices: C.indices };
  };
  try {
    // Fresh patterns per thread count, so the symbolic pass runs each time too.
    const one = run(1);
    A.pattern.cache.clear();
    const two = run(2);
    A.pattern.cache.clear();
    const four = run(4);
    for (const r of [two, four]) {
      assert.deepEqual(r.indices, one.indices);
      assert.deepEqual(r.c, one.c);
      assert.deepEqual(r.dA, one.dA);
      assertClose(r.dB, one.dB, { rtol: 1e-12, atol: 1e-12 });
    }
    checkProduct(A, B, spgemm(A, B));
  } finally {
    setThreads(before);
  }
});

test('spgemm: bad input gets a clear error', () => {
  const A = randomCsr(3, 5, { seed: 17 });
  const B = randomCsr(4, 4, { seed: 18 });
  assert.throws(() => spgemm(A, B), { message: 'spgemm: A has shape [3, 5] but B has shape [4, 4] (A.cols must equal B.rows)' });
  const B32 = randomCsr(5, 2, { seed: 19, dtype: 'float32' });
  assert.throws(() => spgemm(A, B32), { message: 'spgemm: mixed dtypes: A is float64 but B is float32 (convert one with .to())' });
  assert.throws(() => spgemm(tensor([[1, 2]]) as unknown as CsrMatrix, B), {
    message: 'spgemm: expected a CsrMatrix for A but received Tensor of shape [1, 2] (float64)',
  });
  assert.throws(() => spgemm(A, null as unknown as CsrMatrix), { message: 'spgemm: expected a CsrMatrix for B but received null' });
  assert.throws(() => spgemm(A, [[1]] as unknown as CsrMatrix), { message: 'spgemm: expected a CsrMatrix for B but received array of length 1' });
});

test('spgemm: an A with no rows gives an all-zero dB, also for a large B (outputs are not zero-filled)', () => {
  for (let trial = 0; trial < 5; trial++) {
    const A = CsrMatrix.fromCoo([], [], [], [0, 100], { requiresGrad: true });
    const B = randomCsr(100, 100, { density: 0.5, seed: 40 + trial });
    const Bg = B.withValues(B.values.detach(), { requiresGrad: true });
    // Fill the allocator with nonzero garbage first, as a long session would.
    for (let k = 0; k < 4; k++) spgemm(B, B);
    const C = spgemm(A, Bg);
    assert.equal(C.nnz, 0);
    C.values.backward(tensor([]));
    assert.equal(Bg.grad!.size, B.nnz);
    assert.ok(Bg.grad!.data.every((g) => g === 0), 'dB = Aᵀ V = 0 when A has no rows');
  }
});
