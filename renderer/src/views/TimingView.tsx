// Timing: run the Table-2 suite (or one op on a loaded matrix), then compare
// sparse against dense and CPU against GPU as bars, the scaling sweeps on
// log-log axes, and export the report (CSV, JSON, HTML; PDF in the app).
import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { TIMING_OPS, type TimingOp, type TimingRow, type TimingSummary } from '../../../electron/common/lab-api.js';
import { PALETTE } from '../components/Charts.js';
import { Progress } from '../components/Progress.js';
import { fmtInt, fmtNum, fmtSeconds } from '../lib/format.js';
import { useLab } from '../store/index.js';


function stateText(t: TimingSummary | undefined): string {
  if (!t) return 'No study yet';
  if (t.state === 'failed') return `Failed: ${t.error ?? 'unknown error'}`;
  return { running: 'Running', finished: 'Finished', cancelled: 'Cancelled' }[t.state];
}

/** Bars of median seconds, one group per label, one bar per `impl` value. */
function Bars({ title, rows, groupBy, barsBy }: { title: string; rows: TimingRow[]; groupBy: (r: TimingRow) => string; barsBy: (r: TimingRow) => string }) {
  const { data, keys } = useMemo(() => {
    const groups = new Map<string, Record<string, number | string>>();
    const keys = new Set<string>();
    for (const r of rows) {
      if (r.medianSeconds === null || !(r.medianSeconds > 0)) continue;
      const g = groupBy(r);
      const k = barsBy(r);
      keys.add(k);
      const row = groups.get(g) ?? { group: g };
      row[k] = r.medianSeconds;
      groups.set(g, row);
    }
    return { data: [...groups.values()], keys: [...keys] };
  }, [rows, groupBy, barsBy]);
  if (!data.length) return null;
  return (
    <section className="chart" aria-label={title}>
      <h3>{title}</h3>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 30, left: 8 }}>
          <CartesianGrid stroke="#e6e8ec" />
          <XAxis dataKey="group" interval={0} angle={-20} textAnchor="end" height={50} />
          <YAxis scale="log" domain={['auto', 'auto']} allowDataOverflow tickFormatter={(v: number) => fmtSeconds(v)} width={70} />
          <Tooltip isAnimationActive={false} formatter={(v) => fmtSeconds(Number(v))} />
          <Legend verticalAlign="top" height={24} />
          {keys.map((k, i) => (
            <Bar key={k} dataKey={k} fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </section>
  );
}

function Sweeps({ t }: { t: TimingSummary }) {
  const sweeps = t.sweeps.filter((s) => s.points.length > 1);
  if (!sweeps.length) return null;
  return (
    <section className="chart" aria-label="Scaling on log-log axes">
      <h3>Scaling: time vs nnz (log-log)</h3>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart margin={{ top: 8, right: 16, bottom: 18, left: 8 }}>
          <CartesianGrid stroke="#e6e8ec" />
          <XAxis dataKey="nnz" type="number" scale="log" domain={['auto', 'auto']} allowDuplicatedCategory={false} tickFormatter={(v: number) => fmtInt(v)} label={{ value: 'nnz', position: 'insideBottom', offset: -8 }} />
          <YAxis dataKey="seconds" type="number" scale="log" domain={['auto', 'auto']} tickFormatter={(v: number) => fmtSeconds(v)} width={70} />
          <Tooltip isAnimationActive={false} formatter={(v) => fmtSeconds(Number(v))} labelFormatter={(l) => `nnz ${fmtInt(Number(l))}`} />
          <Legend verticalAlign="top" />
          {sweeps.map((s, i) => (
            <Line key={`${s.op}-${s.impl}-${s.device}`} data={s.points} dataKey="seconds" name={`${s.op} ${s.impl} ${s.device}${s.slope !== null ? ` (slope ${fmtNum(s.slope, 3)})` : ''}`} stroke={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </section>
  );
}

function ResultTable({ rows }: { rows: TimingRow[] }) {
  return (
    <div className="table-scroll">
      <table className="timing-table">
        <thead>
          <tr>
            {['suite', 'test', 'impl', 'pass', 'device', 'dtype', 'threads', 'n', 'nnz', 'median', 'min', 'max', 'note'].map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.suite}</td>
              <td>{r.test}</td>
              <td>{r.impl}</td>
              <td>{r.pass}</td>
              <td>{r.device}</td>
              <td>{r.dtype}</td>
              <td>{r.threads}</td>
              <td>{fmtInt(r.n)}</td>
              <td>{fmtInt(r.nnz)}</td>
              <td>{fmtSeconds(r.medianSeconds)}</td>
              <td>{fmtSeconds(r.minSeconds)}</td>
              <td>{fmtSeconds(r.maxSeconds)}</td>
              <td>{r.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The study's progress bar (its own subscription: job progress does not re-render the charts). */
function TimingProgress({ timingId }: { timingId: string }) {
  const job = useLab((s) => {
    for (const j of Object.values(s.jobs)) if (j.timingId === timingId && j.kind === 'run-timing') return j;
    return undefined;
  });
  return <Progress job={job} label="Timing progress" />;
}

export function TimingView() {
  const info = useLab((s) => s.info);
  const request = useLab((s) => s.timingRequest);
  const setRequest = useLab((s) => s.setTimingRequest);
  const runTiming = useLab((s) => s.runTiming);
  const cancelTiming = useLab((s) => s.cancelTiming);
  const timings = useLab((s) => s.timings);
  const activeId = useLab((s) => s.activeTimingId);
  const selectTiming = useLab((s) => s.selectTiming);
  const exportReport = useLab((s) => s.exportReport);
  const exportPdf = useLab((s) => s.exportPdf);
  const order = useLab((s) => s.matrixOrder);
  const matrices = useLab((s) => s.matrices);
  const [pass, setPass] = useState('forward');
  const ready = order.map((id) => matrices[id]!).filter((m) => m && m.state === 'ready');
  const t = activeId ? timings[activeId] : undefined;
  const running = t?.state === 'running';
  const rows = t?.rows ?? [];
  const passes = [...new Set(rows.map((r) => r.pass))];
  const shownPass = passes.includes(pass) ? pass : (passes[0] ?? pass);
  const ofPass = rows.filter((r) => r.pass === shownPass);
  // Bars compare like with like: the Table-2 rows (sparse at the dense N too) and a matrix's own rows.
  const compared = ofPass.filter((r) => r.suite !== 'sweep');
  const cpu = compared.filter((r) => r.device === 'cpu');
  const hasGpu = rows.some((r) => r.device !== 'cpu' && r.medianSeconds !== null);
  const gpuAbsent = rows.find((r) => r.device !== 'cpu' && r.note)?.note;
  const short = (r: TimingRow): string => `${r.op} ${fmtInt(r.n)} ${r.dtype === 'float64' ? 'f64' : 'f32'}`;

  return (
    <div className="timing">
      <section className="card toolbar" aria-label="Timing study">
        <fieldset>
          <legend>What to time</legend>
          <label>
            <input type="radio" name="timing-kind" checked={request.kind === 'suite'} onChange={() => setRequest({ kind: 'suite', quick: true, peers: true, sweep: true })} /> Table-2 suite
          </label>
          <label>
            <input
              type="radio"
              name="timing-kind"
              checked={request.kind === 'matrix'}
              disabled={!ready.length}
              onChange={() => ready[0] && setRequest({ kind: 'matrix', matrixId: ready[0].id, op: 'spmv' })}
            />{' '}
            One op on a loaded matrix
          </label>
        </fieldset>
        {request.kind === 'suite' ? (
          <fieldset>
            <legend>Suite options</legend>
            {TIMING_OPS.map((op) => {
              const ops = request.ops ?? [...TIMING_OPS];
              return (
                <label key={op}>
                  <input
                    type="checkbox"
                    checked={ops.includes(op)}
                    onChange={(e) => setRequest({ ...request, ops: e.target.checked ? TIMING_OPS.filter((o) => o === op || ops.includes(o)) : ops.filter((o) => o !== op) })}
                  />{' '}
                  {op}
                </label>
              );
            })}
            {(['float32', 'float64'] as const).map((d) => {
              const dtypes = request.dtypes ?? ['float32', 'float64'];
              return (
                <label key={d}>
                  <input type="checkbox" checked={dtypes.includes(d)} onChange={(e) => setRequest({ ...request, dtypes: e.target.checked ? (['float32', 'float64'] as const).filter((x) => x === d || dtypes.includes(x)) : dtypes.filter((x) => x !== d) })} /> {d}
                </label>
              );
            })}
            <label>
              <input type="checkbox" checked={request.quick} onChange={(e) => setRequest({ ...request, quick: e.target.checked })} /> quick
            </label>
            <label>
              <input type="checkbox" checked={request.peers} onChange={(e) => setRequest({ ...request, peers: e.target.checked })} /> SciPy / PyTorch peers
            </label>
            <label>
              <input type="checkbox" checked={request.sweep} onChange={(e) => setRequest({ ...request, sweep: e.target.checked })} /> scaling sweep
            </label>
          </fieldset>
        ) : (
          <fieldset>
            <legend>Op and matrix</legend>
            <label htmlFor="timing-op">
              Op
              <select id="timing-op" value={request.op} onChange={(e) => setRequest({ ...request, op: e.target.value as TimingOp })}>
                {TIMING_OPS.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            </label>
            <label htmlFor="timing-matrix">
              Matrix
              <select id="timing-matrix" value={request.matrixId} onChange={(e) => setRequest({ ...request, matrixId: e.target.value })}>
                {ready.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
        )}
        <button type="button" className="primary" onClick={() => void runTiming()} disabled={running}>
          Run timing
        </button>
        <button type="button" onClick={() => void cancelTiming()} disabled={!running}>
          Cancel
        </button>
        <span className={`run-state state-${t?.state ?? 'none'}`} role="status" aria-label="Timing state">
          {stateText(t)}
        </span>
        <label htmlFor="timing-select">
          Study
          <select id="timing-select" value={activeId ?? ''} onChange={(e) => selectTiming(e.target.value || null)}>
            <option value="">—</option>
            {Object.values(timings)
              .sort((a, b) => b.createdAt - a.createdAt)
              .map((x) => (
                <option key={x.id} value={x.id}>
                  {new Date(x.createdAt).toLocaleString()} · {x.request.kind} · {x.state}
                </option>
              ))}
          </select>
        </label>
      </section>
      {t ? <TimingProgress timingId={t.id} /> : null}
      <section className="card toolbar" aria-label="Export">
        {(['csv', 'json', 'html'] as const).map((f) => (
          <button key={f} type="button" onClick={() => void exportReport(f)} disabled={t?.state !== 'finished'}>
            Export {f.toUpperCase()}
          </button>
        ))}
        {info?.capabilities.pdf ? (
          <button type="button" onClick={() => void exportPdf()} disabled={t?.state !== 'finished'}>
            Export PDF
          </button>
        ) : (
          <span className="muted">PDF: in the app (or print the HTML report)</span>
        )}
        {passes.length > 1 ? (
          <label htmlFor="timing-pass">
            Pass
            <select id="timing-pass" value={shownPass} onChange={(e) => setPass(e.target.value)}>
              {passes.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
        ) : null}
      </section>
      {rows.length ? (
        <>
          <div className="chart-grid">
            <Bars title="Sparse vs dense (median, CPU)" rows={cpu} groupBy={(r) => `${short(r)} ${r.threads}T`} barsBy={(r) => r.impl} />
            {hasGpu ? (
              <Bars title="CPU vs GPU (median)" rows={compared.filter((r) => r.impl === 'sparse')} groupBy={short} barsBy={(r) => r.device} />
            ) : (
              <p className="muted">CPU vs GPU: no GPU timings{gpuAbsent ? ` (${gpuAbsent.replace(/^absent: /, '')})` : ' (no CUDA device here)'}.</p>
            )}
            <Sweeps t={t!} />
          </div>
          <ResultTable rows={ofPass} />
        </>
      ) : null}
    </div>
  );
}
