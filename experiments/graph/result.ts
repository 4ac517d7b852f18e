// What the graph runner returns (besides the events of experiments/runner/types.ts):
// per-epoch series, a summary, the figures as views, and probes of what flowed on
// every edge in the last epoch of run 0.
import type { Graph } from './schema.js';

/** Per-epoch mean and standard deviation across runs. */
export interface Band {
  mean: number[];
  std: number[];
}

export interface RunRecord {
  run: number;
  seed: number;
  seconds: number;
  final: Record<string, number | number[]>;
}

export interface ProbeValues {
  min: number;
  max: number;
  norm: number;
  values?: number[];
}

export type Probe =
  | ({ kind: 'dense'; shape: number[]; values: number[]; grad?: ProbeValues } & ProbeValues)
  | ({ kind: 'sparse'; shape: number[]; nnz: number; spy: { width: number; height: number; counts: number[] }; grad?: ProbeValues } & ProbeValues);

export type ParamView =
  | { kind: 'bars' | 'lines'; title: string; xLabel: string; yLabel: string; logY: boolean; series: { name: string; values: number[] }[] }
  | { kind: 'heatmap'; title: string; width: number; height: number; values: number[]; min?: number; max?: number };

/** Run 0's per-epoch values, bands across runs, and the vectors output nodes measured after the last step. */
export interface GraphSeries {
  /** Run 0: loss name ('train' = the objective, monitor losses by node id) → value per epoch. */
  losses: Record<string, number[]>;
  /** Run 0: metric (output node id) → value per epoch. */
  metrics: Record<string, number[]>;
  /** Run 0: parameter → value per epoch (a vector parameter: its values; a matrix: its norm under `<id>Norm`). */
  parameters: Record<string, (number | number[])[]>;
  /** Mean and sample standard deviation across runs, per epoch, of every loss and metric. */
  bands: Record<string, Band>;
  /** Vector outputs (e.g. residual histories), run 0, after the last step. */
  figures: Record<string, number[]>;
}

export interface GraphSummary {
  /** Run 0: the objective at the initial parameters and after the last step. */
  initialLoss: number;
  finalLoss: number;
  [key: string]: number | number[];
}

export interface GraphResult {
  version: 2;
  name: string;
  /** The graph's name (what `method` was in v1 results). */
  method: string;
  spec: Graph;
  seconds: number;
  threads: number;
  runs: RunRecord[];
  series: GraphSeries;
  summary: GraphSummary;
  views: ParamView[];
  probes: Record<string, Probe>;
}
