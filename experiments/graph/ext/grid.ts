// Data on an nx × ny grid of cells (row-major, nx the fast index, as the
// diffusion operator of kinds/fields.ts): coefficient fields to recover, the
// right-hand sides of the experiments that probe them, and the difference
// operator a smoothness penalty is built from.
import { CsrMatrix, type DType, type Tensor, zeros } from '../../../native/lib/index.js';

/** Cell (ix, iy)'s centre in the unit square. */
const centre = (i: number, n: number): number => (i + 0.5) / n;

export const FIELD_SHAPES = ['inclusion', 'layers', 'constant'] as const;
export type FieldShape = (typeof FIELD_SHAPES)[number];

/**
 * A coefficient field at the cell centres (x, y) ∈ (0, 1)²:
 *   inclusion: 1 + 2 exp(−|p − (0.35, 0.6)|² / 0.02) + x + 0.5 x sin(2πy)
 *              (a conductive blob on a sloped, rippled background; κ ∈ [1, 3.3])
 *   layers:    1 + 0.75 (1 + tanh((y − 0.5 − 0.15 sin 2πx) / 0.05))
 *              (two layers, κ ≈ 1 and 2.5, across a wavy interface)
 *   constant:  1
 */
export function gridField(shape: FieldShape, nx: number, ny: number, dtype: DType = 'float64'): Tensor {
  const out = zeros([nx * ny], { dtype });
  const d = out.data;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const x = centre(ix, nx);
      const y = centre(iy, ny);
      let k = 1;
      if (shape === 'inclusion') k = 1 + 2 * Math.exp(-((x - 0.35) ** 2 + (y - 0.6) ** 2) / 0.02) + x + 0.5 * x * Math.sin(2 * Math.PI * y);
      else if (shape === 'layers') k = 1 + 0.75 * (1 + Math.tanh((y - 0.5 - 0.15 * Math.sin(2 * Math.PI * x)) / 0.05));
      d[iy * nx + ix] = k;
    }
  }
  return out;
}

/**
 * count right-hand sides (the columns of a cells × count block), each a Gaussian
 * source  amplitude · exp(−|p − c_k|² / (2 width²))  centred at
 *   c_k = 0.2 + 0.6 (frac(0.5 + k a₁), frac(0.5 + k a₂)),
 * (a₁, a₂) = (0.7549, 0.5698), the R2 low-discrepancy sequence: well spread over
 * the inner square for any count, and the same every time.
 */
export function gaussianSources(nx: number, ny: number, count: number, width: number, amplitude: number, dtype: DType = 'float64'): Tensor {
  const F = zeros([nx * ny, count], { dtype });
  const d = F.data;
  const frac = (v: number): number => v - Math.floor(v);
  for (let k = 0; k < count; k++) {
    const cx = 0.2 + 0.6 * frac(0.5 + k * 0.7548776662466927);
    const cy = 0.2 + 0.6 * frac(0.5 + k * 0.5698402909980532);
    for (let iy = 0; iy < ny; iy++) {
      for (let ix = 0; ix < nx; ix++) {
        const r2 = (centre(ix, nx) - cx) ** 2 + (centre(iy, ny) - cy) ** 2;
        d[(iy * nx + ix) * count + k] = amplitude * Math.exp(-r2 / (2 * width * width));
      }
    }
  }
  return F;
}

/**
 * The differences of a cell field across every interior face (faces × cells,
 * one row per face: −1 at the cell, +1 at its right or upper neighbour), so
 * ‖G θ‖² = Σ_faces (θ_d − θ_c)² is the discrete smoothness penalty ∫|∇θ|² (up to h).
 */
export function gridGradient(nx: number, ny: number, dtype: DType = 'float64'): CsrMatrix {
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  let face = 0;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const c = iy * nx + ix;
      for (const d of [ix + 1 < nx ? c + 1 : -1, iy + 1 < ny ? c + nx : -1]) {
        if (d < 0) continue;
        rows.push(face, face);
        cols.push(c, d);
        vals.push(-1, 1);
        face++;
      }
    }
  }
  return CsrMatrix.fromCoo(rows, cols, vals, [face, nx * ny], { dtype });
}

/** Faces of the grid: the rows of gridGradient. */
export const gridFaces = (nx: number, ny: number): number => (nx - 1) * ny + nx * (ny - 1);
