import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CsrMatrix, Generator, gradcheck, readMatrixMarket, spsolve, tensor, Tensor } from '../../native/lib/index.js';
import { cholesky, cholSolve, logdet } from '../../native/lib/ops/cholesky.js';
import { assertClose, denseOf, sharedData } from '../helpers.js';

// ---------------------------------------------------------------------------
// Dense references (independent of CHOLMOD and of our sparse code)

/** log det by a dense Cholesky; throws when a pivot is not positive. */
function denseLogdet(A: number[][]): number {
  const n = A.length;
  const L = A.map((r) => r.map(() => 0));
  let s = 0;
  for (let j = 0; j < n; j++) {
    let d = A[j]![j]!;
    for (let k = 0; k < j; k++) d -= L[j]![k]! ** 2;
    if (!(d > 0)) throw new Error(`reference: not positive definite at ${j}`);
    L[j]![j] = Math.sqrt(d);
    s += Math.log(d);
    for (let i = j + 1; i < n; i++) {
      let v = A[i]![j]!;
      for (let k = 0; k < j; k++) v -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = v / L[j]![j]!;
    }
  }
  return s;
}

/** Dense inverse by Gauss–Jordan with partial pivoting. */
function denseInverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...r.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    for (let j = 0; j < 2 * n; j++) M[c]![j]! /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  return M.map((r) => r.slice(n));
}

/** A random sparse SPD matrix: B Bᵀ + n·I for a sparse B (both triangles stored). */
function randomSpd(n: number, seed: number, density = 0.2): number[][] {
  const gen = new Generator(seed);
  const B = Array.from({ length: n }, () => Array.from({ length: n }, () => (gen.uniform() < density ? gen.normal() : 0)));
  return B.map((_, i) => B.map((__, j) => {
    let s = i === j ? n * 0.5 : 0;
    for (let k = 0; k < n; k++) s += B[i]![k]! * B[j]![k]!;
    return s;
  }));
}

function sym(A: number[][]): number[][] {
  return A.map((r, i) => r.map((v, j) => (v + A[j]![i]!) / 2));
}

function vector(n: number, seed: number): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from({ length: n }, () => gen.normal()));
}

function matrix(n: number, k: number, seed: number): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from({ length: n * k }, () => gen.normal())).reshape([n, k]);
}

// ---------------------------------------------------------------------------

test('logdet and its gradient (selected inversion) equal dense slogdet and the dense inverse on A’s pattern', () => {
  for (const [n, seed] of [[1, 1], [6, 2], [17, 3], [40, 4]] as const) {
    const D = randomSpd(n, seed);
    const A = CsrMatrix.fromDense(D, { requiresGrad: true });
    const ld = logdet(A);
    assertClose([ld.item()], [denseLogdet(D)], { rtol: 1e-12, atol: 1e-12, msg: `n=${n}` });
    ld.backward();
    const inv = denseInverse(D);
    const { indptr, indices } = A;
    const want = new Float64Array(A.nnz);
    for (let i = 0; i < n; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) want[p] = inv[i]![indices[p]!]!;
    assertClose(A.grad!.toArray(), want, { rtol: 1e-9, atol: 1e-12, msg: `grad n=${n}` });
  }
});

test('logdet with one triangle stored: S mirrors it and an off-diagonal entry gets 2·(S⁻¹)_ij', () => {
  const D = randomSpd(12, 7, 0.3);
  const inv = denseInverse(D);
  for (const which of ['upper', 'lower'] as const) {
    const full = CsrMatrix.fromDense(D);
    const T = (which === 'upper' ? full.triu() : full.tril()).detach();
    T.values.requiresGrad = true;
    const f = cholesky(T);
    assert.equal(f.storage, which);
    const ld = f.logdet();
    assertClose([ld.item()], [denseLogdet(D)], { rtol: 1e-12 });
    ld.backward();
    const { indptr, indices } = T;
    const want: number[] = [];
    for (let i = 0; i < 12; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = indices[p]!;
      want.push(i === j ? inv[i]![j]! : 2 * inv[i]![j]!);
    }
    assertClose(T.grad!.toArray(), want, { rtol: 1e-9, atol: 1e-12, msg: which });
  }
});

test('gradcheck: logdet w.r.t. values (full, upper), solve w.r.t. A and b (vector and [n, k])', () => {
  const D = randomSpd(9, 11, 0.3);
  const A = CsrMatrix.fromDense(D, { requiresGrad: true });
  let res = gradcheck((M) => logdet(M as CsrMatrix), [A]);
  assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
  const U = CsrMatrix.fromDense(D).triu().detach();
  U.values.requiresGrad = true;
  res = gradcheck((M) => logdet(M as CsrMatrix), [U]);
  assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
  for (const b of [vector(9, 1), matrix(9, 3, 2)]) {
    b.requiresGrad = true;
    res = gradcheck((M, c) => cholSolve(M as CsrMatrix, c as Tensor), [A, b]);
    assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
    res = gradcheck((M, c) => cholesky(M as CsrMatrix).solve(c as Tensor), [U, b]);
    assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
  }
});

test('a full-storage A that is not symmetric is factored as (A + Aᵀ)/2, and gradcheck agrees', () => {
  const D = randomSpd(7, 5, 0.4);
  D[0]![3] = D[0]![3]! + 0.3; // break symmetry a little
  const A = CsrMatrix.fromDense(D, { requiresGrad: true });
  assertClose([logdet(A).item()], [denseLogdet(sym(D))], { rtol: 1e-12 });
  const res = gradcheck((M) => logdet(M as CsrMatrix), [A]);
  assert.ok(res.ok, JSON.stringify(res.failures.slice(0, 3)));
});

test('solve equals a dense solve, and [n, k] equals k separate solves', () => {
  const D = randomSpd(30, 21, 0.1);
  const A = CsrMatrix.fromDense(D);
  const f = cholesky(A);
  const B = matrix(30, 4, 3);
  const X = f.solve(B).toArray();
  const inv = denseInverse(D);
  const Bd = B.toArray();
  for (let c = 0; c < 4; c++) {
    const col = Float64Array.from({ length: 30 }, (_, i) => Bd[i * 4 + c]!);
    const xc = f.solve(tensor(col)).toArray();
    const want = inv.map((r) => r.reduce((s, v, j) => s + v * col[j]!, 0));
    assertClose(xc, want, { rtol: 1e-10, atol: 1e-12 });
    assertClose(Float64Array.from({ length: 30 }, (_, i) => X[i * 4 + c]!), xc, { rtol: 1e-14, atol: 1e-15 });
  }
});

test('refactor gives the same factor as a fresh cholesky (logdet, solve), and guards the tape', () => {
  const D = randomSpd(25, 31, 0.15);
  const A = CsrMatrix.fromDense(D, { requiresGrad: true });
  const f = cholesky(A);
  const b = vector(25, 4);
  const x1 = f.solve(b);
  const A2 = A.withValues(A.values.toArray().map((v, p) => v * (1 + 0.1 * Math.sin(p))), { requiresGrad: true });
  // The values changed symmetrically? Not necessarily: S = (A2 + A2ᵀ)/2 is what both factor.
  f.refactor(A2);
  const fresh = cholesky(A2);
  assertClose([f.logdet().item()], [fresh.logdet().item()], { rtol: 1e-14 });
  assertClose(f.solve(b).toArray(), fresh.solve(b).toArray(), { rtol: 1e-13, atol: 1e-14 });
  assert.throws(() => x1.sum().backward(), /refactored after this result was computed; run backward\(\) before refactor\(\)/);
  assert.throws(() => f.refactor(CsrMatrix.eye(25)), /CholeskyFactor.refactor: A2 must have the factored matrix's pattern/);
  f.dispose();
  assert.throws(() => f.solve(b), /CholeskyFactor.solve: the CholeskyFactor was disposed/);
});

test('not positive definite: the error names the column of A where the factorization failed', () => {
  const diag = CsrMatrix.fromDense([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, -3, 0], [0, 0, 0, 4]]);
  assert.throws(() => logdet(diag), /^SparseAdError: logdet: A is not positive definite: the factorization failed at column 2 of A/);
  assert.throws(() => cholesky(diag), /cholesky: A is not positive definite: the factorization failed at column 2 of A/);
  // Indefinite 2×2 block in rows 3–4 of an identity: fails at whichever of them is eliminated second.
  const D: number[][] = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (__, j) => (i === j ? 1 : 0)));
  D[3]![4] = 2;
  D[4]![3] = 2;
  assert.throws(() => cholesky(CsrMatrix.fromDense(D)), /not positive definite: the factorization failed at column [34] of A/);
  // A semidefinite matrix (a zero pivot) and a refactor that loses definiteness.
  assert.throws(() => logdet(CsrMatrix.fromDense([[1, 1], [1, 1]])), /not positive definite: the factorization failed at column [01] of A/);
  const f = cholesky(CsrMatrix.fromDense([[2, 1], [1, 2]]));
  assert.throws(() => f.refactor(CsrMatrix.fromDense([[2, 3], [3, 2]])), /CholeskyFactor.refactor: A is not positive definite/);
  assert.throws(() => f.solve(vector(2, 1)), /not valid \(its last factorization failed\)/);
});

test('argument errors name the op and the shapes', () => {
  const R = CsrMatrix.fromDense([[1, 0, 0], [0, 1, 0]]);
  assert.throws(() => cholesky(R), /cholesky: A must be square \(symmetric positive definite\) but has shape \[2, 3\]/);
  const A = CsrMatrix.eye(3);
  assert.throws(() => cholesky(A).solve(vector(4, 1)), /CholeskyFactor.solve: A has shape \[3, 3\] but b has shape \[4\] \(needs 3 rows\)/);
  assert.throws(() => cholesky(A, { ordering: 'rcm' as never }), /cholesky: ordering must be one of 'default', 'amd'/);
  assert.throws(() => cholesky(CsrMatrix.fromDense([[2, 1], [1, 2]]), { storage: 'upper' }), /cholesky: storage 'upper' but A has entry \(1, 0\) below the diagonal/);
  assert.throws(() => logdet(A.to('float32').astype('float64'), { storage: 'sideways' as never }), /logdet: storage must be one of/);
});

test('orderings: every one gives the same logdet; float32 works (factored in double)', () => {
  const A = CsrMatrix.poisson2d(12, 11);
  const ref = denseLogdet(denseOf(A));
  for (const ordering of ['default', 'amd', 'metis', 'nesdis', 'natural', 'best'] as const) {
    const f = cholesky(A, { ordering });
    assertClose([f.logdet().item()], [ref], { rtol: 1e-12, msg: ordering });
    assert.ok(f.info.nnzL >= A.nnz / 2, `${ordering}: ${JSON.stringify(f.info)}`);
  }
  assertClose([logdet(A.astype('float32')).item()], [ref], { rtol: 1e-6 });
});

// ---------------------------------------------------------------------------
// The real SPD matrices of ../shared/data/matrices (index.json: spd === true, real or integer)

interface IndexEntry { name: string; file?: string; spd: boolean | string; field: string; rows: number }

test('real SPD matrices: logdet vs dense, the gradient vs the dense inverse or KLU solves, solve residuals', async () => {
  const index = JSON.parse(readFileSync(sharedData('matrices', 'index.json'), 'utf8')) as IndexEntry[] | { matrices: IndexEntry[] };
  const entries = (Array.isArray(index) ? index : index.matrices).filter((e) => e.spd === true && (e.field === 'real' || e.field === 'integer'));
  assert.ok(entries.length >= 5, `expected the 5 real SPD matrices, found ${entries.map((e) => e.name)}`);
  for (const e of entries) {
    const { matrix } = await readMatrixMarket(sharedData('matrices', e.file ?? `${e.name}.mtx`));
    const A = matrix.detach();
    A.values.requiresGrad = true;
    const f = cholesky(A);
    const ld = f.logdet();
    ld.backward();
    const g = A.grad!.toArray();
    const n = A.rows;
    const { indptr, indices } = A;
    if (n <= 900) {
      const D = denseOf(A);
      assertClose([ld.item()], [denseLogdet(D)], { rtol: 1e-10, msg: e.name });
      if (n <= 500) {
        const inv = denseInverse(D);
        const want = new Float64Array(A.nnz);
        for (let i = 0; i < n; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) want[p] = inv[i]![indices[p]!]!;
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(g, want, { rtol: 1e-6, atol: 1e-8 * scale, msg: `${e.name} grad` });
      }
    }
    // Columns of A⁻¹ by KLU (an independent solver) against the selected inverse on A's pattern.
    const cols = [0, Math.floor(n / 3), n - 1];
    for (const j of cols) {
      const ej = new Float64Array(n);
      ej[j] = 1;
      const col = Array.from(spsolve(A.detach(), tensor(ej)).toArray());
      const scale = col.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // entries (i, j) for i in row j's pattern (A symmetric: (i, j) stored iff (j, i) is)
      for (let p = indptr[j]!; p < indptr[j + 1]!; p++) {
        const i = indices[p]!;
        const q = findEntry(indptr, indices, i, j);
        assert.ok(Math.abs(g[q]! - col[i]!) <= 1e-6 * scale, `${e.name}: (S⁻¹)_${i},${j} = ${g[q]} vs KLU ${col[i]}`);
      }
    }
    const b = vector(n, 5);
    const x = f.solve(b);
    const r = A.detach().matmul(x) as Tensor;
    const res = r.sub(b).norm().item() / b.norm().item();
    assert.ok(res < 1e-8, `${e.name}: relative residual ${res}`);
  }
});

function findEntry(indptr: Int32Array, indices: Int32Array, i: number, j: number): number {
  for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p] === j) return p;
  throw new Error(`no entry (${i}, ${j})`);
}

test('supernodal selected inversion (dense BLAS blocks) matches the dense inverse and KLU columns', () => {
  // Dense enough for CHOLMOD to choose a supernodal factor: every entry of S⁻¹ is checked.
  const D = randomSpd(90, 41, 0.5);
  const A = CsrMatrix.fromDense(D, { requiresGrad: true });
  const f = cholesky(A);
  assert.equal(f.info.supernodal, true, 'expected a supernodal factor');
  f.logdet().backward();
  const inv = denseInverse(D);
  const { indptr, indices } = A;
  const want = new Float64Array(A.nnz);
  for (let i = 0; i < 90; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) want[p] = inv[i]![indices[p]!]!;
  assertClose(A.grad!.toArray(), want, { rtol: 1e-9, atol: 1e-13 });
  // A large sparse one (many supernodes, relaxed amalgamation): columns of S⁻¹ by KLU.
  const P = CsrMatrix.poisson2d(120, 110);
  P.values.requiresGrad = true;
  const g = cholesky(P);
  assert.equal(g.info.supernodal, true);
  g.logdet().backward();
  const grad = P.grad!.toArray();
  for (const j of [0, 777, 6600, 13199]) {
    const ej = new Float64Array(P.rows);
    ej[j] = 1;
    const col = spsolve(P.detach(), tensor(ej)).toArray();
    for (let p = P.indptr[j]!; p < P.indptr[j + 1]!; p++) {
      const i = P.indices[p]!;
      const q = findEntry(P.indptr, P.indices, i, j);
      assert.ok(Math.abs(grad[q]! - col[i]!) <= 1e-10 * Math.abs(col[j]!), `(S⁻¹)_${i},${j}: ${grad[q]} vs KLU ${col[i]}`);
    }
  }
});

test('not positive definite in a supernodal factorization: the error names the column', () => {
  const D = randomSpd(90, 43, 0.5);
  D[50]![50] = -1000;
  const A = CsrMatrix.fromDense(D);
  const ok = CsrMatrix.fromDense(randomSpd(90, 43, 0.5));
  assert.equal(cholesky(ok).info.supernodal, true, 'expected CHOLMOD to choose a supernodal factor for this pattern');
  assert.throws(() => logdet(A), /^SparseAdError: logdet: A is not positive definite: the factorization failed at column 50 of A/);
});
