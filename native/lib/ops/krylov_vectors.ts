// The Krylov solvers' vector algebra and preconditioners for the implicit mode
// of ops/krylov.ts, on either device: float64 vectors on A's device ('cpu' or
// 'cuda') worked on by the engine's kernels (SpMV, dot, axpby, elementwise,
// sptrsv), which take host or device storage, and host scalars. Every dot
// product comes back to the host (on 'cuda' one synchronisation each): the
// step lengths and the residual check that ends the loop need them there. The
// implicit mode computes in float64 (a float32 A or b is cast once).
//
// Preconditioners: 'jacobi' divides by diag A; 'ic0'/'ilu0' are factored on
// the host (native/core/ilu0.h: a sequential sweep over A's rows, once per
// solve) and applied by two triangular solves (sptrsv); a CsrMatrix M by SpMV
// (Mᵀ for the adjoint); a function as given.
import { kernel } from '../addon.js';
import { noGrad } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { keep } from '../device.js';
import type { Device, DType } from '../dtype.js';
import { fail } from '../errors.js';
import { Tensor } from '../tensor.js';
import { div } from './elementwise.js';
import { dot } from './reduce.js';
import { cast, concat, denseTranspose, gatherRows, reshape } from './shape.js';
import { spmv } from './spmv.js';
import { sptrsv } from './sptrsv.js';
import { astype, diagonal, transpose, tril, triu } from './structure.js';
import { type CsrArgs, csrArgs, empty, fullOn, storage, toDevice, type Storage } from './transfer.js';

type Vec = Tensor;
type AxpbyFn = (alpha: number, x: Storage, beta: number, y: Storage) => void;
type DotFn = (a: Storage, b: Storage, out: Storage) => void;
type SpmvFn = (...args: [...CsrArgs, x: Storage, y: Storage]) => void;
type Ilu0Fn = (n: number, indptr: Int32Array, indices: Int32Array, values: Float64Array, spd: boolean) => [kind: number, row: number, pivot: number];

/** The vector algebra of ops/krylov.ts over float64 vectors (either device), with host scalars. */
export function vectorAlgebra(matvec: (v: Vec) => Vec, precond: (r: Vec) => Vec) {
  const axpby = kernel<AxpbyFn>('axpby');
  // o = a x + b y, in a fresh vector (y's copy)
  const combine = (a: number, x: Vec, b: number, y: Vec): Vec => {
    const o = y.clone();
    axpby(a, storage(x), b, storage(o));
    return o;
  };
  return {
    matvec,
    precond,
    dot: (a: Vec, b: Vec): number => noGrad(() => dot(a, b)).item(),
    axpy: (a: number, x: Vec, y: Vec): Vec => combine(a, x, 1, y),
    scale: (a: number, x: Vec): Vec => combine(0, x, a, x),
    sub: (x: Vec, y: Vec): Vec => combine(-1, y, 1, x),
    s: (c: number) => c,
    sadd: (a: number, b: number) => a + b,
    ssub: (a: number, b: number) => a - b,
    smul: (a: number, b: number) => a * b,
    sdiv: (a: number, b: number) => a / b,
    ssqrt: (a: number) => Math.sqrt(a),
    num: (a: number) => a,
  };
}

/** Column c of an [n, k] (or [n]) tensor as a float64 [n] vector of its own (never a view of B). */
export function columnOf(B: Tensor, n: number, k: number, c: number): Vec {
  return noGrad(() => {
    if (k === 1) return B.dtype === 'float64' ? reshape(B, [n]).clone() : cast(reshape(B, [n]), 'float64');
    const b = reshape(gatherRows(denseTranspose(reshape(B, [n, k])), [c]), [n]);
    return b.dtype === 'float64' ? b : cast(b, 'float64');
  });
}

/**
 * cg in place, the iteration of ops/krylov.ts's cgRun with five vectors reused
 * throughout (x, r, p, Ap and z), so memory stays flat in the iteration count
 * on either device. Two dot products per iteration come to the host (p·Ap for
 * the step, r·r for the residual check; r·z a third with a preconditioner).
 * Overwrites and returns x.
 */
export function cgInPlace(A64: CsrMatrix, precond: ((r: Vec) => Vec) | null, b: Vec, x: Vec, bnorm: number, tol: number, maxIter: number):
  { x: Vec; iterations: number; residuals: number[]; converged: boolean } {
  const n = b.size;
  const axpby = kernel<AxpbyFn>('axpby');
  const spmvK = kernel<SpmvFn>('spmv');
  const dotK = kernel<DotFn>('dot');
  const args = csrArgs(A64);
  const out = empty('float64', [1], b.device);
  const dotv = (u: Vec, v: Vec): number => {
    dotK(storage(u), storage(v), storage(out));
    return out.item();
  };
  const r = b.clone();
  const Ap = empty('float64', [n], b.device);
  spmvK(...args, storage(x), storage(Ap));
  axpby(-1, storage(Ap), 1, storage(r)); // r = b − A x
  let rr = dotv(r, r);
  let z = precond ? precond(r) : r;
  const p = z.clone();
  let rz = precond ? dotv(r, z) : rr;
  const residuals = [Math.sqrt(rr) / bnorm];
  let it = 0;
  try {
    while (residuals[it]! > tol && it < maxIter) {
      spmvK(...args, storage(p), storage(Ap));
      const pAp = dotv(p, Ap);
      if (!(pAp > 0)) break; // A (or M) not positive definite on this Krylov space
      const alpha = rz / pAp;
      axpby(alpha, storage(p), 1, storage(x));
      axpby(-alpha, storage(Ap), 1, storage(r));
      rr = dotv(r, r);
      it++;
      residuals.push(Math.sqrt(rr) / bnorm);
      if (residuals[it]! <= tol) break;
      if (precond) {
        if (z !== r) z.dispose();
        z = precond(r);
      }
      const rzNew = precond ? dotv(r, z) : rr;
      axpby(1, storage(z), rzNew / rz, storage(p)); // p = z + β p
      rz = rzNew;
    }
  } finally {
    if (z !== r) z.dispose();
    for (const t of [r, Ap, p, out]) t.dispose();
  }
  return { x, iterations: it, residuals, converged: residuals[it]! <= tol };
}

/** The columns xs (float64 [n] each) as one tensor of `shape` in `dtype`; xs are disposed. */
export function joinColumns(xs: readonly Vec[], shape: readonly number[], dtype: DType): Tensor {
  const out = noGrad(() => {
    const n = shape[0]!;
    const X = xs.length === 1 ? xs[0]! : denseTranspose(concat(xs.map((x) => reshape(x, [1, n])), 0));
    return reshape(dtype === 'float64' ? X : cast(X, dtype), shape);
  });
  // A view of xs[0] (k = 1, float64) keeps its storage: storage is reference-counted.
  for (const x of xs) x.dispose();
  return out;
}

/** A constant (no gradient) float64 copy of A (A's detached self when already float64). */
export function constantF64(A: CsrMatrix): CsrMatrix {
  return noGrad(() => astype(A.detach(), 'float64'));
}

/** y = A v for a float64 A. */
export function spmvOf(A64: CsrMatrix): (v: Vec) => Vec {
  return (v) => noGrad(() => spmv(A64, v));
}

/** A user function v ↦ f(v) on vectors of dtype, as a float64 map. */
export function functionOf(f: (v: Tensor) => Tensor, dtype: DType): (v: Vec) => Vec {
  return (v) =>
    noGrad(() => {
      const y = f(dtype === 'float64' ? v : cast(v, dtype));
      return y.dtype === 'float64' ? y : cast(y, 'float64');
    });
}

export interface VectorPrecond {
  apply(r: Vec): Vec;
  applyTranspose(r: Vec): Vec;
}

/** 'jacobi': z = r ⊘ d with d = diag A (a float64 A, on its device). */
export function jacobi(op: string, A64: CsrMatrix): VectorPrecond {
  const d = noGrad(() => diagonal(A64));
  const zero = d.toArray().indexOf(0);
  if (zero >= 0) fail(op, `preconditioner 'jacobi' needs a nonzero diagonal, but A[${zero}, ${zero}] is 0 or not stored`);
  const apply = (r: Vec): Vec => noGrad(() => div(r, d));
  return { apply, applyTranspose: apply };
}

/**
 * 'ilu0'/'ic0' (spd) for a float64 A: the factors L (unit lower) and U on A's
 * pattern, made on the host (native/core/ilu0.h), applied on A's device:
 * z = U⁻¹ L⁻¹ r, or z = L⁻ᵀ U⁻ᵀ r for the adjoint.
 */
export function ilu0(op: string, A64: CsrMatrix, spd: boolean): VectorPrecond {
  const name = spd ? 'ic0' : 'ilu0';
  const { indptr, indices } = A64.pattern.raw;
  const f = A64.values.toArray() as Float64Array; // a host copy, overwritten by the factors
  const [kind, row, pivot] = kernel<Ilu0Fn>('ilu0')(A64.rows, indptr, indices, f, spd);
  if (kind === 1) fail(op, `preconditioner '${name}' needs A's diagonal stored, but A[${row}, ${row}] is not`);
  if (kind === 2) fail(op, `preconditioner '${name}' broke down: pivot ${pivot} at row ${row}${spd ? ' (IC(0) needs positive pivots: is A symmetric positive definite?)' : ''}`);
  return noGrad(() => {
    const F = A64.withValues(toDevice(new Tensor(f, [f.length]), A64.device));
    const L = tril(F);
    const U = triu(F);
    let Lt: CsrMatrix | null = null;
    let Ut: CsrMatrix | null = null;
    // Two triangular solves, the intermediate freed at once (cg calls this every iteration).
    const twoSolves = (first: CsrMatrix, firstUnit: boolean, second: CsrMatrix, secondUnit: boolean, r: Vec): Vec =>
      noGrad(() => {
        const y = sptrsv(first, r, { lower: true, unitDiagonal: firstUnit });
        const z = sptrsv(second, y, { lower: false, unitDiagonal: secondUnit });
        y.dispose();
        return z;
      });
    return {
      apply: (r: Vec) => twoSolves(L, true, U, false, r),
      applyTranspose: (r: Vec) => {
        // kept: made inside a solve's scope, reused by the next one
        Ut ??= keep(noGrad(() => transpose(U)));
        Lt ??= keep(noGrad(() => transpose(L)));
        return twoSolves(Ut, false, Lt, true, r);
      },
    };
  });
}

/** A CsrMatrix preconditioner: z = M r by SpMV (Mᵀ r for the adjoint). */
export function matrixPrecond(M: CsrMatrix): VectorPrecond {
  const M64 = constantF64(M);
  let Mt: CsrMatrix | null = null;
  return {
    apply: spmvOf(M64),
    applyTranspose: (r) => noGrad(() => spmv((Mt ??= keep(transpose(M64))), r)),
  };
}

/** A zero float64 vector on `device`. */
export function zeros(device: Device, n: number): Vec {
  return fullOn(device, 'float64', [n], 0);
}
