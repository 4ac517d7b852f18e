// Maximum likelihood for a Gaussian random field with a sparse covariance:
// samples y_k ~ N(0, C) on an nx×ny grid with
//   C(κ, τ) = κ GᵀG + τ I,
// G the differences across interior cell faces, so GᵀG is the 5-point graph
// Laplacian: neighbouring cells are correlated, others not (a compactly
// supported covariance). The samples are drawn exactly as
//   y = √κ* Gᵀ z₁ + √τ* z₂,   z₁, z₂ standard normal   (Cov y = κ* GᵀG + τ* I),
// and (κ, τ) = (e^a, e^b) are fitted by minimising the negative log-likelihood
// per sample (constants dropped):
//   ½ (1/K) Σ_k y_kᵀ C⁻¹ y_k  +  ½ log det C,
// with one sparse Cholesky solve for the K samples at once and the log-determinant
// (its gradient C⁻¹ ⊙ mask(C) by selected inversion). A CG solve on the fitted
// C shows its convergence record.
import type { TemplateInfo } from '../schema.js';
import { defineTemplate, type TemplateSpec } from '../ext/template.js';

const nx = 16;
const ny = 16;
const samples = 32;
export const GAUSSIAN_FIELD_TRUTH = { kappa: 2, tau: 0.5 };

const spec: TemplateSpec = {
  name: 'gaussian-field',
  title: 'Gaussian field likelihood (learn κ, τ)',
  description: `Fit the covariance C = κ GᵀG + τ I of a Gaussian field on a ${nx}×${ny} grid to ${samples} samples by maximum likelihood, with a sparse Cholesky solve and log det C in the loss.`,
  notes: [
    `GᵀG is the 5-point graph Laplacian of the grid (G: differences across the ${2 * nx * ny - nx - ny} interior faces), so C is sparse and symmetric positive definite for τ > 0.`,
    `The ${samples} samples are drawn exactly from N(0, C*) with κ* = ${GAUSSIAN_FIELD_TRUTH.kappa}, τ* = ${GAUSSIAN_FIELD_TRUTH.tau}: y = √κ* Gᵀz₁ + √τ* z₂ (once per run).`,
    'κ = exp(a), τ = exp(b) keep both positive; a and b start at 0 (κ = τ = 1).',
    'The loss is the negative log-likelihood per sample without constants: ½ (1/K) Σ_k y_kᵀC⁻¹y_k (a Cholesky solve of the K samples at once) plus ½ log det C.',
    'kappaError and tauError are the relative errors of the fitted values; the chart shows CG (Jacobi-preconditioned, tol 1e-10) on the fitted C for the samples: the residual history of the slowest column.',
  ],
  nodes: [
    ['G', 'grid-gradient', { nx, ny }],
    ['GT', 'transpose'],
    ['L', 'spgemm'],
    ['I', 'identity'],
    ['z1', 'random-block', { count: samples }],
    ['z2', 'random-block', { count: samples }],
    ['GTz1', 'spdmm'],
    ['flux', 'scale', { factor: Math.sqrt(GAUSSIAN_FIELD_TRUTH.kappa) }],
    ['nugget', 'scale', { factor: Math.sqrt(GAUSSIAN_FIELD_TRUTH.tau) }],
    ['y', 'add'],
    ['a', 'scalar-parameter', { init: 0 }],
    ['b', 'scalar-parameter', { init: 0 }],
    ['kappa', 'exp'],
    ['tau', 'exp'],
    ['C', 'spadd'],
    ['Cinvy', 'cholesky-solve'],
    ['yCinvy', 'mul'],
    ['quadratic', 'sum-loss', { weight: 1 / (2 * samples) }],
    ['logdetC', 'logdet'],
    ['normaliser', 'sum-loss', { weight: 0.5 }],
    ['kappaTrue', 'scalar', { value: GAUSSIAN_FIELD_TRUTH.kappa }],
    ['tauTrue', 'scalar', { value: GAUSSIAN_FIELD_TRUTH.tau }],
    ['kappaError', 'relative-error', { pass: 'eval' }],
    ['tauError', 'relative-error', { pass: 'eval' }],
    ['cg', 'cg-solve', { tol: 1e-10, preconditioner: 'jacobi' }],
    ['cgIterations', 'metric', { pass: 'final' }],
    ['cgHistory', 'chart', { title: 'CG on the fitted C (Jacobi)', xLabel: 'iteration', yLabel: '‖r‖/‖b‖', logY: true, names: ['CG'] }],
  ],
  edges: [
    'G.G -> GT.A',
    'GT.AT -> L.A',
    'G.G -> L.B',
    'L.C -> I.like',
    'G.G -> z1.like',
    'L.C -> z2.like',
    'GT.AT -> GTz1.A',
    'z1.X -> GTz1.D',
    'GTz1.Y -> flux.x',
    'z2.X -> nugget.x',
    'flux.y -> y.a',
    'nugget.y -> y.b',
    'a.value -> kappa.x',
    'b.value -> tau.x',
    'L.C -> C.A',
    'I.I -> C.B',
    'kappa.y -> C.alpha',
    'tau.y -> C.beta',
    'C.C -> Cinvy.A',
    'y.y -> Cinvy.b',
    'y.y -> yCinvy.a',
    'Cinvy.x -> yCinvy.b',
    'yCinvy.y -> quadratic.x',
    'C.C -> logdetC.A',
    'logdetC.value -> normaliser.x',
    'kappa.y -> kappaError.x',
    'kappaTrue.value -> kappaError.truth',
    'tau.y -> tauError.x',
    'tauTrue.value -> tauError.truth',
    'C.C -> cg.A',
    'y.y -> cg.b',
    'cg.iterations -> cgIterations.x',
    'cg.residuals -> cgHistory.s1',
  ],
  training: { epochs: 150, optimizer: { kind: 'adam', lr: 0.05 } },
};

/** A fresh copy of the template (safe to modify). */
export function gaussianFieldTemplate(): TemplateInfo {
  return defineTemplate(spec);
}
