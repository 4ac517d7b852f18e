// The solver templates (the paper's applications, v1 presets converted to
// graphs) behave as the paper describes (fixed seeds), their numbers agree with
// dense reference computations written here, and the runner is deterministic,
// emits its events in order and can be cancelled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mixSeed, runSeed, templates } from '../../experiments/graph/index.js';
import { STREAM } from '../../experiments/graph/templates/build.js';
import { runExperiment } from '../../experiments/runner/run.js';
import type { ExperimentEvent } from '../../experiments/runner/types.js';
import { preset } from '../../experiments/spec/presets.js';
import type { HeavyballMethod, JacobiMethod } from '../../experiments/spec/types.js';
import { Generator } from '../../native/lib/index.js';
import { assertClose, denseMatmul } from '../helpers.js';

/** A paper template's graph (a fresh copy). */
const template = (name: string) => templates().find((t) => t.name === name)!.graph;

// ---------------------------------------------------------------------------
// Dense references (plain arrays, independent of the engine)

function poisson1dDense(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)));
}

function poisson2dDense(m: number): number[][] {
  const n = m * m;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      const k = y * m + x;
      A[k]![k] = 4;
      if (x > 0) A[k]![k - 1] = -1;
      if (x < m - 1) A[k]![k + 1] = -1;
      if (y > 0) A[k]![k - m] = -1;
      if (y < m - 1) A[k]![k + m] = -1;
    }
  }
  return A;
}

const matvec = (A: number[][], x: number[]): number[] => A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));
const dotv = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const nrm = (a: number[]): number => Math.sqrt(dotv(a, a));

/** Columns of the K starting vectors a run draws: the n×K block filled row by row from the run's stream. */
function startingVectors(seed: number, stream: number, set: { count: number; distribution: 'normal' | 'uniform' }, n: number): number[][] {
  const g = new Generator(mixSeed(seed, stream));
  const X = Array.from({ length: n * set.count }, () => (set.distribution === 'normal' ? g.normal() : g.uniform()));
  return Array.from({ length: set.count }, (_, k) => Array.from({ length: n }, (_, i) => X[i * set.count + k]!));
}

/** Relative residuals of (P)CG from x = 0, M given densely (null: CG). */
function denseCg(A: number[][], b: number[], M: number[][] | null, iterations: number): number[] {
  let r = [...b];
  let z = M ? matvec(M, r) : [...r];
  let p = [...z];
  let rz = dotv(r, z);
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const Ap = matvec(A, p);
    const alpha = rz / dotv(p, Ap);
    r = r.map((v, j) => v - alpha * Ap[j]!);
    out.push(nrm(r) / nrm(b));
    z = M ? matvec(M, r) : [...r];
    const next = dotv(r, z);
    p = z.map((v, j) => v + (next / rz) * p[j]!);
    rz = next;
  }
  return out;
}

// ---------------------------------------------------------------------------

describe('jacobi template (§4.1)', () => {
  it('learns larger weights at the two end nodes than in the middle, and the loss falls', async () => {
    const spec = preset('jacobi');
    const r = await runExperiment(template('jacobi'));
    const w = r.summary.omega as number[];
    const weights = r.series.parameters.omega as number[][];
    assert.equal(w.length, 16);
    const middle = w.slice(4, 12);
    assert.ok(Math.min(w[0]!, w[15]!) > Math.max(...middle), `ends ${w[0]}, ${w[15]} vs middle ${middle.join(', ')}`);
    assert.ok(r.summary.finalLoss < 0.5 * r.summary.initialLoss, `loss ${r.summary.initialLoss} → ${r.summary.finalLoss}`);
    assert.equal(r.series.losses.train!.length, spec.epochs);
    assert.deepEqual(weights[0], new Array(16).fill(1)); // Ω starts at 1
    assert.deepEqual(r.views[0], { kind: 'bars', title: 'Learned Jacobi weights by node (Fig. 4)', xLabel: 'node', yLabel: 'ω', logY: false, series: [{ name: 'learned ω', values: w }] });

    // The initial loss (21) at Ω = 1 and its gradient's sign, densely: one sweep of
    // y = (I − Ω D⁻¹ A) x, ℓ = Σ yᵀ A y, dℓ/dω_i = −2 Σ_k (A x_k)_i / d_i · (A y_k)_i.
    const n = 16;
    const A = poisson1dDense(n);
    const xs = startingVectors(runSeed(spec.seed, 0), STREAM.vectors, (spec.method as JacobiMethod).vectors, n);
    let loss = 0;
    const grad = new Array<number>(n).fill(0);
    for (const x of xs) {
      const Ax = matvec(A, x);
      const y = x.map((v, i) => v - Ax[i]! / 2);
      const Ay = matvec(A, y);
      loss += dotv(y, Ay);
      for (let i = 0; i < n; i++) grad[i]! -= (2 * Ax[i]! * Ay[i]!) / 2;
    }
    assertClose([r.summary.initialLoss], [loss], { rtol: 1e-12 });
    // Adam's first step moves each weight by lr against the sign of its gradient.
    assertClose(weights[1]!, grad.map((g) => 1 - spec.optimizer.lr * Math.sign(g)), { rtol: 1e-6 });
  });
});

describe('heavyball template (§4.2)', () => {
  it('lowers the loss on held-out test vectors', async () => {
    const spec = preset('heavyball');
    const r = await runExperiment(template('heavyball'));
    const test = r.series.losses.test!;
    assert.ok(test[test.length - 1]! < 0.5 * test[0]!, `test loss ${test[0]} → ${test[test.length - 1]}`);
    assert.ok(r.summary.finalLoss < r.summary.initialLoss);
    assert.equal(r.series.parameters.alpha![0], 0.25);
    assert.equal(r.series.parameters.beta![0], 0.25);
    const [alpha, beta] = [r.summary.alpha as number, r.summary.beta as number];
    assert.ok(alpha > 0.25 && beta > 0.25, `α ${alpha}, β ${beta}`);
    // The α, β view is the parameters' history.
    const view = r.views[0]!;
    assert.ok(view.kind === 'lines');
    assert.deepEqual(view.series.map((x) => x.values), [r.series.parameters.alpha, r.series.parameters.beta]);

    // Initial training loss (25), densely: 12 heavyball steps from x with x⁻ = x, b = 0.
    const n = 16;
    const A = poisson1dDense(n);
    const method = spec.method as HeavyballMethod;
    let loss = 0;
    for (const x0 of startingVectors(runSeed(spec.seed, 0), STREAM.vectors, method.train, n)) {
      let prev = x0;
      let x = x0;
      for (let it = 0; it < method.iterations; it++) {
        const Ax = matvec(A, x);
        const next = x.map((v, i) => v - 0.25 * Ax[i]! + 0.25 * (v - prev[i]!));
        prev = x;
        x = next;
      }
      loss += dotv(x, matvec(A, x));
    }
    assertClose([r.summary.initialLoss], [loss], { rtol: 1e-12 });
  });
});

describe('pcg template (§4.3)', () => {
  it('learns a preconditioner whose residual after 4 iterations is below plain CG', async () => {
    const r = await runExperiment(template('pcg'));
    // The histories after the last step, from i = 0 (1) on; iterations 1-4 are the loss's.
    const cgHistory = r.series.figures.cgHistory!;
    const pcgHistory = r.series.figures.pcgHistory!;
    const cgResidual = cgHistory.slice(1, 5);
    const pcgResidual = pcgHistory.slice(1, 5);
    assert.ok(pcgResidual[3]! < cgResidual[3]!, `PCG ${pcgResidual[3]} vs CG ${cgResidual[3]}`);
    assert.ok(r.summary.finalLoss < r.summary.initialLoss);
    // The relative residual metric is the last of the loss's 4 residuals, each epoch.
    assert.equal(r.series.metrics.relativeResidual!.length, 150);

    // Against dense CG and dense PCG with the learned M = L Lᵀ.
    const A = poisson2dDense(8);
    const b = Array.from({ length: 64 }, (_, k) => -1 + (2 * ((k % 8) + 1)) / 9);
    assertClose(cgResidual, denseCg(A, b, null, 4), { rtol: 1e-10 });
    assertClose(r.series.metrics.relativeResidual!.slice(0, 1), denseCg(A, b, null, 4).slice(3), { rtol: 1e-10 });
    const Lv = r.runs[0]!.final.L as number[];
    // L lower bidiagonal in CSR order: row i holds (i, i−1) then (i, i).
    const L = Array.from({ length: 64 }, () => new Array<number>(64).fill(0));
    let q = 0;
    for (let i = 0; i < 64; i++) {
      if (i > 0) L[i]![i - 1] = Lv[q++]!;
      L[i]![i] = Lv[q++]!;
    }
    const Lt = L[0]!.map((_, j) => L.map((row) => row[j]!));
    assertClose(pcgResidual, denseCg(A, b, denseMatmul(L, Lt), 4), { rtol: 1e-8 });
    // The loss (28) at the start: plain CG's residuals weighted by γ^(4−i) / Σ γ^(4−j).
    const w = [0.6 ** 3, 0.6 ** 2, 0.6, 1];
    const s = w.reduce((a, x) => a + x, 0);
    assertClose([r.summary.initialLoss], [cgResidual.reduce((a, x, i) => a + (w[i]! / s) * x, 0)], { rtol: 1e-12 });
    assert.equal(cgHistory[0], 1);
    assert.equal(pcgHistory[0], 1);
    // The Fig. 8 view draws the two histories.
    const view = r.views[0]!;
    assert.ok(view.kind === 'lines' && view.logY);
    assert.deepEqual(view.series.map((x) => x.values), [cgHistory, pcgHistory]);
  });
});

describe('matrix sources', () => {
  it('a MatrixMarket file gives the same training as the generator it was written from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h6-mtx-'));
    try {
      const lines = ['%%MatrixMarket matrix coordinate real symmetric', '16 16 31'];
      for (let i = 1; i <= 16; i++) {
        lines.push(`${i} ${i} 2`);
        if (i < 16) lines.push(`${i + 1} ${i} -1`);
      }
      writeFileSync(join(dir, 'poisson16.mtx'), `${lines.join('\n')}\n`);
      const generatedGraph = template('jacobi');
      generatedGraph.training.epochs = 10;
      const fromFileGraph = structuredClone(generatedGraph);
      fromFileGraph.nodes[0] = { ...fromFileGraph.nodes[0]!, kind: 'matrix-file', fields: { path: 'poisson16.mtx' } };
      const fromFile = await runExperiment(fromFileGraph, { specDir: dir });
      const generated = await runExperiment(generatedGraph);
      assert.deepEqual(fromFile.series, generated.series);
      // The same through a v1 spec naming the file.
      const v1 = await runExperiment({ ...preset('jacobi'), epochs: 10, matrix: { kind: 'file', path: 'poisson16.mtx' } }, { specDir: dir });
      assert.deepEqual(v1.series, generated.series);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the runner', () => {
  it('reproduces the same numbers for the same spec and seed, other numbers for another seed', async () => {
    const spec = { ...preset('jacobi'), epochs: 15 };
    const a = await runExperiment(spec);
    const b = await runExperiment(structuredClone(spec));
    assert.deepEqual(a.series, b.series);
    assert.deepEqual(a.summary, b.summary);
    const c = await runExperiment({ ...spec, seed: 7 });
    assert.notDeepEqual(c.series.losses.train, a.series.losses.train);
  });

  it('emits start, run-start, epoch (numbered), run-end and end events in order', async () => {
    const events: ExperimentEvent[] = [];
    const spec = { ...preset('heavyball'), epochs: 3, runs: 2 };
    const r = await runExperiment(spec, { onEvent: (e) => events.push(e) });
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'run-start', 'epoch', 'epoch', 'epoch', 'run-end', 'run-start', 'epoch', 'epoch', 'epoch', 'run-end', 'end'],
    );
    const epochs = events.filter((e) => e.type === 'epoch');
    assert.deepEqual(epochs.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(epochs.map((e) => [e.run, e.epoch]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    for (const e of epochs) {
      assert.equal(e.totalSteps, 6);
      assert.deepEqual(Object.keys(e.losses), ['train', 'test']);
      assert.deepEqual(Object.keys(e.parameters), ['alpha', 'beta']);
    }
    const start = events[0]!;
    assert.ok(start.type === 'start' && start.totalSteps === 6 && start.method === 'heavyball');
    const end = events[events.length - 1]!;
    assert.ok(end.type === 'end');
    assert.deepEqual(end.summary, r.summary);
    assert.equal(r.version, 2);
    assert.equal(r.spec.nodes.find((n) => n.id === 'alpha')?.kind, 'scalar-parameter'); // the spec, converted
    assert.equal(r.runs.length, 2);
    assert.notEqual(r.runs[0]!.seed, r.runs[1]!.seed);
  });

  it('stops between steps when its signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop here');
    let seen = 0;
    await assert.rejects(
      runExperiment(preset('pcg'), {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'epoch' && ++seen === 5) controller.abort(reason);
        },
      }),
      (e) => e === reason,
    );
    assert.equal(seen, 5);

    const aborted = new AbortController();
    aborted.abort();
    let any = 0;
    await assert.rejects(runExperiment(preset('jacobi'), { signal: aborted.signal, onEvent: () => any++ }), { name: 'AbortError' });
    assert.equal(any, 0);
  });

  it('can be cancelled from outside while it runs (it yields to the event loop)', async () => {
    const controller = new AbortController();
    // A timer started once training is under way fires only if the runner yields between steps.
    let timer: NodeJS.Timeout | undefined;
    let epochs = 0;
    await assert.rejects(
      runExperiment(
        { ...preset('heavyball'), epochs: 100000 },
        {
          signal: controller.signal,
          onEvent: (e) => {
            if (e.type !== 'epoch') return;
            epochs++;
            timer ??= setTimeout(() => controller.abort(new Error('timeout')), 50);
          },
        },
      ),
      /timeout/,
    );
    clearTimeout(timer);
    assert.ok(epochs > 0 && epochs < 100000);
  });
});
