// What a run emits (progress events) and returns (a result holding every
// series a figure needs, plus a summary). The CLI, the tests and the app all
// consume these.
import type { MethodKind, ProblemSpec } from '../spec/types.js';

export interface StartEvent {
  type: 'start';
  name: string;
  /** The graph's name (v1: the method). */
  method: string;
  runs: number;
  epochs: number;
  /** runs × epochs: the number of 'epoch' events that will follow. */
  totalSteps: number;
  seed: number;
}

export interface RunStartEvent {
  type: 'run-start';
  run: number;
  /** The seed this run draws its random numbers from (derived from the spec's seed). */
  seed: number;
}

export interface EpochEvent {
  type: 'epoch';
  run: number;
  epoch: number;
  /** 1-based count of epochs done over all runs (for progress bars). */
  step: number;
  totalSteps: number;
  /** Seconds since the experiment started. */
  elapsed: number;
  /** Loss values of this epoch, e.g. { train } or { train, test }. */
  losses: Record<string, number>;
  /** Other measurements, e.g. { relativeResidual } or { trainAccuracy, valAccuracy, testAccuracy }. */
  metrics: Record<string, number>;
  /** Small learnable parameters as they were in this epoch's forward pass (large ones by their norm). */
  parameters: Record<string, number | number[]>;
}

/** What one epoch measured (the payload of an epoch event). */
export interface EpochRecord {
  losses: Record<string, number>;
  metrics: Record<string, number>;
  parameters: Record<string, number | number[]>;
}

export interface RunEndEvent {
  type: 'run-end';
  run: number;
  seconds: number;
  /** The run's final measurements (after its last step). */
  final: Record<string, number | number[]>;
}

export interface EndEvent {
  type: 'end';
  seconds: number;
  summary: Summary;
}

export type ExperimentEvent = StartEvent | RunStartEvent | EpochEvent | RunEndEvent | EndEvent;

// ---------------------------------------------------------------------------
// Results. Per-epoch values at index e were measured at the parameters of epoch
// e's forward pass (before its optimizer step), so index 0 is the initial state;
// the summary's final values are measured after the last step.

export interface JacobiSummary {
  initialLoss: number;
  finalLoss: number;
  /** The learned per-node weights Ω. */
  weights: number[];
}

export interface HeavyballSummary {
  /** Training loss at the initial and at the learned (α, β). */
  initialLoss: number;
  finalLoss: number;
  alpha: number;
  beta: number;
}

export interface PcgSummary {
  initialLoss: number;
  finalLoss: number;
  /** Relative residual ‖r_i‖/‖b‖ of plain CG after each of the N_it iterations. */
  cgResidual: number[];
  /** The same for PCG with the learned M = L Lᵀ. */
  pcgResidual: number[];
}

export interface GcnSummary {
  /** Final-epoch test accuracy, mean and (sample) standard deviation over the runs. */
  testAccuracyMean: number;
  testAccuracyStd: number;
  runs: number;
  epochs: number;
  /** Wall-clock seconds per run (training and per-epoch evaluation). */
  secondsPerRun: number;
}

export type Summary = JacobiSummary | HeavyballSummary | PcgSummary | GcnSummary;

/** Per-epoch mean and standard deviation across runs. */
export interface Band {
  mean: number[];
  std: number[];
}

export interface JacobiSeries {
  loss: number[];
  /** weights[e][i]: Ω_i in epoch e. */
  weights: number[][];
}

export interface HeavyballSeries {
  trainLoss: number[];
  testLoss: number[];
  alpha: number[];
  beta: number[];
}

export interface PcgSeries {
  loss: number[];
  /** Relative residual after N_it iterations, per epoch. */
  relativeResidual: number[];
  /** Relative residual after i = 0, 1, … iterations (i = 0 is 1), plain CG and learned PCG (Fig. 8). */
  cgHistory: number[];
  pcgHistory: number[];
}

export interface GcnSeries {
  loss: Band;
  trainAccuracy: Band;
  valAccuracy: Band;
  testAccuracy: Band;
}

export interface RunRecord {
  run: number;
  seed: number;
  seconds: number;
  final: Record<string, number | number[]>;
}

interface ResultBase {
  version: 1;
  name: string;
  spec: ProblemSpec;
  /** Total wall-clock seconds. */
  seconds: number;
  /** CPU kernel threads used. */
  threads: number;
  runs: RunRecord[];
}

/** For the single-run methods, `series` and `summary` describe the first run; `runs` lists every run's final values. */
export interface JacobiResult extends ResultBase {
  method: 'jacobi';
  series: JacobiSeries;
  summary: JacobiSummary;
}

export interface HeavyballResult extends ResultBase {
  method: 'heavyball';
  series: HeavyballSeries;
  summary: HeavyballSummary;
}

export interface PcgResult extends ResultBase {
  method: 'pcg';
  series: PcgSeries;
  summary: PcgSummary;
}

export interface GcnResult extends ResultBase {
  method: 'gcn';
  series: GcnSeries;
  summary: GcnSummary;
}

export type ExperimentResult = JacobiResult | HeavyballResult | PcgResult | GcnResult;
