// GCN on CiteSeer: time per run, ours against PyTorch (gcn_torch.py, the same
// model with torch.sparse.mm), at 1 and 2 threads, measured in one go with the
// two interleaved so that both see the same machine load.
//
//   node --import tsx experiments/reference/compare-gcn.ts [--runs R] [--threads 1,2] [--python /usr/bin/python3]
//
// Prints a table (wall and CPU seconds per run, medians) and a JSON line. Accuracy over 100 runs is measured by the
// template itself (npm run experiment -- gcn).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setThreads } from '../../native/lib/index.js';
import { defaultDataDir } from '../compile/common.js';
import { runGraph, templates } from '../graph/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const runs = Number(flag('--runs', '10'));
const threadCounts = flag('--threads', '1,2').split(',').map(Number);
const python = flag('--python', '/usr/bin/python3');
const here = dirname(fileURLToPath(import.meta.url));
const data = join(defaultDataDir(), 'citeseer');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  impl: string;
  threads: number;
  runs: number;
  secondsPerRun: number;
  /** CPU time (user + system) per run: less sensitive than wall time to other load on the machine. */
  cpuSecondsPerRun: number;
  testAccuracyMean: number;
}

const rows: Row[] = [];
const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
for (const threads of threadCounts) {
  // Ours, in this process.
  setThreads(threads);
  const cpu: number[] = [];
  let c0 = process.cpuUsage();
  const gcn = templates().find((t) => t.name === 'gcn')!.graph;
  gcn.training.runs = runs;
  const r = await runGraph(gcn, {
    onEvent: (e) => {
      if (e.type === 'run-start') c0 = process.cpuUsage();
      if (e.type === 'run-end') {
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1e6);
      }
    },
  });
  rows.push({
    impl: 'sparse-ad-lab',
    threads,
    runs,
    secondsPerRun: median(r.runs.map((x) => x.seconds)),
    cpuSecondsPerRun: median(cpu),
    testAccuracyMean: (r.summary.testAccuracyMean ?? r.summary.testAccuracy) as number,
  });
  // PyTorch, in a child process.
  // torch.set_num_threads covers PyTorch's own pool; the BLAS and OpenMP pools are capped here.
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const args = [join(here, 'gcn_torch.py'), '--data', data, '--runs', String(runs), '--threads', String(threads)];
  const t = spawnSync(python, args, { encoding: 'utf8', env });
  if (t.status !== 0) {
    const why = (t.stderr || t.error?.message || '').trim().split('\n').pop();
    rows.push({ impl: `pytorch (failed: ${why})`, threads, runs, secondsPerRun: Number.NaN, cpuSecondsPerRun: Number.NaN, testAccuracyMean: Number.NaN });
    continue;
  }
  const j = JSON.parse(t.stdout) as { torch: string; secondsPerRun: number; cpuSecondsPerRun: number; testAccuracyMean: number };
  rows.push({ impl: `pytorch ${j.torch}`, threads, runs, secondsPerRun: j.secondsPerRun, cpuSecondsPerRun: j.cpuSecondsPerRun, testAccuracyMean: j.testAccuracyMean });
}

console.log(`load average before: ${loadBefore}; after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('implementation        threads  runs  wall s/run  cpu s/run  test acc (mean)');
for (const r of rows) {
  console.log(
    `${r.impl.padEnd(22)}${String(r.threads).padStart(7)}${String(r.runs).padStart(6)}` +
      `${r.secondsPerRun.toFixed(3).padStart(12)}${r.cpuSecondsPerRun.toFixed(3).padStart(11)}${r.testAccuracyMean.toFixed(4).padStart(17)}`,
  );
}
console.log(JSON.stringify({ rows }));
