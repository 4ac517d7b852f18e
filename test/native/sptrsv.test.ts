import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, Generator, type DType, getThreads, gradcheck, setThreads, spsolve, sptrsv, tensor, Tensor } from '../../native/lib/index.js';
import { assertClose, denseOf } from '../helpers.js';

interface TriOptions {
  lower?: boolean;
  /** Store the diagonal (default true); its magnitude is 1–2 so solves stay well conditioned. */
  diagonal?: boolean;
  density?: number;
  seed?: number;
  dtype?: DType;
  /** Rows with no off-diagonal entries. */
  bareRows?: number[];
}

/** A random n×n triangular CsrMatrix (normal off-diagonal values, scaled so the solve stays tame). */
function randomTriangular(n: number, opts: TriOptions = {}): CsrMatrix {
  const gen = new Generator(opts.seed ?? 7);
  const lower = opts.lower ?? true;
  const bare = new Set(opts.bareRows ?? []);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const strict = lower ? j < i : j > i;
      if (i === j && (opts.diagonal ?? true)) {
        r.push(i); c.push(j); v.push((gen.uniform() < 0.5 ? -1 : 1) * (1 + gen.uniform()));
      } else if (strict && !bare.has(i) && gen.uniform() < (opts.density ?? 0.4)) {
        r.push(i); c.push(j); v.push(gen.normal() * 0.5);
      }
    }
  }
  return CsrMatrix.fromCoo(r, c, v, [n, n], { dtype: opts.dtype ?? 'float64' });
}

/** Dense triangular substitution: the independent reference (b is n×k, row-major nested). */
function denseTriSolve(L: number[][], b: number[][], lower: boolean, unit: boolean): number[][] {
  const n = L.length;
  const k = n === 0 ? 0 : b[0]!.length;
  const x = b.map((row) => row.slice());
  const order = [...Array(n).keys()];
  if (!lower) order.reverse();
  for (const i of order) {
    for (let c = 0; c < k; c++) {
      let s = b[i]![c]!;
      for (let j = 0; j < n; j++) if (j !== i && (lower ? j < i : j > i)) s -= L[i]![j]! * x[j]![c]!;
      x[i]![c] = unit ? s : s / L[i]![i]!;
    }
  }
  return x;
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

test('sptrsv: hand-worked lower and upper 3x3 cases', () => {
  // L = [[2, 0, 0], [1, 3, 0], [0, -1, 4]], b = [2, 7, 6]: x0 = 1, x1 = (7 - 1)/3 = 2, x2 = (6 + 2)/4 = 2
  const L = CsrMatrix.fromDense([[2, 0, 0], [1, 3, 0], [0, -1, 4]]);
  assert.deepEqual([...sptrsv(L, tensor([2, 7, 6])).toArray()], [1, 2, 2]);
  // U = [[2, 1, 0], [0, 4, 2], [0, 0, 1]], b = [4, 10, 1]: x2 = 1, x1 = (10 - 2)/4 = 2, x0 = (4 - 2)/2 = 1
  const U = CsrMatrix.fromDense([[2, 1, 0], [0, 4, 2], [0, 0, 1]]);
  assert.deepEqual([...sptrsv(U, tensor([4, 10, 1]), { lower: false }).toArray()], [1, 2, 1]);
  // Unit diagonal: the stored 2, 3, 4 are ignored: x0 = 2, x1 = 7 - 2 = 5, x2 = 6 + 5 = 11
  assert.deepEqual([...sptrsv(L, tensor([2, 7, 6]), { unitDiagonal: true }).toArray()], [2, 5, 11]);
});

test('sptrsv: hand-worked VJP of a 2x2 lower solve', () => {
  // L = [[2, 0], [1, 4]], b = [2, 9]: x = [1, 2]. v = [1, 1]:
  // w = L⁻ᵀ v solves [[2, 1], [0, 4]] w = [1, 1]: w1 = 1/4, w0 = (1 - 1/4)/2 = 3/8
  // dL = −w xᵀ on the pattern (0,0), (1,0), (1,1): −3/8·1, −1/4·1, −1/4·2
  const L = CsrMatrix.fromDense([[2, 0], [1, 4]], { requiresGrad: true });
  const b = tensor([2, 9], { requiresGrad: true });
  const x = sptrsv(L, b);
  assert.deepEqual([...x.toArray()], [1, 2]);
  x.backward(tensor([1, 1]));
  assert.deepEqual([...b.grad!.toArray()], [3 / 8, 1 / 4]);
  assert.deepEqual([...L.values.grad!.toArray()], [-3 / 8, -1 / 4, -1 / 2]);
});

test('sptrsv: forward matches dense substitution (lower/upper, unit, vector and matrix b)', () => {
  for (const lower of [true, false]) {
    for (const unit of [false, true]) {
      for (const [n, k] of [[1, null], [5, null], [23, null], [23, 3], [40, 1], [17, 6]] as [number, number | null][]) {
        const L = randomTriangular(n, { lower, seed: n * 13 + (k ?? 0), bareRows: [Math.floor(n / 2)] });
        const b = randomB(n, k, n + 100);
        const x = sptrsv(L, b, { lower, unitDiagonal: unit });
        assert.deepEqual(x.shape, b.shape);
        const ref = denseTriSolve(denseOf(L), nested(b), lower, unit);
        assertClose(x.toArray(), ref.flat(), { rtol: 1e-10, atol: 1e-10, msg: `lower=${lower} unit=${unit} n=${n} k=${k}` });
      }
    }
  }
});

test('sptrsv: unitDiagonal without stored diagonal, empty rows and zero nnz', () => {
  // No diagonal stored at all; row 1 is empty (identity row).
  const L = CsrMatrix.fromCoo([2, 2], [0, 1], [3, -1], [3, 3]);
  const x = sptrsv(L, tensor([1, 2, 3]), { unitDiagonal: true });
  assert.deepEqual([...x.toArray()], [1, 2, 3 - 3 + 2]);
  const U = CsrMatrix.fromCoo([0], [2], [5], [3, 3]);
  assert.deepEqual([...sptrsv(U, tensor([1, 2, 3]), { lower: false, unitDiagonal: true }).toArray()], [1 - 15, 2, 3]);
  // Zero nnz: x = b.
  const Z = CsrMatrix.fromCoo([], [], [], [4, 4]);
  assert.deepEqual([...sptrsv(Z, tensor([1, 2, 3, 4]), { unitDiagonal: true }).toArray()], [1, 2, 3, 4]);
  // 0×0.
  const E = CsrMatrix.fromCoo([], [], [], [0, 0]);
  assert.deepEqual(sptrsv(E, tensor([])).shape, [0]);
  assert.deepEqual(sptrsv(E, tensor(new Float64Array(0), { shape: [0, 3] })).shape, [0, 3]);
  // b with zero columns.
  assert.deepEqual(sptrsv(L, tensor(new Float64Array(0), { shape: [3, 0] }), { unitDiagonal: true }).shape, [3, 0]);
});

test('sptrsv: 1x1', () => {
  const L = CsrMatrix.fromDense([[4]], { requiresGrad: true });
  const b = tensor([8], { requiresGrad: true });
  const x = sptrsv(L, b);
  assert.deepEqual([...x.toArray()], [2]);
  x.backward(tensor([1]));
  // db = 1/4, dL = −(1/4)·2
  assert.deepEqual([...b.grad!.toArray()], [0.25]);
  assert.deepEqual([...L.values.grad!.toArray()], [-0.5]);
  assert.ok(gradcheck((A, c) => sptrsv(A as CsrMatrix, c as Tensor, { lower: false }), [CsrMatrix.fromDense([[3]]), tensor([2])]).ok);
});

test('sptrsv: VJPs agree with gradcheck (w.r.t. L values and b, vector and matrix b, lower/upper, unit)', () => {
  for (const lower of [true, false]) {
    for (const unit of [false, true]) {
      for (const k of [null, 3]) {
        const L = randomTriangular(9, { lower, seed: 31 + (k ?? 0) + (lower ? 1 : 0), bareRows: [4] });
        const b = randomB(9, k, 5);
        const res = gradcheck((A, c) => sptrsv(A as CsrMatrix, c as Tensor, { lower, unitDiagonal: unit }), [L, b], { atol: 1e-6, rtol: 1e-5 });
        assert.ok(res.ok, `lower=${lower} unit=${unit} k=${k}: ${JSON.stringify(res.failures.slice(0, 3))}`);
      }
    }
  }
});

test('sptrsv: an ignored unit diagonal gets a zero gradient', () => {
  const L = CsrMatrix.fromDense([[5, 0], [2, 7]], { requiresGrad: true });
  const x = sptrsv(L, tensor([1, 1]), { unitDiagonal: true });
  x.backward(tensor([1, 1]));
  const g = L.values.grad!.toArray();
  // pattern (0,0), (1,0), (1,1); x = [1, −1]
  // (effective L = [[1, 0], [2, 1]]; Lᵀ w = v gives w1 = 1, w0 = 1 − 2·1 = −1); dL(1,0) = −w1·x0 = −1
  assert.deepEqual([...g], [0, -1, 0]);
});

test('sptrsv: several right-hand sides split over threads give the same result as one thread', () => {
  const before = getThreads();
  try {
    const L = randomTriangular(400, { seed: 3, density: 0.02 });
    const b = randomB(400, 64, 9);
    setThreads(1);
    const x1 = sptrsv(L, b).toArray();
    setThreads(2);
    const x2 = sptrsv(L, b).toArray();
    assert.deepEqual(x2, x1);
    // and each column equals the vector solve of that column
    const col = tensor(Float64Array.from({ length: 400 }, (_, i) => b.data[i * 64 + 17]!));
    const xc = sptrsv(L, col).toArray();
    assertClose(Array.from({ length: 400 }, (_, i) => x2[i * 64 + 17]!), xc, { rtol: 1e-12, atol: 1e-12 });
  } finally {
    setThreads(before);
  }
});

test('sptrsv: agrees with spsolve on an upper triangular matrix', () => {
  const L = randomTriangular(30, { seed: 11, lower: false });
  const b = randomB(30, null, 2);
  assertClose(sptrsv(L, b, { lower: false }).toArray(), spsolve(L, b).toArray(), { rtol: 1e-9, atol: 1e-10 });
});

test('sptrsv: float32 agrees with float64 within float32 tolerance', () => {
  for (const lower of [true, false]) {
    const L64 = randomTriangular(50, { lower, seed: 21 });
    const L32 = CsrMatrix.fromCsr(L64.indptr, L64.indices, Float32Array.from(L64.values.data), L64.shape, { requiresGrad: true });
    const b64 = randomB(50, 2, 4);
    const b32 = tensor(Float32Array.from(b64.data), { shape: [50, 2], requiresGrad: true });
    const x32 = sptrsv(L32, b32, { lower });
    assert.equal(x32.dtype, 'float32');
    assertClose(x32.toArray(), sptrsv(L64, b64, { lower }).toArray(), { rtol: 1e-4, atol: 1e-4 });
    // the float32 gradients against float64 ones
    const L64g = L64.detach().withValues(L64.values.detach(), { requiresGrad: true });
    const b64g = tensor(b64.data, { shape: [50, 2], requiresGrad: true });
    const seed = randomB(50, 2, 8);
    sptrsv(L64g, b64g, { lower }).backward(seed);
    x32.backward(tensor(Float32Array.from(seed.data), { shape: [50, 2] }));
    assertClose(b32.grad!.toArray(), b64g.grad!.toArray(), { rtol: 1e-3, atol: 1e-3 });
    assertClose(L32.values.grad!.toArray(), L64g.values.grad!.toArray(), { rtol: 1e-3, atol: 1e-3 });
  }
});

test('sptrsv: NaN and Inf propagate into the entries that depend on them', () => {
  // Bidiagonal L: x_i depends on x_0..x_i.
  const L = CsrMatrix.fromDense([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]);
  const x = sptrsv(L, tensor([1, NaN, 1, 1])).toArray();
  assert.equal(x[0], 1);
  assert.ok(Number.isNaN(x[1]!));
  assert.deepEqual([x[2], x[3]], [1, 0]);
  const y = sptrsv(CsrMatrix.fromDense([[NaN, 0], [1, 1]]), tensor([1, 1])).toArray();
  assert.ok(Number.isNaN(y[0]!) && Number.isNaN(y[1]!));
  // An infinite diagonal entry makes its x entry 0 (b_i · (1/∞)).
  assert.deepEqual([...sptrsv(CsrMatrix.fromDense([[Infinity, 0], [1, 1]]), tensor([1, 1])).toArray()], [0, 1]);
});

test('sptrsv: errors name the op, the shapes and the offending entry', () => {
  const L = CsrMatrix.fromDense([[2, 0], [1, 3]]);
  assert.throws(() => sptrsv(CsrMatrix.fromDense([[1, 0, 0], [1, 1, 0]]), tensor([1, 2])), {
    message: 'sptrsv: L must be square but has shape [2, 3]',
  });
  assert.throws(() => sptrsv(L, tensor([1, 2, 3])), { message: 'sptrsv: L has shape [2, 2] but b has shape [3] (needs 2 rows)' });
  assert.throws(() => sptrsv(L, tensor([[1], [2], [3]])), { message: 'sptrsv: L has shape [2, 2] but b has shape [3, 1] (needs 2 rows)' });
  assert.throws(() => sptrsv(L, tensor(new Float64Array(8), { shape: [2, 2, 2] })), { message: 'sptrsv: b must be 1-D or 2-D but has shape [2, 2, 2]' });
  assert.throws(() => sptrsv(L, tensor([1, 2], { dtype: 'float32' })), {
    message: 'sptrsv: mixed dtypes: L is float64 but b is float32 (convert one with .to())',
  });
  assert.throws(() => sptrsv([[1]] as unknown as CsrMatrix, tensor([1])), { message: 'sptrsv: expected a CsrMatrix for L but received array of length 1' });
  assert.throws(() => sptrsv(L, tensor([1, 2]), { lower: 'yes' as unknown as boolean }), { message: 'sptrsv: expected a boolean for lower but received string "yes"' });
  // Wrong side of the diagonal: the first offending entry in row order.
  const full = CsrMatrix.fromDense([[1, 0, 0], [1, 1, 5], [1, 1, 1]]);
  assert.throws(() => sptrsv(full, tensor([1, 2, 3])), {
    message: 'sptrsv: L has an entry above the diagonal at (1, 2) but lower: true; use tril() or pass lower: false',
  });
  assert.throws(() => sptrsv(full, tensor([1, 2, 3]), { lower: false }), {
    message: 'sptrsv: L has an entry below the diagonal at (1, 0) but lower: false; use triu() or pass lower: true',
  });
  assert.throws(() => sptrsv(full, tensor([1, 2, 3]), { unitDiagonal: true }), {
    message: 'sptrsv: L has an entry above the diagonal at (1, 2) but lower: true; use tril() or pass lower: false',
  });
  // Missing diagonal (row 1 stores only (1, 0); row 2 is empty).
  const holes = CsrMatrix.fromCoo([0, 1], [0, 0], [1, 1], [3, 3]);
  assert.throws(() => sptrsv(holes, tensor([1, 2, 3])), {
    message: 'sptrsv: L has no diagonal entry in row 1; store it, or pass unitDiagonal: true if it is implicitly 1',
  });
  // A stored zero on the diagonal: the first such row, also for upper solves (which sweep upwards).
  const zeros = CsrMatrix.fromCoo([0, 1, 2, 3, 3], [0, 1, 2, 2, 3], [1, 0, 1, 1, 0], [4, 4]);
  assert.throws(() => sptrsv(zeros, tensor([1, 2, 3, 4])), { message: 'sptrsv: L has a zero on the diagonal in row 1 (the triangular system is singular)' });
  const zerosU = CsrMatrix.fromCoo([0, 1, 2, 2, 3], [0, 1, 2, 3, 3], [1, 0, 1, 1, 0], [4, 4]);
  assert.throws(() => sptrsv(zerosU, tensor([1, 2, 3, 4]), { lower: false }), {
    message: 'sptrsv: L has a zero on the diagonal in row 1 (the triangular system is singular)',
  });
  assert.throws(() => sptrsv(zerosU, tensor(new Float64Array(8), { shape: [4, 2] }), { lower: false }), {
    message: 'sptrsv: L has a zero on the diagonal in row 1 (the triangular system is singular)',
  });
  // With unitDiagonal the stored zeros are ignored.
  assert.deepEqual([...sptrsv(zeros, tensor([1, 2, 3, 4]), { unitDiagonal: true }).toArray()], [1, 2, 3, 1]);
});
