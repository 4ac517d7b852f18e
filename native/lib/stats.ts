// Matrix statistics and spy-plot bins, for the app's Matrices view and the CLI.
// Everything here is O(nnz + rows + cols) except the Cholesky factorization the
// SPD hint may attempt, which runs only within a work limit (choleskyMaxFlops).
// The passes over the entries run in C++ (native/core/stats_cpu.cc, issue #15),
// with the same results bit for bit as the JavaScript loops they replaced; the
// arguments are checked and the texts written here.
import { type FloatArray, kernel } from './addon.js';
import type { CsrMatrix } from './csr.js';
import { expected, fail } from './errors.js';
import { hostData } from './tensor.js';

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

/**
 * Aᵀ as CSR arrays by a counting sort: columns come out sorted. O(nnz + rows + cols).
 * The structure is checked (indptr from 0, non-decreasing; columns in 0..cols-1;
 * indices and values at least nnz long) and a bad one throws.
 */
export function transposeArrays(
  rows: number,
  cols: number,
  indptr: Int32Array,
  indices: Int32Array,
  values: ArrayLike<number>,
): { indptr: Int32Array; indices: Int32Array; values: Float64Array } {
  const nnz = indptr[rows]!;
  const tp = new Int32Array(cols + 1);
  const ti = new Int32Array(nnz);
  const tv = new Float64Array(nnz);
  const vals = values instanceof Float64Array || values instanceof Float32Array ? values : Float64Array.from(values);
  type Transpose = (r: number, c: number, ip: Int32Array, ix: Int32Array, v: FloatArray, tp: Int32Array, ti: Int32Array, tv: Float64Array) => void;
  kernel<Transpose>('transposeArrays')(rows, cols, indptr, indices, vals, tp, ti, tv);
  return { indptr: tp, indices: ti, values: tv };
}

function cpuArrays(op: string, A: CsrMatrix) {
  if (A === null || typeof A !== 'object' || typeof (A as { pattern?: unknown }).pattern !== 'object') {
    expected(op, 'a CsrMatrix', 'matrix', A);
  }
  if (A.device !== 'cpu') fail(op, `expected a CPU matrix but received one on ${A.device}`);
  const { indptr, indices } = A.pattern.raw;
  return { rows: A.rows, cols: A.cols, indptr, indices, values: hostData(A.values) }; // for the kernel call only (pool.ts)
}

/** Statistics of a CSR matrix, each O(nnz) (see MatrixStats; the SPD hint may run a bounded Cholesky). */
export function matrixStats(A: CsrMatrix, options: MatrixStatsOptions = {}): MatrixStats {
  const op = 'matrixStats';
  const { rows, cols, indptr, indices, values } = cpuArrays(op, A);
  const choleskyMaxFlops = options.choleskyMaxFlops ?? 2e8;
  if (typeof choleskyMaxFlops !== 'number' || !(choleskyMaxFlops >= 0)) expected(op, 'a non-negative number', 'choleskyMaxFlops', choleskyMaxFlops);
  const out = new Float64Array(STATS_SLOTS);
  type Stats = (r: number, c: number, ip: Int32Array, ix: Int32Array, v: FloatArray, pattern: boolean, maxFlops: number, out: Float64Array) => void;
  kernel<Stats>('matrixStats')(rows, cols, indptr, indices, values, Boolean(options.pattern), choleskyMaxFlops, out);
  const square = out[S.square] === 1;
  return {
    rows,
    cols,
    nnz: out[S.nnz]!,
    explicitZeros: out[S.explicitZeros]!,
    density: out[S.density]!,
    square,
    patternSymmetric: out[S.patternSymmetric] === 1,
    numericSymmetric: out[S.numericSymmetric] === 1,
    patternSymmetry: square ? out[S.patternSymmetry]! : null,
    numericSymmetry: square ? out[S.numericSymmetry]! : null,
    diagonalNnz: out[S.diagonalNnz]!,
    zeroDiagonals: out[S.zeroDiagonals]!,
    bandwidth: { lower: out[S.lower]!, upper: out[S.upper]! },
    rowLength: { min: out[S.minRow]!, mean: out[S.meanRow]!, max: out[S.maxRow]! },
    emptyRows: out[S.emptyRows]!,
    spd: spdHint(rows, cols, out, choleskyMaxFlops),
  };
}

/** The slots of the addon's matrixStats output (native/binding/bind_stats.cc, enum Slot). */
const S = {
  nnz: 0,
  explicitZeros: 1,
  density: 2,
  square: 3,
  patternSymmetric: 4,
  numericSymmetric: 5,
  patternSymmetry: 6,
  numericSymmetry: 7,
  diagonalNnz: 8,
  zeroDiagonals: 9,
  lower: 10,
  upper: 11,
  minRow: 12,
  meanRow: 13,
  maxRow: 14,
  emptyRows: 15,
  spdCase: 16,
  spdRow: 17,
  spdValue: 18,
  envelope: 19,
} as const;
const STATS_SLOTS = 20;

/**
 * The SPD hint from the case the addon decided (native/core/stats.h, SpdCase, in
 * this order): the decision is made in C++ (symmetry, the diagonal, Gershgorin,
 * the envelope Cholesky within choleskyMaxFlops), the texts here.
 */
function spdHint(rows: number, cols: number, out: Float64Array, choleskyMaxFlops: number): SpdHint {
  const n = rows;
  const row = out[S.spdRow]!;
  const size = `n = ${n}, ${out[S.envelope]} entries in the envelope`;
  switch (out[S.spdCase]) {
    case 0:
      return { likely: false, certain: true, method: 'not-square', reason: `not square (${rows} x ${cols})` };
    case 1:
      return { likely: null, certain: false, method: 'pattern', reason: 'pattern matrix: no values to judge' };
    case 2:
      return { likely: false, certain: true, method: 'not-symmetric', reason: 'not symmetric (A != Aᵀ)' };
    case 3:
      return { likely: false, certain: true, method: 'diagonal', reason: `diagonal entry (${row + 1}, ${row + 1}) = ${out[S.spdValue]} is not positive` };
    case 4:
      return { likely: true, certain: true, method: 'diagonal', reason: 'empty matrix (0 x 0)' };
    case 5:
      return { likely: true, certain: true, method: 'diagonal-dominance', reason: 'symmetric, positive diagonal, strictly diagonally dominant (Gershgorin)' };
    case 6:
      return { likely: true, certain: true, method: 'cholesky', reason: `Cholesky factorization succeeded (${size})` };
    case 7:
      return { likely: false, certain: true, method: 'cholesky', reason: `Cholesky factorization broke down at row ${row + 1} (${size})` };
    case 8:
      return {
        likely: true,
        certain: false,
        method: 'diagonal-dominance',
        reason: `symmetric, positive diagonal, weakly diagonally dominant (SPD when irreducible); a Cholesky check would exceed ${choleskyMaxFlops} flops`,
      };
    case 9:
      return {
        likely: null,
        certain: false,
        method: 'too-large',
        reason: `symmetric with a positive diagonal but not diagonally dominant; a Cholesky check would exceed ${choleskyMaxFlops} flops`,
      };
    default:
      throw new Error(`sparse-ad-lab: matrixStats: unknown SPD case ${out[S.spdCase]} (stale build? run \`npm run build\`)`);
  }
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
  // Counts never exceed nnz < 2^31, so the addon fills them through an Int32Array view.
  type Spy = (r: number, c: number, ip: Int32Array, ix: Int32Array, w: number, h: number, counts: Int32Array) => number;
  const max = kernel<Spy>('spyBins')(rows, cols, indptr, indices, w, h, new Int32Array(counts.buffer, counts.byteOffset, counts.length));
  return { width: w, height: h, counts, max };
}
