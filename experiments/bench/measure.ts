// Timing: warm-up, then repeated samples, each sample a batch of calls long
// enough to be measured reliably; per-call statistics over the samples.

export interface TimingStats {
  /** Per-call seconds of each sample. */
  samples: number[];
  /** Calls per sample. */
  callsPerSample: number;
  min_s: number;
  median_s: number;
  mean_s: number;
  stddev_s: number;
  max_s: number;
}

export interface MeasureOptions {
  /** Target wall time of one sample, seconds (default 0.01). */
  sampleTime?: number;
  /** Number of samples (default 15). */
  samples?: number;
  /** Warm-up time, seconds (default 0.05). */
  warmupTime?: number;
  /** Upper bound on the total time spent, seconds (default 3). */
  maxTime?: number;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

export function summarize(samples: number[], callsPerSample: number): TimingStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { samples, callsPerSample, min_s: sorted[0]!, median_s: median, mean_s: mean, stddev_s: Math.sqrt(variance), max_s: sorted[n - 1]! };
}

/** Times `fn` (one call = one operation). */
export function measure(fn: () => void, opts: MeasureOptions = {}): TimingStats {
  const sampleTime = opts.sampleTime ?? 0.01;
  const nSamples = opts.samples ?? 15;
  const warmupTime = opts.warmupTime ?? 0.05;
  const maxTime = opts.maxTime ?? 3;
  const start = now();
  // Warm-up (also estimates the cost of one call).
  let calls = 0;
  let t0 = now();
  do {
    fn();
    calls++;
  } while (now() - t0 < warmupTime && calls < 1e6);
  const perCall = (now() - t0) / calls;
  const budgetPerSample = Math.max(perCall, Math.min(sampleTime, (maxTime - (now() - start)) / nSamples));
  const callsPerSample = Math.max(1, Math.round(budgetPerSample / Math.max(perCall, 1e-9)));
  const samples: number[] = [];
  for (let s = 0; s < nSamples; s++) {
    t0 = now();
    for (let c = 0; c < callsPerSample; c++) fn();
    samples.push((now() - t0) / callsPerSample);
    if (now() - start > maxTime && samples.length >= 3) break;
  }
  return summarize(samples, callsPerSample);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1e-6) return `${(s * 1e9).toFixed(0)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`;
  return `${s.toFixed(2)} s`;
}
