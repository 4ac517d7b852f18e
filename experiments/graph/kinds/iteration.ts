// The iteration blocks of the paper, unrolled so that gradients flow through
// every step: k weighted-Jacobi sweeps (§4.1), k heavyball steps (§4.2) and
// k (P)CG iterations (§4.3). Each applies A to all K vectors of a block at once
// (SpDMM) or to one vector (SpMV).
import { z } from 'zod';
import { add, concat, type CsrMatrix, diagonal, div, dot, eye, mul, noGrad, norm, reshape, spadd, spgemm, spmv, sub, type Tensor } from '../../../native/lib/index.js';
import { commonDtype, defineKind, dense, need, NodeIssue, type PortShape, sameSize, shapeOf, showShape, sparse } from '../catalogue.js';
import { applySparse, identityCache } from './sparse-ops.js';

const sp = (v: unknown): CsrMatrix => v as CsrMatrix;
const dn = (v: unknown): Tensor => v as Tensor;

/** b as x's shape: one vector for all K columns of a block becomes an n×1 column (broadcast). */
export function rhsLike(b: Tensor, x: Tensor): Tensor {
  return b.ndim === 1 && x.ndim === 2 ? reshape(b, [b.shape[0]!, 1]) : b;
}

/** x is a vector of A's size or an n×K block; b (when wired) has x's shape. */
function iterateShapes(i: Record<string, PortShape | undefined>, x = 'x'): PortShape {
  const A = need(i, 'A');
  const X = need(i, x);
  if (!sameSize(A.shape[0]!, A.shape[1]!)) throw new NodeIssue(`A must be square but is ${showShape(A.shape)}`, { port: 'A' });
  if (X.shape.length < 1 || X.shape.length > 2) throw new NodeIssue(`${x} must be a vector or an n×K block but is ${showShape(X.shape)}`, { port: x });
  if (!sameSize(X.shape[0]!, A.shape[1]!)) throw new NodeIssue(`input ${x} has ${X.shape[0]} rows but A has ${A.shape[1]} columns (A is ${showShape(A.shape)})`, { port: x });
  commonDtype('iteration', ['A', A], [x, X]);
  const b = i.b;
  if (b) {
    const column = X.shape.length === 2 && b.shape.length === 1 && sameSize(b.shape[0]!, X.shape[0]!);
    if (!column && (b.shape.length !== X.shape.length || b.shape.some((d, k) => !sameSize(d, X.shape[k]!)))) {
      throw new NodeIssue(`b is ${showShape(b.shape)} but ${x} is ${showShape(X.shape)}; b must have x's shape (or be one vector for all columns)`, { port: 'b' });
    }
    commonDtype('iteration', ['A', A], ['b', b]);
  }
  return X;
}

defineKind({
  kind: 'jacobi',
  category: 'iteration',
  title: 'Weighted Jacobi ×k',
  description:
    'k sweeps of entry-wise weighted Jacobi, x⁺ = Ω D⁻¹ b + (I − Ω D⁻¹ A) x with Ω = diag(ω) (eq. 20). The iteration matrix is assembled with sparse ops (diag, SpGEMM, Sp+Sp), so ω’s gradient flows through their VJPs.',
  fields: z.object({ sweeps: z.int().min(1).max(10_000).default(1) }),
  inputs: [sparse('A', 'n×n matrix with a nonzero diagonal'), dense('x', 'starting vector(s): n or n×K'), dense('omega', 'the weights ω, length n'), dense('b', 'right-hand side: shaped as x, or one vector for all columns (absent: b = 0)', true)],
  outputs: [dense('y', 'the iterate(s) after k sweeps')],
  infer: (_f, i) => {
    const X = iterateShapes(i);
    const w = need(i, 'omega');
    if (w.shape.length !== 1 || !sameSize(w.shape[0]!, X.shape[0]!)) throw new NodeIssue(`omega is ${showShape(w.shape)} but needs length ${X.shape[0]} (one weight per row of A)`, { port: 'omega' });
    return { y: shapeOf('dense', X.shape.slice(), X.dtype) };
  },
  build: (f, ctx) => {
    let checked = false;
    const identity = identityCache(ctx.inputs.A);
    return {
      evaluate: (i) => {
        const A = sp(i.A);
        const n = A.rows;
        const d = diagonal(A);
        if (!checked && A.device === 'cpu') {
          const zero = Array.from(d.data).findIndex((v) => v === 0);
          if (zero >= 0) throw new NodeIssue(`weighted Jacobi divides by the diagonal, but A[${zero}, ${zero}] = 0`, { port: 'A' });
          checked = true;
        }
        const I = identity(n, A);
        const S = I.withValues(div(dn(i.omega), d)); // Ω D⁻¹ (the identity's pattern: a diagonal matrix)
        const E = spadd(I, spgemm(S, A), { alpha: 1, beta: -1 }); // I − Ω D⁻¹ A
        const SB = i.b ? applySparse(S, rhsLike(dn(i.b), dn(i.x))) : null; // Ω D⁻¹ b
        let Y = dn(i.x);
        for (let s = 0; s < f.sweeps; s++) {
          Y = applySparse(E, Y);
          if (SB) Y = add(Y, SB);
        }
        return { y: Y };
      },
    };
  },
});

defineKind({
  kind: 'heavyball',
  category: 'iteration',
  title: 'Heavyball ×k',
  description:
    "k steps of Polyak's heavyball on f(x) = ½ xᵀAx − bᵀx: x⁺ = x − α (A x − b) + β (x − x⁻) (eqs. 22, 24), x⁻ = x at the start (the first step is gradient descent).",
  fields: z.object({ iterations: z.int().min(1).max(100_000).default(12) }),
  inputs: [sparse('A', 'n×n SPD matrix'), dense('x', 'starting vector(s): n or n×K'), dense('alpha', 'step size α (scalar)'), dense('beta', 'momentum β (scalar)'), dense('b', 'right-hand side: shaped as x, or one vector for all columns (absent: b = 0)', true)],
  outputs: [dense('y', 'the iterate(s) after k steps')],
  infer: (_f, i) => {
    const X = iterateShapes(i);
    for (const p of ['alpha', 'beta'] as const) {
      const s = need(i, p);
      if (s.shape.length !== 0) throw new NodeIssue(`${p} must be a scalar but is ${showShape(s.shape)}`, { port: p });
    }
    return { y: shapeOf('dense', X.shape.slice(), X.dtype) };
  },
  build: (f) => ({
    evaluate: (i) => {
      const A = sp(i.A);
      const B = i.b ? rhsLike(dn(i.b), dn(i.x)) : null;
      const alpha = dn(i.alpha);
      const beta = dn(i.beta);
      const X0 = dn(i.x);
      let prev = X0;
      let x = X0;
      for (let it = 0; it < f.iterations; it++) {
        const grad = B ? sub(applySparse(A, x), B) : applySparse(A, x); // ∇f = A x − b
        const next = add(sub(x, mul(alpha, grad)), mul(beta, sub(x, prev)));
        prev = x;
        x = next;
      }
      return { y: x };
    },
  }),
});

/**
 * Relative residuals ‖r_i‖/‖b‖ after i = 1 … iterations of (P)CG from x₀ = 0
 * (applyM null: plain CG), and the iterate when `withX`. With `stopBelow`, stops
 * early once the residual drops below it or stops being finite.
 */
export function pcgResiduals(
  A: CsrMatrix,
  b: Tensor,
  applyM: ((r: Tensor) => Tensor) | null,
  iterations: number,
  stopBelow?: number,
  withX = false,
): { residuals: Tensor[]; x: Tensor | null } {
  const nb = norm(b).item();
  let r = b;
  let z = applyM ? applyM(r) : r;
  let p = z;
  let rz = dot(r, z);
  let x: Tensor | null = null;
  const out: Tensor[] = [];
  for (let i = 0; i < iterations; i++) {
    const Ap = spmv(A, p);
    const alpha = div(rz, dot(p, Ap));
    if (withX) x = x ? add(x, mul(alpha, p)) : mul(alpha, p);
    r = sub(r, mul(alpha, Ap));
    const rel = div(norm(r), nb);
    out.push(rel);
    if (i === iterations - 1) break;
    if (stopBelow !== undefined) {
      const v = rel.item();
      if (!(v >= stopBelow)) break;
    }
    z = applyM ? applyM(r) : r;
    const rzNext = dot(r, z);
    p = add(z, mul(div(rzNext, rz), p));
    rz = rzNext;
  }
  return { residuals: out, x };
}

function cgShapes(i: Record<string, PortShape | undefined>): PortShape {
  const A = need(i, 'A');
  const b = need(i, 'b');
  if (!sameSize(A.shape[0]!, A.shape[1]!)) throw new NodeIssue(`A must be square but is ${showShape(A.shape)}`, { port: 'A' });
  if (b.shape.length !== 1) throw new NodeIssue(`b must be a vector but is ${showShape(b.shape)}`, { port: 'b' });
  if (!sameSize(b.shape[0]!, A.shape[0]!)) throw new NodeIssue(`b has length ${b.shape[0]} but A is ${showShape(A.shape)}`, { port: 'b' });
  commonDtype('cg', ['A', A], ['b', b]);
  const M = i.M;
  if (M && (!sameSize(M.shape[0]!, A.shape[0]!) || !sameSize(M.shape[1]!, A.shape[1]!))) throw new NodeIssue(`the preconditioner M is ${showShape(M.shape)} but A is ${showShape(A.shape)}`, { port: 'M' });
  if (M) commonDtype('cg', ['A', A], ['M', M]);
  return b;
}

defineKind({
  kind: 'cg',
  category: 'iteration',
  title: 'CG / PCG ×k',
  description:
    'k conjugate-gradient iterations for A x = b from x₀ = 0, preconditioned by z = M r when M is wired (e.g. M = L Lᵀ, eq. 27). Outputs the relative residuals ‖r_i‖/‖b‖, i = 1 … k, and the iterate.',
  fields: z.object({ iterations: z.int().min(1).max(10_000).default(4) }),
  inputs: [sparse('A', 'n×n SPD matrix'), dense('b', 'right-hand side (n, nonzero)'), sparse('M', 'preconditioner (applied as M r)', true)],
  outputs: [dense('residuals', 'relative residuals after each iteration (length k)'), dense('x', 'the iterate after k iterations')],
  infer: (f, i) => {
    const b = cgShapes(i);
    return { residuals: shapeOf('dense', [f.iterations], b.dtype), x: shapeOf('dense', b.shape.slice(), b.dtype) };
  },
  build: (f, ctx) => {
    const withX = ctx.connected.has('x');
    return {
      evaluate: (i) => {
        const M = i.M ? sp(i.M) : null;
        const { residuals, x } = pcgResiduals(sp(i.A), dn(i.b), M ? (r) => spmv(M, r) : null, f.iterations, undefined, withX);
        return { residuals: stack(residuals), ...(x ? { x } : {}) };
      },
    };
  },
});

/** Scalars as one vector (concat's VJP hands each its own gradient back unchanged). */
export function stack(scalars: Tensor[]): Tensor {
  return scalars.length === 1 ? reshape(scalars[0]!, [1]) : concat(scalars.map((s) => reshape(s, [1])), 0);
}

export { cgShapes };
