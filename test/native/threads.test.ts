// Threads: the CPU pool is settable (0 = all cores, 1 = serial), results are
// bitwise deterministic for a given thread count, and the addon works when
// loaded in several worker threads at once (no shared mutable state).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { buildInfo, getThreads, randn, setThreads, spmv } from '../../native/lib/index.js';
import { randomCsr } from '../helpers.js';

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

test('setThreads: settable, 0 means all cores, bad values rejected', () => {
  const hw = buildInfo().hardwareThreads;
  setThreads(1);
  assert.equal(getThreads(), 1);
  setThreads(0);
  assert.equal(getThreads(), hw);
  assert.throws(() => setThreads(-1), /setThreads: expected a non-negative integer but received -1/);
  assert.throws(() => setThreads(1.5), /setThreads: expected a non-negative integer but received 1.5/);
});

test('threads: spmv and its VJP are bitwise deterministic per thread count and agree across counts', () => {
  // Large enough that the pool splits the work (grain is 2^15 nonzeros).
  const A = randomCsr(3000, 2500, { density: 0.05, seed: 7 });
  const x = randn([2500], { seed: 8 });
  const run = (): { y: Float64Array; dA: Float64Array; dx: Float64Array } => {
    const Ag = A.withValues(A.values.detach(), { requiresGrad: true });
    const xg = x.detach().requiresGrad_();
    const y = spmv(Ag, xg);
    y.backward(randn([3000], { seed: 9 }));
    return { y: y.toArray() as Float64Array, dA: Ag.values.grad!.toArray() as Float64Array, dx: xg.grad!.toArray() as Float64Array };
  };
  const results = new Map<number, ReturnType<typeof run>>();
  for (const t of [1, 2, 3]) {
    setThreads(t);
    const first = run();
    const second = run();
    assert.ok(bitsEqual(first.y, second.y) && bitsEqual(first.dA, second.dA) && bitsEqual(first.dx, second.dx), `not deterministic with ${t} threads`);
    results.set(t, first);
  }
  setThreads(0);
  // Across counts too, bit for bit: one thread sweeps A's rows (dx a scatter),
  // more gather per column of Aᵀ, and both add dx[j]'s terms in ascending row order.
  const one = results.get(1)!;
  for (const t of [2, 3]) {
    const r = results.get(t)!;
    for (const key of ['y', 'dA', 'dx'] as const) assert.ok(bitsEqual(one[key], r[key]), `${key} differs between 1 and ${t} threads`);
  }
});

test('threads: the addon loads and computes correctly in several worker threads at once', async () => {
  // Workers do not inherit tsx's loader hooks: register them in the worker first.
  setThreads(1);
  const script = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./threads-worker.ts', import.meta.url).href)}); })`;
  const results = await Promise.all(
    [0, 1, 2, 3].map(
      (id) =>
        new Promise((resolve, reject) => {
          const w = new Worker(script, { eval: true, workerData: { id } });
          w.once('message', (m) => { resolve(m); void w.terminate(); });
          w.once('error', reject);
        }),
    ),
  );
  assert.deepEqual(results, [true, true, true, true]);
  // Each worker set its own pool to 2 threads; the main thread's pool is its own.
  assert.equal(getThreads(), 1);
  setThreads(0);
});
