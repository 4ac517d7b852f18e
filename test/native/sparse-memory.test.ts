// "Sparse stays sparse": on a 2^20-row matrix, no op's forward or backward may
// allocate anything O(rows × cols). A dense 2^20 × 2^20 float64 array would be
// 8 TiB, so the bound below (a small multiple of the O(nnz + n) data) is far
// from anything quadratic; it is measured as ArrayBuffer growth while the
// outputs and gradients are alive, and as the process's peak RSS growth.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CsrMatrix, randn, spadd, spdmm, spgemm, spmv, spsolve, sptrsv, type Tensor,
} from '../../native/lib/index.js';

const N = 2 ** 20;

function poisson(n: number, lower = false): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) { r.push(i); c.push(i - 1); v.push(-1); }
    r.push(i); c.push(i); v.push(2);
    if (!lower && i + 1 < n) { r.push(i); c.push(i + 1); v.push(-1); }
  }
  return CsrMatrix.fromCoo(r, c, v, [n, n], { requiresGrad: true });
}

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function memoryCase(name: string, build: () => { run: () => unknown; dataBytes: number }): void {
  test(`sparse stays sparse: ${name} forward+backward on ${N} rows`, () => {
    const { run, dataBytes } = build();
    globalThis.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const rssBefore = peakRssBytes();
    const keep = run();
    const grown = process.memoryUsage().arrayBuffers - before;
    const rssGrown = peakRssBytes() - rssBefore;
    const bound = 12 * dataBytes;
    console.log(`# ${name}: inputs ${(dataBytes / 2 ** 20).toFixed(0)} MiB, ArrayBuffer growth ${(grown / 2 ** 20).toFixed(0)} MiB, peak RSS growth ${(rssGrown / 2 ** 20).toFixed(0)} MiB (bound ${(bound / 2 ** 20).toFixed(0)} MiB; dense would be 8 TiB)`);
    assert.ok(grown < bound, `${name}: ArrayBuffers grew by ${grown} bytes, more than ${bound}`);
    assert.ok(rssGrown < bound + 256 * 2 ** 20, `${name}: peak RSS grew by ${rssGrown} bytes`);
    assert.ok(keep);
  });
}

const bytesOf = (A: CsrMatrix): number => A.nnz * 12 + (A.rows + 1) * 4;

memoryCase('spmv', () => {
  const A = poisson(N);
  const x = randn([N], { seed: 1, requiresGrad: true });
  return {
    dataBytes: bytesOf(A) + N * 8,
    run: () => { const y = spmv(A, x); y.backward(y.detach()); return [A.values.grad, x.grad]; },
  };
});

memoryCase('spgemm', () => {
  const A = poisson(N);
  const B = poisson(N);
  return { dataBytes: 2 * bytesOf(A), run: () => { const C = spgemm(A, B); C.values.backward(C.values.detach()); return [A.values.grad, B.values.grad]; } };
});

memoryCase('spdmm', () => {
  const A = poisson(N);
  const D = randn([N, 4], { seed: 2, requiresGrad: true });
  return { dataBytes: bytesOf(A) + N * 4 * 8, run: () => { const C: Tensor = spdmm(A, D); C.backward(C.detach()); return [A.values.grad, D.grad]; } };
});

memoryCase('spadd', () => {
  const A = poisson(N);
  const B = poisson(N, true);
  return { dataBytes: bytesOf(A) + bytesOf(B), run: () => { const C = spadd(A, B, { alpha: 2, beta: 3 }); C.values.backward(C.values.detach()); return [A.values.grad, B.values.grad]; } };
});

memoryCase('sptrsv', () => {
  const L = poisson(N, true);
  const b = randn([N], { seed: 3, requiresGrad: true });
  return { dataBytes: bytesOf(L) + N * 8, run: () => { const x = sptrsv(L, b, { lower: true }); x.backward(x.detach()); return [L.values.grad, b.grad]; } };
});

memoryCase('spsolve', () => {
  const A = poisson(N);
  const b = randn([N], { seed: 4, requiresGrad: true });
  return { dataBytes: bytesOf(A) + N * 8, run: () => { const x = spsolve(A, b); x.backward(x.detach()); return [A.values.grad, b.grad]; } };
});
