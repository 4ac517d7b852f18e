// The engine's sparse solvers as nodes: a sparse Cholesky (its solve and the
// log-determinant, native/lib/ops/cholesky.ts) and the Krylov solvers cg,
// minres, gmres and bicgstab (native/lib/ops/krylov.ts), which solve to a
// tolerance and report how they got there: each Krylov node outputs the
// solution and its convergence record (the residual history and the iteration
// count) for a chart or a metric to show.
import { z } from 'zod';
import { type CsrMatrix, krylov, type KrylovMethod, type KrylovOptions, logdet, spsolve, type Tensor, tensor } from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, need, NodeIssue, type PortShape, sameSize, shapeOf, showShape, sparse } from '../catalogue.js';

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;

function checkSquare(op: string, A: PortShape): void {
  if (!sameSize(A.shape[0]!, A.shape[1]!)) throw new NodeIssue(`${op} needs a square A but A is ${showShape(A.shape)}`, { port: 'A' });
}

/** A square, b a vector or an n×k block with A's row count; returns b's shape with the common dtype. */
function solveShapes(op: string, i: Record<string, PortShape | undefined>): PortShape {
  const A = need(i, 'A');
  const b = need(i, 'b');
  checkSquare(op, A);
  if (b.shape.length < 1 || b.shape.length > 2) throw new NodeIssue(`b must be a vector or an n×k block but is ${showShape(b.shape)}`, { port: 'b' });
  if (!sameSize(b.shape[0]!, A.shape[0]!)) throw new NodeIssue(`b has ${b.shape[0]} rows but A is ${showShape(A.shape)} (b needs ${A.shape[0]} rows)`, { port: 'b' });
  return shapeOf('dense', b.shape.slice(), commonDtype(op, ['A', A], ['b', b]));
}

// ---------------------------------------------------------------------------
// Sparse Cholesky

export const CholeskyFields = z.object({
  ordering: z
    .enum(['default', 'amd', 'metis', 'nesdis', 'natural', 'best'])
    .default('default')
    .describe("fill-reducing ordering: 'default' is CHOLMOD's (AMD, and METIS too when AMD's fill is high); 'best' tries every method"),
  storage: z
    .enum(['auto', 'full', 'upper', 'lower'])
    .default('auto')
    .describe("which triangles A stores: 'full' both (S = (A + Aᵀ)/2), 'upper'/'lower' one (mirrored); 'auto' detects it"),
});

/** The engine options of a Cholesky node: only what differs from the defaults. */
export function choleskyOptions(f: z.infer<typeof CholeskyFields>): { ordering?: z.infer<typeof CholeskyFields>['ordering']; storage?: z.infer<typeof CholeskyFields>['storage'] } {
  return { ...(f.ordering !== 'default' ? { ordering: f.ordering } : {}), ...(f.storage !== 'auto' ? { storage: f.storage } : {}) };
}

defineKind({
  kind: 'logdet',
  category: 'solvers',
  title: 'log det A',
  description:
    'The log-determinant of a symmetric positive definite A through a sparse Cholesky (CHOLMOD), e.g. the normalising term of a Gaussian likelihood. Gradient: A⁻¹ ⊙ mask(A) by selected inversion (never a dense inverse).',
  fields: CholeskyFields,
  inputs: [sparse('A', 'n×n symmetric positive definite')],
  outputs: [dense('value', 'log det A (a scalar)')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    checkSquare('logdet', A);
    if (A.dtype === 'int32') throw new NodeIssue('A must hold floats', { port: 'A' });
    return { value: shapeOf('dense', [], A.dtype) };
  },
  build: (f) => ({ evaluate: (i) => ({ value: logdet(sp(i.A), choleskyOptions(f)) }) }),
});

defineKind({
  kind: 'cholesky-solve',
  category: 'solvers',
  title: 'Cholesky solve  A⁻¹b',
  description:
    "Sparse direct solve A x = b for a symmetric positive definite A (spsolve's method 'cholesky', CHOLMOD), for a vector or an n×k block. Gradients: −(λxᵀ + xλᵀ)/2 ⊙ mask(A) for A, λ = A⁻¹v for b.",
  fields: CholeskyFields,
  inputs: [sparse('A', 'n×n symmetric positive definite'), dense('b', 'n or n×k right-hand side')],
  outputs: [dense('x', 'the solution, shaped as b')],
  infer: (_f, i) => ({ x: solveShapes('cholesky-solve', i) }),
  build: (f) => ({ evaluate: (i) => ({ x: spsolve(sp(i.A), dn(i.b), { method: 'cholesky', ...choleskyOptions(f) }) }) }),
});

// ---------------------------------------------------------------------------
// Krylov solvers

const PRECONDITIONERS = ['none', 'jacobi', 'ic0', 'ilu0', 'matrix'] as const;

const krylovFields = {
  tol: z.number().gt(0).max(1).default(1e-8).describe('stop at the relative residual ‖b − A x‖/‖b‖ ≤ tol'),
  maxIter: z.int().min(0).max(100_000_000).default(0).describe('iterations at most; 0: 10 n'),
  preconditioner: z
    .enum(PRECONDITIONERS)
    .default('none')
    .describe("M ≈ A⁻¹ applied as z = M r: 'jacobi' (1/diag A), 'ic0' (incomplete Cholesky), 'ilu0' (incomplete LU), or 'matrix': the sparse matrix on input M"),
  adjoint: z
    .enum(['implicit', 'unrolled'])
    .default('implicit')
    .describe("'implicit': the backward pass solves Aᵀλ = v (memory flat in the iterations); 'unrolled': differentiates every iteration (gradients reach a learnable M)"),
  onNonConvergence: z.enum(['warn', 'throw', 'ignore']).default('warn').describe("not reaching tol: 'warn' (a process warning), 'throw' (the run fails) or 'ignore' (only the record shows it)"),
};

export const KrylovFields = z.object(krylovFields);
export const GmresFields = z.object({ ...krylovFields, restart: z.int().min(0).max(100_000).default(0).describe('Krylov dimension before a restart; 0: min(30, n)') });
type KrylovFieldValues = z.infer<typeof GmresFields>;

/** The engine options of a Krylov node (maxIter, restart and the preconditioner only when set); M is the matrix on input M. */
export function krylovOptions(f: Omit<KrylovFieldValues, 'restart'> & { restart?: number }, M: CsrMatrix | undefined): KrylovOptions {
  return {
    tol: f.tol,
    ...(f.maxIter > 0 ? { maxIter: f.maxIter } : {}),
    ...(f.restart ? { restart: f.restart } : {}),
    ...(f.preconditioner === 'matrix' ? { preconditioner: M } : f.preconditioner !== 'none' ? { preconditioner: f.preconditioner } : {}),
    adjoint: f.adjoint,
    onNonConvergence: f.onNonConvergence,
  };
}

const SOLVERS: [KrylovMethod, string, string, string][] = [
  ['cg', 'CG to tolerance', 'symmetric positive definite', 'Conjugate gradients for a symmetric positive definite A (and a symmetric positive definite M).'],
  ['minres', 'MINRES', 'symmetric', 'MINRES for a symmetric A, definite or not (M symmetric positive definite).'],
  ['gmres', 'GMRES(m)', 'square', 'Restarted GMRES for any nonsingular A.'],
  ['bicgstab', 'BiCGSTAB', 'square', 'BiCGSTAB for any nonsingular A.'],
];

for (const [method, title, kindOfA, what] of SOLVERS) {
  defineKind({
    kind: `${method}-solve`,
    category: 'solvers',
    title: `${title}  A⁻¹b`,
    description:
      `${what} Solves A x = b to a tolerance for a vector or an n×k block, with an optional preconditioner. ` +
      'Gradients (implicit adjoint): db = λ, dA = −λxᵀ ⊙ mask(A) with Aᵀλ = v solved the same way. ' +
      'Outputs the solution and its convergence record: the relative residual after each iteration and the iteration count.',
    fields: method === 'gmres' ? GmresFields : KrylovFields,
    inputs: [sparse('A', `n×n ${kindOfA} matrix`), dense('b', 'n or n×k right-hand side'), sparse('M', "preconditioner matrix, z = M r (preconditioner 'matrix'; its gradient flows with adjoint 'unrolled' only)", true)],
    outputs: [
      dense('x', 'the solution, shaped as b'),
      dense('residuals', 'relative residual after 0, 1, … iterations (of the slowest column)'),
      dense('iterations', 'iterations taken (a scalar; of the slowest column)'),
    ],
    infer: (f, i) => {
      const x = solveShapes(`${method}-solve`, i);
      const M = i.M;
      if (f.preconditioner === 'matrix' && !M) throw new NodeIssue("preconditioner is 'matrix' but input M is not connected", { field: 'preconditioner' });
      if (M && f.preconditioner !== 'matrix') throw new NodeIssue(`input M is connected but preconditioner is '${f.preconditioner}' (choose 'matrix' to use it)`, { field: 'preconditioner' });
      if (M) {
        const A = need(i, 'A');
        if (!sameSize(M.shape[0]!, A.shape[0]!) || !sameSize(M.shape[1]!, A.shape[1]!)) throw new NodeIssue(`the preconditioner M is ${showShape(M.shape)} but A is ${showShape(A.shape)}`, { port: 'M' });
        commonDtype(`${method}-solve`, ['A', A], ['M', M]);
      }
      return { x, residuals: shapeOf('dense', [-1], x.dtype), iterations: shapeOf('dense', [], x.dtype) };
    },
    build: (f, ctx) => {
      const record = ctx.connected.has('residuals') || ctx.connected.has('iterations');
      return {
        evaluate: (i): Record<string, Tensor> => {
          const b = dn(i.b);
          const { x, info } = krylov(method, sp(i.A), b, krylovOptions(f as KrylovFieldValues, i.M ? sp(i.M) : undefined));
          if (!record) return { x };
          return { x, residuals: tensor(info.residuals, { dtype: b.dtype }), iterations: tensor(info.iterations, { dtype: b.dtype }) };
        },
      };
    },
  });
}
