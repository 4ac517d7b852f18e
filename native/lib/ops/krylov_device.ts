// The Krylov solvers' vector algebra and preconditioners on the device ('cuda'),
// for ops/krylov.ts: the same algorithms run over device vectors with host
// scalars. Every dot product comes back to the host (one synchronisation each):
// the step lengths and the residual check that ends the loop need them there,
// and they are all an iteration synchronises on. The implicit mode computes in
// float64 on the device as it does on the CPU (a float32 A or b is cast once).
//
// Preconditioners: 'jacobi' multiplies by 1/diag A on the device; 'ic0'/'ilu0'
// are factored on the host (ILU(0) is a sequential sweep over A's rows, done
// once per solve) and applied on the device by two triangular solves
// (sptrsv); a CsrMatrix M by SpMV (Mᵀ for the adjoint); a function as given.
import { kernel } from '../addon.js';
import { noGrad } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import { keep } from '../device.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';
import { dot } from './reduce.js';
import { cast, concat, denseTranspose, gatherRows, reshape } from './shape.js';
import { spmv } from './spmv.js';
import { sptrsv } from './sptrsv.js';
import { astype, transpose, tril, triu } from './structure.js';
import { type CsrArgs, csrArgs, empty, fullOn, storage, toDevice, type Storage } from './transfer.js';

type Vec = Tensor;
type AxpbyFn = (alpha: number, x: Storage, beta: number, y: Storage) => void;
type DotFn = (a: Storage, b: Storage, out: Storage) => void;
type SpmvFn = (...args: [...CsrArgs, x: Storage, y: Storage]) => void;

/** The vector algebra of ops/krylov.ts over float64 device vectors, with host scalars. */
export function deviceAlgebra(matvec: (v: Vec) => Vec, precond: (r: Vec) => Vec) {
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

/** Column c of a device [n, k] (or [n]) tensor as a float64 [n] vector of its own (never a view of B). */
export function columnOf(B: Tensor, n: number, k: number, c: number): Vec {
  return noGrad(() => {
    if (k === 1) return B.dtype === 'float64' ? reshape(B, [n]).clone() : cast(reshape(B, [n]), 'float64');
    const b = reshape(gatherRows(denseTranspose(reshape(B, [n, k])), [c]), [n]);
    return b.dtype === 'float64' ? b : cast(b, 'float64');
  });
}

/**
 * cg in place on the device, the iteration of ops/krylov.ts's cgRun/cgInPlace
 * with five vectors reused throughout (x, r, p, Ap and z), so device memory
 * stays flat in the iteration count. Two dot products per iteration come to
 * the host (p·Ap for the step, r·r for the residual check; r·z a third with a
 * preconditioner). Overwrites and returns x.
 */
export function deviceCgInPlace(A64: CsrMatrix, precond: ((r: Vec) => Vec) | null, b: Vec, x: Vec, bnorm: number, tol: number, maxIter: number):
  { x: Vec; iterations: number; residuals: number[]; converged: boolean } {
  const n = b.size;
  const axpby = kernel<AxpbyFn>('axpby');
  const spmvK = kernel<SpmvFn>('spmv');
  const dotK = kernel<DotFn>('dot');
  const args = csrArgs(A64);
  const out = empty('float64', [1], 'cuda');
  const dotv = (u: Vec, v: Vec): number => {
    dotK(storage(u), storage(v), storage(out));
    return out.item();
  };
  const r = b.clone();
  const Ap = empty('float64', [n], 'cuda');
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
      if (!(pAp > 0)) break;
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

/** A constant (no gradient) float64 copy of a device A. */
export function constantF64(A: CsrMatrix): CsrMatrix {
  return noGrad(() => astype(A.detach(), 'float64'));
}

/** y = A v for a float64 device A. */
export function deviceSpmv(A64: CsrMatrix): (v: Vec) => Vec {
  return (v) => noGrad(() => spmv(A64, v));
}

/** A user function v ↦ f(v) on device vectors of dtype, as a float64 map. */
export function deviceFunction(f: (v: Tensor) => Tensor, dtype: DType): (v: Vec) => Vec {
  return (v) =>
    noGrad(() => {
      const y = f(dtype === 'float64' ? v : cast(v, dtype));
      return y.dtype === 'float64' ? y : cast(y, 'float64');
    });
}

export interface DevicePrecond {
  apply(r: Vec): Vec;
  applyTranspose(r: Vec): Vec;
}

/** 'jacobi' on the device: z = r ⊙ (1/d) with d = diag A (checked on the host). */
export function deviceJacobi(diag: Float64Array): DevicePrecond {
  const inv = toDevice(new Tensor(diag.map((d) => 1 / d), [diag.length]), 'cuda');
  const apply = (r: Vec): Vec => noGrad(() => mul(r, inv));
  return { apply, applyTranspose: apply };
}

/**
 * ILU(0)/IC(0) factors F (L unit lower and U upper on A's pattern, as ops/krylov.ts
 * makes them on the host) applied on the device: z = U⁻¹ L⁻¹ r, or
 * z = L⁻ᵀ U⁻ᵀ r for the adjoint.
 */
export function deviceIlu0(A: CsrMatrix, f: Float64Array): DevicePrecond {
  return noGrad(() => {
    const F = A.detach().withValues(toDevice(new Tensor(f, [f.length]), 'cuda'));
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

/** A CsrMatrix preconditioner on the device: z = M r by SpMV (Mᵀ r for the adjoint). */
export function deviceMatrixPrecond(M: CsrMatrix): DevicePrecond {
  const M64 = constantF64(M);
  let Mt: CsrMatrix | null = null;
  return {
    apply: deviceSpmv(M64),
    applyTranspose: (r) => noGrad(() => spmv((Mt ??= keep(transpose(M64))), r)),
  };
}

/** A zero float64 vector on the device. */
export function deviceZeros(n: number): Vec {
  return fullOn('cuda', 'float64', [n], 0);
}
