// `npm run sweep`: a sweep file run on the local pool writes sweep-result.json
// (one row per run with its axis values, seed, summary, worker, seconds) and exits
// 0; with --queue and no worker it says it is waiting for workers, and finishes
// once one joins; a bad field is refused with exit 2 and the field's name.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { redisMissing, startRedis } from '../../experiments/sweep/local-redis.js';
import { startQueueWorker } from '../../experiments/sweep/queue.js';

const dir = mkdtempSync(join(tmpdir(), 'sweep-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  delete e.SPARSE_AD_QUEUE;
  return e;
};

function sweepFile(name: string, body: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(body));
  return p;
}

interface Row {
  index: number;
  axes: Record<string, unknown>;
  seed: number;
  summary: Record<string, number>;
  worker: string;
  seconds: number;
}

describe('npm run sweep', () => {
  it('runs a sweep on the local pool and writes sweep-result.json', () => {
    const file = sweepFile('a.json', { version: 1, base: 'jacobi', seeds: [0, 1], axes: { 'A.n': [8, 12] } });
    const out = join(dir, 'out-a');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'experiments/cli/sweep.ts', file, '--epochs', '5', '--out', out, '--concurrency', '2', '--quiet'], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /4 runs recorded \(0 failed\)/);
    const result = JSON.parse(readFileSync(join(out, 'sweep-result.json'), 'utf8')) as { runs: Row[]; axes: string[] };
    assert.deepEqual(result.axes, ['A.n']);
    assert.deepEqual(result.runs.map((x) => [x.index, x.axes['A.n'], x.seed]), [
      [0, 8, 0],
      [1, 8, 1],
      [2, 12, 0],
      [3, 12, 1],
    ]);
    for (const row of result.runs) {
      assert.equal(row.worker, 'local');
      assert.ok(row.seconds > 0);
      assert.ok(Number.isFinite(row.summary.finalLoss) && row.summary.finalLoss < row.summary.initialLoss!);
      assert.equal(row.summary.epochs, 5);
    }
  });

  it('refuses a field the problem does not have, naming it (exit 2)', () => {
    const file = sweepFile('b.json', { version: 1, base: 'jacobi', axes: { 'omega.size': [1, 2] } });
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'experiments/cli/sweep.ts', file, '--quiet'], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /axes\["omega\.size"\]: node "omega" \(vector-parameter\) has no field "size"/);
  });

  const missing = redisMissing();
  if (missing) console.log(`# skipping the --queue test: ${missing}`);
  it('with --queue and no worker, says it is waiting for workers; finishes when one joins', { skip: missing ?? false }, async () => {
    const redis = await startRedis();
    let worker: Awaited<ReturnType<typeof startQueueWorker>> | undefined;
    try {
      const file = sweepFile('c.json', { version: 1, base: 'jacobi', seeds: [0, 1, 2] });
      const out = join(dir, 'out-c');
      const p = spawn(process.execPath, ['--import', 'tsx', 'experiments/cli/sweep.ts', file, '--epochs', '5', '--out', out, '--queue', redis.url], { env: env() });
      let stderr = '';
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => p.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no 'waiting for workers' within 60 s:\n${stderr}`)), 60_000);
        p.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/waiting for workers/.test(stderr)) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      worker = await startQueueWorker({ url: redis.url, concurrency: 1, threads: 1, name: 'late-worker' });
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /3 runs recorded/);
      const result = JSON.parse(readFileSync(join(out, 'sweep-result.json'), 'utf8')) as { runs: Row[] };
      assert.deepEqual(result.runs.map((x) => x.worker), ['late-worker', 'late-worker', 'late-worker']);
    } finally {
      await worker?.close();
      await redis.stop();
    }
  });
});
