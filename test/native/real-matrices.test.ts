// Every op on the real matrices of ../shared/data/matrices/index.json: forward
// against a dense reference computed here (small matrices) or against identities
// checked with SpMV on random vectors (large ones), and VJPs by float64 central
// differences on a random sample of entries. Complex matrices are skipped, with
// the reason printed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CsrMatrix, gradcheck, noGrad, randn, readMatrixMarket, spadd, spdmm, spgemm, spmv, spsolve, sptrsv, type Tensor,
} from '../../native/lib/index.js';
import { assertClose, denseMatmul, denseOf, sharedData } from '../helpers.js';

interface IndexEntry { name: string; file: string; rows: number; cols: number; nnz_expanded: number; field: string; symmetry: string }

const index = JSON.parse(readFileSync(sharedData('matrices', 'index.json'), 'utf8')) as { matrices: IndexEntry[] };
const DENSE_LIMIT = 300_000; // rows*cols up to which a dense reference is computed
const SAMPLE = 12; // entries per input checked by finite differences

function denseVec(A: number[][], x: ArrayLike<number>): number[] {
  return A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));
}

/** A matrix with the same pattern ∪ diagonal, made diagonally dominant: well conditioned for solves and FD checks. */
function dominant(A: CsrMatrix): CsrMatrix {
  const n = A.rows;
  const rowAbs = new Float64Array(n);
  const ip = A.indptr;
  const v = A.values.data;
  for (let i = 0; i < n; i++) for (let p = ip[i]!; p < ip[i + 1]!; p++) rowAbs[i] += Math.abs(v[p]!);
  const shift = Math.max(1, ...rowAbs);
  const I = CsrMatrix.eye(n);
  return noGrad(() => spadd(A.detach(), I, { alpha: 1, beta: 2 * shift }));
}

/**
 * A matrix of A's shape whose pattern overlaps A's only in part: A's entries at
 * even positions p (values 1 + p mod 5) and an entry (i, (7i + 3) mod cols) in
 * every row (duplicates summed), so spadd takes the union of two patterns.
 */
function partner(A: CsrMatrix): CsrMatrix {
  const [m, n] = A.shape as [number, number];
  const ip = A.indptr;
  const ix = A.indices;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let p = ip[i]!; p < ip[i + 1]!; p += 2) r.push(i), c.push(ix[p]!), v.push(1 + (p % 5));
    r.push(i), c.push((7 * i + 3) % n), v.push(-0.5);
  }
  return CsrMatrix.fromCoo(r, c, v, [m, n]);
}

/** A leaf copy (own storage, so perturbing it in gradcheck touches nothing else). */
function leaf(A: CsrMatrix): CsrMatrix {
  return A.withValues(A.values.clone(), { requiresGrad: true });
}

const verbose = process.env.SPARSE_AD_TEST_VERBOSE === '1';
let stepStart = Date.now();
function step(label: string): void {
  if (verbose) console.log(`# ${label}: ${Date.now() - stepStart} ms`);
  stepStart = Date.now();
}

function assertGrad(name: string, fn: (...inputs: (Tensor | CsrMatrix)[]) => Tensor, inputs: (Tensor | CsrMatrix)[]): void {
  const r = gradcheck(fn, inputs, { maxEntries: SAMPLE, seed: 3, rtol: 1e-4, atol: 1e-6 });
  step(name);
  assert.ok(r.ok, `${name}: gradcheck failed: ${JSON.stringify(r.failures.slice(0, 3))} (max rel ${r.maxRelError})`);
}

for (const entry of index.matrices) {
  if (entry.field === 'complex') {
    test(`real matrix ${entry.name}: skipped`, (t) => {
      t.skip(`${entry.name} is complex (${entry.symmetry}); the engine's ops are real-valued`);
    });
    continue;
  }
  test(`real matrix ${entry.name} (${entry.rows}×${entry.cols}, nnz ${entry.nnz_expanded}): every op, forward and VJP`, async () => {
    const { matrix: A0 } = await readMatrixMarket(sharedData('matrices', entry.file));
    assert.deepEqual(A0.shape, [entry.rows, entry.cols]);
    assert.equal(A0.nnz, entry.nnz_expanded);
    const A = leaf(A0);
    const [m, n] = A.shape;
    const small = m * n <= DENSE_LIMIT;
    const Ad = small ? denseOf(A) : null;
    const x = randn([n], { seed: 11 });
    const u = randn([m], { seed: 12 });

    // SpMV
    const y = noGrad(() => spmv(A, x));
    if (Ad) assertClose(y.toArray(), denseVec(Ad, x.data), { rtol: 1e-12, atol: 1e-9, msg: `${entry.name} spmv` });
    assertGrad(`${entry.name} spmv`, (M, v) => spmv(M as CsrMatrix, v as Tensor), [A, x.detach()]);

    // SpDMM with a 3-column dense operand: each column must equal an SpMV.
    const D = randn([n, 3], { seed: 13 });
    const C = noGrad(() => spdmm(A, D));
    for (let k = 0; k < 3; k++) {
      const col = randn([n], { seed: 0 });
      for (let j = 0; j < n; j++) col.data[j] = D.data[j * 3 + k]!;
      const ref = noGrad(() => spmv(A, col));
      assertClose(Array.from({ length: m }, (_, i) => C.data[i * 3 + k]!), ref.toArray(), { rtol: 1e-12, atol: 1e-9, msg: `${entry.name} spdmm col ${k}` });
    }
    assertGrad(`${entry.name} spdmm`, (M, d) => spdmm(M as CsrMatrix, d as Tensor), [A, D]);

    // SpGEMM: A Aᵀ (any shape); check (A Aᵀ) u = A (Aᵀ u), and densely when small.
    const At = leaf(A.transpose());
    const P = noGrad(() => spgemm(A, At));
    const lhs = noGrad(() => spmv(P, u));
    const rhs = noGrad(() => spmv(A, spmv(At, u)));
    assertClose(lhs.toArray(), rhs.toArray(), { rtol: 1e-9, atol: 1e-9 * (1 + Math.max(...rhs.toArray().map(Math.abs))), msg: `${entry.name} spgemm` });
    if (Ad && m * m <= DENSE_LIMIT) assertClose(denseOf(P), denseMatmul(Ad, denseOf(At)), { rtol: 1e-12, atol: 1e-9, msg: `${entry.name} spgemm dense` });
    assertGrad(`${entry.name} spgemm`, (M, N) => spgemm(M as CsrMatrix, N as CsrMatrix).values, [A, At]);

    // αA + βB with B of the same shape and a different pattern: A's entries in
    // every other position (by p) plus one entry per row at a column of its own.
    const B = leaf(partner(A));
    const S = noGrad(() => spadd(A, B, { alpha: 0.5, beta: -2 }));
    if (Ad) {
      const Bd = denseOf(B);
      assertClose(denseOf(S), Ad.map((row, i) => row.map((a, j) => 0.5 * a - 2 * Bd[i]![j]!)), { rtol: 1e-12, atol: 1e-12, msg: `${entry.name} spadd` });
    }
    assertGrad(`${entry.name} spadd`, (M, N) => spadd(M as CsrMatrix, N as CsrMatrix, { alpha: 0.5, beta: -2 }).values, [A, B]);

    if (m !== n) {
      console.log(`# ${entry.name}: sptrsv and spsolve skipped (the matrix is ${m} x ${n}, not square)`);
      return;
    }

    // Triangular solves on the lower/upper parts of a diagonally dominant version.
    const W = leaf(dominant(A));
    const L = leaf(W.tril());
    const U = leaf(W.triu());
    const b = randn([n], { seed: 14 });
    for (const [tri, lower] of [[L, true], [U, false]] as const) {
      const z = noGrad(() => sptrsv(tri, b, { lower }));
      const back = noGrad(() => spmv(tri, z));
      assertClose(back.toArray(), b.toArray(), { rtol: 1e-9, atol: 1e-9, msg: `${entry.name} sptrsv lower=${lower} residual` });
      assertGrad(`${entry.name} sptrsv lower=${lower}`, (M, v) => sptrsv(M as CsrMatrix, v as Tensor, { lower }), [tri, b.detach()]);
    }

    // spsolve: on the matrix itself when it is nonsingular (residual check), and
    // VJPs on the diagonally dominant version (finite differences need a modest condition number).
    try {
      const z = noGrad(() => spsolve(A, b));
      const r = noGrad(() => spmv(A, z)).toArray();
      let rn = 0;
      let bn = 0;
      for (let i = 0; i < n; i++) { rn = Math.max(rn, Math.abs(r[i]! - b.data[i]!)); bn = Math.max(bn, Math.abs(b.data[i]!)); }
      let an = 0;
      const ip = A.indptr;
      for (let i = 0; i < n; i++) { let s = 0; for (let p = ip[i]!; p < ip[i + 1]!; p++) s += Math.abs(A.values.data[p]!); an = Math.max(an, s); }
      const zn = Math.max(...z.toArray().map(Math.abs));
      assert.ok(rn <= 1e-10 * (an * zn + bn), `${entry.name} spsolve: residual ${rn} too large (‖A‖ ${an}, ‖x‖ ${zn})`);
    } catch (e) {
      assert.match((e as Error).message, /^spsolve: .*singular/, `${entry.name}: spsolve failed with an unexpected error: ${(e as Error).message}`);
      console.log(`# ${entry.name}: spsolve reports the matrix singular: ${(e as Error).message}`);
    }
    if (n > 2500) {
      // Adding a dominant diagonal ruins the ordering of the large unsymmetric
      // matrices (bayer10 + σI fills to 2·10^7 entries: SuperLU needs 18 s on it too).
      console.log(`# ${entry.name}: spsolve VJP checked on the smaller matrices only (n = ${n} > 2500)`);
      return;
    }
    const z = noGrad(() => spsolve(W, b));
    assertClose(noGrad(() => spmv(W, z)).toArray(), b.toArray(), { rtol: 1e-9, atol: 1e-9, msg: `${entry.name} spsolve residual` });
    assertGrad(`${entry.name} spsolve`, (M, v) => spsolve(M as CsrMatrix, v as Tensor), [W, b.detach()]);
  });
}
