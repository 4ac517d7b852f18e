// The GCN preset (§4.4): Â and the feature normalisation against hand-worked
// values, and a short training (3 runs) on CiteSeer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Graph } from '../../experiments/data/graph.js';
import { normalizedAdjacency, rowNormalized } from '../../experiments/methods/gcn.js';
import { runExperiment } from '../../experiments/runner/run.js';
import type { ExperimentEvent, GcnResult } from '../../experiments/runner/types.js';
import { preset } from '../../experiments/spec/presets.js';
import { CsrMatrix } from '../../native/lib/index.js';
import { assertClose, denseOf, sharedData } from '../helpers.js';

describe('GCN building blocks', () => {
  // A path 0 – 1 – 2 plus node 3 alone, with a raw self-loop on node 2.
  const graph: Graph = {
    name: 'tiny',
    nodes: 4,
    adjacency: CsrMatrix.fromCoo([0, 1, 1, 2], [1, 0, 2, 1], [1, 1, 1, 1], [4, 4]),
    selfLoops: Int32Array.of(2),
    features: CsrMatrix.fromCoo([0, 0, 1, 3], [0, 2, 1, 2], [1, 3, 2, 5], [4, 3]),
    labels: Int32Array.of(0, 1, 0, 1),
    classes: 2,
    split: { train: Int32Array.of(0), val: Int32Array.of(1), test: Int32Array.of(2) },
  };

  it('Â = D̃^-½ (A + I) D̃^-½, with the raw self-loops kept or dropped', () => {
    // Degrees of A + I: 2, 3, 2, 1; with the self-loop on node 2 kept, node 2 has 3 (its diagonal is 2).
    const s = Math.sqrt;
    const none = [
      [1 / 2, 1 / s(6), 0, 0],
      [1 / s(6), 1 / 3, 1 / s(6), 0],
      [0, 1 / s(6), 1 / 2, 0],
      [0, 0, 0, 1],
    ];
    const kipf = [
      [1 / 2, 1 / s(6), 0, 0],
      [1 / s(6), 1 / 3, 1 / 3, 0],
      [0, 1 / 3, 2 / 3, 0],
      [0, 0, 0, 1],
    ];
    assertClose(denseOf(normalizedAdjacency(graph, 'none')), none, { rtol: 1e-14 });
    assertClose(denseOf(normalizedAdjacency(graph, 'kipf')), kipf, { rtol: 1e-14 });
  });

  it('row-normalised features divide each row by its sum and keep empty rows empty', () => {
    const X = rowNormalized(graph.features);
    assertClose(denseOf(X), [[0.25, 0, 0.75], [0, 1, 0], [0, 0, 0], [0, 0, 1]], { rtol: 1e-15 });
  });
});

describe('gcn preset on CiteSeer', () => {
  it('reaches ≥ 0.67 mean test accuracy over 3 runs of 200 epochs', async () => {
    const spec = { ...preset('gcn'), runs: 3 };
    let epochEvents = 0;
    const r = (await runExperiment(spec, {
      dataDir: sharedData(),
      onEvent: (e: ExperimentEvent) => void (e.type === 'epoch' && epochEvents++),
    })) as GcnResult;
    assert.equal(epochEvents, 600);
    const s = r.summary;
    assert.equal(s.runs, 3);
    assert.equal(s.epochs, 200);
    assert.ok(s.testAccuracyMean >= 0.67, `mean test accuracy ${s.testAccuracyMean}`);
    assert.ok(s.testAccuracyStd >= 0 && s.testAccuracyStd < 0.05);
    assert.ok(s.secondsPerRun > 0);
    for (const band of [r.series.loss, r.series.trainAccuracy, r.series.valAccuracy, r.series.testAccuracy]) {
      assert.equal(band.mean.length, 200);
      assert.equal(band.std.length, 200);
    }
    // The training loss falls, and the last epoch's mean test accuracy is the summary's.
    assert.ok(r.series.loss.mean[199]! < 0.5 * r.series.loss.mean[0]!);
    assertClose([r.series.testAccuracy.mean[199]!], [s.testAccuracyMean], { rtol: 1e-12 });
    assert.ok(r.series.trainAccuracy.mean[199]! > 0.9);
  });

  it('trains to the same numbers from the Planetoid pickles as from the graph folder', async () => {
    const short = { ...preset('gcn'), runs: 1, epochs: 3 };
    const planetoid = { ...short, matrix: { kind: 'graph', format: 'planetoid', name: 'citeseer', path: 'citeseer/raw', selfLoops: 'kipf' } };
    const a = (await runExperiment(short, { dataDir: sharedData() })) as GcnResult;
    const b = (await runExperiment(planetoid, { dataDir: sharedData() })) as GcnResult;
    assert.deepEqual(b.series, a.series);
  });

  it('trains with biases (row-broadcast) when the spec asks for them', async () => {
    const spec = { ...preset('gcn'), runs: 1, epochs: 5, method: { ...preset('gcn').method, bias: true }, parameters: undefined };
    const r = (await runExperiment(spec, { dataDir: sharedData() })) as GcnResult;
    assert.deepEqual(Object.keys(r.spec.parameters), ['W1', 'b1', 'W2', 'b2']);
    assert.ok(r.series.loss.mean.every(Number.isFinite));
    assert.ok(r.series.loss.mean[4]! < r.series.loss.mean[0]!);
  });
});
