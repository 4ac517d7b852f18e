// The sparse Cholesky (cholesky, logdet, spsolve's method 'cholesky') and the
// Krylov solvers (cg, minres, gmres, bicgstab) on the device ('cuda'): outputs,
// gradients and convergence records against the CPU ops on the same inputs
// (whose own tests check them against dense references and KLU), plus errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsrMatrix, deviceMemory, type DType, Generator, spmv, spsolve, tensor, Tensor } from '../../native/lib/index.js';
import { cholesky, logdet } from '../../native/lib/ops/cholesky.js';
import { krylov, type KrylovOptions } from '../../native/lib/ops/krylov.js';
import { resetPeakDeviceMemory } from '../../native/lib/device.js';
import { compareWithCpu, errorOf, leafMatrix, leafTensor, randomB, testDevice, type Tolerance } from '../device-helpers.js';
import { assertClose, denseOf, krylovCases, krylovIndefinite, krylovSpd, krylovUnsym } from '../helpers.js';

testDevice('device-cholesky-krylov.test.ts');

/** A random sparse SPD matrix B Bᵀ + n/2 I (both triangles stored). */
function randomSpd(n: number, seed: number, dtype: DType, density = 0.15): CsrMatrix {
  const gen = new Generator(seed);
  const B = Array.from({ length: n }, () => Array.from({ length: n }, () => (gen.uniform() < density ? gen.normal() : 0)));
  const D = B.map((_, i) => B.map((__, j) => {
    let s = i === j ? n * 0.5 : 0;
    for (let k = 0; k < n; k++) s += B[i]![k]! * B[j]![k]!;
    return s;
  }));
  return CsrMatrix.fromDense(D, { dtype });
}

/** The upper or lower triangle of A (diagonal included), as a 'upper' / 'lower' stored matrix. */
function triangle(A: CsrMatrix, upper: boolean): CsrMatrix {
  const D = denseOf(A).map((r, i) => r.map((v, j) => ((upper ? j >= i : j <= i) ? v : 0)));
  return CsrMatrix.fromDense(D, { dtype: A.dtype });
}

// ---------------------------------------------------------------------------
// Cholesky

const TOL: Record<DType, Tolerance> = { float64: { rtol: 1e-9, atol: 1e-10 }, float32: { rtol: 2e-3, atol: 2e-3 } };

function spdCases(dtype: DType): [string, CsrMatrix][] {
  const R = randomSpd(60, 3, dtype);
  const P = CsrMatrix.poisson2d(12, 11, { dtype });
  return [
    ['random n=60 full', R], ['random n=60 upper', triangle(R, true)], ['random n=60 lower', triangle(R, false)],
    ['poisson 12x11 full', P], ['poisson 12x11 lower', triangle(P, false)], ['1x1', CsrMatrix.fromDense([[2.5]], { dtype })],
  ];
}

test("spsolve(A, b, { method: 'cholesky' }) on the device matches the CPU: full and one-triangle storage, [n] and [n, k], x, dA and db", () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, A] of spdCases(dtype)) {
      for (const k of [null, 3]) {
        compareWithCpu(`${dtype} ${name} k=${k}`, A, randomB(A.rows, k, A.rows + 7, dtype), (M, b) => spsolve(M, b, { method: 'cholesky' }), TOL[dtype]);
      }
    }
  }
});

test('cholesky(A) on the device: one factor for many solves, each with its VJP; orderings; info', () => {
  const A = randomSpd(50, 5, 'float64');
  for (const ordering of ['default', 'amd', 'natural'] as const) {
    compareWithCpu(`ordering ${ordering}`, A, randomB(50, 2, 4), (M, b) => {
      const f = cholesky(M, { ordering });
      // two solves with one factor, both on the tape
      return f.solve(b).add(f.solve(b.mul(2)));
    }, TOL.float64);
  }
  const f = cholesky(A.to('cuda'));
  assert.ok(f.info.nnzL >= (A.nnz + A.rows) / 2, JSON.stringify(f.info));
  f.dispose();
});

test('logdet on the device matches the CPU: value and gradient (selected inversion on the host, copied to the device)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, A] of spdCases(dtype)) {
      const Ac = leafMatrix(A, 'cpu');
      const Ad = leafMatrix(A, 'cuda');
      const yc = logdet(Ac);
      const yd = logdet(Ad);
      assert.equal(yd.device, 'cuda', name);
      assert.deepEqual(yd.shape, [], name);
      assertClose([yd.item()], [yc.item()], { ...TOL[dtype], msg: `${dtype} ${name}: logdet` });
      yc.mul(1.5).backward();
      yd.mul(1.5).backward();
      assert.equal(Ad.values.grad!.device, 'cuda', name);
      assertClose(Ad.values.grad!.toArray(), Ac.values.grad!.toArray(), { ...TOL[dtype], msg: `${dtype} ${name}: dA` });
    }
  }
});

test('CholeskyFactor.refactor on the device equals a fresh factor; dispose frees the device factor', () => {
  const A = CsrMatrix.poisson2d(9, 8);
  // 1.7 A + 0.3 I: new values on the same pattern, still symmetric positive definite
  const { indptr, indices } = A;
  const shift = new Float64Array(A.nnz);
  for (let i = 0; i < A.rows; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p] === i) shift[p] = 0.3;
  const A2 = A.withValues(A.values.mul(1.7).add(tensor(shift)));
  const b = randomB(A.rows, 2, 12).to('cuda');
  const before = deviceMemory().liveBytes;
  const f = cholesky(A.to('cuda'));
  assert.ok(deviceMemory().liveBytes > before, 'the factor is held on the device');
  const A2d = leafMatrix(A2, 'cuda');
  f.refactor(A2d);
  const x = f.solve(b);
  const fresh = cholesky(A2.to('cuda')).solve(b);
  assertClose(x.toArray(), fresh.toArray(), { rtol: 1e-12, atol: 1e-12, msg: 'refactor' });
  assertClose(x.toArray(), spsolve(A2, b.to('cpu')).toArray(), { rtol: 1e-9, atol: 1e-10, msg: 'refactor vs KLU' });
  x.sum().backward();
  assert.equal(A2d.values.grad!.device, 'cuda');
  assertClose([logdet(A2d.detach()).item()], [logdet(A2).item()], { rtol: 1e-12, msg: 'logdet after refactor' });
  f.dispose();
  x.dispose();
  fresh.dispose();
  assert.match(errorOf(() => f.solve(b)), /disposed/);
});

test('Cholesky on the device: the CPU errors (not positive definite names the column; device mismatch)', () => {
  const N = CsrMatrix.fromDense([[4, 1, 0], [1, 2, 0], [0, 0, -1]]);
  const cpuMsg = errorOf(() => cholesky(N));
  assert.match(cpuMsg, /not positive definite.*column 2/);
  assert.equal(errorOf(() => cholesky(N.to('cuda'))), cpuMsg);
  assert.match(errorOf(() => logdet(N.to('cuda'))), /logdet: A is not positive definite.*column 2/);
  const A = CsrMatrix.poisson1d(5);
  assert.match(errorOf(() => spsolve(A.to('cuda'), randomB(5, null, 1), { method: 'cholesky' })), /spsolve: .*cuda.*cpu|spsolve: .*cpu.*cuda/);
  assert.match(errorOf(() => cholesky(A.to('cuda')).solve(randomB(5, null, 1))), /CholeskyFactor.solve: .*(cuda.*cpu|cpu.*cuda)/);
  assert.match(errorOf(() => cholesky(A.to('cuda')).refactor(A)), /A2 is float64 on cpu but the factor is for float64 on cuda/);
});

// ---------------------------------------------------------------------------
// Krylov solvers

const spd = krylovSpd;
const unsym = krylovUnsym;
const indefinite = krylovIndefinite;

const cases = krylovCases;

// The device's dot products sum in another order than the CPU's, so iterates
// differ by rounding; at tol 1e-12 both solutions are within ~1e-11 of A⁻¹ b.
const KTOL = { rtol: 1e-9, atol: 1e-10 };

test('every Krylov method and preconditioner on the device (implicit adjoint): x, record, dA and db match the CPU; [n] and [n, 2]', () => {
  for (const [method, make, preconds] of cases) {
    for (const preconditioner of [undefined, ...preconds]) {
      for (const k of [null, 2]) {
        const A = make();
        const label = `${method} ${make.name} ${String(preconditioner)} k=${k}`;
        const infos: { cpu?: ReturnType<typeof krylov>['info']; dev?: ReturnType<typeof krylov>['info'] } = {};
        compareWithCpu(label, A, randomB(A.rows, k, 1), (M, b) => {
          const { x, info } = krylov(method, M, b, { tol: 1e-12, preconditioner });
          infos[M.device === 'cpu' ? 'cpu' : 'dev'] = info;
          return x;
        }, KTOL);
        const { cpu, dev } = infos;
        assert.ok(dev!.converged && dev!.adjoint?.converged, `${label}: ${JSON.stringify({ ...dev, residuals: dev!.residuals.length })}`);
        assert.equal(dev!.residuals.length, dev!.iterations + 1, label);
        assert.ok(Math.abs(dev!.iterations - cpu!.iterations) <= 2, `${label}: ${dev!.iterations} vs ${cpu!.iterations} iterations`);
        assert.ok(dev!.residual <= 1e-11, `${label}: residual ${dev!.residual}`);
        if (k !== null) assert.equal(dev!.columns?.length, 2, label);
      }
    }
  }
});

test('Krylov on the device in float32 matches the CPU (both iterate in float64)', () => {
  for (const method of ['cg', 'gmres'] as const) {
    const A = (method === 'cg' ? spd() : unsym()).astype('float32');
    compareWithCpu(`${method} float32`, A, randomB(A.rows, null, 3, 'float32'), (M, b) => krylov(method, M, b, { tol: 1e-10 }).x, { rtol: 1e-4, atol: 1e-5 });
  }
});

test('Krylov on the device, adjoint unrolled: x and gradients match the CPU, including a learnable CsrMatrix preconditioner', () => {
  for (const method of ['cg', 'minres', 'gmres', 'bicgstab'] as const) {
    const A = method === 'cg' || method === 'minres' ? spd() : unsym();
    for (const preconditioner of [undefined, 'jacobi' as const]) {
      compareWithCpu(`${method} unrolled ${String(preconditioner)}`, A, randomB(A.rows, 2, 5), (M, b) => krylov(method, M, b, { tol: 1e-10, adjoint: 'unrolled', preconditioner, maxIter: 200 }).x, { rtol: 1e-7, atol: 1e-8 });
    }
  }
  // M = diag(1/A_ii) as a CsrMatrix whose values learn
  const A = spd();
  const Mdiag = CsrMatrix.fromCoo([...Array(A.rows).keys()], [...Array(A.rows).keys()], Array(A.rows).fill(0.25), [A.rows, A.rows]);
  const run = (device: 'cpu' | 'cuda'): [Float64Array, Float64Array] => {
    const M = leafMatrix(Mdiag, device);
    const Ad = A.to(device);
    const { x } = krylov('cg', Ad, randomB(A.rows, null, 6).to(device), { tol: 1e-10, adjoint: 'unrolled', preconditioner: M });
    x.mul(randomB(A.rows, null, 7).to(device)).sum().backward();
    assert.equal(M.values.grad!.device, device);
    return [Float64Array.from(x.toArray()), Float64Array.from(M.values.grad!.toArray())];
  };
  const [xc, gc] = run('cpu');
  const [xd, gd] = run('cuda');
  assertClose(xd, xc, { rtol: 1e-8, atol: 1e-9, msg: 'learnable M: x' });
  assertClose(gd, gc, { rtol: 1e-6, atol: 1e-8, msg: 'learnable M: dM' });
});

test('Krylov on the device: matrix-free A (with rmatvec for the adjoint), a CsrMatrix and a function preconditioner', () => {
  const A = unsym();
  const Ad = A.to('cuda');
  const At = A.transpose().to('cuda');
  const b = randomB(A.rows, null, 8);
  const opts: KrylovOptions = { tol: 1e-12, rmatvec: (v) => spmv(At, v) };
  const bd = leafTensor(b, 'cuda');
  const { x: xd } = krylov('gmres', (v) => spmv(Ad, v), bd, opts);
  const bc = leafTensor(b, 'cpu');
  const xc = spsolve(A, bc);
  assertClose(xd.toArray(), xc.toArray(), { ...KTOL, msg: 'matrix-free x' });
  const w = randomB(A.rows, null, 9);
  xd.mul(w.to('cuda')).sum().backward();
  xc.mul(w).sum().backward();
  assertClose(bd.grad!.toArray(), bc.grad!.toArray(), { ...KTOL, msg: 'matrix-free db' });
  // M = diag(1/A_ii), once as a CsrMatrix and once as a function
  const S = spd();
  const inv = denseOf(S).map((r, i) => 1 / r[i]!);
  const M = CsrMatrix.fromCoo([...inv.keys()], [...inv.keys()], inv, [S.rows, S.rows]);
  const invd = tensor(inv).to('cuda');
  for (const preconditioner of [M.to('cuda'), (r: Tensor) => r.mul(invd)]) {
    compareWithCpu(`cg with ${typeof preconditioner === 'function' ? 'a function' : 'a CsrMatrix'} preconditioner`, S, randomB(S.rows, null, 10), (Am, bm) => {
      const P = Am.device === 'cpu' ? (typeof preconditioner === 'function' ? (r: Tensor) => r.mul(tensor(inv)) : M) : preconditioner;
      return krylov('cg', Am, bm, { tol: 1e-12, preconditioner: P }).x;
    }, KTOL);
  }
});

test('Krylov on the device: memory stays flat in the iteration count (cg in place; other methods free each column), x0 is not aliased', () => {
  const A = CsrMatrix.poisson2d(20, 20).to('cuda');
  const b = randomB(A.rows, null, 13).to('cuda');
  const x0 = randomB(A.rows, null, 14).to('cuda');
  for (const method of ['cg', 'minres', 'gmres', 'bicgstab'] as const) {
    const live = (iters: number): number => {
      const before = deviceMemory().liveBytes;
      const { x, info } = krylov(method, A, b, { tol: 1e-30, maxIter: iters, onNonConvergence: 'ignore', x0 });
      assert.equal(info.iterations, iters, method);
      const held = deviceMemory().liveBytes - before;
      x.dispose();
      return held;
    };
    // what a call leaves behind (x, plus caches made once per pattern) is the same after 5 and 100 iterations
    live(5);
    assert.equal(live(100), live(5), method);
  }
  // cg's peak too: five vectors reused, whatever the iteration count
  for (const preconditioner of [undefined, 'jacobi', 'ic0'] as const) {
    const peak = (iters: number): number => {
      const before = deviceMemory().liveBytes;
      resetPeakDeviceMemory();
      krylov('cg', A, b, { tol: 1e-30, maxIter: iters, onNonConvergence: 'ignore', x0, preconditioner }).x.dispose();
      return deviceMemory().peakBytes - before;
    };
    peak(5); // a preconditioner's per-pattern caches, made once
    assert.equal(peak(200), peak(5), String(preconditioner));
  }
  const { x } = krylov('cg', A, b, { maxIter: 0, x0, onNonConvergence: 'ignore' });
  assert.notEqual(x.buffer, x0.buffer);
});

test('Krylov on the device: errors and non-convergence are reported as on the CPU', () => {
  const A = spd();
  const b = randomB(A.rows, null, 11);
  assert.match(errorOf(() => krylov('cg', A.to('cuda'), b)), /cg: .*(cuda.*cpu|cpu.*cuda)/);
  assert.match(errorOf(() => krylov('cg', A.to('cuda'), b.to('cuda'), { preconditioner: A })), /cg: the preconditioner is on cpu but b is on cuda/);
  const cpuMsg = errorOf(() => krylov('cg', A, b, { maxIter: 3, onNonConvergence: 'throw' }));
  assert.equal(errorOf(() => krylov('cg', A.to('cuda'), b.to('cuda'), { maxIter: 3, onNonConvergence: 'throw' })).replace(/[0-9.]+e[-+][0-9]+/, 'R'), cpuMsg.replace(/[0-9.]+e[-+][0-9]+/, 'R'));
  const { info } = krylov('cg', A.to('cuda'), b.to('cuda'), { maxIter: 3, onNonConvergence: 'ignore' });
  assert.equal(info.converged, false);
  assert.equal(info.iterations, 3);
  const Z = CsrMatrix.fromDense([[1, 1], [1, 0]]).to('cuda');
  assert.match(errorOf(() => krylov('cg', Z, randomB(2, null, 1).to('cuda'), { preconditioner: 'jacobi' })), /preconditioner 'jacobi' needs a nonzero diagonal, but A\[1, 1\] is 0/);
  assert.match(errorOf(() => krylov('cg', (v) => v, b.to('cuda'), { preconditioner: 'ic0' })), /preconditioner 'ic0' needs A as a CsrMatrix/);
});
