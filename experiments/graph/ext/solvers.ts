// Solver blocks for a learned smoother in front of CG, on one right-hand side
// (a vector) or K of them at once (the columns of an n×K block: every product is
// one SpDMM, every inner product a column sum, so each column runs its own CG).
import { add, concat, type CsrMatrix, div, mean, mul, reshape, spdmm, spmv, sqrt, sub, sum, type Tensor } from '../../../native/lib/index.js';

/** A x for a vector, A X for a block. */
export function applyTo(A: CsrMatrix, X: Tensor): Tensor {
  return X.ndim === 1 ? spmv(A, X) : spdmm(A, X);
}

/**
 * `sweeps` steps of the stationary iteration  x⁺ = x + M (b − A x)  from x = 0
 * (the first is x = M b): a smoother M (e.g. ω D⁻¹, or learned on A's pattern).
 */
export function smooth(A: CsrMatrix, M: CsrMatrix, b: Tensor, sweeps: number): Tensor {
  let x = applyTo(M, b);
  for (let s = 1; s < sweeps; s++) x = add(x, applyTo(M, sub(b, applyTo(A, x))));
  return x;
}

/**
 * `iterations` CG steps for A x = b from x₀ (each column of a block on its own):
 *   r = b − A x₀, p = r;  α = rᵀr / pᵀAp,  x += α p,  r −= α A p,  β = r⁺ᵀr⁺ / rᵀr,  p = r + β p.
 * Returns x and the relative residuals ‖r_i‖/‖b‖ after i = 1 … iterations
 * (for a block: their mean over the columns).
 */
export function conjugateGradient(A: CsrMatrix, b: Tensor, x0: Tensor | null, iterations: number): { x: Tensor; residuals: Tensor } {
  // Column sums: Σ over rows (axis 0) gives one number per column, or the total for a vector.
  const colDot = (u: Tensor, v: Tensor): Tensor => sum(mul(u, v), 0);
  const bb = colDot(b, b);
  let x = x0;
  let r = x0 ? sub(b, applyTo(A, x0)) : b;
  let p = r;
  let rr = colDot(r, r);
  const history: Tensor[] = [];
  for (let i = 0; i < iterations; i++) {
    const Ap = applyTo(A, p);
    const alpha = div(rr, colDot(p, Ap));
    x = x ? add(x, mul(p, alpha)) : mul(p, alpha);
    r = sub(r, mul(Ap, alpha));
    const rrNext = colDot(r, r);
    history.push(reshape(mean(sqrt(div(rrNext, bb))), [1]));
    if (i === iterations - 1) break;
    p = add(r, mul(p, div(rrNext, rr)));
    rr = rrNext;
  }
  return { x: x!, residuals: history.length === 1 ? history[0]! : concat(history, 0) };
}
