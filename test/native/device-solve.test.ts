// The solves on the device ('cuda'): sptrsv and spsolve / splu / SparseLU,
// forward and VJP, against the CPU ops on the same inputs (whose own tests
// check them against dense references), plus their errors and memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, deviceMemory, type DType, Generator, scope, SparseLU, splu, spsolve, sptrsv, tensor, Tensor } from '../../native/lib/index.js';
import { fillDevice } from '../../native/lib/device.js';
import { compareWithCpu, errorOf, leafMatrix, leafTensor, randomB, testDevice } from '../device-helpers.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

testDevice('device-solve.test.ts');

const DTYPES = ['float64', 'float32'] as const;

/** A random n×n triangular matrix with a diagonal of magnitude 1–2 (well conditioned), rows in `bare` without off-diagonal entries. */
function randomTriangular(n: number, lower: boolean, seed: number, dtype: DType, bare: number[] = []): CsrMatrix {
  const gen = new Generator(seed);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) {
        r.push(i); c.push(j); v.push((gen.uniform() < 0.5 ? -1 : 1) * (1 + gen.uniform()));
      } else if ((lower ? j < i : j > i) && !bare.includes(i) && gen.uniform() < 0.3) {
        r.push(i); c.push(j); v.push(gen.normal() * 0.5);
      }
    }
  }
  return CsrMatrix.fromCoo(r, c, v, [n, n], { dtype });
}

/** A random unsymmetric matrix with permuted rows: its diagonal is mostly zero, so the LU must pivot. */
function needsPivoting(n: number, seed: number, dtype: DType): CsrMatrix {
  const A = randomCsr(n, n, { seed, density: 0.2, diagonal: 3 });
  const gen = new Generator(seed + 1);
  const perm = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = gen.integer(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const D = denseOf(A);
  return CsrMatrix.fromDense(perm.map((p) => D[p]!), { dtype });
}

// ---------------------------------------------------------------------------
// sptrsv

test('sptrsv on the device matches the CPU: lower/upper, unit diagonal, vector and matrix b, forward and both VJPs', () => {
  for (const dtype of DTYPES) {
    // The GPU sums each row in another order than the CPU, and these random
    // triangles amplify rounding: at n = 300 with a unit diagonal |x| reaches
    // 3e4 and float64 results differ from the CPU's by ~2e-12 relative on an
    // H200. In float32 that size is too ill-conditioned to compare (the CPU's
    // float32 x is 1e-2 off its float64 x), so float32 stops at n = 70 here and
    // the Poisson test below covers long float32 solves.
    const tol = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-10 } : { rtol: 1e-4, atol: 1e-4 };
    const sizes: [number, number | null][] = [[1, null], [6, null], [70, null], [70, 1], [70, 4]];
    if (dtype === 'float64') sizes.push([300, 3]);
    for (const lower of [true, false]) {
      for (const unit of [false, true]) {
        // n = 70 and 300: several warps' chunks of 32 rows in the sync-free solve.
        for (const [n, k] of sizes) {
          const L = randomTriangular(n, lower, n * 7 + (k ?? 0), dtype, [Math.floor(n / 2)]);
          const b = randomB(n, k, n + 11, dtype);
          compareWithCpu(`${dtype} lower=${lower} unit=${unit} n=${n} k=${k}`, L, b, (M, c) => sptrsv(M, c, { lower, unitDiagonal: unit }), tol);
        }
      }
    }
  }
});

test('sptrsv on the device: triangles of the 1-D Poisson matrix', () => {
  for (const dtype of DTYPES) {
    const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 };
    const P = CsrMatrix.poisson1d(500, { dtype });
    for (const k of [null, 2]) {
      const b = randomB(500, k, 3, dtype);
      compareWithCpu(`${dtype} tril k=${k}`, P.tril(), b, (M, c) => sptrsv(M, c), tol);
      compareWithCpu(`${dtype} triu k=${k}`, P.triu(), b, (M, c) => sptrsv(M, c, { lower: false }), tol);
      compareWithCpu(`${dtype} unit tril k=${k}`, P.tril(), b, (M, c) => sptrsv(M, c, { unitDiagonal: true }), tol);
    }
  }
});

test('sptrsv on the device: a hand-worked 2x2 lower solve and its VJP', () => {
  // L = [[2, 0], [1, 4]], b = [2, 9]: x = [1, 2]. v = [1, 1]: w = L⁻ᵀ v: w1 = 1/4, w0 = (1 − 1/4)/2 = 3/8;
  // dL = −w xᵀ on (0,0), (1,0), (1,1): −3/8, −1/4, −1/2
  const L = leafMatrix(CsrMatrix.fromDense([[2, 0], [1, 4]]), 'cuda');
  const b = leafTensor(tensor([2, 9]), 'cuda');
  const x = sptrsv(L, b);
  assert.deepEqual([...x.toArray()], [1, 2]);
  x.backward(tensor([1, 1]).to('cuda'));
  assertClose(b.grad!.toArray(), [3 / 8, 1 / 4], { rtol: 1e-15 });
  assertClose(L.values.grad!.toArray(), [-3 / 8, -1 / 4, -1 / 2], { rtol: 1e-15 });
});

test('sptrsv on the device: unit diagonal without a stored diagonal, empty rows, nnz = 0, 1x1, 0x0, k = 0', () => {
  // Row 1 is empty; no diagonal stored: x = [1, 2, 3 − 3·1 + 1·2].
  const L = CsrMatrix.fromCoo([2, 2], [0, 1], [3, -1], [3, 3]);
  compareWithCpu('no diagonal', L, tensor([1, 2, 3]), (M, c) => sptrsv(M, c, { unitDiagonal: true }), { rtol: 1e-15, atol: 0 });
  assert.deepEqual([...sptrsv(L.to('cuda'), tensor([1, 2, 3]).to('cuda'), { unitDiagonal: true }).toArray()], [1, 2, 2]);
  // An ignored unit diagonal gets a zero gradient on the device too.
  compareWithCpu('ignored diagonal', CsrMatrix.fromDense([[5, 0], [2, 7]]), tensor([1, 1]), (M, c) => sptrsv(M, c, { unitDiagonal: true }), { rtol: 1e-15, atol: 0 });
  const Z = CsrMatrix.fromCoo([], [], [], [4, 4]);
  compareWithCpu('nnz = 0', Z, tensor([1, 2, 3, 4]), (M, c) => sptrsv(M, c, { unitDiagonal: true, lower: false }), { rtol: 0, atol: 0 });
  compareWithCpu('1x1', CsrMatrix.fromDense([[4]]), tensor([8]), (M, c) => sptrsv(M, c), { rtol: 1e-15, atol: 0 });
  const E = CsrMatrix.fromCoo([], [], [], [0, 0]).to('cuda');
  assert.deepEqual(sptrsv(E, tensor([]).to('cuda')).shape, [0]);
  assert.deepEqual(sptrsv(E, tensor(new Float64Array(0), { shape: [0, 3] }).to('cuda')).shape, [0, 3]);
  const k0 = sptrsv(CsrMatrix.fromDense([[2, 0], [1, 4]]).to('cuda'), tensor(new Float64Array(0), { shape: [2, 0] }).to('cuda'));
  assert.deepEqual(k0.shape, [2, 0]);
});

test('sptrsv on the device: the same errors as on the CPU', () => {
  const zeroDiag = CsrMatrix.fromCoo([0, 1, 1, 2, 3], [0, 0, 1, 2, 3], [1, 2, 0, 1, 0], [4, 4]);
  const b = tensor([1, 2, 3, 4]);
  const want = 'sptrsv: L has a zero on the diagonal in row 1 (the triangular system is singular)';
  assert.throws(() => sptrsv(zeroDiag, b), { message: want });
  const Ld = zeroDiag.to('cuda');
  const bd = b.to('cuda');
  const held = deviceMemory().liveBytes;
  assert.throws(() => sptrsv(Ld, bd), { message: want });
  assert.equal(deviceMemory().liveBytes, held, 'the failed solve frees its output');
  // Upper: rows 1 and 3 have a zero diagonal; the first in row order is named, as on the CPU.
  const U = CsrMatrix.fromCoo([0, 1, 2, 3], [0, 1, 2, 3], [1, 0, 1, 0], [4, 4]);
  const msg = errorOf(() => sptrsv(U, b, { lower: false }));
  assert.throws(() => sptrsv(U.to('cuda'), bd, { lower: false }), { message: msg });
  // Structure errors come from the (host) pattern check, before any device work.
  assert.throws(() => sptrsv(CsrMatrix.fromDense([[1, 2], [0, 1]]).to('cuda'), tensor([1, 1]).to('cuda')), {
    message: 'sptrsv: L has an entry above the diagonal at (0, 1) but lower: true; use tril() or pass lower: false',
  });
  // Mixed devices, both ways.
  assert.throws(() => sptrsv(Ld, b), { message: 'sptrsv: mixed devices: L is on cuda but b is on cpu' });
  assert.throws(() => sptrsv(zeroDiag, bd), { message: 'sptrsv: mixed devices: L is on cpu but b is on cuda' });
});

test('sptrsv on the device: a loop in scope() leaves device memory flat', () => {
  const L = leafMatrix(CsrMatrix.poisson1d(200).tril(), 'cuda');
  const b = leafTensor(randomB(200, 2, 5), 'cuda');
  const g = randomB(200, 2, 6).to('cuda');
  const step = (): void => scope(() => {
    sptrsv(L, b).backward(g);
    L.values.zeroGrad();
    b.zeroGrad();
  });
  step();
  const live = deviceMemory().liveBytes;
  for (let i = 0; i < 20; i++) step();
  assert.equal(deviceMemory().liveBytes, live);
});

// ---------------------------------------------------------------------------
// spsolve, splu

test('spsolve on the device matches the CPU: Poisson, random well-conditioned and pivoting matrices, forward and both VJPs', () => {
  for (const dtype of DTYPES) {
    // float32: the device solves in float32, the CPU in double (then rounds).
    const tol = dtype === 'float64' ? { rtol: 1e-9, atol: 1e-11 } : { rtol: 1e-3, atol: 1e-3 };
    const cases: [string, CsrMatrix][] = [
      ['1x1', CsrMatrix.fromDense([[4]], { dtype })],
      ['2x2 zero diagonal', CsrMatrix.fromDense([[0, 1], [1, 0]], { dtype })],
      ['Poisson 1-D n=50', CsrMatrix.poisson1d(50, { dtype })],
      ['random 80', randomCsr(80, 80, { seed: 4, density: 0.05, diagonal: 3, dtype })],
      ['permuted rows 60', needsPivoting(60, 6, dtype)],
    ];
    if (dtype === 'float64') cases.push(['Poisson 1-D n=300', CsrMatrix.poisson1d(300)]);
    for (const [name, A] of cases) {
      for (const k of [null, 1, 3]) {
        const b = randomB(A.rows, k, A.rows + (k ?? 0), dtype);
        compareWithCpu(`${dtype} ${name} k=${k}`, A, b, (M, c) => spsolve(M, c), tol);
      }
    }
  }
});

test('spsolve on the device: a hand-worked 2x2, 0x0 and b with zero columns', () => {
  // A = [[2, 1], [0, 3]], b = [1, 3]: x = [0, 1]; v = [1, 1]: db = A⁻ᵀ v = [1/2, 1/6];
  // dA = −db xᵀ on (0,0), (0,1), (1,1) = [0, −1/2, −1/6]
  const A = leafMatrix(CsrMatrix.fromDense([[2, 1], [0, 3]]), 'cuda');
  const b = leafTensor(tensor([1, 3]), 'cuda');
  const x = spsolve(A, b);
  assertClose(x.toArray(), [0, 1], { rtol: 1e-15, atol: 1e-15 });
  x.backward(tensor([1, 1]).to('cuda'));
  assertClose(b.grad!.toArray(), [1 / 2, 1 / 6], { rtol: 1e-15 });
  assertClose(A.values.grad!.toArray(), [0, -1 / 2, -1 / 6], { rtol: 1e-15, atol: 1e-16 });
  const E = CsrMatrix.fromCoo([], [], [], [0, 0]).to('cuda');
  assert.deepEqual(spsolve(E, tensor([]).to('cuda')).shape, [0]);
  const B0 = tensor(new Float64Array(0), { shape: [2, 0] }).to('cuda');
  assert.deepEqual(spsolve(A.detach(), B0).shape, [2, 0]);
});

test('splu on the device: solve and solveTranspose on cuda b match the CPU SparseLU, forward and both VJPs', () => {
  for (const dtype of DTYPES) {
    const tol = dtype === 'float64' ? { rtol: 1e-9, atol: 1e-11 } : { rtol: 1e-3, atol: 1e-3 };
    const A = needsPivoting(40, 21, dtype);
    for (const transpose of [false, true]) {
      for (const k of [null, 2]) {
        const b = randomB(40, k, 22, dtype);
        compareWithCpu(`${dtype} transpose=${transpose} k=${k}`, A, b, (M, c) => {
          const lu = splu(M);
          return transpose ? lu.solveTranspose(c) : lu.solve(c);
        }, tol);
      }
    }
  }
  // One factorization, several solves: the gradients accumulate on A's values, as on the CPU.
  const A = needsPivoting(30, 23, 'float64');
  const Ad = leafMatrix(A, 'cuda');
  const lu = splu(Ad);
  assert.ok(lu instanceof SparseLU);
  assert.equal(lu.matrix, Ad);
  const b1 = randomB(30, null, 1);
  const b2 = randomB(30, null, 2);
  const x1 = lu.solve(b1.to('cuda'));
  const x2 = lu.solveTranspose(b2.to('cuda'));
  const g = randomB(30, null, 3).to('cuda');
  x1.backward(g);
  x2.backward(g);
  const Ac = leafMatrix(A, 'cpu');
  const luc = splu(Ac);
  luc.solve(b1).backward(g.to('cpu'));
  luc.solveTranspose(b2).backward(g.to('cpu'));
  assertClose(Ad.values.grad!.toArray(), Ac.values.grad!.toArray(), { rtol: 1e-9, atol: 1e-11 });
  // dispose() frees the factors: later solves and backward passes that need them throw, as on the CPU.
  const x3 = lu.solve(b1.to('cuda'));
  const before = deviceMemory().liveBytes;
  lu.dispose();
  assert.ok(deviceMemory().liveBytes < before, 'the factors were freed');
  assert.equal(lu.disposed, true);
  const msg = 'SparseLU.solve: the SparseLU was disposed (call dispose() only after the last solve and backward())';
  assert.throws(() => lu.solve(b1.to('cuda')), { message: msg });
  assert.throws(() => x3.backward(g), { message: msg });
  lu.dispose();
});

test('spsolve on the device: the same singular-matrix errors as on the CPU', () => {
  const singular: [string, CsrMatrix][] = [
    ['a row of stored zeros', CsrMatrix.fromCoo([0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 0, 2], [1, 2, 0, 0, 4, 5], [3, 3])],
    ['equal rows', CsrMatrix.fromDense([[1, 2], [1, 2]])],
    ['an empty row', CsrMatrix.fromDense([[1, 2, 0], [0, 0, 0], [4, 0, 5]])],
    ['an empty column', CsrMatrix.fromDense([[1, 0, 0], [3, 0, 2], [4, 0, 5]])],
    ['no perfect matching', CsrMatrix.fromDense([[1, 1, 1], [3, 0, 0], [4, 0, 0]])],
  ];
  for (const [name, A] of singular) {
    const b = tensor(Array.from({ length: A.rows }, (_, i) => i + 1));
    const cpu = errorOf(() => spsolve(A, b));
    assert.match(cpu, /^spsolve: A is (numerically|structurally) singular/, name);
    const Ad = A.to('cuda');
    const before = deviceMemory().liveBytes;
    assert.throws(() => spsolve(Ad, b.to('cuda')), { message: cpu }, name);
    assert.throws(() => splu(Ad), { message: errorOf(() => splu(A)) }, name);
    assert.equal(deviceMemory().liveBytes, before + 8 * A.rows, `${name}: only b is left on the device`);
  }
});

test('spsolve and splu on the device: argument and mixed-device errors by exact message', () => {
  const A = CsrMatrix.fromDense([[2, 1], [1, 3]]);
  const Ad = A.to('cuda');
  const b = tensor([1, 2]);
  const bd = b.to('cuda');
  assert.throws(() => spsolve(Ad, b), { message: 'spsolve: mixed devices: A is on cuda but b is on cpu' });
  assert.throws(() => spsolve(A, bd), { message: 'spsolve: mixed devices: A is on cpu but b is on cuda' });
  assert.throws(() => spsolve(Ad, tensor([1, 2, 3]).to('cuda')), { message: 'spsolve: A has shape [2, 2] but b has shape [3] (needs 2 rows)' });
  assert.throws(() => spsolve(Ad, tensor([1, 2], { dtype: 'float32' }).to('cuda')), {
    message: 'spsolve: mixed dtypes: A is float64 but b is float32 (convert one with .to())',
  });
  assert.throws(() => splu(CsrMatrix.fromDense([[1, 2, 3], [4, 5, 6]]).to('cuda')), { message: 'splu: A must be square but has shape [2, 3]' });
  const lu = splu(Ad);
  assert.throws(() => lu.solve(b), { message: 'SparseLU.solve: mixed devices: A is on cuda but b is on cpu' });
  assert.throws(() => lu.solveTranspose(b), { message: 'SparseLU.solveTranspose: mixed devices: A is on cuda but b is on cpu' });
  assert.throws(() => splu(A).solve(bd), { message: 'SparseLU.solve: mixed devices: A is on cpu but b is on cuda' });
  lu.dispose();
});

const FACTORS_KEY = 'splu:device:float64';

test('spsolve on the device caches its factors: reused for the VJP and for the same values, replaced when the values change', () => {
  const A = CsrMatrix.poisson1d(64);
  const Ad = leafMatrix(A, 'cuda');
  const b = randomB(64, null, 9).to('cuda');
  const x = spsolve(Ad, b);
  const entry = Ad.pattern.cache.get(FACTORS_KEY) as { lu: { disposed: boolean; bytes: number } };
  assert.ok(entry && entry.lu.bytes > 0);
  spsolve(Ad, b); // same values: no new factorization
  x.backward(randomB(64, null, 10).to('cuda')); // the VJP's transposed solve uses the same factors
  assert.equal(Ad.pattern.cache.get(FACTORS_KEY), entry);
  assert.equal(entry.lu.disposed, false);

  // The values change in place (as an optimizer step does): the factors are made again.
  fillDevice(Ad.values.buffer, 4); // every stored value becomes 4 (tridiagonal, still nonsingular for n = 64)
  const filled = new CsrMatrix(A.pattern, tensor(new Float64Array(A.nnz).fill(4)));
  assertClose(spsolve(Ad, b).toArray(), spsolve(filled, b.to('cpu')).toArray(), { rtol: 1e-9, atol: 1e-11 });
  assert.notEqual(Ad.pattern.cache.get(FACTORS_KEY), entry);
  assert.equal(entry.lu.disposed, true, 'the replaced factors are freed at once');
});

test('spsolve on the device: a VJP after another spsolve on the same pattern uses its own values', () => {
  const A1 = needsPivoting(30, 41, 'float64');
  const A2 = A1.withValues(A1.values.data.map((v, p) => v * (1 + 0.1 * Math.sin(p))));
  const b = randomB(30, 2, 42);
  const g = randomB(30, 2, 43);
  const M1 = leafMatrix(A1, 'cuda');
  const M2 = leafMatrix(A2, 'cuda');
  const x1 = spsolve(M1, b.to('cuda'));
  const x2 = spsolve(M2, b.to('cuda')); // replaces M1's factors in the pattern's cache
  // An in-place change after the forward (as an optimizer step) does not change
  // the gradient: it is taken at the values the forward solved with, as on the CPU.
  const kept = M1.values.toArray();
  fillDevice(M1.values.buffer, 1);
  x1.backward(g.to('cuda')); // refactors M1 from the values kept on the host
  x2.backward(g.to('cuda'));
  assert.deepEqual([...kept], [...A1.values.data]);
  for (const [M, A] of [[M1, A1], [M2, A2]] as const) {
    const Mc = leafMatrix(A, 'cpu');
    spsolve(Mc, b).backward(g);
    assertClose(M.values.grad!.toArray(), Mc.values.grad!.toArray(), { rtol: 1e-9, atol: 1e-11 });
  }
});

test('spsolve on the device: a loop in scope() leaves device memory flat (fixed A, and A changing every step)', () => {
  const A = leafMatrix(CsrMatrix.poisson1d(100), 'cuda');
  const b = leafTensor(randomB(100, null, 7), 'cuda');
  const g = randomB(100, null, 8).to('cuda');
  const step = (): void => scope(() => {
    spsolve(A, b).backward(g);
    A.values.zeroGrad();
    b.zeroGrad();
  });
  step();
  const live = deviceMemory().liveBytes;
  for (let i = 0; i < 20; i++) step();
  assert.equal(deviceMemory().liveBytes, live);

  const base = CsrMatrix.poisson1d(100);
  const stepNew = (i: number): void => scope(() => {
    const vals = tensor(base.values.data.map((v) => v * (1 + i / 10))).to('cuda');
    spsolve(base.withValues(vals), b).backward(g);
    b.zeroGrad();
  });
  stepNew(0);
  const live2 = deviceMemory().liveBytes;
  for (let i = 1; i <= 20; i++) stepNew(i);
  assert.equal(deviceMemory().liveBytes, live2);
});
