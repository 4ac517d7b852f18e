import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, Generator, gradcheck, spmv, spsolve, tensor, Tensor } from '../../native/lib/index.js';
import { bicgstab, cg, gmres, krylov, minres } from '../../native/lib/ops/krylov.js';
import { assertClose, krylovCases, krylovIndefinite, krylovSpd, krylovUnsym } from '../helpers.js';

function vector(n: number, seed: number): Tensor {
  const gen = new Generator(seed);
  return tensor(Float64Array.from({ length: n }, () => gen.normal()));
}

const spd = krylovSpd;
const unsym = krylovUnsym;
const indefinite = krylovIndefinite;

/** The exact solution and gradients through KLU (spsolve): the independent reference. */
function reference(A: CsrMatrix, b: Tensor, w: Tensor): { x: Float64Array; dA: Float64Array; db: Float64Array } {
  const A2 = A.detach();
  A2.values.requiresGrad = true;
  const b2 = b.detach();
  b2.requiresGrad = true;
  const x = spsolve(A2, b2);
  x.mul(w).sum().backward();
  return { x: x.toArray() as Float64Array, dA: A2.grad!.toArray() as Float64Array, db: b2.grad!.toArray() as Float64Array };
}

const cases = krylovCases;

test('every method and preconditioner: x and the implicit gradients (λ from the adjoint solve) match KLU', () => {
  for (const [method, make, preconds] of cases) {
    for (const preconditioner of [undefined, ...preconds]) {
      const A = make();
      A.values.requiresGrad = true;
      const b = vector(A.rows, 1);
      b.requiresGrad = true;
      const w = vector(A.rows, 2);
      const { x, info } = krylov(method, A, b, { tol: 1e-12, preconditioner });
      const label = `${method} ${make.name} ${String(preconditioner)}`;
      assert.ok(info.converged, `${label}: ${JSON.stringify({ ...info, residuals: info.residuals.length })}`);
      assert.equal(info.residuals.length, info.iterations + 1, label);
      x.mul(w).sum().backward();
      assert.ok(info.adjoint?.converged, `${label}: adjoint ${JSON.stringify(info.adjoint?.residual)}`);
      const ref = reference(A, b, w);
      assertClose(x.toArray(), ref.x, { rtol: 1e-8, atol: 1e-9, msg: label });
      assertClose(b.grad!.toArray(), ref.db, { rtol: 1e-8, atol: 1e-9, msg: `${label} db` });
      assertClose(A.grad!.toArray(), ref.dA, { rtol: 1e-7, atol: 1e-9, msg: `${label} dA` });
    }
  }
});

test('preconditioner given as a CsrMatrix (SpMV) and as a function give the same x', () => {
  const A = spd();
  const b = vector(A.rows, 3);
  const d = A.diagonal().toArray();
  const Minv = CsrMatrix.fromCoo(Array.from(d, (_, i) => i), Array.from(d, (_, i) => i), Array.from(d, (v) => 1 / v), A.shape);
  const a = cg(A, b, { tol: 1e-12, preconditioner: Minv });
  const f = cg(A, b, { tol: 1e-12, preconditioner: (r) => spmv(Minv, r) });
  const j = cg(A, b, { tol: 1e-12, preconditioner: 'jacobi' });
  assertClose(a.x.toArray(), j.x.toArray(), { rtol: 1e-10, atol: 1e-12 });
  assertClose(f.x.toArray(), j.x.toArray(), { rtol: 1e-10, atol: 1e-12 });
  assert.equal(a.info.iterations, j.info.iterations);
});

test('gradcheck of the implicit adjoint (vector and [n, k] right-hand sides)', () => {
  for (const [method, make] of [['cg', spd], ['minres', indefinite], ['gmres', unsym], ['bicgstab', unsym]] as const) {
    const A = make();
    A.values.requiresGrad = true;
    for (const b of [vector(A.rows, 5), tensor(vector(A.rows * 2, 6).toArray()).reshape([A.rows, 2])]) {
      b.requiresGrad = true;
      const res = gradcheck((M, c) => krylov(method, M as CsrMatrix, c as Tensor, { tol: 1e-13, onNonConvergence: 'ignore' }).x, [A, b], { maxEntries: 25, atol: 1e-6, rtol: 1e-5 });
      assert.ok(res.ok, `${method}: ${JSON.stringify(res.failures.slice(0, 3))}`);
    }
  }
});

/** (g_p + g_p')/2 where p' is the entry (j, i) of p = (i, j): the gradient along symmetric perturbations. */
function symmetrized(A: CsrMatrix, g: ArrayLike<number>): Float64Array {
  const { indptr, indices } = A;
  const out = new Float64Array(A.nnz);
  for (let i = 0; i < A.rows; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const j = indices[p]!;
      let q = -1;
      for (let t = indptr[j]!; t < indptr[j + 1]!; t++) if (indices[t] === i) q = t;
      out[p] = (g[p]! + g[q]!) / 2;
    }
  }
  return out;
}

// cg and minres assume a symmetric A: unrolled, they differentiate an iteration
// that solves A x = b only for symmetric A, so they agree with the implicit
// gradient (that of A⁻¹ b on all matrices) along symmetric perturbations of A,
// i.e. after symmetrizing. gmres and bicgstab agree entry by entry.
test('implicit and unrolled gradients agree at convergence', () => {
  for (const [method, make, preconditioner] of [['cg', spd, 'ic0'], ['minres', indefinite, undefined], ['gmres', unsym, 'ilu0'], ['bicgstab', unsym, 'jacobi']] as const) {
    const grads = (['implicit', 'unrolled'] as const).map((adjoint) => {
      const A = make();
      A.values.requiresGrad = true;
      const b = vector(A.rows, 7);
      b.requiresGrad = true;
      const { x, info } = krylov(method, A, b, { tol: 1e-12, adjoint, preconditioner, restart: 12 });
      assert.ok(info.converged, `${method} ${adjoint}`);
      x.mul(vector(A.rows, 8)).sum().backward();
      const g = A.grad!.toArray();
      return { dA: method === 'cg' || method === 'minres' ? symmetrized(A, g) : g, db: b.grad!.toArray(), x: x.toArray() };
    });
    assertClose(grads[1]!.x, grads[0]!.x, { rtol: 1e-9, atol: 1e-10, msg: `${method} x` });
    assertClose(grads[1]!.db, grads[0]!.db, { rtol: 1e-6, atol: 1e-8, msg: `${method} db` });
    assertClose(grads[1]!.dA, grads[0]!.dA, { rtol: 1e-6, atol: 1e-8, msg: `${method} dA` });
  }
});

test('unrolled: the gradient reaches a learnable CsrMatrix preconditioner (gradcheck at a fixed iteration count)', () => {
  const A = spd();
  const b = vector(A.rows, 9);
  const d = A.diagonal().toArray();
  const n = A.rows;
  const M = CsrMatrix.fromCoo(Array.from(d, (_, i) => i), Array.from(d, (_, i) => i), Array.from(d, (v, i) => (1 + 0.1 * Math.sin(i)) / v), [n, n], { requiresGrad: true });
  for (const method of ['cg', 'bicgstab', 'gmres', 'minres'] as const) {
    const res = gradcheck(
      (P) => krylov(method, A, b, { tol: 1e-30, maxIter: 4, restart: 3, adjoint: 'unrolled', preconditioner: P as CsrMatrix, onNonConvergence: 'ignore' }).x,
      [M], { maxEntries: 12, atol: 1e-6, rtol: 1e-5 },
    );
    assert.ok(res.ok, `${method}: ${JSON.stringify(res.failures.slice(0, 3))}`);
  }
});

test('[n, k] right-hand sides equal k separate solves; x0 is used', () => {
  const A = unsym();
  const n = A.rows;
  const B = tensor(vector(n * 3, 10).toArray()).reshape([n, 3]);
  const { x, info } = gmres(A, B, { tol: 1e-12 });
  assert.equal(info.columns?.length, 3);
  const X = x.toArray();
  for (let c = 0; c < 3; c++) {
    const bc = tensor(Float64Array.from({ length: n }, (_, i) => B.toArray()[i * 3 + c]!));
    const xc = gmres(A, bc, { tol: 1e-12 }).x.toArray();
    assertClose(Float64Array.from({ length: n }, (_, i) => X[i * 3 + c]!), xc, { rtol: 1e-12, atol: 1e-14 });
  }
  const b = vector(n, 11);
  const exact = spsolve(A, b);
  const warm = bicgstab(A, b, { tol: 1e-10, x0: exact });
  assert.equal(warm.info.iterations, 0);
});

test('matrix-free A: a function v ↦ A v (cg), and gmres without rmatvec refuses the implicit adjoint', () => {
  const A = spd();
  const b = vector(A.rows, 12);
  const f = (v: Tensor): Tensor => spmv(A, v);
  const { x } = cg(f, b, { tol: 1e-12 });
  assertClose(x.toArray(), spsolve(A, b).toArray(), { rtol: 1e-9, atol: 1e-10 });
  const b2 = vector(A.rows, 13);
  b2.requiresGrad = true;
  assert.throws(() => gmres(f, b2), /gmres: the implicit adjoint of gmres with a function A needs options.rmatvec/);
  const At = A.transpose();
  const r = gmres(f, b2, { rmatvec: (v) => spmv(At, v), tol: 1e-12 });
  r.x.sum().backward();
  assertClose(b2.grad!.toArray(), spsolve(At, tensor(new Float64Array(A.rows).fill(1))).toArray(), { rtol: 1e-8, atol: 1e-9 });
});

test('non-convergence is reported: converged false, a warning, or an error with onNonConvergence: throw', async () => {
  const A = spd();
  const b = vector(A.rows, 14);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  const { info } = cg(A, b, { maxIter: 3 });
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(info.converged, false);
  assert.equal(info.iterations, 3);
  assert.ok(info.residual > 1e-8);
  assert.ok(warnings.some((m) => /^cg: the solve did not converge: relative residual .* > tol 1e-8 after 3 iterations$/.test(m)), warnings.join('\n'));
  assert.throws(() => minres(A, b, { maxIter: 2, onNonConvergence: 'throw' }), /^SparseAdError: minres: the solve did not converge: relative residual \S+ > tol 1e-8 after 2 iterations/);
  // The adjoint solve is checked the same way in backward().
  const A2 = spd();
  A2.values.requiresGrad = true;
  const r = cg(A2, b, { tol: 1e-10, onNonConvergence: 'ignore' });
  r.x.sum().backward();
  assert.ok(r.info.adjoint && r.info.adjoint.converged && r.info.adjoint.iterations > 0);
});

test('argument errors name the op and the shapes', () => {
  const A = spd();
  assert.throws(() => cg(A, vector(5, 1)), /cg: A has shape \[42, 42\] but b has shape \[5\] \(needs 42 rows\)/);
  assert.throws(() => cg(A, vector(42, 1), { tol: -1 }), /cg: tol must be a positive number but is -1/);
  assert.throws(() => gmres(A, vector(42, 1), { restart: 0 }), /gmres: restart must be a positive integer but is 0/);
  assert.throws(() => cg(A, vector(42, 1), { preconditioner: 'amg' as never }), /cg: preconditioner must be 'jacobi', 'ic0', 'ilu0', a CsrMatrix or a function but is "amg"/);
  assert.throws(() => cg((v) => v, vector(4, 1), { preconditioner: 'jacobi' }), /cg: preconditioner 'jacobi' needs A as a CsrMatrix/);
  assert.throws(() => cg(indefinite(), vector(42, 1), { preconditioner: 'ic0' }), /cg: preconditioner 'ic0' broke down: pivot .* at row \d+ \(IC\(0\) needs positive pivots/);
  assert.throws(() => krylov('qmr' as never, A, vector(42, 1)), /krylov: method must be one of cg, minres, gmres, bicgstab/);
});
