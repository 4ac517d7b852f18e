// Matrix statistics and spy-plot bins, for the app's Matrices view and the CLI.
// Everything here is O(nnz + rows + cols) except the Cholesky factorization the
// SPD hint may attempt, which runs only within a work limit (choleskyMaxFlops).
import type { CsrMatrix } from './csr.js';
import { expected, fail } from './errors.js';

export interface MatrixStatsOptions {
  /**
   * The matrix came from a pattern file: its values (all 1) say nothing, so the
   * SPD hint is null ("unknown") instead of a judgement on the ones.
   */
  pattern?: boolean;
  /**
   * Work limit, in multiply-adds, of the Cholesky factorization the SPD hint
   * attempts when diagonal dominance does not decide (default 2e8, about 0.3 s
   * here). The factorization is dense within the envelope (profile) of the lower
   * triangle, so a dense matrix of n ≈ 800 or a banded one of any size fits.
   */
  choleskyMaxFlops?: number;
}

/** How the SPD hint was reached. */
export type SpdMethod =
  | 'not-square' // rectangular: not SPD
  | 'pattern' // pattern matrix: no values, unknown
  | 'not-symmetric' // A != Aᵀ: not SPD
  | 'diagonal' // a diagonal entry is missing, zero, negative or NaN: not SPD
  | 'diagonal-dominance' // symmetric, positive diagonal, diagonally dominant
  | 'cholesky' // Cholesky attempted (within choleskyMaxFlops): exact up to rounding
  | 'too-large'; // symmetric, positive diagonal, not dominant, Cholesky too costly: unknown

export interface SpdHint {
  /** true: SPD (or likely SPD, see `certain`); false: not SPD; null: unknown. */
  likely: boolean | null;
  /** Whether the answer is proved (up to rounding) rather than a heuristic. */
  certain: boolean;
  method: SpdMethod;
  reason: string;
}

export interface MatrixStats {
  rows: number;
  cols: number;
  /** Stored entries (explicit zeros included). */
  nnz: number;
  /** Stored entries whose value is exactly 0. */
  explicitZeros: number;
  /** nnz / (rows * cols) (0 for an empty shape). */
  density: number;
  square: boolean;
  /** Every stored (i, j) has a stored (j, i). False for rectangular matrices. */
  patternSymmetric: boolean;
  /** A[i, j] == A[j, i] for all i, j (an absent entry counts as 0). False for rectangular matrices. */
  numericSymmetric: boolean;
  /**
   * SuiteSparse's measures: the fraction of stored off-diagonal entries (i, j)
   * with a stored (j, i), and with a stored (j, i) of equal value. 1 when there
   * is no off-diagonal entry; null for rectangular matrices.
   */
  patternSymmetry: number | null;
  numericSymmetry: number | null;
  /** Stored entries on the diagonal. */
  diagonalNnz: number;
  /** Diagonal positions (min(rows, cols) of them) that are absent or hold 0. */
  zeroDiagonals: number;
  /** Largest i - j (lower) and j - i (upper) over stored entries (0 when none). */
  bandwidth: { lower: number; upper: number };
  /** Stored entries per row. */
  rowLength: { min: number; mean: number; max: number };
  emptyRows: number;
  spd: SpdHint;
}

/** Aᵀ as CSR arrays by a counting sort: columns come out sorted. O(nnz + rows + cols). */
export function transposeArrays(
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

function cpuArrays(op: string, A: CsrMatrix) {
  if (A === null || typeof A !== 'object' || typeof (A as { pattern?: unknown }).pattern !== 'object') {
    expected(op, 'a CsrMatrix', 'matrix', A);
  }
  if (A.device !== 'cpu') fail(op, `expected a CPU matrix but received one on ${A.device}`);
  const { indptr, indices } = A.pattern.raw;
  return { rows: A.rows, cols: A.cols, indptr, indices, values: A.values.data };
}

/** Statistics of a CSR matrix, each O(nnz) (see MatrixStats; the SPD hint may run a bounded Cholesky). */
export function matrixStats(A: CsrMatrix, options: MatrixStatsOptions = {}): MatrixStats {
  const op = 'matrixStats';
  const { rows, cols, indptr, indices, values } = cpuArrays(op, A);
  const choleskyMaxFlops = options.choleskyMaxFlops ?? 2e8;
  if (typeof choleskyMaxFlops !== 'number' || !(choleskyMaxFlops >= 0)) expected(op, 'a non-negative number', 'choleskyMaxFlops', choleskyMaxFlops);
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
    const T = transposeArrays(rows, cols, indptr, indices, values);
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

export interface SpyBins {
  /** Bins across (columns) and down (rows); may be smaller than asked, see spyBins. */
  width: number;
  height: number;
  /** Row-major counts: counts[y * width + x] = stored entries in that bin. */
  counts: Uint32Array;
  /** The largest count (0 for a matrix without entries). */
  max: number;
}

/**
 * Counts stored entries per bin of a width x height grid over the matrix (for a
 * spy plot). Entry (i, j) falls in bin (floor(j·width/cols), floor(i·height/rows)).
 * The grid is clamped to the matrix (width <= cols, height <= rows, both >= 1)
 * so that every bin covers at least one column and one row. O(nnz + rows).
 */
export function spyBins(A: CsrMatrix, width: number, height: number): SpyBins {
  const op = 'spyBins';
  const { rows, cols, indptr, indices } = cpuArrays(op, A);
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65536) expected(op, 'an integer in 1..65536', name, v);
  }
  if (width * height > 1 << 24) fail(op, `a ${width} x ${height} grid has more than 2^24 bins`);
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
