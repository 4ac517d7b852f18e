// The worker pool and the job queue, in plain Node: progress, cooperative and
// forced cancel, and crash recovery (a thread that dies fails only its own
// task and is replaced).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JobInfo } from '../../electron/common/lab-api.js';
import { JobQueue } from '../../electron/services/jobs.js';
import { CancelledError, WorkerCrashError, WorkerPool } from '../../electron/services/pool.js';
import type { WorkerProgress } from '../../electron/services/worker-protocol.js';

const workerFile = fileURLToPath(new URL('../../electron/services/worker.ts', import.meta.url));

describe('WorkerPool', () => {
  let pool: WorkerPool;
  before(() => {
    pool = new WorkerPool({ filename: workerFile, threads: 2, graceMs: 300, env: { ...(process.env as Record<string, string>), SPARSE_AD_LAB_TEST_HOOKS: '1' } });
  });
  after(async () => {
    await pool.destroy();
  });

  it('runs a task to its end, streaming progress', async () => {
    const seen: WorkerProgress[] = [];
    const h = pool.run<{ completed: number; cancelled: boolean }>({ kind: 'test-steps', steps: 4, stepMs: 5 }, (p) => seen.push(p));
    assert.deepEqual(await h.result, { completed: 4, cancelled: false });
    // Progress messages may trail the result by a tick.
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      seen.map((p) => (p.kind === 'progress' ? p.progress : -1)),
      [0.25, 0.5, 0.75, 1],
    );
  });

  it('cancels cooperatively: the task sees the flag and stops between steps', async () => {
    const h = pool.run<{ completed: number; cancelled: boolean }>({ kind: 'test-steps', steps: 1000, stepMs: 5 });
    await new Promise((r) => setTimeout(r, 60));
    h.cancel();
    const r = await h.result;
    assert.equal(r.cancelled, true);
    assert.ok(r.completed > 0 && r.completed < 1000, `stopped after ${r.completed} steps`);
    assert.equal(h.cancelled, true);
  });

  it('forces a task that ignores cancel to stop after the grace period (its thread is replaced)', async () => {
    const h = pool.run({ kind: 'test-hang', ms: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    h.cancel();
    await assert.rejects(h.result, (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - t0 < 5000);
    // The pool still works.
    assert.deepEqual(await pool.run({ kind: 'test-steps', steps: 1, stepMs: 1 }).result, { completed: 1, cancelled: false });
  });

  it('a crashing thread fails only its own task; a task running beside it finishes; the thread is replaced', async () => {
    const crashesBefore = pool.crashCount;
    const beside = pool.run<{ completed: number }>({ kind: 'test-steps', steps: 20, stepMs: 10 });
    const crash = pool.run({ kind: 'test-crash' });
    await assert.rejects(crash.result, (e: unknown) => e instanceof WorkerCrashError && /stopped unexpectedly \(worker exited with code: 3\)/.test(e.message));
    assert.deepEqual(await beside.result, { completed: 20, cancelled: false });
    assert.equal(pool.crashCount, crashesBefore + 1);
    const again = await Promise.all([0, 1, 2].map(() => pool.run<{ completed: number }>({ kind: 'test-steps', steps: 2, stepMs: 1 }).result));
    assert.deepEqual(
      again.map((r) => r.completed),
      [2, 2, 2],
    );
  });

  it('refuses test tasks when test hooks are off', async () => {
    const plain = new WorkerPool({ filename: workerFile, threads: 1 });
    try {
      await assert.rejects(plain.run({ kind: 'test-crash' }).result, /unknown task 'test-crash'/);
    } finally {
      await plain.destroy();
    }
  });
});

describe('JobQueue', () => {
  it('walks a job through its states and reports each change', () => {
    let t = 1000;
    const q = new JobQueue({ now: () => t, progressIntervalMs: 0 });
    const seen: JobInfo[] = [];
    q.onChange((j) => seen.push(j));
    const job = q.create('run-problem', 'Run jacobi', { runId: 'run-1' });
    job.start();
    t += 1000;
    job.progress(0.25, 'epoch 50');
    t += 1000;
    job.finish();
    assert.deepEqual(
      seen.map((j) => j.state),
      ['queued', 'running', 'running', 'finished'],
    );
    // ETA extrapolated from the elapsed time: 1 s for 25 % leaves 3 s.
    assert.equal(seen[2]!.etaSeconds, 3);
    assert.equal(seen[3]!.progress, 1);
    assert.equal(seen[3]!.runId, 'run-1');
    // An ended job stays ended.
    job.fail(new Error('late'));
    assert.equal(q.get(job.id)!.info.state, 'finished');
  });

  it('throttles progress but never a state change', async () => {
    const q = new JobQueue({ progressIntervalMs: 50 });
    const seen: JobInfo[] = [];
    q.onChange((j) => seen.push(j));
    const job = q.create('run-problem', 'x');
    job.start();
    for (let i = 1; i <= 100; i++) job.progress(i / 100);
    job.cancelled();
    const progressEvents = seen.filter((j) => j.state === 'running').length;
    assert.ok(progressEvents <= 3, `${progressEvents} running events for 100 progress calls`);
    assert.equal(seen.at(-1)!.state, 'cancelled');
  });

  it('cancels a queued job at once, and a running one through its hook', () => {
    const q = new JobQueue();
    const queued = q.create('load-matrix', 'a');
    assert.equal(q.cancel(queued.id), true);
    assert.equal(queued.info.state, 'cancelled');
    const running = q.create('load-matrix', 'b');
    running.start();
    let hooked = 0;
    running.onCancel(() => hooked++);
    assert.equal(q.cancel(running.id), true);
    assert.equal(hooked, 1);
    running.complete();
    assert.equal(running.info.state, 'cancelled');
    assert.equal(q.cancel(running.id), false);
    assert.equal(q.cancel('job-unknown'), false);
  });

  it('fails every live job when their host dies', () => {
    const q = new JobQueue();
    const a = q.create('run-problem', 'a');
    a.start();
    const b = q.create('run-timing', 'b');
    const c = q.create('load-matrix', 'c');
    c.finish();
    q.failAll('the compute host stopped');
    assert.deepEqual([a.info.state, b.info.state, c.info.state], ['failed', 'failed', 'finished']);
    assert.equal(a.info.error, 'the compute host stopped');
  });
});
