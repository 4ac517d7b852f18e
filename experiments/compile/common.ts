// Pieces every method's compiler shares: seeds, the matrix source, right-hand
// sides and vector sets, learnable sparse patterns, optimizers.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Adam,
  AdamW,
  CsrMatrix,
  type Device,
  type DType,
  diags,
  eye,
  Generator,
  noGrad,
  poisson1d,
  poisson2d,
  SGD,
  type Tensor,
  tril,
  zeros,
} from '../../native/lib/index.js';
import { readMatrixFile } from '../data/matrix-file.js';
import { SpecError, weightDecayOf } from '../spec/validate.js';
import type { GeneratorSource, FileSource, OptimizerSpec, ProblemSpec, RhsKind, SparseParameter, VectorSet } from '../spec/types.js';

export interface CompileOptions {
  /** Folder that relative data paths (graphs, matrix files) are resolved against. Default: defaultDataDir(). */
  dataDir?: string;
  /** Folder of the spec file, tried first for relative matrix file paths. */
  specDir?: string;
}

/** $SPARSE_AD_SHARED_DATA, or ../shared/data beside the checkout, or the working directory. */
export function defaultDataDir(): string {
  if (process.env.SPARSE_AD_SHARED_DATA) return resolve(process.env.SPARSE_AD_SHARED_DATA);
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [resolve(here, '..', '..', '..', 'shared', 'data'), resolve(here, '..', '..', '..', '..', 'shared', 'data')]) {
    if (existsSync(c)) return c;
  }
  return process.cwd();
}

// ---------------------------------------------------------------------------
// Seeds: every random stream is derived from (spec seed, run, purpose), so runs
// are independent and the same (spec, seed) always gives the same numbers.

export const STREAM = { vectors: 1, testVectors: 2, rhs: 3, init: 4, dropout: 5 } as const;

/** A 32-bit hash of integers (murmur3's finaliser over a running combination). */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1);
    h ^= Math.floor(p / 4294967296) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function runSeed(spec: ProblemSpec, run: number): number {
  return mixSeed(spec.seed, run);
}

export function generatorFor(seed: number, stream: number): Generator {
  return new Generator(mixSeed(seed, stream));
}

// ---------------------------------------------------------------------------
// Matrices

/** The system matrix of a solver problem (square). */
export async function loadSystemMatrix(spec: ProblemSpec, opts: CompileOptions): Promise<CsrMatrix> {
  const src = spec.matrix as GeneratorSource | FileSource;
  const dtype = spec.dtype;
  let A: CsrMatrix;
  if (src.kind === 'generator') {
    A = src.name === 'poisson1d' ? poisson1d(src.n, { dtype }) : poisson2d(src.nx, src.ny, { dtype });
  } else {
    const candidates = isAbsolute(src.path)
      ? [src.path]
      : [...(opts.specDir ? [resolve(opts.specDir, src.path)] : []), resolve(opts.dataDir ?? defaultDataDir(), src.path), resolve(src.path)];
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new SpecError('spec.matrix.path', `file not found: ${src.path} (looked in ${candidates.join(', ')})`);
    A = await readMatrixFile(path, dtype);
  }
  if (A.rows !== A.cols) throw new SpecError('spec.matrix', `the ${spec.method.kind} method needs a square matrix but the matrix is ${A.rows}×${A.cols}`);
  return A;
}

/** The size of the grid's fast index, for the 'linear' right-hand side. */
function fastDimension(spec: ProblemSpec, n: number): number {
  const m = spec.matrix;
  if (m.kind === 'generator' && m.name === 'poisson2d') return m.nx;
  return n;
}

/** b for Ax = b, as a plain array (constant). */
export function rhsValues(spec: ProblemSpec, kind: RhsKind, n: number, seed: number): Float64Array {
  const b = new Float64Array(n);
  switch (kind) {
    case 'zero':
      break;
    case 'ones':
      b.fill(1);
      break;
    case 'random': {
      const g = generatorFor(seed, STREAM.rhs);
      for (let i = 0; i < n; i++) b[i] = g.normal();
      break;
    }
    case 'linear': {
      // b at grid point k = the (k mod m)-th interior point of (−1, 1) along the fast index.
      const m = fastDimension(spec, n);
      for (let i = 0; i < n; i++) b[i] = -1 + (2 * ((i % m) + 1)) / (m + 1);
      break;
    }
  }
  return b;
}

/** n × count dense block whose columns are random vectors (seeded). */
export function vectorBlock(set: VectorSet, n: number, gen: Generator, dtype: DType): Tensor {
  const X = zeros([n, set.count], { dtype });
  const d = X.data;
  for (let i = 0; i < d.length; i++) d[i] = set.distribution === 'normal' ? gen.normal() : gen.uniform();
  return X;
}

/** n × count block with b in every column. */
export function rhsBlock(b: Float64Array, count: number, dtype: DType): Tensor {
  const n = b.length;
  const B = zeros([n, count], { dtype });
  for (let i = 0; i < n; i++) B.data.fill(b[i]!, i * count, (i + 1) * count);
  return B;
}

export function isZero(b: Float64Array): boolean {
  return b.every((v) => v === 0);
}

// ---------------------------------------------------------------------------
// A learnable sparse matrix with a named pattern

export function sparseParameter(p: SparseParameter, A: CsrMatrix, dtype: DType, field: string): CsrMatrix {
  const n = A.rows;
  let P: CsrMatrix;
  switch (p.pattern) {
    case 'diagonal':
      P = eye(n, { dtype });
      break;
    case 'lower bidiagonal':
      P = n > 1 ? diags([1, 1], [0, -1], [n, n], { dtype }) : eye(n, { dtype });
      break;
    case 'upper bidiagonal':
      P = n > 1 ? diags([1, 1], [0, 1], [n, n], { dtype }) : eye(n, { dtype });
      break;
    case 'tridiagonal':
      P = n > 1 ? diags([1, 1, 1], [-1, 0, 1], [n, n], { dtype }) : eye(n, { dtype });
      break;
    case 'lower triangle of A':
      P = tril(A.detach());
      break;
  }
  const { indptr, indices } = P.pattern.raw;
  const values = new Float64Array(P.nnz);
  let hasDiagonal = 0;
  for (let i = 0; i < n; i++) {
    for (let q = indptr[i]!; q < indptr[i + 1]!; q++) {
      const diagonal = indices[q] === i;
      if (diagonal) hasDiagonal++;
      values[q] = diagonal ? p.init.diagonal : p.init.offDiagonal;
    }
  }
  if (p.pattern === 'lower triangle of A' && hasDiagonal < n) {
    throw new SpecError(`${field}.pattern`, `'lower triangle of A' needs every diagonal entry of A stored, but ${n - hasDiagonal} are missing`);
  }
  return P.withValues(values, { dtype, requiresGrad: true });
}

// ---------------------------------------------------------------------------
// Devices: data is prepared on the CPU and moved once; learnable leaves are
// made on the CPU (seeded as always) and become leaves on the device.

/** A constant on `device` (x itself on 'cpu'). */
export function place<T extends Tensor | CsrMatrix>(x: T, device: Device): T {
  return (device === 'cpu' ? x : noGrad(() => x.to(device))) as T;
}

/** A learnable leaf on `device`: t itself on 'cpu', else a device copy of it with requiresGrad. */
export function leafOn(t: Tensor, device: Device): Tensor {
  if (device === 'cpu') return t;
  return noGrad(() => t.to(device)).requiresGrad_();
}

/** A sparse parameter (values a leaf) on `device`. */
export function sparseLeafOn(P: CsrMatrix, device: Device): CsrMatrix {
  if (device === 'cpu') return P;
  const D = place(P.detach(), device);
  return D.withValues(D.values.requiresGrad_());
}

// ---------------------------------------------------------------------------
// Optimizers

export interface Stepper {
  zeroGrad(): void;
  step(): void;
  /** Frees the optimizers' device state. */
  dispose(): void;
}

/**
 * The spec's optimizer over named parameters. Parameters with different weight
 * decays get separate optimizer instances (what PyTorch's parameter groups do:
 * the optimizers' state is per parameter, so the update is the same).
 */
export function makeOptimizer(opt: OptimizerSpec, params: Record<string, Tensor | CsrMatrix>): Stepper {
  const groups = new Map<number, (Tensor | CsrMatrix)[]>();
  for (const [name, t] of Object.entries(params)) {
    const wd = weightDecayOf(opt, name);
    if (!groups.has(wd)) groups.set(wd, []);
    groups.get(wd)!.push(t);
  }
  const steppers: Stepper[] = [...groups].map(([weightDecay, ps]) => {
    switch (opt.kind) {
      case 'sgd':
        return new SGD(ps, { lr: opt.lr, momentum: opt.momentum, weightDecay });
      case 'adam':
        return new Adam(ps, { lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay });
      case 'adamw':
        return new AdamW(ps, { lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay });
    }
  });
  return {
    zeroGrad: () => steppers.forEach((s) => s.zeroGrad()),
    step: () => steppers.forEach((s) => s.step()),
    dispose: () => steppers.forEach((s) => s.dispose()),
  };
}

/** Throws a clear error when a loss stops being a finite number. */
export function checkFinite(method: string, value: number, epoch: number, hint: string): void {
  if (!Number.isFinite(value)) throw new Error(`${method}: the loss became ${value} in epoch ${epoch} (${hint})`);
}
