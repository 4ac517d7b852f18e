// The loss of a set of final iterates Y (n × K, one column per starting
// vector) for the stationary-solver problems (Jacobi, heavyball).
import { type CsrMatrix, div, mul, neg, spdmm, sub, sum, type Tensor } from '../../native/lib/index.js';
import type { EnergyLoss, ResidualLoss } from '../spec/types.js';

/**
 * energy:   Σ_k y_kᵀ A y_k      (the squared A-norm of the error when b = 0: eqs. 21, 25)
 * residual: Σ_k ‖b − A y_k‖²
 * 'mean' divides by K.
 */
export function iterateLoss(loss: EnergyLoss | ResidualLoss, A: CsrMatrix, Y: Tensor, B: Tensor | null): Tensor {
  const AY = spdmm(A, Y);
  let total: Tensor;
  if (loss.kind === 'energy') {
    total = sum(mul(Y, AY));
  } else {
    const R = B ? sub(B, AY) : neg(AY);
    total = sum(mul(R, R));
  }
  return loss.reduction === 'mean' ? div(total, Y.shape[1]!) : total;
}
