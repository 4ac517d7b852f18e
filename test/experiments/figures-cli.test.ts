// Results carry a summary (initial and final loss, and each template's own
// numbers); every paper figure (3–10) and every view is drawn as a
// self-contained, well-formed SVG; the CLI lists the templates, runs a template,
// a graph file or a v1 spec file, writes result.json and the figures, prints
// export-ts, and reports bad input naming the field or node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { paperFigures } from '../../experiments/figures/paper.js';
import { niceTicks, logTicks } from '../../experiments/figures/svg.js';
import { viewFigures } from '../../experiments/figures/views.js';
import { templates } from '../../experiments/graph/index.js';
import { runExperiment } from '../../experiments/runner/run.js';
import type { ExperimentResult } from '../../experiments/runner/types.js';
import { sharedData } from '../helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'h6-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const SUMMARY_KEYS: Record<string, string[]> = {
  jacobi: ['initialLoss', 'finalLoss', 'runs', 'epochs', 'omega'],
  heavyball: ['initialLoss', 'finalLoss', 'runs', 'epochs', 'testLoss', 'alpha', 'beta'],
  pcg: ['initialLoss', 'finalLoss', 'runs', 'epochs', 'L', 'relativeResidual'],
  gcn: ['initialLoss', 'finalLoss', 'runs', 'epochs', 'trainAccuracy', 'trainAccuracyMean', 'trainAccuracyStd', 'valAccuracy', 'valAccuracyMean', 'valAccuracyStd', 'testAccuracy', 'testAccuracyMean', 'testAccuracyStd'],
};

/** A template's graph with changes to its training settings. */
function template(name: string, training: Record<string, unknown>) {
  const g = templates().find((t) => t.name === name)!.graph;
  Object.assign(g.training, training);
  return g;
}

/** Balanced tags, nothing that reaches outside the file. */
function assertSelfContainedSvg(svg: string, file: string): void {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), file);
  assert.ok(svg.trimEnd().endsWith('</svg>'), file);
  const outside = svg.replace('xmlns="http://www.w3.org/2000/svg"', '');
  assert.ok(!/https?:|href|<script|<image|<foreignObject|@import/i.test(outside), `${file} refers to something outside itself`);
  for (const m of outside.matchAll(/url\(([^)]*)\)/g)) assert.ok(m[1]!.startsWith('#'), `${file}: ${m[0]}`);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)\b[^>]*?(\/?)>/g)) {
    const [, close, tag, selfClose] = m;
    if (selfClose) continue;
    if (close) assert.equal(stack.pop(), tag, `${file}: </${tag}> closes the wrong element`);
    else stack.push(tag!);
  }
  assert.deepEqual(stack, [], `${file}: unclosed elements`);
  assert.ok(!/NaN|Infinity/.test(svg), `${file} has non-finite coordinates`);
}

describe('results and figures', () => {
  it('summaries hold the loss and each template’s numbers, and Figs. 3–10 and the views are drawn once each', async () => {
    const results: ExperimentResult[] = [
      await runExperiment(template('jacobi', { epochs: 6 })),
      await runExperiment(template('heavyball', { epochs: 6 })),
      await runExperiment(template('pcg', { epochs: 6 })),
      await runExperiment(template('gcn', { runs: 2, epochs: 3 }), { dataDir: sharedData() }),
    ];
    const numbers: number[] = [];
    for (const r of results) {
      assert.deepEqual(Object.keys(r.summary), SUMMARY_KEYS[r.name], r.name);
      for (const f of paperFigures(r)) {
        numbers.push(f.figure);
        assert.match(f.file, new RegExp(`^fig${f.figure}-[a-z-]+\\.svg$`));
        assert.ok(f.svg.includes(`Fig. ${f.figure} `), f.file);
        assertSelfContainedSvg(f.svg, f.file);
      }
      assert.equal(r.views.length, 1, r.name);
      for (const f of viewFigures(r.views)) assertSelfContainedSvg(f.svg, f.file);
    }
    assert.deepEqual(numbers, [3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a heatmap view is drawn as a grid of cells', () => {
    const [f] = viewFigures([{ kind: 'heatmap', title: 'κ', width: 3, height: 2, values: [0, 1, 2, 3, 4, 5] }]);
    assertSelfContainedSvg(f!.svg, f!.file);
    assert.equal(f!.svg.match(/<rect x="\d+" y="\d+" width="16" height="16"/g)?.length, 6);
  });

  it('axis ticks are round numbers covering the data', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 1988), [0, 500, 1000, 1500, 2000]);
    assert.deepEqual(logTicks(3e-4, 0.3), [1e-4, 1e-3, 1e-2, 1e-1, 1]);
    assert.deepEqual(logTicks(1.2, 7.2), [1, 2, 5, 10]);
    const t = niceTicks(0.52, 0.79);
    assert.ok(t[0]! <= 0.52 && t[t.length - 1]! >= 0.79);
  });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'experiments', 'cli', 'experiment.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env },
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('npm run experiment', () => {
  it('lists the templates: the paper’s four first, each with a title and one line', () => {
    const r = cli('list');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), templates().map((t) => t.name));
    assert.deepEqual(lines.slice(0, 4).map((l) => l.split(/\s+/)[0]), ['jacobi', 'heavyball', 'pcg', 'gcn']);
    for (const [k, t] of templates().entries()) assert.ok(lines[k]!.includes(t.title), lines[k]);
  });

  it('runs a template with overrides and writes result.json (summary with finalLoss) and its figures', () => {
    const out = join(scratch, 'jacobi');
    const r = cli('jacobi', '--epochs', '4', '--seed', '3', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /jacobi: 1 run × 4 epochs, seed 3/);
    assert.match(r.stderr, /100% epoch 4\/4/);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ExperimentResult;
    assert.equal(result.spec.training.epochs, 4);
    assert.equal(result.spec.training.seed, 3);
    assert.deepEqual(Object.keys(result.summary), SUMMARY_KEYS.jacobi);
    assert.ok(Number.isFinite(result.summary.finalLoss));
    const printed = JSON.parse(r.stdout.slice(0, r.stdout.indexOf('\n}\n') + 2)) as { summary: unknown };
    assert.deepEqual(printed.summary, result.summary);
    for (const f of ['fig3-jacobi-loss-weights.svg', 'fig4-jacobi-final-weights.svg', 'view-1-learned-jacobi-weights-by-node-fig-4.svg', 'probes.json']) assert.ok(existsSync(join(out, f)), f);
  });

  it('export-ts prints the graph as a TypeScript script against the engine', () => {
    const r = cli('export-ts', 'heavyball');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /from 'sparse-ad-lab\/engine'/);
    assert.match(r.stdout, /final loss/);
  });

  it('runs a preset on the device with --device cuda (the emulated device here when there is no GPU)', () => {
    const out = join(scratch, 'pcg-cuda');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'experiments', 'cli', 'experiment.ts'), 'pcg', '--device', 'cuda', '--epochs', '3', '--out', out, '--quiet'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, SPARSE_AD_CUDA_EMULATION: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ExperimentResult;
    assert.equal(result.spec.training.device, 'cuda');
    const cpu = cli('pcg', '--epochs', '3', '--out', join(scratch, 'pcg-cpu'), '--quiet');
    assert.equal(cpu.status, 0, cpu.stderr);
    const c = JSON.parse(readFileSync(join(scratch, 'pcg-cpu', 'result.json'), 'utf8')) as ExperimentResult;
    const [dl, cl] = [(result.summary as { finalLoss: number }).finalLoss, (c.summary as { finalLoss: number }).finalLoss];
    assert.ok(Math.abs(dl - cl) <= 1e-8 * Math.abs(cl), `final loss on the device ${dl}, on the CPU ${cl}`);
  });

  it('runs a graph file, and reports a bad one on its node', () => {
    const graph = template('pcg', { epochs: 3 });
    graph.name = 'my-graph';
    const good = join(scratch, 'graph.json');
    writeFileSync(good, JSON.stringify(graph));
    const out = join(scratch, 'graph-out');
    const r = cli(good, '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ExperimentResult;
    assert.equal(result.name, 'my-graph');
    assert.ok(existsSync(join(out, 'fig8-pcg-residual-history.svg')));

    (graph.nodes.find((n) => n.id === 'pcg')!.fields as { iterations: number }).iterations = 0;
    writeFileSync(good, JSON.stringify(graph));
    const b = cli(good, '--out', join(scratch, 'bad-graph-out'));
    assert.equal(b.status, 1);
    assert.match(b.stderr, /^experiment: the graph has problems:\n {2}cg "pcg" field iterations: expected an integer in \[1, 10000\] but received 0\n/);
  });

  it('runs a spec file, and reports a bad one by field', () => {
    const good = join(scratch, 'pcg.json');
    writeFileSync(good, JSON.stringify({ version: 1, name: 'my-pcg', method: { kind: 'pcg', iterations: 3 }, epochs: 3 }));
    const out = join(scratch, 'pcg-out');
    const r = cli(good, '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ExperimentResult;
    assert.equal(result.name, 'my-pcg');
    assert.equal((result.spec.nodes.find((n) => n.kind === 'cg')!.fields as { iterations: number }).iterations, 3);
    assert.ok(existsSync(join(out, 'fig8-pcg-residual-history.svg')));

    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, method: { kind: 'jacobi' }, optimizer: { lr: -1 } }));
    const b = cli(bad, '--out', join(scratch, 'bad-out'));
    assert.equal(b.status, 1);
    assert.match(b.stderr, /spec\.optimizer\.lr: expected a number > 0 but received -1/);

    const u = cli('jacobi', '--epochz', '3');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /^experiment: Unknown option '--epochz'.*\n\nusage: npm run experiment/);
    const d = cli('jacobi', '--device', 'gpu');
    assert.equal(d.status, 2);
    assert.match(d.stderr, /^experiment: --device: expected cpu or cuda but received "gpu"\n/);
    const m = cli('no-such-template');
    assert.equal(m.status, 2);
    assert.match(m.stderr, new RegExp(`^experiment: no-such-template: no such template or file \\(templates: ${templates().map((t) => t.name).join(', ')}\\)`));
  });
});
