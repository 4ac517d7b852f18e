// node --import tsx experiments/bench/bench-coo.ts [--small]
//
// CsrMatrix.fromCoo and fromDense, the matrix constructions issue #15 moved
// into C++ (native/core/coo_cpu.cc). One thread pinned to CPU 0:
//   fromCoo   10^6 entries in a 10^5 × 10^5 matrix, 30% of them repeating an
//             earlier (row, col), shuffled; Int32Array and number[] indices
//   fromDense a 2000 × 2000 float64 tensor at 1% density
// --small also times fromCoo and fromDense at a few entries (where a native
// call's fixed cost matters most).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CsrMatrix, Generator, setThreads, Tensor } from '../../native/lib/index.js';
import { formatSeconds, measure } from './measure.js';

const { values } = parseArgs({ options: { small: { type: 'boolean', default: false } } });
const pinned = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]).status === 0;
setThreads(1);
console.log(`bench-coo — one thread, ${pinned ? 'pinned to CPU 0' : 'NOT pinned'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const gen = new Generator(7);
const n = 1_000_000;
const dim = 100_000;
const unique = Math.round(n * 0.7);
const rows = new Int32Array(n);
const cols = new Int32Array(n);
for (let k = 0; k < n; k++) {
  const src = k < unique ? -1 : gen.integer(unique);
  rows[k] = src < 0 ? gen.integer(dim) : rows[src]!;
  cols[k] = src < 0 ? gen.integer(dim) : cols[src]!;
}
for (let k = n - 1; k > 0; k--) {
  const t = gen.integer(k + 1);
  [rows[k], rows[t]] = [rows[t]!, rows[k]!];
  [cols[k], cols[t]] = [cols[t]!, cols[k]!];
}
const vals = Float64Array.from({ length: n }, () => gen.normal());
const rowsArr = Array.from(rows);
const colsArr = Array.from(cols);
const big = { sampleTime: 0.2, samples: 7, warmupTime: 0.2, maxTime: 8 };
const nnz = CsrMatrix.fromCoo(rows, cols, vals, [dim, dim]).nnz;
console.log(`fromCoo ${n} entries (${n - nnz} duplicates), Int32Array:  ${formatSeconds(measure(() => CsrMatrix.fromCoo(rows, cols, vals, [dim, dim]), big).median_s)}`);
console.log(`fromCoo ${n} entries, number[]:                      ${formatSeconds(measure(() => CsrMatrix.fromCoo(rowsArr, colsArr, vals, [dim, dim]), big).median_s)}`);

const side = 2000;
const dense = new Float64Array(side * side);
for (let p = 0; p < dense.length; p++) if (gen.uniform() < 0.01) dense[p] = gen.normal();
const D = new Tensor(dense, [side, side]);
console.log(`fromDense ${side}x${side} at 1% (${CsrMatrix.fromDense(D).nnz} nonzeros):   ${formatSeconds(measure(() => CsrMatrix.fromDense(D), big).median_s)}`);

if (values.small) {
  const small = { sampleTime: 0.005, samples: 15, warmupTime: 0.05, maxTime: 1 };
  for (const m of [1, 4, 16, 64, 256]) {
    const r = Int32Array.from({ length: m }, (_, k) => (k * 7) % m);
    const c = Int32Array.from({ length: m }, (_, k) => (k * 3) % 5);
    const v = Float64Array.from({ length: m }, (_, k) => k + 1);
    const d = new Tensor(Float64Array.from({ length: m * 4 }, (_, k) => (k % 3 === 0 ? k : 0)), [m, 4]);
    console.log(`  m=${m}: fromCoo ${formatSeconds(measure(() => CsrMatrix.fromCoo(r, c, v, [m, 5]), small).median_s)}, fromDense [${m}, 4] ${formatSeconds(measure(() => CsrMatrix.fromDense(d), small).median_s)}`);
  }
}
