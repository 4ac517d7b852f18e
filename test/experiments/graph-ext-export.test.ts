// Export as TypeScript: for every template, and for a graph that uses nearly
// every node kind, the exported script — run under tsx from inside the checkout,
// importing only sparse-ad-lab/engine — prints `final loss x` with x equal to
// runGraph's finalLoss to 1e-9 relative, and the measurements it reports (test
// accuracy, relative error, …) equal to the summary's. Epochs are few so the
// file stays fast.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exportTypeScript, GraphError, nodeCatalogue, runGraph, templates, validateGraph, type Graph, type TemplateInfo } from '../../experiments/graph/index.js';
import { exportable } from '../../experiments/graph/export-ts.js';
import { defineTemplate } from '../../experiments/graph/ext/template.js';
import { graphModelTemplate } from '../../experiments/graph/templates/graph-model.js';
import { inverseDiffusionTemplate } from '../../experiments/graph/templates/inverse-diffusion.js';
import { learnedSmootherTemplate } from '../../experiments/graph/templates/learned-smoother.js';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// Inside the checkout (so 'sparse-ad-lab/engine' resolves to this package) and ignored by git.
const dir = join(root, '.cache', `graph-ext-export-${process.pid}`);
const engineBuilt = existsSync(join(root, 'dist', 'native', 'lib', 'index.js'));
const skip = engineBuilt ? false : 'dist/native/lib/index.js is missing: run `npm run build:ts` first (the script imports the built sparse-ad-lab/engine)';
if (skip) console.log(`graph-ext-export: skipped: ${skip}`);
after(() => rmSync(dir, { recursive: true, force: true }));

const relDiff = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** Every template: templates() plus the new ones where it does not list them yet. */
function allTemplates(): TemplateInfo[] {
  const listed = templates();
  const own = [inverseDiffusionTemplate(), graphModelTemplate(), learnedSmootherTemplate()].filter((t) => !listed.some((l) => l.name === t.name));
  return [...listed, ...own];
}

interface Case {
  graph: Graph;
  code: string;
  summary: Record<string, number | number[]>;
  /** What the script printed. */
  stdout: string;
}

/**
 * Runs each graph with runGraph, exports it, and runs all the scripts in one
 * tsx process, one after another (a process per script spends most of this
 * file's time starting tsx): each script's output follows a marker line.
 */
async function exportAndRunAll(graphs: Graph[]): Promise<Map<string, Case>> {
  mkdirSync(dir, { recursive: true });
  const cases = new Map<string, Case>();
  for (const graph of graphs) {
    const result = await runGraph(structuredClone(graph));
    const code = exportTypeScript(graph);
    writeFileSync(join(dir, `${graph.name}.ts`), code);
    cases.set(graph.name, { graph, code, summary: result.summary, stdout: '' });
  }
  const runner = join(dir, 'run-all.mjs');
  writeFileSync(runner, "import { pathToFileURL } from 'node:url';\nfor (const f of process.argv.slice(2)) {\n  console.log(`### ${f}`);\n  await import(pathToFileURL(f).href);\n}\n");
  const files = graphs.map((g) => join(dir, `${g.name}.ts`));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', runner, ...files], { cwd: root, maxBuffer: 1 << 26 });
  for (const part of stdout.split(/^### /m).slice(1)) {
    const nl = part.indexOf('\n');
    const name = part.slice(0, nl).replace(/^.*\//, '').replace(/\.ts$/, '');
    cases.get(name)!.stdout = part.slice(nl + 1);
  }
  return cases;
}

/** The script printed runGraph's final loss, and every measurement it reports (`name value`) is the summary's value. */
function assertSameNumbers(c: Case): void {
  const m = /^final loss (\S+)$/m.exec(c.stdout);
  assert.ok(m, `no "final loss" line in the output of ${c.graph.name}:\n${c.stdout}`);
  assert.ok(relDiff(Number(m[1]), c.summary.finalLoss as number) <= 1e-9, `script ${m[1]} vs runGraph ${c.summary.finalLoss}`);
  for (const [, name, value] of c.stdout.matchAll(/^(\w+) (\S+)$/gm)) {
    const lab = c.summary[name!];
    assert.equal(typeof lab, 'number', `the script reports ${name} but the summary has no such number`);
    assert.ok(relDiff(Number(value), lab as number) <= 1e-9, `${name}: script ${value} vs runGraph ${lab}`);
  }
}

function assertScriptShape(code: string): void {
  // Self-contained: the engine and Node's built-ins only; no graph interpreter.
  for (const m of code.matchAll(/^import .* from '([^']+)';$/gm)) assert.ok(m[1] === 'sparse-ad-lab/engine' || m[1]!.startsWith('node:'), `imports ${m[1]}`);
  assert.doesNotMatch(code, /experiments\/|kindDef|runGraph|compileGraph/);
}

describe('export-ts: the script computes the runner’s final loss', { skip }, () => {
  const graphs = allTemplates().map((t) => {
    t.graph.training.epochs = 3;
    t.graph.training.runs = 1;
    return t.graph;
  });
  let cases: Map<string, Case>;
  before(async () => {
    const sink = kitchenSink();
    const v = await validateGraph(sink);
    assert.ok(v.ok, JSON.stringify(!v.ok && v.issues, null, 1));
    cases = await exportAndRunAll([...graphs, sink]);
  });

  for (const g of graphs) {
    it(`${g.name}`, () => {
      const c = cases.get(g.name)!;
      assertScriptShape(c.code);
      assertSameNumbers(c);
    });
  }

  it('a graph with nearly every node kind (ops, structure, iteration blocks, losses, dropout, per-run draws, two runs)', () => {
    const c = cases.get('kitchen-sink')!;
    assertScriptShape(c.code);
    assert.ok(Number.isFinite(c.summary.finalLoss));
    assertSameNumbers(c);
    // One statement per op: e.g. the triangular solves are engine calls in the script.
    assert.match(c.code, /= sptrsv\(L, y1, \{ lower: true, unitDiagonal: false \}\);/);
    assert.match(c.code, /for \(let sweep = 0; sweep < 2; sweep\+\+\)/);
    const covered = new Set(c.graph.nodes.map((n) => n.kind));
    const left = nodeCatalogue()
      .map((k) => k.kind)
      .filter((k) => !covered.has(k));
    console.log(`export-ts: kinds not in this graph (covered by the templates or not exportable): ${left.join(', ')}`);
  });

  it('what has no TypeScript form yet is refused on its node, by name (a Planetoid dataset)', () => {
    const g = kitchenSink();
    g.nodes.push({ id: 'P', kind: 'graph-dataset', fields: { format: 'planetoid', name: 'cora', url: 'https://example.org/' } });
    assert.throws(
      () => exportTypeScript(g),
      (e: unknown) => e instanceof GraphError && e.issues[0]!.nodeId === 'P' && /graph-dataset "P": only graph folders/.test(e.message),
    );
    for (const k of nodeCatalogue()) assert.ok(exportable(k.kind), `${k.kind} cannot be exported`);
  });
});

/** Nearly every kind, wired into losses (small and bounded, so three Adam steps stay finite). */
function kitchenSink(): Graph {
  const g = defineTemplate({
    name: 'kitchen-sink',
    title: 'Every kind',
    description: 'A graph that uses nearly every node kind, for the export test.',
    notes: [],
    nodes: [
      ['P1', 'poisson1d', { n: 4 }],
      ['P2', 'poisson1d', { n: 3 }],
      ['K', 'kron'],
      ['KT', 'transpose'],
      ['L', 'tril'],
      ['U', 'triu'],
      ['s', 'scalar-parameter', { init: 0.5 }],
      ['C', 'spadd'],
      ['x', 'vector', { fill: 'linear', period: 3 }],
      ['xr', 'vector', { fill: 'random' }],
      ['xb', 'vector', { fill: 'constant', value: 0.5, columns: 3 }],
      ['y1', 'spmv'],
      ['y2', 'sptrsv'],
      ['y3', 'sptrsv', { lower: false }],
      ['w', 'vector-parameter', { init: 'normal', value: 0.1 }],
      ['ww', 'mul'],
      ['d', 'diagonal'],
      ['Dm', 'diag-matrix'],
      ['I', 'identity'],
      ['E', 'spgemm'],
      ['z', 'spsolve'],
      ['vals', 'sparse-values'],
      ['sv', 'scale', { factor: 0.5 }],
      ['W', 'with-values'],
      ['zz', 'spmv'],
      ['Kd', 'to-dense'],
      ['Ks', 'from-dense'],
      ['zk', 'spmv'],
      ['K32', 'sparse-cast', { dtype: 'float32' }],
      ['x32', 'cast', { dtype: 'float32' }],
      ['y32', 'spmv'],
      ['y64', 'cast', { dtype: 'float64' }],
      ['X', 'random-block', { count: 3, resample: true }],
      ['om', 'vector-parameter', { init: 'constant', value: 0.6 }],
      ['jac', 'jacobi', { sweeps: 2 }],
      ['a', 'scalar-parameter', { init: 0.05 }],
      ['bb', 'scalar-parameter', { init: 0.1 }],
      ['hb', 'heavyball', { iterations: 3 }],
      ['pcg', 'cg', { iterations: 3 }],
      ['one', 'scalar', { value: 1 }],
      ['two', 'scalar', { value: 2 }],
      ['t1', 'tanh'],
      ['t2', 'sigmoid'],
      ['t3', 'add'],
      ['t4', 'sin'],
      ['t5', 'cos'],
      ['t6', 'maximum'],
      ['t7', 'minimum'],
      ['t8', 'sub'],
      ['t9', 'abs'],
      ['t9b', 'add'],
      ['t10', 'sqrt'],
      ['t11', 'log'],
      ['t12', 'neg'],
      ['t13', 'pow'],
      ['2x', 'div'],
      ['exp', 'exp'],
      ['dt', 'dot'],
      ['norm-of', 'norm'],
      ['Wd', 'dense-parameter', { rows: 3, cols: 2 }],
      ['H', 'matmul'],
      ['Hr', 'relu'],
      ['Hd', 'dropout', { p: 0.3 }],
      ['Ht', 'dense-transpose'],
      ['rs', 'reshape', { shape: [-1] }],
      ['cc', 'concat'],
      ['mg', 'matrix-graph', { classes: 2, features: 3 }],
      ['ga', 'gather'],
      ['sm', 'softmax'],
      ['lsm', 'log-softmax'],
      ['mn', 'mean', { axis: 0 }],
      ['sm2', 'sum', { axis: 1, keepdims: true }],
      ['Kdrop', 'sparse-dropout', { p: 0.2 }],
      ['kd', 'spmv'],
      ['Adiff', 'diffusion-parameter', { nx: 3, ny: 4 }],
      ['ud', 'spsolve'],
      ['noisy', 'add-noise', { level: 0.1, scale: 'absolute' }],
      ['AM', 'normalize-adjacency'],
      ['RN', 'row-normalize'],
      ['an', 'spdmm'],
      ['rn', 'spmv'],
      ['Pm', 'sparse-parameter', { pattern: 'tridiagonal', diagonal: 0.2 }],
      ['sx', 'smoother', { sweeps: 2 }],
      ['bcg', 'block-cg', { iterations: 2 }],
      ['energy', 'energy-loss', { reduction: 'mean', weight: 0.01 }],
      ['residual', 'residual-loss', { form: 'norm', weight: 0.1 }],
      ['loss', 'mse-loss'],
      ['history', 'weighted-residual-loss', { gamma: 0.5 }],
      ['ce', 'cross-entropy-loss', { weight: 0.5 }],
      ['lossCc', 'sum-loss', { weight: 0.01 }],
      ['lossDot', 'sum-loss', { weight: 0.01 }],
      ['lossNorm', 'sum-loss', { weight: 0.01 }],
      ['lossLsm', 'sum-loss', { weight: 0.001 }],
      ['lossMn', 'sum-loss', { weight: 0.01 }],
      ['lossSm2', 'sum-loss', { weight: 0.01 }],
      ['lossGa', 'sum-loss', { weight: 0.01 }],
      ['lossSm', 'sum-loss', { weight: 0.01 }],
      ['lossKd', 'sum-loss', { weight: 0.001 }],
      ['lossUd', 'sum-loss', { weight: 0.01 }],
      ['lossNoisy', 'sum-loss', { weight: 0.01 }],
      ['lossAn', 'sum-loss', { weight: 0.01 }],
      ['lossBcg', 'weighted-residual-loss', { gamma: 0.8 }],
      ['lossZ', 'sum-loss', { weight: 0.001 }],
      ['lossY64', 'sum-loss', { weight: 0.001 }],
      ['cl', 'clamp', { min: -0.5, max: 0.5 }],
      ['wh', 'where'],
      ['ds', 'dense-solve'],
      ['dts', 'dense-triangular-solve', { lower: false }],
      ['nll', 'nll-loss', { weight: 0.1 }],
      ['lossWh', 'sum-loss', { weight: 0.01 }],
      ['lossDts', 'sum-loss', { weight: 0.001 }],
      ['RS', 'random-sparse', { rows: 12, cols: 12, density: 0.3, spd: true }],
      ['RU', 'random-sparse', { rows: 12, cols: 12, density: 0.2, values: 'uniform' }],
      ['rsx', 'spmv'],
      ['rux', 'spmv'],
      ['lossRs', 'sum-loss', { weight: 0.001 }],
      ['lossRu', 'sum-loss', { weight: 0.001 }],
      ['G2', 'poisson2d', { nx: 4, ny: 3 }],
      ['g2', 'spmv'],
      ['lossG2', 'sum-loss', { weight: 0.001 }],
      ['monitor', 'sum-loss', { role: 'monitor' }],
    ],
    edges: [
      'P1.A -> K.A', 'P2.A -> K.B', 'K.K -> KT.A', 'KT.AT -> L.A', 'K.K -> U.A',
      'K.K -> C.A', 'U.T -> C.B', 's.value -> C.alpha',
      'K.K -> x.like', 'K.K -> xr.like', 'K.K -> xb.like',
      'C.C -> y1.A', 'x.b -> y1.x', 'L.T -> y2.L', 'y1.y -> y2.b', 'U.T -> y3.L', 'y2.x -> y3.b',
      'K.K -> w.like', 'w.value -> ww.a', 'y3.x -> ww.b',
      'K.K -> d.A', 'd.d -> Dm.v', 'K.K -> I.like', 'Dm.D -> E.A', 'I.I -> E.B',
      'K.K -> z.A', 'ww.y -> z.b',
      'C.C -> vals.A', 'vals.values -> sv.x', 'C.C -> W.A', 'sv.y -> W.values', 'W.B -> zz.A', 'z.x -> zz.x',
      'K.K -> Kd.A', 'Kd.D -> Ks.D', 'Ks.A -> zk.A', 'zz.y -> zk.x',
      'K.K -> K32.A', 'x.b -> x32.x', 'K32.B -> y32.A', 'x32.y -> y32.x', 'y32.y -> y64.x',
      'K.K -> X.like', 'K.K -> om.like',
      'K.K -> jac.A', 'X.X -> jac.x', 'om.value -> jac.omega', 'x.b -> jac.b',
      'K.K -> hb.A', 'X.X -> hb.x', 'a.value -> hb.alpha', 'bb.value -> hb.beta', 'xb.b -> hb.b',
      'K.K -> pcg.A', 'xr.b -> pcg.b', 'E.C -> pcg.M',
      'zk.y -> t1.x', 'y64.y -> t2.x', 't1.y -> t3.a', 't2.y -> t3.b', 't3.y -> t4.x', 't3.y -> t5.x',
      't4.y -> t6.a', 't5.y -> t6.b', 't4.y -> t7.a', 't5.y -> t7.b', 't6.y -> t8.a', 't7.y -> t8.b', 't8.y -> t9.x',
      't9.y -> t9b.a', 'one.value -> t9b.b', 't9b.y -> t10.x', 't10.y -> t11.x', 't11.y -> t12.x',
      't10.y -> t13.a', 'two.value -> t13.b', 't13.y -> 2x.a', 't10.y -> 2x.b', 't12.y -> exp.x',
      '2x.y -> dt.a', 'xr.b -> dt.b', 'exp.y -> norm-of.x',
      'jac.y -> H.A', 'Wd.value -> H.B', 'H.C -> Hr.x', 'Hr.y -> Hd.x', 'Hd.y -> Ht.x', 'Ht.y -> rs.x', 'rs.y -> cc.a', '2x.y -> cc.b',
      'K.K -> mg.A', 'jac.y -> ga.x', 'mg.train -> ga.rows', 'H.C -> sm.x', 'H.C -> lsm.x', 'jac.y -> mn.x', 'hb.y -> sm2.x',
      'K.K -> Kdrop.A', 'Kdrop.B -> kd.A', 'x.b -> kd.x',
      'Adiff.A -> ud.A', 'x.b -> ud.b', 'xb.b -> noisy.x',
      'mg.adjacency -> AM.A', 'K.K -> RN.A', 'AM.Ahat -> an.A', 'mg.features -> an.D',
      'RN.B -> rn.A', 'x.b -> rn.x',
      'K.K -> Pm.like', 'K.K -> sx.A', 'Pm.value -> sx.M', 'X.X -> sx.b', 'K.K -> bcg.A', 'X.X -> bcg.b', 'sx.x -> bcg.x0',
      'K.K -> energy.A', 'jac.y -> energy.x', 'K.K -> residual.A', 'hb.y -> residual.x', 'xb.b -> residual.b',
      '2x.y -> loss.x', 'xr.b -> loss.target', 'pcg.residuals -> history.residuals',
      'H.C -> ce.logits', 'mg.labels -> ce.labels', 'mg.train -> ce.rows',
      'cc.y -> lossCc.x', 'dt.y -> lossDot.x', 'norm-of.y -> lossNorm.x', 'lsm.y -> lossLsm.x', 'mn.y -> lossMn.x', 'sm2.y -> lossSm2.x',
      'ga.y -> lossGa.x', 'sm.y -> lossSm.x', 'kd.y -> lossKd.x', 'ud.x -> lossUd.x', 'noisy.y -> lossNoisy.x', 'rn.y -> lossAn.x',
      'bcg.residuals -> lossBcg.residuals', 'z.x -> lossZ.x', 'y64.y -> lossY64.x', 't8.y -> cl.x', 'xr.b -> wh.cond', 'cl.y -> wh.a', 't9.y -> wh.b', 'wh.y -> lossWh.x',
      'Kd.D -> ds.A', 'ww.y -> ds.b', 'Kd.D -> dts.L', 'ds.x -> dts.b', 'dts.x -> lossDts.x',
      'lsm.y -> nll.logp', 'mg.labels -> nll.labels', 'mg.test -> nll.rows',
      'RS.A -> rsx.A', 'w.value -> rsx.x', 'rsx.y -> lossRs.x', 'RU.A -> rux.A', 'w.value -> rux.x', 'rux.y -> lossRu.x',
      'G2.A -> g2.A', 'w.value -> g2.x', 'g2.y -> lossG2.x', 'an.Y -> monitor.x',
    ],
    training: { epochs: 3, runs: 2, seed: 7, optimizer: { kind: 'adamw', lr: 0.01, weightDecay: { Wd: 0.01, om: 0.001 } } },
  }).graph;
  return g;
}
