// One run of a sweep, as the executors hand it to a worker, and the row it gives
// back. The same function runs it in the local pool and in a queue worker: it is
// runGraph on the run's graph, with progress reported at most every `throttleMs`.
import { runGraph, type Graph } from '../graph/index.js';
import type { AxisValue } from './schema.js';

export interface SweepJob {
  sweepId: string;
  index: number;
  config: number;
  axes: Record<string, AxisValue>;
  seed: number;
  graph: Graph;
  /** Where relative data paths resolve on the machine that runs it (absent: that machine's default). */
  dataDir?: string;
  specDir?: string;
}

export interface RunProgress {
  index: number;
  /** Epochs done and to do. */
  step: number;
  totalSteps: number;
  /** The training loss of the last epoch reported. */
  loss?: number;
  worker: string;
}

/** What a finished run records (one row of sweep-result.json). */
export interface RunRow {
  index: number;
  config: number;
  axes: Record<string, AxisValue>;
  seed: number;
  /** The run's scalar summary metrics (initialLoss, finalLoss, …); absent when it failed. */
  summary: Record<string, number>;
  /** Per-epoch losses and metrics (at most CURVE_POINTS each), for the grouped bands. */
  curves: Record<string, number[]>;
  /** Who ran it: `<host>:<pid>` of a queue worker, or `local` for the embedded pool. */
  worker: string;
  seconds: number;
  /** How many times it was started (a killed worker's job is started again elsewhere). */
  attempts: number;
  error?: string;
}

export const CURVE_POINTS = 256;

/** Every k-th point so that at most `max` remain, always keeping the last. */
export function downsample(xs: readonly number[], max = CURVE_POINTS): number[] {
  if (xs.length <= max) return xs.slice();
  const k = Math.ceil(xs.length / max);
  const out: number[] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs[i]!);
  if ((xs.length - 1) % k !== 0) out.push(xs[xs.length - 1]!);
  return out;
}

export interface RunJobOptions {
  signal?: AbortSignal;
  worker: string;
  onProgress?: (p: RunProgress) => void;
  /** Least time between two progress reports, and before the first. Default 250 ms. */
  throttleMs?: number;
}

export async function runSweepJob(job: SweepJob, opts: RunJobOptions): Promise<RunRow> {
  const t0 = performance.now();
  const throttle = opts.throttleMs ?? 250;
  // The first report comes `throttle` after the start: a run shorter than that says nothing
  // until its row arrives (on a queue, each report is a Redis round trip).
  let last = t0;
  const result = await runGraph(job.graph, {
    ...(job.dataDir ? { dataDir: job.dataDir } : {}),
    ...(job.specDir ? { specDir: job.specDir } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onEvent: (e) => {
      if (e.type !== 'epoch' || !opts.onProgress) return;
      const now = performance.now();
      if (now - last < throttle) return;
      last = now;
      opts.onProgress({ index: job.index, step: e.step, totalSteps: e.totalSteps, loss: e.losses.train, worker: opts.worker });
    },
  });
  const summary: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.summary)) if (typeof v === 'number') summary[k] = v;
  const curves: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(result.series.losses)) curves[`loss.${k}`] = downsample(v);
  for (const [k, v] of Object.entries(result.series.metrics)) curves[k] = downsample(v);
  return {
    index: job.index,
    config: job.config,
    axes: job.axes,
    seed: job.seed,
    summary,
    curves,
    worker: opts.worker,
    seconds: (performance.now() - t0) / 1000,
    attempts: 1,
  };
}
