// Krylov solvers for A x = b with gradients: cg (SPD A), minres (symmetric A),
// gmres (restarted, any A) and bicgstab (any A). A is a CsrMatrix or a function
// v ↦ A v (matrix-free); b is [n] or [n, k] (the k columns solved one after the other).
//
// adjoint 'implicit' (the default): the solve is one node on the tape. Its VJP
// solves the adjoint system with the same method, preconditioner (transposed
// where that differs: ilu0, a CsrMatrix) and tolerance, and gives
//   Aᵀ λ = v:   db = λ,   dA = −λ xᵀ ⊙ mask(A)
// Only x is kept for the backward pass, so memory does not grow with the
// iteration count (the residual history is one number per iteration).
// adjoint 'unrolled': every iteration runs through the engine's differentiable
// ops (spmv, dot, add, …), so gradients also reach the values of a learnable
// preconditioner (a CsrMatrix applied by SpMV, or a function of tensors that
// require grad) and the parameters of a matrix-free A. cg and minres assume a
// symmetric A, so their unrolled gradient agrees with the implicit one (that
// of A⁻¹ b) along symmetric perturbations of A (after g_ij, g_ji are averaged),
// not entry by entry; gmres and bicgstab agree entry by entry. The built-in
// preconditioners ('jacobi', 'ic0', 'ilu0') are constants there: x at
// convergence does not depend on them.
//
// Each call returns the solution and its convergence record. Non-convergence
// is reported, never silent: record.converged is false and, by default, a
// process warning names the method, the iterations and the residual
// (onNonConvergence: 'throw' makes it an error, 'ignore' only records it).
// The residual is relative: ‖b − A x‖ / ‖b‖ (minres: the preconditioned norm
// its recurrence tracks, with the true one checked at the end).
//
// The implicit mode is one path for both devices: the algorithms run over
// float64 vectors on A's (and b's) device (ops/krylov_vectors.ts) with the
// engine's kernels — SpMV, dot, axpby, elementwise, sptrsv — which take host or
// device storage, and host scalars (on 'cuda', one synchronisation per dot
// product); the same options, records and VJPs on 'cpu' and 'cuda'.
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { CsrMatrix } from '../csr.js';
import { scope } from '../device.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind, tensorArg } from './check.js';
import {
  cgInPlace, columnOf, constantF64, functionOf, ilu0, jacobi, joinColumns, matrixPrecond, spmvOf, type VectorPrecond, vectorAlgebra, zeros,
} from './krylov_vectors.js';
import { maskedOuterSum } from './sddmm.js';
import { concat, denseTranspose, gatherRows, reshape } from './shape.js';
import { spmv } from './spmv.js';
import { transpose } from './structure.js';
import { fullOn } from './transfer.js';

export type KrylovMethod = 'cg' | 'minres' | 'gmres' | 'bicgstab';
export type LinearOperator = CsrMatrix | ((v: Tensor) => Tensor);
export type Preconditioner = 'jacobi' | 'ic0' | 'ilu0' | CsrMatrix | ((r: Tensor) => Tensor);

export interface KrylovOptions {
  /** Relative residual to reach, ‖b − A x‖ ≤ tol · ‖b‖ (default 1e-8). */
  tol?: number;
  /** Iterations at most (default 10 n; for gmres, inner iterations in all). */
  maxIter?: number;
  /** gmres: the Krylov dimension before a restart (default min(30, n)). */
  restart?: number;
  /**
   * M ≈ A⁻¹, applied as z = M r: 'jacobi' (1/diag A), 'ic0' (incomplete
   * Cholesky, for SPD A), 'ilu0' (incomplete LU), a CsrMatrix M (z = M r by
   * SpMV), or a function r ↦ z. cg and minres need a symmetric positive definite M.
   */
  preconditioner?: Preconditioner;
  adjoint?: 'implicit' | 'unrolled';
  /** Initial guess (default 0). */
  x0?: Tensor;
  /** A matrix-free A's transpose, v ↦ Aᵀ v: needed by the implicit adjoint of gmres and bicgstab. */
  rmatvec?: (v: Tensor) => Tensor;
  onNonConvergence?: 'warn' | 'throw' | 'ignore';
}

export interface ConvergenceRecord {
  method: KrylovMethod;
  iterations: number;
  /** The method's residual reached tol and the true one, from x, is within 10·tol (rounding drift). */
  converged: boolean;
  /** Relative residual after 0, 1, … iterations (for [n, k]: of the column that took longest). */
  residuals: number[];
  /** The final relative residual, ‖b − A x‖ / ‖b‖, computed from x. */
  residual: number;
  tol: number;
  /** One record per column of an [n, k] right-hand side. */
  columns?: ConvergenceRecord[];
  /** The adjoint solve's record, filled in by backward() (implicit adjoint). */
  adjoint?: ConvergenceRecord;
}

export interface KrylovResult {
  x: Tensor;
  info: ConvergenceRecord;
}

// ---------------------------------------------------------------------------
// The algorithms, written once over a small vector algebra: host numbers and
// float64 vector Tensors worked on by kernels for the implicit mode (no tape,
// ops/krylov_vectors.ts), scalar and vector Tensors on the tape for the unrolled one.

interface Algebra<V, S> {
  matvec(v: V): V;
  precond(r: V): V;
  dot(a: V, b: V): S;
  /** y + a x */
  axpy(a: S, x: V, y: V): V;
  scale(a: S, x: V): V;
  sub(x: V, y: V): V;
  s(c: number): S;
  sadd(a: S, b: S): S;
  ssub(a: S, b: S): S;
  smul(a: S, b: S): S;
  sdiv(a: S, b: S): S;
  ssqrt(a: S): S;
  num(a: S): number;
}

interface Run<V> {
  x: V;
  iterations: number;
  residuals: number[];
  converged: boolean;
}

function cgRun<V, S>(K: Algebra<V, S>, b: V, x: V, bnorm: number, tol: number, maxIter: number): Run<V> {
  let r = K.sub(b, K.matvec(x));
  let z = K.precond(r);
  let p = z;
  let rz = K.dot(r, z);
  const residuals = [Math.sqrt(K.num(K.dot(r, r))) / bnorm];
  let it = 0;
  while (residuals[it]! > tol && it < maxIter) {
    const Ap = K.matvec(p);
    const pAp = K.dot(p, Ap);
    if (!(K.num(pAp) > 0)) break; // A (or M) not positive definite on this Krylov space
    const alpha = K.sdiv(rz, pAp);
    x = K.axpy(alpha, p, x);
    r = K.axpy(K.smul(K.s(-1), alpha), Ap, r);
    it++;
    residuals.push(Math.sqrt(K.num(K.dot(r, r))) / bnorm);
    if (residuals[it]! <= tol) break;
    z = K.precond(r);
    const rzNew = K.dot(r, z);
    p = K.axpy(K.sdiv(rzNew, rz), p, z);
    rz = rzNew;
  }
  return { x, iterations: it, residuals, converged: residuals[it]! <= tol };
}

// Preconditioned MINRES (Elman, Silvester & Wathen, Algorithm 2.4): |η| is the
// residual in the M-norm; relative to its start it is the recorded residual.
function minresRun<V, S>(K: Algebra<V, S>, b: V, x: V, bnorm: number, tol: number, maxIter: number): Run<V> {
  let v = K.sub(b, K.matvec(x));
  let z = K.precond(v);
  let gamma = K.ssqrt(K.dot(z, v));
  const gamma0 = K.num(gamma);
  const residuals = [Math.sqrt(K.num(K.dot(v, v))) / bnorm];
  if (!(gamma0 > 0) || residuals[0]! <= tol) return { x, iterations: 0, residuals, converged: residuals[0]! <= tol };
  let vPrev: V | null = null;
  let gammaPrev = K.s(1);
  let eta = gamma;
  let c = K.s(1), cPrev = K.s(1), s = K.s(0), sPrev = K.s(0);
  let w: V | null = null, wPrev: V | null = null;
  let it = 0;
  while (it < maxIter) {
    z = K.scale(K.sdiv(K.s(1), gamma), z);
    const Az = K.matvec(z);
    const delta = K.dot(Az, z);
    let vNext = K.axpy(K.smul(K.s(-1), K.sdiv(delta, gamma)), v, Az);
    if (vPrev) vNext = K.axpy(K.smul(K.s(-1), K.sdiv(gamma, gammaPrev)), vPrev, vNext);
    const zNext = K.precond(vNext);
    const gNextSq = K.num(K.dot(zNext, vNext));
    const gammaNext = gNextSq > 0 ? K.ssqrt(K.dot(zNext, vNext)) : K.s(0);
    const a0 = K.ssub(K.smul(c, delta), K.smul(K.smul(cPrev, s), gamma));
    const a1 = K.ssqrt(K.sadd(K.smul(a0, a0), K.smul(gammaNext, gammaNext)));
    const a2 = K.sadd(K.smul(s, delta), K.smul(K.smul(cPrev, c), gamma));
    const a3 = K.smul(sPrev, gamma);
    cPrev = c;
    sPrev = s;
    c = K.sdiv(a0, a1);
    s = K.sdiv(gammaNext, a1);
    let wNext = z;
    if (wPrev) wNext = K.axpy(K.smul(K.s(-1), a3), wPrev, wNext);
    if (w) wNext = K.axpy(K.smul(K.s(-1), a2), w, wNext);
    wNext = K.scale(K.sdiv(K.s(1), a1), wNext);
    x = K.axpy(K.smul(c, eta), wNext, x);
    eta = K.smul(K.smul(K.s(-1), s), eta);
    it++;
    residuals.push((Math.abs(K.num(eta)) / gamma0) * residuals[0]!);
    if (residuals[it]! <= tol || gNextSq <= 0) break;
    wPrev = w;
    w = wNext;
    vPrev = v;
    v = vNext;
    z = zNext;
    gammaPrev = gamma;
    gamma = gammaNext;
  }
  return { x, iterations: it, residuals, converged: residuals[it]! <= tol };
}

// Restarted GMRES(m) with right preconditioning (A M y = r, x += M y), Arnoldi
// by modified Gram–Schmidt, Givens rotations on the Hessenberg matrix.
function gmresRun<V, S>(K: Algebra<V, S>, b: V, x: V, bnorm: number, tol: number, maxIter: number, m: number): Run<V> {
  let r = K.sub(b, K.matvec(x));
  let beta = K.ssqrt(K.dot(r, r));
  const residuals = [K.num(beta) / bnorm];
  let it = 0;
  while (residuals[residuals.length - 1]! > tol && it < maxIter) {
    const Vs: V[] = [K.scale(K.sdiv(K.s(1), beta), r)];
    const Zs: V[] = [];
    const H: S[][] = [];
    const cs: S[] = [];
    const sn: S[] = [];
    const g: S[] = [beta];
    let j = 0;
    for (; j < m && it < maxIter; j++) {
      const zj = K.precond(Vs[j]!);
      Zs.push(zj);
      let w = K.matvec(zj);
      const h: S[] = [];
      for (let i = 0; i <= j; i++) {
        h[i] = K.dot(w, Vs[i]!);
        w = K.axpy(K.smul(K.s(-1), h[i]!), Vs[i]!, w);
      }
      const hNext = K.ssqrt(K.dot(w, w));
      h[j + 1] = hNext;
      for (let i = 0; i < j; i++) {
        const t = K.sadd(K.smul(cs[i]!, h[i]!), K.smul(sn[i]!, h[i + 1]!));
        h[i + 1] = K.ssub(K.smul(cs[i]!, h[i + 1]!), K.smul(sn[i]!, h[i]!));
        h[i] = t;
      }
      const rho = K.ssqrt(K.sadd(K.smul(h[j]!, h[j]!), K.smul(h[j + 1]!, h[j + 1]!)));
      cs[j] = K.sdiv(h[j]!, rho);
      sn[j] = K.sdiv(h[j + 1]!, rho);
      h[j] = rho;
      h[j + 1] = K.s(0);
      g[j + 1] = K.smul(K.smul(K.s(-1), sn[j]!), g[j]!);
      g[j] = K.smul(cs[j]!, g[j]!);
      H.push(h);
      it++;
      residuals.push(Math.abs(K.num(g[j + 1]!)) / bnorm);
      const breakdown = !(K.num(hNext) > 0);
      if (residuals[it]! <= tol || breakdown) {
        j++;
        break;
      }
      Vs.push(K.scale(K.sdiv(K.s(1), hNext), w));
    }
    // y = H⁻¹ g (upper triangular j × j), x += Σ y_i z_i
    const y: S[] = [];
    for (let i = j - 1; i >= 0; i--) {
      let t: S = g[i]!;
      for (let l = i + 1; l < j; l++) t = K.ssub(t, K.smul(H[l]![i]!, y[l]!));
      y[i] = K.sdiv(t, H[i]![i]!);
    }
    for (let i = 0; i < j; i++) x = K.axpy(y[i]!, Zs[i]!, x);
    r = K.sub(b, K.matvec(x));
    beta = K.ssqrt(K.dot(r, r));
    residuals[residuals.length - 1] = K.num(beta) / bnorm; // the true residual at each restart
    if (!(K.num(beta) > 0)) break;
  }
  const last = residuals[residuals.length - 1]!;
  return { x, iterations: it, residuals, converged: last <= tol };
}

function bicgstabRun<V, S>(K: Algebra<V, S>, b: V, x: V, bnorm: number, tol: number, maxIter: number): Run<V> {
  let r = K.sub(b, K.matvec(x));
  const rHat = r;
  const residuals = [Math.sqrt(K.num(K.dot(r, r))) / bnorm];
  let rho = K.s(1), alpha = K.s(1), omega = K.s(1);
  let p: V | null = null;
  let v: V | null = null;
  let it = 0;
  while (residuals[it]! > tol && it < maxIter) {
    const rhoNew = K.dot(rHat, r);
    if (K.num(rhoNew) === 0) break; // breakdown: r ⟂ r̂
    if (!p || !v) p = r;
    else {
      const beta = K.smul(K.sdiv(rhoNew, rho), K.sdiv(alpha, omega));
      p = K.axpy(beta, K.axpy(K.smul(K.s(-1), omega), v, p), r);
    }
    const pHat = K.precond(p);
    v = K.matvec(pHat);
    alpha = K.sdiv(rhoNew, K.dot(rHat, v));
    const s = K.axpy(K.smul(K.s(-1), alpha), v, r);
    it++;
    const sNorm = Math.sqrt(K.num(K.dot(s, s))) / bnorm;
    if (sNorm <= tol) {
      x = K.axpy(alpha, pHat, x);
      residuals.push(sNorm);
      break;
    }
    const sHat = K.precond(s);
    const t = K.matvec(sHat);
    omega = K.sdiv(K.dot(t, s), K.dot(t, t));
    x = K.axpy(omega, sHat, K.axpy(alpha, pHat, x));
    r = K.axpy(K.smul(K.s(-1), omega), t, s);
    rho = rhoNew;
    residuals.push(Math.sqrt(K.num(K.dot(r, r))) / bnorm);
    if (K.num(omega) === 0) break;
  }
  return { x, iterations: it, residuals, converged: residuals[residuals.length - 1]! <= tol };
}

// ---------------------------------------------------------------------------
// The unrolled mode's algebra (the implicit mode's is krylov_vectors.ts's vectorAlgebra)

function tensorAlgebra(matvec: (v: Tensor) => Tensor, precond: (r: Tensor) => Tensor, dtype: Tensor['dtype'], device: Tensor['device']): Algebra<Tensor, Tensor> {
  const scalar = (c: number): Tensor => fullOn(device, dtype, [], c);
  return {
    matvec,
    precond,
    dot: (a, b) => a.dot(b),
    axpy: (a, x, y) => y.add(x.mul(a)),
    scale: (a, x) => x.mul(a),
    sub: (x, y) => x.sub(y),
    s: scalar,
    sadd: (a, b) => a.add(b),
    ssub: (a, b) => a.sub(b),
    smul: (a, b) => a.mul(b),
    sdiv: (a, b) => a.div(b),
    ssqrt: (a) => a.sqrt(),
    num: (a) => a.item(),
  };
}

// ---------------------------------------------------------------------------
// The public solvers

const METHODS: readonly KrylovMethod[] = ['cg', 'minres', 'gmres', 'bicgstab'];

interface Resolved {
  tol: number;
  maxIter: number;
  restart: number;
  adjoint: 'implicit' | 'unrolled';
  onNonConvergence: 'warn' | 'throw' | 'ignore';
}

function resolve(op: string, n: number, o: Partial<KrylovOptions>): Resolved {
  const tol = o.tol ?? 1e-8;
  if (typeof tol !== 'number' || !(tol > 0)) fail(op, `tol must be a positive number but is ${String(tol)}`);
  const maxIter = o.maxIter ?? Math.max(10 * n, 10);
  if (!Number.isInteger(maxIter) || maxIter < 0) fail(op, `maxIter must be a non-negative integer but is ${String(maxIter)}`);
  const restart = o.restart ?? Math.max(1, Math.min(30, n));
  if (!Number.isInteger(restart) || restart < 1) fail(op, `restart must be a positive integer but is ${String(restart)}`);
  const adjoint = o.adjoint ?? 'implicit';
  if (adjoint !== 'implicit' && adjoint !== 'unrolled') fail(op, `adjoint must be 'implicit' or 'unrolled' but is ${JSON.stringify(adjoint)}`);
  const onNonConvergence = o.onNonConvergence ?? 'warn';
  if (!['warn', 'throw', 'ignore'].includes(onNonConvergence)) fail(op, `onNonConvergence must be 'warn', 'throw' or 'ignore' but is ${JSON.stringify(onNonConvergence)}`);
  const M = o.preconditioner;
  if (M !== undefined && !(M instanceof CsrMatrix) && typeof M !== 'function' && !['jacobi', 'ic0', 'ilu0'].includes(M as string)) {
    fail(op, `preconditioner must be 'jacobi', 'ic0', 'ilu0', a CsrMatrix or a function but is ${JSON.stringify(M)}`);
  }
  return { tol, maxIter, restart, adjoint, onNonConvergence };
}

function runMethod<V, S>(method: KrylovMethod, K: Algebra<V, S>, b: V, x: V, bnorm: number, r: Resolved): Run<V> {
  switch (method) {
    case 'cg': return cgRun(K, b, x, bnorm, r.tol, r.maxIter);
    case 'minres': return minresRun(K, b, x, bnorm, r.tol, r.maxIter);
    case 'gmres': return gmresRun(K, b, x, bnorm, r.tol, r.maxIter, r.restart);
    case 'bicgstab': return bicgstabRun(K, b, x, bnorm, r.tol, r.maxIter);
  }
}

function report(op: string, rec: ConvergenceRecord, policy: Resolved['onNonConvergence'], what = 'the solve'): void {
  if (rec.converged || policy === 'ignore') return;
  const msg = `${op}: ${what} did not converge: relative residual ${rec.residual.toExponential(3)} > tol ${rec.tol} after ${rec.iterations} iterations`;
  if (policy === 'throw') fail(op, msg.slice(op.length + 2));
  process.emitWarning(msg, { code: 'SPARSE_AD_NONCONVERGENCE' });
}

function mergeRecords(method: KrylovMethod, tol: number, cols: ConvergenceRecord[]): ConvergenceRecord {
  if (cols.length === 1) return cols[0]!;
  let worst = cols[0]!;
  for (const c of cols) if (c.iterations > worst.iterations) worst = c;
  return {
    method,
    tol,
    iterations: Math.max(...cols.map((c) => c.iterations)),
    converged: cols.every((c) => c.converged),
    residuals: worst.residuals,
    residual: Math.max(...cols.map((c) => c.residual)),
    columns: cols,
  };
}

function twice<T>(v: T): [T, T] {
  return [v, v];
}

/**
 * Solves A x = b with the Krylov method `method`. See the top of this file.
 * Returns { x, info } where info is the convergence record.
 */
export function krylov(method: KrylovMethod, A: LinearOperator, b: Tensor, opts: KrylovOptions = {}): KrylovResult {
  const op = method;
  if (!METHODS.includes(method)) fail('krylov', `method must be one of ${METHODS.join(', ')} but is ${JSON.stringify(method)}`);
  const o = optionsArg<KrylovOptions>(op, opts);
  tensorArg(op, 'b', b, [1, 2]);
  const n = b.shape[0]!;
  const k = b.ndim === 1 ? 1 : b.shape[1]!;
  let Acsr: CsrMatrix | null = null;
  if (A instanceof CsrMatrix) {
    csrArg(op, 'A', A);
    if (A.rows !== A.cols) fail(op, `A must be square but has shape ${shapeStr(A.shape)}`);
    if (A.rows !== n) fail(op, `A has shape ${shapeStr(A.shape)} but b has shape ${shapeStr(b.shape)} (needs ${A.rows} rows)`);
    sameKind(op, ['A', A], ['b', b]);
    Acsr = A;
  } else if (typeof A !== 'function') {
    fail(op, `A must be a CsrMatrix or a function v => A v but is ${typeof A}`);
  }
  const r = resolve(op, n, o);
  if (o.x0 !== undefined) {
    tensorArg(op, 'x0', o.x0);
    if (o.x0.shape.join() !== b.shape.join()) fail(op, `x0 has shape ${shapeStr(o.x0.shape)} but b has shape ${shapeStr(b.shape)}`);
    sameKind(op, ['b', b], ['x0', o.x0]);
  }
  if (o.preconditioner instanceof CsrMatrix) {
    csrArg(op, 'preconditioner', o.preconditioner);
    if (o.preconditioner.device !== b.device) fail(op, `the preconditioner is on ${o.preconditioner.device} but b is on ${b.device}; move it with M.to('${b.device}')`);
  }
  if (r.adjoint === 'unrolled') return unrolled(op, method, A, Acsr, b, n, k, o, r);
  return implicit(op, method, A, Acsr, b, n, k, o, r);
}

function unrolled(
  op: string, method: KrylovMethod, A: LinearOperator, Acsr: CsrMatrix | null, b: Tensor, n: number, k: number,
  o: Partial<KrylovOptions>, r: Resolved,
): KrylovResult {
  const dtype = b.dtype;
  const matvec = Acsr ? (v: Tensor) => spmv(Acsr, v) : (A as (v: Tensor) => Tensor);
  const M = o.preconditioner;
  let precond: (t: Tensor) => Tensor;
  if (M === undefined) precond = (t) => t;
  else if (M instanceof CsrMatrix) precond = (t) => spmv(M, t);
  else if (typeof M === 'function') precond = M;
  else {
    // Built-in preconditioners are constants here (see the top of this file).
    const P = preconditioner(op, Acsr, M, dtype);
    const to = (t: Tensor): Tensor => (t.dtype === dtype ? t : t.to(dtype));
    precond = (t) => {
      const z = to(P.apply(noGrad(() => t.to('float64'))));
      // z = M t with a constant M: dt = Mᵀ v
      return record(`${op}:preconditioner`, z, [t], (v) => [to(P.applyTranspose(v.to('float64')))]);
    };
  }
  const K = tensorAlgebra(matvec, precond, dtype, b.device);
  const column = (t: Tensor, c: number): Tensor => (k === 1 ? t : reshape(gatherRows(denseTranspose(t), [c]), [n]));
  const xs: Tensor[] = [];
  const cols: ConvergenceRecord[] = [];
  {
    for (let c = 0; c < k; c++) {
      const bc = column(b, c);
      const x0 = o.x0 ? column(o.x0, c) : fullOn(b.device, dtype, [n], 0);
      const bnorm = Math.sqrt(noGrad(() => bc.dot(bc).item()));
      const run: Run<Tensor> = bnorm === 0 ? { x: x0.mul(0), iterations: 0, residuals: [0], converged: true } : runMethod(method, K, bc, x0, bnorm, r);
      const res = bnorm === 0 ? 0 : noGrad(() => bc.sub(matvec(run.x)).norm().item()) / bnorm;
      cols.push({ method, tol: r.tol, iterations: run.iterations, converged: run.converged && res <= r.tol * 10, residuals: run.residuals, residual: res });
      xs.push(run.x);
    }
  }
  const info = mergeRecords(method, r.tol, cols);
  report(op, info, r.onNonConvergence);
  const x = k === 1 ? xs[0]! : concat(xs.map((t) => reshape(t, [n, 1])), 1);
  return { x, info };
}

export function cg(A: LinearOperator, b: Tensor, opts: KrylovOptions = {}): KrylovResult {
  return krylov('cg', A, b, opts);
}
export function minres(A: LinearOperator, b: Tensor, opts: KrylovOptions = {}): KrylovResult {
  return krylov('minres', A, b, opts);
}
export function gmres(A: LinearOperator, b: Tensor, opts: KrylovOptions = {}): KrylovResult {
  return krylov('gmres', A, b, opts);
}
export function bicgstab(A: LinearOperator, b: Tensor, opts: KrylovOptions = {}): KrylovResult {
  return krylov('bicgstab', A, b, opts);
}

// ---------------------------------------------------------------------------
// The implicit mode, on either device (ops/krylov_vectors.ts)

function preconditioner(op: string, A: CsrMatrix | null, M: Preconditioner | undefined, dtype: Tensor['dtype']): VectorPrecond {
  if (M === undefined) return { apply: (r) => r, applyTranspose: (r) => r };
  if (M === 'jacobi' || M === 'ic0' || M === 'ilu0') {
    if (!A) fail(op, `preconditioner '${M}' needs A as a CsrMatrix (A is a function); pass a CsrMatrix or a function preconditioner`);
    const A64 = constantF64(A);
    return M === 'jacobi' ? jacobi(op, A64) : ilu0(op, A64, M === 'ic0');
  }
  if (M instanceof CsrMatrix) return matrixPrecond(M);
  // A function preconditioner: its transpose is not known; the adjoint uses M
  // itself, which changes only how fast the adjoint solve converges, not λ.
  const apply = functionOf(M, dtype);
  return { apply, applyTranspose: apply };
}

function implicit(
  op: string, method: KrylovMethod, A: LinearOperator, Acsr: CsrMatrix | null, b: Tensor, n: number, k: number,
  o: Partial<KrylovOptions>, r: Resolved,
): KrylovResult {
  const dtype = b.dtype;
  const A64 = Acsr ? constantF64(Acsr) : null;
  const matvec = A64 ? spmvOf(A64) : functionOf(A as (v: Tensor) => Tensor, dtype);
  const P = preconditioner(op, Acsr, o.preconditioner, dtype);
  // cg with a CsrMatrix runs in place (memory flat in the iteration count).
  const inPlace = method === 'cg' && A64 !== null;
  const identity = o.preconditioner === undefined;
  // Column by column: op(A) X = B for B [n] or [n, k] on b's device.
  // Each column runs in a scope: the method's intermediates are freed when it ends.
  const solve = (B: Tensor, X0: Tensor | null, mv: (v: Tensor) => Tensor, pc: (v: Tensor) => Tensor): { X: Tensor; record: ConvergenceRecord } => {
    const K = vectorAlgebra(mv, pc);
    const xs: Tensor[] = [];
    const cols: ConvergenceRecord[] = [];
    for (let c = 0; c < k; c++) {
      const { x: xc, col } = scope(() => {
        const bc = columnOf(B, n, k, c);
        const x0 = X0 ? columnOf(X0, n, k, c) : zeros(b.device, n);
        const bnorm = Math.sqrt(K.dot(bc, bc));
        let run: Run<Tensor>;
        if (bnorm === 0) run = { x: zeros(b.device, n), iterations: 0, residuals: [0], converged: true };
        else if (inPlace) run = cgInPlace(A64, identity ? null : pc, bc, x0, bnorm, r.tol, r.maxIter);
        else run = runMethod(method, K, bc, x0, bnorm, r);
        const res = bnorm === 0 ? 0 : Math.sqrt(K.dot(...twice(K.sub(bc, mv(run.x))))) / bnorm;
        return { x: run.x, col: { method, tol: r.tol, iterations: run.iterations, converged: run.converged && res <= r.tol * 10, residuals: run.residuals, residual: res } };
      });
      cols.push(col);
      xs.push(xc);
    }
    return { X: joinColumns(xs, B.shape, dtype), record: mergeRecords(method, r.tol, cols) };
  };
  const { X: x, record: info } = solve(b, o.x0 ?? null, matvec, P.apply);
  report(op, info, r.onNonConvergence);

  const symmetric = method === 'cg' || method === 'minres';
  if (!symmetric && !Acsr && !o.rmatvec && b.requiresGrad && isGradEnabled()) {
    fail(op, `the implicit adjoint of ${method} with a function A needs options.rmatvec (v => Aᵀ v), or adjoint: 'unrolled'`);
  }
  const inputs = Acsr ? [Acsr.values, b] : [b];
  record(op, x, inputs, (v, needs) => {
    // Aᵀ λ = v with the same method, preconditioner (transposed) and tolerance.
    let tmatvec: (u: Tensor) => Tensor;
    if (symmetric) tmatvec = matvec;
    else if (A64) tmatvec = spmvOf(noGrad(() => transpose(A64)));
    else tmatvec = functionOf(o.rmatvec!, dtype);
    const adj = solve(v, null, tmatvec, symmetric ? P.apply : P.applyTranspose);
    info.adjoint = adj.record;
    report(op, adj.record, r.onNonConvergence, 'the adjoint solve (backward)');
    const grads: (Tensor | null)[] = [];
    // dA = −λ xᵀ ⊙ mask(A)
    if (Acsr) grads.push(needs[0] ? maskedOuterSum(Acsr, adj.X, x, k, -1) : null);
    // db = λ
    grads.push(needs[inputs.length - 1] ? adj.X : null);
    return grads;
  });
  return { x, info };
}
