// Training: run the builder's problem or cancel it, watch live loss and metric
// charts (log scale, smoothing, mean ± 2σ over runs), parameter views, a
// progress bar with ETA and the run's state in words. Saved runs can be
// reopened. Charts recompute at most four times a second while a run streams.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { RunMeta, SeriesInfo } from '../../../electron/common/lab-api.js';
import { CurveChart, IndexLines, VectorBars } from '../components/Charts.js';
import { Progress } from '../components/Progress.js';
import { fmtNum, fmtSeconds } from '../lib/format.js';
import { chartData, type ChartData } from '../lib/series.js';
import type { RunData } from '../store/runs.js';
import { useLab } from '../store/index.js';

const MAX_POINTS = 2000;

/** `value`, but changing at most every `ms` (the last change always lands). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - performance.now();
    const show = (): void => {
      last.current = performance.now();
      setShown(value);
    };
    if (wait <= 0) {
      show();
      return;
    }
    const t = setTimeout(show, wait);
    return () => clearTimeout(t);
  }, [value, ms]);
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

function groupData(data: RunData | undefined, series: SeriesInfo[], group: SeriesInfo['group'], smoothing: number, logScale: boolean): { specs: SeriesInfo[]; chart: ChartData } {
  const specs = series.filter((s) => s.group === group && data?.values[s.key]);
  const chart = chartData(
    specs.map((s) => ({ key: s.key, perRun: data!.values[s.key]! })),
    { smoothing, logScale, maxPoints: MAX_POINTS },
  );
  return { specs, chart };
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
  const version = useLab((s) => s.runDataVersion);
  const data = useLab((s) => (s.activeRunId ? s.runData[s.activeRunId] : undefined));
  const jobs = useLab((s) => s.jobs);
  const logScale = useLab((s) => s.logScale);
  const smoothing = useLab((s) => s.smoothing);
  const spec = useLab((s) => s.spec);
  const presetName = useLab((s) => s.presetName);
  const startRun = useLab((s) => s.startRun);
  const cancelRun = useLab((s) => s.cancelRun);
  const selectRun = useLab((s) => s.selectRun);
  const setLogScale = useLab((s) => s.setLogScale);
  const setSmoothing = useLab((s) => s.setSmoothing);
  const setTab = useLab((s) => s.setTab);
  const meta = activeId ? runs[activeId] : undefined;
  const job = meta?.jobId ? jobs[meta.jobId] : undefined;
  const running = meta?.state === 'running';
  const shownVersion = useThrottled(version, running ? 250 : 0);

  const series = meta?.series ?? [];
  const charts = useMemo(
    () => ({
      loss: groupData(data, series, 'loss', smoothing, logScale),
      metric: groupData(data, series, 'metric', smoothing, logScale && !series.some((s) => s.group === 'metric' && /accuracy/i.test(s.key))),
      parameter: groupData(data, series, 'parameter', smoothing, false),
    }),
    // data mutates in place: shownVersion says when it changed
    [data, series, smoothing, logScale, shownVersion],
  );
  const savedRuns = Object.values(runs).sort((a, b) => b.createdAt - a.createdAt);
  // Live snapshots of vector parameters while running; the finished run's own figures replace them.
  const liveVectors = data && !(data.views.length && !running) ? Object.values(data.params) : [];

  return (
    <div className="training">
      <section className="card toolbar" aria-label="Run controls">
        <button type="button" className="primary" onClick={() => void startRun()} disabled={!spec || running}>
          Run
        </button>
        <button type="button" onClick={() => void cancelRun()} disabled={!running}>
          Cancel
        </button>
        <span className="muted">
          problem: {String(spec?.name ?? presetName)}{' '}
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
      {meta ? <Progress job={job} label="Training progress" /> : null}
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
      {meta ? (
        <div className="chart-grid">
          <CurveChart title="Loss" series={charts.loss.specs} data={charts.loss.chart} logScale={logScale} />
          {charts.metric.specs.length ? <CurveChart title="Metrics" series={charts.metric.specs} data={charts.metric.chart} logScale={logScale && !charts.metric.specs.some((s) => /accuracy/i.test(s.key))} /> : null}
          {charts.parameter.specs.length ? <CurveChart title="Scalar parameters" series={charts.parameter.specs} data={charts.parameter.chart} logScale={false} /> : null}
          {liveVectors.map((p) => (
            <VectorBars key={p.name} title={`${p.name} by index (run ${p.run + 1}, epoch ${p.epoch + 1})`} xLabel="index" yLabel={p.name} series={[{ name: p.name, values: p.values }]} />
          ))}
          {(data?.views ?? []).map((v) =>
            v.kind === 'bars' ? <VectorBars key={v.title} title={v.title} xLabel={v.xLabel} yLabel={v.yLabel} series={v.series} logY={v.logY} /> : <IndexLines key={v.title} title={v.title} xLabel={v.xLabel} yLabel={v.yLabel} series={v.series} logY={v.logY} />,
          )}
        </div>
      ) : (
        <p className="muted">Press Run to train the problem from the builder (the Jacobi preset unless you changed it), or pick a saved run.</p>
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
