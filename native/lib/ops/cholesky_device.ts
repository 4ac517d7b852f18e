// The sparse Cholesky on the device ('cuda'), as spsolve does LU there: CHOLMOD
// factors on the CPU (A's values come to the host once per factorization), the
// factor moves to the device split as an LU (native/core/cholesky_hybrid.h), and
// every solve — the forward and the VJP's — runs there as two triangular solves.
// The solve's dA is formed on the device from two SDDMMs. The gradient of logdet
// (selected inversion, Takahashi's recurrences) runs on the CPU on the host
// factor and is copied to the device: it is a sequential sweep over L's
// supernodes from the last, with nothing for a GPU to gain at the sizes where the
// factorization itself stays on the CPU.
import type { FloatArray } from '../addon.js';
import { kernel } from '../addon.js';
import { record } from '../autograd.js';
import type { CsrMatrix } from '../csr.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { maskedOuterSum } from './sddmm.js';
import { addSame, empty, storage, toDevice, type Storage } from './transfer.js';

/** The factor on the device (bind_spsolve.cc's DeviceLU, Cholesky form). */
export interface DeviceFactor {
  readonly disposed: boolean;
  /** Device bytes held (counted in deviceMemory().liveBytes). */
  readonly bytes: number;
  /** x = S⁻¹ b, device arrays n × k row-major (S is symmetric: `transpose` changes nothing). */
  solve(transpose: boolean, b: Storage, x: Storage, k: number): void;
  dispose(): void;
}
type DeviceFactorClass = new (op: string, cholHandle: object, dtype: DType) => DeviceFactor;

/** Uploads the CHOLMOD factor behind `handle` (values in dtype). */
export function deviceFactor(op: string, handle: object, dtype: DType): DeviceFactor {
  return new (kernel<DeviceFactorClass>('DeviceLU'))(op, handle, dtype);
}

/** The host copy of A's values that CHOLMOD factors. */
export function hostValues(A: CsrMatrix): FloatArray {
  return A.device === 'cpu' ? A.values.data : A.values.toArray();
}

/**
 * x = S⁻¹ b on the device with the factor `factor()` returns (asked for again by
 * the VJP), recorded with inputs [A.values, b]; `full`: A stores both triangles.
 */
export function solveOnDevice(op: string, A: CsrMatrix, full: boolean, b: Tensor, factor: () => DeviceFactor): Tensor {
  const k = b.ndim === 1 ? 1 : b.shape[1]!;
  const x = empty(A.dtype, b.shape, 'cuda');
  try {
    factor().solve(false, storage(b), storage(x), k);
  } catch (e) {
    x.dispose();
    throw e;
  }
  return record(op, x, [A.values, b], (v, needs) => {
    // λ = S⁻¹ v;  db = λ;  dA from dS = −(λ xᵀ + x λᵀ)/2 on A's pattern
    const lambda = empty(A.dtype, b.shape, 'cuda');
    factor().solve(false, storage(v), storage(lambda), k);
    const dA = needs[0] ? symmetricOuter(A, full, lambda, x, k) : null;
    if (!needs[1]) lambda.dispose();
    return [dA, needs[1] ? lambda : null];
  });
}

// dA_p for the solve, as SparseCholesky::solve_grad on the CPU. Full storage:
// dA_ij = dS_ij = −(λ_i x_j + x_i λ_j)/2. One triangle: an off-diagonal entry
// stands for S_ij and S_ji, so −(λ_i x_j + x_i λ_j); a diagonal one −λ_i x_i
// (the second SDDMM skips the diagonal).
function symmetricOuter(A: CsrMatrix, full: boolean, lambda: Tensor, x: Tensor, k: number): Tensor {
  const alpha = full ? -0.5 : -1;
  const a = maskedOuterSum(A, lambda, x, k, alpha);
  const b = maskedOuterSum(A, x, lambda, k, alpha, !full);
  const g = addSame(a, b);
  a.dispose();
  b.dispose();
  return g;
}

/** log det S (computed on the host factor) as a 0-d device tensor. */
export function logdetOnDevice(A: CsrMatrix, value: number, grad: (scale: number, dA: FloatArray) => void): Tensor {
  const host = new Tensor(A.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), []);
  const out = toDevice(host.detach(), 'cuda');
  return record('logdet', out, [A.values], (v) => {
    // d logdet S / dS = S⁻¹ on A's pattern: selected inversion on the CPU, copied to the device
    const g = new Tensor(A.dtype === 'float64' ? new Float64Array(A.nnz) : new Float32Array(A.nnz), [A.nnz]);
    grad(v.item(), g.data);
    return [toDevice(g, 'cuda')];
  });
}
