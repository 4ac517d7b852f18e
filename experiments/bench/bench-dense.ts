// npm run bench:dense -- [--n 19] [--samples 15] [--no-numpy] [--out FILE.json]
//
// Each dense op at 2^n entries (default 2^19), float32 and float64, beside
// NumPy's time for the same op measured in the same run, on one core: the
// script pins itself and every thread it has to CPU 0 (taskset -a -p), and
// the python3 it starts inherits that. NumPy runs without the machine's
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (unset only for its command). Then it
// unpins itself and times add and sum at 2^22 entries on 1 and 2 threads.
// Prints a table and writes JSON (bench-results/dense.json by default).
//
// Ours is timed twice: plain (each call's output left to the garbage collector,
// as a loop that never disposes does) and inside scope() (the output disposed
// when the call ends, its buffer back in the pool: pool.ts). The ratio row uses
// the scoped figure: NumPy frees each temporary when its last reference goes,
// and scope() is how a loop here says the same; the plain figure is printed
// beside it.
//
// Each side reports the median and the fastest of its samples; the ratio is of
// the fastest samples (on a shared machine the slower samples measure the
// neighbours, and both sides suffer them alike only on average). NumPy runs
// twice, before and after ours, and keeps its faster sample of the two.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Adam, add, div, exp, logSoftmax, mean, mul, noGrad, relu, scope, setThreads, sum, tanh, tensor, type DType, type Tensor,
} from '../../native/lib/index.js';
import { measure } from './measure.js';

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '19' },
    samples: { type: 'string', default: '15' },
    'no-numpy': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/dense.json' },
  },
});
const N = 2 ** Number(opts.n);
const COLS = 32;
const ROWS = N / COLS;
const SAMPLES = Number(opts.samples);

/** Sets the CPUs of every thread of this process (taskset -a -p); false when taskset is missing. */
function pin(cpuList: string): boolean {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { encoding: 'utf8' });
  return r.status === 0;
}

function seeded(n: number, dtype: DType, seed: number, lo: number, hi: number): Tensor {
  // A small LCG: the values only need to be fixed and spread, not random.
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return tensor(a, { dtype });
}

function oursFor(dtype: DType): Record<string, () => unknown> {
  const a = seeded(N, dtype, 1, -3, 3);
  const b = seeded(N, dtype, 2, 0.5, 1.5);
  const m = a.reshape([ROWS, COLS]);
  const v = tensor(b.data.slice(0, COLS), { dtype });
  const p = seeded(N, dtype, 3, -1, 1).requiresGrad_();
  p.grad = seeded(N, dtype, 4, -1, 1);
  const opt = new Adam([p]);
  return {
    add: () => add(a, b),
    mul: () => mul(a, b),
    div: () => div(a, b),
    relu: () => relu(a),
    exp: () => exp(a),
    tanh: () => tanh(a),
    sum: () => sum(a),
    'mean axis 0': () => mean(m, 0),
    'mean axis 1': () => mean(m, 1),
    'broadcast add': () => add(m, v),
    'logSoftmax rows': () => logSoftmax(m),
    'Adam step': () => opt.step(),
  };
}

/** {"<dtype>/<op>": [median, min]} from dense_numpy.py, or why not. */
function numpyTimes(): Record<string, [number, number]> | string {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), 'dense_numpy.py');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', [script, String(N), String(ROWS), String(COLS), String(SAMPLES)], { encoding: 'utf8', env });
  if (r.status !== 0) return `python3/numpy failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout) as Record<string, [number, number]>;
}

const fmt = (s: number): string => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`);

const pinned = pin('0');
setThreads(1);
console.log(`bench:dense — 2^${opts.n} entries ([${ROWS}, ${COLS}] for the row / axis ops), one thread, ${pinned ? 'pinned to CPU 0 (taskset)' : 'NOT pinned (taskset missing)'}; ${cpus()[0]?.model ?? ''}`);
const numpy1 = opts['no-numpy'] ? 'skipped (--no-numpy)' : numpyTimes();
if (typeof numpy1 === 'string') console.log(`NumPy: ${numpy1}`);
else console.log(`NumPy ${String(numpy1.numpy)} (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for its command)`);

interface Row { dtype: DType; op: string; ours_s: number; ours_min_s: number; plain_s: number; plain_min_s: number; numpy_s: number | null; numpy_min_s: number | null; ratio: number | null }
const rows: Row[] = [];
noGrad(() => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    const ops = Object.entries(oursFor(dtype));
    for (const [, fn] of ops) for (let i = 0; i < 5; i++) fn(); // first-touch and warm-up of every op
    for (const [op, fn] of ops) {
      const plain = measure(fn, { samples: SAMPLES, sampleTime: 0.01, maxTime: 2 });
      const scoped = measure(() => scope(() => void fn()), { samples: SAMPLES, sampleTime: 0.01, maxTime: 2 });
      rows.push({
        dtype, op, ours_s: scoped.median_s, ours_min_s: scoped.min_s, plain_s: plain.median_s, plain_min_s: plain.min_s,
        numpy_s: null, numpy_min_s: null, ratio: null,
      });
    }
  }
});
const numpy2 = typeof numpy1 === 'string' ? numpy1 : numpyTimes();
for (const r of rows) {
  const key = `${r.dtype}/${r.op}`;
  const runs = [numpy1, numpy2].filter((x): x is Record<string, [number, number]> => typeof x !== 'string' && x[key] !== undefined);
  if (runs.length === 0) continue;
  r.numpy_s = Math.min(...runs.map((x) => x[key]![0]));
  r.numpy_min_s = Math.min(...runs.map((x) => x[key]![1]));
  r.ratio = r.ours_min_s / r.numpy_min_s;
}
console.log('\nours: each call in scope() (its output back in the pool: the row\'s figure); plain: outputs left to the GC');
console.log(`${'dtype'.padEnd(8)} ${'op'.padEnd(16)} ${'ours min'.padStart(10)} ${'(median)'.padStart(10)} ${'plain min'.padStart(10)} ${'(median)'.padStart(10)} ${'NumPy min'.padStart(10)} ${'(median)'.padStart(10)} ${'ours/NumPy'.padStart(11)}`);
for (const r of rows) {
  const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×${r.ratio > 1.5 ? '  (> 1.5)' : ''}`;
  const np = (v: number | null): string => (v === null ? '—' : fmt(v));
  console.log(`${r.dtype.padEnd(8)} ${r.op.padEnd(16)} ${fmt(r.ours_min_s).padStart(10)} ${fmt(r.ours_s).padStart(10)} ${fmt(r.plain_min_s).padStart(10)} ${fmt(r.plain_s).padStart(10)} ${np(r.numpy_min_s).padStart(10)} ${np(r.numpy_s).padStart(10)} ${ratio.padStart(11)}`);
}
const worst = Math.max(...rows.map((r) => r.ratio ?? 0));
const worstPlain = Math.max(...rows.map((r) => (r.numpy_min_s === null ? 0 : r.plain_min_s / r.numpy_min_s)));
console.log(`worst ratio ${worst.toFixed(2)}× (bar: every row ≤ 1.5×); plain (no scope) worst ${worstPlain.toFixed(2)}×`);
console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);

// Thread scaling: both cores, 2^22 entries.
const SCALING_ROUNDS = 5;
const unpinned = pin(cpus().map((_, i) => i).join(','));
const big = 2 ** 22;
const scaling: { dtype: DType; op: string; t1_s: number; t2_s: number; speedup: number }[] = [];
noGrad(() => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    const a = seeded(big, dtype, 5, -1, 1);
    const b = seeded(big, dtype, 6, -1, 1);
    for (const [op, fn] of [['add', () => add(a, b)], ['sum', () => sum(a)]] as const) {
      // 1 and 2 threads alternate over rounds, each keeping its fastest sample:
      // this VM's neighbours move its memory bandwidth from second to second, and
      // one round each (as before) gave float32 add anywhere from 1.1× to 2.8×.
      const t = [Infinity, Infinity];
      for (let round = 0; round < SCALING_ROUNDS; round++) {
        for (const th of [1, 2]) {
          setThreads(th);
          t[th - 1] = Math.min(t[th - 1]!, measure(() => scope(() => void fn()), { samples: SAMPLES, sampleTime: 0.01, maxTime: 1 }).min_s);
        }
      }
      scaling.push({ dtype, op, t1_s: t[0]!, t2_s: t[1]!, speedup: t[0]! / t[1]! });
    }
  }
});
console.log(`\nthread scaling at 2^22 entries, fastest samples of ${SCALING_ROUNDS} alternating rounds, each call in scope() (${unpinned ? 'unpinned' : 'affinity unchanged'}; ${cpus().length} CPUs):`);
for (const s of scaling) console.log(`${s.dtype.padEnd(8)} ${s.op.padEnd(5)} 1 thread ${fmt(s.t1_s).padStart(9)}  2 threads ${fmt(s.t2_s).padStart(9)}  ${s.speedup.toFixed(2)}× (bar ≥ 1.6×)`);

mkdirSync(dirname(resolve(opts.out!)), { recursive: true });
const loadavg = readFileSync('/proc/loadavg', 'utf8').trim();
console.log(`load average ${loadavg}`);
writeFileSync(resolve(opts.out!), JSON.stringify({ n: N, pinned, numpy: typeof numpy1 === 'string' ? numpy1 : numpy1.numpy, loadavg, rows, scaling }, null, 2));
console.log(`wrote ${opts.out}`);
