// Sweeps: axes over the builder's problem × seeds, the run count before starting,
// where the runs go (this machine's pool or a Redis queue), then the results
// grouped by axis values — a sortable table of mean ± std with the best
// configuration marked, curves with mean ± 2σ bands per group, a heatmap over
// two axes, the runs with the worker that ran each — and CSV/JSON export.
import { useEffect, useMemo, useState } from 'react';
import type { SweepDetail, SweepField, SweepGroupInfo, SweepMeta } from '../../../electron/common/lab-api.js';
import { CurveChart } from '../components/Charts.js';
import { fmtNum, fmtSeconds } from '../lib/format.js';
import { chartData } from '../lib/series.js';
import { useLab } from '../store/index.js';
import type { AxisDraft } from '../store/sweeps.js';

const axisText = (v: unknown): string => (typeof v === 'number' ? fmtNum(v, 4) : String(v));
const shortPath = (p: string): string => p.replace(/^training\./, '');

function AxisRow({ i, axis, fields }: { i: number; axis: AxisDraft; fields: SweepField[] }) {
  const setAxis = useLab((s) => s.setAxis);
  const removeAxis = useLab((s) => s.removeAxis);
  const groups = useMemo(() => {
    const m = new Map<string, SweepField[]>();
    for (const f of fields) {
      if (!m.has(f.group)) m.set(f.group, []);
      m.get(f.group)!.push(f);
    }
    return [...m.entries()];
  }, [fields]);
  const field = fields.find((f) => f.path === axis.path);
  const numeric = field?.kind === 'number' || field?.kind === 'integer';
  const id = `axis-${i}`;
  return (
    <fieldset className="sweep-axis" aria-label={`Axis ${i + 1}`}>
      <label htmlFor={`${id}-field`}>Field</label>
      <select id={`${id}-field`} value={axis.path} onChange={(e) => setAxis(i, { path: e.target.value, integer: fields.find((f) => f.path === e.target.value)?.kind === 'integer' })}>
        <option value="">(pick a field)</option>
        {groups.map(([g, fs]) => (
          <optgroup key={g} label={g}>
            {fs.map((f) => (
              <option key={f.path} value={f.path} title={f.description}>
                {f.path} (now {axisText(f.value)})
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {numeric ? (
        <span role="radiogroup" aria-label="Values as">
          <label>
            <input type="radio" name={`${id}-mode`} checked={axis.mode === 'list'} onChange={() => setAxis(i, { mode: 'list' })} /> values
          </label>
          <label>
            <input type="radio" name={`${id}-mode`} checked={axis.mode === 'range'} onChange={() => setAxis(i, { mode: 'range' })} /> range
          </label>
        </span>
      ) : null}
      {axis.mode === 'list' || !numeric ? (
        <>
          <label htmlFor={`${id}-list`}>Values</label>
          <input id={`${id}-list`} value={axis.list} placeholder={field?.options ? field.options.join(', ') : 'e.g. 0.001, 0.01, 0.1'} onChange={(e) => setAxis(i, { list: e.target.value })} />
        </>
      ) : (
        <>
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} size={8} value={axis.from} onChange={(e) => setAxis(i, { from: e.target.value })} />
          <label htmlFor={`${id}-to`}>to</label>
          <input id={`${id}-to`} size={8} value={axis.to} onChange={(e) => setAxis(i, { to: e.target.value })} />
          <label htmlFor={`${id}-steps`}>steps</label>
          <input id={`${id}-steps`} size={4} value={axis.steps} onChange={(e) => setAxis(i, { steps: e.target.value })} />
          <label>
            <input type="checkbox" checked={axis.scale === 'log'} onChange={(e) => setAxis(i, { scale: e.target.checked ? 'log' : 'linear' })} /> log
          </label>
          <label>
            <input type="checkbox" checked={axis.integer} onChange={(e) => setAxis(i, { integer: e.target.checked })} /> integers
          </label>
        </>
      )}
      <button type="button" aria-label={`Remove axis ${i + 1}`} onClick={() => removeAxis(i)}>
        ✕
      </button>
    </fieldset>
  );
}

function NewSweep() {
  const draft = useLab((s) => s.sweepDraft);
  const fields = useLab((s) => s.sweepFields);
  const preview = useLab((s) => s.sweepPreview);
  const graphName = useLab((s) => s.meta.name);
  const a = { set: useLab((s) => s.setSweepDraft), add: useLab((s) => s.addAxis), start: useLab((s) => s.startSweep), load: useLab((s) => s.loadSweepFields) };
  const load = a.load;
  // The fields follow the builder's problem each time the view opens.
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="card" aria-label="New sweep">
      <h2>New sweep over “{graphName || 'the problem'}”</h2>
      <p className="hint">
        The problem in the builder, with fields named as the inspector shows them. <button type="button" onClick={() => void a.load()}>Reload fields</button>
      </p>
      {draft.axes.map((ax, i) => (
        <AxisRow key={i} i={i} axis={ax} fields={fields} />
      ))}
      <button type="button" onClick={a.add} disabled={!fields.length}>
        Add axis
      </button>
      <div className="toolbar">
        <label htmlFor="sweep-seeds">Seeds</label>
        <input id="sweep-seeds" value={draft.seeds} onChange={(e) => a.set({ seeds: e.target.value })} placeholder="0, 1, 2 or 0-9" />
        <label>
          <input type="checkbox" checked={draft.sample} onChange={(e) => a.set({ sample: e.target.checked })} /> random sample
        </label>
        {draft.sample ? (
          <>
            <label htmlFor="sweep-count">configurations</label>
            <input id="sweep-count" size={5} value={draft.sampleCount} onChange={(e) => a.set({ sampleCount: e.target.value })} />
            <label htmlFor="sweep-sample-seed">draw seed</label>
            <input id="sweep-sample-seed" size={5} value={draft.sampleSeed} onChange={(e) => a.set({ sampleSeed: e.target.value })} />
          </>
        ) : null}
        <label htmlFor="sweep-budget">run budget</label>
        <input id="sweep-budget" size={6} value={draft.budget} onChange={(e) => a.set({ budget: e.target.value })} />
      </div>
      <div className="toolbar">
        <label htmlFor="sweep-queue">Run on</label>
        <input
          id="sweep-queue"
          size={36}
          value={draft.queue}
          placeholder="this machine's pool (or redis://host:6379)"
          onChange={(e) => a.set({ queue: e.target.value })}
          title="A Redis URL: runs become BullMQ jobs that `npm run worker -- --queue URL` processes on any machine. Use AUTH (redis://:password@host:6379) or TLS (rediss://); never a Redis open to a network without a password."
        />
      </div>
      <p role="status" aria-label="Run count" className={preview && !preview.ok ? 'notice error' : ''}>
        {preview === null ? '…' : preview.ok ? `${preview.runs} run${preview.runs === 1 ? '' : 's'}: ${preview.configs} configuration${preview.configs === 1 ? '' : 's'} × ${preview.runs / Math.max(1, preview.configs)} seed${preview.runs / Math.max(1, preview.configs) === 1 ? '' : 's'}` : preview.error}
      </p>
      <button type="button" className="primary" disabled={!preview?.ok} onClick={() => void a.start()}>
        Start sweep
      </button>
    </section>
  );
}

function SweepList() {
  const sweeps = useLab((s) => s.sweeps);
  const openId = useLab((s) => s.openSweepId);
  const a = { open: useLab((s) => s.openSweep), cancel: useLab((s) => s.cancelSweep), del: useLab((s) => s.deleteSweep) };
  const list = Object.values(sweeps).sort((x, y) => y.createdAt.localeCompare(x.createdAt));
  if (!list.length) return null;
  return (
    <section className="card" aria-label="Sweeps">
      <h2>Sweeps</h2>
      <table>
        <thead>
          <tr>
            <th>name</th>
            <th>status</th>
            <th>runs</th>
            <th>where</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.sweepId} aria-selected={m.sweepId === openId}>
              <td>
                <button type="button" className="link" onClick={() => void a.open(m.sweepId)}>
                  {m.name}
                </button>
                <div className="hint">{m.sweepId}</div>
              </td>
              <td>
                {m.status}
                {m.message ? <div className="hint">{m.message}</div> : null}
              </td>
              <td>
                <progress max={m.total} value={m.recorded} aria-label={`${m.recorded} of ${m.total} runs`} /> {m.recorded}/{m.total}
                {m.failed ? ` (${m.failed} failed)` : ''}
              </td>
              <td>{m.executor}</td>
              <td>
                {m.status === 'running' ? (
                  <button type="button" onClick={() => void a.cancel(m.sweepId)}>
                    Cancel
                  </button>
                ) : (
                  <button type="button" onClick={() => void a.del(m.sweepId)}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type SortKey = { key: string; asc: boolean };

function statOf(g: SweepGroupInfo, key: string): number {
  if (key.startsWith('axis:')) {
    const v = g.axes[key.slice(5)];
    return typeof v === 'number' ? v : Number.NaN;
  }
  return g.metrics[key]?.mean ?? Number.NaN;
}

function GroupTable({ d, metrics }: { d: SweepDetail; metrics: string[] }) {
  const [sort, setSort] = useState<SortKey>({ key: 'finalLoss', asc: true });
  const rows = useMemo(() => {
    const gs = [...d.groups];
    gs.sort((x, y) => {
      const a = statOf(x, sort.key);
      const b = statOf(y, sort.key);
      if (Number.isNaN(a)) return 1;
      if (Number.isNaN(b)) return -1;
      return sort.asc ? a - b : b - a;
    });
    return gs;
  }, [d.groups, sort]);
  const head = (key: string, label: string) => (
    <th aria-sort={sort.key === key ? (sort.asc ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="link" onClick={() => setSort((s) => ({ key, asc: s.key === key ? !s.asc : true }))}>
        {label}
        {sort.key === key ? (sort.asc ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  return (
    <table aria-label="Groups">
      <thead>
        <tr>
          {d.meta.axes.map((p) => head(`axis:${p}`, shortPath(p)))}
          <th>runs</th>
          {metrics.map((m) => head(m, `${m} (mean ± std)`))}
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr key={g.config} className={g.config === d.best ? 'best' : undefined} aria-label={g.config === d.best ? 'best configuration' : undefined} style={g.config === d.best ? { background: '#e6f4ea', fontWeight: 600 } : undefined}>
            {d.meta.axes.map((p) => (
              <td key={p}>{axisText(g.axes[p])}</td>
            ))}
            <td>
              {g.runs - g.failed}
              {g.failed ? ` (+${g.failed} failed)` : ''}
            </td>
            {metrics.map((m) => (
              <td key={m}>{g.metrics[m] ? `${fmtNum(g.metrics[m].mean, 4)} ± ${fmtNum(g.metrics[m].std, 2)}` : '–'}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Mean of `metric` over two axes: a grid of coloured cells (darker = lower, the best end for a loss). */
function AxisHeatmap({ d, metric }: { d: SweepDetail; metric: string }) {
  const [ax, ay] = d.meta.axes;
  if (!ax || !ay) return null;
  const xs = [...new Set(d.groups.map((g) => axisText(g.axes[ax])))];
  const ys = [...new Set(d.groups.map((g) => axisText(g.axes[ay])))];
  const cell = new Map<string, number>();
  // With more than two axes, a cell is the mean over the other axes' groups.
  const acc = new Map<string, number[]>();
  for (const g of d.groups) {
    const v = g.metrics[metric]?.mean;
    if (v === undefined || !Number.isFinite(v)) continue;
    const k = `${axisText(g.axes[ax])}|${axisText(g.axes[ay])}`;
    if (!acc.has(k)) acc.set(k, []);
    acc.get(k)!.push(v);
  }
  for (const [k, vs] of acc) cell.set(k, vs.reduce((p, q) => p + q, 0) / vs.length);
  const vals = [...cell.values()];
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const colour = (v: number): string => {
    const t = hi > lo ? (v - lo) / (hi - lo) : 0;
    const l = 35 + 55 * t;
    return `hsl(215 60% ${l}%)`;
  };
  return (
    <section className="chart" aria-label={`Heatmap of ${metric}`}>
      <h3>
        {metric} over {shortPath(ax)} × {shortPath(ay)}
      </h3>
      <table>
        <thead>
          <tr>
            <th>
              {shortPath(ay)} \ {shortPath(ax)}
            </th>
            {xs.map((x) => (
              <th key={x}>{x}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ys.map((y) => (
            <tr key={y}>
              <th>{y}</th>
              {xs.map((x) => {
                const v = cell.get(`${x}|${y}`);
                return (
                  <td key={x} style={v === undefined ? undefined : { background: colour(v), color: (hi > lo ? (v - lo) / (hi - lo) : 0) < 0.5 ? 'white' : 'black' }}>
                    {v === undefined ? '–' : fmtNum(v, 3)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function GroupCurves({ d }: { d: SweepDetail }) {
  const keys = useMemo(() => [...new Set(d.rows.flatMap((r) => Object.keys(r.curves)))], [d.rows]);
  const [key, setKey] = useState('loss.train');
  const [log, setLog] = useState(true);
  const k = keys.includes(key) ? key : (keys[0] ?? '');
  // The best group first, then the others by the table's default order, at most 8 lines.
  const groups = useMemo(() => {
    const gs = [...d.groups].sort((x, y) => (x.config === d.best ? -1 : y.config === d.best ? 1 : (x.metrics.finalLoss?.mean ?? Infinity) - (y.metrics.finalLoss?.mean ?? Infinity)));
    return gs.slice(0, 8);
  }, [d.groups, d.best]);
  const { series, data } = useMemo(() => {
    const input = groups.map((g) => ({ key: `g${g.config}`, perRun: d.rows.filter((r) => r.config === g.config && !r.error).map((r) => r.curves[k] ?? []) }));
    return {
      series: groups.map((g) => ({ key: `g${g.config}`, label: d.meta.axes.map((p) => `${shortPath(p)}=${axisText(g.axes[p])}`).join(', ') || 'all' })),
      data: chartData(input, { smoothing: 0, logScale: log, maxPoints: 1000 }),
    };
  }, [groups, d.rows, d.meta.axes, k, log]);
  if (!k) return null;
  return (
    <section aria-label="Curves by group">
      <div className="toolbar">
        <label htmlFor="sweep-curve">Curve</label>
        <select id="sweep-curve" value={k} onChange={(e) => setKey(e.target.value)}>
          {keys.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log scale
        </label>
      </div>
      <CurveChart title={`${k} by group (mean ± 2σ over seeds)`} series={series} data={data} logScale={log} />
    </section>
  );
}

function RunsTable({ d }: { d: SweepDetail }) {
  return (
    <details>
      <summary>Runs ({d.rows.length}) and the worker that ran each</summary>
      <table aria-label="Runs">
        <thead>
          <tr>
            <th>#</th>
            {d.meta.axes.map((p) => (
              <th key={p}>{shortPath(p)}</th>
            ))}
            <th>seed</th>
            <th>worker</th>
            <th>time</th>
            <th>attempts</th>
            <th>final loss</th>
          </tr>
        </thead>
        <tbody>
          {d.rows.map((r) => (
            <tr key={r.index}>
              <td>{r.index}</td>
              {d.meta.axes.map((p) => (
                <td key={p}>{axisText(r.axes[p])}</td>
              ))}
              <td>{r.seed}</td>
              <td>{r.worker}</td>
              <td>{fmtSeconds(r.seconds)}</td>
              <td>{r.attempts}</td>
              <td>{r.error ? <span className="notice error">{r.error}</span> : fmtNum(r.summary.finalLoss, 4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Active({ m }: { m: SweepMeta }) {
  if (!m.active.length) return null;
  return (
    <ul className="hint" aria-label="Running now">
      {m.active.map((a) => (
        <li key={a.index}>
          run {a.index} on {a.worker}: epoch {a.step}/{a.totalSteps}
        </li>
      ))}
    </ul>
  );
}

function SweepResults() {
  const d = useLab((s) => s.sweepDetail);
  const exp = useLab((s) => s.exportSweep);
  const metrics = useMemo(() => {
    if (!d) return [];
    const all = [...new Set(d.groups.flatMap((g) => Object.keys(g.metrics)))];
    const skip = new Set(['runs', 'epochs', 'secondsPerRun']);
    const first = ['finalLoss', 'initialLoss'].filter((m) => all.includes(m));
    return [...first, ...all.filter((m) => !first.includes(m) && !skip.has(m))].slice(0, 6);
  }, [d]);
  const [heat, setHeat] = useState('finalLoss');
  if (!d) return null;
  const m = d.meta;
  return (
    <section className="card" aria-label={`Sweep ${m.name}`}>
      <h2>
        {m.name} — {m.status}, {m.recorded}/{m.total} runs on {m.executor}
      </h2>
      {m.message ? <p className="notice">{m.message}</p> : null}
      <Active m={m} />
      <div className="toolbar">
        <button type="button" onClick={() => void exp(m.sweepId, 'csv')}>
          Export CSV
        </button>
        <button type="button" onClick={() => void exp(m.sweepId, 'json')}>
          Export JSON
        </button>
      </div>
      {d.groups.length ? <GroupTable d={d} metrics={metrics} /> : <p className="hint">No run recorded yet.</p>}
      {d.groups.length ? <GroupCurves d={d} /> : null}
      {m.axes.length >= 2 && metrics.length ? (
        <>
          <div className="toolbar">
            <label htmlFor="sweep-heat">Heatmap of</label>
            <select id="sweep-heat" value={metrics.includes(heat) ? heat : metrics[0]} onChange={(e) => setHeat(e.target.value)}>
              {metrics.map((x) => (
                <option key={x}>{x}</option>
              ))}
            </select>
          </div>
          <AxisHeatmap d={d} metric={metrics.includes(heat) ? heat : metrics[0]!} />
        </>
      ) : null}
      <RunsTable d={d} />
    </section>
  );
}

export function SweepsView() {
  const load = useLab((s) => s.loadSweeps);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="sweeps-view">
      <NewSweep />
      <SweepList />
      <SweepResults />
    </div>
  );
}
