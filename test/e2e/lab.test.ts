// End to end, in browser mode: the built app served by `npm run serve`'s
// server, driven in Debian's Chromium by playwright-core. Screenshots go to
// test-artifacts/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sharedData } from '../helpers.js';
import { ARTIFACTS, missingPrerequisite, startLab, type BrowserGlobals, type CanvasLike, type Lab } from './harness.js';

const skip = missingPrerequisite();

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Non-white pixels of the spy-plot canvas. */
async function spyInk(page: Page): Promise<number> {
  return page.getByRole('img', { name: /^Spy plot/ }).evaluate((c) => {
    const canvas = c as unknown as CanvasLike;
    const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i]! < 250 || px[i + 1]! < 250 || px[i + 2]! < 250) ink++;
    return ink;
  });
}

const runState = (page: Page) => page.getByRole('status', { name: 'Run state' });

describe('the lab in a browser', { skip: skip ?? false }, () => {
  let lab: Lab;
  before(async () => {
    process.env.SPARSE_AD_DATA ??= sharedData();
    lab = await startLab();
  });
  after(async () => {
    await lab?.stop();
  });

  it('opens a real .mtx: statistics and a non-empty spy plot', async () => {
    const { page } = lab;
    await page.getByLabel('Open matrix files').setInputFiles(sharedData('matrices', 'west0479.mtx'));
    const spy = page.getByRole('img', { name: /^Spy plot of west0479\.mtx: 479 × 479, 1,910 stored entries/ });
    await spy.waitFor({ timeout: 20_000 });
    const stats = page.getByRole('definition').filter({ hasText: '1,910' });
    assert.ok((await stats.count()) > 0, 'nnz shown in the statistics');
    await page.getByText('Explicit zeros').waitFor();
    assert.ok((await spyInk(page)) > 100, 'the spy plot has ink');
    await shot(page, 'matrices');
  });

  it('a malformed file shows its error beside its name, and the app keeps working', async () => {
    const { page } = lab;
    await page.getByLabel('Open matrix files').setInputFiles(sharedData('matrices', 'malformed', 'nnz_mismatch_too_few.mtx'));
    const row = page.getByRole('row').filter({ hasText: 'nnz_mismatch_too_few.mtx' });
    await row.getByRole('alert').waitFor({ timeout: 20_000 });
    assert.match(await row.getByRole('alert').innerText(), /^readMatrixMarket: nnz_mismatch_too_few\.mtx:\d+: /);
    // Not a MatrixMarket file at all:
    await page.getByLabel('Open matrix files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByRole('row').filter({ hasText: 'notes.txt' }).getByRole('alert').waitFor();
    // Files dropped anywhere on the window open too.
    const text = readFileSync(sharedData('matrices', 'can_24.mtx'), 'utf8');
    const dropped = await page.evaluateHandle((t) => {
      const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (parts: string[], name: string) => unknown };
      const dt = new g.DataTransfer();
      dt.items.add(new g.File([t], 'can_24.mtx'));
      return dt;
    }, text);
    for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('main', type, { dataTransfer: dropped });
    await page.getByRole('img', { name: /^Spy plot of can_24\.mtx: 24 × 24, 160 stored entries/ }).waitFor({ timeout: 20_000 });
    // Still works: generate a matrix and see it.
    await page.getByLabel('Generator').selectOption('poisson2d');
    await page.getByLabel('nx').fill('30');
    await page.getByLabel('ny').fill('20');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByRole('img', { name: /^Spy plot of 2-D Poisson 30×20: 600 × 600, 2,900 stored entries/ }).waitFor({ timeout: 20_000 });
    await shot(page, 'matrices-with-error');
  });

  it('runs the Jacobi template: the chart grows while it runs, then the state reads Finished', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Problem builder' }).click();
    await page.getByLabel('New from template').selectOption('jacobi');
    const check = page.getByRole('status', { name: 'Graph check' });
    await check.filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 20_000 });
    // Save the graph as JSON, change it outside the app, load it back.
    const saved = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Save JSON' }).click();
    const graphPath = join(ARTIFACTS, 'jacobi-graph.json');
    await (await saved).saveAs(graphPath);
    const graph = JSON.parse(readFileSync(graphPath, 'utf8')) as { version: number; name: string; training: { epochs: number }; nodes: { kind: string }[] };
    assert.deepEqual([graph.version, graph.name, graph.training.epochs], [2, 'jacobi', 200]);
    assert.ok(graph.nodes.some((n) => n.kind === 'jacobi'), 'a Jacobi block');
    const longer = Buffer.from(JSON.stringify({ ...graph, name: 'jacobi-6000', training: { ...graph.training, epochs: 6000 } }));
    await page.getByLabel('Load JSON').setInputFiles({ name: 'jacobi-6000.json', mimeType: 'application/json', buffer: longer });
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('#field-training-epochs') as unknown as { value: string } | null)?.value === '6000');
    await check.filter({ hasText: 'Graph is valid' }).waitFor();
    // A bad value is named beside its field and stops the run button.
    await page.getByLabel('Learning rate').fill('-1');
    await page.locator('.field.invalid').filter({ hasText: 'Learning rate' }).getByRole('alert').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run this problem' }).isDisabled(), true);
    await page.getByLabel('Learning rate').fill('0.01');
    await check.filter({ hasText: 'Graph is valid' }).waitFor();
    await shot(page, 'problem-builder');
    await page.getByRole('button', { name: 'Run this problem' }).click();

    await runState(page).filter({ hasText: 'Running' }).waitFor({ timeout: 20_000 });
    const loss = page.getByRole('region', { name: 'Loss' });
    const seen = new Set<number>();
    while ((await runState(page).innerText()) === 'Running' && seen.size < 3) {
      const n = Number((await loss.getAttribute('data-full-points')) ?? 0);
      if (n > 0) seen.add(n);
      await page.waitForTimeout(150);
    }
    assert.ok(seen.size >= 2, `the loss chart grew while running (saw ${[...seen].join(', ')} points)`);
    await runState(page).filter({ hasText: 'Finished' }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(400);
    assert.equal(await loss.getAttribute('data-full-points'), '6000');
    assert.match(await page.getByRole('combobox', { name: 'Run' }).innerText(), /jacobi-6000/);
    assert.ok(Number(await loss.getAttribute('data-points')) <= 2000, 'at most 2k points drawn per series');
    await page.getByRole('region', { name: /Jacobi weights/ }).waitFor();
    // Item 8: the finished run's progress line ends at its last epoch.
    assert.match(await page.locator('.progress .eta').innerText(), /epoch 6000 of 6000/);
    await page.getByLabel('Smoothing').fill('0.9');
    await page.getByLabel('Log scale').uncheck();
    await shot(page, 'training-jacobi');
    await page.getByLabel('Log scale').check();
  });

  it('starts GCN and cancels it', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Problem builder' }).click();
    await page.getByLabel('New from template').selectOption('gcn');
    await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Run this problem' }).click();
    await runState(page).filter({ hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await page.getByRole('progressbar', { name: 'Training progress' }).waitFor();
    // Let it train a little (CiteSeer loads first), then cancel.
    await page.getByRole('region', { name: 'Metrics' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await runState(page).filter({ hasText: 'Cancelled' }).waitFor({ timeout: 20_000 });
    await shot(page, 'training-gcn-cancelled');
  });

  it('runs a quick timing and exports CSV and HTML that are valid files', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Timing' }).click();
    // A small study: SpMV and its dense counterpart in float64, with the scaling sweep, no peers.
    for (const op of ['spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve', 'cholesky', 'logdet', 'cg']) await page.getByRole('checkbox', { name: op, exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'float32', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'SciPy / PyTorch peers' }).uncheck();
    await page.getByRole('button', { name: 'Run timing' }).click();
    await page.getByRole('status', { name: 'Timing state' }).filter({ hasText: 'Finished' }).waitFor({ timeout: 120_000 });
    const csvDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csvPath = join(ARTIFACTS, 'timing.csv');
    await (await csvDownload).saveAs(csvPath);
    const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
    assert.ok(csv.length >= 2, 'a header and at least one row');
    const width = csv[0]!.split(',').length;
    assert.ok(width > 3);
    for (const line of csv.slice(1)) assert.equal(line.split(',').length >= width, true, `row ${line}`);
    const htmlDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export HTML' }).click();
    const htmlPath = join(ARTIFACTS, 'timing.html');
    await (await htmlDownload).saveAs(htmlPath);
    const html = readFileSync(htmlPath, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /<\/html>\s*$/i);
    assert.doesNotMatch(html, /(src|href)=["']https?:/i, 'self-contained');
    await page.getByRole('region', { name: 'Sparse vs dense (median, CPU)' }).waitFor();
    await page.getByRole('region', { name: 'Scaling on log-log axes' }).waitFor();
    await shot(page, 'timing');
  });

  it('runs the solver rows of the timing study (Cholesky solve, logdet, CG) and shows them, the dense logdet absent with its reason', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Timing' }).click();
    await page.getByRole('checkbox', { name: 'spmv', exact: true }).uncheck();
    for (const op of ['cholesky', 'logdet', 'cg']) await page.getByRole('checkbox', { name: op, exact: true }).check();
    await page.getByRole('checkbox', { name: 'float32', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'SciPy / PyTorch peers' }).uncheck();
    await page.getByRole('button', { name: 'Run timing' }).click();
    // Rows of this study only (the one before timed SpMV): they appear when it has finished.
    await page.getByRole('cell', { name: 'Cholesky solve', exact: true }).first().waitFor({ timeout: 180_000 });
    await page.getByRole('status', { name: 'Timing state' }).filter({ hasText: 'Finished' }).waitFor({ timeout: 20_000 });
    for (const test of ['logdet', 'CG']) await page.getByRole('cell', { name: test, exact: true }).first().waitFor();
    await page.getByRole('cell', { name: 'absent: the engine has no dense log-determinant to compare with' }).first().waitFor();
    await page.getByRole('region', { name: 'Sparse vs dense (median, CPU)' }).waitFor();
    await shot(page, 'timing-solvers');
  });

  it('is keyboard reachable: Tab walks the tabs and the controls', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Matrices' }).click();
    await page.getByRole('tab', { name: 'Matrices' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.activeElement?.textContent), 'Problem builder');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const { document } = globalThis as unknown as BrowserGlobals;
          const el = document.activeElement;
          if (!el) return '';
          // A label that wraps its control: its own text is the first text node.
          const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.firstChild?.textContent : null;
          return (label ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
        }),
      );
    }
    for (const want of ['Open matrix files', 'Generator', 'Generate']) assert.ok(reached.includes(want), `${want} in ${reached.join(' | ')}`);
  });

  it('logged no console errors', () => {
    assert.deepEqual(lab.errors, []);
  });
});
