// Problem specs: presets are valid and complete, defaults come from the method's
// preset, and every bad field is reported by its path in one message format
// (the zod schemas of experiments/spec/schema.ts, worded by experiments/schema/issues.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSpec } from '../../experiments/compile/compile.js';
import { PRESETS, preset } from '../../experiments/spec/presets.js';
import { SPEC_VERSION } from '../../experiments/spec/types.js';
import { SpecError, validateSpec } from '../../experiments/spec/validate.js';
import { deviceMode } from '../../native/lib/index.js';

/** Asserts that validating `spec` throws exactly `message`. */
function rejects(spec: unknown, message: string): void {
  assert.throws(
    () => validateSpec(spec),
    (e: unknown) => {
      assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

const base = (method: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ version: 1, method: { kind: method }, ...extra });

describe('presets', () => {
  it('are valid, complete and unchanged by validation (idempotent)', () => {
    for (const [name, p] of Object.entries(PRESETS)) {
      const checked = validateSpec(structuredClone(p));
      assert.deepEqual(checked, p, name);
      assert.deepEqual(validateSpec(structuredClone(checked)), checked, name);
      assert.ok(p.notes.length >= 2, `${name} explains its chosen values`);
    }
  });

  it("carry the paper's settings", () => {
    const j = PRESETS.jacobi;
    assert.deepEqual(j.matrix, { kind: 'generator', name: 'poisson1d', n: 16 });
    assert.equal(j.method.kind === 'jacobi' && j.method.rhs, 'zero');
    assert.deepEqual(j.parameters.omega, { kind: 'vector', init: 1 });
    assert.equal(j.loss.kind, 'energy');
    assert.equal(j.optimizer.kind, 'adam');

    const h = PRESETS.heavyball;
    assert.equal(h.method.kind === 'heavyball' && h.method.iterations, 12); // ¾ n
    assert.deepEqual(Object.keys(h.parameters), ['alpha', 'beta']);

    const p = PRESETS.pcg;
    assert.deepEqual(p.matrix, { kind: 'generator', name: 'poisson2d', nx: 8, ny: 8 });
    assert.equal(p.method.kind === 'pcg' && p.method.iterations, 4);
    assert.deepEqual(p.loss, { kind: 'weighted-residual', gamma: 0.6 });
    assert.equal(p.parameters.L!.kind === 'sparse' && p.parameters.L!.pattern, 'lower bidiagonal');

    const g = PRESETS.gcn;
    assert.ok(g.method.kind === 'gcn');
    assert.equal(g.method.hidden, 16);
    assert.equal(g.method.dropout, 0.5);
    assert.equal(g.optimizer.lr, 0.01);
    assert.deepEqual(g.optimizer.weightDecay, { W1: 5e-4 });
    assert.equal(g.epochs, 200);
    assert.equal(g.runs, 100);
  });

  it('preset() returns an independent copy', () => {
    const p = preset('jacobi');
    p.epochs = 1;
    assert.equal(PRESETS.jacobi.epochs, 200);
  });
});

describe('defaults', () => {
  it("fill every missing field from the method's preset", () => {
    const s = validateSpec(base('pcg', { epochs: 7, optimizer: { lr: 0.5 } }));
    assert.equal(s.version, SPEC_VERSION);
    assert.equal(s.epochs, 7);
    assert.equal(s.optimizer.lr, 0.5);
    assert.equal(s.optimizer.kind, 'adam');
    assert.deepEqual(s.matrix, PRESETS.pcg.matrix);
    assert.deepEqual(s.parameters, PRESETS.pcg.parameters);
    assert.deepEqual(s.loss, PRESETS.pcg.loss);
  });

  it('merge partial nested objects field by field', () => {
    const s = validateSpec(base('jacobi', { method: { kind: 'jacobi', vectors: { count: 5 } }, parameters: { omega: { init: 0.5 } } }));
    assert.ok(s.method.kind === 'jacobi');
    assert.deepEqual(s.method.vectors, { count: 5, distribution: 'normal' });
    assert.deepEqual(s.parameters.omega, { kind: 'vector', init: 0.5 });
  });

  it('accept the other matrix sources and patterns', () => {
    const f = validateSpec(base('jacobi', { matrix: { kind: 'file', path: 'm.mtx' } }));
    assert.deepEqual(f.matrix, { kind: 'file', path: 'm.mtx' });
    const p = validateSpec(base('pcg', { parameters: { L: { pattern: 'lower triangle of A', init: { offDiagonal: 0.1 } } } }));
    assert.deepEqual(p.parameters.L, { kind: 'sparse', pattern: 'lower triangle of A', init: { diagonal: 1, offDiagonal: 0.1 } });
    const g = validateSpec(base('gcn', { matrix: { kind: 'graph', format: 'planetoid', name: 'citeseer', url: 'http://127.0.0.1:1/raw' } }));
    assert.deepEqual(g.matrix, { kind: 'graph', format: 'planetoid', name: 'citeseer', url: 'http://127.0.0.1:1/raw', selfLoops: 'kipf' });
    const b = validateSpec(base('gcn', { method: { kind: 'gcn', bias: true } }));
    assert.deepEqual(Object.keys(b.parameters), ['W1', 'b1', 'W2', 'b2']);
  });
});

describe('validation errors name the field', () => {
  it('top level', () => {
    rejects(null, 'spec: expected an object but received null');
    rejects([], 'spec: expected an object but received an array of length 0');
    rejects({ method: { kind: 'jacobi' } }, 'spec.version: expected 1 but received nothing');
    rejects(base('jacobi', { version: 2 }), 'spec.version: expected 1 but received 2');
    rejects({ version: 1 }, 'spec.method: expected an object but received nothing');
    rejects({ version: 1, method: { kind: 'newton' } }, 'spec.method.kind: expected one of "jacobi", "heavyball", "pcg", "gcn" but received "newton"');
    rejects(base('jacobi', { epoch: 3 }), 'spec.epoch: unknown field (expected one of version, name, description, notes, matrix, method, parameters, loss, optimizer, epochs, runs, seed, device, dtype)');
    rejects(base('jacobi', { epochs: 0 }), 'spec.epochs: expected an integer in [1, 1000000] but received 0');
    rejects(base('jacobi', { epochs: 2.5 }), 'spec.epochs: expected an integer in [1, 1000000] but received 2.5');
    rejects(base('jacobi', { runs: '3' }), 'spec.runs: expected an integer in [1, 100000] but received "3"');
    rejects(base('jacobi', { seed: -1 }), 'spec.seed: expected an integer in [0, 4294967295] but received -1');
    rejects(base('jacobi', { device: 'gpu' }), 'spec.device: expected one of "cpu", "cuda" but received "gpu"');
    rejects(base('jacobi', { dtype: 'float16' }), 'spec.dtype: expected one of "float64", "float32" but received "float16"');
    rejects(base('jacobi', { notes: ['a', 3] }), 'spec.notes[1]: expected a string but received 3');
  });

  it('optimizer', () => {
    rejects(base('jacobi', { optimizer: { lr: -1 } }), 'spec.optimizer.lr: expected a number > 0 but received -1');
    rejects(base('jacobi', { optimizer: { lr: 0 } }), 'spec.optimizer.lr: expected a number > 0 but received 0');
    rejects(base('jacobi', { optimizer: { lr: Number.NaN } }), 'spec.optimizer.lr: expected a number > 0 but received NaN');
    rejects(base('jacobi', { optimizer: { kind: 'lbfgs' } }), 'spec.optimizer.kind: expected one of "adam", "adamw", "sgd" but received "lbfgs"');
    rejects(base('jacobi', { optimizer: { betas: [0.9] } }), 'spec.optimizer.betas: expected an array of 2 items, each a number in [0, 1) but received an array of length 1');
    rejects(base('jacobi', { optimizer: { momentum: 0.9 } }), "spec.optimizer.momentum: only applies to kind 'sgd'");
    rejects(base('jacobi', { optimizer: { kind: 'sgd', momentum: 1 } }), 'spec.optimizer.momentum: expected a number in [0, 1) but received 1');
    rejects(base('jacobi', { optimizer: { kind: 'sgd', eps: 1e-6 } }), "spec.optimizer.eps: only applies to kinds 'adam' and 'adamw'");
    rejects(base('jacobi', { optimizer: { weightDecay: -0.1 } }), 'spec.optimizer.weightDecay: expected a number ≥ 0 but received -0.1');
    rejects(base('gcn', { optimizer: { weightDecay: { W3: 1 } } }), 'spec.optimizer.weightDecay.W3: not a learnable parameter of this method (expected one of W1, W2)');
    rejects(base('gcn', { optimizer: { weightDecay: { W1: -1 } } }), 'spec.optimizer.weightDecay.W1: expected a number ≥ 0 but received -1');
    rejects(base('jacobi', { optimizer: { lr: 0.1, rate: 2 } }), 'spec.optimizer.rate: unknown field (expected one of kind, lr, betas, eps, momentum, weightDecay)');
  });

  it('matrix', () => {
    rejects(base('jacobi', { matrix: { kind: 'generator', name: 'poisson1d', n: 0 } }), 'spec.matrix.n: expected an integer in [1, 50000000] but received 0');
    rejects(base('jacobi', { matrix: { kind: 'generator', name: 'laplace' } }), 'spec.matrix.name: expected one of "poisson1d", "poisson2d" but received "laplace"');
    rejects(base('pcg', { matrix: { kind: 'generator', name: 'poisson2d', nx: 8 } }), 'spec.matrix.ny: expected an integer in [1, 100000] but received nothing');
    rejects(base('jacobi', { matrix: { kind: 'generator', name: 'poisson1d', n: 4, nx: 2 } }), 'spec.matrix.nx: unknown field (expected one of kind, name, n)');
    rejects(base('jacobi', { matrix: { kind: 'file', path: '' } }), 'spec.matrix.path: expected a non-empty string but received ""');
    rejects(base('jacobi', { matrix: { kind: 'graph', format: 'folder', path: 'x' } }), 'spec.matrix.kind: the jacobi method needs a square matrix, not a graph (a graph goes with gcn)');
    rejects(base('gcn', { matrix: { kind: 'file', path: 'a.mtx' } }), 'spec.matrix.kind: the gcn method needs a graph but received "file"');
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'folder' } }), 'spec.matrix.path: expected a non-empty string but received nothing');
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'folder', path: 'c', url: 'http://x' } }), "spec.matrix.url: only applies to format 'planetoid'");
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'planetoid', name: 'cite seer', path: 'p' } }), 'spec.matrix.name: expected a dataset name of letters, digits, _ and - but received "cite seer"');
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'planetoid', name: 'citeseer' } }), 'spec.matrix: a planetoid graph needs a path to the raw files or a url to fetch them from');
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'planetoid', name: 'citeseer', url: 'ftp://x' } }), 'spec.matrix.url: expected an http:// or https:// URL but received "ftp://x"');
    rejects(base('gcn', { matrix: { kind: 'graph', format: 'folder', path: 'c', selfLoops: 'yes' } }), 'spec.matrix.selfLoops: expected one of "kipf", "none" but received "yes"');
  });

  it('method, parameters and loss', () => {
    rejects(base('heavyball', { method: { kind: 'heavyball', iterations: 0 } }), 'spec.method.iterations: expected an integer in [1, 100000] but received 0');
    rejects(base('jacobi', { method: { kind: 'jacobi', vectors: { count: 4, distribution: 'cauchy' } } }), 'spec.method.vectors.distribution: expected one of "normal", "uniform" but received "cauchy"');
    rejects(base('pcg', { method: { kind: 'pcg', rhs: 'zero' } }), "spec.method.rhs: PCG's relative residual ‖r‖/‖b‖ needs b ≠ 0 (use 'ones', 'random' or 'linear')");
    rejects(base('gcn', { method: { kind: 'gcn', dropout: 1 } }), 'spec.method.dropout: expected a number in [0, 1) but received 1');
    rejects(base('gcn', { method: { kind: 'gcn', activation: 'tanh' } }), 'spec.method.activation: expected "relu" but received "tanh"');
    rejects(base('heavyball', { parameters: { gamma: { init: 1 } } }), 'spec.parameters.gamma: unknown field (expected one of alpha, beta)');
    rejects(base('heavyball', { parameters: { alpha: { init: 'big' } } }), 'spec.parameters.alpha.init: expected a number but received "big"');
    rejects(base('heavyball', { parameters: { alpha: { kind: 'vector' } } }), 'spec.parameters.alpha.kind: expected "scalar" but received "vector"');
    rejects(base('pcg', { parameters: { L: { pattern: 'upper triangular' } } }), 'spec.parameters.L.pattern: expected one of "diagonal", "lower bidiagonal", "upper bidiagonal", "tridiagonal", "lower triangle of A" but received "upper triangular"');
    rejects(base('pcg', { parameters: { L: { init: { diagonal: Infinity } } } }), 'spec.parameters.L.init.diagonal: expected a number but received Infinity');
    rejects(base('gcn', { parameters: { W1: { init: 'he' } } }), 'spec.parameters.W1.init: expected one of "glorot", "zeros" but received "he"');
    rejects(base('jacobi', { loss: { kind: 'cross-entropy' } }), 'spec.loss.kind: expected one of "energy", "residual" but received "cross-entropy"');
    rejects(base('pcg', { loss: { kind: 'weighted-residual', gamma: 0 } }), 'spec.loss.gamma: expected a number in (0, 1] but received 0');
    rejects(base('pcg', { loss: { kind: 'weighted-residual' } }), 'spec.loss.gamma: expected a number in (0, 1] but received nothing');
    rejects(base('jacobi', { loss: { kind: 'energy', reduction: 'max' } }), 'spec.loss.reduction: expected one of "sum", "mean" but received "max"');
  });
});

describe('several errors at once', () => {
  it('are all reported, each by its path, the first in SpecError.field', () => {
    assert.throws(
      () => validateSpec(base('jacobi', { epochs: 0, optimizer: { lr: -1, eps: 'tiny' }, method: { kind: 'jacobi', vectors: { count: 2, shape: 3 } } })),
      (e: unknown) => {
        assert.ok(e instanceof SpecError);
        assert.equal(e.field, e.issues[0]!.field);
        assert.deepEqual(e.issues.map((i) => i.field).sort(), ['spec.epochs', 'spec.method.vectors.shape', 'spec.optimizer.eps', 'spec.optimizer.lr']);
        assert.equal(e.issues.find((i) => i.field === 'spec.optimizer.eps')!.message, 'expected a number > 0 but received "tiny"');
        assert.equal(e.issues.find((i) => i.field === 'spec.method.vectors.shape')!.message, 'unknown field (expected one of count, distribution)');
        assert.equal(e.message, e.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
        return true;
      },
    );
  });

  it("rules between fields: a gcn's bias parameters need bias, and a graph needs gcn", () => {
    rejects(base('gcn', { parameters: { b1: { init: 'zeros' } } }), 'spec.parameters.b1: unknown field (expected one of W1, W2)');
    const withBias = validateSpec(base('gcn', { method: { kind: 'gcn', bias: true }, parameters: { b1: { init: 'glorot' } } }));
    assert.deepEqual(withBias.parameters.b1, { kind: 'dense', init: 'glorot' });
    assert.deepEqual(withBias.parameters.b2, { kind: 'dense', init: 'zeros' });
    rejects(base('pcg', { matrix: { kind: 'generator', name: 'poisson2d', nx: 10_000, ny: 10_000 } }), 'spec.matrix: a 10000×10000 grid is too large (at most 50,000,000 unknowns)');
  });

  it('defaults are copies: changing a validated spec leaves the presets alone', () => {
    const a = validateSpec(base('gcn'));
    (a.optimizer.weightDecay as Record<string, number>).W1 = 1;
    a.notes.push('changed');
    (a.matrix as { path: string }).path = 'elsewhere';
    assert.deepEqual(validateSpec(base('gcn')).optimizer.weightDecay, { W1: 5e-4 });
    assert.deepEqual(PRESETS.gcn.optimizer.weightDecay, { W1: 5e-4 });
    assert.equal(PRESETS.gcn.notes.includes('changed'), false);
    assert.equal((PRESETS.gcn.matrix as { path: string }).path, 'citeseer');
  });
});

describe('compiling', () => {
  it("gives a clear error for device 'cuda' when there is no CUDA device", async (t) => {
    const { mode, reason } = deviceMode();
    if (mode !== 'none') {
      t.skip(`this process has a device (${mode}), so the no-device error cannot occur`);
      return;
    }
    await assert.rejects(compileSpec(base('jacobi', { device: 'cuda' })), (e: unknown) => {
      assert.ok(e instanceof SpecError);
      assert.equal(e.message, `spec.device: 'cuda' is not available: ${reason} (use 'cpu')`);
      return true;
    });
  });

  it('reports a missing matrix file by the field and the places it looked', async () => {
    await assert.rejects(compileSpec(base('jacobi', { matrix: { kind: 'file', path: 'no/such.mtx' } }), { dataDir: '/nonexistent' }), (e: unknown) => {
      assert.ok(e instanceof SpecError);
      assert.match(e.message, /^spec\.matrix\.path: file not found: no\/such\.mtx \(looked in .*\/nonexistent\/no\/such\.mtx/);
      return true;
    });
  });
});
