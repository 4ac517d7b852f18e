// §4.2: Polyak's heavyball iteration on f(x) = ½ xᵀAx − bᵀx,
//   x⁺ = x − α (A x − b) + β (x − x⁻)                                 (22, 24)
// unrolled for L iterations (x⁻ = x at the start, so the first step is plain
// gradient descent), with the scalars α, β learned through the unrolled loop.
// A is applied to all K vectors at once with SpDMM.
import { add, mul, noGrad, spdmm, sub, type Tensor, tensor } from '../../native/lib/index.js';
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
import { type CompiledMethod, column } from '../compile/method.js';
import type { HeavyballSeries, HeavyballSummary } from '../runner/types.js';
import type { EnergyLoss, HeavyballMethod, ProblemSpec, ResidualLoss, ScalarParameter } from '../spec/types.js';
import { iterateLoss } from './solver-loss.js';

export async function compileHeavyball(spec: ProblemSpec, opts: CompileOptions): Promise<CompiledMethod<HeavyballSeries, HeavyballSummary>> {
  const method = spec.method as HeavyballMethod;
  const loss = spec.loss as EnergyLoss | ResidualLoss;
  const dtype = spec.dtype;
  const device = spec.device;
  const A = place(await loadSystemMatrix(spec, opts), device);
  const n = A.rows;

  return {
    createRun(_run, seed) {
      const Xtrain = place(vectorBlock(method.train, n, generatorFor(seed, STREAM.vectors), dtype), device);
      const Xtest = place(vectorBlock(method.test, n, generatorFor(seed, STREAM.testVectors), dtype), device);
      const b = rhsValues(spec, method.rhs, n, seed);
      const Btrain = isZero(b) ? null : place(rhsBlock(b, method.train.count, dtype), device);
      const Btest = isZero(b) ? null : place(rhsBlock(b, method.test.count, dtype), device);
      const alpha = leafOn(tensor((spec.parameters.alpha as ScalarParameter).init, { dtype, requiresGrad: true }), device);
      const beta = leafOn(tensor((spec.parameters.beta as ScalarParameter).init, { dtype, requiresGrad: true }), device);
      const optimizer = makeOptimizer(spec.optimizer, { alpha, beta });

      const forward = (X0: Tensor, B: Tensor | null): Tensor => {
        let prev = X0;
        let x = X0;
        for (let it = 0; it < method.iterations; it++) {
          const grad = B ? sub(spdmm(A, x), B) : spdmm(A, x); // ∇f = A x − b
          const next = add(sub(x, mul(alpha, grad)), mul(beta, sub(x, prev)));
          prev = x;
          x = next;
        }
        return iterateLoss(loss, A, x, B);
      };

      return {
        epoch(epoch) {
          optimizer.zeroGrad();
          const l = forward(Xtrain, Btrain);
          const train = l.item();
          checkFinite('heavyball', train, epoch, 'α left the region where the iteration converges; lower spec.optimizer.lr');
          const test = noGrad(() => forward(Xtest, Btest)).item();
          const parameters = { alpha: alpha.item(), beta: beta.item() };
          l.backward();
          optimizer.step();
          return { losses: { train, test }, metrics: {}, parameters };
        },
        dispose() {
          optimizer.dispose();
        },
        finish() {
          return noGrad(() => ({
            loss: forward(Xtrain, Btrain).item(),
            testLoss: forward(Xtest, Btest).item(),
            alpha: alpha.item(),
            beta: beta.item(),
          }));
        },
      };
    },

    assemble(epochs, runs) {
      const first = epochs[0]!;
      const series: HeavyballSeries = {
        trainLoss: column(first, (r) => r.losses.train),
        testLoss: column(first, (r) => r.losses.test),
        alpha: column(first, (r) => r.parameters.alpha as number),
        beta: column(first, (r) => r.parameters.beta as number),
      };
      const final = runs[0]!.final;
      return {
        series,
        summary: {
          initialLoss: series.trainLoss[0]!,
          finalLoss: final.loss as number,
          alpha: final.alpha as number,
          beta: final.beta as number,
        },
      };
    },
  };
}
