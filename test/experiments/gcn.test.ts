// The GCN template (§4.4): Â and the feature normalisation nodes against
// hand-worked values, and a short training (3 runs) on CiteSeer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateKind } from '../../experiments/graph/catalogue.js';
import { runGraph, templates } from '../../experiments/graph/index.js';
import type { ExperimentEvent } from '../../experiments/runner/types.js';
import { preset } from '../../experiments/spec/presets.js';
import { CsrMatrix } from '../../native/lib/index.js';
import { assertClose, denseOf, sharedData } from '../helpers.js';

const gcn = () => templates().find((t) => t.name === 'gcn')!.graph;

describe('GCN building blocks', () => {
  // A path 0 – 1 – 2 plus node 3 alone; with Kipf's self-loops the raw self-loop on node 2 is on the diagonal.
  const plain = CsrMatrix.fromCoo([0, 1, 1, 2], [1, 0, 2, 1], [1, 1, 1, 1], [4, 4]);
  const withLoop = CsrMatrix.fromCoo([0, 1, 1, 2, 2], [1, 0, 2, 1, 2], [1, 1, 1, 1, 1], [4, 4]);

  it('Â = D̃^-½ (A + I) D̃^-½, with the raw self-loops kept or dropped', async () => {
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
    assertClose(denseOf((await evaluateKind('normalize-adjacency', {}, { A: plain })).Ahat as CsrMatrix), none, { rtol: 1e-14 });
    assertClose(denseOf((await evaluateKind('normalize-adjacency', {}, { A: withLoop })).Ahat as CsrMatrix), kipf, { rtol: 1e-14 });
    // float32: computed in float64 and rounded once.
    const f32 = (await evaluateKind('normalize-adjacency', {}, { A: plain.astype('float32') })).Ahat as CsrMatrix;
    assert.equal(f32.dtype, 'float32');
    assertClose(denseOf(f32), none, { rtol: 1e-7 });
  });

  it('row-normalised features divide each row by its sum and keep empty rows empty', async () => {
    const features = CsrMatrix.fromCoo([0, 0, 1, 3], [0, 2, 1, 2], [1, 3, 2, 5], [4, 3]);
    const X = (await evaluateKind('row-normalize', {}, { A: features })).B as CsrMatrix;
    assertClose(denseOf(X), [[0.25, 0, 0.75], [0, 1, 0], [0, 0, 0], [0, 0, 1]], { rtol: 1e-15 });
  });
});

describe('gcn template on CiteSeer', () => {
  it('reaches ≥ 0.67 mean test accuracy over 3 runs of 200 epochs', async () => {
    const graph = gcn();
    graph.training.runs = 3;
    let epochEvents = 0;
    const r = await runGraph(graph, {
      dataDir: sharedData(),
      onEvent: (e: ExperimentEvent) => void (e.type === 'epoch' && epochEvents++),
    });
    assert.equal(epochEvents, 600);
    const s = r.summary;
    assert.equal(s.runs, 3);
    assert.equal(s.epochs, 200);
    const [mean, std] = [s.testAccuracyMean as number, s.testAccuracyStd as number];
    assert.ok(mean >= 0.67, `mean test accuracy ${mean}`);
    assert.ok(std >= 0 && std < 0.05);
    assert.ok(r.runs.every((run) => run.seconds > 0));
    const b = r.series.bands;
    for (const band of [b.train!, b.trainAccuracy!, b.valAccuracy!, b.testAccuracy!]) {
      assert.equal(band.mean.length, 200);
      assert.equal(band.std.length, 200);
    }
    // The training loss falls, and the last epoch's mean test accuracy is the summary's.
    assert.ok(b.train!.mean[199]! < 0.5 * b.train!.mean[0]!);
    assertClose([b.testAccuracy!.mean[199]!], [mean], { rtol: 1e-12 });
    assert.ok(b.trainAccuracy!.mean[199]! > 0.9);
    // The view: each run's final test accuracy.
    assert.deepEqual(r.views[0], { kind: 'bars', title: 'Final test accuracy per run', xLabel: 'run', yLabel: 'accuracy', logY: false, series: [{ name: 'test accuracy', values: r.runs.map((x) => x.final.testAccuracy) }] });
  });

  it('trains to the same numbers from the Planetoid pickles as from the graph folder', async () => {
    const short = gcn();
    Object.assign(short.training, { runs: 1, epochs: 3 });
    const planetoid = structuredClone(short);
    planetoid.nodes.find((n) => n.id === 'data')!.fields = { format: 'planetoid', name: 'citeseer', path: 'citeseer/raw', selfLoops: 'kipf' };
    const a = await runGraph(short, { dataDir: sharedData() });
    const b = await runGraph(planetoid, { dataDir: sharedData() });
    assert.deepEqual(b.series, a.series);
  });

  it('trains with biases (row-broadcast) when a v1 spec asks for them', async () => {
    const spec = { ...preset('gcn'), runs: 1, epochs: 5, method: { ...preset('gcn').method, bias: true }, parameters: undefined };
    const r = await runGraph(spec, { dataDir: sharedData() });
    assert.deepEqual(
      r.spec.nodes.filter((n) => n.kind.endsWith('-parameter')).map((n) => n.id),
      ['W1', 'b1', 'W2', 'b2'],
    );
    const loss = r.series.losses.train!;
    assert.ok(loss.every(Number.isFinite));
    assert.ok(loss[4]! < loss[0]!);
  });
});
