// Statistics of the study beyond one measurement's (measure.ts summarizes the
// samples): the log-log slope of a scaling sweep and speedup ratios.
import type { LogLogFit } from './types.js';

export { summarize, measure, formatSeconds } from '../bench/measure.js';

/**
 * Least-squares line through (log x, log y): y ≈ e^intercept · x^slope. Points
 * with a non-positive or non-finite coordinate are skipped; fewer than two
 * distinct x give null.
 */
export function fitLogLog(points: readonly { x: number; y: number }[]): LogLogFit | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of points) {
    if (p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y)) {
      xs.push(Math.log(p.x));
      ys.push(Math.log(p.y));
    }
  }
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  // r² = 1 − SSres/SStot; a perfect fit of constant y (syy = 0) counts as 1.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

/** How many times faster `ours` is than `other` (other / ours); null when either is missing. */
export function speedup(other: number | null | undefined, ours: number | null | undefined): number | null {
  if (other == null || ours == null || !(other > 0) || !(ours > 0)) return null;
  return other / ours;
}

export function formatSpeedup(s: number | null): string {
  if (s === null) return '—';
  if (s >= 100) return `${s.toFixed(0)}×`;
  if (s >= 10) return `${s.toFixed(1)}×`;
  return `${s.toFixed(2)}×`;
}

export function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(0)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(0)} KiB`;
  return `${b} B`;
}
