// The lab host's sweep service: a sweep from the Sweeps view runs on the local
// pool, its rows are grouped and exported; a sweep on a queue survives the host
// restarting mid-sweep (the new host lists it and keeps collecting, each row once).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { templates } from '../../experiments/graph/index.js';
import { redisMissing, startRedis } from '../../experiments/sweep/local-redis.js';
import { startQueueWorker } from '../../experiments/sweep/queue.js';
import type { SweepMeta } from '../../electron/common/sweep-api.js';
import { type SweepEvent, SweepService } from '../../electron/services/sweep-service.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sweep-service-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Resolves with the first sweep event that `pred` accepts. */
function waitFor(events: SweepMeta[], pred: (m: SweepMeta) => boolean, listeners: ((m: SweepMeta) => void)[]): Promise<SweepMeta> {
  const seen = events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => listeners.push((m) => pred(m) && resolve(m)));
}

function recorder(): { emit: (e: SweepEvent) => void; events: SweepMeta[]; listeners: ((m: SweepMeta) => void)[] } {
  const events: SweepMeta[] = [];
  const listeners: ((m: SweepMeta) => void)[] = [];
  return {
    events,
    listeners,
    emit: (e) => {
      events.push(e.sweep);
      for (const l of listeners) l(e.sweep);
    },
  };
}

describe('the sweep service (lab host)', () => {
  it('lists the fields a sweep can vary, previews the run count, refuses a bad field by name', () => {
    const svc = new SweepService(tempDir(), () => {});
    const jacobi = templates().find((t) => t.name === 'jacobi')!.graph;
    const fields = svc.fields(jacobi);
    const lr = fields.find((f) => f.path === 'training.optimizer.lr')!;
    assert.equal(lr.value, jacobi.training.optimizer.lr);
    const n = fields.find((f) => f.path === 'A.n')!;
    assert.equal(n.kind, 'integer');
    assert.equal(n.value, jacobi.nodes.find((x) => x.id === 'A')!.fields.n);
    assert.deepEqual(svc.preview({ version: 1, base: jacobi, seeds: [0, 1, 2], axes: { 'A.n': [8, 16], 'training.optimizer.lr': [0.1, 0.2] } }), {
      ok: true,
      runs: 12,
      configs: 4,
      axes: ['A.n', 'training.optimizer.lr'],
    });
    const bad = svc.preview({ version: 1, base: jacobi, seeds: [0], axes: { 'A.size': [8] } });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /axes\["A\.size"\]: node "A" \(poisson1d\) has no field "size"/);
  });

  it('runs a sweep on the local pool: rows once each, groups, best, CSV and JSON export', async () => {
    const rec = recorder();
    const svc = new SweepService(tempDir(), rec.emit, { concurrency: 2 });
    const meta = await svc.start({ version: 1, base: 'jacobi', seeds: [0, 1], axes: { 'A.n': [8, 16] }, epochs: 20 });
    assert.equal(meta.total, 4);
    assert.match(meta.executor, /^local pool/);
    const done = await waitFor(rec.events, (m) => m.sweepId === meta.sweepId && m.status !== 'running', rec.listeners);
    assert.equal(done.status, 'done');
    const d = svc.get(meta.sweepId);
    assert.deepEqual(d.rows.map((r) => r.index), [0, 1, 2, 3]);
    assert.equal(d.groups.length, 2);
    assert.ok(d.best === 0 || d.best === 1);
    const csv = svc.export(meta.sweepId, 'csv').text.split('\n');
    assert.match(csv[0]!, /^index,A\.n,seed,worker,seconds,attempts,/);
    const json = JSON.parse(svc.export(meta.sweepId, 'json').text) as { runs: unknown[]; groups: unknown[] };
    assert.equal(json.runs.length, 4);
    await svc.close();
  });

  const missing = redisMissing();
  if (missing) console.log(`# skipping the restart test: ${missing}`);
  it('the lab restarted mid-sweep lists the sweep and keeps collecting (queue), each row once', { skip: missing ?? false }, async () => {
    const redis = await startRedis();
    const worker = await startQueueWorker({ url: redis.url, concurrency: 1, threads: 1, name: 'w', lockDurationMs: 2000, stalledIntervalMs: 500 });
    const dir = tempDir();
    try {
      const a = recorder();
      const first = new SweepService(dir, a.emit);
      const meta = await first.start({ version: 1, base: 'jacobi', seeds: [0, 1, 2, 3, 4, 5], epochs: 150 }, redis.url);
      assert.equal(meta.executor, redis.url);
      await waitFor(a.events, (m) => m.recorded >= 2, a.listeners);
      await first.close();
      const before = first.get(meta.sweepId).rows.length;
      assert.ok(before < 6, `the first host stopped mid-sweep (${before} rows)`);

      const b = recorder();
      const second = new SweepService(dir, b.emit);
      const listed = second.list().find((m) => m.sweepId === meta.sweepId)!;
      assert.equal(listed.status, 'running');
      const done = await waitFor(b.events, (m) => m.sweepId === meta.sweepId && m.status !== 'running', b.listeners);
      assert.equal(done.status, 'done');
      assert.equal(done.recorded, 6);
      const lines = readFileSync(join(dir, meta.sweepId, 'runs.jsonl'), 'utf8').trim().split('\n');
      assert.deepEqual(lines.map((l) => (JSON.parse(l) as { index: number }).index).sort(), [0, 1, 2, 3, 4, 5], 'each run recorded exactly once');
      await second.close();
    } finally {
      await worker.close();
      await redis.stop();
    }
  });

  it('a Redis with a password (AUTH in the URL) runs the sweep; the lab shows the URL without the password', { skip: missing ?? false }, async () => {
    const redis = await startRedis({ password: 's3cret-pw' });
    const worker = await startQueueWorker({ url: redis.url, concurrency: 1, threads: 1, name: 'auth-w' });
    try {
      const rec = recorder();
      const svc = new SweepService(tempDir(), rec.emit);
      const meta = await svc.start({ version: 1, base: 'jacobi', seeds: [0, 1], epochs: 5 }, redis.url);
      assert.equal(meta.executor, `redis://:***@127.0.0.1:${redis.port}`);
      const done = await waitFor(rec.events, (m) => m.status !== 'running', rec.listeners);
      assert.equal(done.status, 'done');
      assert.deepEqual(svc.get(meta.sweepId).rows.map((r) => r.worker), ['auth-w', 'auth-w']);
      await svc.close();
    } finally {
      await worker.close();
      await redis.stop();
    }
  });
});
