// validateGraph reports every kind of mistake on the node or edge it concerns,
// with a message that names it, and infers shapes and dtypes before anything
// runs; the compiler refuses to run a graph with issues.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Graph, GraphError, type GraphIssue, nodeCatalogue, runGraph, templates, validateGraph } from '../../experiments/graph/index.js';
import { sharedData } from '../helpers.js';

/** A small valid graph: y = A x with x learnable, loss Σ y (as sum-loss). */
function small(): Graph {
  return {
    version: 2,
    name: 'small',
    nodes: [
      { id: 'A', kind: 'poisson1d', fields: { n: 16 } },
      { id: 'x', kind: 'vector-parameter', fields: { init: 'constant', value: 1 } },
      { id: 'y', kind: 'spmv', fields: {} },
      { id: 'loss', kind: 'sum-loss', fields: {} },
    ],
    edges: [
      { id: 'e1', from: { node: 'A', port: 'A' }, to: { node: 'x', port: 'like' } },
      { id: 'e2', from: { node: 'A', port: 'A' }, to: { node: 'y', port: 'A' } },
      { id: 'e3', from: { node: 'x', port: 'value' }, to: { node: 'y', port: 'x' } },
      { id: 'e4', from: { node: 'y', port: 'y' }, to: { node: 'loss', port: 'x' } },
    ],
    training: { optimizer: { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 }, epochs: 3, runs: 1, seed: 0, dtype: 'float64', device: 'cpu' },
  };
}

async function issues(g: unknown): Promise<GraphIssue[]> {
  const v = await validateGraph(g);
  assert.equal(v.ok, false, 'expected issues');
  return v.ok ? [] : v.issues;
}

describe('validateGraph', () => {
  it('infers the shape and dtype on every port of a valid graph, filling field defaults', async () => {
    const v = await validateGraph(small());
    assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
    assert.deepEqual(v.ports.y, { y: { type: 'dense', shape: [16], dtype: 'float64' } });
    assert.deepEqual(v.ports.x, { value: { type: 'dense', shape: [16], dtype: 'float64' } });
    assert.deepEqual(v.ports.loss, { loss: { type: 'dense', shape: [], dtype: 'float64' } });
    assert.equal(v.graph.nodes[3]!.fields.role, 'objective');
  });

  it('every template is valid, and the catalogue describes every kind the templates use', async () => {
    const kinds = new Set(nodeCatalogue().map((k) => k.kind));
    for (const t of templates()) {
      const v = await validateGraph(t.graph, { dataDir: sharedData() });
      assert.ok(v.ok, `${t.name}: ${JSON.stringify(!v.ok && v.issues)}`);
      for (const n of t.graph.nodes) assert.ok(kinds.has(n.kind), `${t.name}: ${n.kind}`);
    }
  });

  it('an input left open is reported on the node and port', async () => {
    const g = small();
    g.edges = g.edges.filter((e) => e.id !== 'e3');
    const [i] = await issues(g);
    assert.deepEqual({ nodeId: i!.nodeId, port: i!.port }, { nodeId: 'y', port: 'x' });
    assert.match(i!.message, /^spmv "y": input x is not connected/);
  });

  it('a cycle is reported on its edges and nodes', async () => {
    const g = small();
    g.nodes.push({ id: 'z', kind: 'add', fields: {} }, { id: 'w', kind: 'relu', fields: {} });
    g.edges.push(
      { id: 'c1', from: { node: 'z', port: 'y' }, to: { node: 'w', port: 'x' } },
      { id: 'c2', from: { node: 'w', port: 'y' }, to: { node: 'z', port: 'a' } },
      { id: 'c3', from: { node: 'y', port: 'y' }, to: { node: 'z', port: 'b' } },
    );
    const is = await issues(g);
    assert.deepEqual(is.filter((i) => i.edgeId).map((i) => i.edgeId).sort(), ['c1', 'c2']);
    assert.match(is.find((i) => i.edgeId === 'c1')!.message, /part of a cycle/);
    assert.deepEqual(is.filter((i) => !i.edgeId && /cycle/.test(i.message)).map((i) => i.nodeId).sort(), ['w', 'z']);
  });

  it('16×16 meeting a vector of 32 is reported on the edge, naming both sizes', async () => {
    const g = small();
    g.nodes[1]!.fields = { length: 32 };
    g.edges = g.edges.filter((e) => e.id !== 'e1');
    const [i] = await issues(g);
    assert.deepEqual({ nodeId: i!.nodeId, edgeId: i!.edgeId, port: i!.port }, { nodeId: 'y', edgeId: 'e3', port: 'x' });
    assert.equal(i!.message, 'spmv "y": input x has length 32 but A has 16 columns (A is 16×16)');
  });

  it('float32 meeting float64 is reported, naming both', async () => {
    const g = small();
    g.nodes[1]!.fields = { dtype: 'float32' };
    const [i] = await issues(g);
    assert.equal(i!.nodeId, 'y');
    assert.match(i!.message, /spmv "y": A is float64 but x is float32 \(insert a cast node\)/);
  });

  it('an unknown kind, a field out of range and a field of the wrong type are reported on the node and field', async () => {
    const g = small();
    g.nodes.push({ id: 'q', kind: 'no-such-kind', fields: {} });
    g.nodes[0]!.fields = { n: 0 };
    g.nodes[3]!.fields = { weight: 'heavy' };
    const is = await issues(g);
    assert.deepEqual(is.find((i) => i.nodeId === 'q'), { nodeId: 'q', field: 'kind', message: 'unknown node kind "no-such-kind"' });
    const n = is.find((i) => i.nodeId === 'A')!;
    assert.equal(n.field, 'n');
    assert.match(n.message, /^poisson1d "A" field n: expected an integer in \[1, \d+\] but received 0$/);
    const w = is.find((i) => i.nodeId === 'loss')!;
    assert.equal(w.field, 'weight');
    assert.match(w.message, /^sum-loss "loss" field weight: expected a number.* but received "heavy"$/);
  });

  it('edges to missing nodes or ports, an input wired twice and repeated ids are reported', async () => {
    const g = small();
    g.edges.push(
      { id: 'd1', from: { node: 'nope', port: 'A' }, to: { node: 'y', port: 'A' } },
      { id: 'd2', from: { node: 'A', port: 'B' }, to: { node: 'loss', port: 'x' } },
      { id: 'd3', from: { node: 'A', port: 'A' }, to: { node: 'y', port: 'A' } },
      { id: 'e1', from: { node: 'A', port: 'A' }, to: { node: 'x', port: 'like' } },
    );
    g.nodes.push({ id: 'A', kind: 'poisson1d', fields: {} });
    const is = await issues(g);
    const on = (id: string) => is.find((i) => i.edgeId === id)!.message;
    assert.match(on('d1'), /starts at node "nope", which does not exist/);
    assert.match(on('d2'), /poisson1d "A" has no output B \(outputs: A\)/);
    assert.match(on('d3'), /input A of "y" is wired twice \(edges "e2" and "d3"\)/);
    assert.match(on('e1'), /two edges have the id "e1"/);
    assert.match(is.find((i) => i.nodeId === 'A' && /unique/.test(i.message))!.message, /two nodes have the id "A"/);
  });

  it('a sparse output into a dense input is reported on the edge', async () => {
    const g = small();
    g.edges.find((e) => e.id === 'e4')!.from = { node: 'A', port: 'A' };
    const [i] = await issues(g);
    assert.equal(i!.edgeId, 'e4');
    assert.match(i!.message, /A\.A is a sparse matrix but input x of sum-loss "loss" takes a dense tensor/);
  });

  it('the format itself (zod) and the training settings', async () => {
    const bad = await issues({ version: 2, name: 'x', nodes: [{ id: 'A' }] });
    assert.ok(bad.some((i) => /nodes\.0\.kind/.test(i.message)));
    const g = small();
    g.training.epochs = 0;
    assert.ok((await issues(g)).some((i) => /training\.epochs/.test(i.message)));
    const w = small();
    w.training.optimizer.weightDecay = { omega: 0.1 };
    const [i] = await issues(w);
    assert.deepEqual(i, { field: 'training.optimizer.weightDecay.omega', message: 'training.optimizer.weightDecay names "omega", which is not a parameter node' });
  });

  it('a graph without a loss is reported; a missing file names the places looked', async () => {
    const g = small();
    g.nodes = g.nodes.filter((n) => n.id !== 'loss');
    g.edges = g.edges.filter((e) => e.id !== 'e4');
    assert.match((await issues(g))[0]!.message, /no loss node/);
    const m = small();
    m.nodes[3]!.fields = { role: 'monitor' };
    assert.match((await issues(m))[0]!.message, /every loss node is a monitor/);
    const f = small();
    f.nodes[0] = { id: 'A', kind: 'matrix-file', fields: { path: 'no/such.mtx' } };
    const [i] = await issues(f);
    assert.deepEqual({ nodeId: i!.nodeId, field: i!.field }, { nodeId: 'A', field: 'path' });
    assert.match(i!.message, /file not found: no\/such\.mtx \(looked in /);
  });

  it('the runner refuses a graph with issues (GraphError with the issues) before anything runs', async () => {
    const g = small();
    g.edges = g.edges.filter((e) => e.id !== 'e3');
    let events = 0;
    await assert.rejects(runGraph(g, { onEvent: () => events++ }), (e: unknown) => e instanceof GraphError && e.issues[0]!.nodeId === 'y' && /input x is not connected/.test(e.message));
    assert.equal(events, 0);
  });
});
