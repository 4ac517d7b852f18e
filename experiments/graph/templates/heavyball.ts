// §4.2 as a graph: Polyak's heavyball unrolled for 12 steps on the 1-D Poisson
// matrix, α and β learned on training vectors, the same loss on test vectors monitored.
import type { TemplateInfo } from '../index.js';
import { ADAM, GraphBuilder, STREAM } from './build.js';

const description =
  "Polyak's heavyball iteration (§4.2, Fig. 5–6): learn α, β of x⁺ = x − α(Ax − b) + β(x − x⁻) over 12 = ¾n " +
  'iterations on the 1-D Poisson matrix (n = 16), minimising Σ hᵀ A h on training vectors; the same loss on held-out ' +
  'test vectors is tracked.';

const notes = [
  'From the paper: n = 16, L = ¾ n = 12 iterations, b = 0, loss (25), train and test vectors with normal entries.',
  'x⁻ = x for the first iteration (the first step is plain gradient descent).',
  'K = 64 training and 64 test vectors (open in the paper): enough that the test loss tracks the training loss.',
  'α = β = 0.25 initially (open in the paper): a stable starting point well away from the optimum ' +
    '(α ≈ 0.6, β ≈ 0.45 for this loss), so the loss falls about fivefold and Fig. 6 shows both parameters moving; ' +
    'the paper names no initial values.',
  'Adam lr 0.01, 200 epochs (open in the paper): larger rates let α overshoot into the unstable region ' +
    '(α λ_max > 2(1 + β)), where the loss explodes.',
];

export function heavyballTemplate(): TemplateInfo {
  const g = new GraphBuilder()
    .node('A', 'poisson1d', { n: 16 }, [0, 1])
    .node('Xtrain', 'random-block', { count: 64, distribution: 'normal', stream: STREAM.vectors }, [1, 0], 'training vectors')
    .node('Xtest', 'random-block', { count: 64, distribution: 'normal', stream: STREAM.testVectors }, [1, 3], 'test vectors')
    .node('alpha', 'scalar-parameter', { init: 0.25 }, [1, 1], 'α')
    .node('beta', 'scalar-parameter', { init: 0.25 }, [1, 2], 'β')
    .node('heavyball', 'heavyball', { iterations: 12 }, [2, 0])
    .node('heavyballTest', 'heavyball', { iterations: 12 }, [2, 3])
    .node('loss', 'energy-loss', { reduction: 'sum' }, [3, 0])
    .node('test', 'energy-loss', { reduction: 'sum', role: 'monitor' }, [3, 3], 'test loss')
    .node('parameters', 'chart', { chart: 'lines', title: 'α and β per epoch (Fig. 6)', x: 'epoch', xLabel: 'epoch', yLabel: 'value', names: ['α', 'β'] }, [3, 1])
    .wire('A.A', 'Xtrain.like')
    .wire('A.A', 'Xtest.like');
  for (const [block, X, loss] of [
    ['heavyball', 'Xtrain', 'loss'],
    ['heavyballTest', 'Xtest', 'test'],
  ] as const) {
    g.wire('A.A', `${block}.A`)
      .wire(`${X}.X`, `${block}.x`)
      .wire('alpha.value', `${block}.alpha`)
      .wire('beta.value', `${block}.beta`)
      .wire('A.A', `${loss}.A`)
      .wire(`${block}.y`, `${loss}.x`);
  }
  g.wire('alpha.value', 'parameters.s1').wire('beta.value', 'parameters.s2');
  const graph = g.graph('heavyball', { optimizer: { ...ADAM }, epochs: 200, runs: 1, seed: 0, dtype: 'float64', device: 'cpu' }, description, notes);
  return { name: 'heavyball', title: 'Heavyball (§4.2)', description, notes, graph };
}
