// npm run bench:sweep [-- --runs 16 --epochs 3000 --n 32 --empty 40 --rounds 3]
//
// The sweep bars, measured in one process run on a private redis-server
// (127.0.0.1, started and stopped here):
//   1. queue overhead per run: `--empty` near-empty runs (1 epoch of a 4-point
//      Jacobi problem) through Redis and one worker process vs the local pool with
//      one thread; (queue − local) / runs.
//   2. scaling: a `--runs`-run sweep of short runs on 1 worker process vs 2 worker
//      processes (each --concurrency 1 --threads 1: one core each); the ratio.
//      3000 epochs make runs of about 0.4 s here (short, but longer than the fixed
//      cost of a job); with the native dense ops 300 epochs take 40 ms, and then a
//      run's queue round trip and progress reports are a tenth of it.
// Workers are started and warmed up before anything is timed: warm-up sweeps
// until every worker has run at least 3 runs (a fresh worker's first runs are
// slower while V8 compiles the runner's hot code; measured here, a second worker
// warmed by one or two runs ran its timed runs ≈35% slower than the first).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { LocalExecutor, QueueExecutor } from '../sweep/executor.js';
import { expandSweep, type ExpandedSweep } from '../sweep/expand.js';
import type { RunRow } from '../sweep/job.js';
import { redisMissing, startRedis } from '../sweep/local-redis.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '16' },
    epochs: { type: 'string', default: '3000' },
    n: { type: 'string', default: '32' },
    empty: { type: 'string', default: '40' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const RUNS = Number(values.runs);
const EPOCHS = Number(values.epochs);
const N = Number(values.n);
const EMPTY = Number(values.empty);
const ROUNDS = Math.max(1, Number(values.rounds));

const why = redisMissing();
if (why) {
  console.error(`bench:sweep: ${why}`);
  process.exit(2);
}

/** taskset pins each worker to a core of its own (worker k on CPU k − 1), when there is one. */
const pinning = spawnSync('taskset', ['--version']).status === 0;
let nextCpu = 0;

function worker(url: string, name: string): Promise<ChildProcess> {
  const args = ['--import', 'tsx', 'experiments/cli/worker.ts', '--queue', url, '--name', name, '--concurrency', '1', '--threads', '1'];
  const cpu = nextCpu++ % availableParallelism();
  // taskset execs node in place, so the child's pid is the worker's.
  const [cmd, argv] = pinning ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
  // detached: each worker in a session of its own, as on a machine of its own. With the kernel's
  // autogroup scheduling (sched_autogroup_enabled = 1) the processes of one session share one
  // CPU share, so on a busy machine two workers in this session would get no more CPU than one.
  const p = spawn(cmd, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let log = '';
    p.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(' joined ')) resolve(p);
    });
    p.once('exit', (c) => reject(new Error(`worker ${name} exited (${c}): ${log}`)));
  });
}

async function stop(ps: ChildProcess[]): Promise<void> {
  await Promise.all(ps.map(async (p) => {
    const e = once(p, 'exit');
    p.kill('SIGTERM');
    await e;
  }));
}

const sweepOf = (runs: number, epochs: number, n: number): ExpandedSweep =>
  expandSweep({ version: 1, base: 'jacobi', seeds: [...Array(runs).keys()], axes: { 'A.n': [n] }, epochs, budget: Math.max(runs, 1) });

let lastRows: RunRow[] = [];
async function timed(fn: () => Promise<{ rows: RunRow[] }>, expect: number): Promise<number> {
  const t = performance.now();
  const out = await fn();
  const s = (performance.now() - t) / 1000;
  if (out.rows.length !== expect) throw new Error(`expected ${expect} rows, got ${out.rows.length}`);
  lastRows = out.rows;
  return s;
}

/** Runs per worker and the summed run time (what the runs themselves took, queue aside). */
function perWorker(): string {
  const by = new Map<string, { n: number; s: number }>();
  for (const r of lastRows) {
    const w = by.get(r.worker) ?? { n: 0, s: 0 };
    w.n++;
    w.s += r.seconds;
    by.set(r.worker, w);
  }
  return [...by.entries()].map(([w, x]) => `${w}: ${x.n} runs, ${x.s.toFixed(2)} s running`).join('; ');
}

/** Warm-up sweeps of short runs until each of the `workers` workers has run at least 3 (at most 8 sweeps). */
async function warmUp(workers: number): Promise<void> {
  const runs = new Map<string, number>();
  for (let i = 0; i < 8; i++) {
    const out = await q.runSweep(`warm${id++}`, sweepOf(2 * workers, Math.min(EPOCHS, 1000), N));
    for (const r of out.rows) runs.set(r.worker, (runs.get(r.worker) ?? 0) + 1);
    if (runs.size >= workers && [...runs.values()].every((n) => n >= 3)) return;
  }
}

const redis = await startRedis();
const q = new QueueExecutor(redis.url, 1000);
let id = 0;
let ws: ChildProcess[] = [];
try {
  console.log(pinning ? 'workers pinned with taskset: w1 to CPU 0, w2 to CPU 1 (Redis and this process unpinned)' : 'taskset not found: workers unpinned');
  console.log(`bench:sweep — load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on this machine skews the times)`);

  // 1. Queue overhead per near-empty run.
  if (values.only !== 'scaling') {
    const empty = sweepOf(EMPTY, 1, 4);
    const local = new LocalExecutor({ concurrency: 1, threads: 1 });
    await local.runSweep(`warm${id++}`, sweepOf(4, 1, 4));
    const tLocal = await timed(() => local.runSweep(`local${id++}`, empty), EMPTY);
    await local.close();
    ws = [await worker(redis.url, 'w1')];
    await q.runSweep(`warm${id++}`, sweepOf(4, 1, 4));
    const tQueue = await timed(() => q.runSweep(`empty${id++}`, empty), EMPTY);
    console.log(`${EMPTY} empty runs (1 epoch, n = 4): local pool ${tLocal.toFixed(3)} s (${((tLocal / EMPTY) * 1000).toFixed(2)} ms/run), Redis + 1 worker ${tQueue.toFixed(3)} s (${((tQueue / EMPTY) * 1000).toFixed(2)} ms/run)`);
    console.log(`queue overhead per run: ${(((tQueue - tLocal) / EMPTY) * 1000).toFixed(2)} ms (bar: < 20 ms)`);
  }
  // 2. 1 worker vs 2 workers on the same sweep.
  if (values.only !== 'overhead') {
    if (!ws.length) ws = [await worker(redis.url, 'w1')];
    const sweep = sweepOf(RUNS, EPOCHS, N);
    await warmUp(1);
    // ROUNDS sweeps on each side; the fastest of each is compared (as bench:dense
    // and bench:ops do: on a shared VM the slower rounds measure the neighbours).
    const t1s: number[] = [];
    let one = '';
    for (let r = 0; r < ROUNDS; r++) {
      t1s.push(await timed(() => q.runSweep(`one${id++}`, sweep), RUNS));
      if (t1s.at(-1) === Math.min(...t1s)) one = perWorker();
    }
    ws.push(await worker(redis.url, 'w2'));
    await warmUp(2);
    const t2s: number[] = [];
    let two = '';
    for (let r = 0; r < ROUNDS; r++) {
      t2s.push(await timed(() => q.runSweep(`two${id++}`, sweep), RUNS));
      if (t2s.at(-1) === Math.min(...t2s)) two = perWorker();
    }
    const t1 = Math.min(...t1s);
    const t2 = Math.min(...t2s);
    const list = (ts: number[]): string => ts.map((t) => t.toFixed(2)).join(', ');
    console.log(`  1 worker, ${ROUNDS} rounds: ${list(t1s)} s; fastest — ${one}\n  2 workers, ${ROUNDS} rounds: ${list(t2s)} s; fastest — ${two}`);
    console.log(`${RUNS}-run sweep (jacobi n = ${N}, ${EPOCHS} epochs), fastest round: 1 worker ${t1.toFixed(2)} s, 2 workers ${t2.toFixed(2)} s → ${(t1 / t2).toFixed(2)}× (bar: ≥ 1.7×)`);
  }
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await stop(ws);
  await q.close();
  await redis.stop();
}
