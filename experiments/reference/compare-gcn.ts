// GCN on CiteSeer: time per run, ours against PyTorch (gcn_torch.py, the same
// model with torch.sparse.mm), at 1 and 2 threads, measured in one go with the
// two interleaved so that both see the same machine load.
//
//   node --import tsx experiments/reference/compare-gcn.ts [--runs R] [--threads 1,2] [--python /usr/bin/python3]
//
// Prints a table and a JSON line. Accuracy over 100 runs is measured by the
// preset itself (npm run experiment -- gcn).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setThreads } from '../../native/lib/index.js';
import { defaultDataDir } from '../compile/common.js';
import { runExperiment } from '../runner/run.js';
import type { GcnResult } from '../runner/types.js';
import { preset } from '../spec/presets.js';

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
  testAccuracyMean: number;
}

const rows: Row[] = [];
for (const threads of threadCounts) {
  // Ours, in this process.
  setThreads(threads);
  const r = (await runExperiment({ ...preset('gcn'), runs })) as GcnResult;
  rows.push({ impl: 'sparse-ad-lab', threads, runs, secondsPerRun: median(r.runs.map((x) => x.seconds)), testAccuracyMean: r.summary.testAccuracyMean });
  // PyTorch, in a child process.
  const t = spawnSync(python, [join(here, 'gcn_torch.py'), '--data', data, '--runs', String(runs), '--threads', String(threads)], { encoding: 'utf8' });
  if (t.status !== 0) {
    rows.push({ impl: `pytorch (failed: ${(t.stderr || t.error?.message || '').trim().split('\n').pop()})`, threads, runs, secondsPerRun: Number.NaN, testAccuracyMean: Number.NaN });
    continue;
  }
  const j = JSON.parse(t.stdout) as { torch: string; secondsPerRun: number; testAccuracyMean: number };
  rows.push({ impl: `pytorch ${j.torch}`, threads, runs, secondsPerRun: j.secondsPerRun, testAccuracyMean: j.testAccuracyMean });
}

console.log('implementation        threads  runs  s/run (median)  test acc (mean)');
for (const r of rows) {
  console.log(`${r.impl.padEnd(22)}${String(r.threads).padStart(7)}${String(r.runs).padStart(6)}${r.secondsPerRun.toFixed(3).padStart(16)}${r.testAccuracyMean.toFixed(4).padStart(17)}`);
}
console.log(JSON.stringify({ rows }));
