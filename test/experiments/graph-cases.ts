// The v1 specs the graph runner is checked against: the four presets and
// variations that reach every branch of the v1 → v2 conversion (right-hand
// sides, resampling, sparse patterns, losses, optimizers, biases, dtypes).
import { preset } from '../../experiments/spec/presets.js';
import type { MethodKind, ProblemSpec } from '../../experiments/spec/types.js';

export interface Case {
  name: string;
  spec: ProblemSpec;
}

function variant(kind: MethodKind, name: string, edit: (s: ProblemSpec & Record<string, any>) => void): Case {
  const spec = preset(kind) as ProblemSpec & Record<string, any>;
  spec.name = name;
  edit(spec);
  return { name, spec };
}

export function presetCases(): Case[] {
  return [
    { name: 'jacobi', spec: preset('jacobi') },
    { name: 'heavyball', spec: preset('heavyball') },
    { name: 'pcg', spec: preset('pcg') },
    // GCN: 2 of the 100 runs (the comparison is per epoch and per run; 100 runs take minutes).
    variant('gcn', 'gcn', (s) => void (s.runs = 2)),
  ];
}

export function variationCases(): Case[] {
  return [
    variant('jacobi', 'jacobi-sweeps2-rhs-random-resample-residual', (s) => {
      Object.assign(s.method, { sweeps: 2, rhs: 'random', resample: true });
      s.loss = { kind: 'residual', reduction: 'mean' };
      s.epochs = 30;
    }),
    variant('jacobi', 'jacobi-poisson2d-linear-uniform', (s) => {
      s.matrix = { kind: 'generator', name: 'poisson2d', nx: 4, ny: 3 };
      Object.assign(s.method, { rhs: 'linear', vectors: { count: 8, distribution: 'uniform' } });
      s.loss = { kind: 'energy', reduction: 'mean' };
      s.epochs = 20;
      s.runs = 2;
    }),
    variant('jacobi', 'jacobi-float32-sgd', (s) => {
      s.dtype = 'float32';
      s.optimizer = { ...s.optimizer, kind: 'sgd', lr: 0.0005, momentum: 0.5 };
      s.epochs = 20;
    }),
    variant('heavyball', 'heavyball-rhs-ones-residual-test-vectors', (s) => {
      Object.assign(s.method, { rhs: 'ones', iterations: 6, train: { count: 16, distribution: 'uniform' }, test: { count: 8, distribution: 'normal' } });
      s.loss = { kind: 'residual', reduction: 'sum' };
      s.optimizer = { ...s.optimizer, lr: 0.003 };
      s.epochs = 30;
      s.runs = 2;
    }),
    variant('heavyball', 'heavyball-rhs-random-adamw', (s) => {
      Object.assign(s.method, { rhs: 'random' });
      s.optimizer = { ...s.optimizer, kind: 'adamw', weightDecay: { alpha: 0.01 } };
      s.epochs = 20;
    }),
    variant('pcg', 'pcg-rhs-random-lower-triangle', (s) => {
      Object.assign(s.method, { rhs: 'random', historyIterations: 12 });
      s.parameters = { L: { kind: 'sparse', pattern: 'lower triangle of A', init: { diagonal: 2, offDiagonal: 0 } } };
      s.epochs = 20;
    }),
    variant('pcg', 'pcg-tridiagonal-ones', (s) => {
      s.matrix = { kind: 'generator', name: 'poisson1d', n: 20 };
      Object.assign(s.method, { rhs: 'ones', iterations: 3 });
      s.parameters = { L: { kind: 'sparse', pattern: 'tridiagonal', init: { diagonal: 1, offDiagonal: 0.05 } } };
      s.loss = { kind: 'weighted-residual', gamma: 0.9 };
      s.epochs = 20;
    }),
    variant('gcn', 'gcn-bias-no-normalisation-no-input-dropout', (s) => {
      Object.assign(s.method, { bias: true, normalizeFeatures: 'none', inputDropout: 0, hidden: 8 });
      s.parameters = { W1: { kind: 'dense', init: 'glorot' }, b1: { kind: 'dense', init: 'zeros' }, W2: { kind: 'dense', init: 'glorot' }, b2: { kind: 'dense', init: 'zeros' } };
      s.epochs = 20;
      s.runs = 1;
      s.dtype = 'float64';
    }),
  ];
}
