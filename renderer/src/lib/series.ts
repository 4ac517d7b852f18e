// Turning per-epoch run data into what a chart draws: smoothing, mean ± 2σ
// bands across runs, log-scale clamping, and downsampling to at most ~2k points
// per series (recharts draws SVG; more points only cost time). Pure functions,
// no DOM, tested in test/electron/series.test.ts.

/** values[run][epoch] (NaN or missing where a run has not reached that epoch). */
export type PerRun = number[][];

/**
 * Exponential moving average with TensorBoard's debiasing: s = 0 leaves the
 * series as it is, s → 1 smooths more. NaNs are kept and do not reset it.
 */
export function smooth(ys: readonly number[], s: number): number[] {
  if (!(s > 0)) return ys.slice();
  const out = new Array<number>(ys.length);
  let acc = 0;
  let weight = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i]!;
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    acc = acc * s + (1 - s) * y;
    weight = weight * s + (1 - s);
    out[i] = acc / weight;
  }
  return out;
}

export interface Band {
  mean: number[];
  /** mean - 2σ and mean + 2σ (σ the sample standard deviation; 0 with one run). */
  low: number[];
  high: number[];
  /** Runs that reached each epoch. */
  count: number[];
}

/** Per-epoch mean and mean ± 2σ across runs, over the epochs any run reached. */
export function band(perRun: PerRun): Band {
  const epochs = perRun.reduce((m, r) => Math.max(m, r.length), 0);
  const mean = new Array<number>(epochs);
  const low = new Array<number>(epochs);
  const high = new Array<number>(epochs);
  const count = new Array<number>(epochs);
  for (let e = 0; e < epochs; e++) {
    let n = 0;
    let sum = 0;
    for (const r of perRun) {
      const v = r[e];
      if (v !== undefined && Number.isFinite(v)) {
        n++;
        sum += v;
      }
    }
    const m = n ? sum / n : Number.NaN;
    let ss = 0;
    for (const r of perRun) {
      const v = r[e];
      if (v !== undefined && Number.isFinite(v)) ss += (v - m) * (v - m);
    }
    const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    mean[e] = m;
    low[e] = m - 2 * sd;
    high[e] = m + 2 * sd;
    count[e] = n;
  }
  return { mean, low, high, count };
}

/**
 * Indices to keep so that a series of n points is drawn with at most `max`:
 * largest-triangle-three-buckets over `ys` (keeps peaks and the overall shape;
 * the first and last points always stay). NaNs count as 0 for the choice only.
 */
export function downsampleIndices(ys: readonly number[], max: number): number[] {
  const n = ys.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  if (max < 3) return [0, n - 1].slice(0, Math.max(1, max));
  const y = (i: number): number => (Number.isFinite(ys[i]!) ? ys[i]! : 0);
  const out: number[] = [0];
  const every = (n - 2) / (max - 2);
  let a = 0;
  for (let b = 0; b < max - 2; b++) {
    const start = Math.floor(b * every) + 1;
    const end = Math.min(Math.floor((b + 1) * every) + 1, n - 1);
    // The average of the next bucket is the third corner of the triangle.
    const nStart = end;
    const nEnd = Math.min(Math.floor((b + 2) * every) + 1, n);
    let ax = 0;
    let ay = 0;
    for (let i = nStart; i < nEnd; i++) {
      ax += i;
      ay += y(i);
    }
    const cnt = Math.max(1, nEnd - nStart);
    ax /= cnt;
    ay /= cnt;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((a - ax) * (y(i) - y(a)) - (a - i) * (ay - y(a)));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}

/** A value a log axis can draw (null for ≤ 0 or non-finite, so the line breaks there). */
export function forLog(v: number): number | null {
  return Number.isFinite(v) && v > 0 ? v : null;
}

export interface ChartSeriesInput {
  key: string;
  perRun: PerRun;
}

export interface ChartOptions {
  smoothing: number;
  logScale: boolean;
  maxPoints: number;
}

/** One row per drawn epoch: `${key}` the mean, `${key}:band` [low, high] where there are several runs. */
export type ChartRow = { epoch: number } & Record<string, number | null | [number, number] | undefined>;

export interface ChartData {
  rows: ChartRow[];
  /** Keys that have a band (more than one run). */
  banded: string[];
  /** Points the full data had (the longest series). */
  fullPoints: number;
}

/**
 * Builds chart rows for several series sharing an epoch axis: each series is
 * smoothed per run, reduced to its mean (and ±2σ band with several runs), then
 * all are cut to the same ≤ maxPoints epochs (chosen on the first series).
 */
export function chartData(series: readonly ChartSeriesInput[], opts: ChartOptions): ChartData {
  const bands = series.map((s) => {
    const runs = s.perRun.map((r) => smooth(r, opts.smoothing));
    return { key: s.key, band: band(runs), runs: runs.filter((r) => r.length > 0).length };
  });
  const epochs = bands.reduce((m, b) => Math.max(m, b.band.mean.length), 0);
  const lead = bands[0]?.band.mean ?? [];
  const pick = downsampleIndices(lead.length === epochs ? lead : new Array<number>(epochs).fill(0), opts.maxPoints);
  const banded = bands.filter((b) => b.runs > 1).map((b) => b.key);
  const rows: ChartRow[] = pick.map((e) => {
    const row: ChartRow = { epoch: e };
    for (const b of bands) {
      const m = b.band.mean[e];
      if (m === undefined) continue;
      row[b.key] = opts.logScale ? forLog(m) : Number.isFinite(m) ? m : null;
      if (b.runs > 1 && Number.isFinite(b.band.low[e]!) && Number.isFinite(b.band.high[e]!)) {
        let lo = b.band.low[e]!;
        const hi = b.band.high[e]!;
        // On a log axis a band reaching below zero is cut at a tenth of the mean.
        if (opts.logScale) lo = lo > 0 ? lo : m > 0 ? m / 10 : Number.NaN;
        if (Number.isFinite(lo) && (!opts.logScale || hi > 0)) row[`${b.key}:band`] = [lo, hi];
      }
    }
    return row;
  });
  return { rows, banded, fullPoints: epochs };
}
