import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, Generator, keep, scope, splu, spsolve, spsolveCache, tensor, Tensor } from '../../native/lib/index.js';
import { assertClose } from '../helpers.js';

function vector(n: number, seed: number): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from({ length: n }, () => gen.normal()));
}

function perturbed(A: CsrMatrix, seed: number, requiresGrad = false): CsrMatrix {
  const gen = new Generator(seed);
  // Unsymmetric perturbation keeping A diagonally dominant.
  return A.withValues(A.values.toArray().map((v) => v * (1 + 0.2 * gen.uniform() / 2 ** 32)), { requiresGrad });
}

test('SparseLU.refactor equals a fresh splu (x, gradients), by the fast path when pivots allow', () => {
  const A = CsrMatrix.poisson2d(9, 8);
  const lu = splu(A);
  const A2 = perturbed(A, 1, true);
  assert.equal(lu.refactor(A2), true);
  assert.equal(lu.matrix, A2);
  const b = vector(A.rows, 2);
  b.requiresGrad = true;
  const x = lu.solve(b);
  x.sum().backward();
  const A3 = A2.detach();
  A3.values.requiresGrad = true;
  const b3 = b.detach();
  b3.requiresGrad = true;
  const x3 = splu(A3).solve(b3);
  x3.sum().backward();
  assertClose(x.toArray(), x3.toArray(), { rtol: 1e-12, atol: 1e-14 });
  assertClose(A2.grad!.toArray(), A3.grad!.toArray(), { rtol: 1e-10, atol: 1e-14 });
  assertClose(b.grad!.toArray(), b3.grad!.toArray(), { rtol: 1e-10, atol: 1e-14 });
});

test('SparseLU.refactor gives a fresh splu\'s bits on a block-triangular matrix (singletons, off-diagonal blocks)', () => {
  // Three coupled 15 × 15 blocks, then 15 rows with a diagonal and entries to
  // their right only: KLU's BTF finds several blocks and singletons, and entries
  // outside the diagonal blocks. Diagonally dominant, so a fresh factorization
  // keeps the pivots and computes what the refactor does, in the same order.
  const gen = new Generator(5);
  const u = (): number => gen.uniform() / 2 ** 32;
  const n = 60;
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  const seen = new Set<number>();
  const add = (i: number, j: number, v: number): void => {
    if (seen.has(i * n + j)) return;
    seen.add(i * n + j);
    rows.push(i);
    cols.push(j);
    vals.push(v);
  };
  for (let i = 0; i < n; i++) {
    add(i, i, 8 + u());
    if (i < 45) for (let t = 0; t < 3; t++) add(i, 15 * Math.floor(i / 15) + Math.floor(u() * 15), u() - 0.5);
    const j = i + 1 + Math.floor(u() * (n - i));
    if (j < n) add(i, j, u() - 0.5);
  }
  const A = CsrMatrix.fromCoo(rows, cols, vals, [n, n]);
  const lu = splu(A);
  const b = vector(n, 6);
  for (const seed of [7, 8]) {
    const A2 = perturbed(A, seed);
    assert.equal(lu.refactor(A2), true);
    assert.deepEqual(lu.solve(b).toArray(), splu(A2).solve(b).toArray());
  }
});

test('SparseLU.refactor pivots afresh when the old pivot order meets a zero pivot; singular values are an error', () => {
  const A = CsrMatrix.fromDense([[4, 1, 0], [1, 4, 1], [0, 1, 4]]);
  const lu = splu(A);
  const A2 = A.withValues([0, 1, 1, 4, 1, 1, 4]); // a11 = 0: the first factorization's pivot vanishes
  const fast = lu.refactor(A2);
  assert.equal(fast, false);
  const b = vector(3, 3);
  assertClose(lu.solve(b).toArray(), spsolve(A2, b).toArray(), { rtol: 1e-12, atol: 1e-14 });
  assert.throws(() => lu.refactor(A.withValues([1, 1, 1, 1, 0, 0, 0])), /^SparseAdError: SparseLU.refactor: A is numerically singular/);
  assert.throws(() => lu.refactor(CsrMatrix.eye(3)), /SparseLU.refactor: A2 must have the factored matrix's pattern/);
});

test('a solve on the tape from before refactor() refuses to back-propagate through new factors', () => {
  const A = CsrMatrix.poisson2d(4, 4);
  A.values.requiresGrad = true;
  const lu = splu(A);
  const x = lu.solve(vector(16, 4));
  lu.refactor(perturbed(A, 5));
  assert.throws(() => x.sum().backward(), /SparseLU.solve: the factors were refactored after this solve; run backward\(\) before refactor\(\)/);
});

test("spsolve(A, b, { method: 'cholesky' }) equals the LU solve on SPD matrices, for [n, k] too; bad method is an error", () => {
  const A = CsrMatrix.poisson2d(8, 7);
  for (const b of [vector(56, 6), tensor(vector(56 * 4, 7).toArray()).reshape([56, 4])]) {
    assertClose(spsolve(A, b, { method: 'cholesky' }).toArray(), spsolve(A, b).toArray(), { rtol: 1e-11, atol: 1e-13 });
  }
  assert.throws(() => spsolve(A, vector(56, 1), { method: 'qr' as never }), /spsolve: method must be 'lu' or 'cholesky' but is "qr"/);
  assert.throws(() => spsolve(A, vector(5, 1), { method: 'cholesky' }), /spsolve: A has shape \[56, 56\] but b has shape \[5\]/);
});

// x, dA, db of A⁻¹ b through x·w with a fresh factorization (splu: spsolve's kept ones untouched).
function freshSolve(A: CsrMatrix, b: Tensor, w: Tensor): { x: Float64Array; dA: Float64Array; db: Float64Array } {
  const A2 = A.detach();
  A2.values.requiresGrad = true;
  const b2 = b.detach();
  b2.requiresGrad = true;
  const x = splu(A2).solve(b2);
  x.mul(w).sum().backward();
  return { x: x.toArray() as Float64Array, dA: A2.grad!.toArray() as Float64Array, db: b2.grad!.toArray() as Float64Array };
}

test('spsolve in a training loop refactors its kept factorization: x and gradients equal fresh factorizations', () => {
  spsolveCache.clear();
  const A0 = CsrMatrix.poisson2d(9, 8);
  const w = vector(A0.rows, 11);
  for (let step = 0; step < 6; step++) {
    const A = perturbed(A0, 20 + step, true);
    const b = vector(A0.rows, 30 + step);
    b.requiresGrad = true;
    const x = spsolve(A, b);
    x.mul(w).sum().backward();
    const ref = freshSolve(A, b, w);
    assertClose(x.toArray(), ref.x, { rtol: 1e-12, atol: 1e-14 });
    assertClose(A.grad!.toArray(), ref.dA, { rtol: 1e-11, atol: 1e-14 });
    assertClose(b.grad!.toArray(), ref.db, { rtol: 1e-11, atol: 1e-14 });
  }
  const s = spsolveCache.stats();
  assert.equal(s.factorizations, 1);
  assert.equal(s.refactors, 5);
  assert.equal(s.pivotedAfresh, 0);
  assert.equal(s.entries, 1);
  assert.ok(s.bytes > 0 && s.bytes <= s.maxBytes);
});

test('spsolve pivots afresh when new values make the kept pivot order unstable, then refactors with the new order', () => {
  spsolveCache.clear();
  const A1 = CsrMatrix.fromDense([[4, 1, 1], [1, 4, 1], [1, 1, 4]]); // diagonal pivots
  const b = vector(3, 12);
  const w = vector(3, 13);
  spsolve(A1, b);
  // a11 = 1e-5: the old first pivot is not zero and rcond (≈ 1e-10) passes, but the
  // element growth of the old order is ≈ 1e5, and x would lose about 5 digits.
  for (const [a11, fast] of [[1e-5, false], [2e-5, true]] as const) {
    const A2 = A1.withValues([a11, 1, 1, 1, 4, 1, 1, 1, 4], { requiresGrad: true });
    const before = spsolveCache.stats().pivotedAfresh;
    const x = spsolve(A2, b);
    assert.equal(spsolveCache.stats().pivotedAfresh - before, fast ? 0 : 1, `a11 = ${a11}`);
    x.mul(w).sum().backward();
    const ref = freshSolve(A2, b, w);
    assertClose(x.toArray(), ref.x, { rtol: 1e-12, atol: 1e-14 });
    assertClose(A2.grad!.toArray(), ref.dA, { rtol: 1e-11, atol: 1e-14 });
  }
  // Singular values through the kept factorization: the error spsolve gives without one.
  assert.throws(() => spsolve(A1.withValues([1, 1, 1, 1, 1, 1, 1, 1, 1]), b), /^SparseAdError: spsolve: A is numerically singular: zero pivot for row/);
  assert.equal(spsolveCache.stats().entries, 0);
});

test('a backward through an spsolve whose kept factors a later spsolve refactored factors its own values afresh', () => {
  spsolveCache.clear();
  const A0 = CsrMatrix.poisson2d(5, 6);
  const w = vector(A0.rows, 14);
  const A1 = perturbed(A0, 40, true);
  const A2 = perturbed(A0, 41, true);
  const b = vector(A0.rows, 15);
  const x1 = spsolve(A1, b);
  const x2 = spsolve(A2, b); // refactors the factors x1's VJP would use
  A1.values.data.fill(7); // and the forward's values change in place (an optimizer step)
  x1.mul(w).sum().add(x2.mul(w).sum()).backward();
  const ref1 = freshSolve(perturbed(A0, 40), b, w);
  const ref2 = freshSolve(A2, b, w);
  assertClose(A1.grad!.toArray(), ref1.dA, { rtol: 1e-11, atol: 1e-14 });
  assertClose(A2.grad!.toArray(), ref2.dA, { rtol: 1e-11, atol: 1e-14 });
});

test('the same inside a scope(); a backward after that scope freed the copy of the forward\'s values says so', () => {
  spsolveCache.clear();
  const A0 = CsrMatrix.poisson2d(50, 50); // 12,300 float64 values: above the pool's 64 KiB
  const w = vector(A0.rows, 14);
  const b = vector(A0.rows, 15);
  const inside = scope(() => {
    const A1 = perturbed(A0, 40, true);
    const x1 = spsolve(A1, b);
    spsolve(perturbed(A0, 41), b); // refactors the kept factors
    A1.values.data.fill(7);
    x1.mul(w).sum().backward();
    return A1.grad!.toArray();
  });
  assertClose(inside, freshSolve(perturbed(A0, 40), b, w).dA, { rtol: 1e-11, atol: 1e-14 });
  const late = scope(() => {
    const A1 = perturbed(A0, 42, true);
    const x1 = keep(spsolve(A1, b));
    spsolve(perturbed(A0, 43), b);
    return x1;
  });
  assert.throws(() => late.mul(w).sum().backward(), /^SparseAdError: spsolve: the factors of this forward were replaced by a later spsolve on the same pattern, and the copy of its values was freed with the scope\(\) that ran it: call backward\(\) inside that scope$/);
});

test('spsolveCache bounds the kept factorizations: least recently used freed first, none above maxBytes, 0 turns reuse off', () => {
  spsolveCache.clear();
  const limit = spsolveCache.maxBytes;
  try {
    const P = CsrMatrix.poisson2d(12, 12);
    const Q = CsrMatrix.poisson2d(13, 12);
    const b = (A: CsrMatrix): Tensor => vector(A.rows, 16);
    spsolve(P, b(P));
    const one = spsolveCache.stats().bytes;
    spsolve(Q, b(Q));
    assert.equal(spsolveCache.stats().entries, 2);
    spsolveCache.maxBytes = spsolveCache.stats().bytes - 1; // room for Q's only: P (least recently used) goes
    assert.equal(spsolveCache.stats().entries, 1);
    spsolve(Q, b(Q));
    assert.equal(spsolveCache.stats().refactors, 1);
    spsolve(P, b(P)); // factored afresh; Q goes to make room
    const s = spsolveCache.stats();
    assert.equal(s.entries, 1);
    assert.equal(s.bytes, one);
    assert.equal(s.factorizations, 3);
    spsolveCache.maxBytes = 0;
    spsolve(P, b(P));
    assert.deepEqual([spsolveCache.stats().entries, spsolveCache.stats().factorizations], [0, 4]);
    assert.throws(() => { spsolveCache.maxBytes = -1; }, /^SparseAdError: spsolveCache.maxBytes: expected a number ≥ 0 but got -1$/);
  } finally {
    spsolveCache.maxBytes = limit;
    spsolveCache.clear();
  }
});
