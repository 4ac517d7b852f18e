// What the Sweeps view and the host exchange (types only: the renderer imports
// this file, so it holds no code). The host's sweep service is electron/services/sweep-service.ts.

export type SweepAxisValue = number | string | boolean;

/** A field of the current problem that a sweep can vary, as the inspector names it. */
export interface SweepField {
  /** `<nodeId>.<field>` or `training.<setting>`. */
  path: string;
  /** The node's label or kind, or "training". */
  group: string;
  kind: 'number' | 'integer' | 'string' | 'boolean' | 'enum';
  value: unknown;
  options?: string[];
  minimum?: number;
  maximum?: number;
  description?: string;
}

export interface SweepPreview {
  ok: boolean;
  runs: number;
  configs: number;
  axes: string[];
  /** Why the sweep is refused (names the field). */
  error?: string;
}

export interface SweepRunRow {
  index: number;
  config: number;
  axes: Record<string, SweepAxisValue>;
  seed: number;
  summary: Record<string, number>;
  curves: Record<string, number[]>;
  worker: string;
  seconds: number;
  attempts: number;
  error?: string;
}

export interface SweepStat {
  mean: number;
  std: number;
  n: number;
}

export interface SweepGroupInfo {
  config: number;
  axes: Record<string, SweepAxisValue>;
  runs: number;
  failed: number;
  metrics: Record<string, SweepStat>;
  curves: Record<string, { mean: number[]; std: number[] }>;
}

export type SweepStatus = 'running' | 'done' | 'cancelled' | 'failed';

export interface SweepMeta {
  sweepId: string;
  name: string;
  createdAt: string;
  status: SweepStatus;
  /** `local pool (…)` or the Redis URL with its password hidden. */
  executor: string;
  axes: string[];
  seeds: number[];
  total: number;
  recorded: number;
  failed: number;
  /** Plain-words state, e.g. "waiting for workers: …". */
  message?: string;
  /** Runs going on now: progress and who runs them. */
  active: { index: number; step: number; totalSteps: number; worker: string }[];
}

export interface SweepDetail {
  meta: SweepMeta;
  rows: SweepRunRow[];
  groups: SweepGroupInfo[];
  /** The group with the lowest mean final loss (highest accuracy for accuracy metrics). */
  best: number | null;
}
