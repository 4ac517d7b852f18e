// The engine's sparse ops (Table 1 of the paper) and its structural ops as
// nodes. Each infers its output shape from its operands' and names both when
// they do not fit, e.g. `input x has length 32 but A has 16 columns`.
import { z } from 'zod';
import {
  astype,
  CsrMatrix,
  diagonal,
  diags,
  eye,
  kron,
  noGrad,
  ones,
  spadd,
  spdmm,
  spgemm,
  spmv,
  spsolve,
  sptrsv,
  type Tensor,
  transpose,
  tril,
  triu,
} from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, need, NodeIssue, type PortShape, sameSize, shapeOf, showShape, sparse } from '../catalogue.js';
import { assembleDiffusion2d, diffusionPattern } from './fields.js';

/**
 * The n×n identity on a matrix's device and dtype. The CPU identity of the
 * inferred size is made when the node is built (outside any run's scope) and
 * kept, so that on a device its pattern (and the pattern's device arrays) is
 * made once; the values copied each pass belong to the pass's scope.
 */
export function identityCache(hint: PortShape | undefined): (n: number, like: { device: string; dtype: 'float64' | 'float32' }) => CsrMatrix {
  const n0 = hint?.shape[0] ?? -1;
  const kept = n0 >= 0 && hint!.dtype !== 'int32' ? eye(n0, { dtype: hint!.dtype as 'float64' }) : null;
  return (n, like) => {
    const I = kept && n === n0 && kept.dtype === like.dtype ? kept : eye(n, { dtype: like.dtype });
    return like.device === 'cpu' ? I : noGrad(() => I.to(like.device as 'cuda'));
  };
}

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;
const none = z.object({});
const sizeStr = (s: PortShape): string => showShape(s.shape);

/** A sparse matrix times a vector or a block of vectors (SpMV or SpDMM by the operand's rank). */
function applySparse(A: CsrMatrix, x: Tensor): Tensor {
  return x.ndim === 1 ? spmv(A, x) : spdmm(A, x);
}

function checkSquare(port: string, s: PortShape, what = port): void {
  if (!sameSize(s.shape[0]!, s.shape[1]!)) throw new NodeIssue(`${what} must be square but is ${sizeStr(s)}`, { port });
}

defineKind({
  kind: 'spmv',
  category: 'sparse ops',
  title: 'SpMV  A·x',
  description: 'Sparse matrix times vector, y = A x. Gradients: (v xᵀ) ⊙ mask(A) for A, Aᵀ v for x.',
  fields: none,
  inputs: [sparse('A', 'm×n sparse matrix'), dense('x', 'vector of length n')],
  outputs: [dense('y', 'vector of length m')],
  infer(_f, i) {
    const A = need(i, 'A');
    const x = need(i, 'x');
    if (x.shape.length !== 1) throw new NodeIssue(`input x must be a vector but is ${sizeStr(x)} (use spdmm for a block)`, { port: 'x' });
    if (!sameSize(x.shape[0]!, A.shape[1]!)) throw new NodeIssue(`input x has length ${x.shape[0]} but A has ${A.shape[1]} columns (A is ${sizeStr(A)})`, { port: 'x' });
    return { y: shapeOf('dense', [A.shape[0]!], commonDtype('spmv', ['A', A], ['x', x])) };
  },
  build: () => ({ evaluate: (i) => ({ y: spmv(sp(i.A), dn(i.x)) }) }),
});

defineKind({
  kind: 'spdmm',
  category: 'sparse ops',
  title: 'SpDMM  A·D',
  description: 'Sparse matrix times dense matrix, Y = A D (e.g. A applied to K vectors at once, or a GCN layer Â·H).',
  fields: none,
  inputs: [sparse('A', 'm×n sparse matrix'), dense('D', 'n×k dense matrix')],
  outputs: [dense('Y', 'm×k dense matrix')],
  infer(_f, i) {
    const A = need(i, 'A');
    const D = need(i, 'D');
    if (D.shape.length !== 2) throw new NodeIssue(`input D must be a matrix but is ${sizeStr(D)} (use spmv for a vector)`, { port: 'D' });
    if (!sameSize(D.shape[0]!, A.shape[1]!)) throw new NodeIssue(`input D has ${D.shape[0]} rows but A has ${A.shape[1]} columns (A is ${sizeStr(A)}, D is ${sizeStr(D)})`, { port: 'D' });
    return { Y: shapeOf('dense', [A.shape[0]!, D.shape[1]!], commonDtype('spdmm', ['A', A], ['D', D])) };
  },
  build: () => ({ evaluate: (i) => ({ Y: spdmm(sp(i.A), dn(i.D)) }) }),
});

defineKind({
  kind: 'spgemm',
  category: 'sparse ops',
  title: 'SpGEMM  A·B',
  description: 'Sparse times sparse, C = A B (a sparse result). Gradients keep each operand’s pattern.',
  fields: none,
  inputs: [sparse('A', 'm×k sparse matrix'), sparse('B', 'k×n sparse matrix')],
  outputs: [sparse('C', 'm×n sparse matrix')],
  infer(_f, i) {
    const A = need(i, 'A');
    const B = need(i, 'B');
    if (!sameSize(B.shape[0]!, A.shape[1]!)) throw new NodeIssue(`input B has ${B.shape[0]} rows but A has ${A.shape[1]} columns (A is ${sizeStr(A)}, B is ${sizeStr(B)})`, { port: 'B' });
    return { C: shapeOf('sparse', [A.shape[0]!, B.shape[1]!], commonDtype('spgemm', ['A', A], ['B', B])) };
  },
  build: () => ({ evaluate: (i) => ({ C: spgemm(sp(i.A), sp(i.B)) }) }),
});

defineKind({
  kind: 'spadd',
  category: 'sparse ops',
  title: 'Sp+Sp  αA + βB',
  description: 'Sparse sum on the union of the patterns. α, β are the fields, or scalars wired to the alpha/beta inputs (learnable).',
  fields: z.object({ alpha: z.number().default(1), beta: z.number().default(1) }),
  inputs: [sparse('A', 'm×n'), sparse('B', 'm×n'), dense('alpha', 'a scalar replacing the field α', true), dense('beta', 'a scalar replacing the field β', true)],
  outputs: [sparse('C', 'αA + βB')],
  infer(_f, i) {
    const A = need(i, 'A');
    const B = need(i, 'B');
    if (!sameSize(A.shape[0]!, B.shape[0]!) || !sameSize(A.shape[1]!, B.shape[1]!)) throw new NodeIssue(`A is ${sizeStr(A)} but B is ${sizeStr(B)}; they must have one shape`, { port: 'B' });
    for (const p of ['alpha', 'beta'] as const) {
      if (i[p] && i[p].shape.length !== 0) throw new NodeIssue(`input ${p} must be a scalar but is ${sizeStr(i[p])}`, { port: p });
    }
    return { C: shapeOf('sparse', A.shape.slice(), commonDtype('spadd', ['A', A], ['B', B])) };
  },
  build: (f) => ({
    evaluate: (i) => ({ C: spadd(sp(i.A), sp(i.B), { alpha: i.alpha ? dn(i.alpha) : f.alpha, beta: i.beta ? dn(i.beta) : f.beta }) }),
  }),
});

defineKind({
  kind: 'sptrsv',
  category: 'sparse ops',
  title: 'SpTRSV  L⁻¹b',
  description: 'Sparse triangular solve L x = b (lower or upper; unit diagonal optional), for a vector or a block of right-hand sides.',
  fields: z.object({ lower: z.boolean().default(true), unitDiagonal: z.boolean().default(false) }),
  inputs: [sparse('L', 'n×n triangular matrix'), dense('b', 'n or n×k right-hand side')],
  outputs: [dense('x', 'the solution, shaped as b')],
  infer(_f, i) {
    const L = need(i, 'L');
    const b = need(i, 'b');
    checkSquare('L', L);
    if (b.shape.length < 1 || b.shape.length > 2) throw new NodeIssue(`b must be a vector or a matrix but is ${sizeStr(b)}`, { port: 'b' });
    if (!sameSize(b.shape[0]!, L.shape[0]!)) throw new NodeIssue(`b has ${b.shape[0]} rows but L is ${sizeStr(L)}`, { port: 'b' });
    return { x: shapeOf('dense', b.shape.slice(), commonDtype('sptrsv', ['L', L], ['b', b])) };
  },
  build: (f) => ({ evaluate: (i) => ({ x: sptrsv(sp(i.L), dn(i.b), { lower: f.lower, unitDiagonal: f.unitDiagonal }) }) }),
});

defineKind({
  kind: 'spsolve',
  category: 'sparse ops',
  title: 'SpSolve  A⁻¹b',
  description: 'Sparse direct solve A x = b (LU with pivoting). Gradients: −(A⁻ᵀ v) xᵀ ⊙ mask(A) for A, A⁻ᵀ v for b; the VJP reuses the factors.',
  fields: none,
  inputs: [sparse('A', 'n×n nonsingular matrix'), dense('b', 'n or n×k right-hand side')],
  outputs: [dense('x', 'the solution, shaped as b')],
  infer(_f, i) {
    const A = need(i, 'A');
    const b = need(i, 'b');
    checkSquare('A', A);
    if (b.shape.length < 1 || b.shape.length > 2) throw new NodeIssue(`b must be a vector or a matrix but is ${sizeStr(b)}`, { port: 'b' });
    if (!sameSize(b.shape[0]!, A.shape[0]!)) throw new NodeIssue(`b has ${b.shape[0]} rows but A is ${sizeStr(A)}`, { port: 'b' });
    return { x: shapeOf('dense', b.shape.slice(), commonDtype('spsolve', ['A', A], ['b', b])) };
  },
  build: () => ({ evaluate: (i) => ({ x: spsolve(sp(i.A), dn(i.b)) }) }),
});

// ---------------------------------------------------------------------------
// Structure

defineKind({
  kind: 'transpose',
  category: 'structure',
  title: 'Transpose  Aᵀ',
  description: 'The transpose of a sparse matrix (differentiable in its values).',
  fields: none,
  inputs: [sparse('A', 'm×n')],
  outputs: [sparse('AT', 'n×m')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    return { AT: shapeOf('sparse', [A.shape[1]!, A.shape[0]!], A.dtype) };
  },
  build: () => ({ evaluate: (i) => ({ AT: transpose(sp(i.A)) }) }),
});

defineKind({
  kind: 'diagonal',
  category: 'structure',
  title: 'diag(A)',
  description: 'The k-th diagonal of a sparse matrix as a dense vector (zeros where not stored).',
  fields: z.object({ k: z.int().min(-1_000_000_000).max(1_000_000_000).default(0).describe('0 the main diagonal, >0 above, <0 below') }),
  inputs: [sparse('A', 'm×n')],
  outputs: [dense('d', 'the diagonal')],
  infer: (f, i) => {
    const A = need(i, 'A');
    const [m, n] = A.shape as [number, number];
    const len = m < 0 || n < 0 ? -1 : Math.max(0, f.k >= 0 ? Math.min(m, n - f.k) : Math.min(m + f.k, n));
    return { d: shapeOf('dense', [len], A.dtype) };
  },
  build: (f) => ({ evaluate: (i) => ({ d: diagonal(sp(i.A), f.k) }) }),
});

for (const [kind, fn, title] of [
  ['tril', tril, 'tril(A)'],
  ['triu', triu, 'triu(A)'],
] as const) {
  defineKind({
    kind,
    category: 'structure',
    title,
    description: `The ${kind === 'tril' ? 'lower' : 'upper'} triangle of a sparse matrix from diagonal k on (its entries keep their values and gradients).`,
    fields: z.object({ k: z.int().min(-1_000_000_000).max(1_000_000_000).default(0) }),
    inputs: [sparse('A', 'm×n')],
    outputs: [sparse('T', 'm×n')],
    infer: (_f, i) => ({ T: { ...need(i, 'A'), shape: need(i, 'A').shape.slice() } }),
    build: (f) => ({ evaluate: (i) => ({ T: fn(sp(i.A), f.k) }) }),
  });
}

defineKind({
  kind: 'kron',
  category: 'structure',
  title: 'Kronecker  A ⊗ B',
  description: 'The Kronecker product of two sparse matrices (e.g. a 2-D operator from 1-D ones).',
  fields: none,
  inputs: [sparse('A', 'm×n'), sparse('B', 'p×q')],
  outputs: [sparse('K', 'mp×nq')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    const B = need(i, 'B');
    const mul = (a: number, b: number): number => (a < 0 || b < 0 ? -1 : a * b);
    return { K: shapeOf('sparse', [mul(A.shape[0]!, B.shape[0]!), mul(A.shape[1]!, B.shape[1]!)], commonDtype('kron', ['A', A], ['B', B])) };
  },
  build: () => ({ evaluate: (i) => ({ K: kron(sp(i.A), sp(i.B)) }) }),
});

defineKind({
  kind: 'identity',
  category: 'structure',
  title: 'Identity  I',
  description: "The n×n identity as a sparse matrix; n a number or the rows of the matrix on 'like'.",
  fields: z.object({ n: z.int().min(0).max(100_000_000).default(0).describe("0: the rows of 'like'") }),
  inputs: [sparse('like', 'n = its row count', true)],
  outputs: [sparse('I', 'n×n')],
  variability: () => 'constant',
  infer: (f, i, ctx) => {
    const n = f.n > 0 ? f.n : i.like?.shape[0];
    if (n === undefined) throw new NodeIssue("n is 0 but 'like' is not connected", { port: 'like' });
    return { I: shapeOf('sparse', [n, n], i.like?.dtype ?? ctx.training.dtype) };
  },
  build: (f, ctx) => {
    const I = eye(ctx.outputs.I!.shape[0]!, { dtype: ctx.outputs.I!.dtype as 'float64' });
    void f;
    return { evaluate: () => ({ I }) };
  },
});

defineKind({
  kind: 'diag-matrix',
  category: 'structure',
  title: 'Diagonal matrix  diag(v)',
  description: 'A sparse diagonal matrix whose diagonal is the vector v (differentiable in v), e.g. Ω D⁻¹.',
  fields: none,
  inputs: [dense('v', 'vector of length n')],
  outputs: [sparse('D', 'n×n diagonal')],
  infer: (_f, i) => {
    const v = need(i, 'v');
    if (v.shape.length !== 1) throw new NodeIssue(`v must be a vector but is ${showShape(v.shape)}`, { port: 'v' });
    return { D: shapeOf('sparse', [v.shape[0]!, v.shape[0]!], v.dtype) };
  },
  build: (_f, ctx) => {
    const identity = identityCache(ctx.inputs.v);
    return {
      evaluate: (i) => {
        const v = dn(i.v);
        return { D: identity(v.shape[0]!, v).withValues(v) };
      },
    };
  },
});

defineKind({
  kind: 'to-dense',
  category: 'structure',
  title: 'To dense',
  description: 'A sparse matrix as a dense m×n tensor (zeros where not stored). For small matrices.',
  fields: none,
  inputs: [sparse('A', 'm×n')],
  outputs: [dense('D', 'm×n dense')],
  infer: (_f, i) => ({ D: shapeOf('dense', need(i, 'A').shape.slice(), need(i, 'A').dtype) }),
  build: () => ({ evaluate: (i) => ({ D: sp(i.A).toDense() }) }),
});

defineKind({
  kind: 'from-dense',
  category: 'structure',
  title: 'From dense',
  description: 'The nonzeros of a dense matrix as a sparse matrix (a constant: gradients do not flow back).',
  fields: none,
  inputs: [dense('D', 'm×n dense')],
  outputs: [sparse('A', 'm×n sparse')],
  infer: (_f, i) => {
    const D = need(i, 'D');
    if (D.shape.length !== 2) throw new NodeIssue(`D must be a matrix but is ${showShape(D.shape)}`, { port: 'D' });
    return { A: shapeOf('sparse', D.shape.slice(), D.dtype) };
  },
  build: () => ({ evaluate: (i) => ({ A: noGrad(() => CsrMatrix.fromDense(dn(i.D).device === 'cpu' ? dn(i.D) : dn(i.D).to('cpu')).to(dn(i.D).device)) }) }),
});

defineKind({
  kind: 'sparse-values',
  category: 'structure',
  title: 'Values of A',
  description: 'The stored values of a sparse matrix as a dense vector of length nnz (differentiable).',
  fields: none,
  inputs: [sparse('A', 'm×n')],
  outputs: [dense('values', 'length nnz')],
  infer: (_f, i) => ({ values: shapeOf('dense', [-1], need(i, 'A').dtype) }),
  build: () => ({ evaluate: (i) => ({ values: sp(i.A).values }) }),
});

defineKind({
  kind: 'with-values',
  category: 'structure',
  title: 'A with values v',
  description: "The pattern of A with new values v (length nnz), differentiable in v: how a matrix is assembled from computed values.",
  fields: none,
  inputs: [sparse('A', 'the pattern'), dense('values', 'length nnz(A)')],
  outputs: [sparse('B', 'A’s pattern with the values')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    const v = need(i, 'values');
    if (v.shape.length !== 1) throw new NodeIssue(`values must be a vector but is ${showShape(v.shape)}`, { port: 'values' });
    return { B: shapeOf('sparse', A.shape.slice(), commonDtype('with-values', ['A', A], ['values', v])) };
  },
  build: () => ({
    evaluate: (i) => {
      const A = sp(i.A);
      const v = dn(i.values);
      if (v.shape[0] !== A.nnz) throw new NodeIssue(`values has length ${v.shape[0]} but A has ${A.nnz} stored entries`, { port: 'values' });
      return { B: A.withValues(v) };
    },
  }),
});

defineKind({
  kind: 'sparse-cast',
  category: 'structure',
  title: 'Cast sparse',
  description: 'A sparse matrix in another element type (float64 ↔ float32).',
  fields: z.object({ dtype: z.enum(['float64', 'float32']).default('float32') }),
  inputs: [sparse('A', 'm×n')],
  outputs: [sparse('B', 'm×n in dtype')],
  infer: (f, i) => ({ B: shapeOf('sparse', need(i, 'A').shape.slice(), f.dtype) }),
  build: (f) => ({ evaluate: (i) => ({ B: astype(sp(i.A), f.dtype) }) }),
});

defineKind({
  kind: 'normalize-adjacency',
  category: 'structure',
  title: 'GCN normalisation  D̃^-½(A+I)D̃^-½',
  description:
    'Â = D̃^-½ (A + I) D̃^-½ with D̃ the row sums of A + I (eq. 29), built with sparse ops; computed in float64 and rounded to A’s dtype (a constant).',
  fields: z.object({ selfLoops: z.boolean().default(true).describe('add I before normalising') }),
  inputs: [sparse('A', 'n×n adjacency')],
  outputs: [sparse('Ahat', 'n×n normalised adjacency')],
  infer: (_f, i) => {
    const A = need(i, 'A');
    checkSquare('A', A);
    return { Ahat: shapeOf('sparse', A.shape.slice(), A.dtype) };
  },
  build: (f) => ({
    evaluate: (i) => {
      const A0 = sp(i.A);
      if (A0.device !== 'cpu') throw new NodeIssue('normalises a matrix on the CPU (a constant); feed it a source matrix');
      return {
        Ahat: noGrad(() => {
          const A = A0.dtype === 'float64' ? A0.detach() : astype(A0.detach(), 'float64');
          const n = A.rows;
          const At = f.selfLoops ? spadd(A, eye(n)) : A; // Ã = A + I
          const deg = spmv(At, ones([n])).data;
          const dinv = Float64Array.from(deg, (x) => (x > 0 ? 1 / Math.sqrt(x) : 0));
          const Dm = diags([dinv], [0], [n, n]);
          const Ahat = spgemm(spgemm(Dm, At), Dm);
          return A0.dtype === 'float64' ? Ahat : astype(Ahat, A0.dtype);
        }),
      };
    },
  }),
});

defineKind({
  kind: 'row-normalize',
  category: 'structure',
  title: 'Row-normalise',
  description: 'Each row divided by its sum (empty rows stay empty), as Kipf’s preprocess_features; computed in float64 and rounded to A’s dtype (a constant).',
  fields: none,
  inputs: [sparse('A', 'm×n')],
  outputs: [sparse('B', 'm×n, rows summing to 1')],
  infer: (_f, i) => ({ B: shapeOf('sparse', need(i, 'A').shape.slice(), need(i, 'A').dtype) }),
  build: () => ({
    evaluate: (i) => {
      const X0 = sp(i.A);
      if (X0.device !== 'cpu') throw new NodeIssue('normalises a matrix on the CPU (a constant); feed it a source matrix');
      return {
        B: noGrad(() => {
          const X = X0.dtype === 'float64' ? X0.detach() : astype(X0.detach(), 'float64');
          const sums = spmv(X, ones([X.cols])).data;
          const inv = Float64Array.from(sums, (s) => (s !== 0 ? 1 / s : 0));
          const B = spgemm(diags([inv], [0], [X.rows, X.rows]), X);
          return X0.dtype === 'float64' ? B : astype(B, X0.dtype);
        }),
      };
    },
  }),
});

defineKind({
  kind: 'diffusion2d',
  category: 'structure',
  title: 'Diffusion operator A(κ)',
  description:
    'Assembles the 5-point operator −∇·(κ∇) on an nx×ny grid from a coefficient field κ (one value per cell, nx fastest; Dirichlet boundary): values = S κ, differentiable in κ.',
  fields: z.object({
    nx: z.int().min(1).max(10_000).default(32),
    ny: z.int().min(1).max(10_000).default(32),
    scale: z.enum(['none', 'h2']).default('h2').describe("'h2': divide by h², h = 1/(n+1); 'none': grid units"),
  }),
  inputs: [dense('kappa', 'κ, nx·ny values')],
  outputs: [sparse('A', '(nx·ny)×(nx·ny) operator')],
  infer: (f, i) => {
    const k = need(i, 'kappa');
    const n = f.nx * f.ny;
    if (k.shape.length !== 1 || !sameSize(k.shape[0]!, n)) throw new NodeIssue(`kappa is ${showShape(k.shape)} but a ${f.nx}×${f.ny} grid needs a vector of length ${n}`, { port: 'kappa' });
    return { A: shapeOf('sparse', [n, n], k.dtype) };
  },
  build: (f, ctx) => {
    const a = diffusionPattern(f.nx, f.ny, f.scale, ctx.inputs.kappa!.dtype as 'float64');
    return { evaluate: (i) => ({ A: assembleDiffusion2d(a, dn(i.kappa)) }) };
  },
});

export { applySparse };
