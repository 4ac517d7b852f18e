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
// On the device ('cuda': A and b there) the same algorithms run over device
// vectors (ops/krylov_device.ts): SpMV, dot and axpy kernels, host scalars, one
// host synchronisation per dot product; the same options, records and VJPs.
import { kernel } from '../addon.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { CsrMatrix } from '../csr.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';
import { csrArg, optionsArg, sameKind, tensorArg } from './check.js';
import { concat, denseTranspose, gatherRows, reshape } from './shape.js';
import { spmv } from './spmv.js';
import { maskedOuterSum } from './sddmm.js';
import { transpose } from './structure.js';
import {
  columnOf, constantF64, deviceAlgebra, deviceCgInPlace, deviceFunction, deviceIlu0, deviceJacobi, deviceMatrixPrecond, type DevicePrecond,
  deviceSpmv, deviceZeros, joinColumns,
} from './krylov_device.js';
import { fullOn } from './transfer.js';
import { scope } from '../device.js';

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
// The algorithms, written once over a small vector algebra: numbers and
// Float64Arrays for the implicit mode (no tape), scalar and vector Tensors on
// the tape for the unrolled one.

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
// The two algebras

type Vec = Float64Array;

function rawAlgebra(n: number, matvec: (v: Vec) => Vec, precond: (r: Vec) => Vec): Algebra<Vec, number> {
  return {
    matvec,
    precond,
    dot(a, b) {
      let s = 0;
      for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
      return s;
    },
    axpy(a, x, y) {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = y[i]! + a * x[i]!;
      return o;
    },
    scale(a, x) {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = a * x[i]!;
      return o;
    },
    sub(x, y) {
      const o = new Float64Array(n);
      for (let i = 0; i < n; i++) o[i] = x[i]! - y[i]!;
      return o;
    },
    s: (c) => c,
    sadd: (a, b) => a + b,
    ssub: (a, b) => a - b,
    smul: (a, b) => a * b,
    sdiv: (a, b) => a / b,
    ssqrt: (a) => Math.sqrt(a),
    num: (a) => a,
  };
}

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
// Preconditioners on raw arrays (implicit mode; constants in the unrolled one)

interface RawPrecond {
  apply(r: Vec): Vec;
  applyTranspose(r: Vec): Vec;
  /** ilu0/ic0: the factors L (unit lower) and U on A's pattern, for the device's triangular solves. */
  factor?: Float64Array;
}

type SpmvFn = (rows: number, cols: number, nnz: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, x: Float64Array, y: Float64Array) => void;

function rawSpmvInto(A: CsrMatrix): (v: Vec, out: Vec) => void {
  const { indptr, indices } = A.pattern.raw;
  const values = A.values.data instanceof Float64Array ? A.values.data : Float64Array.from(A.values.data);
  const f = kernel<SpmvFn>('spmv');
  return (v, out) => f(A.rows, A.cols, A.nnz, indptr, indices, values, v, out);
}

function rawSpmv(A: CsrMatrix): (v: Vec) => Vec {
  const into = rawSpmvInto(A);
  return (v) => {
    const y = new Float64Array(A.rows);
    into(v, y);
    return y;
  };
}

function diagonalOf(op: string, A: CsrMatrix): Float64Array {
  const { indptr, indices } = A.pattern.raw;
  const vals = A.values.data;
  const d = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) for (let p = indptr[i]!; p < indptr[i + 1]!; p++) if (indices[p] === i) d[i] = vals[p]!;
  for (let i = 0; i < A.rows; i++) if (d[i] === 0) fail(op, `preconditioner 'jacobi' needs a nonzero diagonal, but A[${i}, ${i}] is 0 or not stored`);
  return d;
}

/**
 * ILU(0) on A's own pattern (IKJ order): L unit lower and U upper in one array.
 * For a symmetric positive definite A this is IC(0) too: U = D Lᵀ, so
 * M = L U = (L D^½)(L D^½)ᵀ, the incomplete Cholesky factor's product ('ic0'
 * checks that every pivot is positive).
 */
function ilu0(op: string, A: CsrMatrix, spd: boolean): RawPrecond {
  const n = A.rows;
  const { indptr, indices } = A.pattern.raw;
  const f = Float64Array.from(A.values.data);
  const diag = new Int32Array(n).fill(-1);
  const where = new Int32Array(n).fill(-1);
  const name = spd ? 'ic0' : 'ilu0';
  for (let i = 0; i < n; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) where[indices[p]!] = p;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const k = indices[p]!;
      if (k >= i) break;
      const l = (f[p]! /= f[diag[k]!]!);
      for (let q = diag[k]! + 1; q < indptr[k + 1]!; q++) {
        const at = where[indices[q]!]!;
        if (at >= 0) f[at]! -= l * f[q]!;
      }
    }
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      if (indices[p] === i) diag[i] = p;
      where[indices[p]!] = -1;
    }
    if (diag[i]! < 0) fail(op, `preconditioner '${name}' needs A's diagonal stored, but A[${i}, ${i}] is not`);
    const d = f[diag[i]!]!;
    if (spd ? !(d > 0) : d === 0 || !Number.isFinite(d)) {
      fail(op, `preconditioner '${name}' broke down: pivot ${d} at row ${i}${spd ? ' (IC(0) needs positive pivots: is A symmetric positive definite?)' : ''}`);
    }
  }
  return {
    factor: f,
    // z = U⁻¹ L⁻¹ r
    apply(r) {
      const z = Float64Array.from(r);
      for (let i = 0; i < n; i++) {
        let s = z[i]!;
        for (let p = indptr[i]!; p < diag[i]!; p++) s -= f[p]! * z[indices[p]!]!;
        z[i] = s;
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = z[i]!;
        for (let p = diag[i]! + 1; p < indptr[i + 1]!; p++) s -= f[p]! * z[indices[p]!]!;
        z[i] = s / f[diag[i]!]!;
      }
      return z;
    },
    // z = L⁻ᵀ U⁻ᵀ r (column sweeps over the CSR rows)
    applyTranspose(r) {
      const z = Float64Array.from(r);
      for (let i = 0; i < n; i++) {
        const zi = (z[i]! /= f[diag[i]!]!);
        for (let p = diag[i]! + 1; p < indptr[i + 1]!; p++) z[indices[p]!]! -= f[p]! * zi;
      }
      for (let i = n - 1; i >= 0; i--) {
        const zi = z[i]!;
        for (let p = indptr[i]!; p < diag[i]!; p++) z[indices[p]!]! -= f[p]! * zi;
      }
      return z;
    },
  };
}

function rawPreconditioner(op: string, A: CsrMatrix | null, M: Preconditioner | undefined, dtype: Tensor['dtype']): RawPrecond {
  if (M === undefined) return { apply: (r) => r, applyTranspose: (r) => r };
  if (M === 'jacobi' || M === 'ic0' || M === 'ilu0') {
    if (!A) fail(op, `preconditioner '${M}' needs A as a CsrMatrix (A is a function); pass a CsrMatrix or a function preconditioner`);
    if (M === 'jacobi') {
      const d = diagonalOf(op, A);
      const apply = (r: Vec): Vec => r.map((v, i) => v / d[i]!);
      return { apply, applyTranspose: apply };
    }
    return ilu0(op, A, M === 'ic0');
  }
  if (M instanceof CsrMatrix) {
    const fwd = rawSpmv(M);
    let back: ((v: Vec) => Vec) | null = null;
    return { apply: fwd, applyTranspose: (r) => (back ??= rawSpmv(noGrad(() => transpose(M.detach()))))(r) };
  }
  // A function preconditioner: its transpose is not known; the adjoint uses M
  // itself, which changes only how fast the adjoint solve converges, not λ.
  const apply = (r: Vec): Vec => Float64Array.from(noGrad(() => M(vecTensor(r, dtype))).toArray());
  return { apply, applyTranspose: apply };
}

function vecTensor(v: Vec, dtype: Tensor['dtype']): Tensor {
  return new Tensor(dtype === 'float64' ? v : Float32Array.from(v), [v.length]);
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

// cg on raw arrays in place: the implicit mode's hot path. Same iteration as
// cgRun, without a fresh array per vector operation (at n = 65536 those cost
// more in allocation and collection than the arithmetic).
function cgInPlace(n: number, matvecInto: (v: Vec, out: Vec) => void, precond: (r: Vec) => Vec, identity: boolean,
  b: Vec, x: Vec, bnorm: number, tol: number, maxIter: number): Run<Vec> {
  const r = new Float64Array(n);
  const Ap = new Float64Array(n);
  matvecInto(x, Ap);
  let rr = 0;
  for (let i = 0; i < n; i++) {
    r[i] = b[i]! - Ap[i]!;
    rr += r[i]! * r[i]!;
  }
  let z = identity ? r : precond(r);
  const p = Float64Array.from(z);
  let rz = 0;
  for (let i = 0; i < n; i++) rz += r[i]! * z[i]!;
  const residuals = [Math.sqrt(rr) / bnorm];
  let it = 0;
  while (residuals[it]! > tol && it < maxIter) {
    matvecInto(p, Ap);
    let pAp = 0;
    for (let i = 0; i < n; i++) pAp += p[i]! * Ap[i]!;
    if (!(pAp > 0)) break;
    const alpha = rz / pAp;
    rr = 0;
    for (let i = 0; i < n; i++) {
      x[i]! += alpha * p[i]!;
      const ri = (r[i]! -= alpha * Ap[i]!);
      rr += ri * ri;
    }
    it++;
    residuals.push(Math.sqrt(rr) / bnorm);
    if (residuals[it]! <= tol) break;
    z = identity ? r : precond(r);
    let rzNew = 0;
    for (let i = 0; i < n; i++) rzNew += r[i]! * z[i]!;
    const beta = rzNew / rz;
    for (let i = 0; i < n; i++) p[i] = z[i]! + beta * p[i]!;
    rz = rzNew;
  }
  return { x, iterations: it, residuals, converged: residuals[it]! <= tol };
}

/**
 * Raw solves of op(A) X = B column by column (B row-major n × k, Float64),
 * op = A or Aᵀ, returning X and the merged record.
 */
function rawSolve(
  method: KrylovMethod, n: number, k: number, B: Float64Array, X0: Float64Array | null,
  matvec: (v: Vec) => Vec, precond: (r: Vec) => Vec, r: Resolved,
  fast?: { matvecInto: (v: Vec, out: Vec) => void; identity: boolean },
): { X: Float64Array; record: ConvergenceRecord } {
  const K = rawAlgebra(n, matvec, precond);
  const X = new Float64Array(n * k);
  const cols: ConvergenceRecord[] = [];
  for (let c = 0; c < k; c++) {
    const b = k === 1 ? B : Float64Array.from({ length: n }, (_, i) => B[i * k + c]!);
    const x0 = X0 ? (k === 1 ? Float64Array.from(X0) : Float64Array.from({ length: n }, (_, i) => X0[i * k + c]!)) : new Float64Array(n);
    const bnorm = Math.sqrt(K.dot(b, b));
    let run: Run<Vec>;
    if (bnorm === 0) run = { x: new Float64Array(n), iterations: 0, residuals: [0], converged: true };
    else if (method === 'cg' && fast) run = cgInPlace(n, fast.matvecInto, precond, fast.identity, b, x0, bnorm, r.tol, r.maxIter);
    else run = runMethod(method, K, b, x0, bnorm, r);
    const res = bnorm === 0 ? 0 : Math.sqrt(K.dot(...twice(K.sub(b, matvec(run.x))))) / bnorm;
    cols.push({ method, tol: r.tol, iterations: run.iterations, converged: run.converged && res <= r.tol * 10, residuals: run.residuals, residual: res });
    for (let i = 0; i < n; i++) X[i * k + c] = run.x[i]!;
  }
  return { X, record: mergeRecords(method, r.tol, cols) };
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
  if (b.device === 'cuda') return implicitOnDevice(op, method, A, Acsr, b, n, k, o, r);

  // Implicit: raw arrays, one tape node.
  const dtype = b.dtype;
  const userMatvec = (f: (v: Tensor) => Tensor) => (v: Vec): Vec => Float64Array.from(noGrad(() => f(vecTensor(v, dtype))).toArray());
  const matvec = Acsr ? rawSpmv(Acsr) : userMatvec(A as (v: Tensor) => Tensor);
  const P = rawPreconditioner(op, Acsr, o.preconditioner, dtype);
  const B = Float64Array.from(b.data);
  const X0 = o.x0 ? Float64Array.from(o.x0.data) : null;
  const fast = Acsr ? { matvecInto: rawSpmvInto(Acsr), identity: o.preconditioner === undefined } : undefined;
  const { X, record: info } = rawSolve(method, n, k, B, X0, matvec, P.apply, r, fast);
  report(op, info, r.onNonConvergence);
  const xData = dtype === 'float64' ? X : Float32Array.from(X);
  const x = new Tensor(xData, b.shape);

  const symmetric = method === 'cg' || method === 'minres';
  if (!symmetric && !Acsr && !o.rmatvec && b.requiresGrad && isGradEnabled()) {
    fail(op, `the implicit adjoint of ${method} with a function A needs options.rmatvec (v => Aᵀ v), or adjoint: 'unrolled'`);
  }
  const inputs = Acsr ? [Acsr.values, b] : [b];
  record(op, x, inputs, (v, needs) => {
    // Aᵀ λ = v with the same method, preconditioner (transposed) and tolerance.
    let tmatvec: (u: Vec) => Vec;
    if (symmetric) tmatvec = matvec;
    else if (Acsr) tmatvec = rawSpmv(noGrad(() => transpose(Acsr.detach())));
    else tmatvec = userMatvec(o.rmatvec!);
    const adj = rawSolve(method, n, k, Float64Array.from(v.data), null, tmatvec, symmetric ? P.apply : P.applyTranspose, r, symmetric ? fast : undefined);
    info.adjoint = adj.record;
    report(op, adj.record, r.onNonConvergence, 'the adjoint solve (backward)');
    const lam = dtype === 'float64' ? adj.X : Float32Array.from(adj.X);
    const grads: (Tensor | null)[] = [];
    if (Acsr) {
      // dA = −λ xᵀ ⊙ mask(A)
      grads.push(needs[0] ? maskedOuterSum(Acsr, new Tensor(lam, b.shape), new Tensor(xData, b.shape), k, -1) : null);
    }
    // db = λ
    grads.push(needs[inputs.length - 1] ? new Tensor(lam, b.shape) : null);
    return grads;
  });
  return { x, info };
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
  else if (b.device === 'cuda') {
    // Built-in preconditioners are constants here (see the top of this file).
    const P = devicePreconditioner(op, Acsr, M, dtype);
    const to = (t: Tensor): Tensor => (t.dtype === dtype ? t : t.to(dtype));
    precond = (t) => {
      const z = to(P.apply(noGrad(() => t.to('float64'))));
      // z = M t with a constant M: dt = Mᵀ v
      return record(`${op}:preconditioner`, z, [t], (v) => [to(P.applyTranspose(v.to('float64')))]);
    };
  } else {
    // Built-in preconditioners are constants here (see the top of this file).
    const P = rawPreconditioner(op, Acsr, M, dtype);
    precond = (t) => {
      const z = vecTensor(P.apply(Float64Array.from(t.data)), dtype);
      // z = M t with a constant M: dt = Mᵀ v
      return record(`${op}:preconditioner`, z, [t], (v) => [vecTensor(P.applyTranspose(Float64Array.from(v.data)), dtype)]);
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
// On the device: the implicit mode over device vectors (ops/krylov_device.ts)

/** A host copy of a device A (same pattern), for the host-side preconditioner setup. */
function hostCopy(A: CsrMatrix): CsrMatrix {
  return A.detach().withValues(new Tensor(A.values.toArray(), [A.nnz]));
}

function devicePreconditioner(op: string, A: CsrMatrix | null, M: Preconditioner | undefined, dtype: Tensor['dtype']): DevicePrecond {
  if (M === undefined) return { apply: (r) => r, applyTranspose: (r) => r };
  if (M === 'jacobi' || M === 'ic0' || M === 'ilu0') {
    if (!A) fail(op, `preconditioner '${M}' needs A as a CsrMatrix (A is a function); pass a CsrMatrix or a function preconditioner`);
    const host = hostCopy(A);
    if (M === 'jacobi') return deviceJacobi(diagonalOf(op, host));
    return deviceIlu0(A, ilu0(op, host, M === 'ic0').factor!);
  }
  if (M instanceof CsrMatrix) return deviceMatrixPrecond(M);
  // A function: its transpose is not known (as on the CPU, the adjoint uses M itself).
  const apply = deviceFunction(M, dtype);
  return { apply, applyTranspose: apply };
}

function implicitOnDevice(
  op: string, method: KrylovMethod, A: LinearOperator, Acsr: CsrMatrix | null, b: Tensor, n: number, k: number,
  o: Partial<KrylovOptions>, r: Resolved,
): KrylovResult {
  const dtype = b.dtype;
  const A64 = Acsr ? constantF64(Acsr) : null;
  const matvec = A64 ? deviceSpmv(A64) : deviceFunction(A as (v: Tensor) => Tensor, dtype);
  const P = devicePreconditioner(op, Acsr, o.preconditioner, dtype);
  // cg with a CsrMatrix runs in place (flat device memory, as cgInPlace on the CPU).
  const inPlace = method === 'cg' && A64 !== null;
  const identity = o.preconditioner === undefined;
  // Column by column, as rawSolve: op(A) X = B for B [n] or [n, k] on the device.
  // Each column runs in a scope: the method's intermediates are freed when it ends.
  const solve = (B: Tensor, X0: Tensor | null, mv: (v: Tensor) => Tensor, pc: (v: Tensor) => Tensor): { X: Tensor; record: ConvergenceRecord } => {
    const K = deviceAlgebra(mv, pc);
    const xs: Tensor[] = [];
    const cols: ConvergenceRecord[] = [];
    for (let c = 0; c < k; c++) {
      const { x: xc, col } = scope(() => {
        const bc = columnOf(B, n, k, c);
        const x0 = X0 ? columnOf(X0, n, k, c) : deviceZeros(n);
        const bnorm = Math.sqrt(K.dot(bc, bc));
        let run: Run<Tensor>;
        if (bnorm === 0) run = { x: deviceZeros(n), iterations: 0, residuals: [0], converged: true };
        else if (inPlace) run = deviceCgInPlace(A64, identity ? null : pc, bc, x0, bnorm, r.tol, r.maxIter);
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
    else if (A64) tmatvec = deviceSpmv(noGrad(() => transpose(A64)));
    else tmatvec = deviceFunction(o.rmatvec!, dtype);
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
