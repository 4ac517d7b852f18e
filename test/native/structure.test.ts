import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CsrMatrix, type Tensor, astype, diagonal, diags, eye, gradcheck, kron, poisson1d, poisson2d, randn, tensor, transpose, tril, triu, type DType,
} from '../../native/lib/index.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

// ---------------------------------------------------------------------------
// Dense references, written here independently of the engine.

function denseTranspose(a: number[][], cols: number): number[][] {
  return Array.from({ length: cols }, (_, j) => a.map((row) => row[j]!));
}

function denseKron(a: number[][], b: number[][], aCols: number, bCols: number): number[][] {
  const out: number[][] = [];
  for (const ra of a) {
    for (const rb of b) {
      const row: number[] = [];
      for (let ja = 0; ja < aCols; ja++) for (let jb = 0; jb < bCols; jb++) row.push(ra[ja]! * rb[jb]!);
      out.push(row);
    }
  }
  return out;
}

function zerosDense(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** The 5-point Laplacian on an nx × ny grid with Dirichlet boundaries, unknown (x, y) at y·nx + x. */
function stencil2d(nx: number, ny: number): number[][] {
  const n = nx * ny;
  const out = zerosDense(n, n);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const r = y * nx + x;
      out[r]![r] = 4;
      if (x > 0) out[r]![r - 1] = -1;
      if (x + 1 < nx) out[r]![r + 1] = -1;
      if (y > 0) out[r]![r - nx] = -1;
      if (y + 1 < ny) out[r]![r + nx] = -1;
    }
  }
  return out;
}

/** Stored (row, column) pairs, to check the pattern as well as the values. */
function entries(A: CsrMatrix): string[] {
  const ip = A.indptr;
  const ix = A.indices;
  const out: string[] = [];
  for (let i = 0; i < A.rows; i++) for (let p = ip[i]!; p < ip[i + 1]!; p++) out.push(`${i},${ix[p]}`);
  return out;
}

const shapes: { name: string; rows: number; cols: number; emptyRows?: number[]; density?: number }[] = [
  { name: 'square', rows: 6, cols: 6 },
  { name: 'wide', rows: 3, cols: 7 },
  { name: 'tall', rows: 8, cols: 3 },
  { name: 'empty rows', rows: 7, cols: 5, emptyRows: [0, 2, 6] },
  { name: 'zero nnz', rows: 4, cols: 5, density: 0 },
  { name: '1x1', rows: 1, cols: 1, density: 1 },
  { name: '0x3', rows: 0, cols: 3 },
];

function sample(s: (typeof shapes)[number], dtype: DType = 'float64', seed = 5): CsrMatrix {
  return randomCsr(s.rows, s.cols, { dtype, seed, density: s.density ?? 0.45, emptyRows: s.emptyRows });
}

// ---------------------------------------------------------------------------
// transpose

for (const s of shapes) {
  test(`transpose: ${s.name} matches the dense transpose; twice gives A back; VJP`, () => {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const A = sample(s, dtype);
      const T = transpose(A);
      assert.deepEqual(T.shape, [s.cols, s.rows]);
      assert.equal(T.dtype, dtype);
      assert.deepEqual(denseOf(T), denseTranspose(denseOf(A), s.cols));
      const TT = T.transpose();
      assert.equal(TT.pattern, A.pattern, 'transposing twice returns the original pattern');
      assert.deepEqual([...TT.values.toArray()], [...A.values.toArray()]);
    }
    const A = sample(s);
    const r = gradcheck((a) => transpose(a as CsrMatrix).values, [A]);
    assert.ok(r.ok, JSON.stringify(r.failures));
  });
}

test('transpose: hand-worked case; structure is cached per pattern and shared by matrices with that pattern', () => {
  // A = [[1, 2, 0], [0, 0, 3]]  ->  Aᵀ = [[1, 0], [2, 0], [0, 3]]
  const A = CsrMatrix.fromCsr([0, 2, 3], [0, 1, 2], [1, 2, 3], [2, 3], { requiresGrad: true });
  const T = A.transpose();
  assert.deepEqual([...T.indptr], [0, 1, 2, 3]);
  assert.deepEqual([...T.indices], [0, 0, 1]);
  assert.deepEqual([...T.values.toArray()], [1, 2, 3]);
  T.values.backward(tensor([10, 20, 30]));
  assert.deepEqual([...A.values.grad!.toArray()], [10, 20, 30]);
  const B = A.withValues([4, 5, 6]);
  assert.equal(B.transpose().pattern, T.pattern);
  // A bigger one, where the permutation is not the identity.
  const C = randomCsr(9, 7, { seed: 2, density: 0.5, requiresGrad: true });
  const g = randn([C.nnz], { seed: 3 });
  C.transpose().values.backward(g);
  // dC[p] = g at the position entry p moved to
  const moved = new Map<string, number>();
  const Ct = C.transpose();
  entries(Ct).forEach((e, q) => moved.set(e, g.data[q]!));
  const expected = entries(C).map((e) => moved.get(e.split(',').reverse().join(','))!);
  assertClose(C.values.grad!.toArray(), expected);
});

// ---------------------------------------------------------------------------
// diagonal

test('diagonal: main and off diagonals, zeros where nothing is stored, rectangular, VJP', () => {
  // A = [[1, 0, 2, 0], [0, 0, 3, 4], [5, 0, 0, 6]]
  const A = CsrMatrix.fromDense([[1, 0, 2, 0], [0, 0, 3, 4], [5, 0, 0, 6]], { requiresGrad: true });
  assert.deepEqual(diagonal(A).toList(), [1, 0, 0]);
  assert.deepEqual(A.diagonal(1).toList(), [0, 3, 6]);
  assert.deepEqual(A.diagonal(2).toList(), [2, 4]);
  assert.deepEqual(A.diagonal(3).toList(), [0]);
  assert.deepEqual(A.diagonal(4).toList(), []);
  assert.deepEqual(A.diagonal(-1).toList(), [0, 0]);
  assert.deepEqual(A.diagonal(-2).toList(), [5]);
  assert.deepEqual(A.diagonal(-3).toList(), []);
  assert.deepEqual(A.diagonal(-100).toList(), []);
  A.diagonal(1).backward(tensor([10, 20, 30]));
  // The gradient lands on the stored entries (1,2) = 3 and (2,3) = 6 only.
  assert.deepEqual([...A.values.grad!.toArray()], [0, 0, 20, 0, 0, 30]);

  for (const s of shapes) {
    const B = sample(s);
    const dense = denseOf(B);
    for (const k of [-2, -1, 0, 1, 3]) {
      const d = B.diagonal(k);
      const ref: number[] = [];
      for (let i = Math.max(0, -k); i < s.rows && i + k < s.cols; i++) ref.push(dense[i]![i + k]!);
      assert.deepEqual([...d.toArray()], ref, `${s.name} k=${k}`);
      if (ref.length > 0 && B.nnz > 0) {
        const r = gradcheck((a) => diagonal(a as CsrMatrix, k), [B]);
        assert.ok(r.ok, `${s.name} k=${k}: ${JSON.stringify(r.failures)}`);
      }
    }
  }
  assert.equal(sample(shapes[0]!, 'float32').diagonal().dtype, 'float32');
});

// ---------------------------------------------------------------------------
// tril / triu

test('tril/triu: match the dense triangles for every k, split A exactly, VJPs', () => {
  for (const s of shapes) {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const A = sample(s, dtype);
      const dense = denseOf(A);
      for (const k of [-3, -1, 0, 1, 2, 50, -50]) {
        const L = tril(A, k);
        const U = A.triu(k);
        assert.deepEqual(L.shape, A.shape);
        assert.deepEqual(denseOf(L), dense.map((row, i) => row.map((v, j) => (j - i <= k ? v : 0))), `${s.name} tril ${k}`);
        assert.deepEqual(denseOf(U), dense.map((row, i) => row.map((v, j) => (j - i >= k ? v : 0))), `${s.name} triu ${k}`);
        // Every stored entry goes to exactly one of tril(k), triu(k + 1).
        assert.equal(L.nnz + A.triu(k + 1).nnz, A.nnz);
      }
    }
    const A = sample(s);
    if (A.nnz > 0) {
      for (const k of [-1, 0, 1]) {
        assert.ok(gradcheck((a) => tril(a as CsrMatrix, k).values, [A]).ok, `${s.name} tril ${k}`);
        assert.ok(gradcheck((a) => triu(a as CsrMatrix, k).values, [A]).ok, `${s.name} triu ${k}`);
      }
    }
  }
});

test('tril/triu: hand-worked gradient scatters back to the kept entries', () => {
  // A = [[1, 2], [3, 4]]
  const A = CsrMatrix.fromDense([[1, 2], [3, 4]], { requiresGrad: true });
  const L = A.tril();
  assert.deepEqual([...L.values.toArray()], [1, 3, 4]);
  L.values.backward(tensor([10, 30, 40]));
  assert.deepEqual([...A.values.grad!.toArray()], [10, 0, 30, 40]);
  const U = A.triu(1);
  assert.deepEqual(entries(U), ['0,1']);
});

// ---------------------------------------------------------------------------
// Generators

test('eye: identity of any size, dtype and requiresGrad', () => {
  assert.deepEqual(denseOf(eye(3)), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  assert.deepEqual(CsrMatrix.eye(0).shape, [0, 0]);
  assert.equal(CsrMatrix.eye(0).nnz, 0);
  const I = CsrMatrix.eye(2, { dtype: 'float32', requiresGrad: true });
  assert.equal(I.dtype, 'float32');
  assert.ok(I.values.requiresGrad && I.values.isLeaf);
  assert.throws(() => eye(-1), { message: 'CsrMatrix.eye: expected a non-negative 32-bit integer for n but received number -1' });
  assert.throws(() => eye(2.5), { message: 'CsrMatrix.eye: expected a non-negative 32-bit integer for n but received number 2.5' });
});

test('diags: as scipy.sparse.diags (scalars broadcast, arrays, default shape, rectangular)', () => {
  // scipy.sparse.diags([1, -2, 1], [-1, 0, 1], shape=(4, 4))
  assert.deepEqual(denseOf(diags([1, -2, 1], [-1, 0, 1], [4, 4])), [[-2, 1, 0, 0], [1, -2, 1, 0], [0, 1, -2, 1], [0, 0, 1, -2]]);
  // scipy.sparse.diags([[1, 2, 3], [4, 5]], [0, -1]) -> 3x3 (shape from the first diagonal)
  assert.deepEqual(denseOf(CsrMatrix.diags([[1, 2, 3], [4, 5]], [0, -1])), [[1, 0, 0], [4, 2, 0], [0, 5, 3]]);
  // diags([[1, 2]], [1]) -> 3x3 with the superdiagonal
  assert.deepEqual(denseOf(diags([[1, 2]], [1])), [[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
  // Rectangular: offsets beyond the square part, and index t along a diagonal at row t - min(k, 0)
  assert.deepEqual(denseOf(diags([[1, 2, 6], [7], [3, 4]], [0, 2, -1], [3, 4])), [[1, 0, 7, 0], [3, 2, 0, 7], [0, 4, 6, 0]]);
  assert.deepEqual(denseOf(diags([[9], 8], [3, -1], [2, 4])), [[0, 0, 0, 9], [8, 0, 0, 0]]);
  // Entries are stored even where the value is 0 (the pattern does not depend on values).
  assert.equal(diags([0], [0], [3, 3]).nnz, 3);
  // Offsets given in any order give sorted rows.
  assert.deepEqual(entries(diags([1, 2, 3], [1, -1, 0], [2, 2])), ['0,0', '0,1', '1,0', '1,1']);
  // Empty diagonals at the edge are allowed (as SciPy).
  assert.equal(diags([1], [3], [3, 3]).nnz, 0);
  assert.equal(diags([], [], [2, 5]).nnz, 0);
  assert.equal(diags([1], [0], [3, 3], { dtype: 'float32' }).dtype, 'float32');
});

test('diags: differentiable w.r.t. Tensor diagonals, including broadcast ones', () => {
  const main = tensor([1, 2, 3, 4]);
  const off = tensor([5]);
  const r = gradcheck((a, b) => diags([a as Tensor, -1, b as Tensor], [0, 1, -1], [4, 4]).values, [main, off]);
  assert.ok(r.ok, JSON.stringify(r.failures));
  const d = tensor([1, 2, 3], { requiresGrad: true });
  const s = tensor([7], { requiresGrad: true });
  const A = diags([d, s], [0, 1], [3, 3]);
  assert.equal(A.dtype, 'float64');
  // values in CSR order: (0,0)=d0, (0,1)=s, (1,1)=d1, (1,2)=s, (2,2)=d2
  assert.deepEqual([...A.values.toArray()], [1, 7, 2, 7, 3]);
  A.values.backward(tensor([1, 10, 2, 20, 3]));
  assert.deepEqual([...d.grad!.toArray()], [1, 2, 3]);
  assert.deepEqual([...s.grad!.toArray()], [30]);
  // float32 Tensors give a float32 matrix.
  assert.equal(diags([tensor([1, 2], { dtype: 'float32' })], [0]).dtype, 'float32');
  // requiresGrad on plain-number diagonals makes the values a leaf.
  const leaf = diags([1, 2], [0, 1], [2, 2], { requiresGrad: true });
  assert.ok(leaf.values.requiresGrad && leaf.values.isLeaf);
});

test('diags: clear errors for bad offsets, lengths and inputs', () => {
  assert.throws(() => diags([1, 2], [0], [3, 3]), { message: 'CsrMatrix.diags: 2 diagonals but 1 offsets (give one offset per diagonal)' });
  assert.throws(() => diags([1, 2], [0, 0], [3, 3]), { message: 'CsrMatrix.diags: offset 0 is repeated (offsets[1])' });
  assert.throws(() => diags([1], [4], [3, 3]), {
    message: 'CsrMatrix.diags: offset 4 (offsets[0]) is outside a matrix of shape [3, 3] (offsets must lie in [-3, 3])',
  });
  assert.throws(() => diags([1], [-5], [3, 4]), {
    message: 'CsrMatrix.diags: offset -5 (offsets[0]) is outside a matrix of shape [3, 4] (offsets must lie in [-3, 4])',
  });
  assert.throws(() => diags([[1, 2]], [0], [3, 3]), {
    message: 'CsrMatrix.diags: diagonal 0 (offset 0) has 2 values but that diagonal of a [3, 3] matrix has 3 (give 3, or one to broadcast)',
  });
  assert.throws(() => diags([1, [1, 2, 3]], [0, 1], [3, 3]), {
    message: 'CsrMatrix.diags: diagonal 1 (offset 1) has 3 values but that diagonal of a [3, 3] matrix has 2 (give 2, or one to broadcast)',
  });
  assert.throws(() => diags([1], [0.5], [3, 3]), { message: 'CsrMatrix.diags: expected an integer for offsets[0] but received number 0.5' });
  assert.throws(() => diags([1], [0]), { message: 'CsrMatrix.diags: shape is needed when the first diagonal is a number (or there is none)' });
  assert.throws(() => diags([1], [0], [-1, 3]), { message: 'CsrMatrix.diags: shape [-1, 3] must hold non-negative 32-bit integers' });
  assert.throws(() => diags(5 as unknown as number[], [0], [3, 3]), {
    message: 'CsrMatrix.diags: expected an array of diagonals (numbers, arrays or Tensors) for diagonals but received number 5',
  });
  assert.throws(() => diags([1], 0 as unknown as number[], [3, 3]), { message: 'CsrMatrix.diags: expected an array of integer offsets for offsets but received number 0' });
  assert.throws(() => diags([['a'] as unknown as number[]], [0], [1, 1]), { message: 'CsrMatrix.diags: diagonal 0 holds a non-number at index 0 (string "a")' });
  assert.throws(() => diags([randn([2, 2])], [0], [2, 2]), { message: 'CsrMatrix.diags: diagonal 0 must be a 1-D tensor but has shape [2, 2]' });
  assert.throws(() => diags([tensor([1, 2]), tensor([1], { dtype: 'float32' })], [0, 1], [2, 2]), {
    message: 'CsrMatrix.diags: mixed dtypes among the diagonals (float64 and float32)',
  });
  assert.throws(() => diags([tensor([1, 2])], [0], [2, 2], { dtype: 'float32' }), {
    message: 'CsrMatrix.diags: a diagonal is float64 but dtype float32 was asked for',
  });
});

test('kron: matches the dense Kronecker product on several shapes; VJP w.r.t. both', () => {
  const cases: [number, number, number, number][] = [[2, 3, 3, 2], [3, 3, 2, 2], [1, 1, 4, 3], [4, 2, 1, 1], [3, 2, 0, 2]];
  for (const [ra, ca, rb, cb] of cases) {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const A = randomCsr(ra, ca, { dtype, seed: 21, density: 0.6, emptyRows: ra > 2 ? [1] : [] });
      const B = randomCsr(rb, cb, { dtype, seed: 22, density: 0.6 });
      const K = kron(A, B);
      assert.deepEqual(K.shape, [ra * rb, ca * cb]);
      assert.equal(K.nnz, A.nnz * B.nnz);
      assertClose(denseOf(K), denseKron(denseOf(A), denseOf(B), ca, cb), dtype === 'float32' ? { rtol: 1e-6 } : {});
    }
    const A = randomCsr(ra, ca, { seed: 21, density: 0.6 });
    const B = randomCsr(rb, cb, { seed: 22, density: 0.6 });
    const r = gradcheck((a, b) => kron(a as CsrMatrix, b as CsrMatrix).values, [A, B]);
    assert.ok(r.ok, `${ra}x${ca} ⊗ ${rb}x${cb}: ${JSON.stringify(r.failures)}`);
  }
});

test('kron: hand-worked gradients and clear errors', () => {
  const A = CsrMatrix.fromDense([[1, 2]], { requiresGrad: true });
  const B = CsrMatrix.fromDense([[3], [4]], { requiresGrad: true });
  const K = CsrMatrix.kron(A, B); // [[3, 6], [4, 8]]
  assert.deepEqual(denseOf(K), [[3, 6], [4, 8]]);
  // values in CSR order: 3 (a0 b0), 6 (a1 b0), 4 (a0 b1), 8 (a1 b1)
  K.values.backward(tensor([1, 10, 100, 1000]));
  // dA[p] = Σ_q G[(p, q)] b_q: a0: 1·3 + 100·4 = 403, a1: 10·3 + 1000·4 = 4030
  assert.deepEqual([...A.values.grad!.toArray()], [403, 4030]);
  // dB[q] = Σ_p G[(p, q)] a_p: b0: 1·1 + 10·2 = 21, b1: 100·1 + 1000·2 = 2100
  assert.deepEqual([...B.values.grad!.toArray()], [21, 2100]);

  assert.throws(() => kron(A, randn([2, 2]) as unknown as CsrMatrix), {
    message: 'kron: expected a CsrMatrix for B but received Tensor of shape [2, 2] (float64)',
  });
  assert.throws(() => kron([[1]] as unknown as CsrMatrix, A), { message: 'kron: expected a CsrMatrix for A but received array of length 1' });
  assert.throws(() => kron(A, B.astype('float32')), { message: 'kron: mixed dtypes: A is float64 but B is float32 (convert one with .to())' });
  const big = CsrMatrix.fromCoo([0], [0], [1], [70000, 70000]);
  assert.throws(() => kron(big, big), {
    message: 'kron: A [70000, 70000] (nnz 1) ⊗ B [70000, 70000] (nnz 1) would have shape [4900000000, 4900000000] and 1 nonzeros, beyond 32-bit indices',
  });
});

test('poisson1d: 2 on the diagonal, -1 off, any size', () => {
  assert.deepEqual(denseOf(poisson1d(4)), [[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]]);
  assert.deepEqual(denseOf(CsrMatrix.poisson1d(1)), [[2]]);
  assert.deepEqual(denseOf(CsrMatrix.poisson1d(2)), [[2, -1], [-1, 2]]);
  assert.equal(CsrMatrix.poisson1d(0).nnz, 0);
  assert.equal(CsrMatrix.poisson1d(1000).nnz, 2998);
  assert.equal(poisson1d(3, { dtype: 'float32' }).dtype, 'float32');
  assert.throws(() => poisson1d(-3), { message: 'CsrMatrix.poisson1d: expected a non-negative 32-bit integer for n but received number -3' });
});

test('poisson2d: the Kronecker sum equals the explicit 5-point stencil', () => {
  for (const [nx, ny] of [[3, 4], [4, 3], [1, 1], [5, 1], [1, 5], [2, 2], [0, 3]] as const) {
    const A = poisson2d(nx, ny);
    assert.deepEqual(A.shape, [nx * ny, nx * ny]);
    assert.deepEqual(denseOf(A), stencil2d(nx, ny), `${nx}x${ny}`);
    // Only the stencil's nonzeros are stored.
    assert.equal(A.nnz, stencil2d(nx, ny).flat().filter((v) => v !== 0).length);
  }
  const B = CsrMatrix.poisson2d(3, 3, { dtype: 'float32', requiresGrad: true });
  assert.equal(B.dtype, 'float32');
  assert.ok(B.values.requiresGrad && B.values.isLeaf);
  assert.throws(() => poisson2d(-1, 2), { message: 'CsrMatrix.poisson2d: expected a non-negative 32-bit integer for nx but received number -1' });
  assert.throws(() => poisson2d(2, -2), { message: 'CsrMatrix.poisson2d: expected a non-negative 32-bit integer for ny but received number -2' });
});

// ---------------------------------------------------------------------------
// astype / to

test('astype/to: differentiable cast of the values, same matrix when the dtype is unchanged', () => {
  const A = randomCsr(4, 5, { seed: 9, requiresGrad: true });
  assert.equal(A.astype('float64'), A);
  const B = A.to('float32');
  assert.equal(B.dtype, 'float32');
  assert.equal(B.pattern, A.pattern);
  assertClose(B.values.toArray(), A.values.toArray(), { rtol: 1e-6 });
  B.values.backward(tensor(new Float32Array(B.nnz).fill(2), { dtype: 'float32' }));
  assert.equal(A.values.grad!.dtype, 'float64');
  assert.deepEqual([...A.values.grad!.toArray()], new Array(A.nnz).fill(2));
  assert.throws(() => astype(A, 'int8' as DType), { message: "astype: expected 'float64' or 'float32' for dtype but received string \"int8\"" });
});

test('structural ops compose and stay differentiable (transpose → tril → diagonal)', () => {
  const A = randomCsr(6, 6, { seed: 13, density: 0.6 });
  const r = gradcheck((a) => diagonal(tril((a as CsrMatrix).transpose(), 0), 0), [A]);
  assert.ok(r.ok, JSON.stringify(r.failures));
  const B = randomCsr(3, 2, { seed: 14, density: 0.7 });
  const r2 = gradcheck((a, b) => kron((a as CsrMatrix).transpose(), (b as CsrMatrix).triu()).values, [A, B]);
  assert.ok(r2.ok, JSON.stringify(r2.failures));
});

test('structural ops: clear errors for non-matrices and bad k', () => {
  const A = randomCsr(3, 3, { seed: 1 });
  assert.throws(() => transpose(randn([2, 2]) as unknown as CsrMatrix), { message: 'transpose: expected a CsrMatrix for A but received Tensor of shape [2, 2] (float64)' });
  assert.throws(() => diagonal(A, 0.5), { message: 'diagonal: expected an integer for k but received number 0.5' });
  assert.throws(() => tril(A, NaN), { message: 'tril: expected an integer for k but received number NaN' });
  assert.throws(() => triu(A, '1' as unknown as number), { message: 'triu: expected an integer for k but received string "1"' });
});
