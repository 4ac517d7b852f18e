// §4.1: entry-wise weighted Jacobi. One sweep is
//   x⁺ = Ω D⁻¹ b + (I − Ω D⁻¹ A) x                                   (20)
// with Ω = diag(ω) learned. The iteration matrix is assembled with sparse ops
// (diags, SpGEMM, Sp+Sp) every epoch, so ω's gradient flows through their VJPs,
// and applied to all K vectors at once with SpDMM.
import { diagonal, div, eye, full, keep, noGrad, spadd, spdmm, spgemm, add, type Tensor } from '../../native/lib/index.js';
import {
  type CompileOptions,
  checkFinite,
  generatorFor,
  isZero,
  leafOn,
  loadSystemMatrix,
  place,
  makeOptimizer,
  rhsBlock,
  rhsValues,
  STREAM,
  vectorBlock,
} from '../compile/common.js';
import { type CompiledMethod, column, values } from '../compile/method.js';
import type { JacobiSeries, JacobiSummary } from '../runner/types.js';
import type { EnergyLoss, JacobiMethod, ProblemSpec, ResidualLoss, VectorParameter } from '../spec/types.js';
import { SpecError } from '../spec/validate.js';
import { iterateLoss } from './solver-loss.js';

export async function compileJacobi(spec: ProblemSpec, opts: CompileOptions): Promise<CompiledMethod<JacobiSeries, JacobiSummary>> {
  const method = spec.method as JacobiMethod;
  const loss = spec.loss as EnergyLoss | ResidualLoss;
  const dtype = spec.dtype;
  const device = spec.device;
  const Acpu = await loadSystemMatrix(spec, opts);
  const n = Acpu.rows;
  const dcpu = diagonal(Acpu);
  const zero = Array.from(dcpu.data).findIndex((v) => v === 0);
  if (zero >= 0) throw new SpecError('spec.matrix', `weighted Jacobi divides by the diagonal, but A[${zero}, ${zero}] = 0`);
  const A = place(Acpu, device);
  const d = place(dcpu, device);
  const I = place(eye(n, { dtype }), device);

  return {
    createRun(_run, seed) {
      const gen = generatorFor(seed, STREAM.vectors);
      const K = method.vectors.count;
      let X = place(vectorBlock(method.vectors, n, gen, dtype), device);
      const b = rhsValues(spec, method.rhs, n, seed);
      const B = isZero(b) ? null : place(rhsBlock(b, K, dtype), device);
      const omega = leafOn(full([n], (spec.parameters.omega as VectorParameter).init, { dtype, requiresGrad: true }), device);
      const optimizer = makeOptimizer(spec.optimizer, { omega });

      const forward = (): Tensor => {
        const S = I.withValues(div(omega, d)); // Ω D⁻¹ (the identity's pattern: a diagonal matrix)
        const E = spadd(I, spgemm(S, A), { alpha: 1, beta: -1 }); // I − Ω D⁻¹ A
        const SB = B ? spdmm(S, B) : null; // Ω D⁻¹ b
        let Y = X;
        for (let s = 0; s < method.sweeps; s++) {
          Y = spdmm(E, Y);
          if (SB) Y = add(Y, SB);
        }
        return iterateLoss(loss, A, Y, B);
      };

      return {
        epoch(epoch) {
          if (method.resample && epoch > 0) {
            // Outlives this epoch's scope on a device (the runner's arena frees it with the run).
            if (device !== 'cpu') X.dispose();
            X = keep(place(vectorBlock(method.vectors, n, gen, dtype), device));
          }
          optimizer.zeroGrad();
          const l = forward();
          const value = l.item();
          checkFinite('jacobi', value, epoch, 'lower spec.optimizer.lr');
          const parameters = { omega: values(omega) };
          l.backward();
          optimizer.step();
          return { losses: { train: value }, metrics: {}, parameters };
        },
        dispose() {
          optimizer.dispose();
        },
        finish() {
          return { loss: noGrad(forward).item(), weights: values(omega) };
        },
      };
    },

    assemble(epochs, runs) {
      const first = epochs[0]!;
      const series: JacobiSeries = {
        loss: column(first, (r) => r.losses.train),
        weights: first.map((r) => r.parameters.omega as number[]),
      };
      const final = runs[0]!.final;
      return {
        series,
        summary: { initialLoss: series.loss[0]!, finalLoss: final.loss as number, weights: final.weights as number[] },
      };
    },
  };
}
