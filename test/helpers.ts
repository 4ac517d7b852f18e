// Shared test utilities: random sparse matrices, dense references, tolerant comparisons.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsrMatrix, Generator, type DType } from '../native/lib/index.js';
import type { KrylovMethod, Preconditioner } from '../native/lib/ops/krylov.js';

export interface RandomCsrOptions {
  dtype?: DType;
  seed?: number;
  /** Fraction of entries stored (default 0.3). */
  density?: number;
  /** Make these rows empty. */
  emptyRows?: number[];
  /** Add the diagonal (for square, well-conditioned triangular/LU tests), with this magnitude. */
  diagonal?: number;
  requiresGrad?: boolean;
}

/** A random CSR matrix with normal values. */
export function randomCsr(rows: number, cols: number, opts: RandomCsrOptions = {}): CsrMatrix {
  const gen = new Generator(opts.seed ?? 1);
  const density = opts.density ?? 0.3;
  const empty = new Set(opts.emptyRows ?? []);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (empty.has(i)) continue;
    for (let j = 0; j < cols; j++) {
      const onDiag = opts.diagonal !== undefined && i === j;
      if (onDiag || gen.uniform() < density) {
        r.push(i);
        c.push(j);
        v.push(onDiag ? opts.diagonal! * (1 + gen.uniform()) : gen.normal());
      }
    }
  }
  return CsrMatrix.fromCoo(r, c, v, [rows, cols], { dtype: opts.dtype ?? 'float64', requiresGrad: opts.requiresGrad ?? false });
}

/** Dense row-major copy as nested number arrays (independent of the engine's toDense). */
export function denseOf(A: CsrMatrix): number[][] {
  const out = Array.from({ length: A.rows }, () => new Array<number>(A.cols).fill(0));
  const ip = A.indptr;
  const ix = A.indices;
  const v = A.values.data;
  for (let i = 0; i < A.rows; i++) for (let p = ip[i]!; p < ip[i + 1]!; p++) out[i]![ix[p]!] = v[p]!;
  return out;
}

export function denseMatmul(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const k = b.length;
  const m = k === 0 ? 0 : b[0]!.length;
  const out = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) for (let j = 0; j < m; j++) out[i]![j] += a[i]![t]! * b[t]![j]!;
  return out;
}

export function flat(x: ArrayLike<number> | number[][]): number[] {
  if (Array.isArray(x) && Array.isArray(x[0])) return (x as number[][]).flat();
  if (Array.isArray(x) && x.length === 0) return [];
  return Array.from(x as ArrayLike<number>);
}

/** Asserts |a - b| <= atol + rtol |b| elementwise, with a message naming the first mismatch. */
export function assertClose(actual: ArrayLike<number> | number[][], expectedValues: ArrayLike<number> | number[][], opts: { rtol?: number; atol?: number; msg?: string } = {}): void {
  const a = flat(actual);
  const b = flat(expectedValues);
  const rtol = opts.rtol ?? 1e-10;
  const atol = opts.atol ?? 1e-12;
  assert.equal(a.length, b.length, `${opts.msg ?? ''} length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - b[i]!) <= atol + rtol * Math.abs(b[i]!) || (Number.isNaN(a[i]) && Number.isNaN(b[i]));
    if (!ok) assert.fail(`${opts.msg ?? 'mismatch'} at ${i}: ${a[i]} vs expected ${b[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** ../shared/data beside the checkout (tests read real data from there, never copies). */
export function sharedData(...parts: string[]): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.SPARSE_AD_SHARED_DATA, resolve(here, '..', '..', 'shared', 'data'), resolve(here, '..', '..', '..', 'shared', 'data')];
  for (const c of candidates) if (c && existsSync(c)) return join(c, ...parts);
  throw new Error('shared data folder not found (expected ../shared/data beside the checkout, or set SPARSE_AD_SHARED_DATA)');
}

// The Krylov tests' matrices (42 unknowns): a 2-D Poisson (SPD), a convection–
// diffusion-like unsymmetric one, and a symmetric indefinite one.
export const krylovSpd = (): CsrMatrix => CsrMatrix.poisson2d(7, 6);
export function krylovUnsym(): CsrMatrix {
  const D = denseOf(CsrMatrix.poisson2d(7, 6));
  for (let i = 0; i + 1 < D.length; i++) {
    if (D[i]![i + 1] !== 0) D[i]![i + 1]! += 0.6;
    if (D[i + 1]![i] !== 0) D[i + 1]![i]! -= 0.3;
  }
  return CsrMatrix.fromDense(D);
}
export function krylovIndefinite(): CsrMatrix {
  const D = denseOf(CsrMatrix.poisson2d(7, 6));
  for (let i = 0; i < D.length; i++) D[i]![i]! -= 1.3; // shifts a few eigenvalues below 0
  return CsrMatrix.fromDense(D);
}

/** Each Krylov method with the matrices it suits and the preconditioners tried on them. */
export const krylovCases: [KrylovMethod, () => CsrMatrix, Preconditioner[]][] = [
  ['cg', krylovSpd, ['jacobi', 'ic0']],
  ['minres', krylovSpd, ['jacobi', 'ic0']],
  ['minres', krylovIndefinite, []],
  ['gmres', krylovUnsym, ['jacobi', 'ilu0']],
  ['bicgstab', krylovUnsym, ['jacobi', 'ilu0']],
];
