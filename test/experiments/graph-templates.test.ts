// The paper's four applications as graph templates give the numbers of the
// version-1 runner they replace (same seed: loss curves equal to 1e-12 relative
// in float64), and every v1 variation converts (toGraph) to a graph that does.
// The reference numbers were recorded by that runner (experiments/methods, with
// the script test/experiments/fixtures/make-v1-curves.ts of commit 3165f8b, at the
// commit named in the file) before its method-specific code was deleted; at that
// commit the graph runner matched them bit for bit on every case.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runGraph, templates, toGraph, validateGraph } from '../../experiments/graph/index.js';
import type { ExperimentEvent } from '../../experiments/runner/types.js';
import { preset } from '../../experiments/spec/presets.js';
import { type Case, presetCases, variationCases } from './graph-cases.js';

interface RunCurves {
  losses: Record<string, number[]>;
  metrics: Record<string, number[]>;
  parameters: Record<string, number | number[]>;
}
const v1 = JSON.parse(readFileSync(new URL('./fixtures/v1-curves.json', import.meta.url), 'utf8')) as { cases: Record<string, RunCurves[]> };

/** Largest relative difference of two equally long lists (0 when both are equal, also for zeros). */
function maxRel(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!)));
  }
  return m;
}

async function graphCurves(c: Case): Promise<RunCurves[]> {
  const runs: RunCurves[] = [];
  await runGraph(toGraph(structuredClone(c.spec)), {
    onEvent: (e: ExperimentEvent) => {
      if (e.type !== 'epoch') return;
      const r = (runs[e.run] ??= { losses: {}, metrics: {}, parameters: {} });
      for (const [k, v] of Object.entries(e.losses)) (r.losses[k] ??= []).push(v);
      for (const [k, v] of Object.entries(e.metrics)) (r.metrics[k] ??= []).push(v);
      r.parameters = e.parameters;
    },
  });
  return runs;
}

function compare(c: Case, got: RunCurves[]): void {
  const want = v1.cases[c.name];
  assert.ok(want, `no v1 reference for ${c.name}`);
  // float64: 1e-12 relative; float32 (GCN as PyTorch trains it): 1e-6.
  const tol = c.spec.dtype === 'float64' ? 1e-12 : 1e-6;
  assert.equal(got.length, want.length, 'runs');
  want.forEach((w, run) => {
    const g = got[run]!;
    assert.deepEqual(Object.keys(g.losses), Object.keys(w.losses), `run ${run}: loss names`);
    for (const k of Object.keys(w.losses)) {
      const d = maxRel(g.losses[k]!, w.losses[k]!);
      assert.ok(d <= tol, `${c.name} run ${run} loss ${k}: max relative difference ${d} > ${tol}`);
    }
    assert.deepEqual(Object.keys(g.metrics).sort(), Object.keys(w.metrics).sort(), `run ${run}: metric names`);
    for (const k of Object.keys(w.metrics)) {
      const d = maxRel(g.metrics[k]!, w.metrics[k]!);
      assert.ok(d <= tol, `${c.name} run ${run} metric ${k}: max relative difference ${d} > ${tol}`);
    }
    // Every parameter v1 reported (the graph also reports GCN biases, which v1 left out).
    for (const k of Object.keys(w.parameters)) {
      assert.ok(k in g.parameters, `${c.name} run ${run}: parameter ${k} missing`);
      const d = maxRel([g.parameters[k]!].flat(), [w.parameters[k]!].flat());
      assert.ok(d <= tol, `${c.name} run ${run} parameter ${k}: max relative difference ${d} > ${tol}`);
    }
  });
}

describe('paper templates reproduce the v1 presets', () => {
  it('templates() lists jacobi, heavyball, pcg, gcn first, each a valid graph equal to its converted preset', async () => {
    const ts = templates();
    assert.deepEqual(ts.slice(0, 4).map((t) => t.name), ['jacobi', 'heavyball', 'pcg', 'gcn']);
    for (const t of ts.slice(0, 4)) {
      assert.deepEqual(t.graph, toGraph(preset(t.name as 'jacobi')));
      const v = await validateGraph(t.graph);
      assert.ok(v.ok, `${t.name}: ${JSON.stringify(!v.ok && v.issues)}`);
      assert.ok(t.title && t.description && t.notes.length > 0);
    }
  });

  for (const c of presetCases()) {
    it(`${c.name}: loss, metric and parameter curves equal the v1 runner's`, async () => {
      compare(c, await graphCurves(c));
    });
  }
});

describe('v1 → v2: converted specs give the v1 numbers', () => {
  for (const c of variationCases()) {
    it(c.name, async () => {
      compare(c, await graphCurves(c));
    });
  }
});
