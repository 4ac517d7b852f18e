// §4.3: a learned preconditioner for CG. M = L Lᵀ (27) with L sparse (lower
// bidiagonal in the paper) is assembled each epoch with transpose + SpGEMM; N_it
// PCG iterations are unrolled and the weighted residual loss
//   ℓ = Σ_i γ^(N−i) / Σ_j γ^(N−j) · ‖r_i‖ / ‖b‖                        (28)
// is minimised over L's values.
import { add, type CsrMatrix, div, dot, mul, noGrad, norm, spgemm, spmv, sub, type Tensor, tensor, transpose } from '../../native/lib/index.js';
import { type CompileOptions, checkFinite, loadSystemMatrix, makeOptimizer, place, rhsValues, sparseLeafOn, sparseParameter } from '../compile/common.js';
import { type CompiledMethod, column, values } from '../compile/method.js';
import type { PcgSeries, PcgSummary } from '../runner/types.js';
import type { PcgMethod, ProblemSpec, SparseParameter, WeightedResidualLoss } from '../spec/types.js';

/**
 * Relative residuals ‖r_i‖/‖b‖ after i = 1 … iterations of (P)CG from x₀ = 0
 * (applyM null: plain CG). Only the residual recurrence r ← r − α A p is needed
 * for them, so the iterate x itself is not formed. With `stopBelow`, stops early
 * once the residual drops below it or stops being finite (converged or broken down).
 */
export function pcgResiduals(A: CsrMatrix, b: Tensor, applyM: ((r: Tensor) => Tensor) | null, iterations: number, stopBelow?: number): Tensor[] {
  const nb = norm(b).item();
  let r = b;
  let z = applyM ? applyM(r) : r;
  let p = z;
  let rz = dot(r, z);
  const out: Tensor[] = [];
  for (let i = 0; i < iterations; i++) {
    const Ap = spmv(A, p);
    const alpha = div(rz, dot(p, Ap));
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
  return out;
}

/** Eq. (28)'s weights γ^(N−i) / Σ_j γ^(N−j), i = 1 … N. */
export function residualWeights(gamma: number, n: number): number[] {
  const w = Array.from({ length: n }, (_, k) => gamma ** (n - 1 - k));
  const s = w.reduce((a, x) => a + x, 0);
  return w.map((x) => x / s);
}

const HISTORY_FLOOR = 1e-15;

export async function compilePcg(spec: ProblemSpec, opts: CompileOptions): Promise<CompiledMethod<PcgSeries, PcgSummary>> {
  const method = spec.method as PcgMethod;
  const loss = spec.loss as WeightedResidualLoss;
  const dtype = spec.dtype;
  const device = spec.device;
  const Acpu = await loadSystemMatrix(spec, opts);
  const A = place(Acpu, device);
  const n = A.rows;
  const weights = residualWeights(loss.gamma, method.iterations);

  return {
    createRun(_run, seed) {
      const b = place(tensor(rhsValues(spec, method.rhs, n, seed), { dtype }), device);
      const L = sparseLeafOn(sparseParameter(spec.parameters.L as SparseParameter, Acpu, dtype, 'spec.parameters.L'), device);
      const optimizer = makeOptimizer(spec.optimizer, { L });
      const preconditioner = (): ((r: Tensor) => Tensor) => {
        const M = spgemm(L, transpose(L)); // M = L Lᵀ
        return (r) => spmv(M, r);
      };
      const forward = (): { loss: Tensor; residuals: Tensor[] } => {
        const residuals = pcgResiduals(A, b, preconditioner(), method.iterations);
        let total: Tensor = mul(residuals[0]!, weights[0]!);
        for (let i = 1; i < residuals.length; i++) total = add(total, mul(residuals[i]!, weights[i]!));
        return { loss: total, residuals };
      };

      return {
        epoch(epoch) {
          optimizer.zeroGrad();
          const { loss: l, residuals } = forward();
          const value = l.item();
          checkFinite('pcg', value, epoch, 'M = L Lᵀ became singular; lower spec.optimizer.lr');
          const relativeResidual = residuals[residuals.length - 1]!.item();
          const parameters = { L: values(L.values) };
          l.backward();
          optimizer.step();
          return { losses: { train: value }, metrics: { relativeResidual }, parameters };
        },
        dispose() {
          optimizer.dispose();
        },
        finish() {
          return noGrad(() => {
            const { loss: l, residuals } = forward();
            const M = preconditioner();
            const hist = (applyM: ((r: Tensor) => Tensor) | null): number[] => [
              1,
              ...pcgResiduals(A, b, applyM, method.historyIterations, HISTORY_FLOOR).map((t) => t.item()),
            ];
            return {
              loss: l.item(),
              pcgResidual: residuals.map((t) => t.item()),
              cgResidual: pcgResiduals(A, b, null, method.iterations).map((t) => t.item()),
              cgHistory: hist(null),
              pcgHistory: hist(M),
              L: values(L.values),
            };
          });
        },
      };
    },

    assemble(epochs, runs) {
      const first = epochs[0]!;
      const final = runs[0]!.final;
      const series: PcgSeries = {
        loss: column(first, (r) => r.losses.train),
        relativeResidual: column(first, (r) => r.metrics.relativeResidual),
        cgHistory: final.cgHistory as number[],
        pcgHistory: final.pcgHistory as number[],
      };
      return {
        series,
        summary: {
          initialLoss: series.loss[0]!,
          finalLoss: final.loss as number,
          cgResidual: final.cgResidual as number[],
          pcgResidual: final.pcgResidual as number[],
        },
      };
    },
  };
}
