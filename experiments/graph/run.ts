// The one runner: compiles a graph (a v1 spec is converted first), runs it
// epoch by epoch (cancellable between steps through an AbortSignal), emits the
// progress events of experiments/runner/types.ts, and returns a result holding
// every series a figure needs, the views, and probes of the last epoch of run 0.
import { CsrMatrix, getThreads, noGrad, scope, spyBins, Tensor, TensorArena } from '../../native/lib/index.js';
import type { Band, EpochRecord, ExperimentEvent, RunRecord } from '../runner/types.js';
import type { Value } from './catalogue.js';
import { ChartFields, HeatmapFields } from './kinds/outputs.js';
import { compileGraph, type CompileOptions, makeOptimizer, type Pass, type Plan, RunState, runSeed } from './compile.js';
import type { GraphResult, GraphSeries, GraphSummary, ParamView, Probe, ProbeValues } from './result.js';
import { toGraph } from './v1.js';

export interface RunOptions extends CompileOptions {
  /** Checked before every step; aborting rejects the run with the signal's reason. */
  signal?: AbortSignal;
  /** Receives every progress event, in order. */
  onEvent?: (event: ExperimentEvent) => void;
  /** Yield to the event loop at least this often (ms) so that aborts and I/O get through. Default 20. */
  yieldEveryMs?: number;
}

const now = (): number => performance.now();

/** Parameters up to this many entries are reported by value in epoch events; larger matrices by their norm. */
const SMALL = 4096;
const PROBE_VALUES = 2048;
const SPY = 64;

function cpuArray(t: Tensor): ArrayLike<number> {
  return t.device === 'cpu' ? t.data : t.toArray();
}

function frobenius(t: Tensor): number {
  const d = cpuArray(t);
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  return Math.sqrt(s);
}

function stats(d: ArrayLike<number>, withValues: boolean): ProbeValues {
  let min = Infinity;
  let max = -Infinity;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    s += v * v;
  }
  const out: ProbeValues = { min: d.length ? min : Number.NaN, max: d.length ? max : Number.NaN, norm: Math.sqrt(s) };
  if (withValues) {
    // Evenly spaced samples when there are more than PROBE_VALUES.
    const k = Math.max(1, Math.ceil(d.length / PROBE_VALUES));
    const vals: number[] = [];
    for (let i = 0; i < d.length; i += k) vals.push(d[i]!);
    out.values = vals;
  }
  return out;
}

function probeOf(v: Value, grad: Tensor | null): Probe {
  const g = grad ? stats(cpuArray(grad), true) : undefined;
  if (v instanceof Int32Array) return { kind: 'dense', shape: [v.length], ...stats(v, true), values: stats(v, true).values! };
  if (v instanceof Tensor) {
    const s = stats(cpuArray(v), true);
    return { kind: 'dense', shape: v.shape.slice(), ...s, values: s.values!, ...(g ? { grad: g } : {}) };
  }
  const A = v.device === 'cpu' ? v : noGrad(() => v.detach().to('cpu'));
  const bins = spyBins(A, SPY, SPY);
  return { kind: 'sparse', shape: [A.rows, A.cols], nnz: A.nnz, ...stats(A.values.data, false), spy: { width: bins.width, height: bins.height, counts: Array.from(bins.counts) }, ...(g ? { grad: g } : {}) };
}

interface Roles {
  objective: string[];
  monitors: string[];
  /** Output nodes by the pass they report from. */
  outputs: Record<'train' | 'eval' | 'final', string[]>;
  charts: string[];
  heatmaps: string[];
  params: string[];
}

function rolesOf(plan: Plan): Roles {
  const r: Roles = { objective: [], monitors: [], outputs: { train: [], eval: [], final: [] }, charts: [], heatmaps: [], params: [] };
  for (const n of plan.graph.nodes) {
    const c = plan.nodes.get(n.id)!;
    const f = n.fields as never;
    if (c.def.category === 'losses') (c.def.lossRole?.(f) === 'monitor' ? r.monitors : r.objective).push(n.id);
    else if (c.def.output) r.outputs[c.def.output(f).pass].push(n.id);
    else if (n.kind === 'chart') r.charts.push(n.id);
    else if (n.kind === 'heatmap') r.heatmaps.push(n.id);
    if (c.def.category === 'parameters') r.params.push(n.id);
  }
  return r;
}

const CHART_PORTS = ['s1', 's2', 's3', 's4'] as const;

/** Per-run bookkeeping the result is assembled from. */
interface RunOutcome {
  records: EpochRecord[];
  final: Record<string, number | number[]>;
  /** Run 0 only: chart series per epoch, vectors after the last step, probes. */
  epochCharts: Map<string, number[][]>;
  finalVectors: Record<string, number[]>;
  probes: Record<string, Probe>;
}

const scalarOf = (v: Value | undefined): number => (v instanceof Tensor ? v.item() : Number.NaN);
const vectorOf = (v: Value | undefined): number[] => (v instanceof Tensor ? Array.from(cpuArray(v)) : v instanceof Int32Array ? Array.from(v) : []);

export async function runGraph(input: unknown, opts: RunOptions = {}): Promise<GraphResult> {
  const { signal, onEvent } = opts;
  signal?.throwIfAborted();
  const t0 = now();
  const plan = await compileGraph(toGraph(input), opts);
  const { graph } = plan;
  const { epochs, runs: runCount, seed } = graph.training;
  const roles = rolesOf(plan);
  const emit = (e: ExperimentEvent): void => onEvent?.(e);
  const totalSteps = runCount * epochs;
  emit({ type: 'start', name: graph.name, method: graph.name, runs: runCount, epochs, totalSteps, seed });

  const yieldEvery = opts.yieldEveryMs ?? 20;
  let lastYield = now();
  const pause = async (): Promise<void> => {
    if (now() - lastYield >= yieldEvery) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = now();
    }
    signal?.throwIfAborted();
  };

  const outcomes: RunOutcome[] = [];
  const runs: RunRecord[] = [];
  let step = 0;
  for (let run = 0; run < runCount; run++) {
    await pause();
    const s = runSeed(seed, run);
    const tr = now();
    emit({ type: 'run-start', run, seed: s });
    // On a device, memory is freed explicitly: each epoch's intermediates when
    // the epoch ends (a scope), the run's parameters and state when it ends (an arena).
    const arena = plan.device === 'cpu' ? null : new TensorArena();
    const inRun = <T>(fn: () => T): T => (arena ? arena.run(() => scope(fn)) : fn());
    const outcome: RunOutcome = { records: [], final: {}, epochCharts: new Map(), finalVectors: {}, probes: {} };
    const state = new RunState(plan, s);
    let optimizer: ReturnType<typeof makeOptimizer> | undefined;
    try {
      (arena ? (fn: () => void) => arena.run(fn) : (fn: () => void) => fn())(() => {
        state.start();
        optimizer = makeOptimizer(graph.training.optimizer, Object.fromEntries(state.params));
      });
      for (let epoch = 0; epoch < epochs; epoch++) {
        await pause();
        state.epoch = epoch;
        const rec = inRun(() => trainEpoch(state, roles, optimizer!, outcome, run === 0 && epoch === epochs - 1));
        outcome.records.push(rec);
        step++;
        emit({ type: 'epoch', run, epoch, step, totalSteps, elapsed: (now() - t0) / 1000, ...rec });
      }
      inRun(() => finish(state, roles, outcome, run === 0));
    } finally {
      optimizer?.dispose();
      arena?.dispose();
    }
    const seconds = (now() - tr) / 1000;
    outcomes.push(outcome);
    runs.push({ run, seed: s, seconds, final: outcome.final });
    emit({ type: 'run-end', run, seconds, final: outcome.final });
  }

  const { series, summary, views } = assemble(plan, roles, outcomes, runs);
  const seconds = (now() - t0) / 1000;
  emit({ type: 'end', seconds, summary: summary as never });
  return { version: 2, name: graph.name, method: graph.name, spec: graph, seconds, threads: getThreads(), runs, series, summary, views, probes: outcomes[0]?.probes ?? {} };
}

/** Records what flowed on every edge whose source the pass computed (values before the step, gradients after backward). */
function recordProbes(pass: Pass, outcome: RunOutcome, withGrad: boolean): void {
  const { plan } = pass.run;
  for (const e of plan.graph.edges) {
    if (outcome.probes[e.id]) continue;
    const c = plan.nodes.get(e.from.node)!;
    const computed = c.level < 2 || c.resampled || pass.memo.has(e.from.node);
    if (!computed) continue;
    const v = pass.node(e.from.node)[e.from.port];
    if (v === undefined) continue;
    const param = pass.run.params.get(e.from.node);
    const grad = withGrad && param ? (param instanceof CsrMatrix ? param.values.grad : param.grad) : null;
    outcome.probes[e.id] = probeOf(v, grad ?? null);
  }
}

function trainEpoch(state: RunState, roles: Roles, optimizer: ReturnType<typeof makeOptimizer>, outcome: RunOutcome, probe: boolean): EpochRecord {
  if (state.epoch > 0) state.resample();
  optimizer.zeroGrad();
  const pass = state.pass('train');
  const { total, parts } = pass.objective(roles.objective);
  const value = total.item();
  if (!Number.isFinite(value)) {
    throw new Error(`${state.plan.graph.name}: the loss became ${value} in epoch ${state.epoch} (a step size or learning rate may be too large; lower training.optimizer.lr)`);
  }
  const losses: Record<string, number> = { train: value };
  if (roles.objective.length > 1) for (const [id, l] of Object.entries(parts)) losses[id] = l.item();
  const metrics: Record<string, number> = {};
  noGrad(() => {
    for (const id of roles.monitors) losses[id] = (pass.node(id).loss as Tensor).item();
    for (const id of roles.outputs.train) {
      const v = pass.node(id).value;
      if (v instanceof Tensor && v.ndim === 0) metrics[id] = v.item();
    }
    for (const id of roles.charts) {
      const f = ChartFields.parse(state.plan.nodes.get(id)!.node.fields);
      if (f.x !== 'epoch') continue;
      const row = CHART_PORTS.map((p) => scalarOf(pass.input(id, p)));
      if (!outcome.epochCharts.has(id)) outcome.epochCharts.set(id, []);
      outcome.epochCharts.get(id)!.push(row);
    }
  });
  const parameters: Record<string, number | number[]> = {};
  for (const [id, p] of state.params) {
    if (p instanceof CsrMatrix) {
      if (p.nnz <= SMALL) parameters[id] = Array.from(cpuArray(p.values));
      else parameters[`${id}Norm`] = frobenius(p.values);
    } else if (p.ndim === 0) parameters[id] = p.item();
    else if (p.ndim === 1 && p.size <= SMALL) parameters[id] = Array.from(cpuArray(p));
    else parameters[`${id}Norm`] = frobenius(p);
  }
  const learnable = total.requiresGrad;
  if (learnable) total.backward();
  if (probe) recordProbes(pass, outcome, learnable);
  if (learnable) optimizer.step();
  if (roles.outputs.eval.length) {
    const ev = state.pass('eval');
    noGrad(() => {
      for (const id of roles.outputs.eval) {
        const v = ev.node(id).value;
        if (v instanceof Tensor && v.ndim === 0) metrics[id] = v.item();
      }
    });
    if (probe) recordProbes(ev, outcome, false);
  }
  return { losses, metrics, parameters };
}

/** The final pass after the last step: final loss, every output, parameters, charts; probes of run 0 for edges not yet seen. */
function finish(state: RunState, roles: Roles, outcome: RunOutcome, first: boolean): void {
  noGrad(() => {
    const pass = state.pass('final');
    const final = outcome.final;
    final.loss = pass.objective(roles.objective).total.item();
    for (const id of roles.monitors) final[id] = (pass.node(id).loss as Tensor).item();
    for (const id of [...roles.outputs.train, ...roles.outputs.eval, ...roles.outputs.final]) {
      const v = pass.node(id).value;
      if (v instanceof Tensor && v.ndim === 0) final[id] = v.item();
      else if (first) outcome.finalVectors[id] = vectorOf(v);
    }
    // Scalars, vectors and sparse matrices' values (small ones); dense matrices are left to the probes.
    for (const [id, p] of state.params) {
      const t = p instanceof CsrMatrix ? p.values : p;
      if (t.ndim === 0) final[id] = t.item();
      else if (t.ndim === 1 && t.size <= SMALL) final[id] = Array.from(cpuArray(t));
    }
    for (const id of roles.charts) {
      const f = ChartFields.parse(state.plan.nodes.get(id)!.node.fields);
      for (const p of CHART_PORTS) {
        const v = pass.input(id, p);
        if (v === undefined) continue;
        if (f.x === 'run') final[`${id}.${p}`] = scalarOf(v);
        else if (f.x === 'index' && first) outcome.finalVectors[`${id}.${p}`] = vectorOf(v);
      }
    }
    if (first) {
      for (const id of roles.heatmaps) outcome.finalVectors[`${id}.values`] = vectorOf(pass.input(id, 'values'));
      recordProbes(pass, outcome, false);
    }
  });
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
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

function band(outcomes: RunOutcome[], pick: (r: EpochRecord) => number | undefined): Band {
  const epochs = outcomes[0]?.records.length ?? 0;
  const mean: number[] = [];
  const std: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const m = meanStd(outcomes.map((o) => pick(o.records[e]!) ?? Number.NaN));
    mean.push(m.mean);
    std.push(m.std);
  }
  return { mean, std };
}

function assemble(plan: Plan, roles: Roles, outcomes: RunOutcome[], runs: RunRecord[]): { series: GraphSeries; summary: GraphSummary; views: ParamView[] } {
  const first = outcomes[0]!;
  const recs = first.records;
  const series: GraphSeries = { losses: {}, metrics: {}, parameters: {}, bands: {}, figures: { ...first.finalVectors } };
  for (const k of Object.keys(recs[0]?.losses ?? {})) series.losses[k] = recs.map((r) => r.losses[k] ?? Number.NaN);
  for (const k of Object.keys(recs[0]?.metrics ?? {})) series.metrics[k] = recs.map((r) => r.metrics[k] ?? Number.NaN);
  for (const k of Object.keys(recs[0]?.parameters ?? {})) series.parameters[k] = recs.map((r) => r.parameters[k]!);
  if (outcomes.length > 1) {
    for (const k of Object.keys(series.losses)) series.bands[k] = band(outcomes, (r) => r.losses[k]);
    for (const k of Object.keys(series.metrics)) series.bands[k] = band(outcomes, (r) => r.metrics[k]);
  }
  const f0 = runs[0]!.final;
  const summary: GraphSummary = {
    initialLoss: series.losses.train?.[0] ?? Number.NaN,
    finalLoss: f0.loss as number,
    runs: runs.length,
    epochs: recs.length,
  };
  for (const id of roles.monitors) summary[`${id}Loss`] = f0[id] as number;
  for (const id of roles.params) if (f0[id] !== undefined) summary[id] = f0[id]!;
  for (const id of [...roles.outputs.train, ...roles.outputs.eval, ...roles.outputs.final]) {
    if (typeof f0[id] !== 'number') continue;
    summary[id] = f0[id] as number;
    if (runs.length > 1) {
      const m = meanStd(runs.map((r) => r.final[id] as number));
      summary[`${id}Mean`] = m.mean;
      summary[`${id}Std`] = m.std;
    }
  }

  const views: ParamView[] = [];
  for (const n of plan.graph.nodes) {
    if (n.kind === 'chart') {
      const f = ChartFields.parse(n.fields);
      const c = plan.nodes.get(n.id)!;
      const chartSeries: { name: string; values: number[] }[] = [];
      CHART_PORTS.forEach((p, k) => {
        const w = c.inputs.get(p);
        if (!w) return;
        const name = f.names[k] ?? w.node;
        const values =
          f.x === 'epoch'
            ? (first.epochCharts.get(n.id) ?? []).map((row) => row[k]!)
            : f.x === 'run'
              ? runs.map((r) => r.final[`${n.id}.${p}`] as number)
              : (first.finalVectors[`${n.id}.${p}`] ?? []);
        chartSeries.push({ name, values });
      });
      views.push({ kind: f.chart, title: f.title, xLabel: f.xLabel || f.x, yLabel: f.yLabel, logY: f.logY, series: chartSeries });
    } else if (n.kind === 'heatmap') {
      const f = HeatmapFields.parse(n.fields);
      const values = first.finalVectors[`${n.id}.values`] ?? [];
      views.push({ kind: 'heatmap', title: f.title, width: f.width, height: f.height, values });
    }
  }
  return { series, summary, views };
}
