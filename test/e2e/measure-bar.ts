// The issue's bar, measured in browser mode in Chromium (not a test: it prints
// figures, asserts nothing about time):
//   1. a 1M-nonzero .mtx opened through the file input: time until its
//      statistics and spy plot are on screen;
//   2. while a GCN trains (Training view open, charts live): the longest
//      main-thread task in the renderer (PerformanceObserver 'longtask');
//   3. the page's JS heap after ten runs (after a forced GC, via CDP).
// Run: node --import tsx test/e2e/measure-bar.ts [--gcn-seconds 30]
// (after `npm run build`; SPARSE_AD_ADDON may point at another addon build).
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CsrMatrix, Generator, writeMatrixMarket } from '../../native/lib/index.js';
import { sharedData } from '../helpers.js';
import { ARTIFACTS, startLab } from './harness.js';

const { values } = parseArgs({ options: { 'gcn-seconds': { type: 'string', default: '30' }, 'skip-heap': { type: 'boolean', default: false } } });
const gcnSeconds = Number(values['gcn-seconds']);
/** This machine's 1-minute load average (other work on it stretches every figure here). */
const load = (): string => loadavg()[0]!.toFixed(1);
process.env.SPARSE_AD_DATA ??= sharedData();
mkdirSync(ARTIFACTS, { recursive: true });

// 1. A random 200,000 × 200,000 matrix with 1,000,000 nonzeros (general, real).
const file = join(ARTIFACTS, 'random-1M.mtx');
if (!existsSync(file)) {
  const n = 200_000;
  const nnz = 1_000_000;
  const gen = new Generator(7);
  const r = new Int32Array(nnz);
  const c = new Int32Array(nnz);
  const v = new Float64Array(nnz);
  // Distinct positions: row i gets 5 entries in distinct columns.
  for (let k = 0; k < nnz; k++) {
    r[k] = Math.floor(k / 5);
    c[k] = (Math.floor(gen.uniform() * (n / 5)) * 5 + (k % 5)) % n;
    v[k] = gen.normal();
  }
  const A = CsrMatrix.fromCoo(r, c, v, [n, n]);
  await writeMatrixMarket(file, A);
  console.log(`wrote ${file}: ${A.rows} × ${A.cols}, nnz ${A.nnz}`);
}

const lab = await startLab({ threads: 2 });
const { page } = lab;
const heapMB = async (): Promise<number> => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize / 2 ** 20;
};
const runState = page.getByRole('status', { name: 'Run state' });

try {
  await page.getByRole('tab', { name: 'Matrices' }).waitFor();
  console.log(`heap at start: ${(await heapMB()).toFixed(1)} MB`);

  // 1. Open the 1M-nonzero file.
  const t0 = performance.now();
  await page.getByLabel('Open matrix files').setInputFiles(file);
  await page.getByRole('row').filter({ hasText: 'random-1M.mtx' }).waitFor({ timeout: 60_000 });
  const listed = (performance.now() - t0) / 1000;
  await page.getByText('Stored entries (nnz)').waitFor({ timeout: 60_000 });
  const stats = (performance.now() - t0) / 1000;
  await page.getByRole('img', { name: /^Spy plot of random-1M\.mtx/ }).waitFor({ timeout: 60_000 });
  const openSeconds = (performance.now() - t0) / 1000;
  console.log(`  (listed after ${listed.toFixed(2)} s, statistics after ${stats.toFixed(2)} s, spy plot after ${openSeconds.toFixed(2)} s)`);
  const hostSeconds = await page.getByRole('definition').filter({ hasText: /^\d+(\.\d+)? (ms|s)$/ }).last().innerText();
  console.log(`1M-nonzero .mtx: statistics and spy plot on screen after ${openSeconds.toFixed(2)} s (compute host: read + statistics + bins ${hostSeconds}; before that the upload, after it the bins' trip to the page) — load average ${load()}`);
  await page.screenshot({ path: join(ARTIFACTS, 'bar-1M.png') });

  // 2. Long tasks while a GCN trains with its charts on screen.
  await page.evaluate(() => {
    const g = globalThis as unknown as { __longtasks: number[]; PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: object): void } };
    g.__longtasks = [];
    new g.PerformanceObserver((list) => {
      for (const e of list.getEntries()) g.__longtasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  await page.getByRole('tab', { name: 'Problem builder' }).click();
  await page.getByLabel('New from template').selectOption('gcn');
  await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Run this problem' }).click();
  await runState.filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(gcnSeconds * 1000);
  const progress = await page.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow');
  const eta = await page.locator('.progress .eta').innerText();
  const longtasks = await page.evaluate(() => (globalThis as unknown as { __longtasks: number[] }).__longtasks);
  await page.screenshot({ path: join(ARTIFACTS, 'bar-gcn.png') });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await runState.filter({ hasText: 'Cancelled' }).waitFor({ timeout: 30_000 });
  const max = longtasks.length ? Math.max(...longtasks) : 0;
  console.log(`GCN trained ${gcnSeconds} s (${progress} % of 100 runs × 200 epochs; ${eta}): ${longtasks.length} long tasks (> 50 ms) in the renderer, longest ${max.toFixed(0)} ms; all: ${longtasks.map((d) => d.toFixed(0)).join(' ')} — load average ${load()}`);

  if (values['skip-heap']) throw new Error('done (--skip-heap)');
  // 3. Heap after ten runs (GCN above counts as one).
  const runs: { preset: string; edit?: [string, string] }[] = [
    { preset: 'jacobi', edit: ['Epochs', '5000'] },
    { preset: 'heavyball' },
    { preset: 'pcg' },
    { preset: 'gcn', edit: ['Runs', '3'] },
    { preset: 'jacobi' },
    { preset: 'heavyball', edit: ['Epochs', '3000'] },
    { preset: 'pcg' },
    { preset: 'gcn', edit: ['Runs', '3'] },
    { preset: 'jacobi', edit: ['Epochs', '5000'] },
  ];
  for (const [i, r] of runs.entries()) {
    await page.getByRole('tab', { name: 'Problem builder' }).click();
    // A template (its graph's training settings show in the inspector with nothing selected).
    await page.getByLabel('New from template').selectOption(r.preset);
    if (r.edit) await page.locator('.inspector').getByLabel(r.edit[0], { exact: true }).fill(r.edit[1]);
    await page.getByRole('status', { name: 'Graph check' }).filter({ hasText: 'Graph is valid' }).waitFor({ timeout: 30_000 });
    const runSelect = page.getByRole('combobox', { name: 'Run' });
    const before = await runSelect.inputValue().catch(() => '');
    await page.getByRole('button', { name: 'Run this problem' }).click();
    // A short run may be over before 'Running' can be seen: wait for the new run to be the one shown.
    await page.waitForFunction((prev) => {
      const sel = (globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }).document.querySelector('#run-select');
      return !!sel && sel.value !== '' && sel.value !== prev;
    }, before);
    await runState.filter({ hasText: /Finished|Failed|Cancelled/ }).waitFor({ timeout: 300_000 });
    console.log(`run ${i + 2}: ${r.preset}${r.edit ? ` (${r.edit[0]} ${r.edit[1]})` : ''} ${await runState.innerText()}; heap ${(await heapMB()).toFixed(1)} MB`);
  }
  console.log(`heap after ten runs: ${(await heapMB()).toFixed(1)} MB (after a forced GC) — load average ${load()}`);
  await page.screenshot({ path: join(ARTIFACTS, 'bar-after-ten-runs.png') });
  if (lab.errors.length) console.log(`console errors: ${lab.errors.join('\n')}`);
} finally {
  await lab.stop();
}
