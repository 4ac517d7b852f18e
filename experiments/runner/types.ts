// What a run emits (progress events) and returns (a result holding every
// series a figure needs, plus a summary). The CLI, the tests and the app all
// consume these.
import type { GraphSummary } from '../graph/result.js';

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
  summary: GraphSummary;
}

export type ExperimentEvent = StartEvent | RunStartEvent | EpochEvent | RunEndEvent | EndEvent;

// ---------------------------------------------------------------------------
// Results: one shape for every graph (experiments/graph/result.ts). Per-epoch
// values at index e were measured at the parameters of epoch e's forward pass
// (before its optimizer step), so index 0 is the initial state; the summary's
// final values are measured after the last step.

export type { Band, RunRecord } from '../graph/result.js';
export type { GraphResult as ExperimentResult, GraphSummary as Summary, GraphSeries } from '../graph/result.js';
