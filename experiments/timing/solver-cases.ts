// The solver rows of the timing study, on the 2-D Poisson matrix (5-point,
// symmetric positive definite) of an nx × ny grid with nx·ny = N:
//   cholesky: spsolve(A, b, { method: 'cholesky' }), CHOLMOD factor + solve;
//   logdet:   logdet(A) (its gradient by selected inversion);
//   cg:       cg(A, b) to a relative residual of 1e-8 (implicit adjoint);
// forward, and forward+backward (gradients w.r.t. A's values and b). The dense
// counterpart of the two solves is the engine's dense LU solve (it has no dense
// Cholesky); it has no dense log-determinant, so that cell is absent.
import { cg, CsrMatrix, denseSolve, type DType, keep, logdet, noGrad, randn, spsolve, type Tensor, tensor } from '../../native/lib/index.js';
import type { TimedCase } from './types.js';
import type { SolverOp } from './ops.js';

/** A cell that cannot be timed here, for a reason (the study reports it absent, not failed). */
export class AbsentCase extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AbsentCase';
  }
}

/** The tolerance of the CG rows (relative residual), as SciPy's cg is given. */
export const CG_TOL = 1e-8;

/** The grid of the N-unknown 2-D Poisson matrix: nx the largest divisor of N with nx ≤ √N, ny = N / nx. */
export function gridOf(n: number): [number, number] {
  let nx = Math.floor(Math.sqrt(n));
  while (nx > 1 && n % nx !== 0) nx--;
  return [nx, n / nx];
}

export function poisson2dOf(n: number, dtype: DType): CsrMatrix {
  const [nx, ny] = gridOf(n);
  return CsrMatrix.poisson2d(nx, ny, { dtype });
}

const gridText = (n: number): string => {
  const [nx, ny] = gridOf(n);
  return `2-D Poisson ${nx}×${ny}`;
};

export const SOLVER_DETAILS: Record<SolverOp, { sparse: string; dense: string }> = {
  cholesky: {
    sparse: "spsolve(A, b, {method: 'cholesky'}) (CHOLMOD factor + solve; the symbolic analysis is cached on A's pattern after the first call)",
    dense: 'denseSolve(A, b) (dense LU; the engine has no dense Cholesky)',
  },
  logdet: { sparse: 'logdet(A) (CHOLMOD; gradient by selected inversion)', dense: 'none: the engine has no dense log-determinant' },
  cg: { sparse: `cg(A, b, {tol: ${CG_TOL}}) (implicit adjoint)`, dense: 'denseSolve(A, b) (dense LU)' },
};

function onesLike(t: Tensor): Tensor {
  return tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size).fill(1), { shape: t.shape });
}

/** Forward under noGrad, or forward + backward with a ones seed, on fresh leaves of A's values and b. */
function solverCase(A: CsrMatrix, b: Tensor, detail: string, f: (A: CsrMatrix, b: Tensor) => Tensor): TimedCase {
  const Ag = A.withValues(A.values.detach().clone(), { requiresGrad: true });
  const bg = b.detach().clone().requiresGrad_();
  let seed: Tensor | null = null;
  return {
    nnz: A.nnz,
    detail,
    run: (pass) => (pass === 'forward'
      ? () => void noGrad(() => f(A, b))
      : () => {
        Ag.values.grad = null;
        bg.grad = null;
        const out = f(Ag, bg);
        seed ??= keep(onesLike(out)); // made inside the timed call's scope: kept past it
        out.backward(seed);
      }),
  };
}

/** CG that fails rather than time a solve that did not converge. */
const cgSolve = (A: CsrMatrix, b: Tensor): Tensor => cg(A, b, { tol: CG_TOL, onNonConvergence: 'throw' }).x;

/** Our sparse solver op on a given SPD matrix (the 2-D Poisson one, or a user's). */
export function solverSparseCase(op: SolverOp, A: CsrMatrix, detail = SOLVER_DETAILS[op].sparse): TimedCase {
  const b = randn([A.rows], { dtype: A.dtype, seed: 1 });
  switch (op) {
    case 'cholesky': return solverCase(A, b, detail, (M, v) => spsolve(M, v, { method: 'cholesky' }));
    case 'logdet': return solverCase(A, b, detail, (M) => logdet(M));
    case 'cg': return solverCase(A, b, detail, cgSolve);
  }
}

/** The dense counterpart on a given matrix (dense LU solve), or AbsentCase. */
export function solverDenseCase(op: SolverOp, A: CsrMatrix, detail = SOLVER_DETAILS[op].dense): TimedCase {
  if (op === 'logdet') throw new AbsentCase('the engine has no dense log-determinant to compare with');
  const Ad = noGrad(() => A.detach().toDense());
  const b = randn([A.rows], { dtype: A.dtype, seed: 1 });
  const Ag = Ad.clone().requiresGrad_();
  const bg = b.clone().requiresGrad_();
  let seed: Tensor | null = null;
  return {
    nnz: A.rows * A.cols,
    detail,
    run: (pass) => (pass === 'forward'
      ? () => void noGrad(() => denseSolve(Ad, b))
      : () => {
        Ag.grad = null;
        bg.grad = null;
        const out = denseSolve(Ag, bg);
        seed ??= keep(onesLike(out)); // made inside the timed call's scope: kept past it
        out.backward(seed);
      }),
  };
}

export function makeSolverCase(op: SolverOp, variant: 'sparse' | 'dense', n: number, dtype: DType): TimedCase {
  const A = poisson2dOf(n, dtype);
  const where = `, A ${gridText(n)}`;
  return variant === 'sparse' ? solverSparseCase(op, A, SOLVER_DETAILS[op].sparse + where) : solverDenseCase(op, A, SOLVER_DETAILS[op].dense + where);
}
