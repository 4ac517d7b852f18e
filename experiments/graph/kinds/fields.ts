// Operators assembled from a coefficient field. The 5-point diffusion operator
// −∇·(κ∇) on an nx×ny grid of cells (Dirichlet boundary, nx the fast index):
//   (A u)_k = Σ_faces w_f (u_k − u_m),   w_f = (κ_k + κ_m)/2 between cells k, m,
//   and w_f = κ_k on a boundary face (u = 0 beyond it),
// each face scaled by 1/h² along its direction. Every value of A is linear in κ,
// so values = S κ with a constant sparse S (nnz(A) × cells), and
// A(κ) = pattern.withValues(S κ) is differentiable in κ through SpMV's VJP.
// With κ ≡ 1 and no scaling it is the 2-D Poisson matrix of poisson2d.
import { CsrMatrix, type DType, noGrad, spmv, type Tensor } from '../../../native/lib/index.js';

export interface DiffusionAssembly {
  /** The operator's pattern (values unused). */
  pattern: CsrMatrix;
  /** values = S κ. */
  S: CsrMatrix;
}

export function diffusionPattern(nx: number, ny: number, scale: 'none' | 'h2', dtype: DType): DiffusionAssembly {
  const n = nx * ny;
  const sx = scale === 'h2' ? (nx + 1) ** 2 : 1;
  const sy = scale === 'h2' ? (ny + 1) ** 2 : 1;
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const sr: number[] = [];
  const sc: number[] = [];
  const sv: number[] = [];
  let q = 0;
  for (let k = 0; k < n; k++) {
    const i = k % nx;
    const j = Math.floor(k / nx);
    // Neighbours in column order: below (k − nx), left (k − 1), right (k + 1), above (k + nx).
    const nb: [number, number][] = [];
    if (j > 0) nb.push([k - nx, sy]);
    if (i > 0) nb.push([k - 1, sx]);
    if (i < nx - 1) nb.push([k + 1, sx]);
    if (j < ny - 1) nb.push([k + nx, sy]);
    const boundary = (i === 0 ? sx : 0) + (i === nx - 1 ? sx : 0) + (j === 0 ? sy : 0) + (j === ny - 1 ? sy : 0);
    const entries: { col: number; coef: [number, number][] }[] = [];
    let diagSelf = boundary;
    const diagOthers: [number, number][] = [];
    for (const [m, s] of nb) {
      entries.push({ col: m, coef: [[k, -s / 2], [m, -s / 2]] });
      diagSelf += s / 2;
      diagOthers.push([m, s / 2]);
    }
    entries.push({ col: k, coef: [[k, diagSelf], ...diagOthers] });
    entries.sort((a, b) => a.col - b.col);
    for (const e of entries) {
      indices.push(e.col);
      for (const [m, c] of e.coef) {
        sr.push(q);
        sc.push(m);
        sv.push(c);
      }
      q++;
    }
    indptr[k + 1] = q;
  }
  const pattern = CsrMatrix.fromCsr(indptr, Int32Array.from(indices), new Float64Array(q), [n, n], { dtype });
  const S = CsrMatrix.fromCoo(sr, sc, sv, [q, n], { dtype });
  return { pattern, S };
}

/** A(κ) on κ's device. */
export function assembleDiffusion2d(a: DiffusionAssembly, kappa: Tensor): CsrMatrix {
  const onDevice = kappa.device !== 'cpu';
  const S = onDevice ? noGrad(() => a.S.to(kappa.device)) : a.S;
  const P = onDevice ? noGrad(() => a.pattern.to(kappa.device)) : a.pattern;
  return P.withValues(spmv(S, kappa));
}
