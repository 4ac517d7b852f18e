// Sweeps on a real distributed job queue: a private redis-server (127.0.0.1, a
// free port, AOF on) and three `npm run worker` processes. The reference for
// every run's result is the same sweep in the local pool (no Redis at all): the
// runs are deterministic per seed, so a run retried after its worker was killed
// must give the same numbers.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { defaultDataDir, templates } from '../../experiments/graph/index.js';
import { createExecutor, QueueExecutor } from '../../experiments/sweep/executor.js';
import { expandSweep, type ExpandedSweep } from '../../experiments/sweep/expand.js';
import type { RunRow } from '../../experiments/sweep/job.js';
import { QUEUE_NAME } from '../../experiments/sweep/queue.js';
import { redisMissing, startRedis, type TestRedis } from '../../experiments/sweep/local-redis.js';

const missing = redisMissing();
if (missing) console.log(`# skipping the queue tests: ${missing}`);

/** 2 learning rates × 3 sizes × 2 seeds = 12 short runs. */
const sweepA = (): ExpandedSweep => expandSweep({ version: 1, base: 'jacobi', seeds: [0, 1], axes: { 'optimizer.lr': [0.01, 0.03], 'A.n': [16, 24, 32] }, epochs: 2000 });

interface WorkerProc {
  name: string;
  proc: ChildProcess;
}

async function spawnWorker(url: string, name: string): Promise<WorkerProc> {
  const env = { ...process.env };
  delete env.SPARSE_AD_QUEUE;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'experiments/cli/worker.ts', '--queue', url, '--name', name, '--threads', '1', '--lock-ms', '2000', '--stalled-ms', '500'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not join within 60 s:\n${log}`)), 60_000);
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(' joined ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before joining:\n${log}`)));
  });
  return { name, proc };
}

async function stopWorker(w: WorkerProc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  const exited = once(w.proc, 'exit');
  w.proc.kill(signal);
  await exited;
}

function assertExactlyOnce(rows: RunRow[], total: number): void {
  const indices = rows.map((r) => r.index).sort((a, b) => a - b);
  assert.deepEqual(indices, [...Array(total).keys()], 'one row per run index, none twice');
}

function assertSameAsLocal(rows: RunRow[], local: Map<number, RunRow>): void {
  for (const r of rows) {
    const ref = local.get(r.index)!;
    assert.equal(r.error, undefined, `run ${r.index}: ${r.error}`);
    for (const k of ['initialLoss', 'finalLoss']) {
      const a = r.summary[k]!;
      const b = ref.summary[k]!;
      assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `run ${r.index} ${k}: queue ${a} vs local pool ${b}`);
    }
    assert.deepEqual(r.axes, ref.axes);
    assert.equal(r.seed, ref.seed);
  }
}

/** Keys of a sweep's jobs still in Redis (job hashes, locks, logs). */
async function jobKeys(url: string, sweepId: string): Promise<string[]> {
  const r = new Redis(url);
  try {
    return await r.keys(`bull:${QUEUE_NAME}:${sweepId}.*`);
  } finally {
    r.disconnect();
  }
}

describe('sweeps as BullMQ jobs on Redis', { skip: missing ?? false }, () => {
  let redis: TestRedis;
  const workers: WorkerProc[] = [];
  let executor: QueueExecutor;
  const local = new Map<number, RunRow>();

  before(async () => {
    redis = await startRedis();
    workers.push(...(await Promise.all(['w0', 'w1', 'w2'].map((n) => spawnWorker(redis.url, n)))));
    executor = new QueueExecutor(redis.url, 200);
    // The reference: the same sweep in the local pool, no Redis configured.
    const saved = process.env.SPARSE_AD_QUEUE;
    delete process.env.SPARSE_AD_QUEUE;
    const pool = createExecutor({ concurrency: 2, threads: 1 });
    if (saved !== undefined) process.env.SPARSE_AD_QUEUE = saved;
    assert.equal(pool.kind, 'local');
    const out = await pool.runSweep('local', sweepA());
    await pool.close();
    for (const r of out.rows) local.set(r.index, r);
  });

  after(async () => {
    await executor?.close();
    await Promise.all(workers.map((w) => stopWorker(w)));
    await redis?.stop();
  });

  it('with no queue configured, the local pool runs the sweep (12 runs, once each)', () => {
    assertExactlyOnce([...local.values()], 12);
    for (const r of local.values()) assert.equal(r.worker, 'local');
  });

  it('runs a 12-run sweep over 3 worker processes: 12 results exactly once, equal to the local pool', async () => {
    const seen: number[] = [];
    const out = await executor.runSweep('s1', sweepA(), { onRow: (r) => seen.push(r.index) });
    assert.equal(out.cancelled, false);
    assertExactlyOnce(out.rows, 12);
    assert.deepEqual([...seen].sort((a, b) => a - b), [...Array(12).keys()]);
    assertSameAsLocal(out.rows, local);
    const used = new Set(out.rows.map((r) => r.worker));
    for (const w of used) assert.ok(['w0', 'w1', 'w2'].includes(w), `unknown worker ${w}`);
    assert.ok(used.size >= 2, `runs spread over the workers (used: ${[...used].join(', ')})`);
    assert.deepEqual(await jobKeys(redis.url, 's1'), [], 'recorded jobs are removed');
  });

  it('SIGKILL of a worker mid-run: its run is retried elsewhere, still 12 results exactly once, equal to the local pool', async () => {
    let killed: { name: string; index: number } | undefined;
    let looking = false;
    const queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
    const out = await executor.runSweep('k1', sweepA(), {
      onProgress: (p) => {
        if (killed || looking || p.step >= p.totalSteps) return;
        const w = workers.find((x) => x.name === p.worker && x.proc.exitCode === null && x.proc.signalCode === null);
        if (!w) return;
        // A progress event may arrive after its run ended: kill only while Redis says the job is still running on that worker.
        looking = true;
        void Job.fromId(queue, `k1.${p.index}`)
          .then(async (job) => {
            if (!killed && job && job.processedBy === w.name && (await job.getState()) === 'active') {
              killed = { name: w.name, index: p.index };
              w.proc.kill('SIGKILL');
            }
          })
          .finally(() => (looking = false));
      },
    });
    await queue.close();
    assert.ok(killed, 'a worker was killed mid-run');
    assertExactlyOnce(out.rows, 12);
    assertSameAsLocal(out.rows, local);
    const retried = out.rows.find((r) => r.index === killed!.index)!;
    assert.notEqual(retried.worker, killed.name, 'the killed worker’s run finished on another worker');
    assert.ok(retried.attempts >= 2, `the killed run was started again (attempts ${retried.attempts})`);
    // Back to three workers for the next tests.
    const i = workers.findIndex((w) => w.name === killed!.name);
    workers[i] = await spawnWorker(redis.url, `${killed.name}b`);
  });

  it('a run that fails by itself is reported with its error and not retried', async () => {
    const g = templates().find((t) => t.name === 'jacobi')!.graph;
    const A = g.nodes.find((n) => n.id === 'A')!;
    A.kind = 'matrix-file';
    A.fields = { path: 'matrices/bcsstk01.mtx' };
    const sweep = expandSweep({ version: 1, base: g, seeds: [0], axes: { 'A.path': ['matrices/bcsstk01.mtx', 'matrices/no-such-file.mtx'] }, epochs: 3 });
    const out = await executor.runSweep('f1', sweep, { dataDir: defaultDataDir() });
    assertExactlyOnce(out.rows, 2);
    const bad = out.rows.find((r) => r.index === 1)!;
    const good = out.rows.find((r) => r.index === 0)!;
    assert.equal(good.error, undefined);
    assert.ok(Number.isFinite(good.summary.finalLoss));
    assert.match(bad.error ?? '', /file not found: matrices\/no-such-file\.mtx/);
    assert.equal(bad.attempts, 1, 'a run that fails by itself is not started again');
    assert.deepEqual(await jobKeys(redis.url, 'f1'), []);
  });

  it('cancelling a sweep stops its running jobs and leaves no job behind', async () => {
    const sweep = expandSweep({ version: 1, base: 'jacobi', seeds: [0, 1, 2, 3, 4, 5, 6, 7], axes: { 'optimizer.lr': [0.01, 0.03], 'A.n': [16, 24, 32] }, epochs: 2000 });
    const controller = new AbortController();
    const t0 = performance.now();
    const out = await executor.runSweep('c1', sweep, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step < p.totalSteps) controller.abort();
      },
    });
    assert.equal(out.cancelled, true);
    assert.ok(out.rows.length < 48, `cancelled before the end (${out.rows.length} rows)`);
    assert.deepEqual(await jobKeys(redis.url, 'c1'), [], 'no job of the cancelled sweep is left in Redis');
    const r = new Redis(redis.url);
    const active = await r.zcard(`bull:${QUEUE_NAME}:active`).catch(() => 0);
    const activeList = await r.llen(`bull:${QUEUE_NAME}:active`).catch(() => 0);
    r.disconnect();
    assert.equal(active + activeList, 0, 'no job running');
    // Each run lasts several seconds; stopping them all, not letting them finish, keeps this short.
    assert.ok(performance.now() - t0 < 60_000);
  });

  it('Redis restarted mid-sweep (AOF on): the sweep completes, 12 results exactly once', async () => {
    let restarted: Promise<void> | undefined;
    let rows = 0;
    const out = await executor.runSweep('r1', sweepA(), {
      onRow: () => {
        rows++;
        if (rows === 3) restarted = redis.restart(500);
      },
    });
    assert.ok(restarted, 'Redis was restarted mid-sweep');
    await restarted;
    assertExactlyOnce(out.rows, 12);
    assertSameAsLocal(out.rows, local);
  });
});
