// npm run bench:threshold -- [--max 4096] [--out FILE.json]
//
// Where a native call stops costing more than a JavaScript loop over the same
// entries (issue #15: no JavaScript loop over tensor elements in native/lib
// except below a measured size). For sizes 1, 2, 4, … up to --max, one thread
// pinned to CPU 0, it times per call, into preallocated arrays:
//   arange  the addon's iota vs `for (i) out[i] = i`      (native/lib/index_maps.ts: ARANGE_JS_MAX)
//   add     the addon's binary add vs `o[i] = a[i] + b[i]` (the dense ops: always native)
//   where   the addon's whereMaps vs the JavaScript maps it replaced ([n/8, 8] cond, a [8] row, a scalar b)
// and prints the crossover: the largest size at which the loop was still faster.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type FloatArray, kernel } from '../../native/lib/addon.js';
import { ARANGE_JS_MAX } from '../../native/lib/index_maps.js';
import { setThreads } from '../../native/lib/index.js';
import { formatSeconds, measure } from './measure.js';

const { values } = parseArgs({ options: { max: { type: 'string', default: '4096' }, out: { type: 'string', default: 'bench-results/threshold.json' } } });
const max = Number(values.max);
const pinned = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]).status === 0;
setThreads(1);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`bench:threshold — ${cpus()[0]?.model ?? ''}, one thread, ${pinned ? 'pinned to CPU 0 (taskset)' : 'NOT pinned'}; load average ${load()}`);

type Binary = (op: 'add', shape: readonly number[], a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[], out: FloatArray) => void;
type WhereMaps = (c: FloatArray, cs: readonly number[], as: readonly number[], bs: readonly number[], s: readonly number[], pa: Int32Array, pb: Int32Array) => void;
const iota = kernel<(o: FloatArray) => void>('iota');
const binary = kernel<Binary>('binary');
const whereMaps = kernel<WhereMaps>('whereMaps');

/** The JavaScript where maps that whereMaps replaced: cond [rows, 8], a [8] broadcast along rows, b a scalar. */
function whereMapsJs(c: FloatArray, rows: number, pickA: Int32Array, pickB: Int32Array): void {
  for (let r = 0, i = 0; r < rows; r++) {
    for (let j = 0; j < 8; j++, i++) {
      const t = c[i] !== 0;
      pickA[i] = t ? j : -1;
      pickB[i] = t ? -1 : 0;
    }
  }
}

interface Row { size: number; op: string; native_s: number; js_s: number }
const rows: Row[] = [];
const timing = { sampleTime: 0.002, samples: 9, warmupTime: 0.01, maxTime: 0.3 };
for (let n = 1; n <= max; n *= 2) {
  const out = new Float64Array(n);
  const a = Float64Array.from({ length: n }, (_, i) => i * 0.5);
  const b = Float64Array.from({ length: n }, (_, i) => 1 - i);
  const flat = [n];
  rows.push({
    size: n, op: 'arange',
    native_s: measure(() => iota(out), timing).median_s,
    js_s: measure(() => { for (let i = 0; i < n; i++) out[i] = i; }, timing).median_s,
  });
  rows.push({
    size: n, op: 'add',
    native_s: measure(() => binary('add', flat, a, flat, b, flat, out), timing).median_s,
    js_s: measure(() => { for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!; }, timing).median_s,
  });
  if (n >= 8) {
    const c = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 3 === 0 ? 1 : 0);
    const pa = new Int32Array(n);
    const pb = new Int32Array(n);
    const shape = [n / 8, 8];
    rows.push({
      size: n, op: 'where',
      native_s: measure(() => whereMaps(c, shape, [8], [], shape, pa, pb), timing).median_s,
      js_s: measure(() => whereMapsJs(c, n / 8, pa, pb), timing).median_s,
    });
  }
}

console.log('\n| size | op | native per call | JS loop per call | JS / native |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.size} | ${r.op} | ${formatSeconds(r.native_s)} | ${formatSeconds(r.js_s)} | ${(r.js_s / r.native_s).toFixed(2)} |`);
console.log('');
for (const op of ['arange', 'add', 'where']) {
  const mine = rows.filter((r) => r.op === op);
  const slower = mine.filter((r) => r.js_s < r.native_s).map((r) => r.size);
  const cross = slower.length ? Math.max(...slower) : 0;
  console.log(`${op}: the JavaScript loop was faster up to ${cross} entries${cross ? '' : ' (never)'}; above that the native call`);
}
console.log(`native/lib keeps a loop only for arange, up to ARANGE_JS_MAX = ${ARANGE_JS_MAX} entries; load average at end ${load()}`);
mkdirSync(dirname(resolve(values.out!)), { recursive: true });
writeFileSync(values.out!, JSON.stringify({ pinned, load: loadavg(), rows }, null, 1));
