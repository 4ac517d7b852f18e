// matrixStats and spyBins: hand-worked cases, a dense reference on random
// matrices, and the SPD column of shared/data/matrices/index.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CsrMatrix, matrixStats, readMatrixMarket, spyBins, type MatrixStats } from '../../native/lib/index.js';
import { denseOf, randomCsr, sharedData } from '../helpers.js';

test('stats: a hand-worked 4x4 case', () => {
  // [[5, 0, 1, 0],
  //  [0, 0, 0, 0],      empty row, missing diagonal
  //  [1, 0, 0, 2],      explicit zero on the diagonal
  //  [0, 0, 3, 7]]
  const A = CsrMatrix.fromCsr([0, 2, 2, 5, 7], [0, 2, 0, 2, 3, 2, 3], [5, 1, 1, 0, 2, 3, 7], [4, 4]);
  const s = matrixStats(A);
  assert.deepEqual(
    { ...s, spd: undefined },
    {
      rows: 4,
      cols: 4,
      nnz: 7,
      explicitZeros: 1,
      density: 7 / 16,
      square: true,
      patternSymmetric: true,
      numericSymmetric: false, // (2,3) = 2 but (3,2) = 3
      patternSymmetry: 1,
      numericSymmetry: 2 / 4, // off-diagonal (0,2), (2,0) match; (2,3), (3,2) do not
      diagonalNnz: 3,
      zeroDiagonals: 2,
      bandwidth: { lower: 2, upper: 2 },
      rowLength: { min: 0, mean: 7 / 4, max: 3 },
      emptyRows: 1,
      spd: undefined,
    },
  );
  assert.deepEqual(s.spd, { likely: false, certain: true, method: 'not-symmetric', reason: 'not symmetric (A != Aᵀ)' });
});

test('stats: symmetry counts an absent entry as 0; rectangular and empty matrices', () => {
  // Pattern not symmetric (explicit zero at (0,1) only) but numerically symmetric.
  const A = CsrMatrix.fromCsr([0, 2, 3], [0, 1, 1], [1, 0, 1], [2, 2]);
  const s = matrixStats(A);
  assert.deepEqual([s.patternSymmetric, s.numericSymmetric, s.patternSymmetry, s.numericSymmetry], [false, true, 0, 0]);
  assert.deepEqual(s.spd, { likely: true, certain: true, method: 'diagonal-dominance', reason: 'symmetric, positive diagonal, strictly diagonally dominant (Gershgorin)' });
  const R = CsrMatrix.fromDense([[1, 0, 2], [0, 0, 3]]);
  const r = matrixStats(R);
  assert.deepEqual([r.square, r.patternSymmetric, r.numericSymmetric, r.patternSymmetry, r.numericSymmetry], [false, false, false, null, null]);
  assert.deepEqual([r.diagonalNnz, r.zeroDiagonals, r.bandwidth.lower, r.bandwidth.upper], [1, 1, 0, 2]);
  assert.deepEqual(r.spd, { likely: false, certain: true, method: 'not-square', reason: 'not square (2 x 3)' });
  for (const shape of [[0, 0], [0, 3], [3, 0], [1, 1]] as const) {
    const E = matrixStats(CsrMatrix.fromCoo([], [], [], shape));
    assert.deepEqual([E.nnz, E.density, E.rowLength.min, E.rowLength.max, E.emptyRows, E.zeroDiagonals], [0, 0, 0, 0, shape[0], Math.min(...shape)]);
  }
  assert.equal(matrixStats(CsrMatrix.fromCoo([], [], [], [0, 0])).spd.likely, true);
  assert.equal(matrixStats(CsrMatrix.fromCoo([], [], [], [1, 1])).spd.method, 'diagonal');
});

test('stats: the SPD hint and how it decides', () => {
  const hint = (d: number[][], opts = {}) => matrixStats(CsrMatrix.fromDense(d), opts).spd;
  // Not diagonally dominant but SPD (eigenvalues 2.8, 0.1, 0.1): decided by Cholesky.
  assert.deepEqual(hint([[1, 0.9, 0.9], [0.9, 1, 0.9], [0.9, 0.9, 1]]), {
    likely: true,
    certain: true,
    method: 'cholesky',
    reason: 'Cholesky factorization succeeded (n = 3, 3 entries in the envelope)',
  });
  // Indefinite with a positive diagonal (eigenvalues 3, -1).
  assert.deepEqual(hint([[1, 2], [2, 1]]), { likely: false, certain: true, method: 'cholesky', reason: 'Cholesky factorization broke down at row 2 (n = 2, 1 entries in the envelope)' });
  // Positive semidefinite, singular: not positive definite.
  assert.equal(hint([[1, 1], [1, 1]]).likely, false);
  assert.deepEqual(hint([[1, 0], [0, -2]]), { likely: false, certain: true, method: 'diagonal', reason: 'diagonal entry (2, 2) = -2 is not positive' });
  assert.deepEqual(hint([[1, 1], [1, 0]]), { likely: false, certain: true, method: 'diagonal', reason: 'diagonal entry (2, 2) = 0 is not positive' });
  assert.deepEqual(hint([[2, 1], [1, 2]], { pattern: true }), { likely: null, certain: false, method: 'pattern', reason: 'pattern matrix: no values to judge' });
  // The 1-D Laplacian is only weakly dominant: Cholesky within the budget, a heuristic beyond it.
  const n = 200;
  const lap = CsrMatrix.fromCoo(
    [...Array(n).keys()].flatMap((i) => [i, i, i].slice(0, i === 0 || i === n - 1 ? 2 : 3)),
    [...Array(n).keys()].flatMap((i) => (i === 0 ? [0, 1] : i === n - 1 ? [i - 1, i] : [i - 1, i, i + 1])),
    [...Array(n).keys()].flatMap((i) => (i === 0 ? [2, -1] : i === n - 1 ? [-1, 2] : [-1, 2, -1])),
    [n, n],
  );
  assert.deepEqual(matrixStats(lap).spd, { likely: true, certain: true, method: 'cholesky', reason: 'Cholesky factorization succeeded (n = 200, 199 entries in the envelope)' });
  assert.deepEqual(matrixStats(lap, { choleskyMaxFlops: 0 }).spd, {
    likely: true,
    certain: false,
    method: 'diagonal-dominance',
    reason: 'symmetric, positive diagonal, weakly diagonally dominant (SPD when irreducible); a Cholesky check would exceed 0 flops',
  });
  assert.deepEqual(matrixStats(CsrMatrix.fromDense([[1, 0.9, 0.9], [0.9, 1, 0.9], [0.9, 0.9, 1]]), { choleskyMaxFlops: 0 }).spd.method, 'too-large');
  assert.equal(matrixStats(CsrMatrix.fromDense([[NaN, 0], [0, 1]])).spd.reason, 'diagonal entry (1, 1) = NaN is not positive');
  assert.equal(matrixStats(CsrMatrix.fromDense([[1, NaN], [NaN, 1]])).spd.method, 'not-symmetric');
});

test('stats: agree with a dense reference on random matrices (square, rectangular, float32, empty rows)', () => {
  const cases = [
    randomCsr(7, 7, { seed: 1, density: 0.3, emptyRows: [2] }),
    randomCsr(9, 4, { seed: 2, density: 0.4 }),
    randomCsr(3, 8, { seed: 3, density: 0.5, dtype: 'float32' }),
    randomCsr(12, 12, { seed: 4, density: 0.2, diagonal: 1 }),
    randomCsr(1, 1, { seed: 5, density: 1 }),
  ];
  // Symmetric ones too: A + Aᵀ built densely.
  const sym = denseOf(randomCsr(10, 10, { seed: 6, density: 0.3 })).map((row, i, D) => row.map((v, j) => v + D[j]![i]!));
  cases.push(CsrMatrix.fromDense(sym));
  for (const A of cases) {
    const D = denseOf(A);
    const stored = (i: number, j: number) => {
      const ip = A.indptr;
      for (let p = ip[i]!; p < ip[i + 1]!; p++) if (A.indices[p] === j) return true;
      return false;
    };
    const [m, n] = A.shape;
    const s = matrixStats(A);
    const want: Partial<MatrixStats> = { rows: m, cols: n, nnz: A.nnz };
    let zeros = 0;
    let diagNnz = 0;
    let lower = 0;
    let upper = 0;
    let off = 0;
    let pmatch = 0;
    let nmatch = 0;
    let numeric = m === n;
    const lens: number[] = [];
    for (let i = 0; i < m; i++) {
      let len = 0;
      for (let j = 0; j < n; j++) {
        if (m === n && D[i]![j] !== D[j]![i]) numeric = false;
        if (!stored(i, j)) continue;
        len++;
        if (D[i]![j] === 0) zeros++;
        if (i === j) diagNnz++;
        if (i > j) lower = Math.max(lower, i - j);
        if (j > i) upper = Math.max(upper, j - i);
        if (i !== j && m === n) {
          off++;
          if (stored(j, i)) {
            pmatch++;
            if (D[j]![i] === D[i]![j]) nmatch++;
          }
        }
      }
      lens.push(len);
    }
    let zeroDiag = 0;
    for (let i = 0; i < Math.min(m, n); i++) if (D[i]![i] === 0) zeroDiag++;
    Object.assign(want, {
      explicitZeros: zeros,
      diagonalNnz: diagNnz,
      zeroDiagonals: zeroDiag,
      bandwidth: { lower, upper },
      rowLength: { min: Math.min(...lens), mean: A.nnz / m, max: Math.max(...lens) },
      emptyRows: lens.filter((l) => l === 0).length,
      square: m === n,
      patternSymmetric: m === n && pmatch === off,
      numericSymmetric: numeric,
      patternSymmetry: m === n ? (off === 0 ? 1 : pmatch / off) : null,
      numericSymmetry: m === n ? (off === 0 ? 1 : nmatch / off) : null,
    });
    for (const [k, v] of Object.entries(want)) assert.deepEqual(s[k as keyof MatrixStats], v, `${A}: ${k}`);
  }
});

test('stats: the SPD hint matches the spd column of index.json for every real and complex matrix', async () => {
  const index = JSON.parse(readFileSync(sharedData('matrices', 'index.json'), 'utf8')) as { matrices: { name: string; file: string; spd: boolean | 'unknown' }[] };
  for (const m of index.matrices) {
    const { matrix, header } = await readMatrixMarket(sharedData('matrices', m.file), { complex: 'real' });
    const s = matrixStats(matrix, { pattern: header.pattern });
    if (m.spd === 'unknown') {
      // Pattern files: unknown, except that a rectangular one is certainly not SPD.
      assert.equal(s.spd.likely, s.square ? null : false, m.name);
    } else {
      // The real part of a Hermitian positive definite matrix is SPD (xᵀ Re(H) x = Re(xᵀ H x) for real x).
      assert.equal(s.spd.likely, m.spd, `${m.name}: ${s.spd.reason}`);
      assert.equal(s.spd.certain, true, `${m.name}: ${s.spd.reason}`);
    }
  }
});

test('spyBins: hand-worked grids, clamping, and a dense reference', () => {
  const I = CsrMatrix.fromDense([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
  const b = spyBins(I, 2, 2);
  assert.deepEqual([b.width, b.height, [...b.counts], b.max], [2, 2, [2, 0, 0, 2], 2]);
  // Row-major bins: a 2x4 matrix into a 4x1 grid (one bin row, one column per bin).
  const R = CsrMatrix.fromDense([[1, 1, 0, 0], [0, 1, 0, 1]]);
  const r = spyBins(R, 4, 1);
  assert.deepEqual([r.width, r.height, [...r.counts], r.max], [4, 1, [1, 2, 0, 1], 2]);
  // Clamped to the matrix: no bin narrower than a column or shorter than a row.
  const c = spyBins(R, 100, 50);
  assert.deepEqual([c.width, c.height, [...c.counts]], [4, 2, [1, 1, 0, 0, 0, 1, 0, 1]]);
  const e = spyBins(CsrMatrix.fromCoo([], [], [], [0, 0]), 8, 8);
  assert.deepEqual([e.width, e.height, [...e.counts], e.max], [1, 1, [0], 0]);
  // A random rectangular matrix against a direct count of the formula.
  const A = randomCsr(37, 53, { seed: 9, density: 0.2 });
  const D = denseOf(A);
  const s = spyBins(A, 10, 6);
  const want = new Uint32Array(60);
  for (let i = 0; i < 37; i++) for (let j = 0; j < 53; j++) if (D[i]![j] !== 0) want[Math.floor((i * 6) / 37) * 10 + Math.floor((j * 10) / 53)]++;
  assert.deepEqual([...s.counts], [...want]);
  assert.equal(s.max, Math.max(...want));
  assert.equal(s.counts.reduce((a, v) => a + v, 0), A.nnz);
});

test('stats and spyBins: argument errors', () => {
  const A = CsrMatrix.fromDense([[1]]);
  assert.throws(() => spyBins(A, 0, 4), /^SparseAdError: spyBins: expected an integer in 1..65536 for width but received number 0$/);
  assert.throws(() => spyBins(A, 4, 2.5), /spyBins: expected an integer in 1..65536 for height but received number 2.5/);
  assert.throws(() => spyBins(A, 65536, 65536), /spyBins: a 65536 x 65536 grid has more than 2\^24 bins/);
  assert.throws(() => matrixStats({} as never), /matrixStats: expected a CsrMatrix for matrix but received Object object/);
  assert.throws(() => matrixStats(A, { choleskyMaxFlops: -1 }), /matrixStats: expected a non-negative number for choleskyMaxFlops but received number -1/);
});
