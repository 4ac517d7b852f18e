// Graph loaders: the CiteSeer graph folder and the Planetoid raw pickles give
// the same graph (with the figures the data README verifies); the raw files can
// be fetched from a local HTTP server into a cache; missing and inconsistent
// files are reported by name.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Graph, GraphDataError, loadGraphFolder, loadPlanetoid } from '../../experiments/data/graph.js';
import { sharedData } from '../helpers.js';

const folder = sharedData('citeseer');
const raw = sharedData('citeseer', 'raw');
const scratch = mkdtempSync(join(tmpdir(), 'h6-graph-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function rejectsWith(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof Error, String(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

function sameGraph(a: Graph, b: Graph): void {
  assert.equal(a.nodes, b.nodes);
  assert.ok(a.adjacency.pattern.equals(b.adjacency.pattern), 'adjacency pattern');
  assert.deepEqual(Array.from(a.adjacency.values.data), Array.from(b.adjacency.values.data));
  assert.ok(a.features.pattern.equals(b.features.pattern), 'features pattern');
  assert.deepEqual(Array.from(a.features.values.data), Array.from(b.features.values.data));
  assert.deepEqual(a.labels, b.labels);
  assert.equal(a.classes, b.classes);
  assert.deepEqual(a.selfLoops, b.selfLoops);
  assert.deepEqual(a.split, b.split);
}

let fromFolder: Graph;
let fromRaw: Graph;

describe('CiteSeer', () => {
  before(async () => {
    fromFolder = await loadGraphFolder(folder);
    fromRaw = await loadPlanetoid({ name: 'citeseer', dir: raw });
  });

  it('the graph folder has the figures of the data README', () => {
    const g = fromFolder;
    assert.equal(g.name, 'citeseer');
    assert.equal(g.nodes, 3327);
    assert.deepEqual(g.adjacency.shape, [3327, 3327]);
    assert.equal(g.adjacency.nnz, 9104); // 4552 undirected edges, both directions, no self-loops
    assert.deepEqual(g.features.shape, [3327, 3703]);
    assert.equal(g.features.nnz, 105165);
    assert.equal(g.classes, 6);
    assert.equal(g.selfLoops.length, 124);
    assert.equal(g.labels.filter((l) => l < 0).length, 15);
    assert.equal(g.split.train.length, 120);
    assert.equal(g.split.val.length, 500);
    assert.equal(g.split.test.length, 1000);
    const perClass = new Array(6).fill(0);
    for (const i of g.split.train) perClass[g.labels[i]!]++;
    assert.deepEqual(perClass, [20, 20, 20, 20, 20, 20]);
    // symmetric, no diagonal
    const { indptr, indices } = g.adjacency.pattern.raw;
    for (let i = 0; i < g.nodes; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) assert.notEqual(indices[p], i);
  });

  it('the Planetoid pickles give the same graph', () => {
    sameGraph(fromRaw, fromFolder);
  });

  it('fetches the raw files from a URL into a cache, once', async () => {
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const name = (req.url ?? '').replace(/^\/raw\//, '');
      if (!/^ind\.[a-z]+\.[a-z.]+$/.test(name) || !readdirSync(raw).includes(name)) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(join(raw, name)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const url = `http://127.0.0.1:${port}/raw/`;
      const cache = join(scratch, 'cache');
      const fetched: string[] = [];
      const g = await loadPlanetoid({ name: 'citeseer', url, cache, onFetch: (f) => fetched.push(f) });
      sameGraph(g, fromFolder);
      assert.equal(fetched.length, 8);
      assert.deepEqual(readdirSync(cache).sort(), readdirSync(raw).sort());
      for (const f of readdirSync(raw)) assert.deepEqual(readFileSync(join(cache, f)), readFileSync(join(raw, f)), f);

      const before = requests.length;
      await loadPlanetoid({ name: 'citeseer', url, cache });
      assert.equal(requests.length, before, 'a second load reads the cache');

      await rejectsWith(loadPlanetoid({ name: 'cora', url, cache: join(scratch, 'cache-cora') }), `${url}ind.cora.x: fetch failed: HTTP 404 Not Found`);
      // A port nobody listens on: a closed server's.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const dead = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      await rejectsWith(
        loadPlanetoid({ name: 'citeseer', url: `http://127.0.0.1:${dead}/`, cache: join(scratch, 'cache-x') }),
        new RegExp(`^http://127\\.0\\.0\\.1:${dead}/ind\\.citeseer\\.x: fetch failed \\(.*ECONNREFUSED.*\\)$`),
      );
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('bad graph data is reported by file', () => {
  const labels = readFileSync(join(folder, 'labels.txt'), 'utf8');

  it('missing folder files', async () => {
    const dir = makeDir('no-labels', folder, { 'labels.txt': null });
    await rejectsWith(loadGraphFolder(dir), `${join(dir, 'labels.txt')}: missing (a graph folder holds adjacency.mtx, features.mtx, labels.txt, split.json)`);
    await rejectsWith(loadGraphFolder(join(scratch, 'nowhere')), `${join(scratch, 'nowhere')}: graph folder not found`);
    await assert.rejects(loadGraphFolder(dir), GraphDataError);
  });

  it('inconsistent folder files', async () => {
    const short = makeDir('short-labels', folder, { 'labels.txt': labels.split('\n').slice(1).join('\n') });
    await rejectsWith(loadGraphFolder(short), `${join(short, 'labels.txt')}: has 3326 lines but the graph has 3327 nodes (one label per node, -1 for none)`);
    const word = makeDir('word-label', folder, { 'labels.txt': labels.replace(/^\d+\n/, 'three\n') });
    await rejectsWith(loadGraphFolder(word), `${join(word, 'labels.txt')}: line 1: expected a class number ≥ 0 or -1 but found "three"`);
    const split = makeDir('bad-split', folder, { 'split.json': JSON.stringify({ train: [0, 1], val: [2407], test: [5] }) });
    await rejectsWith(loadGraphFolder(split), `${join(split, 'split.json')}: val node 2407 has no label (-1 in labels.txt)`);
    const overlap = makeDir('overlap-split', folder, { 'split.json': JSON.stringify({ train: [0, 1], val: [1], test: [] }) });
    await rejectsWith(loadGraphFolder(overlap), `${join(overlap, 'split.json')}: node 1 is in both "train" and "val"`);
    const range = makeDir('range-split', folder, { 'split.json': JSON.stringify({ train: [0, 3327], val: [], test: [] }) });
    await rejectsWith(loadGraphFolder(range), `${join(range, 'split.json')}: train[1] = 3327 is not a node id (the graph has 3327 nodes)`);
    const json = makeDir('json-split', folder, { 'split.json': '{"train": [' });
    await rejectsWith(loadGraphFolder(json), new RegExp(`^${escape(join(json, 'split.json'))}: not valid JSON \\(`));
    const feats = makeDir('few-features', folder, { 'features.mtx': '%%MatrixMarket matrix coordinate real general\n3 3703 1\n1 1 1\n' });
    await rejectsWith(loadGraphFolder(feats), `${join(feats, 'features.mtx')}: has 3 rows but adjacency.mtx has 3327 nodes`);
    const adj = makeDir('bad-adjacency', folder, { 'adjacency.mtx': '%%MatrixMarket matrix coordinate pattern general\n3327 3327 1\n2 1\n' });
    await rejectsWith(loadGraphFolder(adj), `${join(adj, 'adjacency.mtx')}: the adjacency matrix is not symmetric (an undirected graph is expected)`);
    const broken = makeDir('broken-adjacency', folder, { 'adjacency.mtx': '%%MatrixMarket matrix coordinate pattern symmetric\n3327 3327 2\n2 1\n' });
    await assert.rejects(loadGraphFolder(broken), (e: unknown) => (e as Error).message.includes(join(broken, 'adjacency.mtx')));
  });

  it('missing and inconsistent Planetoid files', async () => {
    const noY = makeDir('raw-no-y', raw, { 'ind.citeseer.y': null });
    await rejectsWith(loadPlanetoid({ name: 'citeseer', dir: noY }), `${join(noY, 'ind.citeseer.y')}: missing, and no url to fetch it from`);
    const index = readFileSync(join(raw, 'ind.citeseer.test.index'), 'utf8');
    const shortIndex = makeDir('raw-short-index', raw, { 'ind.citeseer.test.index': index.split('\n').slice(1).join('\n') });
    await rejectsWith(loadPlanetoid({ name: 'citeseer', dir: shortIndex }), `${join(shortIndex, 'ind.citeseer.test.index')}: lists 999 nodes but ind.citeseer.tx has 1000 rows`);
    const cut = makeDir('raw-cut-graph', raw, { 'ind.citeseer.graph': readFileSync(join(raw, 'ind.citeseer.graph')).subarray(0, 5000) });
    await rejectsWith(loadPlanetoid({ name: 'citeseer', dir: cut }), new RegExp(`^${escape(join(cut, 'ind.citeseer.graph'))}: the pickle is truncated`));
    const swapped = makeDir('raw-swapped', raw, { 'ind.citeseer.y': readFileSync(join(raw, 'ind.citeseer.ty')) });
    await rejectsWith(loadPlanetoid({ name: 'citeseer', dir: swapped }), `${join(swapped, 'ind.citeseer.y')}: has 1000 rows but ind.citeseer.x has 120`);
    const notCsr = makeDir('raw-not-csr', raw, { 'ind.citeseer.tx': readFileSync(join(raw, 'ind.citeseer.ty')) });
    await rejectsWith(loadPlanetoid({ name: 'citeseer', dir: notCsr }), `${join(notCsr, 'ind.citeseer.tx')}: expected a pickled scipy CSR matrix`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A folder beside the scratch root: symlinks to `from`'s files, some replaced (string/bytes) or left out (null). */
function makeDir(name: string, from: string, changes: Record<string, string | Uint8Array | null>): string {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    const change = changes[e.name];
    if (change === undefined) symlinkSync(join(from, e.name), join(dir, e.name));
    else if (change !== null) writeFileSync(join(dir, e.name), change);
  }
  return dir;
}
