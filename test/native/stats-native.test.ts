// matrixStats, spyBins and transposeArrays, now native (issue #15), against the
// JavaScript they replaced, copied below unchanged but for its argument checks
// (an independent reference: no code shared with native/core/stats_cpu.cc).
// Every field must be identical: integers and booleans equal, doubles the same
// bits (deepStrictEqual compares numbers with Object.is, and bitsOf below checks
// the doubles' bytes), the SPD hint's likely, certain, method and reason text
// equal, spy counts and transposed arrays equal element by element. Run on every
// matrix in shared/data/matrices (and its edge/ cases), as float64 and float32,
// and on synthetic cases for each branch of the SPD hint.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CsrMatrix, matrixStats, readMatrixMarket, spyBins, type MatrixStats, type MatrixStatsOptions, type SpdHint, type SpyBins } from '../../native/lib/index.js';
import { transposeArrays } from '../../native/lib/stats.js';
import { randomCsr, sharedData } from '../helpers.js';

// ---- The reference: native/lib/stats.ts as it was before issue #15 (JavaScript loops), argument checks left out. ----

function refTransposeArrays(
  rows: number,
  cols: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: ArrayLike<number>,
): { indptr: Int32Array; indices: Int32Array; values: Float64Array } {
  const nnz = indptr[rows]!;
  const tp = new Int32Array(cols + 1);
  for (let p = 0; p < nnz; p++) tp[indices[p]! + 1]++;
  for (let j = 0; j < cols; j++) tp[j + 1] += tp[j]!;
  const next = tp.slice(0, cols);
  const ti = new Int32Array(nnz);
  const tv = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const at = next[indices[p]!]!++;
      ti[at] = i;
      tv[at] = values[p]!;
    }
  }
  return { indptr: tp, indices: ti, values: tv };
}

/** Statistics of a CSR matrix, each O(nnz) (see MatrixStats; the SPD hint may run a bounded Cholesky). */
function refMatrixStats(A: CsrMatrix, options: MatrixStatsOptions = {}): MatrixStats {
  const { rows, cols } = A;
  const { indptr, indices } = A.pattern.raw;
  const values = A.values.data;
  const choleskyMaxFlops = options.choleskyMaxFlops ?? 2e8;
  const nnz = indptr[rows]!;
  const square = rows === cols;

  let explicitZeros = 0;
  let diagonalNnz = 0;
  let lower = 0;
  let upper = 0;
  let minRow = rows === 0 ? 0 : Infinity;
  let maxRow = 0;
  let emptyRows = 0;
  const ndiag = Math.min(rows, cols);
  const diag = new Float64Array(ndiag); // absent = 0
  for (let i = 0; i < rows; i++) {
    const s = indptr[i]!;
    const e = indptr[i + 1]!;
    const len = e - s;
    if (len < minRow) minRow = len;
    if (len > maxRow) maxRow = len;
    if (len === 0) emptyRows++;
    for (let p = s; p < e; p++) {
      const j = indices[p]!;
      const v = values[p]!;
      if (v === 0) explicitZeros++;
      if (j === i) {
        diagonalNnz++;
        diag[i] = v;
      } else if (j < i) {
        if (i - j > lower) lower = i - j;
      } else if (j - i > upper) {
        upper = j - i;
      }
    }
  }
  let zeroDiagonals = 0;
  for (let i = 0; i < ndiag; i++) if (diag[i] === 0) zeroDiagonals++;

  // Symmetry: merge each row of A with the same row of Aᵀ (both sorted).
  let patternSymmetric = false;
  let numericSymmetric = false;
  let patternSymmetry: number | null = null;
  let numericSymmetry: number | null = null;
  if (square) {
    const T = refTransposeArrays(rows, cols, indptr, indices, values);
    let offdiag = 0;
    let matched = 0;
    let matchedEqual = 0;
    numericSymmetric = true;
    for (let i = 0; i < rows; i++) {
      let p = indptr[i]!;
      const pe = indptr[i + 1]!;
      let q = T.indptr[i]!;
      const qe = T.indptr[i + 1]!;
      while (p < pe || q < qe) {
        const ja = p < pe ? indices[p]! : cols;
        const jt = q < qe ? T.indices[q]! : cols;
        if (ja === jt) {
          if (ja !== i) {
            offdiag++;
            matched++;
            if (values[p] === T.values[q]) matchedEqual++;
            else numericSymmetric = false;
          }
          p++;
          q++;
        } else if (ja < jt) {
          if (ja !== i) offdiag++;
          if (values[p] !== 0) numericSymmetric = false; // A[i, ja] has no mirror
          p++;
        } else {
          if (T.values[q] !== 0) numericSymmetric = false; // A[jt, i] has no mirror
          q++;
        }
      }
    }
    patternSymmetric = matched === offdiag;
    patternSymmetry = offdiag === 0 ? 1 : matched / offdiag;
    numericSymmetry = offdiag === 0 ? 1 : matchedEqual / offdiag;
  }

  const stats: Omit<MatrixStats, 'spd'> = {
    rows,
    cols,
    nnz,
    explicitZeros,
    density: rows === 0 || cols === 0 ? 0 : nnz / (rows * cols),
    square,
    patternSymmetric,
    numericSymmetric,
    patternSymmetry,
    numericSymmetry,
    diagonalNnz,
    zeroDiagonals,
    bandwidth: { lower, upper },
    rowLength: { min: minRow, mean: rows === 0 ? 0 : nnz / rows, max: maxRow },
    emptyRows,
  };
  return { ...stats, spd: spdHint(rows, cols, indptr, indices, values, diag, numericSymmetric, options.pattern ?? false, choleskyMaxFlops) };
}

function spdHint(
  rows: number,
  cols: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: ArrayLike<number>,
  diag: Float64Array,
  symmetric: boolean,
  pattern: boolean,
  choleskyMaxFlops: number,
): SpdHint {
  const n = rows;
  if (rows !== cols) return { likely: false, certain: true, method: 'not-square', reason: `not square (${rows} x ${cols})` };
  if (pattern) return { likely: null, certain: false, method: 'pattern', reason: 'pattern matrix: no values to judge' };
  if (!symmetric) return { likely: false, certain: true, method: 'not-symmetric', reason: 'not symmetric (A != Aᵀ)' };
  for (let i = 0; i < n; i++) {
    if (!(diag[i]! > 0)) {
      return { likely: false, certain: true, method: 'diagonal', reason: `diagonal entry (${i + 1}, ${i + 1}) = ${diag[i]} is not positive` };
    }
  }
  if (n === 0) return { likely: true, certain: true, method: 'diagonal', reason: 'empty matrix (0 x 0)' };
  // Gershgorin: a_ii > Σ_j≠i |a_ij| in every row puts every eigenvalue above 0.
  let strict = true;
  let weak = true;
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p] !== i) off += Math.abs(values[p]!);
    if (!(diag[i]! > off)) strict = false;
    if (!(diag[i]! >= off)) weak = false;
  }
  if (strict) {
    return { likely: true, certain: true, method: 'diagonal-dominance', reason: 'symmetric, positive diagonal, strictly diagonally dominant (Gershgorin)' };
  }
  // The envelope: first[i] = first stored column of row i's lower part; its cost Σ w_i²/2.
  const first = new Int32Array(n);
  const start = new Float64Array(n + 1);
  let flops = 0;
  for (let i = 0; i < n; i++) {
    let f = i;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p]! < f) f = indices[p]!;
    first[i] = f;
    start[i + 1] = start[i]! + (i - f);
    flops += ((i - f) * (i - f)) / 2 + (i - f);
  }
  if (flops <= choleskyMaxFlops && start[n]! <= 4e6) {
    const failedAt = envelopeCholesky(n, first, start, indptr, indices, values);
    const size = `n = ${n}, ${start[n]} entries in the envelope`;
    return failedAt < 0
      ? { likely: true, certain: true, method: 'cholesky', reason: `Cholesky factorization succeeded (${size})` }
      : { likely: false, certain: true, method: 'cholesky', reason: `Cholesky factorization broke down at row ${failedAt + 1} (${size})` };
  }
  if (weak) {
    return {
      likely: true,
      certain: false,
      method: 'diagonal-dominance',
      reason: `symmetric, positive diagonal, weakly diagonally dominant (SPD when irreducible); a Cholesky check would exceed ${choleskyMaxFlops} flops`,
    };
  }
  return {
    likely: null,
    certain: false,
    method: 'too-large',
    reason: `symmetric with a positive diagonal but not diagonally dominant; a Cholesky check would exceed ${choleskyMaxFlops} flops`,
  };
}

/**
 * Cholesky factorization restricted to the envelope (profile) of the lower
 * triangle: row i of L can only be nonzero from its first stored column f_i to
 * i, so no fill falls outside; a dense matrix is the special case f_i = 0.
 * Returns the failing row (a pivot at or below n·eps·max a_ii) or -1 when every
 * pivot is positive (positive definite up to rounding).
 */
function envelopeCholesky(n: number, first: Int32Array, start: Float64Array, indptr: Int32Array, indices: Int32Array, values: ArrayLike<number>): number {
  const L = new Float64Array(start[n]!);
  const d = new Float64Array(n); // the diagonal of L
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = indices[p]!;
      if (j < i) L[start[i]! + j - first[i]!] = values[p]!;
      else if (j === i) maxDiag = Math.max(maxDiag, Math.abs(values[p]!));
    }
  }
  const tol = n * 2.220446049250313e-16 * maxDiag;
  for (let i = 0; i < n; i++) {
    const fi = first[i]!;
    const si = start[i]! - fi; // L[i][k] = L[si + k]
    for (let j = fi; j < i; j++) {
      const fj = first[j]!;
      const sj = start[j]! - fj;
      let s = L[si + j]!;
      for (let k = Math.max(fi, fj); k < j; k++) s -= L[si + k]! * L[sj + k]!;
      L[si + j] = s / d[j]!;
    }
    let dd = 0;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p] === i) dd = values[p]!;
    for (let k = fi; k < i; k++) dd -= L[si + k]! * L[si + k]!;
    if (!(dd > tol)) return i;
    d[i] = Math.sqrt(dd);
  }
  return -1;
}

function refSpyBins(A: CsrMatrix, width: number, height: number): SpyBins {
  const { rows, cols } = A;
  const { indptr, indices } = A.pattern.raw;
  const w = Math.max(1, Math.min(width, cols));
  const h = Math.max(1, Math.min(height, rows));
  const counts = new Uint32Array(w * h);
  let max = 0;
  for (let i = 0; i < rows; i++) {
    const base = Math.floor((i * h) / rows) * w;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      // j·w < 2^47 is exact and the quotient's rounding cannot cross an integer (w <= 2^16).
      const b = base + Math.floor((indices[p]! * w) / cols);
      const c = ++counts[b]!;
      if (c > max) max = c;
    }
  }
  return { width: w, height: h, counts, max };
}
// ---- End of the reference. ----

/** The bytes of every double in a stats object (NaN payloads and -0 included), by field. */
function bitsOf(s: MatrixStats): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, o: object) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number') out[prefix + k] = Buffer.from(new Float64Array([v]).buffer).toString('hex');
      else if (v !== null && typeof v === 'object') walk(`${prefix}${k}.`, v as object);
    }
  };
  walk('', s);
  return out;
}

/** A typed array's bytes, for an exact comparison that is fast on millions of entries. */
function bytesOf(a: Uint32Array | Int32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function compare(label: string, A: CsrMatrix, options: MatrixStatsOptions = {}): MatrixStats {
  const got = matrixStats(A, options);
  const want = refMatrixStats(A, options);
  assert.deepStrictEqual(got, want, label);
  assert.deepStrictEqual(Object.keys(got), Object.keys(want), `${label}: field order`);
  assert.deepStrictEqual(bitsOf(got), bitsOf(want), `${label}: bits`);
  // Spy bins at a few grids: finer than, equal to and coarser than the matrix.
  for (const [w, h] of [[1, 1], [7, 5], [64, 64], [A.cols || 1, A.rows || 1], [A.cols + 3, A.rows + 2]] as const) {
    const gw = Math.min(Math.max(w, 1), 65536);
    const gh = Math.min(Math.max(h, 1), 65536);
    if (gw * gh > 1 << 24) continue;
    const b = spyBins(A, gw, gh);
    const r = refSpyBins(A, gw, gh);
    assert.deepStrictEqual([b.width, b.height, b.max], [r.width, r.height, r.max], `${label}: spyBins ${gw} x ${gh}`);
    assert.ok(b.counts instanceof Uint32Array);
    assert.ok(bytesOf(b.counts).equals(bytesOf(r.counts)), `${label}: spyBins ${gw} x ${gh} counts`);
  }
  const { indptr, indices } = A.pattern.raw;
  const t = transposeArrays(A.rows, A.cols, indptr, indices, A.values.data);
  const tr = refTransposeArrays(A.rows, A.cols, indptr, indices, A.values.data);
  assert.ok(t.indptr instanceof Int32Array && t.indices instanceof Int32Array && t.values instanceof Float64Array);
  assert.ok(bytesOf(t.indptr).equals(bytesOf(tr.indptr)), `${label}: transpose indptr`);
  assert.ok(bytesOf(t.indices).equals(bytesOf(tr.indices)), `${label}: transpose indices`);
  assert.ok(bytesOf(t.values).equals(bytesOf(tr.values)), `${label}: transpose values`);
  return got;
}

/** Both dtypes: a float32 matrix's values reach both implementations widened from the same floats. */
function compareBoth(label: string, A: CsrMatrix, options: MatrixStatsOptions = {}): MatrixStats {
  const s = compare(`${label} (float64)`, A, options);
  const { indptr, indices } = A.pattern.raw;
  const A32 = CsrMatrix.fromCsr(indptr, indices, Float32Array.from(A.values.data), [A.rows, A.cols]);
  compare(`${label} (float32)`, A32, options);
  return s;
}

test('stats (native) = the JavaScript reference on every matrix in shared/data/matrices', async () => {
  const dir = sharedData('matrices');
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith('.mtx')),
    ...readdirSync(sharedData('matrices', 'edge')).filter((f) => f.endsWith('.mtx')).map((f) => `edge/${f}`),
  ].sort();
  assert.ok(files.length >= 20, `only ${files.length} matrices found`);
  const methods = new Set<string>();
  let compared = 0;
  for (const f of files) {
    let read;
    let label = f;
    try {
      read = await readMatrixMarket(sharedData('matrices', f));
    } catch (e) {
      // Complex files are refused unless asked for their real part: that is compared instead.
      console.log(`stats-native: ${f} skipped as read by default (${(e as Error).message}); its real part compared instead`);
      read = await readMatrixMarket(sharedData('matrices', f), { complex: 'real' });
      label = `${f} (real part)`;
    }
    const { matrix, header } = read;
    // As the app calls it (a pattern file's hint is unknown), and with the values judged.
    methods.add(compareBoth(`${label} as read`, matrix, { pattern: header.pattern }).spd.method);
    methods.add(compareBoth(`${label} judged`, matrix).spd.method);
    // A low work limit: the Cholesky's cases become the heuristic's.
    methods.add(compareBoth(`${label} limit 1000`, matrix, { choleskyMaxFlops: 1000 }).spd.method);
    compared++;
  }
  console.log(`stats-native: ${compared} matrices compared; SPD methods reached: ${[...methods].sort().join(', ')}`);
  for (const m of ['not-square', 'pattern', 'not-symmetric', 'cholesky']) assert.ok(methods.has(m), `no matrix reached ${m}`);
});

/** A symmetric matrix from its lower triangle's entries (i >= j) and a diagonal. */
function symmetric(n: number, diag: ArrayLike<number>, lower: [number, number, number][]): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) if (diag[i] !== undefined) r.push(i), c.push(i), v.push(diag[i]!);
  for (const [i, j, x] of lower) r.push(i, j), c.push(j, i), v.push(x, x);
  return CsrMatrix.fromCoo(r, c, v, [n, n]);
}

/**
 * B Bᵀ + shift·I for a random sparse B (SPD for shift > 0, not diagonally dominant
 * for small shifts); shift 'indefinite' subtracts 0.9 of the smallest diagonal
 * entry, which keeps the diagonal positive and (B Bᵀ being nearly singular)
 * makes a pivot negative.
 */
function gram(n: number, seed: number, density: number, shift: number | 'indefinite'): CsrMatrix {
  const B = randomCsr(n, n, { seed, density });
  const D = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const ip = B.indptr;
  const rowsOf = Array.from({ length: n }, (_, i) => {
    const m = new Map<number, number>();
    for (let p = ip[i]!; p < ip[i + 1]!; p++) m.set(B.indices[p]!, B.values.data[p]!);
    return m;
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (const [k, x] of rowsOf[i]!) s += x * (rowsOf[j]!.get(k) ?? 0);
      D[i]![j] = s;
      D[j]![i] = s;
    }
  }
  const minDiag = Math.min(...D.map((row, i) => row[i]!));
  for (let i = 0; i < n; i++) D[i]![i]! += shift === 'indefinite' ? -0.9 * minDiag : shift;
  return CsrMatrix.fromDense(D);
}

test('stats (native) = the JavaScript reference on synthetic cases, every SPD branch', () => {
  const hint = (label: string, A: CsrMatrix, options: MatrixStatsOptions = {}): SpdHint => compareBoth(label, A, options).spd;
  // Empty shapes and a lone entry.
  for (const shape of [[0, 0], [0, 5], [5, 0], [1, 1], [3, 3]] as const) hint(`empty ${shape}`, CsrMatrix.fromCoo([], [], [], shape));
  assert.equal(hint('1x1', CsrMatrix.fromDense([[2]])).method, 'diagonal-dominance');
  // Rectangular, random (explicit zeros, empty rows), both orientations.
  for (const [m, n, seed] of [[9, 4, 1], [4, 9, 2], [1, 30, 3], [30, 1, 4], [40, 25, 5]] as const) {
    assert.equal(hint(`random ${m}x${n}`, randomCsr(m, n, { seed, density: 0.3, emptyRows: [0] })).method, 'not-square');
  }
  // Non-symmetric square, with and without a full diagonal; pattern matrices (values all 1).
  assert.equal(hint('non-symmetric', randomCsr(30, 30, { seed: 6, density: 0.2, diagonal: 5 })).method, 'not-symmetric');
  assert.equal(hint('non-symmetric, empty rows', randomCsr(30, 30, { seed: 7, density: 0.1, emptyRows: [3, 4, 29] })).method, 'not-symmetric');
  const P = randomCsr(25, 25, { seed: 8, density: 0.2 });
  const ones = CsrMatrix.fromCsr(P.pattern.raw.indptr, P.pattern.raw.indices, new Float64Array(P.nnz).fill(1), [25, 25]);
  assert.equal(hint('pattern', ones, { pattern: true }).method, 'pattern');
  assert.equal(hint('pattern, rectangular', randomCsr(5, 8, { seed: 9 }), { pattern: true }).method, 'not-square');
  // Explicit zeros and -0: a zero diagonal, pattern-asymmetric but numerically symmetric.
  assert.equal(hint('-0 diagonal', CsrMatrix.fromCsr([0, 2, 3], [0, 1, 1], [-0, 0, 1], [2, 2], {})).method, 'diagonal');
  assert.equal(hint('zeros mirror', CsrMatrix.fromCsr([0, 2, 4], [0, 1, 0, 1], [2, -0, 0, 3], [2, 2], {})).method, 'diagonal-dominance');
  // NaN and Inf: on the diagonal, mirrored off it, alone off it.
  assert.equal(hint('NaN diagonal', symmetric(3, [1, NaN, 1], [[1, 0, 0.5]])).reason, 'diagonal entry (2, 2) = NaN is not positive');
  assert.equal(hint('NaN mirrored', symmetric(3, [1, 1, 1], [[2, 0, NaN]])).method, 'not-symmetric');
  assert.equal(hint('-Inf diagonal', symmetric(2, [1, -Infinity], [])).reason, 'diagonal entry (2, 2) = -Infinity is not positive');
  assert.equal(hint('Inf diagonal', symmetric(3, [Infinity, 1, 1], [[1, 0, 0.5]])).method, 'diagonal-dominance');
  assert.equal(hint('Inf mirrored', symmetric(3, [1, 1, 1], [[2, 0, Infinity]])).method, 'cholesky');
  assert.equal(hint('Inf everywhere', symmetric(2, [Infinity, Infinity], [[1, 0, Infinity]])).method, 'cholesky');
  assert.equal(hint('1e-300 diagonal', symmetric(2, [1e-300, 5e-324], [])).method, 'diagonal-dominance');
  // Symmetric, positive diagonal, not dominant: the Cholesky decides, SPD or not.
  const spd = gram(40, 10, 0.15, 0.01);
  const spdHint = hint('B Bᵀ + 0.01 I', spd);
  assert.deepEqual([spdHint.method, spdHint.likely], ['cholesky', true]);
  const indefHint = hint('B Bᵀ - 0.9 min diag I', gram(40, 11, 0.15, 'indefinite'));
  assert.deepEqual([indefHint.method, indefHint.likely], ['cholesky', false], indefHint.reason);
  assert.deepEqual(hint('[[1, 2], [2, 1]]', CsrMatrix.fromDense([[1, 2], [2, 1]])).likely, false);
  assert.deepEqual(hint('singular PSD', CsrMatrix.fromDense([[1, 1], [1, 1]])).likely, false);
  // A last pivot of 2^-50 > 0 but within the tolerance n·eps·max a_ii ≈ 2^-49: a
  // breakdown; 2^-46 is above it. (Row 1 is not dominant, so the Cholesky runs.)
  assert.deepEqual(hint('pivot below tolerance', CsrMatrix.fromDense([[1, 2], [2, 4 + 2 ** -50]])).likely, false);
  assert.deepEqual(hint('pivot above tolerance', CsrMatrix.fromDense([[1, 2], [2, 4 + 2 ** -46]])).likely, true);
  // Random symmetric, not dominant, with a ragged envelope (rows start at different columns).
  for (const seed of [12, 13, 14]) {
    const n = 60;
    const lower: [number, number, number][] = [];
    const R = randomCsr(n, n, { seed, density: 0.04 });
    for (let i = 0; i < n; i++) for (let p = R.indptr[i]!; p < R.indptr[i + 1]!; p++) if (R.indices[p]! < i) lower.push([i, R.indices[p]!, R.values.data[p]!]);
    hint(`ragged envelope ${seed}`, symmetric(n, new Float64Array(n).fill(1.5 + seed / 10), lower));
  }
  // Weakly dominant (1-D and 2-D Laplacians): the Cholesky within the limit, the heuristic beyond.
  const lap = CsrMatrix.poisson2d(20, 20);
  assert.equal(hint('poisson2d(20, 20)', lap).method, 'cholesky');
  assert.deepEqual([hint('poisson2d(20, 20), limit 0', lap, { choleskyMaxFlops: 0 })].map((h) => [h.method, h.certain]), [['diagonal-dominance', false]]);
  assert.equal(hint('poisson2d(200, 200)', CsrMatrix.poisson2d(200, 200)).method, 'diagonal-dominance');
  // Not dominant and beyond the limits: by flops, and by the 4e6-entry envelope (an
  // arrow matrix: few entries, a triangle of envelope) even with no flops limit.
  assert.equal(hint('B Bᵀ + 0.01 I, limit 10', spd, { choleskyMaxFlops: 10 }).method, 'too-large');
  const n = 3000;
  const arrow = symmetric(n, new Float64Array(n).fill(2), Array.from({ length: n - 1 }, (_, k) => [k + 1, 0, 1] as [number, number, number]));
  const arrowHint = hint('arrow 3000, no flops limit', arrow, { choleskyMaxFlops: Infinity });
  assert.equal(arrowHint.method, 'too-large', arrowHint.reason);
  // At the limit exactly (flops <= limit): 2x2 [[1, 2], [2, 1]] costs 1/2 + 1 = 1.5.
  assert.equal(hint('limit 1.5', CsrMatrix.fromDense([[1, 2], [2, 1]]), { choleskyMaxFlops: 1.5 }).method, 'cholesky');
  assert.equal(hint('limit 1.4', CsrMatrix.fromDense([[1, 2], [2, 1]]), { choleskyMaxFlops: 1.4 }).method, 'too-large');
});

test('transposeArrays (native): plain-array values, and a bad structure throws before writing', () => {
  const t = transposeArrays(2, 3, Int32Array.from([0, 2, 3]), Int32Array.from([0, 2, 1]), [1.5, 2.5, 3.5]);
  assert.deepStrictEqual([[...t.indptr], [...t.indices], [...t.values]], [[0, 1, 2, 3], [0, 1, 0], [1.5, 3.5, 2.5]]);
  assert.throws(() => transposeArrays(2, 3, Int32Array.from([0, 2, 3]), Int32Array.from([0, 3, 1]), new Float64Array(3)), /transposeArrays: entry 1 has column 3, outside 0..2/);
  assert.throws(() => transposeArrays(2, 3, Int32Array.from([0, 2, 1]), Int32Array.from([0, 1, 1]), new Float64Array(3)), /transposeArrays: indptr decreases at row 1/);
  assert.throws(() => transposeArrays(2, 3, Int32Array.from([0, 2, 5]), Int32Array.from([0, 1, 1]), new Float64Array(3)), /transposeArrays: indices has 3 entries, needs 5/);
});

// The reference's own check: it must see what the native code sees, so a broken
// copy (or a broken comparison) fails here rather than agreeing with anything.
test('the reference is the old JavaScript: hand-worked values', () => {
  const s = refMatrixStats(CsrMatrix.fromCsr([0, 2, 2, 5, 7], [0, 2, 0, 2, 3, 2, 3], [5, 1, 1, 0, 2, 3, 7], [4, 4]));
  assert.deepEqual([s.explicitZeros, s.numericSymmetry, s.zeroDiagonals, s.spd.method], [1, 0.5, 2, 'not-symmetric']);
  assert.equal(refMatrixStats(CsrMatrix.fromDense([[1, 2], [2, 1]])).spd.reason, 'Cholesky factorization broke down at row 2 (n = 2, 1 entries in the envelope)');
  assert.deepEqual([...refSpyBins(CsrMatrix.fromDense([[1, 1, 0, 0], [0, 1, 0, 1]]), 4, 1).counts], [1, 2, 0, 1]);
  assert.throws(() => assert.deepStrictEqual(bitsOf({ ...s, density: 0 }), bitsOf({ ...s, density: -0 })));
});
