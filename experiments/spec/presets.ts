// The paper's four applications (§4) as problem specs. Where the paper leaves a
// number open, `notes` says which value was chosen and why; the values were
// checked by running each preset (and, for GCN, PyTorch's twin in
// experiments/reference/gcn_torch.py).
import { type MethodKind, type ProblemSpec, SPEC_VERSION } from './types.js';

const adam = { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 } as const;

export const jacobiPreset: ProblemSpec = {
  version: SPEC_VERSION,
  name: 'jacobi',
  description:
    'Entry-wise weighted Jacobi (§4.1, Fig. 3–4): learn per-node weights Ω of x⁺ = Ω D⁻¹ b + (I − Ω D⁻¹ A) x ' +
    'on the 1-D Poisson matrix (n = 16), minimising Σₖ j(xₖ)ᵀ A j(xₖ) over random normal vectors with b = 0.',
  notes: [
    'From the paper: n = 16, Ω initialised to 1, one Jacobi sweep, b = 0, loss (21), Adam.',
    'K = 128 vectors (the paper leaves K open): the fixed set makes the loss a smooth function of Ω, and with 128 ' +
      'vectors the learned weights sit close to the optimum of the expected loss (≈ 0.79 at the two end nodes, ≈ 0.60 ' +
      'in the middle), the shape of Fig. 4, for every seed tried; with 20 vectors the middle weights scatter by ±0.1.',
    'Adam lr 0.01, 200 epochs (open in the paper): the weights travel from 1 to ≈ 0.6 in about 60 epochs and then ' +
      'settle, so Fig. 3 shows both the descent and the plateau; larger rates oscillate around the optimum.',
  ],
  matrix: { kind: 'generator', name: 'poisson1d', n: 16 },
  method: { kind: 'jacobi', sweeps: 1, rhs: 'zero', vectors: { count: 128, distribution: 'normal' }, resample: false },
  parameters: { omega: { kind: 'vector', init: 1 } },
  loss: { kind: 'energy', reduction: 'sum' },
  optimizer: { ...adam, betas: [0.9, 0.999] },
  epochs: 200,
  runs: 1,
  seed: 0,
  device: 'cpu',
  dtype: 'float64',
};

export const heavyballPreset: ProblemSpec = {
  version: SPEC_VERSION,
  name: 'heavyball',
  description:
    "Polyak's heavyball iteration (§4.2, Fig. 5–6): learn α, β of x⁺ = x − α(Ax − b) + β(x − x⁻) over 12 = ¾n " +
    'iterations on the 1-D Poisson matrix (n = 16), minimising Σ hᵀ A h on training vectors; the same loss on held-out ' +
    'test vectors is tracked.',
  notes: [
    'From the paper: n = 16, L = ¾ n = 12 iterations, b = 0, loss (25), train and test vectors with normal entries.',
    'x⁻ = x for the first iteration (the first step is plain gradient descent).',
    'K = 64 training and 64 test vectors (open in the paper): enough that the test loss tracks the training loss.',
    'α = β = 0.25 initially (open in the paper): a stable starting point well away from the optimum ' +
      '(α ≈ 0.6, β ≈ 0.45 for this loss), so the loss falls about fivefold and Fig. 6 shows both parameters moving; ' +
      'the paper names no initial values.',
    'Adam lr 0.01, 200 epochs (open in the paper): larger rates let α overshoot into the unstable region ' +
      '(α λ_max > 2(1 + β)), where the loss explodes.',
  ],
  matrix: { kind: 'generator', name: 'poisson1d', n: 16 },
  method: {
    kind: 'heavyball',
    iterations: 12,
    rhs: 'zero',
    train: { count: 64, distribution: 'normal' },
    test: { count: 64, distribution: 'normal' },
  },
  parameters: { alpha: { kind: 'scalar', init: 0.25 }, beta: { kind: 'scalar', init: 0.25 } },
  loss: { kind: 'energy', reduction: 'sum' },
  optimizer: { ...adam, betas: [0.9, 0.999] },
  epochs: 200,
  runs: 1,
  seed: 0,
  device: 'cpu',
  dtype: 'float64',
};

export const pcgPreset: ProblemSpec = {
  version: SPEC_VERSION,
  name: 'pcg',
  description:
    'A learned CG preconditioner (§4.3, Fig. 7–8): M = L Lᵀ with L lower bidiagonal, trained through N_it = 4 ' +
    'unrolled PCG iterations on the 2-D Poisson matrix (8×8 grid, n = 64) with the weighted residual loss (28), γ = 0.6.',
  notes: [
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
  ],
  matrix: { kind: 'generator', name: 'poisson2d', nx: 8, ny: 8 },
  method: { kind: 'pcg', iterations: 4, rhs: 'linear', historyIterations: 20 },
  parameters: { L: { kind: 'sparse', pattern: 'lower bidiagonal', init: { diagonal: 1, offDiagonal: 0 } } },
  loss: { kind: 'weighted-residual', gamma: 0.6 },
  optimizer: { ...adam, betas: [0.9, 0.999] },
  epochs: 150,
  runs: 1,
  seed: 0,
  device: 'cpu',
  dtype: 'float64',
};

export const gcnPreset: ProblemSpec = {
  version: SPEC_VERSION,
  name: 'gcn',
  description:
    'A two-layer GCN on CiteSeer (§4.4, Fig. 9–10): Â = D̃^-½ (A + I) D̃^-½, hidden 16, ReLU, dropout 0.5, ' +
    'Adam lr 0.01 with weight decay 5e-4 on the first layer, 200 epochs, cross-entropy on the 120 training nodes, ' +
    'sparse features through SpDMM; mean and ±2σ over 100 runs.',
  notes: [
    'From the paper: CiteSeer, hidden 16, ReLU, dropout 0.5, Adam lr 0.01, L2 5e-4, 200 epochs, 100 runs.',
    'As in Kipf & Welling’s code, which the paper follows: weight decay on the first layer only, Glorot-uniform ' +
      'weights without bias, features row-normalised, dropout also on the sparse input features, and the 124 ' +
      'self-loops of the raw graph kept (those nodes get 2 on the diagonal of A + I).',
    'The output layer feeds a log-softmax cross-entropy (the paper’s “sigmoid” is Kipf’s softmax).',
    'float32, as PyTorch trains it. Accuracies are measured each epoch without dropout; the reported test accuracy ' +
      'is the last epoch’s.',
  ],
  matrix: { kind: 'graph', format: 'folder', path: 'citeseer', selfLoops: 'kipf' },
  method: { kind: 'gcn', hidden: 16, activation: 'relu', dropout: 0.5, inputDropout: 0.5, normalizeFeatures: 'row', bias: false },
  parameters: { W1: { kind: 'dense', init: 'glorot' }, W2: { kind: 'dense', init: 'glorot' } },
  loss: { kind: 'cross-entropy' },
  optimizer: { ...adam, betas: [0.9, 0.999], weightDecay: { W1: 5e-4 } },
  epochs: 200,
  runs: 100,
  seed: 0,
  device: 'cpu',
  dtype: 'float32',
};

export const PRESETS: Readonly<Record<MethodKind, ProblemSpec>> = {
  jacobi: jacobiPreset,
  heavyball: heavyballPreset,
  pcg: pcgPreset,
  gcn: gcnPreset,
};

export function isPresetName(name: string): name is MethodKind {
  return Object.hasOwn(PRESETS, name);
}

/** A deep copy of a preset (safe to modify). */
export function preset(name: MethodKind): ProblemSpec {
  return structuredClone(PRESETS[name]);
}
