// The shape every compiled method has: a factory of runs, each stepping one
// epoch at a time, and an assembler that turns the recorded epochs into the
// method's series and summary.
import type { RunRecord } from '../runner/types.js';

export interface EpochRecord {
  losses: Record<string, number>;
  metrics: Record<string, number>;
  parameters: Record<string, number | number[]>;
}

export type FinalValues = Record<string, number | number[]>;

export interface RunTrainer {
  /** One optimizer step; returns what was measured at the parameters before the step. */
  epoch(epoch: number): EpochRecord;
  /** Measurements after the last step. */
  finish(): FinalValues;
  /** Frees what the run holds outside tensors (the optimizer's device state). */
  dispose?(): void;
}

export interface CompiledMethod<Series, Summary> {
  createRun(run: number, seed: number): RunTrainer;
  assemble(epochs: EpochRecord[][], runs: RunRecord[]): { series: Series; summary: Summary };
}

/** A scalar series from one run's records. */
export function column(records: EpochRecord[], pick: (r: EpochRecord) => number | undefined): number[] {
  return records.map((r) => pick(r) ?? Number.NaN);
}

/** Per-epoch mean and sample standard deviation across runs. */
export function band(runs: EpochRecord[][], pick: (r: EpochRecord) => number | undefined): { mean: number[]; std: number[] } {
  const epochs = runs[0]?.length ?? 0;
  const mean: number[] = [];
  const std: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const xs = runs.map((r) => pick(r[e]!) ?? Number.NaN);
    const { mean: m, std: s } = meanStd(xs);
    mean.push(m);
    std.push(s);
  }
  return { mean, std };
}

/** Mean and sample (n − 1) standard deviation; std 0 for a single value. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  let m = 0;
  for (const x of xs) m += x;
  m /= n;
  if (n === 1) return { mean: m, std: 0 };
  let v = 0;
  for (const x of xs) v += (x - m) * (x - m);
  return { mean: m, std: Math.sqrt(v / (n - 1)) };
}

/** A plain copy of a tensor's values. */
export function values(t: { toArray(): ArrayLike<number> }): number[] {
  return Array.from(t.toArray());
}
