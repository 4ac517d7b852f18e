// Coefficient identification: recover the diffusion coefficient κ(x, y) of
// −∇·(κ∇u) = f on the unit square from noisy observations of u, solving the PDE
// with a sparse direct solve inside the loss:
//   min_θ  Σ_k ‖u_k(θ) − u_k^obs‖²  +  λ ‖G θ‖²,
//   A(e^θ) u_k(θ) = f_k,   κ = e^θ (positive by construction),
// with A(κ) the 5-point finite-volume operator assembled linearly from κ
// (values = S κ, so ∂loss/∂κ flows through SpMV's VJP) and G the differences of
// θ across cell faces (a smoothness prior, as a real inversion would use).
import type { TemplateInfo } from '../schema.js';
import { defineTemplate, type TemplateSpec } from '../ext/template.js';

const nx = 32;
const ny = 32;
const sources = 4;

const spec: TemplateSpec = {
  name: 'inverse-diffusion',
  title: 'Inverse diffusion (recover κ)',
  description: `Recover a coefficient field κ on a ${nx}×${ny} grid from noisy observations of u, where A(κ) u = f is solved with spsolve inside the loss.`,
  notes: [
    `The truth is a conductive inclusion on a sloped background (κ from 1 to 3.2); ${sources} Gaussian sources f_k give the experiments, and 1% noise (of max |u|) is added to their solutions.`,
    'κ = exp(θ) keeps the coefficient positive; θ starts at 0 (κ ≡ 1).',
    'The misfit Σ‖u − u^obs‖² is summed over the grid and the sources; the smoothness term λ‖Gθ‖² has λ = 1e-4 (the weight of its sum node): much larger flattens the inclusion, much smaller lets the noise through.',
    'relativeError is ‖κ − κ_true‖/‖κ_true‖ after training; the two heatmaps show κ_true and the recovered κ.',
  ],
  nodes: [
    ['kappaTrue', 'grid-field', { shape: 'inclusion', nx, ny }],
    ['Atrue', 'diffusion2d', { nx, ny }],
    ['f', 'grid-sources', { nx, ny, count: sources }],
    ['uTrue', 'spsolve'],
    ['uObs', 'add-noise', { level: 0.01 }],
    ['theta', 'vector-parameter', { length: nx * ny, init: 'constant', value: 0 }],
    ['kappa', 'exp'],
    ['A', 'diffusion2d', { nx, ny }],
    ['u', 'spsolve'],
    ['misfit', 'mse-loss', { reduction: 'sum', weight: 1 }],
    ['G', 'grid-gradient', { nx, ny }],
    ['Gtheta', 'spmv'],
    ['Gtheta2', 'mul'],
    ['smoothness', 'sum-loss', { weight: 1e-4 }],
    ['relativeError', 'relative-error', { pass: 'eval' }],
    ['kappaTrueMap', 'heatmap', { title: 'κ true', width: nx, height: ny }],
    ['kappaMap', 'heatmap', { title: 'κ recovered', width: nx, height: ny }],
  ],
  edges: [
    'kappaTrue.field -> Atrue.kappa',
    'Atrue.A -> uTrue.A',
    'f.F -> uTrue.b',
    'uTrue.x -> uObs.x',
    'theta.value -> kappa.x',
    'kappa.y -> A.kappa',
    'A.A -> u.A',
    'f.F -> u.b',
    'u.x -> misfit.x',
    'uObs.y -> misfit.target',
    'G.G -> Gtheta.A',
    'theta.value -> Gtheta.x',
    'Gtheta.y -> Gtheta2.a',
    'Gtheta.y -> Gtheta2.b',
    'Gtheta2.y -> smoothness.x',
    'kappa.y -> relativeError.x',
    'kappaTrue.field -> relativeError.truth',
    'kappaTrue.field -> kappaTrueMap.values',
    'kappa.y -> kappaMap.values',
  ],
  training: { epochs: 200, optimizer: { kind: 'adam', lr: 0.05 } },
};

/** A fresh copy of the template (safe to modify). */
export function inverseDiffusionTemplate(): TemplateInfo {
  return defineTemplate(spec);
}
