// Training: run the builder's problem or cancel it, watch live loss and metric
// charts (log scale, smoothing, mean ± 2σ over runs), parameter views, a
// progress bar with ETA and the run's state in words. Saved runs can be
// reopened.
//
// While a run streams its curves are drawn on canvases (CanvasCurves, a few ms
// per redraw), each at most every UPDATE_MS and at its own phase, so that
// redraws land in separate short tasks; a finished run's are drawn by recharts.
import { useEffect, useMemo, useState } from 'react';
import type { RunMeta, SeriesInfo } from '../../../electron/common/lab-api.js';
import { CanvasCurves } from '../components/CanvasCurves.js';
import { CurveChart, IndexLines, VectorBars } from '../components/Charts.js';
import { Heatmap } from '../components/Heatmap.js';
import { Progress } from '../components/Progress.js';
import { fmtNum, fmtSeconds } from '../lib/format.js';
import { chartData } from '../lib/series.js';
import { useLab } from '../store/index.js';

const MAX_POINTS = 2000;
const UPDATE_MS = 300;
/** Vector snapshots are recharts bars: redrawn less often. */
const VECTOR_UPDATE_MS = 1000;

/**
 * `value`, changing at most every `ms`, at times ≡ `phase` (mod ms), so charts
 * with different phases redraw in different tasks. The last change always lands.
 */
function useThrottled<T>(value: T, ms: number, phase: number): T | undefined {
  // Undefined until the first slot: charts mounting together still draw in separate tasks.
  const [shown, setShown] = useState<T | undefined>(ms > 0 ? undefined : value);
  useEffect(() => {
    if (ms <= 0) {
      setShown(value);
      return;
    }
    // The next slot: a change waits for it, later changes before it replace this one.
    const wait = ms - ((((performance.now() - phase) % ms) + ms) % ms);
    const t = setTimeout(() => setShown(value), wait);
    return () => clearTimeout(t);
  }, [value, ms, phase]);
  return shown;
}

export function stateText(meta: RunMeta | undefined): string {
  if (!meta) return 'No run yet';
  switch (meta.state) {
    case 'running':
      return 'Running';
    case 'finished':
      return 'Finished';
    case 'cancelled':
      return 'Cancelled';
    case 'failed':
      return `Failed: ${meta.error ?? 'unknown error'}`;
  }
}

const NO_SERIES: SeriesInfo[] = [];

/** One live chart of a run's series of one group. */
function LiveCurve({ runId, group, title, phase, logScale }: { runId: string; group: SeriesInfo['group']; title: string; phase: number; logScale: boolean }) {
  const version = useLab((s) => s.runDataVersion);
  const data = useLab((s) => s.runData[runId]);
  const series = useLab((s) => s.runs[runId]?.series ?? NO_SERIES);
  const running = useLab((s) => s.runs[runId]?.state === 'running');
  const smoothing = useLab((s) => s.smoothing);
  const shown = useThrottled(version, running ? UPDATE_MS : 0, phase);
  const { specs, chart } = useMemo(() => {
    if (shown === undefined) return { specs: NO_SERIES, chart: chartData([], { smoothing, logScale, maxPoints: MAX_POINTS }) };
    const specs = series.filter((s) => s.group === group && data?.values[s.key]);
    const chart = chartData(
      specs.map((s) => ({ key: s.key, perRun: data!.values[s.key]! })),
      { smoothing, logScale, maxPoints: MAX_POINTS },
    );
    return { specs, chart };
    // data mutates in place: `shown` says when it changed
  }, [data, series, group, smoothing, logScale, shown]);
  if (!specs.length) return null;
  return running ? <CanvasCurves title={title} series={specs} data={chart} logScale={logScale} /> : <CurveChart title={title} series={specs} data={chart} logScale={logScale} />;
}

/** Snapshots of vector parameters while a run goes (e.g. Jacobi weights by node). */
function LiveVectors({ runId, phase }: { runId: string; phase: number }) {
  const version = useLab((s) => s.runDataVersion);
  const data = useLab((s) => s.runData[runId]);
  const running = useLab((s) => s.runs[runId]?.state === 'running');
  const shown = useThrottled(version, running ? VECTOR_UPDATE_MS : 0, phase);
  // The finished run's own figures replace the live snapshots.
  const params = useMemo(() => (data && !(data.views.length && !running) ? Object.values(data.params).map((p) => ({ ...p })) : []), [data, running, shown]);
  return (
    <>
      {params.map((p) => (
        <VectorBars key={p.name} title={`${p.name} by index (run ${p.run + 1}, epoch ${p.epoch + 1})`} xLabel="index" yLabel={p.name} series={[{ name: p.name, values: p.values }]} />
      ))}
    </>
  );
}

/**
 * The run's progress bar: subscribes to its own job, so progress does not
 * re-render the charts. The job is found by the run's id, not by the run's
 * jobId: a run that ends drops its jobId, and the job's last word (the final
 * epoch) must still be the one shown — progress on the way is throttled, so the
 * last report seen before the end was often some epochs short of it.
 */
function RunProgress({ meta }: { meta: RunMeta }) {
  const job = useLab((s) => {
    if (meta.jobId && s.jobs[meta.jobId]) return s.jobs[meta.jobId];
    for (const j of Object.values(s.jobs)) if (j.runId === meta.id && j.kind === 'run-problem') return j;
    return undefined;
  });
  if (meta.state === 'finished') {
    // Whatever was seen last, a finished run ran all its epochs.
    const total = `${meta.runs > 1 ? `run ${meta.runs} of ${meta.runs}, ` : ''}epoch ${meta.epochs} of ${meta.epochs}`;
    const done = { ...(job ?? { id: meta.id, kind: 'run-problem' as const, label: meta.name, createdAt: meta.createdAt }), state: 'finished' as const, progress: 1, etaSeconds: null, message: `${total} · finished` };
    return <Progress job={done} label="Training progress" />;
  }
  return <Progress job={job && meta.state !== 'running' ? { ...job, etaSeconds: null } : job} label="Training progress" />;
}

function Summary({ summary }: { summary: Record<string, unknown> }) {
  const entries = Object.entries(summary).filter(([, v]) => typeof v === 'number' || (Array.isArray(v) && v.length <= 24));
  if (!entries.length) return null;
  return (
    <dl className="stats summary" aria-label="Run summary">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{Array.isArray(v) ? (v as number[]).map((x) => fmtNum(x, 3)).join(', ') : fmtNum(v as number, 5)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function TrainingView() {
  const runs = useLab((s) => s.runs);
  const activeId = useLab((s) => s.activeRunId);
  const views = useLab((s) => (s.activeRunId ? s.runData[s.activeRunId]?.views : undefined));
  const logScale = useLab((s) => s.logScale);
  const smoothing = useLab((s) => s.smoothing);
  const graphName = useLab((s) => s.meta.name);
  const empty = useLab((s) => s.nodes.length === 0);
  const startRun = useLab((s) => s.startRun);
  const cancelRun = useLab((s) => s.cancelRun);
  const selectRun = useLab((s) => s.selectRun);
  const setLogScale = useLab((s) => s.setLogScale);
  const setSmoothing = useLab((s) => s.setSmoothing);
  const setTab = useLab((s) => s.setTab);
  const meta = activeId ? runs[activeId] : undefined;
  const running = meta?.state === 'running';
  const savedRuns = Object.values(runs).sort((a, b) => b.createdAt - a.createdAt);
  // Accuracies read better on a linear axis.
  const metricLog = logScale && !(meta?.series ?? []).some((s) => s.group === 'metric' && /accuracy/i.test(s.key));

  return (
    <div className="training">
      <section className="card toolbar" aria-label="Run controls">
        <button type="button" className="primary" onClick={() => void startRun()} disabled={empty || running}>
          Run
        </button>
        <button type="button" onClick={() => void cancelRun()} disabled={!running}>
          Cancel
        </button>
        <span className="muted">
          problem: {graphName}{' '}
          <button type="button" className="link" onClick={() => setTab('problem')}>
            edit
          </button>
        </span>
        <span className={`run-state state-${meta?.state ?? 'none'}`} role="status" aria-label="Run state">
          {stateText(meta)}
        </span>
        <label htmlFor="run-select">
          Run
          <select id="run-select" value={activeId ?? ''} onChange={(e) => void selectRun(e.target.value || null)}>
            <option value="">—</option>
            {savedRuns.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} · {new Date(r.createdAt).toLocaleString()} · {r.state}
              </option>
            ))}
          </select>
        </label>
      </section>
      {meta ? <RunProgress meta={meta} /> : null}
      <section className="card chart-controls" aria-label="Chart options">
        <label>
          <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} /> Log scale
        </label>
        <label htmlFor="smoothing">
          Smoothing
          <input id="smoothing" type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} />
          <output htmlFor="smoothing">{smoothing.toFixed(2)}</output>
        </label>
        {meta ? (
          <span className="muted">
            {meta.method} · {meta.runs} run{meta.runs === 1 ? '' : 's'} × {meta.epochs} epochs{meta.runs > 1 ? ' · bands are mean ± 2σ across runs' : ''}
            {meta.finishedAt ? ` · took ${fmtSeconds((meta.finishedAt - meta.createdAt) / 1000)}` : ''}
          </span>
        ) : null}
      </section>
      {meta && activeId ? (
        <div className="chart-grid">
          <LiveCurve runId={activeId} group="loss" title="Loss" phase={0} logScale={logScale} />
          <LiveCurve runId={activeId} group="metric" title="Metrics" phase={UPDATE_MS / 4} logScale={metricLog} />
          <LiveCurve runId={activeId} group="parameter" title="Scalar parameters" phase={UPDATE_MS / 2} logScale={false} />
          <LiveVectors runId={activeId} phase={(3 * UPDATE_MS) / 4} />
          {(views ?? []).map((v) =>
            v.kind === 'heatmap' ? (
              <Heatmap key={v.title} title={v.title} width={v.width} height={v.height} values={v.values} {...(v.min !== undefined ? { min: v.min } : {})} {...(v.max !== undefined ? { max: v.max } : {})} />
            ) : v.kind === 'bars' ? (
              <VectorBars key={v.title} title={v.title} xLabel={v.xLabel} yLabel={v.yLabel} series={v.series} logY={v.logY} />
            ) : (
              <IndexLines key={v.title} title={v.title} xLabel={v.xLabel} yLabel={v.yLabel} series={v.series} logY={v.logY} />
            ),
          )}
        </div>
      ) : (
        <p className="muted">Press Run to train the problem from the builder (the Jacobi template unless you changed it), or pick a saved run.</p>
      )}
      {meta?.summary ? (
        <section className="card" aria-label="Summary">
          <h2>Summary</h2>
          <Summary summary={meta.summary} />
        </section>
      ) : null}
    </div>
  );
}
