// Noisy observations of a computed quantity.
import { add, type Generator, noGrad, type Tensor, zeros } from '../../../native/lib/index.js';

/**
 * x + σ ε, ε standard normal drawn from `gen` in x's (row-major) order;
 * σ = level · max|x| ('relative') or level ('absolute').
 */
export function addNoise(x: Tensor, level: number, scale: 'relative' | 'absolute', gen: Generator): Tensor {
  return noGrad(() => {
    const d = x.device === 'cpu' ? x.data : x.toArray();
    let peak = 0;
    for (let k = 0; k < d.length; k++) peak = Math.max(peak, Math.abs(d[k]!));
    const sigma = scale === 'relative' ? level * peak : level;
    const e = zeros(x.shape, { dtype: x.dtype });
    for (let k = 0; k < e.data.length; k++) e.data[k] = sigma * gen.normal();
    return add(x, x.device === 'cpu' ? e : e.to(x.device));
  });
}
