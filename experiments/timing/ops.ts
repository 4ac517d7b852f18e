// The rows of the timing study: the paper's Table 2 ops (bench:ops' suite) and
// the sparse solvers beyond the paper (issue 16): a sparse Cholesky factor +
// solve, the log-determinant, and conjugate gradients.
import { OPS as PAPER_OPS, type OpName as PaperOp, PAPER_SIZES } from '../bench/ops-suite.js';

export { PAPER_OPS, type PaperOp };

export const SOLVER_OPS = ['cholesky', 'logdet', 'cg'] as const;
export type SolverOp = (typeof SOLVER_OPS)[number];
/** Every row of the study, in its order. */
export type StudyOp = PaperOp | SolverOp;
export const STUDY_OPS: readonly StudyOp[] = [...PAPER_OPS, ...SOLVER_OPS];

export function isSolverOp(op: string): op is SolverOp {
  return (SOLVER_OPS as readonly string[]).includes(op);
}

/**
 * The default N of each row: the paper's (Table 2) for its ops; for the
 * solvers a 128 × 128 grid (2-D Poisson, N = 16384), where CG needs a few
 * hundred iterations and the factor has fill, unlike on the 1-D Poisson matrix
 * (tridiagonal: no fill, and CG would need about N iterations).
 */
export const STUDY_SIZES: Record<StudyOp, number> = { ...PAPER_SIZES, cholesky: 16384, logdet: 16384, cg: 16384 };
