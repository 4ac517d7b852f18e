// The Table 2 suite: each sparse op of the engine beside its dense counterpart,
// on the 1-D Poisson matrix. The sparse cases are bench:ops' own (ops-suite.ts),
// so the two benchmarks time exactly the same calls; the dense cases use the
// engine's dense Tensor ops (native BLAS GEMM, elementwise, dense LU/DTRSV).
import {
  add, denseSolve, denseTriangularSolve, type Device, deviceMode, type DType, matmul, mul, noGrad, randn, scope, synchronize, type Tensor, tensor,
} from '../../native/lib/index.js';
import { makeCase, type OpCase, type OpName as PaperOp, PAPER_SIZES, type Pass, SPDMM_COLS } from '../bench/ops-suite.js';
import { isSolverOp, PAPER_OPS, SOLVER_OPS, STUDY_OPS, STUDY_SIZES, type StudyOp } from './ops.js';
import { AbsentCase, makeSolverCase, SOLVER_DETAILS } from './solver-cases.js';
import { formatBytes } from './stats.js';
import type { DeviceKind, SizePlan, TimedCase, Variant } from './types.js';

/** Every row of the study: the paper's six ops, then the sparse solvers. */
export const OPS = STUDY_OPS;
export { AbsentCase, isSolverOp, PAPER_OPS, PAPER_SIZES, SOLVER_OPS, SPDMM_COLS, STUDY_SIZES };
export type { TimedCase };
type OpName = StudyOp;

export interface OpPair {
  sparseTest: string;
  denseTest: string;
  /** Floating-point operations of one dense forward call at size N. */
  denseFlops(n: number): number;
  /** What the dense counterpart computes. */
  denseDetail: string;
  sparseDetail: string;
}

/** The paper's names (Table 2) and the dense counterparts. */
export const OP_PAIRS: Record<OpName, OpPair> = {
  spmv: { sparseTest: 'SpMV', denseTest: 'DMV', denseFlops: (n) => 2 * n * n, sparseDetail: 'spmv(A, x)', denseDetail: 'matmul(A, x), A dense' },
  spgemm: { sparseTest: 'SpGEMM', denseTest: 'DDMM', denseFlops: (n) => 2 * n ** 3, sparseDetail: 'spgemm(A, A)', denseDetail: 'matmul(A, A), A dense' },
  spdmm: {
    sparseTest: 'SpDMM', denseTest: `DDMM (N×${SPDMM_COLS})`, denseFlops: (n) => 2 * n * n * SPDMM_COLS,
    sparseDetail: `spdmm(A, D), D dense N×${SPDMM_COLS}`, denseDetail: `matmul(A, D), A dense, D N×${SPDMM_COLS}`,
  },
  spadd: { sparseTest: 'αA+βB', denseTest: 'D+D', denseFlops: (n) => 3 * n * n, sparseDetail: 'spadd(A, B, {alpha: 2, beta: -0.5})', denseDetail: 'add(mul(A, 2), mul(B, -0.5)), dense' },
  sptrsv: { sparseTest: 'SpTRSV', denseTest: 'DTRSV', denseFlops: (n) => n * n, sparseDetail: 'sptrsv(L, b, {lower: true})', denseDetail: 'denseTriangularSolve(L, b), L dense' },
  spsolve: { sparseTest: 'spsolve', denseTest: 'dense solve', denseFlops: (n) => (2 / 3) * n ** 3, sparseDetail: 'spsolve(A, b) (sparse LU)', denseDetail: 'denseSolve(A, b) (LU, partial pivoting)' },
  // The solvers beyond the paper (solver-cases.ts), on the 2-D Poisson matrix.
  cholesky: { sparseTest: 'Cholesky solve', denseTest: 'dense solve', denseFlops: (n) => (2 / 3) * n ** 3, sparseDetail: SOLVER_DETAILS.cholesky.sparse, denseDetail: SOLVER_DETAILS.cholesky.dense },
  logdet: { sparseTest: 'logdet', denseTest: 'dense logdet', denseFlops: (n) => (1 / 3) * n ** 3, sparseDetail: SOLVER_DETAILS.logdet.sparse, denseDetail: SOLVER_DETAILS.logdet.dense },
  cg: { sparseTest: 'CG', denseTest: 'dense solve', denseFlops: (n) => (2 / 3) * n ** 3, sparseDetail: SOLVER_DETAILS.cg.sparse, denseDetail: SOLVER_DETAILS.cg.dense },
};

export function testName(op: OpName, variant: Variant): string {
  return variant === 'sparse' ? OP_PAIRS[op].sparseTest : OP_PAIRS[op].denseTest;
}

/** Largest power of two ≤ limit (at least 1). */
function pow2Floor(limit: number): number {
  let p = 1;
  while (p * 2 <= limit) p *= 2;
  return p;
}

/**
 * The N of each pair. The dense side runs at the sparse N when its N × N operand
 * fits `denseMemoryBytes` (as float64) and one forward call needs at most
 * `denseFlops`; otherwise at the largest power of two that does, and the plan
 * says why. `denseSizes` overrides the dense N per op.
 */
export function planSizes(
  ops: readonly OpName[],
  sizes: Partial<Record<OpName, number>>,
  denseSizes: Partial<Record<OpName, number>>,
  denseMemoryBytes: number,
  denseFlops: number,
): SizePlan[] {
  return ops.map((op) => {
    const pair = OP_PAIRS[op];
    const sparseN = sizes[op] ?? STUDY_SIZES[op];
    const plan: SizePlan = { op, sparseTest: pair.sparseTest, denseTest: pair.denseTest, sparseN, denseN: sparseN };
    const given = denseSizes[op];
    if (given !== undefined) {
      plan.denseN = given;
      if (given < sparseN) plan.denseScaledReason = `${pair.denseTest} at N = ${given} as asked (--dense-sizes)`;
      return plan;
    }
    const bytes = sparseN * sparseN * 8;
    const why: string[] = [];
    let cap = sparseN;
    if (bytes > denseMemoryBytes) {
      cap = Math.min(cap, pow2Floor(Math.sqrt(denseMemoryBytes / 8)));
      why.push(`an N × N float64 matrix at N = ${sparseN} needs ${formatBytes(bytes)}, over the ${formatBytes(denseMemoryBytes)} dense budget`);
    }
    if (pair.denseFlops(sparseN) > denseFlops) {
      let n = cap;
      while (n > 1 && pair.denseFlops(n) > denseFlops) n /= 2;
      cap = Math.min(cap, n);
      why.push(`one call at N = ${sparseN} is ${(pair.denseFlops(sparseN) / 1e9).toFixed(pair.denseFlops(sparseN) < 1e10 ? 2 : 0)} GFLOP, over the ${(denseFlops / 1e9).toFixed(2)} GFLOP budget`);
    }
    if (cap < sparseN) {
      plan.denseN = cap;
      plan.denseScaledReason = `${pair.denseTest} scaled down to N = ${cap}: ${why.join('; ')}. Sparse-vs-dense speedups compare both at N = ${cap}.`;
    }
    return plan;
  });
}

/** The 1-D Poisson matrix as a dense N × N tensor (the lower triangle only for DTRSV). */
export function poissonDense(n: number, dtype: DType, part: 'full' | 'lower' = 'full'): Tensor {
  const a = dtype === 'float64' ? new Float64Array(n * n) : new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = 2;
    if (i > 0) a[i * n + i - 1] = -1;
    if (part === 'full' && i + 1 < n) a[i * n + i + 1] = -1;
  }
  return tensor(a, { shape: [n, n] });
}

function ones(t: Tensor): Tensor {
  return tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size).fill(1), { shape: t.shape });
}

function leafOf(t: Tensor): Tensor {
  return t.detach().requiresGrad_();
}

/** One call of a dense op: the forward under noGrad, or forward + backward with a ones seed. */
function denseCase(n: number, inputs: Tensor[], f: (...xs: Tensor[]) => Tensor, detail: string, device: Device = 'cpu'): TimedCase {
  if (device !== 'cpu') inputs = inputs.map((t) => t.to(device));
  const leaves = inputs.map(leafOf);
  const seed = ones(noGrad(() => f(...inputs))).to(device);
  return {
    nnz: n * n,
    detail,
    run: (pass) => (pass === 'forward'
      ? () => void noGrad(() => f(...inputs))
      : () => {
        for (const l of leaves) l.zeroGrad();
        f(...leaves).backward(seed);
      }),
  };
}

/** The dense counterpart of `op` at size n (our engine's dense ops). */
export function makeDenseCase(op: PaperOp, n: number, dtype: DType, device: Device = 'cpu'): TimedCase {
  const detail = OP_PAIRS[op].denseDetail;
  switch (op) {
    case 'spmv':
      return denseCase(n, [poissonDense(n, dtype), randn([n], { dtype, seed: 1 })], (A, x) => matmul(A!, x!), detail, device);
    case 'spgemm':
      return denseCase(n, [poissonDense(n, dtype), poissonDense(n, dtype)], (A, B) => matmul(A!, B!), detail, device);
    case 'spdmm':
      return denseCase(n, [poissonDense(n, dtype), randn([n, SPDMM_COLS], { dtype, seed: 2 })], (A, D) => matmul(A!, D!), detail, device);
    case 'spadd':
      return denseCase(n, [poissonDense(n, dtype), poissonDense(n, dtype)], (A, B) => add(mul(A!, 2), mul(B!, -0.5)), detail, device);
    case 'sptrsv':
      return denseCase(n, [poissonDense(n, dtype, 'lower'), randn([n], { dtype, seed: 1 })], (L, b) => denseTriangularSolve(L!, b!, { lower: true }), detail, device);
    case 'spsolve':
      return denseCase(n, [poissonDense(n, dtype), randn([n], { dtype, seed: 1 })], (A, b) => denseSolve(A!, b!), detail, device);
  }
}

/** Our sparse op at size n: bench:ops' case, so both benchmarks time the same calls. */
export function makeSparseCase(op: PaperOp, n: number, dtype: DType): TimedCase {
  const c: OpCase = makeCase(op, n, dtype);
  return { nnz: c.nnz, detail: OP_PAIRS[op].sparseDetail, run: c.run };
}

/** Why our engine cannot time on a GPU here, or null when it has a CUDA device. */
export function oursCudaAbsence(): string | null {
  const { mode, reason } = deviceMode();
  if (mode === 'cuda') return null;
  if (mode === 'emulated') return 'no CUDA device: the emulated device (SPARSE_AD_CUDA_EMULATION=1) is not timed, its numbers would be CPU numbers';
  return `no CUDA device: ${reason}`;
}

/**
 * Our op on the CUDA device: the same calls as on the CPU with every input
 * moved there once; each timed call ends with a device synchronisation. The
 * dense triangular and dense LU solves have no CUDA kernels (the engine's GPU
 * work is the sparse side), so those rows are absent with that reason.
 */
export function makeCudaCase(op: OpName, variant: Variant, n: number, dtype: DType): TimedCase {
  const absent = oursCudaAbsence();
  if (absent) throw new Error(absent);
  if (isSolverOp(op)) throw new AbsentCase('not timed on the GPU: the solver rows of this study are CPU rows so far');
  if (variant === 'sparse') {
    const c = makeCase(op, n, dtype, 'cuda');
    return { nnz: c.nnz, detail: OP_PAIRS[op].sparseDetail, run: c.run };
  }
  if (op === 'sptrsv' || op === 'spsolve') throw new Error(`the engine has no CUDA kernel for the dense ${testName(op, variant)} (dense solves run on the CPU only)`);
  const c = noGrad(() => makeDenseCase(op, n, dtype, 'cuda'));
  return {
    ...c,
    run: (pass) => {
      const call = c.run(pass);
      return () => {
        scope(call);
        synchronize();
      };
    },
  };
}

export function makeOursCase(op: OpName, variant: Variant, n: number, dtype: DType, device: DeviceKind): TimedCase {
  if (device === 'cuda') return makeCudaCase(op, variant, n, dtype);
  if (variant === 'sparse' && !isSolverOp(op)) return makeSparseCase(op, n, dtype); // scoped by makeCase
  // Each call in a scope, as the sparse cases: outputs back to the buffer pool at once.
  const c = isSolverOp(op) ? makeSolverCase(op, variant, n, dtype) : makeDenseCase(op, n, dtype);
  return { ...c, run: (pass) => { const call = c.run(pass); return () => scope(call); } };
}
