import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, Generator, splu, spsolve, tensor, Tensor } from '../../native/lib/index.js';
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
