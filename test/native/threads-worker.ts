// Worker body for threads.test.ts: loads the engine in its own thread and checks an SpMV.
import { parentPort, workerData } from 'node:worker_threads';
import { CsrMatrix, setThreads, spmv, tensor } from '../../native/lib/index.js';

const { id } = workerData as { id: number };
const n = 20000;
const rows: number[] = [];
const cols: number[] = [];
const vals: number[] = [];
for (let i = 0; i < n; i++) {
  rows.push(i); cols.push(i); vals.push(i + 1);
  if (i + 1 < n) { rows.push(i); cols.push(i + 1); vals.push(1); }
}
setThreads(2);
const A = CsrMatrix.fromCoo(rows, cols, vals, [n, n]);
let ok = true;
for (let rep = 0; rep < 50 && ok; rep++) {
  const y = spmv(A, tensor(new Float64Array(n).fill(id + 1))).toArray();
  for (let i = 0; i < n; i++) {
    if (y[i] !== (id + 1) * (i + 1 + (i + 1 < n ? 1 : 0))) { ok = false; break; }
  }
}
parentPort!.postMessage(ok);
