// The headless runner: compiles a spec, runs it epoch by epoch (cancellable
// between steps through an AbortSignal), emits progress events, and returns the
// result with every series a figure needs.
import { getThreads, scope, TensorArena } from '../../native/lib/index.js';
import type { CompileOptions } from '../compile/common.js';
import { runSeed } from '../compile/common.js';
import { compileSpec } from '../compile/compile.js';
import type { EpochRecord, FinalValues, RunTrainer } from '../compile/method.js';
import type { ExperimentEvent, ExperimentResult, RunRecord, Summary } from './types.js';

export interface RunOptions extends CompileOptions {
  /** Checked before every step; aborting rejects the run with the signal's reason. */
  signal?: AbortSignal;
  /** Receives every progress event, in order. */
  onEvent?: (event: ExperimentEvent) => void;
  /** Yield to the event loop at least this often (ms) so that aborts and I/O get through. Default 20. */
  yieldEveryMs?: number;
}

const now = (): number => performance.now();

export async function runExperiment(input: unknown, opts: RunOptions = {}): Promise<ExperimentResult> {
  const { signal, onEvent } = opts;
  signal?.throwIfAborted();
  const t0 = now();
  const { spec, plan } = await compileSpec(input, opts);
  const emit = (e: ExperimentEvent): void => onEvent?.(e);
  const totalSteps = spec.runs * spec.epochs;
  emit({ type: 'start', name: spec.name, method: spec.method.kind, runs: spec.runs, epochs: spec.epochs, totalSteps, seed: spec.seed });

  const yieldEvery = opts.yieldEveryMs ?? 20;
  let lastYield = now();
  const pause = async (): Promise<void> => {
    if (now() - lastYield >= yieldEvery) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = now();
    }
    signal?.throwIfAborted();
  };

  const epochs: EpochRecord[][] = [];
  const runs: RunRecord[] = [];
  let step = 0;
  for (let run = 0; run < spec.runs; run++) {
    await pause();
    const seed = runSeed(spec, run);
    const tr = now();
    emit({ type: 'run-start', run, seed });
    // On a device, memory is freed explicitly: each epoch's intermediates when
    // the epoch ends (a scope), the run's parameters and state when it ends (an arena).
    const arena = spec.device === 'cpu' ? null : new TensorArena();
    const inRun = <T>(fn: () => T): T => (arena ? arena.run(() => scope(fn)) : fn());
    const records: EpochRecord[] = [];
    let final: FinalValues;
    let trainer: RunTrainer | undefined;
    try {
      trainer = arena ? arena.run(() => plan.createRun(run, seed)) : plan.createRun(run, seed);
      const t = trainer;
      for (let epoch = 0; epoch < spec.epochs; epoch++) {
        await pause();
        const rec = inRun(() => t.epoch(epoch));
        records.push(rec);
        step++;
        emit({ type: 'epoch', run, epoch, step, totalSteps, elapsed: (now() - t0) / 1000, ...rec });
      }
      final = inRun(() => t.finish());
    } finally {
      trainer?.dispose?.();
      arena?.dispose();
    }
    const seconds = (now() - tr) / 1000;
    epochs.push(records);
    runs.push({ run, seed, seconds, final });
    emit({ type: 'run-end', run, seconds, final });
  }

  const { series, summary } = plan.assemble(epochs, runs);
  const seconds = (now() - t0) / 1000;
  emit({ type: 'end', seconds, summary: summary as Summary });
  return {
    version: 1,
    name: spec.name,
    method: spec.method.kind,
    spec,
    seconds,
    threads: getThreads(),
    runs,
    series,
    summary,
  } as ExperimentResult;
}
