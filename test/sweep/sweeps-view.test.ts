// The Sweeps view end to end, in browser mode (the built app, Debian's Chromium):
// pick a field of the builder's problem, give values and seeds, see the run count
// before starting, run on this machine's pool, read the grouped results with the
// best configuration marked, and export the runs as CSV.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedData } from '../helpers.js';
import { ARTIFACTS, missingPrerequisite, startLab, type Lab } from '../e2e/harness.js';

const skip = missingPrerequisite();
if (skip) console.log(`# skipping the Sweeps view test: ${skip}`);

describe('the Sweeps view', { skip: skip ?? false }, () => {
  let lab: Lab;
  before(async () => {
    process.env.SPARSE_AD_DATA ??= sharedData();
    lab = await startLab();
  });
  after(async () => {
    await lab?.stop();
  });

  it('sweeps a field of the problem × seeds on the local pool, groups the runs, marks the best, exports CSV', async () => {
    const { page } = lab;
    await page.getByRole('tab', { name: 'Problem builder' }).click();
    await page.getByLabel('New from template').selectOption('jacobi');
    await page.getByRole('tab', { name: 'Sweeps' }).click();
    await page.getByRole('button', { name: 'Add axis' }).click();
    await page.getByLabel('Field').selectOption('A.n');
    await page.getByLabel('Values', { exact: true }).fill('8, 16');
    await page.getByLabel('Seeds').fill('0, 1');
    // Fewer epochs than the template's 200: a second axis over training.epochs, one value.
    await page.getByRole('button', { name: 'Add axis' }).click();
    await page.getByLabel('Field').nth(1).selectOption('training.epochs');
    await page.getByLabel('Values', { exact: true }).nth(1).fill('20');
    const count = page.getByRole('status', { name: 'Run count' });
    await count.filter({ hasText: '4 runs: 2 configurations × 2 seeds' }).waitFor({ timeout: 20_000 });

    await page.getByRole('button', { name: 'Start sweep' }).click();
    const results = page.getByRole('region', { name: /^Sweep jacobi/ });
    await results.getByRole('heading', { name: /done, 4\/4 runs on local pool/ }).waitFor({ timeout: 120_000 });
    const groups = results.getByRole('table', { name: 'Groups' });
    assert.equal(await groups.locator('tbody tr').count(), 2);
    assert.equal(await groups.getByRole('row', { name: 'best configuration' }).count(), 1);
    // One line per group with its ±2σ band over the two seeds, 20 epochs each.
    const chart = results.getByRole('region', { name: 'loss.train by group (mean ± 2σ over seeds)' });
    await chart.waitFor();
    assert.equal(await chart.getAttribute('data-points'), '20');
    assert.equal(await chart.locator('.legend li', { hasText: '(mean ± 2σ)' }).count(), 2);
    await page.screenshot({ path: join(ARTIFACTS, 'sweeps-view.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), results.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    assert.match(csv[0]!, /^index,A\.n,training\.epochs,seed,worker,seconds,attempts,/);
    assert.equal(csv.length, 5);
    assert.deepEqual(lab.errors, []);
  });
});
