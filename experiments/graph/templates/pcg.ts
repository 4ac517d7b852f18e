// §4.3 as a graph: a learned preconditioner M = L Lᵀ (L lower bidiagonal) for
// CG on the 2-D Poisson matrix, trained through 4 unrolled PCG iterations with
// the weighted residual loss (28).
import type { TemplateInfo } from '../index.js';
import { ADAM, GraphBuilder } from './build.js';

const description =
  'A learned CG preconditioner (§4.3, Fig. 7–8): M = L Lᵀ with L lower bidiagonal, trained through N_it = 4 ' +
  'unrolled PCG iterations on the 2-D Poisson matrix (8×8 grid, n = 64) with the weighted residual loss (28), γ = 0.6.';

const notes = [
  'From the paper: 2-D Poisson 8×8 as a Kronecker sum (26), M = L Lᵀ with L lower bidiagonal (27), N_it = 4, ' +
    'loss (28) with γ = 0.6.',
  "b = the 'linear' right-hand side (b at grid point (i, j) = the j-th interior coordinate of (−1, 1)), the forcing " +
    "of the authors' PCG demo; the paper does not state b.",
  'L initialised to the identity (open in the paper), so training starts exactly at plain CG and Fig. 7 shows the ' +
    'way down from CG’s residual.',
  'Adam lr 0.01, 150 epochs (open in the paper): the relative residual after 4 iterations falls from 0.089 (CG) ' +
    'to about 3e-4 and the loss reaches its plateau at about epoch 120; beyond that Adam at this rate only ' +
    'oscillates around it (lr 0.003–0.005 is slower and ends higher after 300–500 epochs).',
  'Residual histories for Fig. 8 run 20 iterations (CG on this b reaches machine precision before that).',
];

export function pcgTemplate(): TemplateInfo {
  const g = new GraphBuilder()
    .node('A', 'poisson2d', { nx: 8, ny: 8 }, [0, 0])
    .node('b', 'vector', { fill: 'linear', period: 8 }, [1, 0], 'b (linear)')
    .node('L', 'sparse-parameter', { pattern: 'lower bidiagonal', diagonal: 1, offDiagonal: 0 }, [1, 1])
    .node('LT', 'transpose', {}, [2, 2], 'Lᵀ')
    .node('M', 'spgemm', {}, [3, 1], 'M = L Lᵀ')
    .node('pcg', 'cg', { iterations: 4 }, [4, 0], 'PCG ×4')
    .node('loss', 'weighted-residual-loss', { gamma: 0.6 }, [5, 0])
    .node('relativeResidual', 'relative-residual', { pass: 'train' }, [5, 1], 'relative residual')
    .node('cgHistory', 'residual-history', { iterations: 20 }, [4, 2], 'CG history')
    .node('pcgHistory', 'residual-history', { iterations: 20 }, [4, 3], 'learned PCG history')
    .node('history', 'chart', { chart: 'lines', title: 'Residual history: CG vs learned PCG (Fig. 8)', x: 'index', xLabel: 'iteration', yLabel: '‖r‖/‖b‖', logY: true, names: ['CG', 'learned PCG'] }, [5, 3])
    .wire('A.A', 'b.like')
    .wire('A.A', 'L.like')
    .wire('L.value', 'LT.A')
    .wire('L.value', 'M.A')
    .wire('LT.AT', 'M.B')
    .wire('A.A', 'pcg.A')
    .wire('b.b', 'pcg.b')
    .wire('M.C', 'pcg.M')
    .wire('pcg.residuals', 'loss.residuals')
    .wire('pcg.residuals', 'relativeResidual.residuals')
    .wire('A.A', 'cgHistory.A')
    .wire('b.b', 'cgHistory.b')
    .wire('A.A', 'pcgHistory.A')
    .wire('b.b', 'pcgHistory.b')
    .wire('M.C', 'pcgHistory.M')
    .wire('cgHistory.value', 'history.s1')
    .wire('pcgHistory.value', 'history.s2');
  const graph = g.graph('pcg', { optimizer: { ...ADAM }, epochs: 150, runs: 1, seed: 0, dtype: 'float64', device: 'cpu' }, description, notes);
  return { name: 'pcg', title: 'Learned PCG preconditioner (§4.3)', description, notes, graph };
}
