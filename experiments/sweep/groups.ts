// A sweep's rows grouped by configuration (the runs that differ only by seed):
// mean ± sample standard deviation of each summary metric, per-epoch mean and
// standard deviation of each curve (the lab draws mean ± 2σ bands), the best
// configuration, and the CSV export. Pure functions: the CLI and the lab's host use them.
import type { RunRow } from './job.js';
import type { AxisValue } from './schema.js';

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface SweepGroup {
  config: number;
  axes: Record<string, AxisValue>;
  /** Rows recorded for this configuration (failed ones included). */
  runs: number;
  failed: number;
  metrics: Record<string, Stat>;
  curves: Record<string, { mean: number[]; std: number[] }>;
}

export function meanStd(xs: readonly number[]): Stat {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  // sample standard deviation (n − 1); 0 for one run
  const std = n > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function groupRows(rows: readonly RunRow[]): SweepGroup[] {
  const byConfig = new Map<number, RunRow[]>();
  for (const r of rows) {
    if (!byConfig.has(r.config)) byConfig.set(r.config, []);
    byConfig.get(r.config)!.push(r);
  }
  return [...byConfig.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([config, rs]) => {
      const ok = rs.filter((r) => !r.error);
      const metricKeys = [...new Set(ok.flatMap((r) => Object.keys(r.summary)))];
      const curveKeys = [...new Set(ok.flatMap((r) => Object.keys(r.curves)))];
      const metrics: Record<string, Stat> = {};
      for (const k of metricKeys) metrics[k] = meanStd(ok.map((r) => r.summary[k] ?? Number.NaN));
      const curves: Record<string, { mean: number[]; std: number[] }> = {};
      for (const k of curveKeys) {
        const len = Math.max(...ok.map((r) => r.curves[k]?.length ?? 0));
        const mean: number[] = [];
        const std: number[] = [];
        for (let e = 0; e < len; e++) {
          const s = meanStd(ok.map((r) => r.curves[k]?.[e] ?? Number.NaN));
          mean.push(s.mean);
          std.push(s.std);
        }
        curves[k] = { mean, std };
      }
      return { config, axes: rs[0]!.axes, runs: rs.length, failed: rs.length - ok.length, metrics, curves };
    });
}

/** The configuration with the lowest (or highest) mean of `metric`; undefined when no group has it. */
export function bestGroup(groups: readonly SweepGroup[], metric = 'finalLoss', lowerIsBetter = !/accuracy/i.test(metric)): SweepGroup | undefined {
  let best: SweepGroup | undefined;
  for (const g of groups) {
    const m = g.metrics[metric]?.mean;
    if (m === undefined || !Number.isFinite(m)) continue;
    const b = best?.metrics[metric]?.mean;
    if (b === undefined || (lowerIsBetter ? m < b : m > b)) best = g;
  }
  return best;
}

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One line per run: index, the axes, seed, worker, seconds, attempts, each summary metric, error. */
export function rowsToCsv(rows: readonly RunRow[], axes: readonly string[]): string {
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.summary)))];
  const head = ['index', ...axes, 'seed', 'worker', 'seconds', 'attempts', ...metrics, 'error'];
  const lines = [head.map(csvCell).join(',')];
  for (const r of [...rows].sort((a, b) => a.index - b.index)) {
    lines.push([r.index, ...axes.map((a) => r.axes[a]), r.seed, r.worker, r.seconds, r.attempts, ...metrics.map((m) => r.summary[m]), r.error].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
