import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { buildInfo, CsrMatrix, Generator, type DType, gradcheck, SparseLU, splu, spsolve, tensor, Tensor } from '../../native/lib/index.js';
import { assertClose, denseOf, randomCsr, sharedData } from '../helpers.js';

/** Dense Gaussian elimination with partial pivoting: the independent reference. b is n×k nested. */
function denseSolve(A: number[][], b: number[][]): number[][] {
  const n = A.length;
  const k = n === 0 ? 0 : b[0]!.length;
  const M = A.map((row, i) => [...row, ...b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (M[p]![c] === 0) throw new Error('reference: singular');
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      if (f !== 0) for (let j = c; j < n + k; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  const x = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let c = 0; c < k; c++) {
      let s = M[i]![n + c]!;
      for (let j = i + 1; j < n; j++) s -= M[i]![j]! * x[j]![c]!;
      x[i]![c] = s / M[i]![i]!;
    }
  }
  return x;
}

function transposeDense(A: number[][]): number[][] {
  return A.length === 0 ? [] : A[0]!.map((_, j) => A.map((row) => row[j]!));
}

function randomB(n: number, k: number | null, seed: number, dtype: DType = 'float64'): Tensor {
  const gen = new Generator(seed);
  const data = Float64Array.from({ length: n * (k ?? 1) }, () => gen.normal());
  return tensor(data, { dtype, shape: k === null ? [n] : [n, k] });
}

function nested(t: Tensor): number[][] {
  const k = t.ndim === 1 ? 1 : t.shape[1]!;
  return Array.from({ length: t.shape[0]! }, (_, i) => Array.from(t.data.subarray(i * k, (i + 1) * k)));
}

/** A random unsymmetric matrix whose rows are permuted, so that its diagonal is mostly zero and pivoting is needed. */
function needsPivoting(n: number, seed: number): CsrMatrix {
  const A = randomCsr(n, n, { seed, density: 0.25, diagonal: 3 });
  const gen = new Generator(seed + 1);
  const perm = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const r = gen.integer(i + 1);
    [perm[i], perm[r]] = [perm[r]!, perm[i]!];
  }
  const ip = A.indptr;
  const ix = A.indices;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let p = ip[perm[i]!]!; p < ip[perm[i]! + 1]!; p++) {
      r.push(i); c.push(ix[p]!); v.push(A.values.data[p]!);
    }
  }
  return CsrMatrix.fromCoo(r, c, v, [n, n]);
}

/** Minimal MatrixMarket reader (coordinate real/integer, general/symmetric) so this test does not depend on the engine's. */
function readMtx(path: string): CsrMatrix {
  const lines = readFileSync(path, 'utf8').split('\n');
  const banner = lines[0]!.toLowerCase();
  const symmetric = banner.includes('symmetric');
  let k = 1;
  while (lines[k]!.startsWith('%') || lines[k]!.trim() === '') k++;
  const [rows, cols] = lines[k]!.trim().split(/\s+/).map(Number) as [number, number];
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (const line of lines.slice(k + 1)) {
    const t = line.trim();
    if (t === '' || t.startsWith('%')) continue;
    const [i, j, x] = t.split(/\s+/).map(Number) as [number, number, number];
    r.push(i - 1); c.push(j - 1); v.push(x);
    if (symmetric && i !== j) { r.push(j - 1); c.push(i - 1); v.push(x); }
  }
  return CsrMatrix.fromCoo(r, c, v, [rows, cols]);
}

test('spsolve: built with KLU', () => {
  assert.equal(buildInfo().klu, true, 'this build has no SuiteSparse KLU; spsolve would throw "spsolve: built without SuiteSparse KLU"');
});

test('spsolve: hand-worked cases, including a zero diagonal that needs pivoting', () => {
  // [[0, 1], [1, 0]] x = [1, 2]  =>  x = [2, 1]
  assert.deepEqual([...spsolve(CsrMatrix.fromDense([[0, 1], [1, 0]]), tensor([1, 2])).toArray()], [2, 1]);
  // [[2, 1], [0, 3]] x = [1, 3]  =>  x1 = 1, x0 = 0 (unsymmetric: Aᵀ would give [0.5, 5/6])
  assert.deepEqual([...spsolve(CsrMatrix.fromDense([[2, 1], [0, 3]]), tensor([1, 3])).toArray()], [0, 1]);
  // 1×1
  assert.deepEqual([...spsolve(CsrMatrix.fromDense([[4]]), tensor([2])).toArray()], [0.5]);
  // several right-hand sides: [[0, 2], [4, 0]] X = [[2, 4], [8, 4]]  =>  X = [[2, 1], [1, 2]]
  const X = spsolve(CsrMatrix.fromDense([[0, 2], [4, 0]]), tensor([[2, 4], [8, 4]]));
  assert.deepEqual(X.shape, [2, 2]);
  assert.deepEqual([...X.toArray()], [2, 1, 1, 2]);
});

test('spsolve: hand-worked VJP of an unsymmetric 2x2 solve', () => {
  // A = [[2, 1], [0, 3]], b = [1, 3]: x = [0, 1]. v = [1, 1]:
  // w = A⁻ᵀ v solves [[2, 0], [1, 3]] w = [1, 1]: w0 = 1/2, w1 = (1 − 1/2)/3 = 1/6
  // dA = −w xᵀ on (0,0), (0,1), (1,1): −w0·x0 = 0, −w0·x1 = −1/2, −w1·x1 = −1/6
  const A = CsrMatrix.fromDense([[2, 1], [0, 3]], { requiresGrad: true });
  const b = tensor([1, 3], { requiresGrad: true });
  spsolve(A, b).backward(tensor([1, 1]));
  assertClose(b.grad!.toArray(), [1 / 2, 1 / 6], { rtol: 1e-15 });
  assertClose(A.values.grad!.toArray(), [-0, -1 / 2, -1 / 6], { rtol: 1e-15 });
});

test('spsolve: forward matches dense Gaussian elimination (unsymmetric, pivoting, vector and matrix b)', () => {
  const cases: [CsrMatrix, string][] = [
    [randomCsr(1, 1, { seed: 2, diagonal: 1 }), '1x1'],
    [randomCsr(12, 12, { seed: 3, density: 0.3, diagonal: 2 }), 'diagonal 12'],
    [randomCsr(40, 40, { seed: 4, density: 0.1, diagonal: 1 }), 'sparse 40'],
    [needsPivoting(25, 5), 'permuted 25'],
    [needsPivoting(60, 6), 'permuted 60'],
    [randomCsr(30, 30, { seed: 8, density: 0.6 }), 'dense-ish 30, no diagonal boost'],
  ];
  for (const [A, name] of cases) {
    const D = denseOf(A);
    for (const k of [null, 1, 4]) {
      const b = randomB(A.rows, k, A.rows + (k ?? 0));
      const x = spsolve(A, b);
      assert.deepEqual(x.shape, b.shape);
      assertClose(x.toArray(), denseSolve(D, nested(b)).flat(), { rtol: 1e-8, atol: 1e-9, msg: `${name} k=${k}` });
      // The transposed solve with the same factors, against the dense solve with Aᵀ.
      const lu = splu(A);
      assertClose(lu.solveTranspose(b).toArray(), denseSolve(transposeDense(D), nested(b)).flat(), { rtol: 1e-8, atol: 1e-9, msg: `${name} Aᵀ k=${k}` });
      lu.dispose();
    }
  }
});

test('spsolve: VJPs agree with gradcheck (unsymmetric, pivoting, vector and matrix b)', () => {
  const mats = [randomCsr(8, 8, { seed: 12, density: 0.3, diagonal: 2 }), needsPivoting(9, 13), CsrMatrix.fromDense([[0, 1], [1, 0]]), CsrMatrix.fromDense([[3]])];
  for (const A of mats) {
    for (const k of [null, 3]) {
      const b = randomB(A.rows, k, 17);
      const res = gradcheck((M, c) => spsolve(M as CsrMatrix, c as Tensor), [A, b], { atol: 1e-6, rtol: 1e-5 });
      assert.ok(res.ok, `n=${A.rows} k=${k}: ${JSON.stringify(res.failures.slice(0, 3))}`);
    }
  }
});

test('splu: solve and solveTranspose are differentiable w.r.t. b and the factored values, reusing the factors', () => {
  const A = needsPivoting(10, 21);
  for (const transpose of [false, true]) {
    for (const k of [null, 2]) {
      const b = randomB(10, k, 22);
      const res = gradcheck((M, c) => {
        const lu = splu(M as CsrMatrix);
        return transpose ? lu.solveTranspose(c as Tensor) : lu.solve(c as Tensor);
      }, [A, b], { atol: 1e-6, rtol: 1e-5 });
      assert.ok(res.ok, `transpose=${transpose} k=${k}: ${JSON.stringify(res.failures.slice(0, 3))}`);
    }
  }
  // One factorization, several solves; the gradients accumulate on A's values.
  const M = A.detach().withValues(A.values.detach(), { requiresGrad: true });
  const lu = splu(M);
  assert.ok(lu instanceof SparseLU);
  assert.deepEqual(lu.shape, [10, 10]);
  const b1 = randomB(10, null, 1);
  const b2 = randomB(10, null, 2);
  const x1 = lu.solve(b1);
  const x2 = lu.solve(b2);
  assertClose(x1.toArray(), spsolve(A, b1).toArray(), { rtol: 1e-14, atol: 1e-15 });
  x1.sum().backward();
  x2.sum().backward();
  const separate = A.detach().withValues(A.values.detach(), { requiresGrad: true });
  spsolve(separate, b1).sum().backward();
  spsolve(separate, b2).sum().backward();
  assertClose(M.values.grad!.toArray(), separate.values.grad!.toArray(), { rtol: 1e-12, atol: 1e-14 });
  // dispose() frees the factors: later solves, and backward passes that need them, throw.
  const x3 = lu.solve(b1);
  lu.dispose();
  assert.equal(lu.disposed, true);
  assert.throws(() => lu.solve(b1), { message: 'SparseLU.solve: the SparseLU was disposed (call dispose() only after the last solve and backward())' });
  assert.throws(() => x3.sum().backward(), { message: 'SparseLU.solve: the SparseLU was disposed (call dispose() only after the last solve and backward())' });
  lu.dispose(); // twice is fine
});

test('spsolve: empty 0x0 system and b with zero columns', () => {
  const E = CsrMatrix.fromCoo([], [], [], [0, 0]);
  assert.deepEqual(spsolve(E, tensor([])).shape, [0]);
  const A = CsrMatrix.fromDense([[2, 1], [1, 3]]);
  assert.deepEqual(spsolve(A, tensor(new Float64Array(0), { shape: [2, 0] })).shape, [2, 0]);
});

test('spsolve: float32 agrees with float64 within float32 tolerance (values and gradients)', () => {
  const A64 = needsPivoting(30, 31);
  const A32 = CsrMatrix.fromCsr(A64.indptr, A64.indices, Float32Array.from(A64.values.data), A64.shape, { requiresGrad: true });
  const b64 = randomB(30, 2, 32);
  const b32 = tensor(Float32Array.from(b64.data), { shape: [30, 2], requiresGrad: true });
  const x32 = spsolve(A32, b32);
  assert.equal(x32.dtype, 'float32');
  const A64g = A64.detach().withValues(A64.values.detach(), { requiresGrad: true });
  const b64g = tensor(b64.data, { shape: [30, 2], requiresGrad: true });
  const x64 = spsolve(A64g, b64g);
  assertClose(x32.toArray(), x64.toArray(), { rtol: 1e-4, atol: 1e-4 });
  const seed = randomB(30, 2, 33);
  x64.backward(seed);
  x32.backward(tensor(Float32Array.from(seed.data), { shape: [30, 2] }));
  assertClose(b32.grad!.toArray(), b64g.grad!.toArray(), { rtol: 1e-3, atol: 1e-3 });
  assertClose(A32.values.grad!.toArray(), A64g.values.grad!.toArray(), { rtol: 1e-3, atol: 1e-3 });
});

test('spsolve: real unsymmetric and SPD matrices from ../shared/data', () => {
  for (const name of ['west0067_jumbled', 'west0479', 'bcsstk01', '494_bus']) {
    const A = readMtx(sharedData('matrices', `${name}.mtx`));
    const n = A.rows;
    const b = randomB(n, null, 41);
    const x = spsolve(A, b);
    // A backward-stable solve: small residual relative to ‖A‖‖x‖ + ‖b‖ (normwise; west0479
    // has cond ≈ 3e11, so x itself is only good to a few digits), and row by row relative
    // to |A||x| + |b| (KLU's threshold pivoting, tol 0.001, is a little looser there than
    // strict partial pivoting: ≈2e-10 on west0479, where LAPACK's dense solve gives 4e-11).
    const ip = A.indptr;
    const ix = A.indices;
    const av = A.values.data;
    let componentwise = 0;
    let r2 = 0;
    let a2 = 0;
    let x2 = 0;
    let b2 = 0;
    for (let i = 0; i < n; i++) {
      let r = -b.data[i]!;
      let scale = Math.abs(b.data[i]!);
      for (let p = ip[i]!; p < ip[i + 1]!; p++) {
        r += av[p]! * x.data[ix[p]!]!;
        scale += Math.abs(av[p]! * x.data[ix[p]!]!);
        a2 += av[p]! ** 2;
      }
      componentwise = Math.max(componentwise, Math.abs(r) / scale);
      r2 += r * r;
      x2 += x.data[i]! ** 2;
      b2 += b.data[i]! ** 2;
    }
    const normwise = Math.sqrt(r2) / (Math.sqrt(a2) * Math.sqrt(x2) + Math.sqrt(b2));
    assert.ok(normwise < 1e-15, `${name}: normwise backward error ${normwise}`);
    assert.ok(componentwise < 1e-8, `${name}: componentwise backward error ${componentwise}`);
    if (n <= 100) assertClose(x.toArray(), denseSolve(denseOf(A), nested(b)).flat(), { rtol: 1e-6, atol: 1e-8, msg: name });
  }
  // A gradient check on a real matrix, sampled.
  const W = readMtx(sharedData('matrices', 'west0067_jumbled.mtx'));
  const res = gradcheck((M, c) => spsolve(M as CsrMatrix, c as Tensor), [W, randomB(67, null, 3)], { maxEntries: 40, atol: 1e-5, rtol: 1e-4 });
  assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
});

test('spsolve: NaN/Inf are not checked: they propagate into x', () => {
  const A = CsrMatrix.fromDense([[2, 1, 0], [1, 3, 0], [0, 0, 4]]);
  // A NaN in b reaches the entries of x coupled to it (here the first block), not the others.
  const x = spsolve(A, tensor([NaN, 1, 8])).toArray();
  assert.ok(Number.isNaN(x[0]!) && Number.isNaN(x[1]!));
  assert.equal(x[2], 2);
  // NaN or Inf in A: KLU factors them without complaint and x comes out NaN where they reach.
  for (const bad of [NaN, Infinity]) {
    const y = spsolve(CsrMatrix.fromDense([[bad, 1], [1, 1]]), tensor([1, 2])).toArray();
    assert.ok(y.some((z) => Number.isNaN(z)), `${bad}: ${y}`);
  }
  const z = spsolve(CsrMatrix.fromDense([[NaN, 0], [0, 1]]), tensor([1, 2])).toArray();
  assert.ok(Number.isNaN(z[0]!));
  assert.equal(z[1], 2);
});

test('spsolve: errors name the op, the shapes, and the singular row or column', () => {
  const A = CsrMatrix.fromDense([[2, 1], [1, 3]]);
  assert.throws(() => spsolve(CsrMatrix.fromDense([[1, 2, 3], [4, 5, 6]]), tensor([1, 2])), { message: 'spsolve: A must be square but has shape [2, 3]' });
  assert.throws(() => splu(CsrMatrix.fromDense([[1, 2, 3], [4, 5, 6]])), { message: 'splu: A must be square but has shape [2, 3]' });
  assert.throws(() => spsolve(A, tensor([1, 2, 3])), { message: 'spsolve: A has shape [2, 2] but b has shape [3] (needs 2 rows)' });
  assert.throws(() => spsolve(A, tensor([[1, 2, 3]])), { message: 'spsolve: A has shape [2, 2] but b has shape [1, 3] (needs 2 rows)' });
  assert.throws(() => spsolve(A, tensor(new Float64Array(8), { shape: [2, 2, 2] })), { message: 'spsolve: b must be 1-D or 2-D but has shape [2, 2, 2]' });
  assert.throws(() => spsolve(A, tensor([1, 2], { dtype: 'float32' })), { message: 'spsolve: mixed dtypes: A is float64 but b is float32 (convert one with .to())' });
  assert.throws(() => spsolve(A, [1, 2] as unknown as Tensor), { message: 'spsolve: expected a Tensor for b but received array of length 2' });
  const lu = splu(A);
  assert.throws(() => lu.solve(tensor([1, 2, 3])), { message: 'SparseLU.solve: A has shape [2, 2] but b has shape [3] (needs 2 rows)' });
  assert.throws(() => lu.solveTranspose(tensor([1, 2], { dtype: 'float32' })), {
    message: 'SparseLU.solveTranspose: mixed dtypes: A is float64 but b is float32 (convert one with .to())',
  });
  lu.dispose();

  // Numerically singular: a row of stored zeros (row 1) ...
  const zeroRow = CsrMatrix.fromCoo([0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 0, 2], [1, 2, 0, 0, 4, 5], [3, 3]);
  assert.throws(() => spsolve(zeroRow, tensor([1, 2, 3])), { message: /^spsolve: A is numerically singular: zero pivot for row 1 of A \(elimination step \d of 3\)$/ });
  assert.throws(() => splu(zeroRow), { message: /^splu: A is numerically singular: zero pivot for row 1 of A/ });
  // ... or a row equal to an earlier one: the later copy is the dependent row.
  assert.throws(() => spsolve(CsrMatrix.fromDense([[1, 2], [1, 2]]), tensor([1, 2])), {
    message: 'spsolve: A is numerically singular: zero pivot for row 1 of A (elimination step 1 of 2)',
  });
  // In a larger unsymmetric matrix, row 3 = 2 · row 0: one of the two is named (whichever is eliminated last).
  const dep = CsrMatrix.fromDense([[1, 0, 2, 0], [0, 3, 0, 1], [0, 1, 1, 0], [2, 0, 4, 0]]);
  assert.throws(() => spsolve(dep, tensor([1, 2, 3, 4])), { message: /^spsolve: A is numerically singular: zero pivot for row (0|3) of A \(elimination step \d of 4\)$/ });
  // A column of stored zeros (column 1) leaves one row without a pivot.
  const zeroCol = CsrMatrix.fromDense([[1, 0, 2], [3, 0, 4], [5, 0, 6]], { keepZeros: true });
  assert.throws(() => spsolve(zeroCol, tensor([1, 2, 3])), { message: /^spsolve: A is numerically singular: zero pivot for row [0-2] of A/ });

  // Structurally singular: an empty row, an empty column, or no perfect matching.
  assert.throws(() => spsolve(CsrMatrix.fromDense([[1, 2, 0], [0, 0, 0], [4, 0, 5]]), tensor([1, 2, 3])), {
    message: 'spsolve: A is structurally singular (structural rank 2 of 3): row 1 has no entries',
  });
  assert.throws(() => spsolve(CsrMatrix.fromDense([[1, 0, 0], [3, 0, 2], [4, 0, 5]]), tensor([1, 2, 3])), {
    message: 'spsolve: A is structurally singular (structural rank 2 of 3): column 1 has no entries',
  });
  // Rows 1 and 2 both have entries in column 0 only.
  assert.throws(() => spsolve(CsrMatrix.fromDense([[1, 1, 1], [3, 0, 0], [4, 0, 0]]), tensor([1, 2, 3])), {
    message: 'spsolve: A is structurally singular (structural rank 2 of 3): its pattern has no perfect matching of rows to columns',
  });
});

test('spsolve: factors in several worker threads at once (no state shared between factorizations)', async () => {
  // Workers do not inherit tsx's loader hooks: register them in the worker first.
  const engine = JSON.stringify(new URL('../../native/lib/index.ts', import.meta.url).href);
  const script = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api').then((m) => { m.register(); return import(${engine}); }).then(({ CsrMatrix, tensor, spsolve }) => {
      // A tridiagonal, unsymmetric system with x = 1: row i of A sums to d − 3 except at the ends.
      const n = 3000, d = 5 + workerData, r = [], c = [], v = [];
      for (let i = 0; i < n; i++) {
        r.push(i); c.push(i); v.push(d);
        if (i > 0) { r.push(i); c.push(i - 1); v.push(-1); }
        if (i < n - 1) { r.push(i); c.push(i + 1); v.push(-2); }
      }
      const A = CsrMatrix.fromCoo(r, c, v, [n, n], { requiresGrad: true });
      const b = new Float64Array(n).map((_, i) => d - (i > 0 ? 1 : 0) - (i < n - 1 ? 2 : 0));
      let worst = 0;
      for (let t = 0; t < 60; t++) {
        const x = spsolve(A, tensor(b));
        x.sum().backward();
        for (const xi of x.data) worst = Math.max(worst, Math.abs(xi - 1));
      }
      parentPort.postMessage(worst);
    });`;
  const worst = await Promise.all(
    [0, 1, 2, 3].map(
      (id) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(script, { eval: true, workerData: id });
          w.once('message', (m: number) => { resolve(m); void w.terminate(); });
          w.once('error', reject);
        }),
    ),
  );
  for (const e of worst) assert.ok(e < 1e-12, `worker error ${e}`);
});
