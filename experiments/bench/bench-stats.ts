// node --import tsx experiments/bench/bench-stats.ts [matrix.mtx ...]
//
// matrixStats per call on shared/data's largest matrix (bayer10, O(nnz) passes
// only), bcsstk13 (SPD, not dominant: its hint runs the envelope Cholesky) and
// CsrMatrix.poisson2d(1000, 1000) (1e6 rows, weakly dominant: no Cholesky), one
// thread; run under `taskset -c 0` for one core. Issue #15 moved its loops into C++.
import { loadavg } from 'node:os';
import { CsrMatrix, matrixStats, readMatrixMarket, setThreads } from '../../native/lib/index.js';
import { sharedData } from '../../test/helpers.js';
import { formatSeconds, measure } from './measure.js';

setThreads(1);
const files = process.argv.slice(2);
const cases: [string, CsrMatrix][] = [];
for (const name of files.length ? files : ['bayer10.mtx', 'bcsstk13.mtx']) {
  const { matrix } = await readMatrixMarket(files.length ? name : sharedData('matrices', name), { complex: 'real' });
  cases.push([name, matrix]);
}
cases.push(['poisson2d(1000, 1000)', CsrMatrix.poisson2d(1000, 1000)]);
console.log(`bench-stats: load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [name, A] of cases) {
  const t = measure(() => void matrixStats(A), { samples: 9, sampleTime: 0.05, maxTime: 20 });
  console.log(`${name} (${A.rows} x ${A.cols}, nnz ${A.nnz}, spd ${matrixStats(A).spd.method}): median ${formatSeconds(t.median_s)}, min ${formatSeconds(t.min_s)}`);
}
