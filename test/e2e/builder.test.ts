// End to end, the node editor in browser mode (Chromium via playwright-core):
// from an empty canvas, build the Jacobi problem by dragging node kinds from the
// palette and wiring ports with the mouse, counting the actions; run it to
// Finished and see its loss chart; see a wrong connection refused with its
// reason; save, reload the page, load the file and get the same graph; and, on
// a 200-node graph, measure the longest main-thread task while a node is
// dragged (printed, not asserted: tests never fail on timing).
// Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { nodeCatalogue, templates, type Graph, type NodeKindInfo } from '../../experiments/graph/index.js';
import { jacobiPreset } from '../../experiments/spec/presets.js';
import { sharedData } from '../helpers.js';
import { Editor } from './graph-editor.js';
import { ARTIFACTS, type ElementLike, missingPrerequisite, startLab, type Lab } from './harness.js';

const skip = missingPrerequisite();

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs a test body; on failure, a screenshot of how the page looked goes beside the others. */
async function shootFailure(page: () => Page, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    await shot(page(), `${name}-FAILED`).catch(() => undefined);
    throw e;
  }
}

/**
 * Fields that only pin a random stream to the v1 presets' (so the template's
 * numbers equal today's bit for bit): the problem is the same without them,
 * so the build does not type them.
 */
const NOT_THE_PROBLEM = new Set(['stream']);

/** Output nodes that only draw a figure of the result. */
const FIGURES = new Set(['chart', 'heatmap']);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A graph with ids replaced by each node's position in the order given, and without layout or stream fields: what makes it this problem. */
function canonical(g: Pick<Graph, 'nodes' | 'edges'>, order: string[], defaults: Record<string, Record<string, unknown>>): unknown {
  const index = new Map(order.map((id, i) => [id, i]));
  const nodes = g.nodes
    .map((n) => {
      const fields: Record<string, unknown> = { ...defaults[n.kind], ...n.fields };
      for (const k of NOT_THE_PROBLEM) delete fields[k];
      return { at: index.get(n.id), kind: n.kind, fields: Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))) };
    })
    .sort((a, b) => a.at! - b.at!);
  const edges = g.edges.map((e) => `${index.get(e.from.node)}.${e.from.port}->${index.get(e.to.node)}.${e.to.port}`).sort();
  return { nodes, edges };
}

/** Columns by depth (longest path from a source), so the drops land left to right as data flows. */
function depths(g: Graph): Map<string, number> {
  const depth = new Map(g.nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < g.nodes.length; pass++) for (const e of g.edges) depth.set(e.to.node, Math.max(depth.get(e.to.node)!, depth.get(e.from.node)! + 1));
  return depth;
}

describe('the node editor in a browser', { skip: skip ?? false }, () => {
  let lab: Lab;
  const catalogue = new Map<string, NodeKindInfo>();
  let jacobi: Graph;
  before(async () => {
    process.env.SPARSE_AD_DATA ??= sharedData();
    for (const k of nodeCatalogue()) catalogue.set(k.kind, k);
    jacobi = templates().find((t) => t.name === 'jacobi')!.graph;
    lab = await startLab();
    await lab.page.getByRole('tab', { name: 'Problem builder' }).click();
  });
  after(async () => {
    await lab?.stop();
  });

  it('builds the Jacobi problem from an empty canvas with drags, connections and edits, runs it to Finished and shows its loss', () =>
    shootFailure(() => lab.page, 'builder-build', async () => {
      const { page } = lab;
      const ed = new Editor(page);
      await page.getByRole('button', { name: 'New empty' }).click();
      await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Empty graph' }).waitFor();
      assert.equal((await ed.nodeIds()).length, 0, 'the canvas starts empty');
      // The problem is the template less its figures (a chart of the learned weights draws; it computes nothing).
      const figures = new Set(jacobi.nodes.filter((n) => FIGURES.has(n.kind)).map((n) => n.id));
      const problem: Graph = { ...jacobi, nodes: jacobi.nodes.filter((n) => !figures.has(n.id)), edges: jacobi.edges.filter((e) => !figures.has(e.to.node)) };
      console.log(`building ${problem.nodes.length} nodes and ${problem.edges.length} edges of the Jacobi template (left out, a figure: ${[...figures].join(', ') || 'none'})`);

      // Drop every node of the problem, in columns by depth, typing only the fields whose value is not the kind's
      // default. A node fed by a node already there is dropped onto that output port (the new node's first input
      // of that type is wired in the same gesture); the remaining edges are drawn handle to handle.
      const depth = depths(problem);
      const columns = Math.max(...depth.values()) + 1;
      const perColumn = new Map<number, number>();
      const ids = new Map<string, string>();
      const wired = new Set<string>();
      for (const n of problem.nodes) {
        const d = depth.get(n.id)!;
        const row = perColumn.get(d) ?? 0;
        perColumn.set(d, row + 1);
        const info = catalogue.get(n.kind)!;
        const feeder = problem.edges.find((e) => {
          if (e.to.node !== n.id || !ids.has(e.from.node)) return false;
          const type = catalogue.get(problem.nodes.find((m) => m.id === e.from.node)!.kind)!.outputs.find((p) => p.name === e.from.port)!.type;
          return info.inputs.find((p) => p.type === type)?.name === e.to.port;
        });
        const id = feeder ? await ed.dropOnto(n.kind, [ids.get(feeder.from.node)!, feeder.from.port]) : await ed.drop(n.kind, 0.06 + (0.74 * d) / Math.max(1, columns - 1), 0.1 + 0.28 * row);
        if (feeder) wired.add(feeder.id);
        ids.set(n.id, id);
        for (const [field, value] of Object.entries(n.fields)) {
          if (NOT_THE_PROBLEM.has(field) || same(value, info.defaults[field])) continue;
          await ed.edit(field, typeof value === 'string' ? value : JSON.stringify(value));
        }
      }
      for (const e of problem.edges) if (!wired.has(e.id)) await ed.connect([ids.get(e.from.node)!, e.from.port], [ids.get(e.to.node)!, e.to.port]);

      // Training settings that differ from a new graph's: typed with nothing selected.
      await page.locator('.canvas .react-flow__pane').click({ position: { x: 8, y: 8 } });
      const t = jacobi.training;
      const settings: [string, unknown, string][] = [
        ['Optimizer', t.optimizer.kind, t.optimizer.kind],
        ['Learning rate', t.optimizer.lr, String(t.optimizer.lr)],
        ['Epochs', t.epochs, String(t.epochs)],
        ['Runs', t.runs, String(t.runs)],
        ['Seed', t.seed, String(t.seed)],
      ];
      for (const [label, want, text] of settings) {
        const box = page.locator('.inspector').getByLabel(label, { exact: true });
        if ((await box.inputValue()) !== String(want)) await ed.edit(label, text);
      }
      await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Layout' }).click();
      await shot(page, 'builder-jacobi-built');
      console.log(`Jacobi from an empty canvas: ${ed.actions} actions (bar: ≤ 12)\n  ${ed.log.join('\n  ')}`);

      // It is the template's problem: same kinds, fields and wiring (ids and layout aside).
      const saved = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Save JSON' }).click();
      const built = JSON.parse(readFileSync(await (await saved).path(), 'utf8')) as Graph;
      const defaults = Object.fromEntries([...catalogue].map(([k, v]) => [k, v.defaults]));
      assert.deepEqual(canonical(built, problem.nodes.map((n) => ids.get(n.id)!), defaults), canonical(problem, problem.nodes.map((n) => n.id), defaults));
      assert.deepEqual({ ...built.training, optimizer: { ...built.training.optimizer } }, { ...jacobi.training, optimizer: { ...jacobi.training.optimizer } });

      await page.getByRole('button', { name: 'Run this problem' }).click();
      const runState = page.getByRole('status', { name: 'Run state' });
      await runState.filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
      const loss = page.getByRole('region', { name: 'Loss' });
      await loss.waitFor();
      assert.equal(Number(await loss.getAttribute('data-full-points')), jacobi.training.epochs, 'one loss point per epoch');
      // Item 8: a finished run's progress line ends at its last epoch.
      assert.match(await page.locator('.progress .eta').innerText(), new RegExp(`epoch ${jacobi.training.epochs} of ${jacobi.training.epochs}`));
      await shot(page, 'builder-jacobi-trained');
    }));

  it('shows what flowed on an edge in the last epoch after the run', () =>
    shootFailure(() => lab.page, 'builder-probe', async () => {
      const { page } = lab;
      await page.getByRole('tab', { name: 'Problem builder' }).click();
      // The edge out of the learnable weights: its values and their gradient.
      const param = jacobi.nodes.find((n) => catalogue.get(n.kind)!.category === 'parameters')!;
      const edge = page.locator(`.react-flow__edge[data-id^="${param.kind.replace(/[^A-Za-z0-9_]+/g, '_')}"]`).first();
      const probe = page.getByLabel('What flowed in the last epoch');
      // On a loaded machine a click can land while the canvas is still settling (the tab just
      // shown, the view fitted) and select nothing: click again until the edge is selected.
      for (let attempt = 1; ; attempt++) {
        await edge.locator('.react-flow__edge-interaction').click({ force: true });
        try {
          await probe.waitFor({ timeout: 4_000 });
          break;
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
      await probe.getByText('Gradient of the loss').waitFor();
      await shot(page, 'builder-probe');
    }));

  it('refuses a wrong connection and says why', () =>
    shootFailure(() => lab.page, 'builder-refusal', async () => {
      const { page } = lab;
      const ed = new Editor(page);
      // A dense output into a sparse input: the catalogue's types say no.
      const ids = await ed.nodeIds();
      const kinds = new Map<string, NodeKindInfo>();
      for (const id of ids) kinds.set(id, catalogue.get((await page.locator(`.react-flow__node[data-id="${id}"] .op-node`).getAttribute('data-kind'))!)!);
      let from: [string, string] | undefined;
      let to: [string, string] | undefined;
      for (const [id, k] of kinds) {
        const out = k.outputs.find((p) => p.type === 'dense');
        if (out && !from) from = [id, out.name];
      }
      for (const [id, k] of kinds) {
        const inp = k.inputs.find((p) => p.type === 'sparse');
        if (inp && id !== from?.[0] && !to) to = [id, inp.name];
      }
      assert.ok(from && to, 'the Jacobi graph has a dense output and a sparse input');
      const edges = await page.locator('.react-flow__edge').count();
      await ed.connect(from, to);
      const refusal = page.getByRole('alert', { name: 'Connection refused' });
      await refusal.waitFor();
      assert.match(await refusal.innerText(), new RegExp(`Cannot connect ${from.join('\\.')} → ${to.join('\\.')}: .* gives a dense tensor but input "${to[1]}" .* takes a sparse matrix`));
      assert.equal(await page.locator('.react-flow__edge').count(), edges, 'no edge was added');
      await shot(page, 'builder-refusal');

      // A shape only the host can tell: a 1-D Poisson of another size into a fresh energy loss fed by the 16-vector.
      const lossNode = jacobi.nodes.find((n) => catalogue.get(n.kind)!.category === 'losses')!;
      const lossInfo = catalogue.get(lossNode.kind)!;
      const sparseIn = lossInfo.inputs.find((p) => p.type === 'sparse');
      const denseIn = lossInfo.inputs.find((p) => p.type === 'dense');
      const feeder = jacobi.edges.find((e) => e.to.node === lossNode.id && e.to.port === denseIn?.name);
      if (sparseIn && denseIn && feeder) {
        const idOf = (templateId: string): string => ids.find((id) => kinds.get(id)!.kind === jacobi.nodes.find((n) => n.id === templateId)!.kind)!;
        const loss2 = await ed.drop(lossNode.kind, 0.85, 0.85);
        await ed.connect([idOf(feeder.from.node), feeder.from.port], [loss2, denseIn.name]);
        await page.getByRole('status', { name: 'Graph check' }).filter({ hasNotText: 'checking' }).waitFor();
        const big = await ed.drop('poisson1d', 0.55, 0.85);
        await ed.edit('n', '32');
        await page.getByRole('status', { name: 'Graph check' }).filter({ hasNotText: 'checking' }).waitFor();
        await ed.connect([big, 'A'], [loss2, sparseIn.name]);
        await refusal.filter({ hasText: new RegExp(`Cannot connect ${big}\\.A → ${loss2}\\.${sparseIn.name}: .*(16|32)`) }).waitFor({ timeout: 10_000 });
        console.log(`shape refusal: ${await refusal.innerText()}`);
        await shot(page, 'builder-shape-refusal');
        // Undo the two drops, the edge and the edit (the refused edge left no step): back to the Jacobi graph.
        for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Undo (Ctrl+Z)' }).click();
      } else console.log(`shape refusal not tried: the ${lossNode.kind} node has no sparse and dense inputs`);
    }));

  it('saves the graph, reloads the page, loads the file and gets the same graph', () =>
    shootFailure(() => lab.page, 'builder-save-load', async () => {
      const { page } = lab;
      const save = async (): Promise<string> => {
        const saved = page.waitForEvent('download');
        await page.getByRole('button', { name: 'Save JSON' }).click();
        return readFileSync(await (await saved).path(), 'utf8');
      };
      const first = await save();
      const file = join(ARTIFACTS, 'builder-graph.json');
      writeFileSync(file, first);
      await page.reload();
      await page.getByRole('tab', { name: 'Problem builder' }).click();
      await page.getByLabel('Load JSON').setInputFiles(file);
      await page.getByRole('status', { name: 'Graph check' }).filter({ hasNotText: 'checking' }).waitFor();
      assert.deepEqual(JSON.parse(await save()), JSON.parse(first));
      await shot(page, 'builder-reloaded');
    }));

  it('edits from the keyboard: a palette item added with Enter, copy/paste, undo/redo, delete', () =>
    shootFailure(() => lab.page, 'builder-keyboard', async () => {
      const { page } = lab;
      const ed = new Editor(page);
      const count = async (): Promise<number> => (await ed.nodeIds()).length;
      const n0 = await count();
      await page.getByLabel('Search node kinds').fill('spmv');
      await page.locator('.palette-item[data-kind="spmv"]').focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.react-flow__node').length === n + 1, n0);
      await page.getByLabel('Search node kinds').fill('');
      // The new node is selected (focus it, as Tab would): copy it, paste twice, take one paste back and forth, delete the selection.
      await page.locator('.react-flow__node.selected').focus();
      await page.keyboard.press('Control+c');
      await page.keyboard.press('Control+v');
      await page.keyboard.press('Control+v');
      assert.equal(await count(), n0 + 3);
      await page.keyboard.press('Control+z');
      assert.equal(await count(), n0 + 2);
      await page.keyboard.press('Control+Shift+z');
      assert.equal(await count(), n0 + 3);
      await page.keyboard.press('Delete');
      assert.equal(await count(), n0 + 2, 'the selected (last pasted) node is deleted');
      await page.keyboard.press('Control+z');
      await page.keyboard.press('Control+z');
      await page.keyboard.press('Control+z');
      await page.keyboard.press('Control+z');
      assert.equal(await count(), n0, 'undo walks back to before the Enter');
    }));

  it('loads a version 1 spec converted to a graph', () =>
    shootFailure(() => lab.page, 'builder-v1', async () => {
      const { page } = lab;
      const spec = { ...jacobiPreset, name: 'jacobi-v1', epochs: 30 };
      await page.getByLabel('Load JSON').setInputFiles({ name: 'jacobi-v1.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(spec)) });
      await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 20_000 });
      assert.ok((await new Editor(page).nodeIds()).length >= 3, 'the spec became nodes');
    }));

  it('keeps dragging a node of a 200-node graph responsive (longest main-thread task printed, beside a 10-node graph dragged the same way)', () =>
    shootFailure(() => lab.page, 'builder-200', async () => {
      const { page } = lab;
      /** Loads `pairs` matrices each feeding a vector sized like it, drags one node in circles for 4 s, and reads the long tasks. */
      const dragOn = async (pairs: number): Promise<{ id: string; moves: number; tasks: number[] }> => {
        const nodes: Graph['nodes'] = [];
        const edges: Graph['edges'] = [];
        for (let i = 0; i < pairs; i++) {
          nodes.push({ id: `A${i}`, kind: 'poisson1d', fields: { n: 8 + (i % 9) }, position: { x: Math.floor(i / 20) * 520, y: (i % 20) * 130 } });
          nodes.push({ id: `b${i}`, kind: 'vector', fields: {}, position: { x: Math.floor(i / 20) * 520 + 250, y: (i % 20) * 130 } });
          edges.push({ id: `A${i}.A->b${i}.like`, from: { node: `A${i}`, port: 'A' }, to: { node: `b${i}`, port: 'like' } });
        }
        const graph = { ...jacobi, name: `${2 * pairs}-nodes`, nodes, edges };
        await page.getByLabel('Load JSON').setInputFiles({ name: `${2 * pairs}-nodes.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(graph)) });
        await page.locator(`.react-flow__node[data-id="b${pairs - 1}"]`).waitFor();
        await page.getByRole('status', { name: 'Graph check' }).filter({ hasNotText: 'checking' }).waitFor({ timeout: 20_000 });
        if (pairs > 10) {
          await page.getByRole('button', { name: 'Zoom in' }).click();
          await page.getByRole('button', { name: 'Zoom in' }).click();
        }
        await page.waitForTimeout(500);
        await page.evaluate(() => {
          const g = globalThis as unknown as { __longtasks: number[]; __observer?: { disconnect(): void }; PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: object): void; disconnect(): void } };
          g.__observer?.disconnect();
          g.__longtasks = [];
          g.__observer = new g.PerformanceObserver((list) => {
            for (const e of list.getEntries()) g.__longtasks.push(e.duration);
          });
          (g.__observer as unknown as { observe(o: object): void }).observe({ type: 'longtask' });
        });
        const pane = await new Editor(page).paneBox();
        // A node whose header is well inside the pane, so the circles stay on the canvas.
        const all = page.locator('.react-flow__node');
        let id = '';
        let box = { x: 0, y: 0, width: 0, height: 0 };
        for (let k = 0; k < (await all.count()) && !id; k++) {
          const r = await all.nth(k).locator('.op-head').boundingBox();
          if (r && r.x > pane.x + 150 && r.y > pane.y + 120 && r.x + r.width < pane.x + pane.width - 150 && r.y + r.height < pane.y + pane.height - 150) {
            id = (await all.nth(k).getAttribute('data-id'))!;
            box = r;
          }
        }
        assert.ok(id, 'a node in the middle of the canvas');
        const cx = box.x + box.width / 2;
        const cy = box.y + box.height / 2;
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        const t0 = Date.now();
        let moves = 0;
        // Circles for 4 seconds, a move every ~16 ms at most (a 60 Hz mouse; each move waits for the page to take it).
        while (Date.now() - t0 < 4000) {
          const a = (moves / 30) * Math.PI;
          await page.mouse.move(Math.min(pane.x + pane.width - 10, cx + 120 * Math.cos(a) - 60), Math.min(pane.y + pane.height - 10, cy + 90 * Math.sin(a) + 40));
          moves++;
          await page.waitForTimeout(16);
        }
        await page.mouse.up();
        await page.waitForTimeout(300);
        return { id, moves, tasks: await page.evaluate(() => (globalThis as unknown as { __longtasks: number[] }).__longtasks) };
      };
      const say = (n: number, r: { moves: number; tasks: number[] }): string =>
        `${n} nodes: ${r.moves} moves in 4 s, ${r.tasks.length} long tasks (> 50 ms), longest ${(r.tasks.length ? Math.max(...r.tasks) : 0).toFixed(0)} ms`;
      const small = await dragOn(5);
      const big = await dragOn(100);
      console.log(`dragging one node (bar: no main-thread task over 100 ms at 200 nodes) — ${say(200, big)}; same drag, ${say(10, small)}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
      await shot(page, 'builder-200-nodes');
      // The whole drag is one step of undo.
      const dragged = page.locator(`.react-flow__node[data-id="${big.id}"]`);
      const before = await dragged.getAttribute('style');
      await page.getByRole('button', { name: 'Undo (Ctrl+Z)' }).click();
      assert.notEqual(await dragged.getAttribute('style'), before, 'undo moved the node back');
    }));

  it('lists the solver nodes under solvers in the palette, and builds the gaussian-field template that uses them', () =>
    shootFailure(() => lab.page, 'builder-solvers', async () => {
      const { page } = lab;
      const solvers = page.getByRole('complementary', { name: 'Node palette' }).getByRole('region', { name: 'solvers' });
      const kinds = await solvers.locator('.palette-item').evaluateAll((els) => els.map((e) => (e as unknown as ElementLike).getAttribute('data-kind')));
      assert.deepEqual(kinds, ['logdet', 'cholesky-solve', 'cg-solve', 'minres-solve', 'gmres-solve', 'bicgstab-solve']);
      await page.getByLabel('New from template').selectOption('gaussian-field');
      await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 20_000 });
      for (const kind of ['logdet', 'cholesky-solve', 'cg-solve']) await page.locator(`.react-flow__node .op-node[data-kind="${kind}"]`).first().waitFor();
    }));

  it('logged no console errors', () => {
    assert.deepEqual(lab.errors, []);
  });
});
