// A learned sparse smoother in front of CG: ν sweeps of x⁺ = x + M (b − A x)
// from x = 0 give the starting guess of k CG iterations, and M — values on A's
// own pattern — is trained so that the residual after those k iterations is
// small, over random right-hand sides drawn afresh every epoch:
//   M = D⁻¹ P,   P on A's pattern, starting as (2/3) I (weighted Jacobi),
//   loss = Σ_i γ^(k−i) / Σ_j γ^(k−j) · mean_columns ‖r_i‖/‖b‖       (eq. 28)
// M enters through SpGEMM (D⁻¹ P) and SpDMM; its gradient keeps A's pattern.
import type { TemplateInfo } from '../schema.js';
import { defineTemplate, type TemplateSpec } from '../ext/template.js';

const sweeps = 2;
const iterations = 5;
const vectors = 8;

const spec: TemplateSpec = {
  name: 'learned-smoother',
  title: 'Learned smoother in front of CG',
  description: `A sparse smoother with values on A's pattern, ${sweeps} sweeps in front of ${iterations} CG iterations, trained to reduce the residual on a real SPD matrix.`,
  notes: [
    'The matrix is gr_30_30 (900×900, SPD, 7744 nonzeros, cond ≈ 195) from the shared data; any SPD matrix with a stored diagonal works.',
    `M = D⁻¹P with P on A's pattern, starting at P = (2/3) I, so training starts from weighted Jacobi (ω = 2/3) and learns the off-diagonal entries too.`,
    `${vectors} random right-hand sides are drawn afresh every epoch, so M is trained for right-hand sides in general rather than fitted to a few.`,
    'The loss is the weighted residual history of eq. (28) with γ = 0.6; the metric residual is the last mean relative residual, and cgResidual that of the same number of plain CG iterations from 0 for comparison.',
  ],
  nodes: [
    ['A', 'matrix-file', { path: 'matrices/gr_30_30.mtx' }],
    ['P', 'sparse-parameter', { pattern: 'like', diagonal: 2 / 3, offDiagonal: 0 }],
    ['d', 'diagonal'],
    ['one', 'scalar', { value: 1 }],
    ['dinv', 'div'],
    ['Dinv', 'diag-matrix'],
    ['M', 'spgemm'],
    ['b', 'random-block', { count: vectors, resample: true }],
    ['x0', 'smoother', { sweeps }],
    ['cg', 'block-cg', { iterations }],
    ['plainCg', 'block-cg', { iterations }],
    ['loss', 'weighted-residual-loss', { gamma: 0.6 }],
    ['residual', 'relative-residual'],
    ['cgResidual', 'relative-residual'],
    ['history', 'chart', { title: 'Mean relative residual per CG iteration', xLabel: 'CG iteration', yLabel: '‖r‖/‖b‖', logY: true, names: ['smoother + CG', 'CG'] }],
  ],
  edges: [
    'A.A -> P.like',
    'A.A -> d.A',
    'one.value -> dinv.a',
    'd.d -> dinv.b',
    'dinv.y -> Dinv.v',
    'Dinv.D -> M.A',
    'P.value -> M.B',
    'A.A -> b.like',
    'A.A -> x0.A',
    'M.C -> x0.M',
    'b.X -> x0.b',
    'A.A -> cg.A',
    'b.X -> cg.b',
    'x0.x -> cg.x0',
    'A.A -> plainCg.A',
    'b.X -> plainCg.b',
    'cg.residuals -> loss.residuals',
    'cg.residuals -> residual.residuals',
    'plainCg.residuals -> cgResidual.residuals',
    'cg.residuals -> history.s1',
    'plainCg.residuals -> history.s2',
  ],
  training: { epochs: 100, optimizer: { kind: 'adam', lr: 0.05 } },
};

/** A fresh copy of the template (safe to modify). */
export function learnedSmootherTemplate(): TemplateInfo {
  return defineTemplate(spec);
}
