// Sweep files: validation that names the field, field paths as the inspector
// names them, grid and seeded-sample expansion × seeds, the budget, and the
// grouping the lab and the CLI show (checked against hand-worked numbers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { templates } from '../../experiments/graph/index.js';
import { expandSweep, gridValues, parseSweep, runCount, SweepError } from '../../experiments/sweep/expand.js';
import { bestGroup, groupRows, meanStd, rowsToCsv } from '../../experiments/sweep/groups.js';
import type { RunRow } from '../../experiments/sweep/job.js';

describe('sweep files', () => {
  it('the smallest sweep: a template × 4 seeds, each run one seed of the template', () => {
    const s = expandSweep({ version: 1, base: 'jacobi', seeds: [0, 1, 2, 3] });
    const jacobi = templates().find((t) => t.name === 'jacobi')!.graph;
    assert.equal(s.runs.length, 4);
    assert.deepEqual(s.runs.map((r) => r.seed), [0, 1, 2, 3]);
    for (const r of s.runs) {
      assert.equal(r.graph.training.seed, r.seed);
      assert.equal(r.graph.training.runs, 1);
      assert.deepEqual(r.graph.nodes, jacobi.nodes);
      assert.deepEqual(r.axes, {});
    }
  });

  it('a grid over a training setting and a node field: every combination × seeds, first axis slowest', () => {
    const s = expandSweep({ version: 1, base: 'jacobi', seeds: [5, 6], axes: { 'optimizer.lr': [0.1, 0.2], 'A.n': [8, 16, 32] }, epochs: 7 });
    assert.deepEqual(s.axes, ['training.optimizer.lr', 'A.n'], 'optimizer.lr is read as training.optimizer.lr');
    assert.equal(s.runs.length, 2 * 3 * 2);
    assert.equal(s.configs, 6);
    const r = s.runs[7]!; // config 3 = (lr 0.2, n 8), seed 6
    assert.deepEqual(r.axes, { 'training.optimizer.lr': 0.2, 'A.n': 8 });
    assert.equal(r.config, 3);
    assert.equal(r.seed, 6);
    assert.equal(r.graph.training.optimizer.lr, 0.2);
    assert.equal(r.graph.nodes.find((n) => n.id === 'A')!.fields.n, 8);
    assert.equal(r.graph.training.epochs, 7);
    // The base is not modified by the runs.
    assert.equal(s.base.training.optimizer.lr, 0.01);
  });

  it('ranges: linear and log grids (hand-worked), integers deduplicated', () => {
    assert.deepEqual(gridValues({ from: 0, to: 1, steps: 5, scale: 'linear', integer: false }), [0, 0.25, 0.5, 0.75, 1]);
    const log = gridValues({ from: 0.001, to: 10, steps: 5, scale: 'log', integer: false }) as number[];
    [0.001, 0.01, 0.1, 1, 10].forEach((v, i) => assert.ok(Math.abs(log[i]! - v) <= 1e-12 * v, `${log[i]} vs ${v}`));
    assert.deepEqual(gridValues({ from: 1, to: 3, steps: 5, scale: 'linear', integer: true }), [1, 2, 3]);
  });

  it('a seeded sample: count configurations × seeds, inside the ranges, the same for the same seed', () => {
    const file = { version: 1, base: 'heavyball', seeds: [0, 1], axes: { 'training.optimizer.lr': { from: 1e-4, to: 1e-1, scale: 'log' }, 'heavyball.iterations': [2, 4, 8] }, sample: { count: 6, seed: 3 } };
    const a = expandSweep(file);
    const b = expandSweep(file);
    const c = expandSweep({ ...file, sample: { count: 6, seed: 4 } });
    assert.equal(a.runs.length, 12);
    assert.equal(runCount(parseSweep(file)), 12);
    assert.deepEqual(a.runs.map((r) => r.axes), b.runs.map((r) => r.axes));
    assert.notDeepEqual(a.runs.map((r) => r.axes), c.runs.map((r) => r.axes));
    for (const r of a.runs) {
      const lr = r.axes['training.optimizer.lr'] as number;
      assert.ok(lr >= 1e-4 && lr <= 1e-1, `lr ${lr}`);
      assert.ok([2, 4, 8].includes(r.axes['heavyball.iterations'] as number));
      assert.equal(r.graph.nodes.find((n) => n.id === 'heavyball')!.fields.iterations, r.axes['heavyball.iterations']);
    }
  });

  it('errors name the field: schema, unknown node, unknown field, budget', () => {
    assert.throws(() => parseSweep({ version: 1, base: 'jacobi', seeds: [0, -1] }), (e: Error) => e instanceof SweepError && /sweep\.seeds\[1\]: expected an integer/.test(e.message));
    assert.throws(() => parseSweep({ version: 1, base: 'jacobi', axis: {} }), /sweep\.axis: unknown field/);
    assert.throws(() => expandSweep({ version: 1, base: 'jacobi', axes: { 'B.n': [1] } }), /axes\["B\.n"\]: no node "B" in graph "jacobi" \(nodes: A, X, omega/);
    assert.throws(() => expandSweep({ version: 1, base: 'jacobi', axes: { 'A.size': [1] } }), /axes\["A\.size"\]: node "A" \(poisson1d\) has no field "size" \(its fields: n/);
    assert.throws(() => expandSweep({ version: 1, base: 'no-such-template', seeds: [0] }), /base: "no-such-template" is neither a template \(jacobi, heavyball/);
    assert.throws(
      () => expandSweep({ version: 1, base: 'jacobi', seeds: [0, 1, 2], axes: { 'A.n': { from: 4, to: 40, steps: 10, integer: true } }, budget: 20 }),
      /budget: the sweep has 10 \(A\.n\) × 3 seeds = 30 runs, more than its budget of 20/,
    );
  });
});

describe('sweep groups', () => {
  const row = (index: number, config: number, seed: number, finalLoss: number, curve: number[], error?: string): RunRow => ({
    index,
    config,
    axes: { 'training.optimizer.lr': config ? 0.1 : 0.01 },
    seed,
    summary: error ? {} : { finalLoss },
    curves: error ? {} : { 'loss.train': curve },
    worker: 'w',
    seconds: 1,
    attempts: 1,
    ...(error ? { error } : {}),
  });

  it('mean ± sample std per configuration, per-epoch bands, the best configuration, failed runs counted', () => {
    // config 0: final losses 1, 3 → mean 2, std √2; config 1: 4, 6, failed → mean 5, std √2
    const rows = [row(0, 0, 0, 1, [4, 2]), row(1, 0, 1, 3, [6, 2]), row(2, 1, 0, 4, [1, 1]), row(3, 1, 1, 6, [1, 3]), row(4, 1, 2, 0, [], 'boom')];
    const g = groupRows(rows);
    assert.equal(g.length, 2);
    assert.deepEqual(g[0]!.metrics.finalLoss, { mean: 2, std: Math.SQRT2, n: 2 });
    assert.deepEqual(g[1]!.metrics.finalLoss, { mean: 5, std: Math.SQRT2, n: 2 });
    assert.equal(g[1]!.failed, 1);
    assert.equal(g[1]!.runs, 3);
    assert.deepEqual(g[0]!.curves['loss.train'], { mean: [5, 2], std: [Math.SQRT2, 0] });
    assert.equal(bestGroup(g)!.config, 0);
    assert.deepEqual(meanStd([7]), { mean: 7, std: 0, n: 1 });
    const csv = rowsToCsv(rows, ['training.optimizer.lr']).trim().split('\n');
    assert.equal(csv[0], 'index,training.optimizer.lr,seed,worker,seconds,attempts,finalLoss,error');
    assert.equal(csv[5], '4,0.1,2,w,1,1,,boom');
  });
});
